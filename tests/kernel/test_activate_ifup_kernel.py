"""``activate: ifup`` against Red Hat's real network-scripts and the real bonding driver,
in one user-mode-linux boot.

initscripts 10.00.19 (RHEL 8's line, vendored unchanged under ``tests/vendor``) stand
where RHEL has them, on overlays of /etc and /usr inside the kernel (scenario option
``"initscripts": true``, ``tests/harness/agent.py``): ``/usr/sbin/ifup``,
``/usr/sbin/ifdown``, ``/etc/sysconfig/network-scripts`` (where the state writes its ifcfg
files), ``/etc/init.d/functions``, with RHEL's ``ipcalc`` (Debian's ipcalc-ng) and
``arping``. ``salt-call state.high`` applies pillar ``live`` (given on the command line,
``format: ifcfg``, ``networkmanager: unmanaged``, ``activate: ifup``) step by step to
one host with five veth pairs behind a bridged neighbour (192.0.2.1, VLAN 100:
198.51.100.1): bond0 created from nothing by ``ifup`` (initscripts enslave the slaves,
set the options and the address) and pinging; an unchanged run touching nothing;
``test=True`` listing the operations and running none; an option changed (the bond
bounced: ifdown, deleted, ifup) while another is removed from pillar and goes back to
the kernel's default, which initscripts alone would not do (shown by hand: ifdown +
ifup of a running bond keeps it); a slave removed and another added; a VLAN added and
removed; the mode changed; a change that
cuts the host off (an address in another subnet, caught by ``verify: ping``) rolled
back, files and kernel, with the neighbour answering again; and the bond removed with
its pillar. bond1, in every step's pillar but never changed after its creation, keeps
its active slave and link failure counts throughout. Nothing of it reaches the host.

In the same boot, Debian's own ``ifup`` (issue #28: ifupdown 0.8.41 and ifenslave 2.13,
installed on the host by ``scripts/setup``, /etc on an overlay): ``format: ifupdown``,
``activate: ifup`` brings bond0 and its VLAN up from our stanza file (pinging through
both), a change bounces it (ifdown, deleted, ifup), and the kernel it leaves, read on its
own, is exactly what ``activate: kernel`` leaves for the same pillar. The minion's grains
say Debian 12 with both stacks' tools, for both scenarios.
"""

import json
import os

import pytest

from tests.harness import meaning
from tests.harness import uml as uml_harness
from tests.harness.uml import link_failures

pytestmark = pytest.mark.kernel

SCRIPTS = "/etc/sysconfig/network-scripts"
VERIFY = {"ping": "192.0.2.1"}
BOND0 = {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100, "updelay": 200,
         "ipaddr": "192.0.2.10", "prefix": 24, "verify": VERIFY}
# miimon changed, updelay removed from pillar (the kernel's default is 0).
LIVE = {**{k: v for k, v in BOND0.items() if k != "updelay"}, "miimon": 200}
BOND1 = {"mode": "active-backup", "slaves": ["vd", "ve"], "miimon": 100, "primary": "vd"}
BOUNCE = ["bond0: ifdown", "bond0 deleted", "bond0: ifup"]
XOR = {**LIVE, "slaves": ["va", "vc"], "mode": "balance-xor", "xmit_hash_policy": "layer2+3"}


def apply(step_id, bond0, *extra):
    bonds = {"bond1": BOND1, **({"bond0": bond0} if bond0 is not None else {})}
    pillar = {"live": {"format": "ifcfg", "networkmanager": "unmanaged", "activate": "ifup",
                       "bonds": bonds}}
    return {"id": step_id, "salt": ["state.high", json.dumps({"live": {"bond": ["reconciled"]}}),
                                    f"pillar={json.dumps(pillar)}", *extra]}


def read(step_id, name):
    return {"id": step_id, "read": f"/sys/class/net/{name}"}


def ping(step_id, address="192.0.2.1"):
    return {"id": step_id, "run": ["ping", "-c1", "-w10", address]}


def sh(step_id, script):
    return {"id": step_id, "run": ["bash", "-c", script]}


