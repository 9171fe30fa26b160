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
master (the next ``state.apply`` compiles it; with ``"minion": id``, that minion's
only); ``{"read": path}`` reads a file,
or every file of a directory (``{name: text}``), where the minion runs (a
relative path: in the log directory, such as ``master.out``, the master's console);
``{"log": "uml-minion", "contains": text, "timeout": s}`` waits until that
daemon's log file has a line with ``text`` (rc 1 if not in time);
``{"run": argv}`` runs a command there; ``{"salt": [...], "grain": expr}`` targets
with ``salt -G expr`` and ``{"salt": [...], "target": "*"}`` a glob or a list of ids
(data: every minion's answer; with ``"until_all": s``, the command again until every
minion answered ``True``, for at most ``s`` seconds: rc 1 if never);
``{"salt_run": [...]}`` runs ``salt-run ... --out=json`` on the master (data: its
return; rc: its exit code). ``salt`` and ``salt_run`` steps run in one warm
``salt`` command per boot (``warm_salt.py --cli``: Salt's own ``salt_main`` or
``salt_run`` in a fork, without paying Salt's imports each time, some 7 s in this
kernel); with ``"process": true`` a step runs a ``salt`` (``salt-run``) process of its
own. The master can live in a network
namespace of its own, listening on an address there (``"master_netns"``,
``"master_address"``: see ``saltdaemons.py``); the minion then reaches it only
through what routes there. ``"master_opts"`` adds to the master's config (a
``reactor`` mapping), ``"minion_opts"`` to the minion's (``beacons``).
``"minions": [id, ...]`` starts more minions beside ``minion_id``, with the same
options; each writes its files under ``<state_root>/<id>/`` (``minion_id``'s under
``<state_root>/``). A step ``{"start_minion": id}`` starts one more such minion
then and there (until it answers ``test.ping``), ``{"accept_key": id}`` gives the
master the accepted key of a minion that never runs (a target names it; it never
answers).

With ``"master_events": true`` a listener records every event on the master's
bus from the moment both daemons answer (``master_events.py``: tag, data with
the master's ``_stamp``, ``received``); the report's ``events`` lists them
all. ``{"events": {"tag": "salt/beacon/*/bond0/failover", "count": 1,
"timeout": 60}}`` waits until that many events whose tag matches the glob
(and, with ``"data": {...}``, whose data has those items; with ``"since": <step
id>``, received once that step had begun) have arrived (rc 1 if they do not in
time) and gives them as its data. The
report's ``clock`` holds each step's start as ``time.time()`` inside the
kernel, the clock the events' times are on.

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

import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.harness import master_events  # noqa: E402
from tests.harness.agent import wait_sysfs  # noqa: E402
from tests.harness.saltcall import RHEL7_GRAINS  # noqa: E402
from tests.harness.saltdaemons import SaltDaemons  # noqa: E402

STATE_ROOT = "/run/fleet"  # a tmpfs inside UML; "state_root" in the plan overrides


def run_in_uml(uml, scenario, plan, timeout=840):
    """Host side: one boot of ``uml`` (a ``tests.harness.uml.Uml``) for ``scenario``,
    with ``plan`` (a dict; ``workdir`` is added here) run after the scenario's own steps.
    The report; AssertionError with the steps and where the logs are if it failed."""
    fleet, workdir = fleet_step(scenario["name"], plan, timeout)
    run = uml.run([{**scenario, "steps": [*scenario.get("steps", []), fleet]}])
    return fleet_report(run[scenario["name"]], workdir)


def fleet_step(name, plan, timeout=840):
    """Host side: the scenario step (id ``fleet``) that runs ``plan`` inside the kernel,
    wherever it stands among the scenario's steps, and the directory of its logs."""
    # Reachable inside UML: a 0755 directory directly under /tmp (see uml.py's unhiding).
    workdir = Path(tempfile.mkdtemp(prefix=f"bond-{name}-"))
    workdir.chmod(0o755)
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps({**plan, "workdir": str(workdir)}))
    return {"id": "fleet", "timeout": timeout,
            "run": [sys.executable, str(Path(__file__).resolve()), str(plan_path)]}, workdir


