"""The ``bonds`` grain from real-kernel captures: what targeting needs, read from procfs."""

from pathlib import Path

import pytest
from salt_bonding import grains
from salt_bonding import status as bond_status

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
