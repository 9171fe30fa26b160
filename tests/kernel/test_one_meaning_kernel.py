"""One pillar, one network in the real kernel (issue #22): three paths, one result.

A seeded set of generated pillars (``tests/harness/meaning.py``, the generator of the
offline differential test, with the slaves of this kernel) is taken, in one
user-mode-linux boot, through each way this module brings a bond up:

- ``ifup``: Red Hat's initscripts 10.00.19 (``"initscripts": true``) bring our ifcfg
  files up (``activate: ifup``);
- ``nmcli``: the real NetworkManager (Debian's 1.42) activates our keyfiles
  (``activate: nmcli``);
- ``kernel``: ``activate: kernel`` changes the kernel in place from our plan.

Each path applies each pillar (``state.high`` of ``bond.reconciled``; the state's own
verification runs after activation), the second over the first (what the first left
that the second does not state must be gone), runs ``bond.verify`` (the same pillar:
nothing may have drifted) and reads the kernel on its own (``ip -j`` for links,
addresses and the default routes of both families; the bonding options from sysfs; not
through the module's readers, which ``bond.verify`` uses). Each path must leave the
kernel exactly as the pillar means it, in everything the pillar states: the mode and
every option of it (those left out at the kernel's default), the slaves and the
primary, the MTU where given, addresses with their prefixes, the default routes of both
families, the VLANs; and nothing more of ours (no other bond, port, VLAN, address or
default route). So the three leave the same kernel.

Seeded and bounded (``PILLARS``, ``STATED``): the first pillars the generator gives with
seed ``SALT_BONDING_SEED`` (default 22: the same pillars on every run; a CI may set
another per run, and every failure names its seed) of modes no earlier one has, each
stating at least ``STATED`` of :data:`STATING` (addresses and default routes of both
families, VLANs, MTU, two bonds) and all of it together. All three paths in one boot,
one after the other: about two minutes here, most of it initscripts' ``ifup``.

The pillars are those a host here can run on every path: bonds with slaves (veth pairs
whose far ends a bridged neighbour holds), static addressing (DHCP has no server here,
and ``activate: kernel`` refuses it), the MII monitor (the ARP monitor needs targets that
answer; tests/kernel/test_options_kernel.py takes it through the driver), no option
NetworkManager 1.42 drops (refused for its files), IPv6 autoconfiguration only beside an
IPv4 address (with no router here NetworkManager fails a profile that has no other
address source), updelay at most a second (the verification's own 10 s).
"""

import functools
import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from salt_bonding import plan
from salt_bonding.errors import UserError
from salt_bonding.host.platform import Stack
from salt_bonding.render import Destination

from tests.harness import meaning, nm
from tests.harness import uml as uml_harness

pytestmark = pytest.mark.kernel

SEED = int(os.environ.get("SALT_BONDING_SEED", "22"))
SLAVES = ("va", "vb", "vc", "vd")
SCRIPTS = "/etc/sysconfig/network-scripts"
KEYFILES = "/run/bond-one-meaning/system-connections"  # a tmpfs inside the kernel
# Bounded: each path costs 20-30 s a pillar here (initscripts' ifup the most: bash
# forks slowly in user-mode-linux), and the whole kernel tier is what CI waits for.
PILLARS = 2
STATED = 4  # a pillar is taken when it states this much of stating()'s list
PATHS = {
    "ifup": {"format": "ifcfg", "networkmanager": "unmanaged", "activate": "ifup"},
    "nmcli": {"format": "keyfile", "activate": "nmcli"},
    "kernel": {"format": "ifcfg", "networkmanager": "unmanaged", "activate": "kernel"},
}
RHEL7 = {"os": "CentOS", "os_family": "RedHat", "osmajorrelease": 7}  # the harness's grains


def accepted(pillar_value, file_format, tmp):
    """The config of a first run of ``pillar_value`` into ``file_format`` files, or None."""
    where = Destination(file_format, os.path.join(tmp, file_format),
                        os.path.join(tmp, "bonding.conf"))
    try:
        # The NetworkManager that runs in the kernel is this machine's (its version decides
        # which bond options the keyfiles may carry, as the grain says inside).
        stack = Stack("enabled", True, nm.ORACLES[0].version)
        return plan.plan_reconciled(pillar_value, "live", where, RHEL7, stack).config
    except UserError:
        return None


def runs_here(case, tmp):
    """Whether every path can run ``case`` in this kernel (see the module docstring)."""
    for profile in case.meaning.values():  # what the meaning says: cheap, first
        options = profile.get("options", {})
        if int(options.get("arp_interval", 0)) or int(options.get("updelay", 0)) > 1000:
            return False
        if profile["kind"] != "port" and profile["ipv6"][0] == "auto" \
                and not profile["ipv4"][1]:
            return False
    configs = [accepted({**case.pillar, **path}, path["format"], tmp)
               for path in PATHS.values()]
    if any(config is None for config in configs):
        return False
    return all(bond.slaves and int(bond.options.get("min_links", 0)) <= len(bond.slaves)
               for bond in configs[0].bonds.values())


STATING = {"an IPv4 address", "an IPv4 default route", "an IPv6 address",
            "an IPv6 default route", "a VLAN", "an MTU", "two bonds"}


def stating(case):
    """What of the kernel's state ``case`` states beyond a bond and its ports."""
    interfaces = [p for p in case.meaning.values() if p["kind"] != "port"]
    return {what for what, says in (
        ("an IPv4 address", any(p["ipv4"][1] for p in interfaces)),
        ("an IPv4 default route", any(p["ipv4"][2] for p in interfaces)),
        ("an IPv6 address", any(p["ipv6"][1] for p in interfaces)),
        ("an IPv6 default route", any(p["ipv6"][2] for p in interfaces)),
        ("a VLAN", any(p["kind"] == "vlan" for p in interfaces)),
        ("an MTU", any(p["mtu"] is not None for p in interfaces)),
        ("two bonds", sum(p["kind"] == "bond" for p in interfaces) > 1)) if says}


