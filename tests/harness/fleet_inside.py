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

More step kinds: ``{"pillar": {...}}`` makes that the minion's whole pillar on the
master (the next ``state.apply`` compiles it); ``{"read": path}`` reads a file,
or every file of a directory (``{name: text}``), where the minion runs;
``{"run": argv}`` runs a command there. The master can live in a network
namespace of its own, listening on an address there (``"master_netns"``,
``"master_address"``: see ``saltdaemons.py``); the minion then reaches it only
through what routes there.

The daemons are plain ``salt-master`` / ``salt-minion`` processes
(``saltdaemons.py``): pytest-salt-factories works in UML too but takes
minutes to start there. Their state (keys, cache, sockets) lives on a tmpfs
under /run; the file root is a copy of the formula, so ``saltutil.sync_all``
ships ``_modules/``, ``_states/``, ``_utils/`` from the master as on a real fleet.
Prints one JSON document: each step's return code, parsed output and the time
it took, plus the start-up time. Always stops the daemons.

Run it with the virtualenv's Python (its ``bin/`` holds the Salt scripts).
On the host, :func:`run_in_uml` boots the kernel for a scenario and runs a
plan as its last step.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.harness.agent import wait_sysfs  # noqa: E402
from tests.harness.saltcall import RHEL7_GRAINS  # noqa: E402
from tests.harness.saltdaemons import SaltDaemons  # noqa: E402

STATE_ROOT = "/run/fleet"  # a tmpfs inside UML; "state_root" in the plan overrides


def run_in_uml(uml, scenario, plan, timeout=840):
    """Host side: one boot of ``uml`` (a ``tests.harness.uml.Uml``) for ``scenario``,
    with ``plan`` (a dict; ``workdir`` is added here) run after the scenario's own steps.
    The report; AssertionError with the steps and where the logs are if it failed."""
    # Reachable inside UML: a 0755 directory directly under /tmp (see uml.py's unhiding).
    workdir = Path(tempfile.mkdtemp(prefix=f"bond-{scenario['name']}-"))
    workdir.chmod(0o755)
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps({**plan, "workdir": str(workdir)}))
    fleet = {"id": "fleet", "timeout": timeout,
             "run": [sys.executable, str(Path(__file__).resolve()), str(plan_path)]}
    run = uml.run([{**scenario, "steps": [*scenario.get("steps", []), fleet]}])
    step = run[scenario["name"]].step("fleet")
    try:
        report = json.loads(step["stdout"])
    except ValueError:
        raise AssertionError(f"fleet_inside printed no report (rc {step['rc']}):\n"
                             f"{step.get('stdout')}\n{step.get('stderr')}\n"
                             f"logs in {workdir}") from None
    print(f"{scenario['name']} timings inside UML (s):", report["timings"])
    if report.get("error"):
        raise AssertionError(f"{report['error']}\n{json.dumps(report['steps'], indent=1)}\n"
                             f"logs in {workdir}")
    shutil.rmtree(workdir, ignore_errors=True)
    return report


def write_pillar(pillar_root, pillar):
    """``pillar`` (a mapping) as the minion's whole pillar on the master."""
    (pillar_root / "fleet.sls").write_text(json.dumps(pillar))
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - fleet\n")


def read(path):
    path = Path(path)
    try:
        if path.is_dir():
            return {"rc": 0, "data": {f.name: f.read_text() for f in sorted(path.iterdir())}}
        return {"rc": 0, "data": path.read_text()}
    except OSError as exc:
        return {"rc": 1, "data": None, "stderr": str(exc)}


def run_step(daemons, minion_id, step):
    if "pillar" in step:
        write_pillar(daemons.pillar_root, step["pillar"])
        return {"rc": 0}
    if "read" in step:
        return read(step["read"])
    if "run" in step:
        proc = subprocess.run(step["run"], capture_output=True, text=True,
                              timeout=step.get("timeout", 60))
        return {"rc": proc.returncode, "data": proc.stdout, "stderr": proc.stderr}
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
    daemons = SaltDaemons(state_root, workdir, pillar,
                          master_address=plan.get("master_address", "127.0.0.1"),
                          master_netns=plan.get("master_netns"))
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