SCENARIO = {
    "name": "ifup",
    "initscripts": True,
    "veths": [["va", "pa"], ["vb", "pb"], ["vc", "pc"], ["vd", "pd"], ["ve", "pe"]],
    "neighbour": {"peers": ["pa", "pb", "pc", "pd", "pe"], "addresses": ["192.0.2.1/24"],
                  "vlans": [{"id": 100, "addresses": ["198.51.100.1/24"]}]},
    "steps": [
        sh("clean", f"ls {SCRIPTS}/ifcfg-* 2>/dev/null; readlink /usr/sbin/ifup"),
        apply("create", BOND0),
        read("slaves-created", "bond0/bonding/slaves"),
        read("updelay-created", "bond0/bonding/updelay"),
        ping("ping-created"),
        # Only ifup-eth adds this route (NOZEROCONF unset): the real scripts ran.
        {"id": "zeroconf", "run": ["ip", "route", "show", "169.254.0.0/16"]},
        {"id": "bond1-before", "read": "/proc/net/bonding/bond1"},
        read("ifindex-created", "bond0/ifindex"),
        apply("same", BOND0),
        apply("preview", LIVE, "test=True"),
        read("miimon-preview", "bond0/bonding/miimon"),
        read("ifindex-preview", "bond0/ifindex"),
        apply("options", LIVE),
        read("miimon-live", "bond0/bonding/miimon"),
        read("updelay-dropped", "bond0/bonding/updelay"),
        read("ifindex-options", "bond0/ifindex"),
        ping("ping-options"),
        # Why the bond is deleted before ifup: initscripts alone keep an option that the
        # files no longer give. By hand, then put back as the files say.
        {"sysfs": ["bond0/bonding/updelay", "200"]},
        sh("stale-bounce", "ifdown bond0 && ifup bond0"),
        read("updelay-stale", "bond0/bonding/updelay"),
        sh("stale-reset", "ip link del bond0 && ifup bond0"),
        apply("slaves", {**LIVE, "slaves": ["va", "vc"]}),  # vb out, vc in
        read("slaves-swapped", "bond0/bonding/slaves"),
        {"id": "vb-after-swap", "run": ["ip", "-j", "link", "show", "vb"]},
        sh("files-after-swap", f"ls {SCRIPTS}/ifcfg-*"),
        ping("ping-swapped"),
        apply("add-vlan", {**LIVE, "slaves": ["va", "vc"],
                           "vlans": {100: {"ipaddr": "198.51.100.10", "prefix": 24}}}),
        ping("ping-vlan", "198.51.100.1"),
        apply("remove-vlan", {**LIVE, "slaves": ["va", "vc"]}),
        {"id": "vlan-gone", "run": ["ip", "link", "show", "bond0.100"]},
        sh("files-after-vlan", f"ls {SCRIPTS}/ifcfg-*"),
        apply("mode", XOR),
        read("mode-live", "bond0/bonding/mode"),
        read("xmit-live", "bond0/bonding/xmit_hash_policy"),
        ping("ping-mode"),
        # Cuts the host off: an address in another subnet; verify: ping catches it.
        apply("wrong-address", {**XOR, "ipaddr": "203.0.113.10"}),
        {"id": "addr-after-wrong", "run": ["ip", "-j", "addr", "show", "dev", "bond0"]},
        sh("file-after-wrong", f"grep ^IPADDR= {SCRIPTS}/ifcfg-bond0"),
        read("mode-after-wrong", "bond0/bonding/mode"),
        ping("ping-after-wrong"),
        {"id": "bond1-after", "read": "/proc/net/bonding/bond1"},
        apply("remove", None),
        {"id": "gone", "run": ["ip", "link", "show", "bond0"]},
        sh("files-after-remove", f"ls {SCRIPTS}/ifcfg-*"),
    ],
}


