"""``activate: kernel`` against the real bonding driver, in one user-mode-linux boot.

Inside the kernel, ``salt-call state.high`` applies pillar ``live`` (given on
the command line) step by step to one host with five veth pairs behind a
bridged neighbour (192.0.2.1, VLAN 100: 198.51.100.1): bond0 created from
nothing and pinging; a live option changed in place; a slave added and
another released while a ping runs through the active one (no loss, no
bounce); a VLAN added and removed; the mode changed (the bond bounced, and
said so); nothing done when nothing changed; ``test=True`` listing the
operations; a change that fails half way (a slave that does not exist), one
that fails verification (an ARP monitor whose target never answers) and one
that cuts the host off (an address in another subnet, caught by ``verify:
ping``) all rolled back, kernel and files, with the neighbour answering again;
slave settings (queue_id, prio) set, changed and removed live on bond1 by the kernel
activator's plan and run; and the bond removed with its pillar. bond1, in every step's
pillar and not changed until the hand-over, is touched by none of the steps before it:
same active slave, same link failure counts.
"""

import json
import re
import shlex
import sys
from pathlib import Path

import pytest

from tests.harness.uml import link_failures

pytestmark = pytest.mark.kernel

BOND = {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100,
        "ipaddr": "192.0.2.10", "prefix": 24, "verify": {"ping": "192.0.2.1"}}
# Never changed: through every step it keeps its active slave and link failure counts.
BOND1 = {"mode": "active-backup", "slaves": ["vd", "ve"], "miimon": 100, "primary": "vd"}
PING_LOG = "/run/ping-during-slave-changes"
MIIMON = "/sys/class/net/bond0/bonding/miimon"
IFCFG = "/run/bond-activate/network-scripts"  # bond.ifcfg_dir, a tmpfs inside the kernel
IPROUTE_COMPARE = Path(__file__).resolve().parents[1] / "harness" / "iproute_compare.py"
ROUTE_QUESTIONS = ["192.0.2.1", "198.51.100.1", "203.0.113.5", "2001:db8::1", "127.0.0.1"]
# Made as the kernel activator makes them (over netlink, as ip would), then undone the same way.
NS_TARGETS = "2001:db8::1,fe80::2"
NETLINK_CHANGES = ["link add bond7 type bond", "link set bond7 mtu 1400",
                   f"link set bond7 type bond ns_ip6_target {NS_TARGETS}", "link set bond7 up",
                   "link add link bond7 name bond7.200 type vlan id 200",
                   "addr add 203.0.113.7/24 dev bond7.200", "addr add 2001:db8::10/64 dev bond0",
                   "-4 route replace default via 192.0.2.1 dev bond0",
                   "-6 route replace default via 2001:db8::1 dev bond0"]
NETLINK_UNDO = ["-6 route del default via 2001:db8::1 dev bond0",
                "-4 route del default via 192.0.2.1 dev bond0",
                "addr del 2001:db8::10/64 dev bond0", "addr del 203.0.113.7/24 dev bond7.200",
                "link set bond7 down", "link del bond7.200", "link del bond7"]
DYNAMIC = "192.0.2.77/24 dev bond1"  # an address with a lifetime: "dynamic"


def compare(changes):
    return shlex.join([sys.executable, str(IPROUTE_COMPARE),
                       *(f"--change={change}" for change in changes), *ROUTE_QUESTIONS])


# Between the two: bond7's NS targets as ip shows them (the 6.1 driver has no sysfs file
# for them), then emptied (as the kernel planner clears them) and shown again.
NS_EMPTIED = ["link set bond7 type bond ns_ip6_target ''"]
NS_READ = "ip -d -j link show bond7"
NETLINK_STEP = (f"ip addr add {DYNAMIC} valid_lft 300 preferred_lft 300 && "
                f"{compare(NETLINK_CHANGES)} && {NS_READ} && "
                f"{compare(NS_EMPTIED)} >/dev/null && "
                f"{NS_READ} && ip addr del {DYNAMIC} && {compare(NETLINK_UNDO)}")