def fleet_report(result, workdir):
    """Host side: the report of the ``fleet`` step of ``result`` (a ``ScenarioResult``);
    AssertionError with the steps and where the logs are if it failed."""
    step = result.step("fleet")
    try:
        report = json.loads(step["stdout"])
    except ValueError:
        raise AssertionError(f"fleet_inside printed no report (rc {step['rc']}):\n"
                             f"{step.get('stdout')}\n{step.get('stderr')}\n"
                             f"logs in {workdir}") from None
    print(f"{result.name} timings inside UML (s):", report["timings"])
    if report.get("error"):
        raise AssertionError(f"{report['error']}\n{json.dumps(report['steps'], indent=1)}\n"
                             f"logs in {workdir}")
    shutil.rmtree(workdir, ignore_errors=True)
    return report


def write_pillar(pillar_root, pillar, minion=None):
    """``pillar`` (a mapping) as the whole pillar on the master of every minion, or of
    ``minion`` alone (each minion given its own keeps it)."""
    name = "fleet" if minion is None else f"fleet-{minion}"
    (pillar_root / f"{name}.sls").write_text(json.dumps(pillar))
    own = sorted(path.stem[len("fleet-"):] for path in pillar_root.glob("fleet-*.sls"))
    top = ["base:"]
    if (pillar_root / "fleet.sls").exists():
        top += ["  '*':", "    - fleet"]
    for each in own:
        top += [f"  '{each}':", f"    - fleet-{each}"]
    (pillar_root / "top.sls").write_text("\n".join(top) + "\n")


def read(path):
    path = Path(path)
    try:
        if path.is_dir():
            return {"rc": 0, "data": {f.name: f.read_text() for f in sorted(path.iterdir())}}
        return {"rc": 0, "data": path.read_text()}
    except OSError as exc:
        return {"rc": 1, "data": None, "stderr": str(exc)}


