"""Issue #24 in the real kernel: a rollout that cuts a minion off stops there.

One user-mode-linux boot, the setup of ``test_activate_master_kernel.py``: bond0
(active-backup over va and vb, 192.0.2.10/24) in the root namespace, the
salt-master in namespace ``peer`` behind it on 192.0.2.1, reachable only through
bond0. Three salt-minions run beside each other in the root namespace
(``tests/harness/fleet_inside.py``, ``"minions"``), each writing its own files, all
reaching their master through the same bond:

- ``uml-1``, the canary: a pillar that describes bond0 as it runs (``activate:
  kernel``, ``verify: {ping: 192.0.2.1}``): files written, the kernel left alone;
- ``uml-2``: the same bond with 198.51.100.10/24, an address that takes the route
  to the master away. Applied, it changes bond0's address: the whole host (every
  minion) loses its master;
- ``uml-3``: the good pillar too; it must never be started.

From the master, ``salt-run bond.rollout tgt='*' canary=1 batch=1``:

- ``test=True`` first: per minion, the files and live operations that would change
  (uml-2's address change among them), nothing changed;
- with ``verify: {ping: 192.0.2.1}`` in uml-2's pillar: its verification cannot reach
  the master, it puts files and kernel back by itself and returns ``result: False``
  with why: the rollout stops there, uml-3 never started;
- without it (nothing tells the minion the change was wrong): the change stays, the
  minion is cut off and its return never comes. The rollout waits ``timeout`` (30 s),
  counts it failed ("did not return within 30 s") and stops, uml-3 never started
  (Salt's ``--batch-size`` with ``--failhard`` would go on: it stops only on a
  returned failure). The test then puts 192.0.2.10 back by hand.

After each: every minion answers the master again, bond0 has 192.0.2.10, and uml-3
has written nothing. Last, the minions' pillar refreshed, ``salt-run bond.report`` on
the real driver: uml-1 ok (files and kernel as its pillar says), uml-2 drifted (its
files say 198.51.100.10, the kernel runs 192.0.2.10), uml-3 drifted (its files were
never written).

Measured here (2 cores, shared; three boots): the daemons up 127-131 s after the
boot, the preview 13-21 s, the refused rollout 16-24 s, the cut-off one 40-42 s (its
30 s timeout), the minions all back 12-32 s after each; 303-410 s inside UML, 8.5-9
min for the test with the wait for the machine's kernel lock.
"""

import json

import pytest

from tests.harness import uml as uml_harness
from tests.harness.fleet_inside import run_in_uml

pytestmark = pytest.mark.kernel

MASTER = "192.0.2.1"
STATE_ROOT = "/run/fleet"
MINIONS = ("uml-1", "uml-2", "uml-3")
GOOD = {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100,
        "ipaddr": "192.0.2.10", "prefix": 24, "verify": {"ping": MASTER}}
CUTTING = {**GOOD, "ipaddr": "198.51.100.10"}
SILENTLY_CUTTING = {k: v for k, v in CUTTING.items() if k != "verify"}
BOND0 = ["ip", "-j", "-4", "addr", "show", "dev", "bond0"]

