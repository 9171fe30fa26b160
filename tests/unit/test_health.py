"""Health rules, each as a pair: it fires on the broken status, and not once one field is fixed."""

import copy
from pathlib import Path

import pytest
from salt_bonding.observe import health
from salt_bonding.observe import status as bond_status

pytestmark = pytest.mark.unit

CAPTURES = Path(__file__).resolve().parents[1] / "captures"


def captured(capture, bond):
    base = CAPTURES / capture
    return bond_status.read_status(str(base / "proc/net/bonding"),
                                   str(base / "sys/class/net"))[bond]


# Healthy real-kernel statuses to break; health is evaluated on the copies.
HEALTHY = {
    "active-backup": captured("active-backup-healthy", "bond0"),
    "balance-rr": captured("mode-balance-rr", "bond0"),
    "balance-tlb": captured("mode-balance-tlb", "bond0"),
    "balance-alb": captured("mode-balance-alb", "bond0"),
    "802.3ad": captured("802.3ad-lacp-partner", "bond1"),
}


def set_field(status, dotted, value):
    *parents, last = dotted.split(".")
    for part in parents:
        status = status[part]
    status[last] = value


def without_bit(state, bit):
    return state & ~(1 << bit)


# (base, field, broken value, fixed value, verdict when broken, expected problem)
RULES = [
    ("active-backup", "mii_status", "down", "up", "down", "bond MII status is down"),
    ("balance-rr", "slaves", {}, HEALTHY["balance-rr"]["slaves"], "down", "bond has no slaves"),
    ("active-backup", "active_slave", None, "va", "down",
     "no active slave: mode active-backup sends through none"),
    ("balance-tlb", "active_slave", None, "va", "down",
     "no active slave: mode balance-tlb sends through none"),
    ("balance-alb", "active_slave", None, "va", "down",
     "no active slave: mode balance-alb sends through none"),
    ("active-backup", "slaves.vb.mii_status", "down", "up", "degraded",
     "slave vb is down (link failures: 0)"),
    ("active-backup", "slaves.vb.mii_status", "going back", "up", "degraded",
     "slave vb is going back (link failures: 0)"),
    ("balance-rr", "slaves.va.mii_status", "going down", "up", "degraded",
     "slave va is going down (link failures: 0)"),
    ("802.3ad", "slaves.vb.aggregator_id", 2, 1, "degraded",
     "slave vb is in aggregator 2, not in the active aggregator 1"),
    ("802.3ad", "ad.partner_mac", "00:00:00:00:00:00", "02:00:00:00:00:01", "degraded",
     "no LACP partner: the active aggregator's partner MAC is 00:00:00:00:00:00 "
     "(is LACP configured on the switch ports?)"),
    ("802.3ad", "ad.active_aggregator", False, True, "degraded",
     "802.3ad bond has no active aggregator"),
    ("802.3ad", "slaves.va.actor_port_state", without_bit(63, 3), 63, "degraded",
     "slave va: actor port state 55 lacks synchronization"),
    ("802.3ad", "slaves.va.partner_port_state", without_bit(63, 4), 63, "degraded",
     "slave va: partner port state 47 lacks collecting"),
    ("802.3ad", "slaves.vb.actor_port_state", without_bit(63, 5), 63, "degraded",
     "slave vb: actor port state 31 lacks distributing"),
    ("802.3ad", "slaves.vb.partner_port_state", 7, 63, "degraded",
     "slave vb: partner port state 7 lacks synchronization, collecting and distributing"),
    ("balance-rr", "slaves.vb.speed_mbps", 1000, 10000, "degraded",
     "slaves differ in speed: va 10000 Mbps, vb 1000 Mbps"),
    ("active-backup", "slaves.va.duplex", "half", "full", "degraded",
     "slaves differ in duplex: va half, vb full"),
    ("active-backup", "active_slave", "vb", "va", "degraded",
     "primary slave va is up but vb is active (primary_reselect always)"),
]


@pytest.mark.parametrize("base, field, broken, fixed, verdict, problem", RULES,
                         ids=[f"{r[0]}:{r[1]}={r[2]!r}" for r in RULES])
def test_rule_pair(base, field, broken, fixed, verdict, problem):
    status = copy.deepcopy(HEALTHY[base])
    set_field(status, field, broken)
    found = health.evaluate(status)
    assert found["status"] == verdict
    assert problem in found["problems"]
    set_field(status, field, fixed)
    assert health.evaluate(status) == {"status": "ok", "problems": []}


def test_healthy_bases_are_ok():
    for status in HEALTHY.values():
        assert health.evaluate(status) == {"status": "ok", "problems": []}


# Rules that must NOT fire: the line between a problem and a normal state.
def test_round_robin_has_no_active_slave_and_that_is_fine():
    assert HEALTHY["balance-rr"]["active_slave"] is None
    assert health.evaluate(HEALTHY["balance-rr"])["status"] == "ok"