# Debian's own ifup (issue #28), in the same boot: ifupdown 0.8.41 and ifenslave 2.13 as
# installed on the host, /etc on an overlay (scenario option "ifupdown"), our stanza file
# in /etc/network/interfaces.d, which the host's /etc/network/interfaces sources. The same
# pillar brought up by ifup, then (the bond removed) by activate: kernel: the kernel must
# hold the same, read on its own.
DEB_BOND = {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100, "updelay": 200,
            "downdelay": 100, "primary": "vb", "primary_reselect": "better",
            "fail_over_mac": "active", "num_grat_arp": 3, "ipaddr": "192.0.2.10",
            "prefix": 24, "gateway": "192.0.2.1", "mtu": 1400, "verify": VERIFY,
            "vlans": {100: {"ipaddr": "198.51.100.10", "prefix": 24}}}
DEB_CHANGED = {**DEB_BOND, "miimon": 200, "updelay": 400, "downdelay": 0}


def deb(step_id, bond0, activate="ifup"):
    # allow_cutoff: removing the bond takes the default route with it, on purpose
    pillar = {"deb": {"format": "ifupdown", "activate": activate, "allow_cutoff": True,
                      "bonds": {"bond0": bond0} if bond0 else {}}}
    return {"id": step_id, "salt": ["state.high", json.dumps({"deb": {"bond": ["reconciled"]}}),
                                    f"pillar={json.dumps(pillar)}"]}


DEBIAN = {
    "name": "ifupdown",
    "ifupdown": True,
    "veths": [["va", "pa"], ["vb", "pb"]],
    "neighbour": {"peers": ["pa", "pb"], "addresses": ["192.0.2.1/24"],
                  "vlans": [{"id": 100, "addresses": ["198.51.100.1/24"]}]},
    "steps": [
        sh("deb-ifup", "readlink -f $(command -v ifup); ls /etc/network/if-pre-up.d"),
        deb("deb-create", DEB_BOND),
        sh("deb-file", "cat /etc/network/interfaces.d/bond0"),
        ping("deb-ping"),
        ping("deb-ping-vlan", "198.51.100.1"),
        *meaning.reading_steps("ifup", "ifupdown"),
        deb("deb-same", DEB_BOND),
        deb("deb-changed", DEB_CHANGED),
        read("deb-miimon", "bond0/bonding/miimon"),
        ping("deb-ping-changed"),
        deb("deb-remove", None),
        {"id": "deb-gone", "run": ["ip", "link", "show", "bond0"]},
        deb("deb-kernel", DEB_BOND, activate="kernel"),
        ping("deb-ping-kernel"),
        *meaning.reading_steps("kernel", "ifupdown"),
        deb("deb-end", None, activate="kernel"),
    ],
}
# What the minion is: Debian 12 with both stacks' tools, as the bonding_stack grain says
# (the initscripts scenario's ifcfg files are for the network-scripts it puts in place).
MINION = {"bond.ifcfg_dir": SCRIPTS, "bond.interfaces_dir": "/etc/network/interfaces.d",
          "bond.interfaces_file": "/etc/network/interfaces",
          "grains": {"os": "Debian", "os_family": "Debian", "osmajorrelease": 12,
                     "osrelease": "12",
                     "bonding_stack": {"networkmanager": "absent", "network_scripts": True,
                                       "ifupdown": True, "ifenslave": True, "netplan": False}}}


@pytest.fixture(scope="module")
def results(uml):
    reason = uml_harness.initscripts_unavailable_reason()
    if reason:
        pytest.fail(f"initscripts harness unavailable: {reason}")
    return uml.run([SCENARIO, DEBIAN], minion_opts=MINION)


@pytest.fixture(scope="module")
def result(results):
    return results["ifup"]


@pytest.fixture(scope="module")
def debian(results):
    return results["ifupdown"]


def live(result, step_id):
    return result.state(step_id)["changes"]["live"]


def files(result, step_id):
    return sorted(os.path.basename(p) for p in result.stdout_ok(step_id).split())


def test_real_initscripts_stand_where_rhel_has_them(result):
    lines = result.stdout("clean").split()
    assert lines == [f"{SCRIPTS}/ifup"], lines  # no ifcfg file before the first run
    assert "dev bond0" in result.stdout_ok("zeroconf")