class _Enough(Exception):
    """The pillars are found: generation stops (hypothesis has no other way out)."""


def modes(case):
    return {profile["mode"] for profile in case.meaning.values() if profile["kind"] == "bond"}


@functools.cache
def cases():
    """PILLARS generated pillars that run here, each stating at least STATED of
    STATING, all of it together, none with a mode an earlier one has: the first ones hypothesis
    gives from seed SEED, the same for the same seed. Generated when the tests run, not
    when they are collected (every tier's collection imports this module)."""
    found = []

    @seed(SEED)
    @settings(max_examples=3000, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=meaning.cases(mistakes=(None,), slaves=SLAVES))
    def each(case):
        taken = set().union(*map(modes, found))
        said = set().union(stating(case), *map(stating, found))
        if len(stating(case)) >= STATED and not modes(case) & taken \
                and (len(found) < PILLARS - 1 or said == STATING) and runs_here(case, tmp):
            found.append(case)
        if len(found) == PILLARS:
            raise _Enough

    with tempfile.TemporaryDirectory() as tmp:  # plans only: nothing is written
        try:
            each()
        except _Enough:
            pass
    return found


def live(step_id, path, case, bonds):
    """Pillar ``live``: ``case``'s with ``bonds`` and the path's choices; applied."""
    # allow_cutoff: each pillar replaces the one before, default routes and all, on purpose
    return [{"pillar": {"live": {**case.pillar, **PATHS[path], "allow_cutoff": True,
                                 "bonds": bonds}}},
            {"id": step_id, "salt": ["state.high", json.dumps({"live": {"bond": ["reconciled"]}})]}]


def steps(path):
    """Each pillar applied over the one before (what it left that the new one does not
    state is removed: the same "nothing more" check), checked, read."""
    found = []
    if path == "nmcli":
        found += [{"id": "clean", "run": ["bash", "-c", 'rm -rf "$1" && mkdir -p "$1"', "-",
                                          KEYFILES]},
                  {"id": "nm-start", "nm": "start", "keyfile_dir": KEYFILES, "timeout": 90}]
    for index, case in enumerate(cases()):
        found += live(f"apply-{index}", path, case, case.pillar["bonds"])
        if path == "nmcli":  # what NetworkManager does on its own after the state is over
            found.append({"id": f"settle-{index}", "nm": "settle"})
        found += [{"id": f"verify-{index}", "salt": ["bond.verify", "name=live"]},
                  *meaning.reading_steps(index, path)]
    return found


def scenarios():
    return [{"name": path, "initscripts": True,  # also the overlay /etc the files go to
             "veths": [[slave, f"p{slave[1]}"] for slave in SLAVES],
             # The slaves' carrier: a bridge, at an address no generated pillar has.
             "neighbour": {"peers": [f"p{slave[1]}" for slave in SLAVES],
                           "addresses": ["203.0.113.254/24"]},
             "steps": steps(path)} for path in PATHS]


@pytest.fixture(scope="module")
def runs(uml):
    reason = (uml_harness.initscripts_unavailable_reason()
              or uml_harness.networkmanager_unavailable_reason())
    if reason:
        pytest.fail(f"harness unavailable: {reason}")
    return uml.run(scenarios(), minion_opts={"bond.ifcfg_dir": SCRIPTS,
                                             "bond.keyfile_dir": KEYFILES})


def running(result, index):
    """What the kernel held after pillar ``index`` on one path, read on its own."""
    return meaning.running_after(result, index)


def expected(case):
    """What the kernel must hold for ``case``: the MTU only where the pillar states one
    (else the kernel's own), IPv6 addresses in sorted order (the kernel keeps none)."""
    view = meaning.kernel_view(case.meaning)
    for profile in view.values():
        if "ipv6" in profile:
            addresses, gateway = profile["ipv6"]
            profile["ipv6"] = (tuple(sorted(addresses)), gateway)
    return view


def stated(view, case):
    """``view`` with the MTU left out where the pillar states none."""
    means = expected(case)
    return {device: {key: value for key, value in profile.items()
                     if key != "mtu" or means.get(device, {}).get("mtu") is not None}
            for device, profile in view.items()}


def test_the_generated_pillars_are_bounded_and_state_much():
    found = cases()
    assert len(found) == PILLARS, SEED
    assert len(set().union(*map(modes, found))) >= PILLARS, SEED
    assert all(len(stating(case)) >= STATED for case in found), SEED
    assert set().union(*map(stating, found)) == STATING, SEED


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("index", range(PILLARS))
def test_each_path_leaves_the_kernel_as_the_pillar_means_it(runs, path, index):
    result, case = runs[path], cases()[index]
    applied = result.state(f"apply-{index}")
    assert applied["result"] is True, (SEED, path, case.pillar, applied["comment"])
    if path == "nmcli":
        assert result.step(f"settle-{index}")["rc"] == 0, (SEED, result.step(f"settle-{index}"))
    verified = result.salt_ok(f"verify-{index}")
    assert verified["drifted"] is False, (SEED, path, case.pillar, verified)
    assert stated(running(result, index), case) == stated(expected(case), case), (
        SEED, path, case.pillar)


@pytest.mark.parametrize("index", range(PILLARS))
def test_the_three_paths_leave_the_same_kernel(runs, index):
    case = cases()[index]
    seen = {path: stated(running(runs[path], index), case) for path in PATHS}
    assert seen["ifup"] == seen["nmcli"] == seen["kernel"], (SEED, case.pillar, seen)