# What the "mode" step applies: also, for bond.verify, the minion's pillar ``live`` for a
# moment (then empty again: a pillar given on the command line is merged into it).
AFTER_MODE = {"bond0": {**BOND, "miimon": 200, "slaves": ["va", "vc"], "mode": "balance-xor",
                        "xmit_hash_policy": "layer2+3"}}

# The bond's own MAC, set live in place (and kept by the steps after, which do not say).
MACADDR = "02:00:00:00:be:01"
WITH_MAC = {"bond0": {**AFTER_MODE["bond0"], "macaddr": MACADDR}}


# bond0 after the hand-over, taking ve from bond1 and giving it vd.
TRADED = {**AFTER_MODE["bond0"], "slaves": ["va", "vc", "ve"]}
BOND1_VD = {"mode": "active-backup", "slaves": ["vd"], "miimon": 100}
# Per-slave settings on bond1 (active-backup: both apply), set live, changed, removed by
# the kernel activator's plan and run (kernel_apply.py: the files activate: kernel goes
# with, for network-scripts, refuse them), compared with the pillar as its verify does.
KERNEL_APPLY = Path(__file__).resolve().parents[1] / "harness" / "kernel_apply.py"
PORTS = {**BOND1_VD, "slaves": {"vd": {"queue_id": 3, "prio": 10}, "vb": {"prio": -5}}}
PORTS_CHANGED = {**BOND1_VD, "slaves": {"vd": {"queue_id": 4, "prio": 20},
                                        "vb": {"prio": 7}}}
# Read independently of the module: ip's info_slave_data, and /proc's "Slave queue ID".
PORTS_READ = ["bash", "-c", "ip -d -j link show vd && ip -d -j link show vb; "
                            "cat /proc/net/bonding/bond1"]


def apply(step_id, bonds, *extra, **top):
    pillar = {"live": {"activate": "kernel", **top, "bonds": {"bond1": BOND1, **bonds}}}
    return {"id": step_id, "salt": ["state.high", json.dumps({"live": {"bond": ["reconciled"]}}),
                                    f"pillar={json.dumps(pillar)}", *extra]}


def read(step_id, path):
    return {"id": step_id, "read": path}


def ping(step_id):
    return {"id": step_id, "run": ["ping", "-c1", "-w10", "192.0.2.1"]}


