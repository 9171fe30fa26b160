"""One real salt-master and three real salt-minions (web1, db1, app1).

Started once for the integration tier by pytest-salt-factories. The master
serves this repository as its file root (so ``saltutil.sync_all`` ships
``_modules/``, ``_states/`` and ``_utils/`` and ``state.apply bonding`` finds
``bonding/init.sls``) and a temporary copy of ``pillar.example/`` as its
pillar root, which tests may edit for one host (see :class:`Fleet`).

Each minion has its own sandbox for the files the state writes
(``bond.ifcfg_dir``, ``bond.modprobe_conf``) and reads a different real-kernel
capture from ``tests/captures/`` as its ``/proc/net/bonding`` and sysfs
(``bond.procfs``, ``bond.sysfs``), so ``bond.status`` on each minion reports
that minion's own bonds.
"""

import contextlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.harness.saltcall import RHEL7_GRAINS
from tests.harness.saltdaemons import formula_root
from tests.harness.shell import source_with_bash

REPO = Path(__file__).resolve().parents[2]
CAPTURES = REPO / "tests" / "captures"
PILLAR_EXAMPLE = REPO / "pillar.example"

# Which real-kernel capture each minion reads as its running kernel.
MINION_CAPTURES = {
    "web1": "active-backup-healthy",  # bond0, active-backup, both slaves up
    "db1": "802.3ad-lacp-partner",  # bond1 + bond2, 802.3ad, negotiated LACP
    "app1": "active-backup-failed-over",  # bond0, active slave's peer down: degraded
}
MINION_IDS = tuple(MINION_CAPTURES)


class Minion:
    """One minion's sandbox paths and capture, seen from the test side."""

    def __init__(self, minion_id, root, capture):
        self.id = minion_id
        self.root = Path(root)
        self.capture = capture
        self.ifcfg_dir = self.root / "network-scripts"
        self.modprobe_conf = self.root / "modprobe.d" / "bonding.conf"
        self.ifcfg_dir.mkdir(parents=True, exist_ok=True)
        self.modprobe_conf.parent.mkdir(parents=True, exist_ok=True)

    @property
    def procfs(self):
        return self.capture / "proc" / "net" / "bonding"

    @property
    def sysfs(self):
        return self.capture / "sys" / "class" / "net"

    def config(self):
        return {
            "bond.ifcfg_dir": str(self.ifcfg_dir),
            "bond.modprobe_conf": str(self.modprobe_conf),
            "bond.procfs": str(self.procfs),
            "bond.sysfs": str(self.sysfs),
            "grains": dict(RHEL7_GRAINS),  # the classic recipe's hosts (ifcfg files)
        }

    def files(self):
        """Every file the state wrote for this minion: {path: (inode, mtime_ns)}.

        An atomic rewrite (temporary file renamed over the target) changes the
        inode even within one tick of the filesystem clock.
        """
        paths = [p for p in self.ifcfg_dir.iterdir() if p.is_file()]
        if self.modprobe_conf.exists():
            paths.append(self.modprobe_conf)
        return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(paths)}

    def ifcfg(self):
        """{file name: variables as bash sources them} for every ifcfg-* file."""
        run_dir = self.root / "bash-cwd"
        run_dir.mkdir(exist_ok=True)
        files = {p.name: source_with_bash(p, run_dir)
                 for p in sorted(self.ifcfg_dir.glob("ifcfg-*"))}
        assert list(run_dir.iterdir()) == [], "sourcing a written file created files"
        return files

    def clear(self):
        for path in self.ifcfg_dir.iterdir():
            path.unlink()
        if self.modprobe_conf.exists():
            self.modprobe_conf.unlink()


class Fleet:
    """The running master, its minions, the salt CLI and the editable pillar tree."""

    def __init__(self, master, minions, daemons, salt_cli, pillar_root):
        self.master = master
        self.minions = minions  # id -> Minion
        self.daemons = daemons  # id -> salt-factories minion daemon
        self.salt_cli = salt_cli
        self.pillar_root = Path(pillar_root)

    def salt(self, *args, target="*", timeout=300, **kwargs):
        """Run the ``salt`` CLI on the master; returns the salt-factories result."""
        return self.salt_cli.run(*args, f"--timeout={timeout}", minion_tgt=target, **kwargs)

    def host_pillar_path(self, minion_id):
        return self.pillar_root / "bonding" / "hosts" / f"{minion_id}.sls"

    def host_pillar(self, minion_id):
        return yaml.safe_load(self.host_pillar_path(minion_id).read_text())

    @contextlib.contextmanager
    def edited_pillar(self, minion_id, pillar):
        """Replace one host's pillar file; restore it, refresh and re-apply afterwards."""
        path = self.host_pillar_path(minion_id)
        original = path.read_text()
        path.write_text(yaml.safe_dump(pillar, sort_keys=False))
        try:
            self.refresh_pillar()
            yield
        finally:
            path.write_text(original)
            self.refresh_pillar()
            self.salt("state.apply", "bonding", target=minion_id)

    def refresh_pillar(self):
        ret = self.salt("saltutil.refresh_pillar", "wait=True")
        assert ret.returncode == 0, ret
        assert set(ret.data) == set(self.minions), ret


def capture_dir(name):
    return CAPTURES / name


@pytest.fixture(scope="session")
def salt_factories_config():
    """SIGKILL the daemons at teardown instead of a graceful stop of ~4 s each
    (``slow_stop`` exists for coverage data, which these daemons do not write)."""
    return {"slow_stop": False}


@pytest.fixture(scope="package")
def pillar_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("pillar") / "base"
    shutil.copytree(PILLAR_EXAMPLE, root)
    return root


@pytest.fixture(scope="package")
def salt_master(salt_factories, pillar_root, tmp_path_factory):
    overrides = {
        # salt-factories adds its own (empty) state and pillar trees beside these.
        "file_roots": {"base": [str(formula_root(tmp_path_factory.mktemp("file_root")))]},
        "pillar_roots": {"base": [str(pillar_root)]},
        "log_level_logfile": "info",
        # salt-factories turns the file list cache off; the tests never change the
        # file root, so let the three minions' sync requests share one listing.
        "fileserver_list_cache_time": 300,
    }
    factory = salt_factories.salt_master_daemon("bond-master", overrides=overrides)
    with factory.started():
        yield factory


@pytest.fixture(scope="package")
def fleet(salt_master, salt_factories, tmp_path_factory, pillar_root):
    minions = {}
    daemons = {}
    with contextlib.ExitStack() as stack:
        for minion_id, capture in MINION_CAPTURES.items():
            minion = Minion(minion_id, tmp_path_factory.mktemp(f"sandbox-{minion_id}"),
                            capture_dir(capture))
            overrides = {
                **minion.config(),
                "grains_cache": False,
                "enable_fqdns_grains": False,
                "log_level_logfile": "info",
            }
            daemon = salt_master.salt_minion_daemon(minion_id, overrides=overrides)
            stack.enter_context(daemon.started())
            minions[minion_id] = minion
            daemons[minion_id] = daemon
        yield Fleet(salt_master, minions, daemons, salt_master.salt_cli(timeout=300),
                    pillar_root)


def pretty(value):
    return json.dumps(value, indent=1, sort_keys=True, default=str)
