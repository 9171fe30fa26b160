"""nm_versions: which NetworkManager reads a minion's files, installed or assumed."""

import stat
import subprocess

import pytest
from salt_bonding.config import nm_versions
from salt_bonding.config.nm_versions import FLOOR, SHIPPED, Known, decide, parse, shipped
from salt_bonding.config.options import OPTIONS
from salt_bonding.host import platform

from tests.harness import nm

pytestmark = pytest.mark.unit

RHEL = {"os": "RedHat", "os_family": "RedHat"}


@pytest.mark.parametrize("text, version", [
    ("1.42.4", (1, 42, 4)), ("1.46.0-3.el9_4", (1, 46, 0)), ("1.44", (1, 44, 0)),
    (" 1.52.1\n", (1, 52, 1)), ("nmcli tool, version 1.42.4", None), ("", None), (None, None),
    (1.42, None), ("one.two", None),
])
def test_a_version_is_read_from_the_start_of_its_text(text, version):
    assert parse(text) == version


@pytest.mark.parametrize("grains, version, why", [
    ({**RHEL, "osmajorrelease": 9, "osrelease": "9.4"}, (1, 46, 0), "RHEL 9.4 ships it"),
    ({**RHEL, "osmajorrelease": 9, "osrelease": "9.2"}, (1, 42, 2), "RHEL 9.2 ships it"),
    ({**RHEL, "osmajorrelease": 9}, (1, 36, 0),
     "RHEL 9.0 ships it, and the grains do not give the minor release: taken as the first"),
    ({**RHEL, "osmajorrelease": 9, "osrelease": "9"}, (1, 36, 0),
     "RHEL 9.0 ships it, and the grains do not give the minor release: taken as the first"),
    ({**RHEL, "osmajorrelease": 9, "osrelease": "9.8"}, (1, 52, 0),
     "RHEL 9.6 ships it, the nearest release before 9.8 this module knows"),
    ({**RHEL, "osmajorrelease": 8, "osrelease": "8.10"}, (1, 40, 0),
     "RHEL 8.7 ships it, the nearest release before 8.10 this module knows"),
    ({"os": "Rocky", "os_family": "RedHat", "osmajorrelease": 10, "osrelease": "10.0"},
     (1, 52, 0), "RHEL 10.0 ships it"),
    ({"os": "Fedora", "os_family": "RedHat", "osmajorrelease": 40, "osrelease": "40"},
     (1, 46, 0), "Fedora 40 ships it"),
    ({"os": "Debian", "os_family": "Debian", "osmajorrelease": 13, "osrelease": "13"},
     (1, 52, 1), "Debian 13 ships it"),
])
def test_the_release_says_what_it_ships(grains, version, why):
    assert shipped(grains) == (version, why)


@pytest.mark.parametrize("grains", [
    {"os": "Ubuntu", "os_family": "Debian", "osmajorrelease": 24, "osrelease": "24.04"},
    {"os": "Amazon", "os_family": "RedHat", "osmajorrelease": 2023, "osrelease": "2023"},
    {**RHEL, "osmajorrelease": 7, "osrelease": "7.9"},
    {**RHEL, "osmajorrelease": None}, {**RHEL, "osmajorrelease": True}, {}, None,
])
def test_a_release_the_table_does_not_know_ships_nothing_known(grains):
    assert shipped(grains) is None


def test_within_a_major_release_the_shipped_version_never_goes_down():
    """What makes the nearest earlier minor release a safe guess for a later one."""
    for (family, major, minor), version in SHIPPED.items():
        for (other_family, other_major, other_minor), other in SHIPPED.items():
            if (family, major) == (other_family, other_major) and minor is not None \
                    and other_minor is not None and other_minor > minor:
                assert other >= version, (family, major, minor, other_minor)


def test_the_installed_version_wins_then_the_release_then_the_oldest_known():
    rhel94 = {**RHEL, "osmajorrelease": 9, "osrelease": "9.4"}
    assert decide(rhel94, "1.42.4") == Known((1, 42, 4), True)
    assert decide(rhel94, None) == Known((1, 46, 0), False, "RHEL 9.4 ships it")
    assert decide(rhel94, "garbage") == decide(rhel94, None)
    unknown = decide({"os": "Ubuntu", "os_family": "Debian", "osmajorrelease": 24}, None)
    assert unknown == Known(FLOOR, False, "the oldest any release this module knows ships, "
                                          "RHEL 8.0's: it does not know what 'Ubuntu' ships")
    assert FLOOR == (1, 14, 0)
    assert str(unknown) == "1.14.0" and unknown.describe().startswith("1.14.0 (assumed: ")
    assert decide(rhel94, "1.52.1").describe() == "1.52.1 (installed)"


@pytest.mark.parametrize("version, kept", [
    ("1.14.0", False), ("1.32.2", False), ("1.32.4", True), ("1.42.4", True)])
def test_peer_notif_delay_is_kept_from_1_32_4(version, kept):
    assert decide({}, version).keeps(OPTIONS["peer_notif_delay"]) is kept


@pytest.mark.parametrize("version, kept", [("1.42.8", False), ("1.44.0", True),
                                           ("1.52.1", True)])
def test_lacp_active_and_arp_missed_max_are_kept_from_1_44(version, kept):
    for name in ("lacp_active", "arp_missed_max"):
        assert decide({}, version).keeps(OPTIONS[name]) is kept


def test_the_installed_networkmanager_says_its_version():
    """The real daemon on this machine, and Debian 13's in its tree (run with chroot)."""
    nm.require()
    here = nm.ORACLES[0].version  # what its nmcli says: the same package
    assert nm_versions.installed() == here
    assert platform.probe().networkmanager_version == here

    def chrooted(argv, **kwargs):
        return subprocess.run(["chroot", str(nm.DEBIAN_13),
                               argv[0].removeprefix(str(nm.DEBIAN_13)), *argv[1:]], **kwargs)

    assert nm_versions.installed(str(nm.DEBIAN_13), chrooted) == "1.52.1"
    stack = platform.probe(str(nm.DEBIAN_13), chrooted)
    assert stack.networkmanager_version == "1.52.1"
    assert platform.Stack.from_grain(stack.as_grain()) == stack


@pytest.mark.parametrize("script", [
    None,  # there, not executable
    "#!/bin/sh\nexit 1\n",  # does not run
    "#!/bin/sh\necho not a version\n",  # says no version
])
def test_a_networkmanager_that_does_not_say_its_version_has_none(tmp_path, script):
    binary = tmp_path / "usr/sbin/NetworkManager"
    binary.parent.mkdir(parents=True)
    binary.write_text(script or "")
    if script:
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    assert nm_versions.installed(str(tmp_path)) is None
    assert platform.probe(str(tmp_path)) == platform.Stack("installed", False, None)
    assert nm_versions.installed(str(tmp_path / "nothing")) is None


@pytest.mark.parametrize("value", ["1.46.0", None])
def test_the_grain_carries_the_version_and_an_older_grain_has_none(value):
    stack = platform.Stack("enabled", False, value)
    assert stack.as_grain()["networkmanager_version"] == value
    assert platform.Stack.from_grain(stack.as_grain()) == stack
    older = {"networkmanager": "enabled", "network_scripts": False}
    assert platform.Stack.from_grain(older) == platform.Stack("enabled", False, None)
    junk = {**older, "networkmanager_version": ["1.46"]}
    assert platform.Stack.from_grain(junk).networkmanager_version is None