SCENARIO = {
    "name": "rollout-cut-off",
    "bonds": [{"name": "bond0", "mode": "active-backup", "options": {"miimon": 100},
               "slaves": [{"name": "va", "peer": "pa"}, {"name": "vb", "peer": "pb"}]}],
    "addresses": [{"dev": "bond0", "address": "192.0.2.10/24"}],
    "neighbour": {"peers": ["pa", "pb"], "addresses": [f"{MASTER}/24"]},
    "steps": [
        {"wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
        {"wait": {"path": "vb/bonding_slave/mii_status", "equals": "up"}},
    ],
}


def files_of(minion):
    return f"{STATE_ROOT}/network-scripts" if minion == MINIONS[0] else \
        f"{STATE_ROOT}/{minion}/network-scripts"


def pillar(minion, bond):
    return {"pillar": {"bonding": {"activate": "kernel", "bonds": {"bond0": bond}}},
            "minion": minion}


def rollout(step_id, *args):
    return {"id": step_id, "salt_run": ["bond.rollout", "tgt=*", "canary=1", "batch=1", *args],
            "timeout": 300}


def after(label):
    """Once a rollout is over: every minion answers the master (again: a minion cut off
    reconnects when TCP retries), the kernel, every minion's files."""
    return [
        {"id": f"ping-{label}", "salt": ["test.ping"], "target": "*", "timeout": 30,
         "until_all": 240},
        {"id": f"addr-{label}", "run": BOND0},
        *({"id": f"files-{label}-{m}",  # nothing, where no file was ever written
           "run": ["sh", "-c", f"ls -A {files_of(m)} 2>/dev/null || true"]} for m in MINIONS),
    ]


PLAN_STEPS = [
    {"id": "sync", "salt": ["saltutil.sync_all"], "target": "*"},
    {"id": "sync-master", "salt_run": ["saltutil.sync_all"]},
    pillar("uml-1", GOOD), pillar("uml-2", CUTTING), pillar("uml-3", GOOD),
    rollout("preview", "test=True"),
    {"id": "addr-preview", "run": BOND0},
    rollout("refused", "timeout=60"),
    *after("refused"),
    pillar("uml-2", SILENTLY_CUTTING),
    rollout("silent", "timeout=30"),
    {"id": "addr-cut", "run": BOND0},
    {"id": "restore", "run": ["ip", "addr", "replace", "192.0.2.10/24", "dev", "bond0"]},
    {"id": "restore-del", "run": ["ip", "addr", "del", "198.51.100.10/24", "dev", "bond0"]},
    *after("silent"),
    # bond.health and bond.verify read the pillar a minion holds (compiled when it
    # started: none here), which state.apply does not refresh.
    {"id": "refresh", "salt": ["saltutil.refresh_pillar", "wait=True"], "target": "*"},
    {"id": "report", "salt_run": ["bond.report", "timeout=30"]},
]


@pytest.fixture(scope="module")
def report(uml, tmp_path_factory):
    # Four Salt daemons (a master, three minions) and salt-run in one kernel.
    bigger = uml_harness.Uml(uml.workdir, python=uml.python, mem="1536M", timeout=uml.timeout)
    found = run_in_uml(bigger, SCENARIO, {
        "minion_id": MINIONS[0], "minions": list(MINIONS[1:]), "state_root": STATE_ROOT,
        "master_netns": "peer", "master_address": MASTER, "steps": PLAN_STEPS})
    (tmp_path_factory.mktemp("rollout") / "report.json").write_text(json.dumps(found))
    return found


def step(report, step_id):
    return report["steps"][step_id]


def ran(report, step_id):
    found = step(report, step_id)
    assert found["rc"] == 0, (step_id, found)
    return found["data"]


def addresses(report, step_id):
    (link,) = json.loads(ran(report, step_id))
    return [f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"]]


def test_the_runner_reaches_the_minions_through_the_bond(report):
    assert set(ran(report, "sync")) == set(MINIONS)
    assert "runners.bond" in ran(report, "sync-master")["runners"]


def test_the_preview_counts_the_live_change_and_changes_nothing(report):
    preview = ran(report, "preview")
    assert preview["failed"] == {}, preview
    # ifcfg-bond0, -va, -vb and the modprobe alias; the kernel already runs that bond0.
    assert preview["preview"]["uml-1"] == {"files": 4, "live": 0}, preview
    assert preview["preview"]["uml-3"] == {"files": 4, "live": 0}, preview
    cut = preview["preview"]["uml-2"]
    assert cut["files"] == 4 and cut["live"] >= 1, preview  # the address change
    assert addresses(report, "addr-preview") == ["192.0.2.10/24"]


def check_stopped_at_uml_2(report, label, why, uml_2_files):
    result = step(report, label)
    assert result["rc"] == 1, result  # salt-run's exit code: it stopped
    data = result["data"]
    assert data["stopped"] is True and list(data["applied"]) == ["uml-1"], data
    assert list(data["failed"]) == ["uml-2"] and why(data["failed"]["uml-2"]), data
    assert data["never_started"] == ["uml-3"], data
    assert [w["outcome"] for w in data["waves"]] == ["applied", "failed", "never started"]
    # Afterwards: every minion back in touch, the address back, uml-3 untouched.
    assert ran(report, f"ping-{label}") == {m: True for m in MINIONS}, step(report,
                                                                          f"ping-{label}")
    assert addresses(report, f"addr-{label}") == ["192.0.2.10/24"]
    assert ran(report, f"files-{label}-uml-1").split() == ["ifcfg-bond0", "ifcfg-va",
                                                           "ifcfg-vb"]
    assert ran(report, f"files-{label}-uml-2").split() == uml_2_files
    assert ran(report, f"files-{label}-uml-3").split() == []
    return data


def test_a_change_refused_by_its_verification_fails_the_minion_and_stops_the_rollout(report):
    check_stopped_at_uml_2(report, "refused", lambda why: why.startswith(
        f"bond.reconciled bonding: verification failed: {MASTER} unreachable through bond0 "
        "after 5 s (no route); rolled back the kernel (bond0)"), [])  # none before


def test_a_minion_the_change_cut_off_did_not_return_and_stops_the_rollout(report):
    data = check_stopped_at_uml_2(report, "silent", lambda why: why.startswith(
        "did not return within 30 s"), ["ifcfg-bond0", "ifcfg-va", "ifcfg-vb"])
    assert data["waves"][1]["jid"] in data["failed"]["uml-2"]  # where to look it up later
    assert addresses(report, "addr-cut") == ["198.51.100.10/24"]  # it was cut off


def test_the_report_on_the_real_driver(report):
    result = step(report, "report")
    assert result["rc"] == 1, result
    rows = {row["minion"]: row for row in result["data"]["minions"]}
    assert [(row["minion"], row["status"]) for row in result["data"]["minions"]] == [
        ("uml-2", "drifted"), ("uml-3", "drifted"), ("uml-1", "ok")], json.dumps(rows, indent=1)
    assert rows["uml-1"]["status"] == "ok", rows["uml-1"]
    (bond0,) = rows["uml-1"]["bonds"]
    assert (bond0["mode"], bond0["active_slave"], bond0["drift"]) == ("active-backup", "va", [])
    assert bond0["slaves"] == [{"name": "va", "mii_status": "up"},
                               {"name": "vb", "mii_status": "up"}]
    assert rows["uml-2"]["status"] == "drifted"
    assert any("198.51.100.10" in line for line in rows["uml-2"]["bonds"][0]["drift"]), rows
    assert rows["uml-3"]["status"] == "drifted"
    assert any(line.endswith("ifcfg-bond0: missing") for line in rows["uml-3"]["bonds"][0]["drift"])