def wait_log(path, text, timeout):
    """Poll ``path`` until it contains ``text`` (rc 0, data: the line), or ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            lines = [line for line in Path(path).read_text(errors="replace").splitlines()
                     if text in line]
        except FileNotFoundError:
            lines = []
        if lines:
            return {"rc": 0, "data": lines[0]}
        if time.monotonic() > deadline:
            return {"rc": 1, "data": None,
                    "stderr": f"{path} did not say {text!r} within {timeout} s"}
        time.sleep(0.2)


class EventLog:
    """The master's bus, recorded by ``master_events.py`` into ``path`` while it runs."""

    def __init__(self, daemons, path):
        self.path = Path(path)
        with open(self.path.with_suffix(".err"), "wb") as err:
            self.proc = subprocess.Popen(
                [*daemons.in_master_netns, sys.executable, master_events.__file__,
                 str(daemons.master_dir), str(self.path)],
                stdout=subprocess.DEVNULL, stderr=err, env=daemons.env, start_new_session=True)
        if not self.wait(master_events.READY, 1, timeout=120)[0]:
            self.stop()
            raise RuntimeError(f"the event listener never subscribed (see {self.path}.err)")

    def events(self):
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return []
        # A line still being written has no newline yet: leave it for the next read.
        return [json.loads(line) for line in text.splitlines(keepends=True)
                if line.endswith("\n")]

    def wait(self, pattern, count=1, timeout=60, data=None, since=None):
        """``(arrived, [event])``: the events whose tag matches ``pattern`` (a glob) and
        whose data has the items of ``data`` (received at ``since`` or later, a
        ``time.time()``, when given), once ``count`` of them are there, or all that came
        within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        items = (data or {}).items()
        while True:
            found = [e for e in self.events() if fnmatch.fnmatchcase(e["tag"], pattern)
                     and all(e["data"].get(key) == value for key, value in items)
                     and (since is None or e["received"] >= since)]
            if len(found) >= count or time.monotonic() > deadline:
                return len(found) >= count, found
            time.sleep(0.2)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


def minion_opts(plan, minion_id):
    """The options of minion ``minion_id`` of ``plan``: where its files go, its grains."""
    state_root = Path(plan.get("state_root", STATE_ROOT))
    files = state_root if minion_id == plan["minion_id"] else state_root / minion_id
    return {"bond.ifcfg_dir": str(files / "network-scripts"),
            "bond.modprobe_conf": str(files / "modprobe.d" / "bonding.conf"),
            "grains": dict(RHEL7_GRAINS),
            **plan.get("minion_opts", {})}


def run_step(daemons, plan, step, bus=None, clock=None):
    minion_id = plan["minion_id"]
    if "start_minion" in step:
        started = time.monotonic()
        daemons.start_minion(step["start_minion"], timeout=float(step.get("timeout", 600)),
                             **minion_opts(plan, step["start_minion"]))
        return {"rc": 0, "seconds": round(time.monotonic() - started, 1)}
    if "kill" in step:  # a daemon (and its job processes) killed with SIGKILL
        daemons.kill(step["kill"])
        return {"rc": 0}
    if "accept_key" in step:
        daemons.accept_key(step["accept_key"])
        return {"rc": 0}
    if "events" in step:
        spec = step["events"]
        since = clock[spec["since"]] if spec.get("since") else None
        arrived, found = bus.wait(spec["tag"], int(spec.get("count", 1)),
                                  float(spec.get("timeout", 60)), spec.get("data"), since)
        return {"rc": 0 if arrived else 1, "data": found}
    if "pillar" in step:
        write_pillar(daemons.pillar_root, step["pillar"], step.get("minion"))
        return {"rc": 0}
    if "salt_run" in step:
        return daemons.salt_run(step["salt_run"], timeout=int(step.get("timeout", 600)),
                                process=step.get("process"))
    if "read" in step:  # a relative path: in the log directory (master.out, ...)
        return read(daemons.log_dir / step["read"])
    if "log" in step:  # wait until a daemon's log file says something
        return wait_log(daemons.log_path(step["log"]), step["contains"],
                        float(step.get("timeout", 60)))
    if "run" in step:
        proc = subprocess.run(step["run"], capture_output=True, text=True,
                              timeout=step.get("timeout", 60))
        return {"rc": proc.returncode, "data": proc.stdout, "stderr": proc.stderr}
    if "salt" in step and "grain" in step:  # salt -G: every minion's answer, or None
        return daemons.salt(step["grain"], step["salt"], tgt_type="grain",
                            timeout=int(step.get("timeout", 60)), process=step.get("process"))
    if "salt" in step and "target" in step:  # every minion's answer, or None
        deadline = time.monotonic() + float(step.get("until_all", 0))
        while True:
            ret = daemons.salt(step["target"], step["salt"],
                               timeout=int(step.get("timeout", 300)), process=step.get("process"))
            answers = ret["data"] or {}
            if "until_all" not in step or all(answers.get(m) is True for m in daemons.minion_ids):
                return ret
            if time.monotonic() > deadline:
                return {**ret, "rc": 1, "stderr": f"not every minion answered True: {answers}"}
    if "salt" in step:  # "options": salt's own, before the target (--async)
        ret = daemons.salt(minion_id, step["salt"], timeout=int(step.get("timeout", 300)),
                           process=step.get("process"), options=step.get("options", ()))
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
    report = {"steps": {}, "timings": {}, "clock": {}}
    bus = None
    t0 = time.monotonic()
    pillar = state_root / "pillar"
    pillar.mkdir(parents=True)
    (pillar / "top.sls").write_text("base: {}\n")
    daemons = SaltDaemons(state_root, workdir, pillar,
                          master_address=plan.get("master_address", "127.0.0.1"),
                          master_netns=plan.get("master_netns"),
                          master_opts=plan.get("master_opts"),
                          warm_cli=plan.get("warm_cli", True))
    for each in [minion_id, *plan.get("minions", [])]:
        daemons.add_minion(each, **minion_opts(plan, each))
    try:
        daemons.start(timeout=float(plan.get("start_timeout", 600)))
        report["timings"]["start"] = round(time.monotonic() - t0, 1)
        if plan.get("master_events"):
            bus = EventLog(daemons, workdir / "master-events.jsonl")
        for index, step in enumerate(plan["steps"]):
            step_id = step.get("id", f"step{index}")
            started = time.monotonic()
            report["clock"][step_id] = time.time()
            report["steps"][step_id] = run_step(daemons, plan, step, bus, report["clock"])
            report["timings"][step_id] = round(time.monotonic() - started, 1)
    except Exception as exc:  # reported in the JSON; the test shows it
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        started = time.monotonic()
        if bus is not None:
            bus.stop()
            report["events"] = bus.events()
        daemons.stop()
        report["timings"]["stop"] = round(time.monotonic() - started, 1)
        report["timings"]["total"] = round(time.monotonic() - t0, 1)
    text = json.dumps(report)
    (workdir / "fleet-report.json").write_text(text)
    print(text)
    return 0 if "error" not in report else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
