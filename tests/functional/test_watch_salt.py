"""The beacon, the ``bonds`` grain and ``bond.metrics`` through Salt's real loader, synced
from a file root as a master ships them, on the Salt line this pytest runs on (scripts/test
runs this tier on 3008 and on 3006 LTS).

``salt-call --local`` runs no beacons, so a small script (``BEACON_SCRIPT``) does what the
minion does with them: ``salt.beacons.Beacon(opts, functions).process(...)`` once per pass,
with the sandbox minion's config and its ``extmods``, in a process of that Salt line.
"""

import json
import os
import shutil
import subprocess

import pytest

from tests.harness import nm
from tests.harness.saltcall import REPO, SaltCall

pytestmark = pytest.mark.functional

CAPTURES = REPO / "tests" / "captures"
FORMULA_DIRS = ("_modules", "_states", "_grains", "_beacons", "_utils", "bonding")
BEACONS = {
    "bond": [{"bonds": ["bond0"]}],
    "bond_health": [{"beacon_module": "bond"}, {"events": ["health"]}],
    "bond_bad": [{"beacon_module": "bond"}, {"events": ["flap"]}, {"bondz": 1}],
}

# argv: minion config file, tree to change, steps (JSON), "started-before-sync" or not.
# Prints one JSON document. Reading the config puts extmods/utils on sys.path for good, if
# it exists then: a minion started before its first sync never has it there.
BEACON_SCRIPT = r"""
import json, os, shutil, sys
import salt.beacons, salt.config, salt.loader

config, tree, steps, started = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
extmods = os.path.join(os.path.dirname(config), "..", "salt", "var", "cache", "salt", "minion",
                       "extmods")
utils = os.path.realpath(os.path.join(extmods, "utils"))
if started == "started-before-sync":
    os.rename(utils, utils + ".later")
opts = salt.config.minion_config(config)
if started == "started-before-sync":
    os.rename(utils + ".later", utils)
assert os.path.realpath(os.path.join(opts["extension_modules"], "utils")) == utils
report = {"imported_before": "salt_bonding" in sys.modules, "passes": [],
          "utils_on_path_before": utils in sys.path}
beacons = salt.beacons.Beacon(opts, salt.loader.minion_mods(opts))
report["validate_bad"] = beacons.beacons["bond.validate"](opts["beacons"]["bond_bad"])
for step in steps:
    procfs = os.path.join(tree, "proc", "net", "bonding")
    if step.get("capture"):
        os.unlink(procfs) if os.path.isfile(procfs) else shutil.rmtree(procfs)
        shutil.copytree(os.path.join(step["capture"], "proc", "net", "bonding"), procfs)
    if step.get("beacons"):
        opts["beacons"] = step["beacons"]
    if step.get("refresh"):  # what the minion does on a module or pillar refresh
        beacons.close_beacons()
        beacons = salt.beacons.Beacon(opts, salt.loader.minion_mods(opts))
    if step.get("break"):
        shutil.rmtree(procfs)
        open(procfs, "w").write("not a directory\n")
    report["passes"].append(beacons.process(opts["beacons"], {}))
module = sys.modules.get("salt_bonding")
report["imported_from"] = module and os.path.dirname(os.path.dirname(module.__file__))
report["utils_dir"] = utils
report["imported_from"] = report["imported_from"] and os.path.realpath(report["imported_from"])
report["utils_on_path_after"] = utils in sys.path
print(json.dumps(report))
"""


@pytest.fixture
def minion(tmp_path, salt_line):
    """A masterless minion, after ``saltutil.sync_all`` from a copy of the formula, reading
    a copy of the healthy active-backup capture as its kernel."""
    line, salt_call = salt_line
    file_root = tmp_path / "srv"
    for name in FORMULA_DIRS:
        shutil.copytree(REPO / name, file_root / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    tree = tmp_path / "kernel"
    shutil.copytree(CAPTURES / "active-backup-healthy", tree, symlinks=True)
    salt = SaltCall(
        tmp_path / "minion", salt_call=salt_call,
        module_dirs=[], states_dirs=[], utils_dirs=[],
        file_roots={"base": [str(file_root)]}, beacons=BEACONS,
        **{"bond.procfs": str(tree / "proc/net/bonding"),
           "bond.sysfs": str(tree / "sys/class/net")},
    )
    rc, synced = salt.run("saltutil.sync_all")
    assert rc == 0, synced
    assert synced["beacons"] == ["beacons.bond"] and synced["grains"] == ["grains.bond"]
    return line, salt, tree


def beacon_passes(line, salt, tree, steps, started="started-after-sync"):
    proc = subprocess.run(
        [str(salt.salt_call.parent / "python"), "-c", BEACON_SCRIPT,
         str(salt.config_dir / "minion"), str(tree), json.dumps(steps), started],
        capture_output=True, text=True, timeout=300, cwd=salt.root)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1]), proc.stderr


