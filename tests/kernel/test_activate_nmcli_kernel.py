"""``activate: nmcli`` against the real NetworkManager and the real bonding driver, in one
user-mode-linux boot.

NetworkManager (Debian's 1.42, on a private D-Bus, ``tests/harness/agent.py``) runs on
an empty keyfile directory (``bond.keyfile_dir``); ``salt-call state.high`` applies
pillar ``live`` (given on the command line) step by step, with ``format: keyfile`` and
``activate: nmcli``: bond0 over va/vb created from nothing and pinging the neighbour
(192.0.2.1, a bridge in another namespace); an unchanged run touching nothing;
``test=True`` listing the nmcli commands and running none; a live option brought in by
``nmcli device reapply`` (no bounce); a slave's queue_id set and changed (the port
attached again) and gone again, read from /proc; a port added and removed; a VLAN added and
removed; the mode changed (the bond re-activated: bounced, and said so); a change
that breaks reachability (an address in another subnet, caught by ``verify: ping``) and
one that fails half way (a port whose device does not exist) both rolled back, files
and NetworkManager, with the neighbour answering again; and the bond removed with its
pillar. bond1 (vd/ve, never in a changed pillar) keeps its active slave and link
failure counts through all of it.
"""

import json

import pytest

from tests.harness import uml as uml_harness
from tests.harness.uml import link_failures

pytestmark = pytest.mark.kernel

RUN = "/run/bond-nmcli-test"  # a tmpfs inside the kernel
KEYFILES = f"{RUN}/system-connections"
VERIFY = {"ping": "192.0.2.1", "timeout": 5}
BOND0 = {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100,
         "ipaddr": "192.0.2.10", "prefix": 24, "verify": VERIFY}
BOND1 = {"mode": "active-backup", "slaves": ["vd", "ve"], "miimon": 100, "primary": "vd"}


def apply(step_id, bond0, *extra):
    bonds = {"bond1": BOND1, **({"bond0": bond0} if bond0 is not None else {})}
    pillar = {"live": {"format": "keyfile", "activate": "nmcli", "bonds": bonds}}
    return {"id": step_id, "salt": ["state.high", json.dumps({"live": {"bond": ["reconciled"]}}),
                                    f"pillar={json.dumps(pillar)}", *extra]}


def read(step_id, path):
    return {"id": step_id, "read": path}


def ping(step_id):
    return {"id": step_id, "run": ["ping", "-c1", "-w10", "192.0.2.1"]}


def bond1(step_id):
    return read(step_id, "/proc/net/bonding/bond1")


