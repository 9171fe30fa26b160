"""The fleet report's decisions (salt_bonding.fleet.report), from returns as Salt hands them
over: verdicts, worst-first order, no answer, and returns of the wrong shape."""

import json

import pytest
from salt_bonding.fleet import report

pytestmark = pytest.mark.unit

WHY = "no return within the timeout (5 s, gather_job_timeout 10 s)"
DEGRADED_BOND0 = {"status": "degraded", "problems": ["slave va is down (link failures: 1)"],
                  "mode": "active-backup", "active_slave": "vb",
                  "slaves": {"va": "down", "vb": "up"}}
OK_BOND = {"status": "ok", "problems": [], "mode": "802.3ad", "active_slave": None,
           "slaves": {"ens1f0": "up", "ens1f1": "up"}}


def health(**bonds):
    worst = min((b["status"] for b in bonds.values()),
                key=lambda s: report.STATUSES.index(s), default="ok")
    return {"status": worst, "bonds": bonds}


def verify(drifted=False, host=(), unknown=(), **bonds):
    return {"drifted": drifted, "host": list(host), "unknown": list(unknown),
            "bonds": {name: {"files": list(files), "kernel": list(kernel)}
                      for name, (files, kernel) in bonds.items()}}


def both(health_ret, verify_ret, retcode=0):
    """One minion's return of the job that runs both functions."""
    return {"ret": {"bond.health": health_ret, "bond.verify": verify_ret}, "retcode": retcode}


def clean(**bonds):
    return verify(**{name: ((), ()) for name in bonds})


def test_a_fleet_is_listed_worst_first_with_a_silent_minion_as_no_answer():
    returns = {
        "web1": both(health(bond0=OK_BOND), clean(bond0=1)),
        "app1": both(health(bond0=DEGRADED_BOND0), clean(bond0=1)),
        "db1": both(health(bond0=OK_BOND), verify(True, bond0=(["ifcfg-bond0: missing"], []))),
        "apollo": both(health(bond0={**OK_BOND, "status": "down",
                                     "problems": ["bond MII status is down"]}),
                       clean(bond0=1)),
    }
    found = report.build(["web1", "app1", "db1", "apollo", "mail1"], returns, WHY,
                         {"tgt": "*", "tgt_type": "glob"})
    assert [(r["minion"], r["status"]) for r in found["minions"]] == [
        ("apollo", "down"), ("mail1", "no answer"), ("app1", "degraded"), ("db1", "drifted"),
        ("web1", "ok")]
    assert found["status"] == "down" and found["retcode"] == 1
    assert found["summary"] == {"minions": 5, "down": 1, "no answer": 1, "unknown": 0,
                                "degraded": 1, "drifted": 1, "ok": 1}
    mail1 = found["minions"][1]
    assert mail1 == {"minion": "mail1", "status": "no answer", "problems": [WHY], "bonds": []}
    (bond0,) = found["minions"][2]["bonds"]
    assert bond0 == {"bond": "bond0", "status": "degraded", "health": "degraded",
                     "problems": ["slave va is down (link failures: 1)"], "drift": [],
                     "mode": "active-backup", "active_slave": "vb",
                     "slaves": [{"name": "va", "mii_status": "down"},
                                {"name": "vb", "mii_status": "up"}]}
    assert found["minions"][3]["bonds"][0]["drift"] == ["ifcfg-bond0: missing"]
    assert report.summary_line(found) == (
        "5 minions: 1 down, 1 no answer, 1 degraded, 1 drifted, 1 ok")
    json.dumps(found)  # plain data, for --out=json


def test_all_ok_exits_0_and_nothing_targeted_exits_1():
    returns = {"web1": both(health(bond0=OK_BOND), clean(bond0=1))}
    assert report.build(["web1"], returns, WHY)["retcode"] == 0
    empty = report.build([], {}, WHY)
    assert (empty["retcode"], empty["status"], empty["minions"]) == (1, "no answer", [])
    assert report.summary_line(empty) == "no minion matched the target"


