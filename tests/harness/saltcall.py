"""Run ``salt-call --local`` with this project's modules in a sandbox.

Salt's real loader, real CLI, real outputters: the functional tier. Each
instance has its own config dir, cache, pillar and target directories under
``root``; nothing touches the machine's /etc.
"""

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
        "grains": dict(RHEL7_GRAINS),
        "grains_cache": False,
        "enable_fqdns_grains": False,
    }
    conf.update(overrides)
    return conf


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
        """Run salt-call; returns (returncode, parsed 'local' value or raw text)."""
        argv = self.argv(*args, out=out)
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