def tags(events):
    return [event["tag"] for event in events]


def test_beacon_passes_through_salts_beacon_machinery(minion):
    line, salt, tree = minion
    report, log = beacon_passes(line, salt, tree, [
        {},                                                             # the baseline
        {"capture": str(CAPTURES / "active-backup-failed-over")},      # va fails
        {},                                                             # nothing new
        {"break": True},                                                # procfs root broken
        {"capture": str(CAPTURES / "active-backup-healthy")},           # va back
    ])
    prefix = "salt/beacon/sandbox/"
    assert report["passes"][0] == []
    failover = report["passes"][1]
    assert tags(failover) == [prefix + "bond/bond0/failover", prefix + "bond/bond0/slave_down",
                              prefix + "bond/bond0/health", prefix + "bond_health/bond0/health"]
    assert failover[0]["data"] == {"bond": "bond0", "active_slave": "vb",
                                   "previous_active_slave": "va", "id": "sandbox"}
    assert failover[1]["data"]["interface"] == "va" and failover[1]["data"]["failures"] == 1
    assert failover[3]["data"]["problems"] == ["slave va is down (link failures: 1)"]
    assert report["passes"][2] == []
    # A broken root: no error event (Salt makes one of an exception), one log line.
    assert report["passes"][3] == []
    assert log.count("bond beacon bond: cannot read the bonds") == 1
    assert log.count("bond beacon bond_health: cannot read the bonds") == 1
    assert tags(report["passes"][4]) == [
        prefix + "bond/bond0/failover", prefix + "bond/bond0/slave_up",
        prefix + "bond/bond0/health", prefix + "bond_health/bond0/health"]
    # An invalid instance is refused with the keys named, and never runs.
    valid, message = report["validate_bad"]
    assert not valid
    assert message.startswith("bond beacon: unknown option 'bondz'")
    assert "events: unknown event 'flap'" in message
    assert not any("/bond_bad/" in tag for tags_ in map(tags, report["passes"]) for tag in tags_)


def test_a_changed_configuration_starts_a_new_baseline(minion):
    """``beacons.modify`` changes the configuration under the same loader (and context)."""
    line, salt, tree = minion
    at_startup = {"bond": [{"bonds": ["bond0"]}, {"emitatstartup": True}]}
    report, _ = beacon_passes(line, salt, tree, [{}, {"beacons": at_startup}, {}])
    assert report["passes"][0] == []
    assert tags(report["passes"][1]) == ["salt/beacon/sandbox/bond/bond0/up",
                                         "salt/beacon/sandbox/bond/bond0/health"]
    assert report["passes"][2] == []


def test_a_change_across_a_refresh_of_the_minions_modules_is_reported(minion):
    """The minion builds its beacons anew on each module or pillar refresh (a new loader,
    an empty ``__context__``; ``saltutil.sync_all`` makes several): the pass after one
    goes on from the pass before, so a failover in between is no silent new baseline."""
    line, salt, tree = minion
    report, _ = beacon_passes(line, salt, tree, [
        {}, {"refresh": True, "capture": str(CAPTURES / "active-backup-failed-over")},
        {"refresh": True}])
    assert report["passes"][0] == []
    assert "salt/beacon/sandbox/bond/bond0/failover" in tags(report["passes"][1])
    assert "salt/beacon/sandbox/bond_health/bond0/health" in tags(report["passes"][1])
    assert report["passes"][2] == []


def test_a_bad_interval_stops_only_its_own_instance(minion):
    """``interval: "5"`` passed validation and made Salt's beacon loop raise on every pass
    after the first, so the beacons beside it stopped emitting (issue 26). Refused now by
    ``validate``, as Salt's own beacons refuse a bad configuration: Salt logs it and skips
    that instance alone."""
    line, salt, tree = minion
    beacons = {"bond_slow": [{"beacon_module": "bond"}, {"interval": "5"}],
               "bond": [{"bonds": ["bond0"]}]}
    report, log = beacon_passes(line, salt, tree, [
        {"beacons": beacons}, {}, {"capture": str(CAPTURES / "active-backup-failed-over")}])
    assert report["passes"][:2] == [[], []]
    assert "salt/beacon/sandbox/bond/bond0/failover" in tags(report["passes"][2])
    assert not any("/bond_slow/" in tag for tag in tags(report["passes"][2]))
    assert ("interval must be a number of seconds greater than 0, got '5' (a string: write the "
            "number without quotes)") in log, log


@pytest.mark.parametrize("started", ["started-before-sync", "started-after-sync"])
def test_beacon_imports_the_synced_package_and_leaves_sys_path_as_it_was(minion, started):
    """Salt's beacon loader puts no utils directory on sys.path; a minion has extmods/utils
    there only if it existed when the minion read its config. The beacon finds the synced
    package either way, and takes away what it added, as the loader does for modules."""
    line, salt, tree = minion
    report, _ = beacon_passes(line, salt, tree, [
        {}, {"capture": str(CAPTURES / "active-backup-failed-over")}], started)
    assert report["imported_before"] is False
    assert report["utils_on_path_before"] is (started == "started-after-sync")
    assert report["imported_from"] == report["utils_dir"]
    assert report["utils_on_path_after"] is report["utils_on_path_before"]
    assert "salt/beacon/sandbox/bond/bond0/failover" in tags(report["passes"][1])


def test_grain_bonds(minion):
    _, salt, tree = minion
    assert salt.run("grains.get", "bonds") == (
        0, {"bond0": {"mode": "active-backup", "slaves": ["va", "vb"], "primary": "va"}})
    shutil.rmtree(tree / "proc")
    salt.configure(**{"bond.procfs": ""})  # the default /proc/net/bonding: no driver here
    if not os.path.isdir("/proc/net/bonding"):
        assert salt.run("grains.get", "bonds") == (0, {})
    # A root the modules refuse is refused by the grain too, and said (issue 26): no bonds
    # grain (that would say "no bonds"), a bonds_error grain with bond.status's reason.
    for configured in (str(tree / "proc/net/bonding"), "/proc/net"):  # absent; /proc's
        salt.configure(**{"bond.procfs": configured})
        proc = subprocess.run(salt.argv("bond.status"), capture_output=True, text=True,
                              timeout=300)
        refusal = proc.stderr.strip().removeprefix("Error running 'bond.status': ")
        assert proc.returncode != 0 and refusal.startswith(
            f"minion option bond.procfs is '{configured}', which "), proc.stderr
        rc, grains = salt.run("grains.items")
        assert rc == 0 and "bonding_stack" in grains, grains
        assert "bonds" not in grains and grains["bonds_error"] == refusal, grains


def test_grain_bonding_stack_says_the_installed_networkmanager_version(minion):
    """Through Salt's loader, the grain runs the installed NetworkManager (issue #27)."""
    _, salt, _ = minion
    nm.require()
    rc, stack = salt.run("grains.get", "bonding_stack")
    assert rc == 0 and stack["networkmanager"] in ("enabled", "installed"), stack
    assert stack["networkmanager_version"] == nm.ORACLES[0].version, stack


def test_metrics(minion, tmp_path):
    _, salt, tree = minion
    rc, text = salt.run("bond.metrics")
    assert rc == 0
    assert 'node_bonding_slaves{master="bond0"} 2\n' in text
    assert 'node_bonding_active{master="bond0"} 2\n' in text
    target = tmp_path / "textfile" / "bonding.prom"
    target.parent.mkdir()
    assert salt.run("bond.metrics", f"path={target}") == (0, str(target))
    assert target.read_text() == text
    assert sorted(p.name for p in target.parent.iterdir()) == ["bonding.prom"]
    rc, text = salt.run("bond.metrics", "prefix=salt_bonding")
    assert 'salt_bonding_slaves{master="bond0"} 2\n' in text
    for bad, message in ((f"path={tmp_path}/bonding.txt", "must be an absolute path ending in "
                                                          ".prom"),
                         ("path=bonding.prom", "must be an absolute path ending in .prom"),
                         ("prefix=9x", "cannot begin a Prometheus metric name")):
        proc = subprocess.run(salt.argv("bond.metrics", bad), capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode != 0 and message in proc.stderr, (bad, proc.stderr)
