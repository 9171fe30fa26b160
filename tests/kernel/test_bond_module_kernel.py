"""bond.status and bond.health run by salt-call inside a real bonding kernel (one UML boot)."""

import pytest

from tests.harness.capture_scenarios import (
    MODES,
    NOBODY,
    active_backup_scenario,
    arp_scenarios,
    veth_slaves,
    wait_lacp,
    wait_slave_up,
)

pytestmark = pytest.mark.kernel


def with_steps(spec, name, steps):
    """A capture scenario's bonds and links, with this module's own steps."""
    return dict(spec, name=name, steps=steps)


def every_mode_scenario():
    """bond0..bond6, one per mode (bondN has mode N), each over two veth pairs."""
    bonds, steps = [], []
    for mode_id, mode in enumerate(MODES):
        options = {"miimon": 100}
        if mode == "802.3ad":
            options["lacp_rate"] = "fast"
        bonds.append({"name": f"bond{mode_id}", "mode": mode, "options": options,
                      "slaves": veth_slaves(f"v{mode_id}a", f"v{mode_id}b")})
        steps += [wait_slave_up(f"v{mode_id}a"), wait_slave_up(f"v{mode_id}b")]
        if mode in ("active-backup", "balance-tlb", "balance-alb"):
            steps.append({"wait": {"path": f"bond{mode_id}/bonding/active_slave",
                                   "equals": f"v{mode_id}a"}})
    return {"name": "every-mode", "bonds": bonds,
            "steps": [*steps, {"id": "status", "salt": ["bond.status"]}]}


