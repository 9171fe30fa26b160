"""Plain salt-master and salt-minion daemons from a generated config.

For places where pytest-salt-factories is too heavy: inside the
user-mode-linux kernel (``fleet_inside.py``; salt-factories takes minutes to
start there) and the fleet benchmark (``benchmarks/bench_fleet.py``). The
master auto-accepts keys, serves a copy of the formula as its file root
(:func:`formula_root`: ``saltutil.sync_all`` ships ``_modules/``,
``_states/``, ``_beacons/``, ``_grains/``, ``_utils/``) and ``pillar_root`` as its pillar;
``master_opts`` adds to its config (a ``reactor`` mapping, ...). Keys, caches and
sockets live under ``state_root``; the console output of each daemon under ``log_dir``
(``<name>.out``), its log file where :meth:`SaltDaemons.log_path` says.

By default everything talks over 127.0.0.1. ``master_address`` and
``master_netns`` put the master (and the ``salt`` command, which talks to it)
in a network namespace, listening on that address, with the minions where the
caller runs: they reach it only through whatever routes there (a bond, in
``tests/kernel/test_activate_master_kernel.py``).

Standard library only: it runs with the virtualenv's Python, whose ``bin/``
holds the Salt scripts.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WARM_SALT = Path(__file__).resolve().parent / "warm_salt.py"


# What a master's file root holds for this project (README, "Using it with a
# Salt master"): the module directories saltutil.sync_all ships, and the formula
# (with its reactor and beacon SLS files).
FORMULA_DIRS = ("_modules", "_states", "_beacons", "_grains", "_runners", "_output", "_utils",
                "bonding")


def formula_root(dest):
    """Copy the formula's directories into ``dest`` (a master file root) and return it.

    A copy, not the repository itself: the master then serves what users would
    put on theirs, and never walks the repository's .venv or tests.
    """
    dest = Path(dest)
    for name in FORMULA_DIRS:
        shutil.copytree(REPO / name, dest / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SaltDaemons:
    def __init__(self, state_root, log_dir, pillar_root, file_root=None,
                 master_address="127.0.0.1", master_netns=None, master_opts=None,
                 warm_cli=False):
        self.state_root = Path(state_root)
        self.pillar_root = Path(pillar_root)
        self.master_address = master_address
        # ``ip netns exec`` execs the command: the process (group) is still the daemon's.
        self.in_master_netns = ["ip", "netns", "exec", master_netns] if master_netns else []
        if file_root is None:
            file_root = formula_root(self.state_root / "file_root")
        self.log_dir = Path(log_dir)
        self.ports = {"publish_port": free_port(), "ret_port": free_port()}
        self.env = dict(os.environ, HOME=str(self.state_root), TMPDIR="/dev/shm")
        self.minion_ids = []
        self.procs = []
        self.named = {}  # daemon name -> its process
        self.warm_cli = warm_cli
        self._warm_proc = None
        self.master_dir = self._write("master", "master", {
            "interface": master_address,
            "auto_accept": True,
            "worker_threads": 2,
            "file_roots": {"base": [str(file_root)]},
            "pillar_roots": {"base": [str(pillar_root)]},
            "fileserver_list_cache_time": 300,
            "enable_legacy_startup_events": False,
            **(master_opts or {}),
        })

    def _write(self, name, role, conf):
        root = self.state_root / name
        conf = {
            **self.ports,
            "id": name,
            "user": "root",
            "log_level": "warning",
            "log_level_logfile": "info",
            "root_dir": str(root), "pki_dir": str(root / "pki"),
            "cachedir": str(root / "cache"), "sock_dir": str(root / "sock"),
            "pidfile": str(root / f"{role}.pid"), "log_file": str(self.log_dir / f"{name}.log"),
            **conf,
        }
        conf_dir = root / "conf"
        conf_dir.mkdir(parents=True)
        (conf_dir / role).write_text(json.dumps(conf, indent=1))
        return conf_dir

    def log_path(self, name):
        """Where daemon ``name`` (``master`` or a minion id) writes its log file. Salt puts
        every absolute path of a daemon's config that is not under its ``root_dir``
        under it (``salt.config.prepend_root_dir``), ``log_file`` too."""
        root = self.state_root / name
        return root / str(self.log_dir / f"{name}.log").lstrip("/")

    def add_minion(self, minion_id, **opts):
        """A minion config; ``opts`` are extra minion options (``bond.*`` ...)."""
        self._write(minion_id, "minion", {
            "master": self.master_address,
            "master_port": self.ports["ret_port"],
            "acceptance_wait_time": 0.5,
            "acceptance_wait_time_max": 2,
            "grains_cache": False,
            "enable_fqdns_grains": False,
            "enable_gpu_grains": False,
            **opts,
        })
        self.minion_ids.append(minion_id)

    def _spawn(self, name, role, conf_dir, prefix=()):
        with open(self.log_dir / f"{name}.out", "wb") as out:
            self.procs.append(subprocess.Popen(
                [*prefix, str(BIN / f"salt-{role}"), f"--config-dir={conf_dir}"],
                stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True))
        self.named[name] = self.procs[-1]

    def kill(self, name):
        """SIGKILL daemon ``name`` and every process of its group (its job processes), as
        an out-of-memory kill or a crash would end it: nothing of it runs on."""
        proc = self.named[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def start(self, timeout=600):
        """Start the master and every minion; return once each answers test.ping."""
        self._spawn("master", "master", self.master_dir, self.in_master_netns)
        for minion_id in self.minion_ids:
            self._spawn(minion_id, "minion", self.state_root / minion_id / "conf")
        self._answering(self.minion_ids, timeout)

    def start_minion(self, minion_id, timeout=600, **opts):
        """One more minion (``add_minion``'s ``opts``), started beside the running
        daemons; return once it answers test.ping."""
        self.add_minion(minion_id, **opts)
        self._spawn(minion_id, "minion", self.state_root / minion_id / "conf")
        self._answering([minion_id], timeout)

    def accept_key(self, minion_id):
        """A minion the master knows (its key accepted) that never runs: a target names
        it, and it never answers."""
        key = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                              "-pkeyopt", "rsa_keygen_bits:2048"],
                             capture_output=True, check=True).stdout
        public = subprocess.run(["openssl", "pkey", "-pubout"], input=key,
                                capture_output=True, check=True).stdout
        accepted = self.state_root / "master" / "pki" / "minions"
        accepted.mkdir(parents=True, exist_ok=True)
        (accepted / minion_id).write_bytes(public)

    def _answering(self, minion_ids, timeout):
        deadline = time.monotonic() + timeout
        waiting = set(minion_ids)
        last = None
        while waiting and time.monotonic() < deadline:
            last = self.salt(sorted(waiting), ["test.ping"], timeout=10)
            waiting -= {m for m, answer in (last["data"] or {}).items() if answer is True}
            if waiting:
                time.sleep(1)
        if waiting:
            raise RuntimeError(f"minions {sorted(waiting)} never answered: {last}")

    def salt(self, target, args, timeout=300, tgt_type=None, process=None, options=()):
        """``salt`` on the master: ``target`` a glob or a list of ids, or an expression of
        ``tgt_type`` (``grain``: ``salt -G``); data per minion. With ``warm_cli`` set
        (and ``process`` not true) the command runs in the warm ``salt`` (warm_salt.py
        ``--cli``: the same ``salt.scripts.salt_main``, its imports paid once), else as a
        process of its own."""
        if tgt_type:
            tgt = [f"--{tgt_type}", target]
        else:
            tgt = ["-L", ",".join(target)] if isinstance(target, list) else [target]
        # --static takes Salt's batch path, which waits for the returns even with --async.
        static = [] if "--async" in options else ["--static"]
        argv = [f"--config-dir={self.master_dir}", "--out=json", *static,
                f"--timeout={timeout}", "--log-level=quiet", *options, *tgt, *map(str, args)]
        started = time.monotonic()
        if self.warm_cli and not process:
            proc = self._warm(argv, timeout + 60)
        else:
            proc = subprocess.run([*self.in_master_netns, str(BIN / "salt"), *argv],
                                  capture_output=True, text=True, timeout=timeout + 60,
                                  env=self.env)
        seconds = time.monotonic() - started
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            data = None
        return {"rc": proc.returncode, "data": data, "seconds": seconds,
                "stdout": proc.stdout[-4000:], "stderr": proc.stderr[-4000:]}

    def salt_run(self, args, timeout=600, out="json", process=None):
        """``salt-run`` on the master: ``{"rc", "data", "seconds", "stdout", "stderr"}``;
        ``data`` is the parsed JSON with ``out="json"``. In the warm command, as
        :meth:`salt`, unless ``process``."""
        argv = [f"--config-dir={self.master_dir}", "--log-level=quiet",
                *([f"--out={out}"] if out else []), *map(str, args)]
        started = time.monotonic()
        if self.warm_cli and not process:
            proc = self._warm(argv, timeout, command="salt-run")
        else:
            proc = subprocess.run([*self.in_master_netns, str(BIN / "salt-run"), *argv],
                                  capture_output=True, text=True, timeout=timeout, env=self.env)
        seconds = time.monotonic() - started
        try:
            data = json.loads(proc.stdout) if out == "json" else None
        except ValueError:
            data = None
        return {"rc": proc.returncode, "data": data, "seconds": seconds,
                "stdout": proc.stdout[-20000:], "stderr": proc.stderr[-4000:]}

    def _warm(self, argv, timeout, command="salt"):
        if self._warm_proc is None:
            self._warm_proc = subprocess.Popen(
                [*self.in_master_netns, sys.executable, str(WARM_SALT), "--cli"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=self.env,
                start_new_session=True)
            if not self._warm_proc.stdout.readline():
                raise RuntimeError("the warm salt command did not start")
        self._warm_proc.stdin.write(json.dumps({"argv": argv, "timeout": timeout,
                                                "command": command}) + "\n")
        self._warm_proc.stdin.flush()
        answer = json.loads(self._warm_proc.stdout.readline() or "null")
        if answer is None:
            raise RuntimeError("the warm salt command died")
        return subprocess.CompletedProcess(argv, answer["rc"], answer["stdout"],
                                           answer["stderr"])

    def stop(self):
        """SIGTERM to every daemon's process group at once, then wait (SIGKILL after 30 s)."""
        if self._warm_proc is not None:
            self._warm_proc.stdin.close()
            self._warm_proc.wait(timeout=60)
            self._warm_proc = None
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = []
