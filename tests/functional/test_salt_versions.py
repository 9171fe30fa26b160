"""The modules on the Salt line this pytest runs on, synced as a master ships them; and what
differs between the lines a fleet runs (3008 and 3006 LTS).

scripts/test runs this file with ``.venv`` (Salt 3008) and with ``.venv-3006`` (Salt 3006,
Python 3.10 as its onedir has). No ``module_dirs``/``utils_dirs`` here:
``saltutil.sync_all`` copies ``_modules``, ``_states`` and ``_utils`` (the ``salt_bonding``
package, a directory) from the file roots into the minion's ``extmods``, and the modules
import the package from there, as on a real minion.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from salt_bonding.config import schema
from salt_bonding.errors import UserError
from salt_bonding.observe import health
from salt_bonding.observe.status import read_status

from tests.harness.golden import GOLDEN
from tests.harness.saltcall import (
    REPO,
    RUNNING_LINE,
    RUNNING_SALT,
    SALT_CALL,
    SALT_VERSIONS,
    SaltCall,
)

pytestmark = pytest.mark.functional

CAPTURE = REPO / "tests" / "captures" / "802.3ad-lacp-partner"
FORMULA_DIRS = ("_modules", "_states", "_utils", "bonding")


@pytest.fixture
def synced(tmp_path, salt_line):
    """A masterless db1 minion whose file root holds a copy of the formula, after sync_all."""
    line, salt_call = salt_line
    file_root = tmp_path / "srv"
    for name in FORMULA_DIRS:
        shutil.copytree(REPO / name, file_root / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    salt = SaltCall(
        tmp_path / "minion", minion_id="db1", salt_call=salt_call,
        module_dirs=[], states_dirs=[], utils_dirs=[],
        file_roots={"base": [str(file_root)]},
        pillar_roots={"base": [str(REPO / "pillar.example")]},
        **{"bond.procfs": str(CAPTURE / "proc/net/bonding"),
           "bond.sysfs": str(CAPTURE / "sys/class/net")},
    )
    rc, synced = salt.run("saltutil.sync_all")
    assert rc == 0, synced
    return line, salt, synced


def test_sync_all_ships_the_package_and_the_modules(synced):
    line, salt, got = synced
    assert "modules.bond" in got["modules"] and "states.bond" in got["states"], (line, got)
    for name in ("__init__", "plan", "config.schema", "render.__init__", "render.ifcfg",
                 "observe.status", "host.netlink"):
        assert f"utils.salt_bonding.{name}" in got["utils"], (line, got)
    rc, version = salt.run("test.version")
    assert rc == 0 and version.startswith(f"{line}."), version


def test_status_and_health_from_the_synced_package(synced):
    line, salt, _ = synced
    expected = health.judge(read_status(str(CAPTURE / "proc/net/bonding"),
                                        str(CAPTURE / "sys/class/net")))
    rc, status = salt.run("bond.status")
    assert rc == 0, (line, status)
    assert status == json.loads(json.dumps(expected)), line
    # db1's pillar gives bond0, which this capture (its "kernel") lacks: down, on both
    # lines (3008 hands the pillar over masked, 3006 plain).
    rc, verdict = salt.run("bond.health")
    assert (rc, verdict["status"]) == (1, "down"), (line, verdict)
    assert {bond: health["status"] for bond, health in verdict["bonds"].items()} == {
        "bond0": "down", "bond1": "ok", "bond2": "ok"}, (line, verdict)


def test_state_writes_the_golden_files_and_then_nothing(synced):
    line, salt, _ = synced
    rc, result = salt.run("state.apply", "bonding")
    (state,) = result.values()
    assert rc == 0 and state["result"] is True, (line, state)
    written = {path.name: path.read_bytes() for path in salt.ifcfg_dir.iterdir()}
    written[salt.modprobe_conf.name] = salt.modprobe_conf.read_bytes()
    golden = {path.name: path.read_bytes() for path in (GOLDEN / "db1").iterdir()}
    assert written == golden, line
    rc, again = salt.run("state.apply", "bonding")
    (state,) = again.values()
    assert rc == 0 and state["result"] is True and state["changes"] == {}, (line, state)


def test_bad_pillar_is_a_clear_failure_not_a_traceback(synced):
    line, salt, _ = synced
    rc, result = salt.run("state.single", "bond.managed", "bond0", "mode=active-backup",
                          'slaves=["eth0"]', "miimonn=100")
    (state,) = result.values()
    assert rc != 0 and state["result"] is False, (line, state)
    assert "unknown option 'miimonn'" in state["comment"], (line, state)
    assert "did you mean 'miimon'?" in state["comment"], (line, state)
    assert "Traceback" not in state["comment"], (line, state)
    assert not any(salt.ifcfg_dir.iterdir()), line


def test_the_package_leaves_sys_path_as_salt_left_it(synced):
    """Importing the core adds nothing to sys.path: only Salt's loader puts extmods there."""
    line, salt, _ = synced
    probe = salt.root / "probe.py"
    probe.write_text(
        "import sys\n"
        "import salt.config, salt.loader\n"
        f"opts = salt.config.minion_config({str(salt.config_dir / 'minion')!r})\n"
        "opts['file_client'] = 'local'\n"
        "before = list(sys.path)\n"
        "utils = salt.loader.utils(opts)\n"
        "mods = salt.loader.minion_mods(opts, utils=utils)\n"
        "mods['bond.list']()\n"
        "import salt_bonding\n"
        "print(sys.path == before, salt_bonding.__file__)\n"
    )
    python = Path(salt.salt_call).parent / "python"
    proc = subprocess.run([str(python), str(probe)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, (line, proc.stderr)
    unchanged, location = proc.stdout.split()
    assert unchanged == "True", (line, proc.stdout)
    assert "/extmods/utils/salt_bonding/" in location, (line, location)


RESYNC_PROBE = """
import json, sys
import salt.config, salt.loader

opts = salt.config.minion_config(sys.argv[1])
opts["file_client"] = "local"


def loaders():  # what the minion builds at start and again on refresh_modules
    utils = salt.loader.utils(opts)
    return salt.loader.minion_mods(opts, utils=utils)


mods = loaders()
before = mods["bond.health"]()
with open(sys.argv[2], "a") as health_py:  # the master's copy gets a new core
    health_py.write(sys.argv[3])
mods["saltutil.sync_utils"](refresh=False)
mods = loaders()
after = mods["bond.health"]()
print(json.dumps({"before": before, "after": after}))
"""
NEW_CORE = """

_evaluate_before_resync = evaluate


def evaluate(status):
    verdict = _evaluate_before_resync(status)
    verdict["problems"].append("judged by the resynced core")
    return verdict
"""


def test_a_long_running_minion_uses_the_core_synced_last(synced, tmp_path):
    """One process, as a minion daemon: load, sync a changed core, reload: the new core runs."""
    line, salt, _ = synced
    probe = salt.root / "resync_probe.py"
    probe.write_text(RESYNC_PROBE)
    health_py = tmp_path / "srv" / "_utils" / "salt_bonding" / "observe" / "health.py"
    python = Path(salt.salt_call).parent / "python"
    proc = subprocess.run(
        [str(python), str(probe), str(salt.config_dir / "minion"), str(health_py), NEW_CORE],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (line, proc.stderr)
    seen = json.loads(proc.stdout.splitlines()[-1])
    assert seen["before"]["bonds"]["bond1"]["problems"] == [], (line, seen)
    assert "judged by the resynced core" in seen["after"]["bonds"]["bond1"]["problems"], (
        line, seen)


def test_modules_find_the_package_where_an_installation_puts_it(tmp_path):
    """Installed (on sys.path, as pip puts it), not synced: no utils_dirs, no extmods."""
    salt_call = SALT_CALL
    site = tmp_path / "site-packages"
    shutil.copytree(REPO / "_utils" / "salt_bonding", site / "salt_bonding",
                    ignore=shutil.ignore_patterns("__pycache__"))
    salt = SaltCall(tmp_path / "minion", salt_call=salt_call, utils_dirs=[],
                    **{"bond.procfs": str(CAPTURE / "proc/net/bonding"),
                       "bond.sysfs": str(CAPTURE / "sys/class/net")})
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(salt.argv("bond.list"), capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["local"] == ["bond1", "bond2"]
    proc = subprocess.run(salt.argv("bond.list"), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0, "without the package anywhere the module must not load"
    assert ("The bond execution module needs the salt_bonding package (saltutil.sync_all from "
            "a master serving _utils/, or pip install salt-bonding): No module named "
            "'salt_bonding'") in proc.stderr, proc.stderr


def test_this_run_is_on_the_salt_setup_cfg_pins_for_its_line():
    """The virtualenv scripts/setup built for this line has the version [salt_lines] names
    (and the core runs here on that line's Python: 3.10 for 3006, as its onedir)."""
    assert RUNNING_SALT == SALT_VERSIONS[RUNNING_LINE], (RUNNING_SALT, SALT_VERSIONS)
    proc = subprocess.run([str(SALT_CALL), "--version"], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.startswith(f"salt-call {SALT_VERSIONS[RUNNING_LINE]} "), proc.stdout


PILLAR_WITH_LISTS = {"bonds": {"bond0": {"mode": ["active-backup"], "slaves": ["eth0"],
                                         "ifcfg": ["ONBOOT"]}}}


def test_pillar_as_each_line_hands_it_reads_the_same():
    """Salt 3008 hands a master's pillar to modules masked (dict and list subclasses whose
    repr is ``**********``); 3006 hands plain data. The core reads both as plain data, so
    its messages show the values on both lines."""
    try:
        from salt.utils.secret import hide
    except ImportError:
        hide = None
    assert (hide is not None) == (RUNNING_LINE >= "3008"), RUNNING_SALT
    pillar = hide(PILLAR_WITH_LISTS) if hide else PILLAR_WITH_LISTS
    if hide:
        assert "**********" in repr(pillar["bonds"]["bond0"]["mode"])
    with pytest.raises(UserError) as raised:
        schema.validate(pillar)
    message = str(raised.value)
    assert "bonding:bonds:bond0:mode: invalid value ['active-backup']" in message, message
    assert "got list ['ONBOOT']" in message, message
    assert "*****" not in message, message
