"""networkmanager: which changed files a running NetworkManager must load, and the check."""

import pytest
from salt_bonding import plan
from salt_bonding.host import files, networkmanager
from salt_bonding.host.platform import Stack
from salt_bonding.render import Locations

pytestmark = pytest.mark.unit

PILLAR = {"bonds": {"bond0": {"mode": "active-backup", "miimon": 100, "slaves": ["eth0"]}}}


def rhel(major):
    return {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": major}


@pytest.fixture()
def where(tmp_path):
    return Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                     str(tmp_path / "bonding.conf"))


def test_keyfiles_are_loaded_the_modprobe_file_is_not(where, tmp_path):
    planned = plan.plan_reconciled(PILLAR, "bonding", where, rhel(9), Stack("enabled", False))
    written, removed = networkmanager.changed_files(planned)
    assert written == [str(tmp_path / "nm" / name)
                       for name in ("bond0.nmconnection", "eth0.nmconnection")]
    assert removed == []


def test_ifcfg_files_are_loaded_only_when_networkmanager_reads_them(where, tmp_path):
    managed = plan.plan_reconciled(PILLAR, "bonding", where, rhel(8), Stack("enabled", False))
    assert networkmanager.changed_files(managed)[0] == [
        str(tmp_path / "ifcfg" / "ifcfg-bond0"), str(tmp_path / "ifcfg" / "ifcfg-eth0")]
    classic = plan.plan_reconciled(PILLAR, "bonding", where, rhel(7), Stack("enabled", True))
    assert networkmanager.changed_files(classic) == ([], [])


def test_an_upgrade_unloads_the_ifcfg_profiles_it_removes(where, tmp_path):
    files.apply(plan.plan_reconciled(PILLAR, "bonding", where, rhel(8),
                                     Stack("enabled", False)).changes)
    upgraded = plan.plan_reconciled(PILLAR, "bonding", where, rhel(9), Stack("enabled", False))
    written, removed = networkmanager.changed_files(upgraded)
    assert [p.rsplit("/", 1)[1] for p in written] == ["bond0.nmconnection", "eth0.nmconnection"]
    assert [p.rsplit("/", 1)[1] for p in removed] == ["ifcfg-bond0", "ifcfg-eth0"]


@pytest.mark.parametrize("returncode, stdout, running", [
    (0, "running\n", True), (0, "starting\n", False), (8, "", False), (1, "", False)])
def test_running_is_what_nmcli_says(returncode, stdout, running):
    assert networkmanager.is_running(returncode, stdout) is running


def test_what_networkmanager_did_not_take_is_named():
    shown = ("/etc/NetworkManager/system-connections/bond0.nmconnection\n"
             "/run/NetworkManager/system-connections/lo.nmconnection\n"
             "/etc/sysconfig/network-scripts/ifcfg-eth0\n"
             "/srv/odd\\:name.nmconnection\n")
    written = ["/etc/NetworkManager/system-connections/bond0.nmconnection",
               "/etc/NetworkManager/system-connections/eth1.nmconnection",
               "/srv/odd:name.nmconnection"]
    removed = ["/etc/sysconfig/network-scripts/ifcfg-eth0",
               "/etc/sysconfig/network-scripts/ifcfg-bond0"]
    assert networkmanager.not_loaded(written, removed, shown) == [
        ("/etc/NetworkManager/system-connections/eth1.nmconnection",
         "NetworkManager did not load it (its log says why)"),
        ("/etc/sysconfig/network-scripts/ifcfg-eth0",
         "removed, but NetworkManager still has its profile"),
    ]
    assert networkmanager.load_argv(written[:1]) == [
        "nmcli", "connection", "load", written[0]]


def test_a_file_load_named_as_refused_is_not_loaded_even_when_an_old_profile_stays():
    """A changed file NetworkManager refuses (mode 0644, a rejected profile): it prints
    ``Could not load file`` and keeps the profile it had, from the same path."""
    path = "/etc/NetworkManager/system-connections/bond1.nmconnection"
    shown = f"{path}\n"
    assert networkmanager.not_loaded([path], [], shown, "") == []
    assert networkmanager.not_loaded([path], [], shown, f"Could not load file '{path}'\n") == [
        (path, "NetworkManager did not load it (its log says why)")]


W = ["/nm/bond0.nmconnection", "/nm/eth0.nmconnection"]
R = ["/ifcfg/ifcfg-bond0", "/ifcfg/ifcfg-eth0"]


@pytest.mark.parametrize("how, written, removed, said", [
    ("not running", W, [], "NetworkManager is not running; it reads bond0.nmconnection, "
                           "eth0.nmconnection when it starts."),
    # An upgrade from RHEL 8 to 9: the comment said NetworkManager "reads" the ifcfg files
    # the same run removed (issue 26).
    ("not running", W, R, "NetworkManager is not running; it reads bond0.nmconnection, "
                          "eth0.nmconnection when it starts (ifcfg-bond0, ifcfg-eth0: "
                          "removed, it will not see them)."),
    ("not running", [], R, "NetworkManager is not running; ifcfg-bond0, ifcfg-eth0: removed, "
                           "it will not see them when it starts."),
    ("no nmcli", W, R, "NetworkManager: no nmcli on this minion; it reads bond0.nmconnection, "
                       "eth0.nmconnection when it starts (ifcfg-bond0, ifcfg-eth0: removed, it "
                       "will not see them)."),
    ("would load", W, R, "NetworkManager would load bond0.nmconnection, eth0.nmconnection and "
                         "drop the profiles of ifcfg-bond0, ifcfg-eth0 (removed)."),
    ("loaded", W, [], "NetworkManager loaded bond0.nmconnection, eth0.nmconnection."),
    ("loaded", [], R, "NetworkManager dropped the profiles of ifcfg-bond0, ifcfg-eth0 "
                      "(removed)."),
])
def test_the_comment_says_what_networkmanager_reads_and_what_it_no_longer_sees(
        how, written, removed, said):
    assert networkmanager.said(how, written, removed) == said
