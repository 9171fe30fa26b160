"""One pillar, one network (issue #22), by differential testing against the real readers.

Generated pillars over the whole schema (``tests/harness/meaning.py``: every option in
every mode, addresses with and without prefixes, IPv4/IPv6/DNS/domains, VLANs, scope
ids, odd but valid spellings), each with the network it means. Every pillar validation
accepts is rendered

- for RHEL 9 (keyfiles) and read back by the real NetworkManager (``nmcli --offline``),
  once planned for a minion running Debian's 1.42 and read back by it, once for one
  running Debian 13's 1.52 and read back by that (``tests/harness/nm.py``): it must run
  exactly the pillar's network, nothing dropped, added or changed (its option defaults
  included: NetworkManager's miimon is 100); an option a version drops is refused for
  that version's minion (1.42: ``lacp_active``, ``arp_missed_max``);
- for RHEL 7 (ifcfg files for network-scripts) and sourced by bash, read as initscripts
  read the variables: the same network;
- for ``activate: kernel``: the operations it plans for a new bond, applied to a model
  of the driver's sysfs rules and of ``ip``: the same kernel state.

Whatever a reader would take differently must be refused by validation (or by the
plan, for one platform): a refusal passes, a different network fails. Bounded and the
same on every run (derandomize); the real kernel takes a seeded subset of the same
pillars through all three paths (tests/kernel/test_one_meaning_kernel.py).

Runs real programs (nmcli, bash): the functional tier.
"""

import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from salt_bonding import plan
from salt_bonding.errors import UserError
from salt_bonding.host.platform import Stack
from salt_bonding.render import Locations

from tests.harness import meaning, nm
from tests.harness.shell import source_with_bash

pytestmark = pytest.mark.functional

RHEL7 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 7}
RHEL9 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 9}
# Right pillars, and a few of each kind of mistake: about a minute on the 2-core
# development VM; derandomized, so the same pillars on every run.
RIGHT_EXAMPLES = 300
MISTAKE_EXAMPLES = 20


@pytest.fixture(scope="module", autouse=True)
def readers():
    nm.require()
    assert shutil.which("bash"), "bash is missing"


@pytest.fixture(scope="module")
def where(tmp_path_factory):
    """Empty directories for the plans (nothing is ever written to them)."""
    root = tmp_path_factory.mktemp("one-meaning")
    return Locations({"ifcfg": str(root / "ifcfg"), "keyfile": str(root / "nm")},
                     str(root / "bonding.conf"))


def planned(pillar, where, grains, stack):
    """``(config, {file name: text})`` of a first run, or None when it is refused."""
    try:
        run = plan.plan_reconciled(pillar, "bonding", where, grains, stack)
    except UserError:
        return None
    return run.config, {os.path.basename(path): change.new
                        for path, change in run.changes.items()
                        if path != run.destination.modprobe_conf}


def read_by_networkmanager(oracle, files):
    """NetworkManager's normalised keyfile of each file (``nmcli --offline`` of ``oracle``)."""
    normalised = {}
    for name, text in files.items():
        rc, out, err = oracle.normalise(text)
        assert rc == 0, f"NetworkManager {oracle.version} refuses {name}: {err}\n{text}"
        normalised[name] = out
    return normalised


def read_by_bash(files, tmp_path):
    """What bash defines sourcing each ifcfg file (as initscripts source them)."""
    directory = tmp_path / "ifcfg"
    directory.mkdir(exist_ok=True)
    sourced = {}
    for name, text in files.items():
        (directory / name).write_text(text)
        sourced[name] = source_with_bash(directory / name, tmp_path)
    return sourced


def differences(expected, got):
    """``{device: (expected, got)}`` where a reader's network is not the pillar's."""
    return {device: (expected.get(device), got.get(device))
            for device in sorted(set(expected) | set(got))
            if expected.get(device) != got.get(device)}


def check(case, where, tmp_path_factory, seen):
    """Each reader of each accepted rendering runs the case's network (``seen`` counts)."""
    accepted = False
    for oracle in nm.ORACLES:  # a minion running that NetworkManager, and it reading back
        rhel9 = planned(case.pillar, where, RHEL9, oracle.stack)
        if rhel9 is not None:
            accepted = True
            _, files = rhel9
            got = meaning.from_keyfiles(read_by_networkmanager(oracle, files))
            assert differences(case.meaning, got) == {}, (
                f"NetworkManager {oracle.version}", case.pillar)
            seen[f"keyfile {oracle}"] += 1
    rhel7 = planned(case.pillar, where, RHEL7, Stack())
    if rhel7 is not None:
        accepted = True
        _, files = rhel7
        got = meaning.from_ifcfg(read_by_bash(files, tmp_path_factory.mktemp("bash")))
        assert differences(case.meaning, got) == {}, ("initscripts", case.pillar)
        seen["ifcfg"] += 1
    kernel = planned({**case.pillar, "activate": "kernel"}, where, RHEL7, Stack())
    if kernel is not None:
        config, _ = kernel
        got = meaning.from_kernel_plan(list(config.bonds.values()))
        assert differences(meaning.kernel_view(case.meaning), got) == {}, (
            "activate: kernel", case.pillar)
        seen["kernel"] += 1
    seen["accepted" if accepted else "refused"] += 1


@pytest.mark.parametrize("mistake", [None, *meaning.MISTAKES])
def test_every_accepted_pillar_means_one_network_to_every_reader(mistake, where,
                                                                tmp_path_factory):
    keyfiles = [f"keyfile {oracle}" for oracle in nm.ORACLES]
    seen = dict.fromkeys((*keyfiles, "ifcfg", "kernel", "accepted", "refused"), 0)
    examples = RIGHT_EXAMPLES if mistake is None else MISTAKE_EXAMPLES

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=meaning.cases(mistakes=(mistake,)))
    def each(case):
        check(case, where, tmp_path_factory, seen)

    each()
    if mistake is None:  # right pillars are taken, and reach every reader
        assert seen["refused"] == 0, seen
        assert min(seen[reader] for reader in (*keyfiles, "ifcfg", "kernel")) >= examples // 3, seen
        # 1.52 keeps what 1.42 drops: every pillar 1.42's minion takes, 1.52's takes too
        assert seen["keyfile debian-13"] > seen["keyfile installed"], seen
    else:  # the mistake was made, and refused before any reader saw it
        assert seen["refused"] >= examples // 2, seen
