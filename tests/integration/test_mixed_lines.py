"""A fleet mid-upgrade: a Salt 3008 master and a Salt 3006 LTS minion (``.venv-3006``: Salt
3006 with Python 3.10, as its onedir packages have).

The minion gets the modules the way such a fleet does, ``saltutil.sync_all`` from the
3008 master's file root (README, "Using it with a Salt master"), and then runs them on
its own Salt and Python: the formula, ``bond.status``, ``bond.health`` and the grain.
Its own master, so that the fleet's ``salt '*'`` in test_fleet.py never waits for it.
"""

import json
import shutil
from pathlib import Path

import pytest
from salt_bonding.observe import health
from salt_bonding.observe.status import read_status

from tests.harness.golden import GOLDEN
from tests.harness.saltcall import RHEL7_GRAINS, SALT_LINES, SALT_VERSIONS

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CAPTURE = REPO / "tests" / "captures" / "802.3ad-lacp-partner"
MINION = "db1-3006"  # db1 of pillar.example, on the older line
OLD_LINE = min(SALT_LINES)
STATE_ID = "bond_|-bonding_|-bonding_|-reconciled"
# What the master's file root holds (README, "Installing"): every loader directory and the
# formula.
FILE_SERVER_DIRS = ("_modules", "_states", "_beacons", "_grains", "_utils", "bonding")


@pytest.fixture(scope="module")
def mixed(salt_factories, tmp_path_factory):
    """``(master, minion, salt CLI, sandbox)``: the 3008 master serving the formula and
    pillar.example (db1's host file for this minion), and the 3006 minion."""
    python = SALT_LINES[OLD_LINE].parent / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run scripts/setup")
    pillar_root = tmp_path_factory.mktemp("mixed-pillar")
    shutil.copytree(REPO / "pillar.example" / "bonding", pillar_root / "bonding")
    (pillar_root / "top.sls").write_text(f"base:\n  '{MINION}':\n    - bonding.hosts.db1\n")
    file_root = tmp_path_factory.mktemp("mixed-files")
    for name in FILE_SERVER_DIRS:
        shutil.copytree(REPO / name, file_root / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    master = salt_factories.salt_master_daemon("mixed-master", overrides={
        "file_roots": {"base": [str(file_root)]},
        "pillar_roots": {"base": [str(pillar_root)]},
        "log_level_logfile": "info",
    })
    sandbox = tmp_path_factory.mktemp("mixed-sandbox")
    minion = master.salt_minion_daemon(MINION, overrides={
        "bond.ifcfg_dir": str(sandbox / "network-scripts"),
        "bond.modprobe_conf": str(sandbox / "modprobe.d" / "bonding.conf"),
        "bond.procfs": str(CAPTURE / "proc" / "net" / "bonding"),
        "bond.sysfs": str(CAPTURE / "sys" / "class" / "net"),
        "grains": dict(RHEL7_GRAINS),
        "grains_cache": False,
        "enable_fqdns_grains": False,
        "log_level_logfile": "info",
    })
    # The old line's own salt-minion (salt-factories' generated script puts this
    # virtualenv's site-packages first on sys.path: Salt 3008's).
    minion.script_name = str(python.parent / "salt-minion")
    minion.python_executable = str(python)
    (sandbox / "network-scripts").mkdir()
    (sandbox / "modprobe.d").mkdir()
    with master.started(), minion.started():
        yield master, minion, master.salt_cli(timeout=300), sandbox


def salt(mixed, *args):
    ret = mixed[2].run(*args, "--timeout=300", minion_tgt=MINION)
    assert isinstance(ret.data, (dict, list, str, bool)), ret
    return ret


def test_the_master_is_3008_and_the_minion_3006(mixed):
    master = mixed[0].salt_run_cli(timeout=120).run("salt.cmd", "test.version")
    assert master.returncode == 0 and master.stdout.strip().startswith("3008."), master
    ret = salt(mixed, "test.version")
    assert ret.returncode == 0 and ret.data == SALT_VERSIONS[OLD_LINE], ret
    ret = salt(mixed, "grains.get", "pythonversion")
    assert ret.returncode == 0 and ret.data[:2] == [3, 10], ret


def test_the_old_minion_syncs_applies_and_reports(mixed):
    ret = salt(mixed, "saltutil.sync_all")
    assert ret.returncode == 0, ret
    assert "modules.bond" in ret.data["modules"] and "states.bond" in ret.data["states"], ret
    assert ret.data["beacons"] == ["beacons.bond"] and ret.data["grains"] == ["grains.bond"]
    assert "utils.salt_bonding.plan" in ret.data["utils"], ret

    sandbox = mixed[3]
    ret = salt(mixed, "state.apply", "bonding")
    state = ret.data[STATE_ID]
    assert ret.returncode == 0 and state["result"] is True and state["changes"], ret
    written = {path.name: path.read_bytes() for path in (sandbox / "network-scripts").iterdir()}
    written["bonding.conf"] = (sandbox / "modprobe.d" / "bonding.conf").read_bytes()
    assert written == {path.name: path.read_bytes() for path in (GOLDEN / "db1").iterdir()}
    ret = salt(mixed, "state.apply", "bonding")
    state = ret.data[STATE_ID]
    assert ret.returncode == 0 and state["result"] is True and state["changes"] == {}, ret

    expected = health.judge(read_status(str(CAPTURE / "proc/net/bonding"),
                                        str(CAPTURE / "sys/class/net")))
    ret = salt(mixed, "bond.status")
    assert ret.returncode == 0 and ret.data == json.loads(json.dumps(expected)), ret
    # The pillar from the 3008 master gives bond0, which this capture lacks: down.
    ret = salt(mixed, "bond.health")
    assert ret.returncode != 0 and ret.data["status"] == "down", ret
    assert {bond: verdict["status"] for bond, verdict in ret.data["bonds"].items()} == {
        "bond0": "down", "bond1": "ok", "bond2": "ok"}, ret

    ret = salt(mixed, "saltutil.refresh_grains")
    ret = salt(mixed, "grains.get", "bonds")
    assert ret.returncode == 0 and sorted(ret.data) == ["bond1", "bond2"], ret