@pytest.mark.parametrize("reselect", ["better", "failure", None])
def test_primary_not_active_is_fine_unless_reselect_always(reselect):
    status = copy.deepcopy(HEALTHY["active-backup"])
    status["active_slave"] = "vb"
    status["primary_reselect"] = reselect
    assert health.evaluate(status)["status"] == "ok"


def test_primary_down_and_not_active_is_only_the_slave_problem():
    status = copy.deepcopy(HEALTHY["active-backup"])
    status["active_slave"] = "vb"
    status["slaves"]["va"]["mii_status"] = "down"
    assert health.evaluate(status)["problems"] == ["slave va is down (link failures: 0)"]


def test_unknown_speed_is_not_a_mismatch_and_down_slaves_do_not_count():
    status = copy.deepcopy(HEALTHY["balance-rr"])
    status["slaves"]["va"]["speed_mbps"] = None
    assert health.evaluate(status)["status"] == "ok"
    status["slaves"]["va"]["speed_mbps"] = 100
    status["slaves"]["va"]["mii_status"] = "down"
    assert health.evaluate(status)["problems"] == ["slave va is down (link failures: 0)"]


def test_no_partner_is_one_problem_not_one_per_port_state():
    found = health.evaluate(captured("802.3ad-no-partner", "bond0"))
    assert found["status"] == "degraded"
    assert not any("port state" in problem for problem in found["problems"])
    assert any(problem.startswith("no LACP partner") for problem in found["problems"])


def test_hidden_lacp_details_are_not_problems():
    nonroot = captured("802.3ad-lacp-partner-nonroot", "bond1")
    assert nonroot["ad"]["partner_mac"] is None
    assert health.evaluate(nonroot) == {"status": "ok", "problems": []}


def test_down_and_degraded_problems_are_all_listed():
    status = copy.deepcopy(HEALTHY["active-backup"])
    status["mii_status"] = "down"
    status["active_slave"] = None
    status["slaves"]["va"]["mii_status"] = "down"
    status["slaves"]["va"]["link_failure_count"] = 3
    found = health.evaluate(status)
    assert found == {"status": "down", "problems": [
        "bond MII status is down",
        "no active slave: mode active-backup sends through none",
        "slave va is down (link failures: 3)",
    ]}


# -- verdicts on real and public statuses ------------------------------------------
CAPTURE_VERDICTS = {
    "active-backup-healthy": "ok",
    "active-backup-failed-over": "degraded",
    "active-backup-fail-over-mac": "ok",
    "802.3ad-lacp-partner": "ok",
    "802.3ad-no-partner": "degraded",
    "mode-802.3ad": "degraded",  # veth peers that speak no LACP
    "arp-monitor-two-targets": "ok",
    "arp-monitor-unanswered": "down",
    "no-slaves": "down",
    "updelay-going-back": "degraded",
}


@pytest.mark.parametrize("capture, verdict", sorted(CAPTURE_VERDICTS.items()))
def test_capture_verdicts(capture, verdict):
    base = CAPTURES / capture
    result = health.judge(bond_status.read_status(str(base / "proc/net/bonding"),
                                                  str(base / "sys/class/net")))
    assert {entry["health"]["status"] for entry in result.values()} == {verdict}


SAMPLE_VERDICTS = {
    "checkmk-balance-rr-v3.7.1-no-slaves-mii-down.txt": (
        "down", ["bond MII status is down", "bond has no slaves"]),
    "inspec-8023ad-v3.7.1-slave-down-agg-mismatch-aggid-before-queueid.txt": (
        "degraded", ["slave eth2 is down (link failures: 0)",
                     "slave eth2 is in aggregator 2, not in the active aggregator 1"]),
    "telegraf-activebackup-v3.6.0-primary-reselect-slave-down.txt": (
        "degraded", ["slave eth3 is down (link failures: 2)"]),
    "monitoringplug-8023ad-v3.7.1-healthy-2ports.txt": ("ok", []),
    "insights-core-activebackup-v3.7.1-arp-monitor-primary-reselect-failure.txt": ("ok", []),
    "telegraf-8023ad-v3.7.1-nonroot-churn-counts.txt": ("ok", []),
}


@pytest.mark.parametrize("sample", sorted(SAMPLE_VERDICTS))
def test_public_sample_verdicts(proc_samples, sample):
    status = bond_status.status_from_proc((proc_samples / sample).read_text())
    verdict, problems = SAMPLE_VERDICTS[sample]
    assert health.evaluate(status) == {"status": verdict, "problems": problems}


# -- overall ----------------------------------------------------------------------------
@pytest.mark.parametrize("statuses, worst", [
    ([], "ok"),
    (["ok", "ok"], "ok"),
    (["ok", "degraded"], "degraded"),
    (["degraded", "unknown"], "unknown"),
    (["unknown", "down", "ok"], "down"),
])
def test_overall_is_the_worst(statuses, worst):
    healths = {f"bond{i}": {"status": s, "problems": []} for i, s in enumerate(statuses)}
    assert health.overall(healths) == {"status": worst, "bonds": healths}
