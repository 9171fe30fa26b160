"""``activate: kernel`` against the real bonding driver, in one user-mode-linux boot.

Inside the kernel, ``salt-call state.high`` applies pillar ``live`` (given on
the command line) step by step to one host with two veth pairs behind a
bridged neighbour (192.0.2.1) and a third, spare pair: a bond created from
nothing and pinging; a live option changed in place; the mode changed (the
bond bounced, and said so); a slave swapped without a bounce; nothing done
when nothing changed; ``test=True`` listing the operations; a change that
fails half way (a slave that does not exist) and one that fails verification
(an ARP monitor whose target never answers) both rolled back, kernel and files, with the
neighbour answering again; and the bond removed with its pillar.
"""

import json

import pytest

pytestmark = pytest.mark.kernel

BOND = {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100,
        "ipaddr": "192.0.2.10", "prefix": 24}


def apply(step_id, bonds, *extra):
    pillar = {"live": {"activate": "kernel", "bonds": bonds}}
    return {"id": step_id, "salt": ["state.high", json.dumps({"live": {"bond": ["reconciled"]}}),
                                    f"pillar={json.dumps(pillar)}", *extra]}


def read(step_id, path):
    return {"id": step_id, "read": path}


def ping(step_id):
    return {"id": step_id, "run": ["ping", "-c1", "-w10", "192.0.2.1"]}


SCENARIO = {
    "name": "activate",
    "veths": [["va", "pa"], ["vb", "pb"], ["vc", "pc"]],
    "neighbour": {"peers": ["pa", "pb", "pc"], "addresses": ["192.0.2.1/24"]},
    "steps": [
        apply("create", {"bond0": BOND}),
        read("slaves-created", "/sys/class/net/bond0/bonding/slaves"),
        ping("ping-created"),
        apply("same", {"bond0": BOND}),
        apply("preview", {"bond0": {**BOND, "miimon": 200}}, "test=True"),
        read("miimon-preview", "/sys/class/net/bond0/bonding/miimon"),
        apply("miimon", {"bond0": {**BOND, "miimon": 200}}),
        read("miimon-live", "/sys/class/net/bond0/bonding/miimon"),
        apply("swap", {"bond0": {**BOND, "miimon": 200, "slaves": ["va", "vc"]}}),
        read("slaves-swapped", "/sys/class/net/bond0/bonding/slaves"),
        ping("ping-swapped"),
        apply("mode", {"bond0": {**BOND, "miimon": 200, "slaves": ["va", "vc"],
                                 "mode": "balance-xor", "xmit_hash_policy": "layer2+3"}}),
        read("mode-live", "/sys/class/net/bond0/bonding/mode"),
        ping("ping-mode"),
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
        apply("remove", {}),
        {"id": "gone", "run": ["ip", "link", "show", "bond0"]},
    ],
}


@pytest.fixture(scope="module")
def result(uml, tmp_path_factory):
    return uml.run([SCENARIO])["activate"]


def state(result, step_id, rc=0):
    states, retcode = result.salt(step_id)
    assert retcode == rc, (step_id, states)
    (only,) = states.values()
    return only


def test_a_new_bond_is_created_live_and_answers(result):
    created = state(result, "create")
    assert created["result"] is True, created
    done = created["changes"]["live"]["bond0"]
    assert done["bounced"] is False
    assert done["done"][:2] == ["bond0 created", "bond0: mode unset -> active-backup"]
    assert "bond0: address 192.0.2.10/24 added" in done["done"]
    assert "bond0 is live and verified." in created["comment"]
    assert result.stdout("slaves-created").split() == ["va", "vb"]
    assert " 0% packet loss" in result.stdout_ok("ping-created")


def test_an_unchanged_bond_is_not_touched(result):
    same = state(result, "same")
    assert same["result"] is True and same["changes"] == {}, same


def test_test_mode_lists_the_operations_and_runs_none(result):
    preview = state(result, "preview")
    assert preview["result"] is None
    assert preview["changes"]["live"] == {"bond0": ["bond0: miimon 100 -> 200"]}
    assert result.stdout("miimon-preview") == "100\n"


def test_a_live_option_changes_in_place(result):
    changed = state(result, "miimon")
    assert changed["changes"]["live"] == {"bond0": {"done": ["bond0: miimon 100 -> 200"],
                                                      "bounced": False}}
    assert result.stdout("miimon-live") == "200\n"


def test_a_slave_is_swapped_without_a_bounce(result):
    swapped = state(result, "swap")
    assert swapped["changes"]["live"]["bond0"] == {"done": [
        "bond0: vb released", "bond0: vc down to be enslaved", "bond0: vc enslaved"],
        "bounced": False}
    assert result.stdout("slaves-swapped").split() == ["va", "vc"]
    assert " 0% packet loss" in result.stdout_ok("ping-swapped")


def test_a_mode_change_bounces_the_bond_and_says_so(result):
    mode = state(result, "mode")
    kernel = mode["changes"]["live"]["bond0"]
    assert kernel["bounced"] is True
    assert "bond0: mode active-backup -> balance-xor" in kernel["done"]
    assert "bond0 is live (bounced) and verified." in mode["comment"]
    assert result.stdout("mode-live") == "balance-xor 2\n"
    assert " 0% packet loss" in result.stdout_ok("ping-mode")


def test_a_failing_step_puts_kernel_and_files_back(result):
    failed = state(result, "missing-slave", rc=1)
    assert failed["result"] is False and failed["changes"] == {}
    assert failed["comment"].startswith("bond0: vx down to be enslaved: ip link set vx down:")
    assert "rolled back the kernel (bond0)" in failed["comment"]
    assert result.stdout("mode-after-missing") == "balance-xor 2\n"
    assert result.stdout("miimon-after-missing") == "200\n"
    assert result.stdout("slaves-after-missing").split() == ["va", "vc"]
    assert " 0% packet loss" in result.stdout_ok("ping-after-missing")


def test_a_change_that_fails_verification_is_rolled_back(result):
    failed = state(result, "unanswered", rc=1)
    assert failed["result"] is False and failed["changes"] == {}
    assert failed["comment"].startswith("verification failed: "), failed["comment"]
    assert "rolled back the kernel (bond0)" in failed["comment"]
    assert result.stdout("mode-after-unanswered") == "balance-xor 2\n"
    assert result.stdout("arp-after-unanswered") == "0\n"
    assert " 0% packet loss" in result.stdout_ok("ping-after-unanswered")


def test_a_bond_removed_from_pillar_leaves_the_kernel(result):
    removed = state(result, "remove")
    assert removed["changes"]["live"] == {"bond0": {"done": ["bond0 removed"],
                                                      "bounced": False}}
    assert result.step("gone")["rc"] != 0
