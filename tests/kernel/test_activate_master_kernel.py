"""Issue #10's case that matters most: the minion's only path to its master is the bond.

The user-mode-linux boot shared by the daemon tests (``daemons_boot.py``). bond0
(active-backup over va and vb, primary va, miimon 100, 192.0.2.10/24) runs in the
root namespace with the salt-minion. The far ends pa and pb are bridged in
namespace ``peer``, where the salt-master runs, listening on 192.0.2.1
(``tests/harness/fleet_inside.py``, ``master_netns``): the minion reaches its
master through bond0 and nothing else. A spare pair's far end (pe) sits on a
bridge of its own in namespace ``elsewhere``, where nothing answers: cabled,
link up, the wrong network.

From the master, ``salt uml-minion state.apply bonding`` with pillar
``activate: kernel`` and ``verify: {ping: 192.0.2.1}``:

- the pillar that describes the bond as it runs: files written, the kernel
  left alone (it already matches), result True;
- slaves [ve] (a wrong slave set): the kernel is happy (ve is up and active)
  but the master is gone; the minion finds 192.0.2.1 unreachable, puts files
  and kernel back by itself, and the master receives ``result: False`` with
  the reason;
- 198.51.100.10/24 instead of 192.0.2.10/24 (an address that breaks the
  route): no route to the master at all while it verifies; the same;
- after each, the master still reaches the minion (``test.ping``), the files
  are the ones from before, the kernel has va and vb and 192.0.2.10 again;
- slaves [ve] again, now with ``verify: {ping: 192.0.2.254, master: true}``, where
  192.0.2.254 (the gateway, in ``peer``) answers on the wrong network too (namespace
  ``elsewhere`` has the same address, as every VLAN's gateway often has): the ping
  passes, the master does not answer a request through the new network, and the change
  is rolled back the same way (issue #23: what a ping alone calls verified);
- miimon 100 -> 200: done in place, verified through the master's address,
  result True.

Every activating run arms its rollback timer (a detached process here) before it
changes anything and disarms it when it is over; the comment says so.

Measured here (2 cores, Salt 3008, three runs; the test prints each run's
``timings``): master and minion up 46-79 s after the boot; from the master,
``saltutil.sync_all`` 11-15 s, the matching pillar 7 s, each refused change
14-19 s (on the minion 8-9 s: 1 s for the link monitor, 5 s pinging a master
it cannot reach, the rollback), the live miimon change 10-11 s, ``test.ping``
5-8 s (Salt's CLI starting inside UML); 137-184 s inside UML per boot.
"""

import json
import re
from pathlib import Path

import pytest

from tests.kernel import daemons_boot
from tests.kernel.daemons_boot import MASTER, STATE_ROOT

pytestmark = pytest.mark.kernel

IFCFG_DIR = f"{STATE_ROOT}/network-scripts"
STATE_ID = "bond_|-bonding_|-bonding_|-reconciled"

GOOD = {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100, "primary": "va",
        "ipaddr": "192.0.2.10", "prefix": 24, "verify": {"ping": MASTER}}
GATEWAY = "192.0.2.254"  # in peer, and on the wrong network (elsewhere) too
ON_VE = {**{k: v for k, v in GOOD.items() if k != "primary"}, "slaves": ["ve"]}
BREAKING = {  # (a primary must be one of the slaves: none with ve alone)
    "slaves": ON_VE,
    "address": {**GOOD, "ipaddr": "198.51.100.10"},
    "master-cut": {**ON_VE, "verify": {"ping": GATEWAY, "master": True}},
}
TIMER = r"\nRollback timer armed \(120 s, process \d+\) and disarmed\.$"


def pillar(bond):
    return {"pillar": {"bonding": {"activate": "kernel", "bonds": {"bond0": bond}}}}


def apply(step_id):
    return {"id": step_id, "salt": ["state.apply", "bonding"]}


def after(label):
    """What is left once a run is over: the master's reach, the files, the kernel."""
    return [
        {"id": f"ping-{label}", "salt": ["test.ping"], "timeout": 30},
        {"id": f"files-{label}", "read": IFCFG_DIR},
        {"id": f"slaves-{label}", "read": "/sys/class/net/bond0/bonding/slaves"},
        {"id": f"addr-{label}", "run": ["ip", "-j", "-4", "addr", "show", "dev", "bond0"]},
        {"id": f"miimon-{label}", "read": "/sys/class/net/bond0/bonding/miimon"},
    ]


STEPS = [
    {"id": "route", "run": ["ip", "-j", "route", "get", MASTER]},
    *({"id": f"gateway-{ns}", "run": ["ip", "-n", ns, "addr", "add", f"{GATEWAY}/24",
                                      "dev", "br0"]} for ns in ("peer", "elsewhere")),
    pillar(GOOD), apply("good"), *after("good"),
    *(step for name, bond in BREAKING.items()
      for step in (pillar(bond), apply(name), *after(name))),
    pillar({**GOOD, "miimon": 200}), apply("miimon"), *after("miimon"),
]


