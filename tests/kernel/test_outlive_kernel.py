"""Issue #23: a rollback that outlives the minion, in the real kernel.

The last part of the user-mode-linux boot shared by the daemon tests
(``daemons_boot.py``): bond0 (active-backup over va and vb, primary va, miimon 100,
192.0.2.10/24, as the rollout part's canary left it) carries the minion's only path to
its salt-master in namespace ``peer``.

From the master, ``salt uml-minion state.apply bonding --async`` with pillar
``activate: kernel``, ``rollback_after: 20`` and bond0 changed in two live operations
(miimon 250, primary vb). ifcfg-bond0 belongs to nobody:nogroup, mode 0640, before the
run. The minion's test hook (minion option ``bond.pause_file``, armed by the test
creating the file) pauses the run after the first operation and says so in
``<file>.paused``. There the salt-minion is killed with SIGKILL, its job processes
with it (its whole process group: as a crash or an out-of-memory kill ends it). The
run's own rollback dies with it; the timer it armed before it changed anything (a
detached process here: no systemd inside user-mode-linux) fires after 20 s, puts the
files back (owner and mode too) and the kernel (miimon 100, primary va), and leaves
its record, ``fired.json``, for the next run to report.
"""

import json
import re

import pytest

from tests.kernel import daemons_boot
from tests.kernel.daemons_boot import MASTER, MINION, PAUSE_FILE, STATE_ROOT

pytestmark = pytest.mark.kernel

IFCFG_DIR = f"{STATE_ROOT}/network-scripts"
TIMER_DIR = f"{STATE_ROOT}/{MINION}/cache/bond-rollback"
AFTER = 20  # rollback_after: seconds
GOOD = {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100, "primary": "va",
        "ipaddr": "192.0.2.10", "prefix": 24, "verify": {"ping": MASTER}}
CHANGED = {**GOOD, "miimon": 250, "primary": "vb"}
OPTIONS = "/sys/class/net/bond0/bonding"


def kernel(label):
    return [{"id": f"{option}-{label}", "read": f"{OPTIONS}/{option}"}
            for option in ("miimon", "primary", "slaves")]


def owner(label):
    return {"id": f"owner-{label}", "run": ["stat", "-c", "%U:%G %a",
                                            f"{IFCFG_DIR}/ifcfg-bond0"]}


STEPS = [
    {"id": "chown", "run": ["chown", "nobody:nogroup", f"{IFCFG_DIR}/ifcfg-bond0"]},
    {"id": "chmod", "run": ["chmod", "0640", f"{IFCFG_DIR}/ifcfg-bond0"]},
    {"id": "files-before", "read": IFCFG_DIR}, owner("before"), *kernel("before"),
    {"pillar": {"bonding": {"activate": "kernel", "rollback_after": AFTER,
                            "bonds": {"bond0": CHANGED}}},
     "minion": MINION},  # the rollout part gave it a pillar of its own: this replaces it
    {"id": "arm-pause", "run": ["touch", PAUSE_FILE]},
    {"id": "apply", "salt": ["state.apply", "bonding"], "options": ["--async"]},
    {"id": "paused", "wait": {"path": f"{PAUSE_FILE}.paused", "exists": True,
                              "timeout": 180}},
    {"id": "files-paused", "read": IFCFG_DIR}, *kernel("paused"),
    {"id": "journal", "read": TIMER_DIR},
    {"id": "kill", "kill": MINION},
    {"id": "minion-gone", "run": ["pgrep", "-f", f"{MINION}/conf"]},
    {"id": "fired", "wait": {"path": f"{TIMER_DIR}/fired.json", "exists": True,
                             "timeout": AFTER + 180}},
    {"id": "record", "read": f"{TIMER_DIR}/fired.json"},
    {"id": "files-after", "read": IFCFG_DIR}, owner("after"), *kernel("after"),
    {"id": "timer-gone", "run": ["pgrep", "-f", "salt_bonding.activate.timer"]},
    # for the reader of a failure: what the minion and the timer logged
    {"id": "logs", "run": ["bash", "-c", f"find {STATE_ROOT}/{MINION} -name '{MINION}.log' "
                                         f"-exec tail -n 40 {{}} +; cat {TIMER_DIR}/timer.log"]},
]


@pytest.fixture(scope="module")
def report(daemons_report):
    report = daemons_boot.part(daemons_report, "outlive")
    print("outlive part:", json.dumps({key: {k: v for k, v in step.items() if k != "data"}
                                       for key, step in report["steps"].items()}, indent=1))
    print("logs:", report["steps"].get("logs", {}).get("data"))
    return report


def data(report, step_id):
    step = report["steps"][step_id]
    assert step["rc"] == 0, (step_id, step)
    return step["data"]


def test_the_run_was_killed_in_the_middle_of_its_change(report):
    # The files were written and one of the two live operations done: half a change.
    assert "miimon=250" in data(report, "files-paused")["ifcfg-bond0"]
    changed = [data(report, "miimon-paused") == "250\n",
               data(report, "primary-paused") == "vb\n"]
    assert changed.count(True) == 1, (data(report, "miimon-paused"),
                                      data(report, "primary-paused"))
    (journal,) = [name for name in data(report, "journal") if name.startswith("pending-")]
    assert re.fullmatch(r"pending-\d{8}T\d{6}-[0-9a-f]{8}\.json", journal)
    # Nothing of the salt-minion runs any more (pgrep finds nothing: exit 1).
    assert report["steps"]["minion-gone"]["rc"] == 1, report["steps"]["minion-gone"]


def test_the_timer_put_the_files_and_the_kernel_back_after_rollback_after(report):
    assert data(report, "files-after") == data(report, "files-before")
    assert data(report, "owner-after") == data(report, "owner-before") == "nobody:nogroup 640\n"
    for option in ("miimon", "primary", "slaves"):
        assert data(report, f"{option}-after") == data(report, f"{option}-before"), option
    assert data(report, "miimon-after") == "100\n" and data(report, "primary-after") == "va\n"
    record = json.loads(data(report, "record"))
    assert record["bonds_restored"] == ["bond0"] and record["bond_errors"] == []
    assert record["file_errors"] == {}
    assert f"{IFCFG_DIR}/ifcfg-bond0" in record["files_restored"]
    assert record["fired_at"] - record["armed_at"] >= AFTER  # it waited its time
    # The timer ended once it had done its work.
    assert report["steps"]["timer-gone"]["rc"] == 1, report["steps"]["timer-gone"]
    print("outlive part timings:", report["timings"])
