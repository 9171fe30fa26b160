"""Issue #24 in the real kernel: a rollout that cuts a minion off stops there.

The last part of the user-mode-linux boot shared by the daemon tests
(``daemons_boot.py``): bond0 (active-backup over va and vb, primary va,
192.0.2.10/24) in the root namespace, the salt-master in namespace ``peer`` behind
it on 192.0.2.1, reachable only through bond0. Besides the boot's minion
``uml-minion`` this part starts a second, ``uml-minion-2``, in the same root
namespace (its own files under ``/run/fleet/uml-minion-2``), and gives the master
the accepted key of a third, ``uml-minion-3``, that never runs: all three reach (or
would reach) their master through the same bond.

- ``uml-minion``, the canary (first in minion-id order): bond0 as it runs but with
  miimon 100 (the master part left 200), ``activate: kernel``, ``verify: {ping:
  192.0.2.1}``: a live change done in place and verified;
- ``uml-minion-2``: the same bond with 198.51.100.10/24, an address that takes the
  route to the master away, and no ``verify`` (nothing tells the minion the change
  was wrong). Applied, it changes bond0's address: the whole host (both minions)
  loses its master, the change stays, and its return never comes;
- ``uml-minion-3``: never started. It stands for the rest of the fleet: had the
  rollout gone on, its wave would show a publish that nobody answered (failed),
  not ``never started``. That later minions' files stay untouched is shown with
  real minions in ``tests/integration/test_runner.py``.

From the master (the warm ``salt-run`` of ``fleet_inside.py``):
``bond.rollout tgt=uml-minion,uml-minion-2 tgt_type=list test=True`` first (the
minions that run; a minion that never answers would only add the timeout): per
minion, the files and live operations that would change, nothing changed. Then
``bond.rollout tgt='*' canary=1 batch=1 timeout=30``: the canary applied, uml-minion-2
counted failed after 30 s ("did not return within 30 s"), the rollout stopped,
uml-minion-3 never started (Salt's ``--batch-size`` with ``--failhard`` would go on:
it stops only on a returned failure). The test then puts 192.0.2.10 back by hand,
waits until both minions answer the master again, and, their pillar refreshed, runs
``bond.report`` on the real driver: uml-minion-2's bond0 drifted (its files say
198.51.100.10, the kernel runs 192.0.2.10), uml-minion's bond0 ok; both minions
drifted, for the boot's LACP bond1 runs and neither pillar gives it.

The verification's own rollback of a change that cuts the master off (``verify:
{ping: ...}``, result False with why) is the master part's
(``test_activate_master_kernel.py``); a rollout stopping on a returned failure is
``tests/integration/test_runner.py``'s.

Measured here (2 cores, three boots, the not-kernel suite or another kernel batch
running beside; the part's ``timings`` are printed with the boot's): the second
minion up 22-26 s, its sync 10-19 s, the master's 6-10 s, the preview 9.5-12 s, the
rollout 36.5-42 s (its 30 s timeout), both minions answering again 10.5-17 s after
the address is back, the pillar refresh 12-16 s, the report 7-10 s: 122-147 s of
the boot's 376-483 s inside UML (as a boot of its own, with its own daemons, it took
303-410 s).
"""

import json

import pytest

from tests.kernel import daemons_boot
from tests.kernel.daemons_boot import MASTER, MINION, STATE_ROOT

pytestmark = pytest.mark.kernel

SECOND, NEVER = f"{MINION}-2", f"{MINION}-3"
RUNNING = [MINION, SECOND]
GOOD = {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100, "primary": "va",
        "ipaddr": "192.0.2.10", "prefix": 24, "verify": {"ping": MASTER}}
SILENTLY_CUTTING = {**{k: v for k, v in GOOD.items() if k != "verify"},
                    "ipaddr": "198.51.100.10"}
BOND0 = ["ip", "-j", "-4", "addr", "show", "dev", "bond0"]
TIMEOUT = 30  # the rollout's: how long a wave's minions have to return


def files_of(minion):
    return f"{STATE_ROOT}/network-scripts" if minion == MINION else \
        f"{STATE_ROOT}/{minion}/network-scripts"


def pillar(minion, bond):
    return {"pillar": {"bonding": {"activate": "kernel", "bonds": {"bond0": bond}}},
            "minion": minion}


