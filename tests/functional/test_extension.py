"""salt-bonding installed as a Salt extension: the built wheel, in a fresh virtualenv beside
the Salt this pytest runs on (3008 from ``.venv``, 3006 from ``.venv-3006``: scripts/test
runs this file on both), used by ``salt-call --local`` with no ``module_dirs``, no
``utils_dirs`` and no ``saltutil.sync_all``: what ``pip install`` (``salt-pip install`` on
an onedir minion) gives a minion.

The wheel is built as a user builds it (``pip wheel``, setuptools from the package index
in an isolated build) from a copy of the sources setup.cfg names. The fresh virtualenv
sees the running virtualenv's packages (Salt and its requirements) through a ``.pth``
file, as ``--system-site-packages`` shows a system Salt: a copy of Salt per run would cost
a minute and test nothing more. The wheel goes in with ``--no-deps --no-index``; pip's own
``pip check`` then says whether the installed Salt satisfies its requirements.
"""

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version
from salt_bonding.observe import health
from salt_bonding.observe.status import read_status

from tests.harness.golden import GOLDEN
from tests.harness.saltcall import REPO, RUNNING_SALT, SALT_CALL, SaltCall

pytestmark = pytest.mark.functional

CAPTURES = REPO / "tests" / "captures"
CAPTURE = CAPTURES / "802.3ad-lacp-partner"
# What a build reads (setup.cfg: metadata, packages, package_dir; the README is the
# long description) and the directories its packages come from.
BUILD_INPUTS = ("setup.cfg", "pyproject.toml", "README.md", "saltext", "_utils", "_modules",
                "_states", "_beacons", "_grains", "_runners", "_output")
# The loader modules, file-server directory -> where the extension installs them.
SHELLS = {"_modules": "modules", "_states": "states", "_beacons": "beacons",
          "_grains": "grains", "_runners": "runners", "_output": "output"}

SALT_CALL_SCRIPT = """#!{python}
import sys
from salt.scripts import salt_call
sys.exit(salt_call())
"""

# argv: minion config, kernel tree to change. Prints one JSON document: where each loader
# took the bond module from, where salt_bonding came from, and two beacon passes.
PROBE = r"""
import inspect, json, os, shutil, sys
import salt.beacons, salt.config, salt.loader

opts = salt.config.minion_config(sys.argv[1])
tree = sys.argv[2]
utils = salt.loader.utils(opts)
mods = salt.loader.minion_mods(opts, utils=utils)
loaders = {
    "modules": (mods, "bond.list"),
    "states": (salt.loader.states(opts, mods, utils, salt.loader.serializers(opts)),
               "bond.reconciled"),
    "beacons": (salt.loader.beacons(opts, mods), "bond.beacon"),
    "grains": (salt.loader.grain_funcs(opts), "bond.bonds"),
    # The master's: the runner and its outputter (loaded here with the minion's options:
    # where Salt finds them does not depend on the role).
    "runners": (salt.loader.runner(opts, utils=utils), "bond.rollout"),
    "output": (salt.loader.outputters(opts), "bond"),
}
report = {}
for kind, (loader, name) in loaders.items():
    function = loader[name]
    report[kind] = inspect.getfile(getattr(function, "func", function))
report["table"] = salt.loader.outputters(opts)["bond"]({"error": "bond.rollout: tgt: required"})
beacons = salt.beacons.Beacon(opts, mods)
report["passes"] = [beacons.process({"bond": [{"bonds": ["bond0"]}]}, {})]
procfs = os.path.join(tree, "proc", "net", "bonding")
shutil.rmtree(procfs)
shutil.copytree(os.path.join(sys.argv[3], "proc", "net", "bonding"), procfs)
report["passes"].append(beacons.process({"bond": [{"bonds": ["bond0"]}]}, {}))
report["core"] = sys.modules["salt_bonding"].__file__
print(json.dumps(report))
"""


def expected_wheel_files():
    """{path in the wheel: path in the repository} of every module the wheel must hold."""
    files = {}
    core = REPO / "_utils" / "salt_bonding"
    for path in sorted(core.rglob("*.py")):
        files[f"salt_bonding/{path.relative_to(core)}"] = path
    for directory, kind in SHELLS.items():
        for path in sorted((REPO / directory).glob("*.py")):
            files[f"saltext/bonding/{kind}/{path.name}"] = path
    files["saltext/bonding/__init__.py"] = REPO / "saltext" / "bonding" / "__init__.py"
    return files


def salt_bonding_version():
    init = (REPO / "_utils" / "salt_bonding" / "__init__.py").read_text()
    return init.split('__version__ = "', 1)[1].split('"', 1)[0]