SCENARIO = {
    "name": "activate",
    "veths": [["va", "pa"], ["vb", "pb"], ["vc", "pc"], ["vd", "pd"], ["ve", "pe"]],
    "neighbour": {"peers": ["pa", "pb", "pc", "pd", "pe"], "addresses": ["192.0.2.1/24"],
                  "vlans": [{"id": 100, "addresses": ["198.51.100.1/24"]}]},
    "steps": [
        {"id": "mkdir", "run": ["mkdir", "-p", IFCFG]},
        apply("create", {"bond0": BOND}),
        read("slaves-created", "/sys/class/net/bond0/bonding/slaves"),
        ping("ping-created"),
        read("bond1-before", "/proc/net/bonding/bond1"),
        apply("same", {"bond0": BOND}),
        apply("preview", {"bond0": {**BOND, "miimon": 200}}, "test=True"),
        read("miimon-preview", "/sys/class/net/bond0/bonding/miimon"),
        # verify.master under salt-call --local: no master to ask, said
        apply("miimon", {"bond0": {**BOND, "miimon": 200,
                                   "verify": {"ping": "192.0.2.1", "master": True}}}),
        read("miimon-live", "/sys/class/net/bond0/bonding/miimon"),
        # A slave added, then another released, while ping runs through the active one.
        {"id": "ping-start", "run": ["bash", "-c", f"setsid ping -n -i 0.2 -w 20 192.0.2.1 "
                                                   f"> {PING_LOG} 2>&1 < /dev/null &"]},
        apply("add", {"bond0": {**BOND, "miimon": 200, "slaves": ["va", "vb", "vc"]}}),
        read("slaves-added", "/sys/class/net/bond0/bonding/slaves"),
        apply("swap", {"bond0": {**BOND, "miimon": 200, "slaves": ["va", "vc"]}}),
        read("slaves-swapped", "/sys/class/net/bond0/bonding/slaves"),
        {"id": "ping-during", "run": ["bash", "-c", f"while pgrep -x ping >/dev/null; do "
                                                    f"sleep 0.5; done; tail -2 {PING_LOG}"]},
        ping("ping-swapped"),
        apply("add-vlan", {"bond0": {**BOND, "miimon": 200, "slaves": ["va", "vc"], "vlans": {
            100: {"ipaddr": "198.51.100.10", "prefix": 24}}}}),
        {"id": "ping-vlan", "run": ["ping", "-c1", "-w10", "198.51.100.1"]},
        # Activation reads the kernel over netlink: the same as ip says, here with bonds,
        # slaves, a VLAN, veths whose peers are in another namespace, v4 and v6
        # addresses (one dynamic), without and with default routes of both families.
        {"id": "netlink-no-routes", "run": [sys.executable, str(IPROUTE_COMPARE),
                                            *ROUTE_QUESTIONS]},
        {"id": "netlink-routes", "run": ["bash", "-c", NETLINK_STEP]},
        apply("remove-vlan", {"bond0": {**BOND, "miimon": 200, "slaves": ["va", "vc"]}}),
        {"id": "vlan-gone", "run": ["ip", "link", "show", "bond0.100"]},
        apply("mode", AFTER_MODE),
        read("mode-live", "/sys/class/net/bond0/bonding/mode"),
        ping("ping-mode"),
        # Drift: none after the apply; then miimon changed in sysfs and a file by hand.
        {"pillar": {"live": {"activate": "kernel", "bonds": {"bond1": BOND1, **AFTER_MODE}}}},
        {"id": "verify-clean", "salt": ["bond.verify", "name=live"]},
        {"id": "by-hand", "run": ["bash", "-c", f"echo 300 > {MIIMON} && "
                                                f"echo MTU=9000 >> {IFCFG}/ifcfg-vc"]},
        {"id": "verify-drift", "salt": ["bond.verify", "name=live"]},
        {"pillar": {}},
        {"id": "undo", "run": ["sed", "-i", "/^MTU=9000$/d", f"{IFCFG}/ifcfg-vc"]},
        # The files in place, the kernel not (miimon 300): activate brings it back.
        apply("drift-preview", AFTER_MODE, "test=True"),
        apply("drift-repaired", AFTER_MODE),
        read("miimon-repaired", MIIMON),
        apply("drift-none", AFTER_MODE),
        # The bond's own MAC, set in place; sysfs, ip and bond.verify agree.
        apply("macaddr", WITH_MAC),
        read("mac-sysfs", "/sys/class/net/bond0/address"),
        {"id": "mac-ip", "run": ["ip", "-j", "link", "show", "bond0"]},
        ping("ping-mac"),
        {"pillar": {"live": {"activate": "kernel", "bonds": {"bond1": BOND1, **WITH_MAC}}}},
        {"id": "mac-verify", "salt": ["bond.verify", "name=live"]},
        {"id": "mac-status", "salt": ["bond.status", "bond0"]},
        {"pillar": {}},
        # Fails half way: a slave that is not there. Kernel and files go back.
        apply("missing-slave", {"bond0": {**BOND, "miimon": 300, "slaves": ["va", "vx"]}}),
        read("mode-after-missing", "/sys/class/net/bond0/bonding/mode"),
        read("miimon-after-missing", "/sys/class/net/bond0/bonding/miimon"),
        read("slaves-after-missing", "/sys/class/net/bond0/bonding/slaves"),
        ping("ping-after-missing"),
        # Fails verification: ARP monitoring of an address nobody answers, counting only
        # replies (arp_validate all: the neighbour's other traffic would keep slaves up),
        # leaves no slave up.
        apply("unanswered", {"bond0": {**BOND, "mode": "active-backup", "miimon": 0,
                                       "arp_interval": 100, "arp_validate": "all",
                                       "arp_ip_target": ["192.0.2.99"]}}),
        read("mode-after-unanswered", "/sys/class/net/bond0/bonding/mode"),
        read("arp-after-unanswered", "/sys/class/net/bond0/bonding/arp_interval"),
        ping("ping-after-unanswered"),
        # Cuts the host off: an address in another subnet; verify: ping catches it.
        apply("wrong-address", {"bond0": {**BOND, "miimon": 200, "slaves": ["va", "vc"],
                                          "mode": "balance-xor", "xmit_hash_policy": "layer2+3",
                                          "ipaddr": "203.0.113.10"}}),
        {"id": "addr-after-wrong", "run": ["ip", "-j", "addr", "show", "dev", "bond0"]},
        ping("ping-after-wrong"),
        read("bond1-after", "/proc/net/bonding/bond1"),
        # A slave handed from bond1 to bond0 in one run: bond1 lets it go first.
        apply("hand-over", {"bond0": {**AFTER_MODE["bond0"], "slaves": ["va", "vc", "vd"]},
                            "bond1": {"mode": "active-backup", "slaves": ["ve"],
                                      "miimon": 100}}),
        read("bond0-taken", "/sys/class/net/bond0/bonding/slaves"),
        read("bond1-given", "/sys/class/net/bond1/bonding/slaves"),
        # Two bonds trading slaves in one run: each released before either is enslaved.
        apply("trade", {"bond0": TRADED, "bond1": BOND1_VD}),
        read("bond0-traded", "/sys/class/net/bond0/bonding/slaves"),
        read("bond1-traded", "/sys/class/net/bond1/bonding/slaves"),
        # A slave held by a bond made by hand: refused before anything changes.
        {"id": "by-hand-bond", "run": ["bash", "-c", "ip link add bond9 type bond && "
                                       "ip link set vb down && ip link set vb master bond9 && "
                                       "ip link set bond9 up"]},
        apply("foreign", {"bond0": {**TRADED, "slaves": ["va", "vc", "ve", "vb"]},
                          "bond1": BOND1_VD}),
        read("bond9-kept", "/sys/class/net/bond9/bonding/slaves"),
        read("bond0-kept", "/sys/class/net/bond0/bonding/slaves"),
        {"id": "by-hand-bond-gone", "run": ["ip", "link", "del", "bond9"]},
        # Per-slave settings: set after enslaving (vb) and on a kept slave (vd), read back
        # by ip and /proc, reported by bond.status; changed in place; removed: back to 0.
        {"id": "ports", "run": [sys.executable, str(KERNEL_APPLY), json.dumps({"bond1": PORTS})]},
        {"id": "ports-read", "run": PORTS_READ},
        {"id": "ports-status", "salt": ["bond.status", "bond1"]},
        {"id": "ports-changed", "run": [sys.executable, str(KERNEL_APPLY),
                                        json.dumps({"bond1": PORTS_CHANGED})]},
        {"id": "ports-changed-read", "run": PORTS_READ},
        {"id": "ports-removed", "run": [sys.executable, str(KERNEL_APPLY),
                                        json.dumps({"bond1": BOND1_VD})]},
        {"id": "ports-removed-read", "run": PORTS_READ},
        # The bond carrying the default route: its removal refused until it is meant.
        apply("gateway", {"bond0": {**TRADED, "gateway": "192.0.2.1"},
                          "bond1": BOND1_VD}),
        apply("remove-refused", {}),
        {"id": "default-kept", "run": ["ip", "-4", "route", "show", "default"]},
        read("ifcfg-kept", f"{IFCFG}/ifcfg-bond0"),
        apply("remove", {}, allow_cutoff=True),
        {"id": "gone", "run": ["ip", "link", "show", "bond0"]},
    ],
}


