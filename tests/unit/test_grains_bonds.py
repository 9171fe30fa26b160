"""The ``bonds`` grain from real-kernel captures: what targeting needs, read from procfs."""

from pathlib import Path

import pytest
from salt_bonding.observe import grains
from salt_bonding.observe import status as bond_status

pytestmark = pytest.mark.unit

CAPTURES = Path(__file__).resolve().parents[1] / "captures"


def procfs_only(capture):
    """As the grain reads: procfs alone (sysfs None)."""
    return bond_status.read_status(str(CAPTURES / capture / "proc/net/bonding"), None)


@pytest.mark.parametrize("capture, expected", [
    ("active-backup-healthy", {"bond0": {"mode": "active-backup", "slaves": ["va", "vb"],
                                         "primary": "va"}}),
    ("active-backup-fail-over-mac", {"bond0": {"mode": "active-backup", "slaves": ["va", "vb"],
                                               "primary": "vb"}}),
    ("802.3ad-lacp-partner", {"bond1": {"mode": "802.3ad", "slaves": ["va", "vb"],
                                        "primary": None},
                              "bond2": {"mode": "802.3ad", "slaves": ["pa", "pb"],
                                        "primary": None}}),
    ("802.3ad-lacp-partner-nonroot", {"bond1": {"mode": "802.3ad", "slaves": ["va", "vb"],
                                                "primary": None}}),
    ("no-slaves", {"bond0": {"mode": "balance-rr", "slaves": [], "primary": None}}),
    ("mode-balance-alb", {"bond0": {"mode": "balance-alb", "slaves": ["va", "vb"],
                                    "primary": None}}),
])
def test_grain_of_a_capture(capture, expected):
    assert grains.bonds_grain(procfs_only(capture)) == expected


def test_procfs_alone_says_what_the_grain_needs():
    """Reading sysfs too would change nothing in the grain (so the grain does not)."""
    for capture in sorted(p.name for p in CAPTURES.iterdir() if (p / "sys").is_dir()):
        base = CAPTURES / capture
        full = bond_status.read_status(str(base / "proc/net/bonding"), str(base / "sys/class/net"))
        assert grains.bonds_grain(procfs_only(capture)) == grains.bonds_grain(full), capture


def test_slaves_are_sorted_whatever_the_enslaving_order():
    status = procfs_only("mode-balance-rr")["bond0"]
    status["slaves"] = {"vb": status["slaves"]["vb"], "va": status["slaves"]["va"]}
    assert grains.bonds_grain({"bond0": status})["bond0"]["slaves"] == ["va", "vb"]


def test_an_unreadable_bond_is_there_with_nothing_known():
    grain = grains.bonds_grain({"bond1": {"error": "cannot read it"},
                                **procfs_only("no-slaves")})
    assert grain == {"bond0": {"mode": "balance-rr", "slaves": [], "primary": None},
                     "bond1": {"mode": None, "slaves": [], "primary": None}}


def test_no_bonding_driver_is_an_empty_grain(tmp_path):
    assert grains.bonds_grain(bond_status.read_status(str(tmp_path / "absent"), None)) == {}


@pytest.mark.parametrize("configured, problem", [
    ("/proc/net", "minion option bond.procfs is '/proc/net', which is in the kernel's /proc "
                  "but is not its bonding directory"),
    ("/nonexistent/bonding", "minion option bond.procfs is '/nonexistent/bonding', which does "
                             "not exist"),
])
def test_a_procfs_the_modules_refuse_is_refused_by_the_grain_too_and_said(configured, problem):
    """The grain listed /proc/net's files as a hundred bonds, or was silently absent for a
    root that is not there (issue 26): no ``bonds`` grain, and a ``bonds_error`` that says
    why, as ``bond.status`` says it."""
    found = grains.bonds_grains(configured)
    assert list(found) == ["bonds_error"], found
    assert found["bonds_error"].startswith(problem), found
    assert found["bonds_error"].endswith("it must be the /proc/net/bonding directory (a file "
                                         "per bond)"), found


def test_the_grains_of_a_readable_procfs_are_the_bonds_alone():
    procfs = str(CAPTURES / "active-backup-healthy" / "proc/net/bonding")
    assert grains.bonds_grains(procfs) == {"bonds": grains.bonds_grain(
        bond_status.read_status(procfs, None))}
    assert grains.bonds_grains(None)["bonds"] == grains.bonds_grain(  # the default root
        bond_status.read_status(bond_status.PROCFS_ROOT, None))