def run(argv, **kwargs):
    return subprocess.run([str(arg) for arg in argv], capture_output=True, text=True,
                          timeout=600, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel ``pip wheel`` builds from the sources (a copy: a build writes into them)."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    proc = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, source])
    assert proc.returncode == 0, proc.stderr
    (built,) = out.glob("salt_bonding-*.whl")
    return built


def salt_version(python):
    proc = run([python, "-c", "import importlib.metadata as m; print(m.version('salt'))"])
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh virtualenv beside this run's Salt with the wheel installed:
    ``(venv, Salt's version before, after, pip check's lines)``."""
    venv = tmp_path_factory.mktemp("venv")
    proc = run([sys.executable, "-m", "venv", "--without-pip", "--clear", venv])
    assert proc.returncode == 0, proc.stderr
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    (site / "running-salt.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    before = salt_version(python)
    proc = run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel])
    assert proc.returncode == 0, proc.stderr
    after = salt_version(python)
    check = run([python, "-m", "pip", "check"]).stdout.splitlines()
    salt_call = venv / "bin" / "salt-call"  # the script pip makes for Salt's console entry
    salt_call.write_text(SALT_CALL_SCRIPT.format(python=python))
    salt_call.chmod(0o755)
    return venv, site, before, after, check


def sandbox(root, salt_call, kernel=CAPTURE):
    """A db1 minion whose file root holds the formula alone (no _modules, _states, ...),
    reading ``kernel`` (a capture) as its running kernel."""
    file_root = root / "srv"
    shutil.copytree(REPO / "bonding", file_root / "bonding")
    return SaltCall(root / "minion", minion_id="db1", salt_call=salt_call,
                    module_dirs=[], states_dirs=[], utils_dirs=[],
                    file_roots={"base": [str(file_root)]},
                    pillar_roots={"base": [str(REPO / "pillar.example")]},
                    **{"bond.procfs": str(kernel / "proc/net/bonding"),
                       "bond.sysfs": str(kernel / "sys/class/net")})


@pytest.mark.parametrize("mode", [(), ("test=True",)])
def test_the_formula_without_the_modules_says_how_to_get_them(tmp_path, mode):
    """A minion that has neither synced the modules nor installed the extension got Salt's
    generic "'bond.reconciled' is not available" (issue 26): the formula says what to do,
    in a real run and in test=True, and fails."""
    plain = sandbox(tmp_path / "plain", SALT_CALL)
    rc, result = plain.run("state.apply", "bonding", *mode)
    (state,) = result.values()
    said = ("The bond modules are not on this minion ('bond.status' is not available.). Get "
            "them from the master: salt 'db1' saltutil.sync_all (the master serves _modules, "
            "_states, _beacons, _grains and _utils beside bonding/), or install the Salt "
            "extension on the minion: pip install salt-bonding (salt-pip install on an onedir "
            "minion); not both (README, Installing).")
    assert rc != 0 and state["result"] is False and state["changes"] == {}, state
    assert state["name"] == said and state["__id__"] == "bonding", state
    if not mode:
        assert state["comment"] == said, state


def test_the_wheel_holds_the_core_and_the_loader_modules_from_their_sources(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        expected = expected_wheel_files()
        python_files = {name for name in names if name.endswith(".py")}
        assert python_files == set(expected), python_files ^ set(expected)
        for name, source in expected.items():
            assert archive.read(name) == source.read_bytes(), name
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert archive.read(entry_points).decode().split() == [
            "[salt.loader]", "bonding", "=", "saltext.bonding"]
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        requires = [line for line in archive.read(metadata).decode().splitlines()
                    if line.startswith("Requires-Dist: salt")]
    assert requires == ["Requires-Dist: salt>=3006"]


def test_installing_it_leaves_salt_where_it_was(installed):
    venv, site, before, after, check = installed
    assert before == after == RUNNING_SALT, (before, after)
    assert (site / "salt_bonding" / "__init__.py").is_file()
    assert not list(site.glob("salt-[0-9]*.dist-info")), "pip installed a Salt of its own"
    # pip's verdict on the installed requirements: nothing about salt-bonding (Salt 3006.30
    # itself asks for a certifi newer than the package index here has; scripts/setup).
    assert not [line for line in check if line.lower().startswith("salt-bonding")], check


def oldest_release(line):
    """The oldest release of Salt line ``line`` on the package index pip uses here (a
    mirror, maybe): ``pip index versions salt``."""
    proc = run([sys.executable, "-m", "pip", "index", "versions", "salt"])
    assert proc.returncode == 0, proc.stderr
    (listed,) = [text for text in proc.stdout.splitlines()
                 if text.startswith("Available versions:")]
    versions = [Version(v) for v in listed.split(":", 1)[1].replace(",", " ").split()]
    return str(min(v for v in versions if v.release[0] == int(line)))


@pytest.mark.parametrize("line", ["3006", "3008"])
def test_pip_install_never_moves_the_oldest_salt_of_a_line(wheel, tmp_path, line):
    """``pip install salt-bonding`` on a minion with Salt 3006.24 upgraded it to 3008.4 (the
    requirement named >=3006.30, pip took the newest allowed line) (issue 26). Beside the
    oldest release of each line the index has, installed as a minion has it, pip installs
    the wheel and nothing else, resolving against the index as a user's pip does. Salt's
    own requirements come from this run's virtualenv (a .pth file, as a system Salt's
    site-packages): the minion's Salt has them."""
    oldest = oldest_release(line)
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", "--without-pip", venv]).returncode == 0
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    (site / "running-salt-requirements.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q"]
    proc = run([*pip, "--no-deps", f"salt=={oldest}"])
    assert proc.returncode == 0, proc.stderr
    assert salt_version(python) == oldest
    proc = run([*pip, "--report", tmp_path / "report.json", wheel])
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    installed = sorted(item["metadata"]["name"] for item in report["install"])
    assert installed == ["salt-bonding"], installed
    assert salt_version(python) == oldest