def test_ifup_creates_the_bond_from_nothing(result):
    created = result.state("create")
    assert created["result"] is True, created
    assert created["changes"]["live"]["bond0"] == {"done": ["bond0: ifup"], "bounced": False}
    assert created["changes"]["live"]["bond1"] == {"done": ["bond1: ifup"], "bounced": False}
    assert "bond0 is live and verified." in created["comment"]
    assert result.stdout("slaves-created").split() == ["va", "vb"]
    assert result.stdout("updelay-created") == "200\n"  # BONDING_OPTS, by initscripts
    assert " 0% packet loss" in result.stdout_ok("ping-created")


def test_an_unchanged_bond_is_not_touched(result):
    same = result.state("same")
    assert same["result"] is True and same["changes"] == {}, same


def test_test_mode_lists_the_operations_and_runs_none(result):
    preview = result.state("preview")
    assert preview["result"] is None
    assert preview["changes"]["live"] == {"bond0": BOUNCE}
    assert result.stdout("miimon-preview") == "100\n"
    assert result.stdout("ifindex-preview") == result.stdout("ifindex-created")


def test_an_option_change_bounces_the_bond(result):
    changed = result.state("options")
    assert changed["changes"]["live"] == {"bond0": {"done": BOUNCE, "bounced": True}}
    assert "bond0 is live (bounced) and verified." in changed["comment"]
    assert result.stdout("miimon-live") == "200\n"
    # Deleted and created again: a new interface index.
    assert result.stdout("ifindex-options") != result.stdout("ifindex-created")
    assert " 0% packet loss" in result.stdout_ok("ping-options")


def test_an_option_removed_from_pillar_goes_back_to_the_kernel_default(result):
    assert result.stdout("updelay-created") == "200\n"
    assert result.stdout("updelay-dropped") == "0\n"
    # initscripts' ifdown + ifup alone leave it: why the activator deletes the bond.
    result.stdout_ok("stale-bounce")
    assert result.stdout("updelay-stale") == "200\n"
    result.stdout_ok("stale-reset")


def test_a_slave_is_removed_and_another_added(result):
    assert live(result, "slaves") == {"bond0": {"done": BOUNCE, "bounced": True}}
    assert result.stdout("slaves-swapped").split() == ["va", "vc"]
    (vb,) = json.loads(result.stdout_ok("vb-after-swap"))
    assert "master" not in vb, vb
    swapped = files(result, "files-after-swap")
    assert "ifcfg-vb" not in swapped and "ifcfg-vc" in swapped, swapped
    assert " 0% packet loss" in result.stdout_ok("ping-swapped")


def test_a_vlan_is_brought_up_and_removed(result):
    assert live(result, "add-vlan") == {"bond0": {"done": [*BOUNCE, "bond0.100: ifup"],
                                                  "bounced": True}}
    assert " 0% packet loss" in result.stdout_ok("ping-vlan")
    assert live(result, "remove-vlan") == {"bond0": {"done": BOUNCE, "bounced": True}}
    assert result.step("vlan-gone")["rc"] != 0
    assert "ifcfg-bond0.100" not in files(result, "files-after-vlan")


def test_a_mode_change(result):
    mode = result.state("mode")
    assert mode["changes"]["live"] == {"bond0": {"done": BOUNCE, "bounced": True}}
    assert "bond0 is live (bounced) and verified." in mode["comment"]
    assert result.stdout("mode-live") == "balance-xor 2\n"
    assert result.stdout("xmit-live") == "layer2+3 2\n"
    assert " 0% packet loss" in result.stdout_ok("ping-mode")


def test_an_address_that_cuts_the_host_off_is_rolled_back(result):
    failed = result.state("wrong-address", rc=1)
    assert failed["result"] is False and failed["changes"] == {}
    assert failed["comment"].startswith(
        "verification failed: 192.0.2.1 unreachable through bond0 after 5 s"), failed["comment"]
    assert "rolled back the kernel (bond0)" in failed["comment"]
    (link,) = json.loads(result.stdout_ok("addr-after-wrong"))
    assert [a["local"] for a in link["addr_info"] if a["family"] == "inet"] == ["192.0.2.10"]
    assert result.stdout_ok("file-after-wrong") == "IPADDR=192.0.2.10\n"
    assert result.stdout("mode-after-wrong") == "balance-xor 2\n"
    assert " 0% packet loss" in result.stdout_ok("ping-after-wrong")