SCENARIOS = [
    every_mode_scenario(),
    with_steps(arp_scenarios()[0], "arp", [
        {"wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
        wait_slave_up("vb"),
        {"id": "status", "salt": ["bond.status", "bond0"]},
    ]),
    {
        "name": "lacp",
        "bonds": [
            {"name": "bond1", "mode": "802.3ad", "options": {"miimon": 100, "lacp_rate": "fast"},
             "slaves": veth_slaves("va", "vb")},
            {"name": "bond2", "mode": "802.3ad", "options": {"miimon": 100, "lacp_rate": "fast"},
             "slaves": [{"name": "pa"}, {"name": "pb"}]},
        ],
        "steps": [
            wait_lacp("va"), wait_lacp("vb"), wait_lacp("pa"), wait_lacp("pb"),
            {"id": "status", "salt": ["bond.status"]},
            {"id": "health", "salt": ["bond.health"]},
            {"id": "status-nobody", "salt": ["bond.status", "bond1"], "user": NOBODY},
        ],
    },
    {
        "name": "misc",
        "bonds": [
            {"name": "bond0", "mode": "balance-rr", "options": {"miimon": 100}, "slaves": []},
            {"name": "bond3", "mode": "802.3ad", "options": {"miimon": 100, "lacp_rate": "fast"},
             "slaves": [{"name": "d0", "kind": "dummy"}, {"name": "d1", "kind": "dummy"}]},
            {"name": "bond4", "mode": "active-backup", "options": {"miimon": 100},
             "slaves": veth_slaves("va", "vb")},
        ],
        "vlans": [{"name": "bond4.100", "link": "bond4", "id": 100}],
        "steps": [
            {"wait": {"path": "bond4/bonding/active_slave", "equals": "va"}},
            {"wait": {"path": "bond3/bonding/mii_status", "equals": "up"}},
            *({"wait": {"path": f"{slave}/bonding_slave/mii_status", "equals": "up"}}
              for slave in ("va", "vb", "d0", "d1")),
            {"id": "list", "salt": ["bond.list"]},
            {"id": "status", "salt": ["bond.status"]},
            {"id": "health", "salt": ["bond.health"]},
        ],
    },
    # The bond, neighbour and addresses of the active-backup capture, primary va.
    with_steps(active_backup_scenario(), "failover", [
        {"wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
        wait_slave_up("vb"),
        {"id": "health-before", "salt": ["bond.health"]},
        {"ns": ["link", "set", "pa", "down"]},
        {"id": "moved", "wait": {"path": "bond0/bonding/active_slave", "equals": "vb"}},
        {"wait": {"path": "va/bonding_slave/mii_status", "equals": "down"}},
        {"id": "status-down", "salt": ["bond.status", "bond0"]},
        {"id": "health-down", "salt": ["bond.health", "bond0"]},
        {"id": "ping-down", "run": ["ping", "-c1", "-W2", "192.0.2.1"]},
        {"ns": ["link", "set", "pa", "up"]},
        {"id": "back", "wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
        {"wait": {"path": "va/bonding_slave/mii_status", "equals": "up"}},
        {"id": "health-back", "salt": ["bond.health"], "user": NOBODY},
    ]),
]


@pytest.fixture(scope="module")
def run(uml):
    return uml.run(SCENARIOS)


def ok(rc_and_value):
    value, rc = rc_and_value
    assert rc == 0, value
    return value


def test_every_mode(run):
    status = ok(run["every-mode"].salt("status"))
    assert sorted(status) == [f"bond{i}" for i in range(7)]
    for mode_id, mode in enumerate(MODES):
        bond = status[f"bond{mode_id}"]
        assert (bond["mode"], bond["mode_id"]) == (mode, mode_id)
        assert bond["mii_status"] == "up" and bond["miimon"] == 100
        assert sorted(bond["slaves"]) == [f"v{mode_id}a", f"v{mode_id}b"]
        assert {s["mii_status"] for s in bond["slaves"].values()} == {"up"}
        assert {s["speed_mbps"] for s in bond["slaves"].values()} == {10000}
        has_active = mode in ("active-backup", "balance-tlb", "balance-alb")
        assert bond["active_slave"] == (f"v{mode_id}a" if has_active else None)
        assert (bond["ad"] is not None) == (mode == "802.3ad")
        assert (bond["xmit_hash_policy"] is not None) == (mode in ("balance-xor", "802.3ad"))
        assert bond["fail_over_mac"] == ("none" if mode == "active-backup" else None)
        expected = "degraded" if mode == "802.3ad" else "ok"  # veth peers speak no LACP
        assert bond["health"]["status"] == expected, bond["health"]


def test_arp_monitoring_with_two_targets(run):
    bond = ok(run["arp"].salt("status"))["bond0"]
    assert bond["arp_interval"] == 100 and bond["miimon"] == 0
    assert bond["arp_ip_target"] == ["192.0.2.1", "192.0.2.2"]
    assert bond["active_slave"] == "va"
    assert bond["health"] == {"status": "ok", "problems": []}


def test_lacp_with_a_partner(run):
    status = ok(run["lacp"].salt("status"))
    bond1, bond2 = status["bond1"], status["bond2"]
    assert bond1["ad"]["num_ports"] == 2 and bond1["ad"]["active_aggregator"] is True
    assert bond1["ad"]["partner_mac"] == bond2["ad"]["system_mac"]
    assert bond2["ad"]["partner_mac"] == bond1["ad"]["system_mac"]
    assert bond1["ad"]["partner_mac"] != "00:00:00:00:00:00"
    for name, slave in bond1["slaves"].items():
        assert slave["aggregator_id"] == bond1["ad"]["aggregator_id"], name
        assert (slave["actor_port_state"], slave["partner_port_state"]) == (63, 63), name
    assert ok(run["lacp"].salt("health")) == {"status": "ok", "bonds": {
        "bond1": {"status": "ok", "problems": []}, "bond2": {"status": "ok", "problems": []}}}


def test_nonroot_read_with_hidden_lacp_lines(run):
    """nobody's procfs hides the aggregator; sysfs fills what nobody may still read."""
    root_view = ok(run["lacp"].salt("status"))["bond1"]
    nobody_view = ok(run["lacp"].salt("status-nobody"))["bond1"]
    assert nobody_view["ad"]["system_mac"] is None  # hidden in procfs, no sysfs twin
    assert nobody_view["mode"] == "802.3ad"
    assert sorted(nobody_view["slaves"]) == ["va", "vb"]
    for name, slave in nobody_view["slaves"].items():
        assert slave["aggregator_id"] == root_view["slaves"][name]["aggregator_id"]
    assert nobody_view["health"]["status"] == "ok"


def test_no_slaves_no_partner_and_vlan(run):
    result = run["misc"]
    assert ok(result.salt("list")) == ["bond0", "bond3", "bond4"]  # bond4.100 is a VLAN
    status = ok(result.salt("status"))
    assert status["bond0"]["slaves"] == {}
    assert status["bond0"]["health"] == {"status": "down", "problems": [
        "bond MII status is down", "bond has no slaves"]}
    assert status["bond3"]["ad"]["partner_mac"] == "00:00:00:00:00:00"
    assert status["bond3"]["health"]["status"] == "degraded"
    assert status["bond4"]["health"]["status"] == "ok"
    health, rc = result.salt("health")
    assert rc == 1
    assert health["status"] == "down"
    assert {name: h["status"] for name, h in health["bonds"].items()} == {
        "bond0": "down", "bond3": "degraded", "bond4": "ok"}
    assert any(p.startswith("no LACP partner") for p in health["bonds"]["bond3"]["problems"])


def test_failover_and_back(run):
    result = run["failover"]
    assert ok(result.salt("health-before"))["status"] == "ok"
    assert result.step("moved")["rc"] == 0, result.step("moved")
    bond = ok(result.salt("status-down"))["bond0"]
    assert bond["active_slave"] == "vb"
    assert bond["slaves"]["va"]["mii_status"] == "down"
    assert bond["slaves"]["va"]["link_failure_count"] == 1
    health, rc = result.salt("health-down")
    assert rc == 1
    assert health == {"status": "degraded", "bonds": {"bond0": {
        "status": "degraded", "problems": ["slave va is down (link failures: 1)"]}}}
    assert result.step("ping-down")["rc"] == 0  # degraded, not down: traffic still flows
    assert result.step("back")["rc"] == 0, result.step("back")
    assert ok(result.salt("health-back")) == {
        "status": "ok", "bonds": {"bond0": {"status": "ok", "problems": []}}}
