"""One pillar, one network in the real kernel (issue #22): three paths, one result.

A seeded set of generated pillars (``tests/harness/meaning.py``, the generator of the
offline differential test, with the slaves of this kernel) is taken, in one
user-mode-linux boot, through each way this module brings a bond up:

- ``ifup``: Red Hat's initscripts 10.00.19 (``"initscripts": true``) bring our ifcfg
  files up (``activate: ifup``);
- ``nmcli``: the real NetworkManager (Debian's 1.42) activates our keyfiles
  (``activate: nmcli``);
- ``kernel``: ``activate: kernel`` changes the kernel in place from our plan.

Each path applies each pillar (``state.high`` of ``bond.reconciled``), runs
``bond.verify`` (the same pillar: nothing may have drifted), reads the kernel (links,
addresses and default routes of both families with ``ip -j``; the bonding options from
sysfs) and removes the bonds again (``bonds: {}``) before the next pillar. Each path must
leave the kernel exactly as the pillar means it, in everything the pillar states: the
mode and every option of it (those left out at the kernel's default), the slaves and
the primary, the MTU where given, addresses with their prefixes, the default routes of
both families, the VLANs. So the three leave the same kernel.

The pillars are those a host here can run on every path: bonds with slaves (veth pairs
whose far ends a bridged neighbour holds), static addressing (DHCP has no server here,
and ``activate: kernel`` refuses it), the MII monitor (the ARP monitor needs targets that
answer; tests/kernel/test_options_kernel.py takes it through the driver), no option
NetworkManager 1.42 drops (refused for its files), IPv6 autoconfiguration only beside an
IPv4 address (with no router here NetworkManager fails a profile that has no other
address source), updelay at most a second (the verification's own 10 s).
"""

import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from salt_bonding import links, plan, status
from salt_bonding.errors import UserError
from salt_bonding.modes import MODES
from salt_bonding.platform import Stack
from salt_bonding.render import Destination

from tests.harness import meaning
from tests.harness import uml as uml_harness

pytestmark = pytest.mark.kernel

SLAVES = ("va", "vb", "vc", "vd")
SCRIPTS = "/etc/sysconfig/network-scripts"
KEYFILES = "/run/bond-one-meaning/system-connections"  # a tmpfs inside the kernel
CASES_PER_BOOT = len(MODES)  # one pillar per mode of its first bond
# nmcli first: the boot's warm Salt caller starts at the first salt step with the agent's
# environment of that moment, and reaches NetworkManager's private bus only when that
# bus was already up (DBUS_SYSTEM_BUS_ADDRESS).
PATHS = {
    "nmcli": {"format": "keyfile", "activate": "nmcli"},
    "ifup": {"format": "ifcfg", "networkmanager": "unmanaged", "activate": "ifup"},
    "kernel": {"format": "ifcfg", "networkmanager": "unmanaged", "activate": "kernel"},
}
RHEL7 = {"os": "CentOS", "os_family": "RedHat", "osmajorrelease": 7}  # the harness's grains


def accepted(pillar_value, file_format, tmp):
    """The config of a first run of ``pillar_value`` into ``file_format`` files, or None."""
    where = Destination(file_format, os.path.join(tmp, file_format),
                        os.path.join(tmp, "bonding.conf"))
    try:
        return plan.plan_reconciled(pillar_value, "live", where, RHEL7, Stack("enabled", True)
                                    ).config
    except UserError:
        return None


def runs_here(case, tmp):
    """Whether every path can run ``case`` in this kernel (see the module docstring)."""
    configs = [accepted({**case.pillar, **path}, path["format"], tmp)
               for path in PATHS.values()]
    if any(config is None for config in configs):
        return False
    for bond in configs[0].bonds.values():
        options = bond.options
        if not bond.slaves or int(options.get("arp_interval", 0)) \
                or int(options.get("min_links", 0)) > len(bond.slaves) \
                or int(options.get("updelay", 0)) > 1000:
            return False
        for interface in (bond, *bond.vlans.values()):
            if interface.ipv6_method == "auto" and interface.ipaddr is None:
                return False
    return True


def collect():
    """Generated pillars that run here, the first one for each mode of its first bond:
    derandomized, the same on every run."""
    found = {}

    @settings(max_examples=1000, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=meaning.cases(mistakes=(None,), slaves=SLAVES))
    def each(case):
        mode = case.meaning["bond0"]["mode"]
        if mode not in found and runs_here(case, tmp):
            found[mode] = case

    with tempfile.TemporaryDirectory() as tmp:  # plans only: nothing is written
        each()
    return [found[mode] for mode in MODES if mode in found]


CASES = collect()