@pytest.fixture(scope="module")
def result(uml, tmp_path_factory):
    return uml.run([SCENARIO], minion_opts={"bond.ifcfg_dir": IFCFG})["activate"]


def test_netlink_reads_the_kernel_as_ip_does(result):
    without = json.loads(result.stdout_ok("netlink-no-routes"))
    lines = result.stdout_ok("netlink-routes").splitlines()
    with_routes, undone = json.loads(lines[0]), json.loads(lines[-1])
    # NS targets set over netlink (netlink.set_bond_option), as ip shows them (and
    # netlink.read, compared with ip's in every line); then emptied.
    (bond7,) = json.loads(lines[1])
    assert bond7["linkinfo"]["info_data"]["ns_ip6_target"] == NS_TARGETS.split(","), bond7
    (emptied,) = json.loads(lines[2])
    assert not emptied["linkinfo"]["info_data"].get("ns_ip6_target"), emptied
    for seen in (without, with_routes, undone):
        assert seen["netlink"] == seen["ip"]
        for address, devices in seen["route_get"].items():
            assert devices["netlink"] == devices["ip"], address
    links = {link["ifname"]: link for link in with_routes["netlink"]["links"]}
    # What the comparison covered, so that it compared something.
    assert (links["va"]["master"], links["vd"]["master"]) == ("bond0", "bond1")
    assert links["bond0.100"]["linkinfo"] == {"info_kind": "vlan", "info_data": {"id": 100}}
    assert links["bond0.100"]["link"] == "bond0"
    # What the activator made over netlink, as ip sees it.
    assert links["bond7"]["linkinfo"] == {"info_kind": "bond", "info_data": {
        "ns_ip6_target": NS_TARGETS.split(",")}}  # read by netlink.read as ip shows them
    assert links["bond7"]["mtu"] == 1400
    assert links["bond7.200"]["linkinfo"]["info_data"] == {"id": 200}
    assert {"family": "inet", "local": "203.0.113.7", "prefixlen": 24,
            "scope": "global"} in links["bond7.200"]["addr_info"]
    assert {"family": "inet6", "local": "2001:db8::10", "prefixlen": 64,
            "scope": "global"} in links["bond0"]["addr_info"]
    assert {"family": "inet", "local": "192.0.2.77", "prefixlen": 24, "scope": "global",
            "dynamic": True} in links["bond1"]["addr_info"]
    assert with_routes["netlink"]["routes"] == [
        {"dst": "default", "gateway": "192.0.2.1", "dev": "bond0"},
        {"dst": "default", "gateway": "2001:db8::1", "dev": "bond0"}]
    assert without["netlink"]["routes"] == [] == undone["netlink"]["routes"]
    after = {link["ifname"]: link for link in undone["netlink"]["links"]}
    assert "bond7" not in after and "bond7.200" not in after
    assert not any(a["family"] == "inet6" and a["scope"] == "global"
                   for a in after["bond0"]["addr_info"])
    assert without["route_get"]["203.0.113.5"]["netlink"] is None
    assert with_routes["route_get"]["203.0.113.5"]["netlink"] == "bond0"
    assert with_routes["route_get"]["198.51.100.1"]["netlink"] == "bond0.100"