STEPS = [
    {"pillar": {}},  # the earlier parts' pillar for every minion: gone
    pillar(MINION, GOOD), pillar(SECOND, SILENTLY_CUTTING),  # SECOND compiles it at start
    {"id": "start", "start_minion": SECOND},
    {"id": "key", "accept_key": NEVER},
    {"id": "sync", "salt": ["saltutil.sync_all"], "target": [SECOND]},
    {"id": "sync-master", "salt_run": ["saltutil.sync_all"]},
    {"id": "preview", "salt_run": ["bond.rollout", f"tgt={','.join(RUNNING)}", "tgt_type=list",
                                   "test=True", f"timeout={TIMEOUT}"], "timeout": 300},
    {"id": "addr-preview", "run": BOND0},
    {"id": "rollout", "salt_run": ["bond.rollout", "tgt=*", "canary=1", "batch=1",
                                   f"timeout={TIMEOUT}"], "timeout": 300},
    {"id": "addr-cut", "run": BOND0},
    {"id": "restore", "run": ["ip", "addr", "replace", "192.0.2.10/24", "dev", "bond0"]},
    {"id": "restore-del", "run": ["ip", "addr", "del", "198.51.100.10/24", "dev", "bond0"]},
    # A minion cut off reconnects when TCP next retries: until both answer.
    {"id": "ping", "salt": ["test.ping"], "target": RUNNING, "timeout": 30, "until_all": 240},
    {"id": "addr", "run": BOND0},
    {"id": "miimon", "read": "/sys/class/net/bond0/bonding/miimon"},
    *({"id": f"files-{m}", "run": ["sh", "-c", f"ls -A {files_of(m)} 2>/dev/null || true"]}
      for m in RUNNING),
    # bond.health and bond.verify read the pillar a minion holds (compiled when it
    # started, or on a refresh), which state.apply does not refresh: MINION's is still
    # the one it held in the earlier parts; SECOND started with its own.
    {"id": "refresh", "salt": ["saltutil.refresh_pillar", "wait=True"], "target": [MINION]},
    {"id": "report", "salt_run": ["bond.report", f"tgt={','.join(RUNNING)}", "tgt_type=list",
                                  "timeout=30"], "timeout": 300},
]


@pytest.fixture(scope="module")
def report(daemons_report):
    return daemons_boot.part(daemons_report, "rollout")


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
    assert step(report, "start")["rc"] == 0, step(report, "start")
    assert set(ran(report, "sync")) == {SECOND}
    assert "runners.bond" in ran(report, "sync-master")["runners"]


def test_the_preview_counts_the_live_changes_and_changes_nothing(report):
    preview = ran(report, "preview")
    assert preview["failed"] == {}, preview
    canary = preview["preview"][MINION]
    assert canary["files"] == 1 and canary["live"] >= 1, preview  # ifcfg-bond0; miimon
    cut = preview["preview"][SECOND]
    # ifcfg-bond0, -va, -vb and the modprobe alias; the address change.
    assert cut["files"] == 4 and cut["live"] >= 1, preview
    assert addresses(report, "addr-preview") == ["192.0.2.10/24"]


def test_a_minion_the_change_cut_off_did_not_return_and_stops_the_rollout(report):
    result = step(report, "rollout")
    assert result["rc"] == 1, result  # salt-run's exit code: it stopped
    data = result["data"]
    assert data["stopped"] is True and list(data["applied"]) == [MINION], data
    assert list(data["failed"]) == [SECOND], data
    why = data["failed"][SECOND]
    assert why.startswith(f"did not return within {TIMEOUT} s"), why
    assert data["waves"][1]["jid"] in why  # where to look it up later
    assert data["never_started"] == [NEVER], data
    assert [w["outcome"] for w in data["waves"]] == ["applied", "failed", "never started"]
    assert addresses(report, "addr-cut") == ["198.51.100.10/24"]  # it was cut off


def test_afterwards_the_minions_answer_and_the_files_are_what_ran(report):
    assert ran(report, "ping") == {m: True for m in RUNNING}, step(report, "ping")
    assert addresses(report, "addr") == ["192.0.2.10/24"]
    assert ran(report, "miimon") == "100\n"  # the canary's live change stayed
    for minion in RUNNING:
        assert ran(report, f"files-{minion}").split() == ["ifcfg-bond0", "ifcfg-va",
                                                          "ifcfg-vb"], minion


def test_the_report_on_the_real_driver(report):
    result = step(report, "report")
    assert result["rc"] == 1, result
    rows = {row["minion"]: row for row in result["data"]["minions"]}
    assert [(row["minion"], row["status"]) for row in result["data"]["minions"]] == [
        (MINION, "drifted"), (SECOND, "drifted")], json.dumps(rows, indent=1)
    ours = {bond["bond"]: bond for bond in rows[MINION]["bonds"]}
    bond0 = ours["bond0"]
    assert (bond0["status"], bond0["mode"], bond0["active_slave"], bond0["drift"]) == (
        "ok", "active-backup", "va", []), bond0
    assert bond0["slaves"] == [{"name": "va", "mii_status": "up"},
                               {"name": "vb", "mii_status": "up"}]
    # The boot's LACP bond runs, and this part's pillar does not give it: drifted, on
    # both minions (they read the same kernel).
    assert ours["bond1"]["drift"] == ["running, but pillar 'bonding' does not give it"]
    cut = {bond["bond"]: bond for bond in rows[SECOND]["bonds"]}
    assert cut["bond0"]["status"] == "drifted", cut
    assert any("198.51.100.10" in line for line in cut["bond0"]["drift"]), cut
