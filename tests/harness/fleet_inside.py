"""A salt-master and a salt-minion inside the user-mode-linux kernel, driven by steps.

Run by the harness as a ``run`` step of a scenario (so the bonds of that
scenario exist)::

    {"id": "fleet", "run": [python, ".../fleet_inside.py", "plan.json"], "timeout": 900}

``plan.json``::

    {"minion_id": "uml-minion",
     "workdir": "/tmp/...",                  # on the shared filesystem: logs land here
     "steps": [
        {"id": "sync", "salt": ["saltutil.sync_all"]},      # salt <minion> ... --out=json
        {"id": "before", "salt": ["bond.health"]},
        {"ip": ["link", "set", "pa", "down"]},
        {"wait": {"path": "bond0/bonding/active_slave", "equals": "vb"}},
        {"id": "after", "salt": ["bond.health"]}]}

The daemons are plain ``salt-master`` / ``salt-minion`` processes
(``saltdaemons.py``): pytest-salt-factories works in UML too but takes
minutes to start there. Their state (keys, cache, sockets) lives on a tmpfs
under /run; the file root is a copy of the formula, so ``saltutil.sync_all``
ships ``_modules/``, ``_states/``, ``_utils/`` from the master as on a real fleet.
Prints one JSON document: each step's return code, parsed output and the time
it took, plus the start-up time. Always stops the daemons.

Run it with the virtualenv's Python (its ``bin/`` holds the Salt scripts).
"""

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.harness.agent import wait_sysfs  # noqa: E402
from tests.harness.saltcall import RHEL7_GRAINS  # noqa: E402
from tests.harness.saltdaemons import SaltDaemons  # noqa: E402

STATE_ROOT = "/run/fleet"  # a tmpfs inside UML; "state_root" in the plan overrides


def run_step(daemons, minion_id, step):
    if "salt" in step:
        ret = daemons.salt(minion_id, step["salt"], timeout=int(step.get("timeout", 300)))
        ret["data"] = (ret.pop("data") or {}).get(minion_id)
        return ret
    if "ip" in step:
        proc = subprocess.run(["ip", *step["ip"]], capture_output=True, text=True)
        return {"rc": proc.returncode, "stderr": proc.stderr}
    if "wait" in step:
        result = wait_sysfs(step["wait"])
        result["data"] = result.pop("stdout")
        return result
    raise ValueError(f"unknown step {step!r}")


def main(plan_path):
    plan = json.loads(Path(plan_path).read_text())
    workdir = Path(plan["workdir"])
    state_root = Path(plan.get("state_root", STATE_ROOT))
    minion_id = plan["minion_id"]
    report = {"steps": {}, "timings": {}}
    t0 = time.monotonic()
    pillar = state_root / "pillar"
    pillar.mkdir(parents=True)
    (pillar / "top.sls").write_text("base: {}\n")
    daemons = SaltDaemons(state_root, workdir, pillar)
    daemons.add_minion(minion_id,
                       **{"bond.ifcfg_dir": str(state_root / "network-scripts"),
                          "bond.modprobe_conf": str(state_root / "modprobe.d" / "bonding.conf"),
                          "grains": dict(RHEL7_GRAINS),
                          **plan.get("minion_opts", {})})
    try:
        daemons.start(timeout=float(plan.get("start_timeout", 600)))
        report["timings"]["start"] = round(time.monotonic() - t0, 1)
        for index, step in enumerate(plan["steps"]):
            step_id = step.get("id", f"step{index}")
            started = time.monotonic()
            report["steps"][step_id] = run_step(daemons, minion_id, step)
            report["timings"][step_id] = round(time.monotonic() - started, 1)
    except Exception as exc:  # reported in the JSON; the test shows it
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        started = time.monotonic()
        daemons.stop()
        report["timings"]["stop"] = round(time.monotonic() - started, 1)
        report["timings"]["total"] = round(time.monotonic() - t0, 1)
    text = json.dumps(report)
    (workdir / "fleet-report.json").write_text(text)
    print(text)
    return 0 if "error" not in report else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
