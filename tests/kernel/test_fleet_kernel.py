"""The fleet path on the real bonding driver: master and minion in one UML boot.

Inside the user-mode-linux kernel shared by the daemon tests (``daemons_boot.py``):
an active-backup bond0 over two veth pairs and an 802.3ad bond1 negotiating LACP
with a partner bond in another namespace, a salt-master and a salt-minion. From
the master, ``saltutil.sync_all`` ships the modules and ``bond.health`` says ok;
then the peer of the active slave goes down, the kernel fails over, and
``bond.health`` from the master says degraded for that bond only, naming the
slave; with the peer back up, ok again.
"""

import json

import pytest

from tests.kernel import daemons_boot
from tests.kernel.daemons_boot import peer_link

pytestmark = pytest.mark.kernel

STEPS = [
    {"id": "health-before", "salt": ["bond.health"]},
    {"ip": peer_link("down")},
    {"id": "failover", "wait": {"path": "bond0/bonding/active_slave", "equals": "vb"}},
    {"id": "va-down", "wait": {"path": "va/bonding_slave/mii_status", "equals": "down"}},
    {"id": "health-after", "salt": ["bond.health"]},
    {"id": "status-after", "salt": ["bond.status"]},
    {"id": "switch", "run": ["ip", "-n", "switch", "-j", "link", "show", "nbond0"]},
    {"ip": peer_link("up")},
    {"id": "va-up", "wait": {"path": "va/bonding_slave/mii_status", "equals": "up"}},
    {"id": "back", "wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
    {"id": "health-recovered", "salt": ["bond.health"]},
]
BONDS = {"bond0", "bond1"}
OK = {"status": "ok", "problems": []}


@pytest.fixture(scope="module")
def report(daemons_report):
    return daemons_boot.part(daemons_report, "fleet")


def salt_data(report, step_id):
    step = report["steps"][step_id]
    assert step["data"] is not None, step
    return step["data"]


def test_sync_all_from_the_master_ships_the_modules(report):
    synced = salt_data(report, "sync")
    assert "modules.bond" in synced["modules"], synced
    assert "states.bond" in synced["states"], synced
    assert "utils.salt_bonding.observe.status" in synced["utils"], synced


def test_health_through_the_master_ok_then_degraded_after_failover(report):
    before = salt_data(report, "health-before")
    assert before == {"status": "ok", "bonds": dict.fromkeys(BONDS, OK)}, before

    assert report["steps"]["failover"]["rc"] == 0, report["steps"]["failover"]
    assert report["steps"]["va-down"]["rc"] == 0, report["steps"]["va-down"]
    after = salt_data(report, "health-after")
    assert after["status"] == "degraded", after
    bond0 = after["bonds"]["bond0"]
    assert bond0["status"] == "degraded", after
    assert any("va" in problem and "down" in problem for problem in bond0["problems"]), bond0
    assert after["bonds"]["bond1"] == OK, after


def test_health_through_the_master_ok_again_once_the_peer_is_back(report):
    assert report["steps"]["back"]["rc"] == 0, report["steps"]["back"]
    recovered = salt_data(report, "health-recovered")
    assert recovered == {"status": "ok", "bonds": dict.fromkeys(BONDS, OK)}, recovered


def test_status_through_the_master_shows_the_failover(report):
    status = salt_data(report, "status-after")
    assert set(status) == BONDS, status
    bond0 = status["bond0"]
    assert bond0["mode"] == "active-backup"
    assert bond0["active_slave"] == "vb"
    assert bond0["slaves"]["va"]["mii_status"] == "down"
    assert bond0["slaves"]["va"]["link_failure_count"] >= 1
    assert bond0["slaves"]["vb"]["mii_status"] == "up"
    assert status["bond1"]["mode"] == "802.3ad"
    # bond1's partner is the switch's bond, in its namespace.
    (switch,) = json.loads(report["steps"]["switch"]["data"])
    assert status["bond1"]["ad"]["partner_mac"] == switch["address"], status["bond1"]