def test_a_new_bond_is_created_live_and_answers(result):
    created = result.state("create")
    assert created["result"] is True, created
    done = created["changes"]["live"]["bond0"]
    assert done["bounced"] is False
    assert done["done"][:2] == ["bond0 created", "bond0: mode unset -> active-backup"]
    assert "bond0: address 192.0.2.10/24 added" in done["done"]
    assert "bond0 is live and verified." in created["comment"]
    assert result.stdout("slaves-created").split() == ["va", "vb"]
    assert " 0% packet loss" in result.stdout_ok("ping-created")


def test_an_unchanged_bond_is_not_touched(result):
    same = result.state("same")
    assert same["result"] is True and same["changes"] == {}, same


def test_test_mode_lists_the_operations_and_runs_none(result):
    preview = result.state("preview")
    assert preview["result"] is None
    assert preview["changes"]["live"] == {"bond0": ["bond0: miimon 100 -> 200"]}
    assert result.stdout("miimon-preview") == "100\n"
    assert "Would arm a rollback timer (120 s) before the change." in preview["comment"]


def test_a_live_option_changes_in_place(result):
    changed = result.state("miimon")
    assert changed["changes"]["live"] == {"bond0": {"done": ["bond0: miimon 100 -> 200"],
                                                      "bounced": False}}
    assert result.stdout("miimon-live") == "200\n"
    assert changed["result"] is True and changed["warnings"] == [
        "verify.master skipped: this run has no Salt master (salt-call --local); the bonds "
        "were verified without it"], changed
    assert re.search(r"^Rollback timer armed \(120 s, process \d+\) and disarmed\.$",
                     changed["comment"], re.M), changed["comment"]