def live(step_id, path, bonds):
    return [{"pillar": {"live": {**PATHS[path], "bonds": bonds}}},
            {"id": step_id, "salt": ["state.high", json.dumps({"live": {"bond": ["reconciled"]}})]}]


def steps(path):
    found = []
    if path == "nmcli":
        found += [{"id": "clean", "run": ["bash", "-c", 'rm -rf "$1" && mkdir -p "$1"', "-",
                                          KEYFILES]},
                  {"id": "nm-start", "nm": "start", "keyfile_dir": KEYFILES, "timeout": 90}]
    for index, case in enumerate(CASES):
        found += live(f"apply-{index}", path, case.pillar["bonds"])
        if path == "nmcli":
            found.append({"id": f"settle-{index}", "nm": "settle"})
        found += [
            {"id": f"verify-{index}", "salt": ["bond.verify", "name=live"]},
            {"id": f"links-{index}", "run": ["ip", "-j", "-d", "addr", "show"]},
            {"id": f"routes-{index}", "run": ["ip", "-j", "route", "show", "default"]},
            {"id": f"routes6-{index}", "run": ["ip", "-6", "-j", "route", "show", "default"]},
            {"id": f"sysfs-{index}", "capture": f"{path}-{index}"},
            *live(f"remove-{index}", path, {}),
            *[{"wait": {"path": name, "absent": True}} for name in case.pillar["bonds"]],
        ]
    return found


SCENARIOS = [{"name": path, "initscripts": True,
              "veths": [[slave, f"p{slave[1]}"] for slave in SLAVES],
              # A bridge for the slaves' carrier, at an address no generated pillar has.
              "neighbour": {"peers": [f"p{slave[1]}" for slave in SLAVES],
                            "addresses": ["203.0.113.254/24"]},
              "steps": steps(path)} for path in PATHS]


@pytest.fixture(scope="module")
def runs(uml):
    reason = (uml_harness.initscripts_unavailable_reason()
              or uml_harness.networkmanager_unavailable_reason())
    if reason:
        pytest.fail(f"harness unavailable: {reason}")
    return uml.run(SCENARIOS, minion_opts={"bond.ifcfg_dir": SCRIPTS,
                                           "bond.keyfile_dir": KEYFILES})


def running(result, index, case):
    """What the kernel held after pillar ``index`` on one path, as activation reads it."""
    found = json.loads(result.stdout_ok(f"links-{index}"))
    routes = (json.loads(result.stdout_ok(f"routes-{index}"))
              + json.loads(result.stdout_ok(f"routes6-{index}")))
    sysfs = str(result.capture(f"{result.name}-{index}") / "sys" / "class" / "net")
    bonds = [links.current_bond(name, status.read_options(name, sysfs), found, routes)
             for name in case.pillar["bonds"]]
    assert None not in bonds, (result.name, index, [b and b.name for b in bonds])
    return meaning.from_running(bonds)


def stated(view, expected):
    """``view`` with the MTU left out where the pillar states none (the kernel's own)."""
    return {device: {key: value for key, value in profile.items()
                     if key != "mtu" or expected.get(device, {}).get("mtu") is not None}
            for device, profile in view.items()}


def test_the_generated_pillars_cover_the_modes_and_addressing():
    assert len(CASES) == CASES_PER_BOOT
    bonds = [profile for case in CASES for profile in case.meaning.values()
             if profile["kind"] == "bond"]
    assert {bond["mode"] for bond in bonds} == set(MODES)
    assert any(profile["kind"] == "vlan" for case in CASES for profile in case.meaning.values())
    assert any(bond["ipv4"][1] for bond in bonds) and any(bond["ipv6"][1] for bond in bonds)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("index", range(CASES_PER_BOOT))
def test_each_path_leaves_the_kernel_as_the_pillar_means_it(runs, path, index):
    result, case = runs[path], CASES[index]
    applied = result.state(f"apply-{index}")
    assert applied["result"] is True, (path, case.pillar, applied["comment"])
    verified = result.salt_ok(f"verify-{index}")
    assert verified["drifted"] is False, (path, case.pillar, verified)
    expected = meaning.kernel_view(case.meaning)
    assert stated(running(result, index, case), expected) == stated(expected, expected), (
        path, case.pillar)
    removed = result.state(f"remove-{index}")
    assert removed["result"] is True, (path, removed["comment"])


@pytest.mark.parametrize("index", range(CASES_PER_BOOT))
def test_the_three_paths_leave_the_same_kernel(runs, index):
    case = CASES[index]
    expected = meaning.kernel_view(case.meaning)
    seen = {path: stated(running(runs[path], index, case), expected) for path in PATHS}
    assert seen["ifup"] == seen["nmcli"] == seen["kernel"] == stated(expected, expected), (
        case.pillar, seen)