def test_bond_status_and_the_grain_come_from_the_extension_alone(installed, tmp_path):
    venv = installed[0]
    salt = sandbox(tmp_path / "extension", venv / "bin" / "salt-call")
    expected = health.judge(read_status(str(CAPTURE / "proc/net/bonding"),
                                        str(CAPTURE / "sys/class/net")))
    rc, status = salt.run("bond.status")
    assert rc == 0, status
    assert status == json.loads(json.dumps(expected))
    rc, bonds = salt.run("grains.get", "bonds")
    assert rc == 0 and sorted(bonds) == ["bond1", "bond2"], bonds
    assert bonds["bond1"]["mode"] == "802.3ad", bonds
    extmods = Path(salt.config["root_dir"]) / "var" / "cache" / "salt" / "minion" / "extmods"
    assert not any(extmods.rglob("*.py")), "something was synced"
    # The same minion on the same Salt without the extension has no bond module.
    plain = sandbox(tmp_path / "plain", SALT_CALL)
    proc = run(plain.argv("bond.status"))
    assert proc.returncode != 0, proc.stdout
    assert "'bond.status' is not available" in proc.stdout + proc.stderr, proc


def test_state_apply_of_the_formula_from_the_extension_alone(installed, tmp_path):
    venv = installed[0]
    salt = sandbox(tmp_path, venv / "bin" / "salt-call")
    rc, result = salt.run("state.apply", "bonding")
    (state,) = result.values()
    assert rc == 0 and state["result"] is True, state
    written = {path.name: path.read_bytes() for path in salt.ifcfg_dir.iterdir()}
    written[salt.modprobe_conf.name] = salt.modprobe_conf.read_bytes()
    assert written == {path.name: path.read_bytes() for path in (GOLDEN / "db1").iterdir()}
    rc, again = salt.run("state.apply", "bonding")
    (state,) = again.values()
    assert rc == 0 and state["result"] is True and state["changes"] == {}, state


def test_syncing_onto_a_minion_with_the_extension_is_warned_about(installed, tmp_path):
    """README step 4's ``salt '*' saltutil.sync_all`` also reaches minions that have the
    extension, which the README forbids (issue 26): the states then warn, naming both copies
    and what to delete."""
    venv, site = installed[:2]
    salt = sandbox(tmp_path, venv / "bin" / "salt-call")
    file_root = Path(salt.config["file_roots"]["base"][0])
    for name in ("_modules", "_states", "_beacons", "_grains", "_utils"):  # a master's root
        shutil.copytree(REPO / name, file_root / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    rc, state = salt.run("state.apply", "bonding", "test=True")
    assert rc == 0 and "warnings" not in next(iter(state.values())), state
    rc, synced = salt.run("saltutil.sync_all")
    assert rc == 0 and synced["states"] == ["states.bond"], synced
    extmods = Path(salt.config["root_dir"]) / "var" / "cache" / "salt" / "minion" / "extmods"
    rc, result = salt.run("state.apply", "bonding", "test=True")
    (state,) = result.values()
    assert rc == 0 and state["result"] is None, state
    assert state["warnings"] == [
        f"this minion has the bond modules twice: synced into {extmods} and installed as the "
        f"Salt extension salt-bonding {salt_bonding_version()}; Salt runs the synced modules, "
        f"on the core it imports first ({site / 'salt_bonding'}). Keep one: delete the synced "
        f"copies ({extmods}/{{modules,states,beacons,grains}}/bond.py and "
        f"{extmods}/utils/salt_bonding) and restart the minion, or pip uninstall "
        "salt-bonding"], state


def test_every_loader_takes_the_extensions_module_and_the_beacon_fires(installed, tmp_path):
    venv, site = installed[:2]
    tree = tmp_path / "kernel"
    shutil.copytree(CAPTURES / "active-backup-healthy", tree, symlinks=True)
    salt = sandbox(tmp_path, venv / "bin" / "salt-call", kernel=tree)
    proc = run([venv / "bin" / "python", "-c", PROBE, salt.config_dir / "minion", tree,
                CAPTURES / "active-backup-failed-over"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.splitlines()[-1])
    for kind in SHELLS.values():
        assert report[kind] == str(site / "saltext" / "bonding" / kind / "bond.py"), report
    assert report["core"] == str(site / "salt_bonding" / "__init__.py"), report
    assert report["table"] == "bond.rollout: tgt: required", report
    baseline, failed_over = report["passes"]
    assert baseline == [], baseline
    tags = [event["tag"] for event in failed_over]
    assert "salt/beacon/db1/bond/bond0/failover" in tags, failed_over