SCENARIO = {
    "name": "nmcli",
    "veths": [["va", "pa"], ["vb", "pb"], ["vc", "pc"], ["vd", "pd"], ["ve", "pe"]],
    "neighbour": {"peers": ["pa", "pb", "pc", "pd", "pe"], "addresses": ["192.0.2.1/24"],
                  "vlans": [{"id": 100, "addresses": ["198.51.100.1/24"]}]},
    "steps": [
        {"id": "clean", "run": ["bash", "-c", 'rm -rf "$1" && mkdir -p "$1"', "-", KEYFILES]},
        {"id": "nm-start", "nm": "start", "keyfile_dir": KEYFILES, "timeout": 90},
        apply("create", BOND0),
        read("slaves-created", "/sys/class/net/bond0/bonding/slaves"),
        ping("ping-created"),
        bond1("bond1-before"),
        read("ifindex-before", "/sys/class/net/bond0/ifindex"),
        apply("same", BOND0),
        apply("preview", {**BOND0, "miimon": 200}, "test=True"),
        read("miimon-preview", "/sys/class/net/bond0/bonding/miimon"),
        apply("miimon", {**BOND0, "miimon": 200}),
        read("miimon-live", "/sys/class/net/bond0/bonding/miimon"),
        read("ifindex-after-miimon", "/sys/class/net/bond0/ifindex"),
        # A slave setting NetworkManager 1.42 keeps (queue-id, since 1.34), set and changed
        # on a kept port: NetworkManager commits it when it attaches the port.
        apply("queue-id", {**BOND0, "miimon": 200, "slaves": {"va": {"queue_id": 2}, "vb": None}}),
        read("queue-id-live", "/proc/net/bonding/bond0"),
        apply("queue-id-changed", {**BOND0, "miimon": 200, "slaves": {"va": {"queue_id": 3},
                                                                      "vb": None}}),
        read("queue-id-changed-live", "/proc/net/bonding/bond0"),
        apply("queue-id-none", {**BOND0, "miimon": 200}),
        read("queue-id-none-live", "/proc/net/bonding/bond0"),
        apply("add-port", {**BOND0, "miimon": 200, "slaves": ["va", "vb", "vc"]}),
        read("slaves-added", "/sys/class/net/bond0/bonding/slaves"),
        apply("remove-port", {**BOND0, "miimon": 200}),
        read("slaves-removed", "/sys/class/net/bond0/bonding/slaves"),
        ping("ping-ports"),
        apply("add-vlan", {**BOND0, "miimon": 200,
                           "vlans": {100: {"ipaddr": "198.51.100.10", "prefix": 24}}}),
        {"id": "ping-vlan", "run": ["ping", "-c1", "-w10", "198.51.100.1"]},
        apply("remove-vlan", {**BOND0, "miimon": 200}),
        {"id": "vlan-gone", "run": ["ip", "link", "show", "bond0.100"]},
        apply("mode", {**BOND0, "miimon": 200, "mode": "balance-xor",
                       "xmit_hash_policy": "layer2+3"}),
        read("mode-live", "/sys/class/net/bond0/bonding/mode"),
        ping("ping-mode"),
        # Breaks reachability: an address in another subnet; verify: ping catches it.
        apply("wrong-address", {**BOND0, "miimon": 200, "mode": "balance-xor",
                                "xmit_hash_policy": "layer2+3", "ipaddr": "203.0.113.10"}),
        {"id": "addr-after-wrong", "run": ["ip", "-j", "addr", "show", "dev", "bond0"]},
        ping("ping-after-wrong"),
        # Fails half way: a port whose device does not exist.
        apply("missing-port", {**BOND0, "miimon": 200, "mode": "balance-xor",
                               "xmit_hash_policy": "layer2+3", "slaves": ["va", "vx"]}),
        read("slaves-after-missing", "/sys/class/net/bond0/bonding/slaves"),
        {"id": "files-after-missing", "run": ["ls", KEYFILES]},
        ping("ping-after-missing"),
        bond1("bond1-after"),
        apply("remove", None),
        {"wait": {"path": "bond0", "absent": True}},
        {"id": "gone", "run": ["ip", "link", "show", "bond0"]},
        {"id": "nm-stop", "nm": "stop"},
    ],
}


@pytest.fixture(scope="module")
def result(uml):
    reason = uml_harness.networkmanager_unavailable_reason()
    if reason:
        pytest.fail(f"NetworkManager harness unavailable: {reason}")
    return uml.run([SCENARIO], minion_opts={"bond.keyfile_dir": KEYFILES})["nmcli"]


def done(result, step_id):
    changed = result.state(step_id)
    assert changed["result"] is True, changed
    return changed["changes"]["live"]["bond0"]


def test_a_new_bond_is_brought_up_by_networkmanager_and_answers(result):
    assert done(result, "create") == {"bounced": False, "done": [
        "bond0: bond profile activated", "va: port profile activated",
        "vb: port profile activated"]}
    assert result.stdout("slaves-created").split() == ["va", "vb"]
    assert " 0% packet loss" in result.stdout_ok("ping-created")


def test_an_unchanged_bond_is_not_touched(result):
    same = result.state("same")
    assert same["result"] is True and same["changes"] == {}, same


def test_test_mode_lists_the_nmcli_commands_and_runs_none(result):
    preview = result.state("preview")
    assert preview["result"] is None
    assert preview["changes"]["live"] == {"bond0": ["bond0: profile reapplied"]}
    assert result.stdout("miimon-preview") == "100\n"


def test_a_live_option_is_reapplied_without_a_bounce(result):
    assert done(result, "miimon") == {"bounced": False, "done": ["bond0: profile reapplied"]}
    assert result.stdout("miimon-live") == "200\n"
    assert result.stdout("ifindex-after-miimon") == result.stdout("ifindex-before")