def test_slaves_are_added_and_released_without_a_bounce_or_a_lost_ping(result):
    added = result.state("add")
    assert added["changes"]["live"]["bond0"] == {"done": [
        "bond0: vc down to be enslaved", "bond0: vc enslaved"], "bounced": False}
    assert result.stdout("slaves-added").split() == ["va", "vb", "vc"]
    swapped = result.state("swap")
    assert swapped["changes"]["live"]["bond0"] == {"done": ["bond0: vb released"],
                                                   "bounced": False}
    assert result.stdout("slaves-swapped").split() == ["va", "vc"]
    assert " 0% packet loss" in result.stdout_ok("ping-during"), result.stdout("ping-during")
    assert " 0% packet loss" in result.stdout_ok("ping-swapped")


def test_a_vlan_is_added_and_removed_in_place(result):
    added = result.state("add-vlan")
    assert added["changes"]["live"]["bond0"] == {"done": [
        "bond0.100 created (VLAN 100 on bond0)", "bond0.100 up",
        "bond0.100: address 198.51.100.10/24 added"], "bounced": False}
    assert " 0% packet loss" in result.stdout_ok("ping-vlan")
    removed = result.state("remove-vlan")
    assert removed["changes"]["live"]["bond0"] == {"done": ["bond0.100 removed"],
                                                   "bounced": False}
    assert result.step("vlan-gone")["rc"] != 0


def test_a_mode_change_bounces_the_bond_and_says_so(result):
    mode = result.state("mode")
    kernel = mode["changes"]["live"]["bond0"]
    assert kernel["bounced"] is True
    assert "bond0: mode active-backup -> balance-xor" in kernel["done"]
    assert "bond0 is live (bounced) and verified." in mode["comment"]
    assert result.stdout("mode-live") == "balance-xor 2\n"
    assert " 0% packet loss" in result.stdout_ok("ping-mode")


def test_the_bonds_mac_address_is_set_in_place_and_verified(result):
    changed = result.state("macaddr")
    assert changed["result"] is True, changed
    done = changed["changes"]["live"]["bond0"]
    assert done["bounced"] is False and len(done["done"]) == 1, done
    assert done["done"][0].startswith("bond0: MAC ") and done["done"][0].endswith(
        f" -> {MACADDR}"), done
    assert "+MACADDR=02:00:00:00:be:01" in changed["changes"][f"{IFCFG}/ifcfg-bond0"]["diff"]
    assert result.stdout("mac-sysfs").strip() == MACADDR
    (link,) = json.loads(result.stdout_ok("mac-ip"))
    assert link["address"] == MACADDR
    assert " 0% packet loss" in result.stdout_ok("ping-mac")
    verified, retcode = result.salt("mac-verify")
    assert retcode == 0 and verified["drifted"] is False, verified
    status, _ = result.salt("mac-status")
    assert status["bond0"]["macaddr"] == MACADDR, status


def test_a_failing_step_puts_kernel_and_files_back(result):
    failed = result.state("missing-slave", rc=1)
    assert failed["result"] is False and failed["changes"] == {}
    assert failed["comment"].startswith("bond0: vx down to be enslaved: ip link set vx down:")
    assert "rolled back the kernel (bond0)" in failed["comment"]
    assert result.stdout("mode-after-missing") == "balance-xor 2\n"
    assert result.stdout("miimon-after-missing") == "200\n"
    assert result.stdout("slaves-after-missing").split() == ["va", "vc"]
    assert " 0% packet loss" in result.stdout_ok("ping-after-missing")


def test_a_change_that_fails_verification_is_rolled_back(result):
    failed = result.state("unanswered", rc=1)
    assert failed["result"] is False and failed["changes"] == {}
    assert failed["comment"].startswith("verification failed: "), failed["comment"]
    assert "rolled back the kernel (bond0)" in failed["comment"]
    assert result.stdout("mode-after-unanswered") == "balance-xor 2\n"
    assert result.stdout("arp-after-unanswered") == "0\n"
    assert " 0% packet loss" in result.stdout_ok("ping-after-unanswered")


def test_an_address_that_cuts_the_host_off_is_rolled_back(result):
    failed = result.state("wrong-address", rc=1)
    assert failed["result"] is False and failed["changes"] == {}
    assert failed["comment"].startswith(
        "verification failed: 192.0.2.1 unreachable through bond0 after 5 s"), failed["comment"]
    assert "rolled back the kernel (bond0)" in failed["comment"]
    (link,) = json.loads(result.stdout_ok("addr-after-wrong"))
    assert [a["local"] for a in link["addr_info"] if a["family"] == "inet"] == ["192.0.2.10"]
    assert " 0% packet loss" in result.stdout_ok("ping-after-wrong")