def test_bonds_within_a_minion_worst_first_and_drift_makes_an_ok_bond_drifted():
    returns = {"db1": both(
        health(bond0={**OK_BOND, "status": "down", "problems": ["bond has no slaves"]},
               bond1=OK_BOND, bond2=OK_BOND, bond3=DEGRADED_BOND0),
        verify(True, host=["/etc/modprobe.d/bonding.conf: missing"], unknown=["bond2"],
               bond0=((), ()), bond1=((), ["bond1 miimon 300, desired 200"]),
               bond3=((), ())))}
    (row,) = report.build(["db1"], returns, WHY)["minions"]
    assert [(b["bond"], b["status"]) for b in row["bonds"]] == [
        ("bond0", "down"), ("bond3", "degraded"), ("bond1", "drifted"), ("bond2", "drifted")]
    assert row["status"] == "down"
    assert row["problems"] == ["drift: /etc/modprobe.d/bonding.conf: missing"]
    by_name = {b["bond"]: b for b in row["bonds"]}
    assert by_name["bond2"]["drift"] == ["running, but pillar 'bonding' does not give it"]
    assert by_name["bond1"]["health"] == "ok"


def test_host_drift_alone_makes_a_minion_drifted():
    returns = {"web1": both(health(bond0=OK_BOND),
                            verify(True, host=["bonding.conf: missing"], bond0=((), ())))}
    (row,) = report.build(["web1"], returns, WHY)["minions"]
    assert row["status"] == "drifted" and row["bonds"][0]["status"] == "ok"


@pytest.mark.parametrize("ret, reason", [
    ("'bond.health' is not available.", "bond.health: 'bond.health' is not available."),
    (["a", "list"], "bond.health returned list ['a', 'list'], expected a mapping"),
    ({"status": "fine", "bonds": {}}, "expected its status and bonds"),
    ({"status": "ok", "bonds": []}, "expected its status and bonds"),
    ({"status": "ok", "bonds": {"bond0": {"status": "pwned"}}},
     "bond.health: bond 'bond0' has status 'pwned', expected one of ok, degraded, unknown, "
     "down"),
    ({"status": "ok", "bonds": {"bond0": "ok"}}, "has status 'ok'"),
    ({"status": "ok", "bonds": {"bond0": {"status": "ok", "problems": "none"}}},
     "problems is 'none', expected a list of text"),
    ({"status": "ok", "bonds": {"bond0": {"status": "ok", "problems": [1]}}},
     "expected a list of text"),
    ({"status": "ok", "bonds": {"bond0": {"status": "ok", "problems": [],
                                          "slaves": ["va"]}}}, "expected {slave: MII status}"),
    ({"status": "ok", "bonds": {"bond0": {"status": "ok", "problems": [], "mode": 4}}},
     "mode is 4, expected text"),
    (None, "bond.health returned NoneType None, expected a mapping"),
])
def test_a_malformed_health_return_is_that_minions_unknown_row(ret, reason):
    returns = {"odd": both(ret, clean()), "web1": both(health(bond0=OK_BOND), clean(bond0=1))}
    found = report.build(["odd", "web1"], returns, WHY)
    odd = found["minions"][0]
    assert (odd["minion"], odd["status"], odd["bonds"]) == ("odd", "unknown", [])
    (problem,) = odd["problems"]
    assert reason in problem, problem
    assert found["minions"][1]["status"] == "ok"


@pytest.mark.parametrize("ret, reason", [
    ("ERROR: bonding: no pillar data for this minion", "ERROR: bonding: no pillar data"),
    ({"drifted": "yes", "bonds": {}}, "expected drifted and bonds"),
    ({"drifted": False, "bonds": {"bond0": {"files": "x"}}}, "files is 'x'"),
    ({"drifted": False, "bonds": {}, "host": [None]}, "host is [None]"),
])
def test_a_verify_that_failed_leaves_the_health_and_says_drift_was_not_checked(ret, reason):
    (row,) = report.build(["web1"], {"web1": both(health(bond0=OK_BOND), ret)}, WHY)["minions"]
    assert row["status"] == "unknown"
    assert row["bonds"][0]["bond"] == "bond0" and row["bonds"][0]["status"] == "ok"
    (problem,) = row["problems"]
    assert problem.startswith("drift not checked: bond.verify") and reason in problem, problem