def test_an_unchanged_bond_keeps_its_active_slave_and_counts_throughout(result):
    before, after = result.stdout("bond1-before"), result.stdout("bond1-after")
    assert "Currently Active Slave: vd" in before and "Currently Active Slave: vd" in after
    assert link_failures(after) == link_failures(before) == {"vd": "0", "ve": "0"}
    for step_id in ("options", "slaves", "add-vlan", "remove-vlan", "mode", "remove"):
        assert list(live(result, step_id)) == ["bond0"], step_id


def test_a_bond_removed_from_pillar_leaves_the_kernel(result):
    assert live(result, "remove") == {"bond0": {"done": ["bond0 removed"], "bounced": False}}
    assert result.step("gone")["rc"] != 0
    assert files(result, "files-after-remove") == ["ifcfg-bond1", "ifcfg-vd", "ifcfg-ve"]


def test_nothing_reaches_the_host(result):
    # The overlays kept every write inside the kernel: the host has neither the files
    # the state wrote nor the links the harness made.
    assert result.stdout_ok("files-after-remove")
    assert not os.path.lexists(f"{SCRIPTS}/ifcfg-bond1")
    assert os.path.realpath("/usr/bin/ipcalc") != "/usr/bin/ipcalc-ng"


# -- Debian's ifup --------------------------------------------------------------------
DEB_BOUNCE = ["bond0.100: ifdown", "bond0: ifdown", "bond0 deleted", "bond0: ifup",
              "bond0.100: ifup"]


def test_debians_own_ifup_and_ifenslave_run(debian):
    ifup, hooks = debian.stdout_ok("deb-ifup").split("\n", 1)
    assert ifup == "/usr/sbin/ifup" and "ifenslave" in hooks.split()


def test_debians_ifup_brings_our_stanza_file_up(debian):
    created = debian.state("deb-create")
    assert created["result"] is True, created
    assert created["changes"]["live"] == {"bond0": {"done": ["bond0: ifup", "bond0.100: ifup"],
                                                    "bounced": False}}
    assert "bond0 is live and verified." in created["comment"]
    assert "    bond-primary vb\n" in debian.stdout_ok("deb-file")
    assert " 0% packet loss" in debian.stdout_ok("deb-ping")
    assert " 0% packet loss" in debian.stdout_ok("deb-ping-vlan")
    assert debian.state("deb-same")["changes"] == {}


def test_a_change_is_brought_up_by_ifup_afresh(debian):
    changed = debian.state("deb-changed")
    assert changed["changes"]["live"] == {"bond0": {"done": DEB_BOUNCE, "bounced": True}}
    assert debian.stdout("deb-miimon") == "200\n"
    assert " 0% packet loss" in debian.stdout_ok("deb-ping-changed")
    removed = debian.state("deb-remove")["changes"]["live"]["bond0"]
    assert removed["done"][:2] == ["bond0.100: ifdown", "bond0: ifdown"], removed
    assert removed["done"][-1] == "bond0 removed" and removed["bounced"] is False
    assert debian.step("deb-gone")["rc"] != 0


def test_ifup_leaves_the_kernel_as_activate_kernel_does(debian):
    kernel = debian.state("deb-kernel")
    assert kernel["result"] is True, kernel
    assert " 0% packet loss" in debian.stdout_ok("deb-ping-kernel")
    by_ifup = meaning.running_after(debian, "ifup")
    assert by_ifup == meaning.running_after(debian, "kernel")
    # ...and both are the pillar's: every option it gives, the MTU, address, VLAN, route.
    bond0 = by_ifup["bond0"]
    assert {k: bond0["options"][k] for k in ("miimon", "updelay", "downdelay", "primary",
                                             "primary_reselect", "fail_over_mac",
                                             "num_grat_arp")} == {
        "miimon": "100", "updelay": "200", "downdelay": "100", "primary": "vb",
        "primary_reselect": "better", "fail_over_mac": "active", "num_grat_arp": "3"}
    assert bond0["mtu"] == 1400 and by_ifup["bond0.100"]["parent"] == "bond0", by_ifup
