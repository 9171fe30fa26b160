"""competing: other profiles for our devices, found and beaten (priority) or refused."""

import pytest
from salt_bonding import errors, plan
from salt_bonding.host.platform import Stack
from salt_bonding.render import Locations

pytestmark = pytest.mark.unit

PILLAR = {"bonds": {"bond0": {"mode": "active-backup", "miimon": 100, "slaves": ["eth0", "eth1"],
                              "vlans": {100: {}}}}}
NM = Stack("enabled", False)
WIRED = ("[connection]\nid=Wired connection 1\nuuid=1b9e0c55-6f4c-4a8e-8d8e-7f2f1d0c0a01\n"
         "type=ethernet\ninterface-name=eth0\n{extra}\n[ipv4]\nmethod=auto\n")


def rhel(major):
    return {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": major}


@pytest.fixture()
def dirs(tmp_path):
    (tmp_path / "ifcfg").mkdir()
    (tmp_path / "nm").mkdir()
    return tmp_path


def where(tmp_path):
    return Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                     str(tmp_path / "bonding.conf"))


def refusals(dirs, major):
    """The errors of a run on a RHEL ``major`` minion, which must be refused."""
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(major), NM)
    return caught.value.errors


def test_an_installers_profile_loses_to_ours_and_is_named(dirs):
    wired = dirs / "nm" / "Wired connection 1.nmconnection"
    wired.write_text(WIRED.format(extra=""))
    (dirs / "nm" / "other.nmconnection").write_text(
        WIRED.format(extra="").replace("eth0", "eth7"))  # not one of ours: not a rival
    planned = plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(9), NM)
    assert planned.warnings == [
        f"other profiles for eth0 compete with ours at boot: {wired} (autoconnect-priority 0);"
        " ours have autoconnect-priority 100 and win (remove them to leave no doubt)"]
    assert wired.read_text() == WIRED.format(extra="")  # never touched


@pytest.mark.parametrize("extra, rival", [
    ("autoconnect=false\n", False), ("autoconnect-priority=99\n", True),
    ("autoconnect-priority=100\n", "refused"), ("autoconnect-priority=999\n", "refused"),
])
def test_a_rival_at_or_above_our_priority_is_refused(dirs, extra, rival):
    (dirs / "nm" / "eth0-installer.nmconnection").write_text(WIRED.format(extra=extra))
    if rival == "refused":
        (path, message), = refusals(dirs, 9)
        assert path == "bonding:bonds:bond0"
        assert "not below ours (100): NetworkManager may activate it instead at boot" in message
        assert sorted(p.name for p in (dirs / "nm").iterdir()) == ["eth0-installer.nmconnection"]
        return
    planned = plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(9), NM)
    assert bool(planned.warnings) is rival


def test_an_ifcfg_file_that_keeps_networkmanager_off_the_device_is_refused(dirs):
    """RHEL 9's NetworkManager still reads ifcfg files: NM_CONTROLLED=no makes eth1 unmanaged."""
    (dirs / "ifcfg" / "ifcfg-eth1").write_text('DEVICE="eth1"\nNM_CONTROLLED=no\nONBOOT=yes\n')
    assert refusals(dirs, 9) == [("bonding:bonds:bond0", (
        f"{dirs}/ifcfg/ifcfg-eth1 says NM_CONTROLLED=no for eth1: NetworkManager would leave "
        "eth1 alone and never bring bond0 up (remove that file, or its NM_CONTROLLED line)"))]
    # RHEL 10's NetworkManager reads no ifcfg files: that file is inert there.
    assert plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(10), NM).warnings == []


def test_an_ifcfg_file_networkmanager_reads_is_a_rival_too(dirs):
    (dirs / "ifcfg" / "ifcfg-System_eth0").write_text("DEVICE=eth0\nONBOOT=yes\n")
    planned = plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(9), NM)
    assert "ifcfg-System_eth0 (autoconnect-priority 0)" in planned.warnings[0]


def test_network_scripts_would_bring_up_both_files_refused(dirs):
    (dirs / "ifcfg" / "ifcfg-em1").write_text("DEVICE=eth1\nBOOTPROTO=dhcp\n")
    assert refusals(dirs, 7) == [("bonding:bonds:bond0", (
        f"{dirs}/ifcfg/ifcfg-em1 also configures eth1 with ONBOOT=yes, and network-scripts "
        "bring up every such file at boot: remove it, or set ONBOOT=no in it"))]
    (dirs / "ifcfg" / "ifcfg-em1").write_text("DEVICE=eth1\nONBOOT='no'\n")
    assert plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(7), NM).warnings == []


@pytest.mark.parametrize("line", ["ONBOOT='no' # disabled by the installer",
                                  'ONBOOT="no"\t# off', "ONBOOT=no # off", "export ONBOOT=no",
                                  "ONBOOT=n\\o"])
def test_onboot_no_with_a_comment_is_read_as_bash_reads_it(dirs, line):
    (dirs / "ifcfg" / "ifcfg-em1").write_text(f"DEVICE=eth1\n{line}\n")
    assert plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(7), NM).warnings == []


@pytest.mark.parametrize("name", ["ifcfg-eth0.bak", "ifcfg-eth0~", ".ifcfg-eth0.swp",
                                  "ifcfg-eth0.rpmsave"])
def test_names_nothing_reads_are_not_rivals(dirs, name):
    (dirs / "ifcfg" / name).write_text("DEVICE=eth0\n")
    assert plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(7), NM).warnings == []


def test_the_vlan_and_the_bond_are_our_devices_too(dirs):
    (dirs / "nm" / "vlan.nmconnection").write_text(
        WIRED.format(extra="").replace("eth0", "bond0.100"))
    planned = plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(9), NM)
    assert planned.warnings[0].startswith("other profiles for bond0.100 compete")


def test_our_files_and_those_this_run_replaces_are_not_rivals(dirs):
    (dirs / "ifcfg" / "ifcfg-eth0").write_text("DEVICE=eth0\nONBOOT=yes\n")  # replaced (taken)
    first = plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(7), NM)
    assert [w for w in first.warnings if "compete" in w] == []
    from salt_bonding.host import files
    files.apply(first.changes)
    assert plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(7), NM).warnings == []
    # ...and after an upgrade to RHEL 9, our own ifcfg files (being swept) are not rivals.
    assert plan.plan_reconciled(PILLAR, "bonding", where(dirs), rhel(9), NM).warnings == []