def test_an_unchanged_bond_keeps_its_active_slave_and_counts_throughout(result):
    before, after = result.stdout("bond1-before"), result.stdout("bond1-after")
    assert "Currently Active Slave: vd" in before and "Currently Active Slave: vd" in after
    assert link_failures(after) == link_failures(before) == {"vd": "0", "ve": "0"}
    created = result.state("create")
    assert sorted(created["changes"]["live"]) == ["bond0", "bond1"]
    for step_id in ("miimon", "add", "swap", "mode"):
        assert list(result.state(step_id)["changes"]["live"]) == ["bond0"]


def test_a_slave_handed_from_one_bond_to_another_in_one_run(result):
    handed = result.state("hand-over")
    assert handed["result"] is True, handed
    assert list(handed["changes"]["live"]) == ["bond1", "bond0"]
    assert "bond1: vd released" in handed["changes"]["live"]["bond1"]["done"]
    assert "bond0: vd enslaved" in handed["changes"]["live"]["bond0"]["done"]
    assert result.stdout("bond0-taken").split() == ["va", "vc", "vd"]
    assert result.stdout("bond1-given").split() == ["ve"]


def test_verify_finds_no_drift_after_an_apply_and_what_was_changed_by_hand(result):
    clean, retcode = result.salt("verify-clean")
    assert retcode == 0 and clean["drifted"] is False, clean
    assert clean["bonds"] == {"bond0": {"files": [], "kernel": []},
                              "bond1": {"files": [], "kernel": []}}
    drift, retcode = result.salt("verify-drift")
    assert retcode == 1 and drift["drifted"] is True, drift
    assert drift["bonds"]["bond0"] == {
        "files": [f"{IFCFG}/ifcfg-vc: differs from pillar (changed by hand?)"],
        "kernel": ["bond0: still to do: bond0: miimon 300 -> 200",
                   "bond0 miimon 300, desired 200"]}, drift
    assert drift["bonds"]["bond1"] == {"files": [], "kernel": []}
    assert drift["unknown"] == [] and drift["host"] == []


def test_a_kernel_drifted_from_files_in_place_is_brought_back(result):
    preview = result.state("drift-preview")
    assert preview["result"] is None, preview
    assert preview["changes"] == {"live": {"bond0": ["bond0: miimon 300 -> 200"]}}
    assert ("Would bring bond0 live (the kernel had drifted from its files: bond0: miimon "
            "300 -> 200).") in preview["comment"]
    repaired = result.state("drift-repaired")
    assert repaired["result"] is True, repaired
    assert repaired["changes"] == {"live": {"bond0": {"done": ["bond0: miimon 300 -> 200"],
                                                      "bounced": False}}}
    assert repaired["comment"].startswith("The files are in place.")
    assert ("bond0 is live (the kernel had drifted from its files: bond0: miimon 300 -> 200) "
            "and verified.") in repaired["comment"]
    assert result.stdout("miimon-repaired").strip() == "200"
    again = result.state("drift-none")
    assert again["result"] is True and again["changes"] == {}, again


def test_two_bonds_trading_slaves_in_one_run(result):
    traded = result.state("trade")
    assert traded["result"] is True, traded
    done = [says for bond in traded["changes"]["live"].values() for says in bond["done"]]
    assert "bond0: vd released" in done and "bond1: ve released" in done
    assert result.stdout("bond0-traded").split() == ["va", "vc", "ve"]
    assert result.stdout("bond1-traded").split() == ["vd"]


def test_a_slave_of_a_bond_outside_the_run_is_refused_and_nothing_changes(result):
    refused = result.state("foreign", rc=1)
    assert refused["result"] is False and refused["changes"] == {}, refused
    assert refused["comment"].startswith("No files changed. live:bonds:bond0:slaves: vb is a "
                                         "slave of bond9, which this run does not change")
    assert result.stdout("bond9-kept").split() == ["vb"]
    assert result.stdout("bond0-kept").split() == ["va", "vc", "ve"]