def test_ports_are_added_and_removed(result):
    assert done(result, "add-port")["done"] == ["bond0: profile reapplied",
                                                "vc: port profile activated"]
    # (in any order: the slave-setting steps before attached va again, after vb)
    assert sorted(result.stdout("slaves-added").split()) == ["va", "vb", "vc"]
    assert done(result, "remove-port")["done"] == ["bond0: profile reapplied"]
    assert sorted(result.stdout("slaves-removed").split()) == ["va", "vb"]
    assert " 0% packet loss" in result.stdout_ok("ping-ports")


def test_a_vlan_is_added_and_removed(result):
    assert done(result, "add-vlan")["done"] == ["bond0: profile reapplied",
                                                "bond0.100: VLAN profile activated"]
    assert " 0% packet loss" in result.stdout_ok("ping-vlan")
    assert done(result, "remove-vlan")["done"] == ["bond0: profile reapplied"]
    assert result.step("vlan-gone")["rc"] != 0


def test_a_mode_change_reactivates_the_bond_and_says_so(result):
    mode = result.state("mode")
    assert mode["changes"]["live"]["bond0"]["bounced"] is True
    assert "bond0 is live (bounced) and verified." in mode["comment"]
    assert result.stdout("mode-live") == "balance-xor 2\n"
    assert " 0% packet loss" in result.stdout_ok("ping-mode")


def test_an_address_that_cuts_the_host_off_is_rolled_back(result):
    failed = result.state("wrong-address", rc=1)
    assert failed["result"] is False and failed["changes"] == {}
    assert failed["comment"].startswith(
        "verification failed: 192.0.2.1 unreachable through bond0 after 5 s"), failed["comment"]
    assert "rolled back the kernel (bond0)" in failed["comment"]
    assert "file(s) and reloaded them." in failed["comment"]
    (link,) = json.loads(result.stdout_ok("addr-after-wrong"))
    assert [a["local"] for a in link["addr_info"] if a["family"] == "inet"] == ["192.0.2.10"]
    assert " 0% packet loss" in result.stdout_ok("ping-after-wrong")


def test_a_port_that_cannot_be_activated_is_rolled_back(result):
    failed = result.state("missing-port", rc=1)
    assert failed["result"] is False and failed["changes"] == {}
    assert "vx: port profile activated: nmcli" in failed["comment"], failed["comment"]
    assert "rolled back the kernel (bond0)" in failed["comment"]
    assert sorted(result.stdout("slaves-after-missing").split()) == ["va", "vb"]
    assert "vx.nmconnection" not in result.stdout_ok("files-after-missing").split()
    assert " 0% packet loss" in result.stdout_ok("ping-after-missing")


def test_a_bond_removed_from_pillar_is_gone(result):
    removed = result.state("remove")
    assert removed["result"] is True, removed
    assert result.step("gone")["rc"] != 0


def test_an_unchanged_neighbour_bond_keeps_its_slave_and_counts(result):
    before, after = result.stdout("bond1-before"), result.stdout("bond1-after")
    assert "Currently Active Slave: vd" in before and "Currently Active Slave: vd" in after
    assert link_failures(after) == link_failures(before) == {"vd": "0", "ve": "0"}


def queue_ids(proc_text):
    """{slave: its queue id} from /proc/net/bonding/<bond>."""
    found, slave = {}, None
    for line in proc_text.splitlines():
        key, _, value = line.partition(":")
        if key == "Slave Interface":
            slave = value.strip()
        elif key == "Slave queue ID" and slave:
            found[slave] = int(value)
    return found


def test_a_slave_setting_is_set_and_changed_by_networkmanager(result):
    # set, changed, and gone with slaves as a list again (no settings: the kernel's 0)
    for step_id, queue_id in (("queue-id", 2), ("queue-id-changed", 3), ("queue-id-none", 0)):
        # NetworkManager commits a port's settings when it attaches the port
        assert "va: port profile activated" in done(result, step_id)["done"], step_id
        assert queue_ids(result.stdout(f"{step_id}-live")) == {"va": queue_id, "vb": 0}