def test_an_exception_in_a_multi_function_job_says_its_message_not_the_traceback():
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/dist-packages/salt/minion.py", line 3686, in run\n'
        "    return_data = minion_instance._execute_job_function(\n"
        "salt.exceptions.CommandExecutionError: bonding: no pillar data for this minion\n"
        "bonding:bonds: second line\n")
    assert report.error_text(traceback) == ("bonding: no pillar data for this minion\n"
                                            "bonding:bonds: second line")
    assert report.error_text("ERROR: plain") == "ERROR: plain"
    (row,) = report.build(["web1"], {"web1": both(traceback, clean())}, WHY)["minions"]
    assert row["problems"] == ["bond.health: bonding: no pillar data for this minion\n"
                               "bonding:bonds: second line"]


def test_a_return_of_neither_function_is_unknown_with_what_came_back():
    for ret, reason in (("Minion did not return. [Not connected]", "Not connected"),
                        ({"bond.health": {}}, "expected its status and bonds"),
                        (42, "returned int 42")):
        (row,) = report.build(["x"], {"x": {"ret": ret, "retcode": 1}}, WHY)["minions"]
        assert row["status"] == "unknown" and reason in row["problems"][0], row


def test_multifunc_ordered_returns_a_list_in_the_functions_order():
    entry = {"ret": [health(bond0=OK_BOND), clean(bond0=1)]}
    assert report.split(entry) == ({"ret": health(bond0=OK_BOND)}, {"ret": clean(bond0=1)})


def test_a_minion_that_answered_without_being_expected_is_listed():
    found = report.build(["web1"], {"web1": both(health(), clean()),
                                    "new1": both(health(), clean())}, WHY)
    assert [r["minion"] for r in found["minions"]] == ["new1", "web1"]


def test_hostile_text_is_kept_as_text_and_capped():
    name = '<img src=x onerror="alert(1)">\x1b[2J'
    long_problem = "x" * 10_000
    problems = [f"p{i}" for i in range(200)]
    bonds = {name: {**OK_BOND, "status": "degraded", "problems": [long_problem, *problems],
                    "slaves": {"<b>s</b>": "up"}}}
    (row,) = report.build(["evil"], {"evil": both(health(**bonds), clean())}, WHY)["minions"]
    (bond,) = row["bonds"]
    assert bond["bond"] == name
    assert len(bond["problems"][0]) == report.MAX_TEXT and bond["problems"][0].endswith("...")
    assert len(bond["problems"]) == report.MAX_ITEMS + 1
    assert bond["problems"][-1] == f"... and {201 - report.MAX_ITEMS} more problems"
    assert bond["slaves"] == [{"name": "<b>s</b>", "mii_status": "up"}]


def test_a_minion_with_thousands_of_bonds_is_capped():
    bonds = {f"bond{i:05d}": OK_BOND for i in range(report.MAX_BONDS + 10)}
    (row,) = report.build(["big"], {"big": both(health(**bonds), clean())}, WHY)["minions"]
    assert len(row["bonds"]) == report.MAX_BONDS
    assert row["problems"] == ["10 more bonds not shown"]


def test_a_return_nested_deep_or_huge_costs_no_more_to_show():
    deep = []
    for _ in range(100_000):  # deeper than Python's recursion limit
        deep = [deep]
    huge = list(range(1_000_000))
    for ret in (deep, huge, {"status": "ok", "bonds": {"bond0": {"status": deep}}}):
        (row,) = report.build(["x"], {"x": {"ret": ret}}, WHY)["minions"]
        assert row["status"] == "unknown", row
        assert all(len(problem) <= report.MAX_TEXT for problem in row["problems"]), row
    assert report.shown("a\nb") == "'a\\nb'" and report.text("a\nb") == "a\nb"
