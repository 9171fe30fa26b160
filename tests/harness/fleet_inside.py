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

The daemons are started directly (``salt-master``, ``salt-minion``) from a
generated config with ``auto_accept``: pytest-salt-factories works in UML too
but takes minutes to start there. Their state (keys, cache, sockets) lives on
a tmpfs under /run; the file root is this repository, so ``saltutil.sync_all``
ships ``_modules/``, ``_states/``, ``_utils/`` from the master as on a real
fleet. Prints one JSON document: each step's return code, parsed output and
the time it took, plus the start-up time. Always stops the daemons.

Standard library only (it runs with the virtualenv's Python, whose ``bin/``
holds the Salt scripts).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.harness.agent import wait_sysfs  # noqa: E402

BIN = Path(sys.executable).parent
STATE_ROOT = Path("/run/fleet")  # a tmpfs inside UML; "state_root" in the plan overrides


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def daemon_paths(role, workdir):
    """State on the tmpfs, the log on the shared filesystem (readable afterwards)."""
    root = STATE_ROOT / role
    return {"root_dir": str(root), "pki_dir": str(root / "pki"),
            "cachedir": str(root / "cache"), "sock_dir": str(root / "sock"),
            "pidfile": str(root / f"{role}.pid"), "log_file": str(workdir / f"{role}.log")}


def configs(plan, workdir):
    """Write master and minion configs; returns their config dirs."""
    ports = {"publish_port": free_port(), "ret_port": free_port()}
    common = {
        **ports,
        "user": "root",
        "log_level": "warning",
        "log_level_logfile": "info",
        "ipc_mode": "ipc",
    }
    pillar = STATE_ROOT / "pillar"
    pillar.mkdir(parents=True)
    (pillar / "top.sls").write_text("base: {}\n")
    master = {
        **common,
        "id": "uml-master",
        "interface": "127.0.0.1",
        **daemon_paths("master", workdir),
        "key_logfile": str(workdir / "key.log"),
        "auto_accept": True,
        "worker_threads": 2,
        "file_roots": {"base": [str(REPO)]},
        "pillar_roots": {"base": [str(pillar)]},
        "fileserver_followsymlinks": False,  # .venv may link to a whole Python
        "fileserver_list_cache_time": 300,
        "enable_legacy_startup_events": False,
    }
    minion = {
        **common,
        "id": plan["minion_id"],
        "master": "127.0.0.1",
        "master_port": ports["ret_port"],
        **daemon_paths("minion", workdir),
        "acceptance_wait_time": 0.5,
        "acceptance_wait_time_max": 2,
        "grains_cache": False,
        "enable_fqdns_grains": False,
        "enable_gpu_grains": False,
        "bond.ifcfg_dir": str(STATE_ROOT / "network-scripts"),
        "bond.modprobe_conf": str(STATE_ROOT / "modprobe.d" / "bonding.conf"),
        **plan.get("minion_opts", {}),
    }
    dirs = {}
    for role, conf in (("master", master), ("minion", minion)):
        conf_dir = STATE_ROOT / f"{role}-conf"
        conf_dir.mkdir(parents=True)
        (conf_dir / role).write_text(json.dumps(conf, indent=1))
        dirs[role] = conf_dir
    return dirs


def salt(conf_dir, minion_id, args, timeout):
    argv = [str(BIN / "salt"), f"--config-dir={conf_dir}", "--out=json", "--static",
            f"--timeout={timeout}", "--log-level=quiet", minion_id, *args]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 60,
                          env=ENV)
    try:
        data = json.loads(proc.stdout).get(minion_id)
    except (ValueError, AttributeError):
        data = None
    return {"rc": proc.returncode, "data": data, "stdout": proc.stdout[-4000:],
            "stderr": proc.stderr[-4000:]}


def wait_minion(conf_dir, minion_id, deadline):
    """Until ``salt <minion> test.ping`` answers True (the key is auto-accepted)."""
    last = None
    while time.monotonic() < deadline:
        last = salt(conf_dir, minion_id, ["test.ping"], timeout=10)
        if last["data"] is True:
            return last
        time.sleep(1)
    raise RuntimeError(f"minion {minion_id} never answered: {last}")


def stop(daemons):
    """SIGTERM to every daemon at once, then wait (SIGKILL the group after 30 s)."""
    for proc in daemons:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the daemon and its workers
    for proc in daemons:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


ENV = dict(os.environ, HOME=str(STATE_ROOT), TMPDIR="/dev/shm")


def main(plan_path):
    global STATE_ROOT
    plan = json.loads(Path(plan_path).read_text())
    STATE_ROOT = Path(plan.get("state_root", STATE_ROOT))
    ENV["HOME"] = str(STATE_ROOT)
    workdir = Path(plan["workdir"])
    minion_id = plan["minion_id"]
    report = {"steps": {}, "timings": {}}
    t0 = time.monotonic()
    dirs = configs(plan, workdir)
    daemons = []
    try:
        for role in ("master", "minion"):
            with open(workdir / f"{role}.out", "wb") as log:
                daemons.append(subprocess.Popen(
                    [str(BIN / f"salt-{role}"), f"--config-dir={dirs[role]}"],
                    stdout=log, stderr=subprocess.STDOUT, env=ENV, start_new_session=True))
        wait_minion(dirs["master"], minion_id, t0 + float(plan.get("start_timeout", 600)))
        report["timings"]["start"] = round(time.monotonic() - t0, 1)
        for index, step in enumerate(plan["steps"]):
            step_id = step.get("id", f"step{index}")
            started = time.monotonic()
            if "salt" in step:
                result = salt(dirs["master"], minion_id, step["salt"],
                              timeout=int(step.get("timeout", 300)))
            elif "ip" in step:
                proc = subprocess.run(["ip", *step["ip"]], capture_output=True, text=True)
                result = {"rc": proc.returncode, "stderr": proc.stderr}
            elif "wait" in step:
                result = wait_sysfs(step["wait"])
                result["data"] = result.pop("stdout")
            else:
                raise ValueError(f"unknown step {step!r}")
            report["steps"][step_id] = result
            report["timings"][step_id] = round(time.monotonic() - started, 1)
    except Exception as exc:  # reported in the JSON; the test shows it
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        started = time.monotonic()
        stop(daemons)
        report["timings"]["stop"] = round(time.monotonic() - started, 1)
        report["timings"]["total"] = round(time.monotonic() - t0, 1)
    text = json.dumps(report)
    (workdir / "fleet-report.json").write_text(text)
    print(text)
    return 0 if "error" not in report else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
