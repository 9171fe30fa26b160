"""The fleet path on the real bonding driver: master and minion in one UML boot.

Inside one user-mode-linux kernel: an active-backup bond over two veth pairs
and two 802.3ad bonds negotiating LACP with each other, a salt-master and a
salt-minion (``tests/harness/fleet_inside.py``). From the master,
``saltutil.sync_all`` ships the modules and ``bond.health`` says ok; then the
peer of the active slave goes down, the kernel fails over, and ``bond.health``
from the master says degraded for that bond only, naming the slave; with the
peer back up, ok again.
"""

import pytest

from tests.harness.fleet_inside import run_in_uml

pytestmark = pytest.mark.kernel

MINION = "uml-minion"


def wait_lacp(slave):
    return {"wait": {"path": f"{slave}/bonding_slave/ad_partner_oper_port_state",
                     "equals": "63", "timeout": 15}}


LACP = {"miimon": 100, "lacp_rate": "fast"}
SCENARIO = {
    "name": "fleet",
    "bonds": [
        {"name": "bond0", "mode": "active-backup",
         "options": {"miimon": 100, "primary": "va"},
         "slaves": [{"name": "va", "peer": "pa"}, {"name": "vb", "peer": "pb"}]},
        {"name": "bond1", "mode": "802.3ad", "options": LACP,
         "slaves": [{"name": "vc", "peer": "pc"}, {"name": "vd", "peer": "pd"}]},
        {"name": "bond2", "mode": "802.3ad", "options": LACP,
         "slaves": [{"name": "pc"}, {"name": "pd"}]},
    ],
    "steps": [
        {"wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
        {"wait": {"path": "vb/bonding_slave/mii_status", "equals": "up"}},
        *(wait_lacp(slave) for slave in ("vc", "vd", "pc", "pd")),
    ],
}


PLAN_STEPS = [
    {"id": "sync", "salt": ["saltutil.sync_all"], "process": True},  # a salt process
    {"id": "health-before", "salt": ["bond.health"]},
    {"ip": ["link", "set", "pa", "down"]},
    {"id": "failover", "wait": {"path": "bond0/bonding/active_slave", "equals": "vb"}},
    {"id": "va-down", "wait": {"path": "va/bonding_slave/mii_status", "equals": "down"}},
    {"id": "health-after", "salt": ["bond.health"]},
    {"id": "status-after", "salt": ["bond.status"]},
    {"ip": ["link", "set", "pa", "up"]},
    {"id": "va-up", "wait": {"path": "va/bonding_slave/mii_status", "equals": "up"}},
    {"id": "back", "wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
    {"id": "health-recovered", "salt": ["bond.health"]},
]
BONDS = {"bond0", "bond1", "bond2"}
OK = {"status": "ok", "problems": []}


@pytest.fixture(scope="module")
def report(uml):
    return run_in_uml(uml, SCENARIO, {"minion_id": MINION, "steps": PLAN_STEPS}, timeout=900)


def salt_data(report, step_id):
    step = report["steps"][step_id]
    assert step["data"] is not None, step
    return step["data"]


def test_sync_all_from_the_master_ships_the_modules(report):
    synced = salt_data(report, "sync")
    assert "modules.bond" in synced["modules"], synced
    assert "states.bond" in synced["states"], synced
    assert "utils.salt_bonding.status" in synced["utils"], synced


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
    assert after["bonds"]["bond1"] == after["bonds"]["bond2"] == OK, after


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
    for name in ("bond1", "bond2"):
        assert status[name]["mode"] == "802.3ad"
        assert status[name]["ad"]["partner_mac"] != "00:00:00:00:00:00", status[name]
    # Each 802.3ad bond's partner is the other bond.
    assert status["bond1"]["ad"]["partner_mac"] == status["bond2"]["ad"]["system_mac"]
