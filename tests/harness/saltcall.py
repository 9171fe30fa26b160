"""Run ``salt-call --local`` with this project's modules in a sandbox.

Salt's real loader, real CLI, real outputters: the functional tier. Each
instance has its own config dir, cache, pillar and target directories under
``root``; nothing touches the machine's /etc.
"""

import atexit
import configparser
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _salt_lines():
    """setup.cfg ``[salt_lines]``: each Salt line the tests run on -> its pinned version."""
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    return dict(cfg["salt_lines"])


# The Salt lines a fleet runs, as setup.cfg pins them, and their salt-call (scripts/setup
# builds .venv with the newest, .venv-<line> with each other one).
SALT_VERSIONS = _salt_lines()
PRIMARY_LINE = max(SALT_VERSIONS)
SALT_LINES = {line: REPO / (".venv" if line == PRIMARY_LINE else f".venv-{line}") / "bin" /
              "salt-call" for line in SALT_VERSIONS}
# The Salt this pytest runs on, and so the one its functional tests call: scripts/test
# runs the unit and functional tiers once per line (README, "The two commands").
SALT_CALL = Path(sys.executable).parent / "salt-call"
RUNNING_SALT = version("salt")
RUNNING_LINE = RUNNING_SALT.split(".")[0]


# The sandbox minion says it is a RHEL 7 host (the classic recipe: ifcfg files for
# network-scripts), whatever runs the tests; tests of other platforms set their grains.
RHEL7_GRAINS = {"os": "CentOS", "os_family": "RedHat", "osmajorrelease": 7}


def formula_root(root):
    """A file root under ``root`` holding only the formula (``salt://bonding``, a link to
    the repository's ``bonding/``). Not the repository itself: Salt's local file server
    walks its whole file root on every salt-call (generate_mtime_map), and the
    repository holds the virtualenvs and .git, some 29,000 files (1.4 s of a 1.4 s
    salt-call on the host was mostly that walk; far more over user-mode-linux's hostfs)."""
    file_root = Path(root) / "file_root"
    file_root.mkdir(parents=True, exist_ok=True)
    link = file_root / "bonding"
    if not link.is_symlink():
        link.symlink_to(REPO / "bonding")
    return file_root


def minion_config(root, minion_id="sandbox", **overrides):
    """The sandbox minion config (a dict) rooted at ``root``."""
    root = Path(root)
    conf = {
        "id": minion_id,
        "file_client": "local",
        "root_dir": str(root / "salt"),
        "module_dirs": [str(REPO / "_modules")],
        "states_dirs": [str(REPO / "_states")],
        "utils_dirs": [str(REPO / "_utils")],
        "file_roots": {"base": [str(formula_root(root))]},
        "pillar_roots": {"base": [str(root / "pillar")]},
        "bond.ifcfg_dir": str(root / "network-scripts"),
        "bond.modprobe_conf": str(root / "modprobe.d" / "bonding.conf"),
        # Debian's and Ubuntu's formats in the sandbox too (issue #28): made on first use.
        "bond.interfaces_dir": str(root / "network" / "interfaces.d"),
        "bond.interfaces_file": str(root / "network" / "interfaces"),
        "bond.netplan_dir": str(root / "netplan"),
        "grains": dict(RHEL7_GRAINS),
        "grains_cache": False,
        "enable_fqdns_grains": False,
    }
    conf.update(overrides)
    return conf


_WARM = {}


def warm_salt_call(args, timeout):
    """``salt-call args`` run by Salt's own ``salt.scripts.salt_call`` in a fork of one
    warm process per pytest (``warm_salt.py --cli salt-call``): the same parser,
    caller, outputters and exit codes as the command, without starting Python and
    importing Salt each time (0.3-0.4 s a call here, against 0.8-1.0 s). A
    ``subprocess.CompletedProcess``."""
    proc = _WARM.get("proc")
    if proc is None or proc.poll() is not None:
        proc = _WARM["proc"] = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("warm_salt.py")), "--cli",
             "salt-call"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if not proc.stdout.readline():
            raise RuntimeError("the warm salt-call did not start")
        atexit.register(_stop_warm, proc)
    proc.stdin.write(json.dumps({"argv": [str(a) for a in args], "timeout": timeout}) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("the warm salt-call died")
    answer = json.loads(line)
    return subprocess.CompletedProcess(args, answer["rc"], answer["stdout"], answer["stderr"])


def _stop_warm(proc):
    if proc.poll() is None:
        proc.stdin.close()
        proc.wait(timeout=60)


class SaltCall:
    def __init__(self, root, minion_id="sandbox", salt_call=SALT_CALL, **overrides):
        self.root = Path(root)
        self.salt_call = Path(salt_call)
        self.config = minion_config(self.root, minion_id, **overrides)
        self.config_dir = self.root / "conf"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.ifcfg_dir.mkdir(parents=True, exist_ok=True)
        self.modprobe_conf.parent.mkdir(parents=True, exist_ok=True)
        self.configure()
        if "pillar_roots" not in overrides:  # a given pillar tree is never overwritten
            self.set_pillar({})

    def configure(self, **options):
        """Set minion ``options`` and write the config salt-call reads."""
        self.config.update(options)
        (self.config_dir / "minion").write_text(json.dumps(self.config, indent=1))

    @property
    def ifcfg_dir(self):
        return Path(self.config["bond.ifcfg_dir"])

    @property
    def modprobe_conf(self):
        return Path(self.config["bond.modprobe_conf"])

    def set_pillar(self, pillar):
        pillar_dir = Path(self.config["pillar_roots"]["base"][0])
        pillar_dir.mkdir(parents=True, exist_ok=True)
        (pillar_dir / "top.sls").write_text("base:\n  '*':\n    - sandbox\n")
        (pillar_dir / "sandbox.sls").write_text(json.dumps(pillar))

    def argv(self, *args, out="json"):
        """The salt-call command line for ``args`` in this sandbox."""
        return [str(self.salt_call), "--local", f"--config-dir={self.config_dir}",
                f"--out={out}", "--log-level=quiet", *map(str, args)]

    def run(self, *args, out="json", check=False):
        """Run salt-call; returns (returncode, parsed 'local' value or raw text).

        The salt-call of the Salt this pytest runs on runs in this process's warm
        salt-call (:func:`warm_salt_call`); any other (another Salt line's) as a
        process of its own. Tests that need the process itself build it from
        :meth:`argv`."""
        argv = self.argv(*args, out=out)
        if self.salt_call == SALT_CALL:
            proc = warm_salt_call(argv[1:], timeout=600)
        else:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(f"{argv} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        if out != "json":
            return proc.returncode, proc.stdout
        try:
            return proc.returncode, json.loads(proc.stdout)["local"]
        except (ValueError, KeyError):
            raise AssertionError(
                f"salt-call printed no JSON (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            ) from None


def apply(salt, *extra):
    """``(exit code, the one state's return)`` of ``state.apply bonding`` through ``salt``
    (a :class:`SaltCall`)."""
    rc, ret = salt.run("state.apply", "bonding", *extra)
    assert isinstance(ret, dict), ret
    (state,) = ret.values()
    return rc, state