def slave_settings(text):
    """``({slave: info_slave_data}, {slave: /proc's Slave queue ID})`` of a PORTS_READ."""
    decoder, seen, offset = json.JSONDecoder(), {}, 0
    while text[offset:].lstrip().startswith("["):
        offset += len(text[offset:]) - len(text[offset:].lstrip())
        (link,), offset = decoder.raw_decode(text, offset)
        seen[link["ifname"]] = link["linkinfo"].get("info_slave_data")
    proc = dict(re.findall(r"Slave Interface: (\S+)\n(?:.*\n)*?Slave queue ID: (\d+)",
                           text[offset:]))
    return seen, {name: int(queue) for name, queue in proc.items()}


def test_slave_settings_are_set_changed_and_removed_live(result):
    applied = json.loads(result.stdout_ok("ports"))
    done = applied["done"]
    assert [step for step in done if "queue_id" in step or "prio" in step] == [
        "bond1: vd queue_id 0 -> 3", "bond1: vd prio 0 -> 10", "bond1: vb prio 0 -> -5"], done
    assert done.index("bond1: vb enslaved") < done.index("bond1: vb prio 0 -> -5")
    assert applied["differences"] == []  # activation's verify: as pillar says
    seen, proc = slave_settings(result.stdout_ok("ports-read"))
    assert (seen["vd"]["queue_id"], seen["vd"]["prio"]) == (3, 10), seen
    assert (seen["vb"]["queue_id"], seen["vb"]["prio"]) == (0, -5), seen
    assert proc == {"vd": 3, "vb": 0}
    status, _ = result.salt("ports-status")
    assert {name: (slave["queue_id"], slave["prio"])
            for name, slave in status["bond1"]["slaves"].items()} == {"vd": (3, 10),
                                                                      "vb": (0, -5)}, status
    # Changed in place: nothing but the settings that differ.
    changed = json.loads(result.stdout_ok("ports-changed"))
    assert changed == {"done": ["bond1: vd queue_id 3 -> 4", "bond1: vd prio 10 -> 20",
                                "bond1: vb prio -5 -> 7"], "differences": []}
    seen, proc = slave_settings(result.stdout_ok("ports-changed-read"))
    assert ((seen["vd"]["queue_id"], seen["vd"]["prio"]), seen["vb"]["prio"]) == ((4, 20), 7)
    assert proc == {"vd": 4, "vb": 0}
    # Left out of pillar: back to the kernel's 0 (and vb, released, has none).
    removed = json.loads(result.stdout_ok("ports-removed"))
    assert removed == {"done": ["bond1: vb released", "bond1: vd queue_id 4 -> 0",
                                "bond1: vd prio 20 -> 0"], "differences": []}
    seen, proc = slave_settings(result.stdout_ok("ports-removed-read"))
    assert (seen["vd"]["queue_id"], seen["vd"]["prio"]) == (0, 0) and seen["vb"] is None
    assert proc == {"vd": 0}


def test_removing_the_bond_of_the_default_route_is_refused_until_it_is_meant(result):
    assert result.state("gateway")["result"] is True
    refused = result.state("remove-refused", rc=1)
    assert refused["result"] is False and refused["changes"] == {}, refused
    assert ("live:bonds: removing bond0 would cut the default route (IPv4) (through bond0 "
            "now), and the host with it; if that is meant, set live:allow_cutoff: true"
            ) in refused["comment"]
    assert "via 192.0.2.1 dev bond0" in result.stdout("default-kept")
    assert "DEVICE=bond0" in result.stdout("ifcfg-kept")


def test_a_bond_removed_from_pillar_leaves_the_kernel(result):
    removed = result.state("remove")
    # bond1 gets ve back (traded before this step): bond0, removed, lets it go first.
    assert removed["changes"]["live"] == {
        "bond0": {"done": ["bond0 removed"], "bounced": False},
        "bond1": {"done": ["bond1: ve down to be enslaved", "bond1: ve enslaved",
                           "bond1: primary unset -> vd"], "bounced": False}}
    assert list(removed["changes"]["live"]) == ["bond0", "bond1"]
    assert "bond0 is removed from the kernel." in removed["comment"]
    assert "bond0 is live" not in removed["comment"]
    assert result.step("gone")["rc"] != 0