@pytest.fixture(scope="module")
def report(daemons_report):
    return daemons_boot.part(daemons_report, "master")


SALT_STEPS = {step["id"] for step in [daemons_boot.SYNC, *STEPS] if "salt" in step}


def data(report, step_id):
    """A step's output; a command or a read must have exited 0 (of ``salt``, the
    return is what counts)."""
    step = report["steps"][step_id]
    assert step_id in SALT_STEPS or step["rc"] == 0, (step_id, step)
    assert step["data"] is not None, (step_id, step)
    return step["data"]


def applied(report, step_id):
    """The bond.reconciled return the master received for ``step_id``."""
    ret = data(report, step_id)
    assert isinstance(ret, dict) and STATE_ID in ret, (step_id, ret)
    return ret[STATE_ID]


def addresses(report, label):
    (link,) = json.loads(data(report, f"addr-{label}"))
    return [f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"]]


def assert_as_before(report, label):
    """The master reaches the minion; files and kernel are what the good run left."""
    assert data(report, f"ping-{label}") is True, report["steps"][f"ping-{label}"]
    assert data(report, f"files-{label}") == data(report, "files-good")
    assert data(report, f"slaves-{label}").split() == ["va", "vb"]
    assert addresses(report, label) == ["192.0.2.10/24"]
    assert data(report, f"miimon-{label}") == "100\n"


def test_the_minion_reaches_its_master_only_through_bond0(report):
    (route,) = json.loads(data(report, "route"))
    assert route["dev"] == "bond0", route
    assert route["prefsrc"] == "192.0.2.10", route
    synced = data(report, "sync")
    assert "states.bond" in synced["states"], synced


def test_the_pillar_that_matches_the_running_bond_writes_files_only(report):
    good = applied(report, "good")
    assert good["result"] is True, good
    written = {Path(path).name for path in good["changes"] if path != "live"}
    assert {"ifcfg-bond0", "ifcfg-va", "ifcfg-vb"} <= written, good["changes"]
    assert good["changes"].get("live", {}) == {}, good["changes"]
    assert set(data(report, "files-good")) == {"ifcfg-bond0", "ifcfg-va", "ifcfg-vb"}
    assert data(report, "ping-good") is True
    assert data(report, "slaves-good").split() == ["va", "vb"]
    assert addresses(report, "good") == ["192.0.2.10/24"]


@pytest.mark.parametrize("label, reason, files", [
    # The kernel check passed (ve is up and active): only the ping caught it. Files:
    # ifcfg-bond0 (no primary), ifcfg-ve written, ifcfg-va and ifcfg-vb removed.
    ("slaves", f"{MASTER} unreachable through bond0 after 5 s", 4),
    # While it verified, the minion had no route to its master at all.
    ("address", f"{MASTER} unreachable through bond0 after 5 s (no route)", 1),
    # The ping to the gateway passed (the wrong network has one at the same address):
    # only the request to the master caught it.
    ("master-cut", "the Salt master did not answer a request after 5 s", 4),
], ids=["wrong-slave-set", "address-breaking-the-route", "gateway-kept-master-cut"])
def test_a_change_that_cuts_the_master_off_is_rolled_back_and_the_master_told(
        report, label, reason, files):
    failed = applied(report, label)
    assert failed["result"] is False and failed["changes"] == {}, failed
    comment = failed["comment"]
    assert comment.startswith(f"verification failed: {reason}"), comment
    assert re.search(rf"; rolled back the kernel \(bond0\); rolled back {files} file\(s\)\."
                     rf"{TIMER}", comment), comment
    assert failed["duration"] >= 5000, failed["duration"]  # it did wait for the master
    assert_as_before(report, label)


def test_a_good_live_change_from_the_master_is_done_in_place(report):
    changed = applied(report, "miimon")
    assert changed["result"] is True, changed
    assert changed["changes"]["live"] == {"bond0": {"done": ["bond0: miimon 100 -> 200"],
                                                      "bounced": False}}, changed
    assert "bond0 is live and verified." in changed["comment"], changed["comment"]
    assert re.search(r"^Rollback timer armed \(120 s, process \d+\) and disarmed\.$",
                     changed["comment"], re.M), changed["comment"]
    assert data(report, "ping-miimon") is True
    assert data(report, "miimon-miimon") == "200\n"
    assert data(report, "slaves-miimon").split() == ["va", "vb"]
    assert addresses(report, "miimon") == ["192.0.2.10/24"]
    assert "miimon=200" in data(report, "files-miimon")["ifcfg-bond0"]
