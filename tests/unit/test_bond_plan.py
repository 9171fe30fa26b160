"""bond_plan: one run's plan from pillar to changes, without Salt."""

import bond_plan
import pytest

pytestmark = pytest.mark.unit

PILLAR = {"bonds": {"bond0": {"mode": 1, "slaves": ["eth0", "eth1"], "miimon": 100}}}


@pytest.fixture
def dirs(tmp_path):
    ifcfg = tmp_path / "network-scripts"
    ifcfg.mkdir()
    return ifcfg, tmp_path / "bonding.conf"


def test_reconciled_plan_creates_every_file_and_reports_them(dirs):
    ifcfg, modprobe = dirs
    plan = bond_plan.plan_reconciled(PILLAR, "bonding", str(ifcfg), str(modprobe))
    assert plan["bonds"] == ["bond0"]
    report = bond_plan.report(plan["changes"])
    assert {p: c["action"] for p, c in report.items()} == {
        str(ifcfg / "ifcfg-bond0"): "created", str(ifcfg / "ifcfg-eth0"): "created",
        str(ifcfg / "ifcfg-eth1"): "created", str(modprobe): "created"}
    assert bond_plan.summary(plan["changes"], test=True) == (
        "4 file(s) would be written: bonding.conf, ifcfg-bond0, ifcfg-eth0, ifcfg-eth1")
    assert list(ifcfg.iterdir()) == []  # planning writes nothing


def test_applied_plan_leaves_nothing_to_do(dirs):
    ifcfg, modprobe = dirs
    bond_plan.apply(bond_plan.plan_reconciled(PILLAR, "bonding", str(ifcfg), str(modprobe))
                    ["changes"])
    again = bond_plan.plan_reconciled(PILLAR, "bonding", str(ifcfg), str(modprobe))
    assert again["changes"] == {}


def test_update_and_removal_are_reported_as_such(dirs):
    ifcfg, modprobe = dirs
    bond_plan.apply(bond_plan.plan_reconciled(PILLAR, "bonding", str(ifcfg), str(modprobe))
                    ["changes"])
    changed = {"bonds": {"bond0": {"mode": 1, "slaves": ["eth0"], "miimon": 200}}}
    plan = bond_plan.plan_reconciled(changed, "bonding", str(ifcfg), str(modprobe))
    report = bond_plan.report(plan["changes"])
    assert {p: c["action"] for p, c in report.items()} == {
        str(ifcfg / "ifcfg-bond0"): "updated", str(ifcfg / "ifcfg-eth1"): "removed"}
    assert "-BONDING_OPTS=\"mode=active-backup miimon=100\"" in report[
        str(ifcfg / "ifcfg-bond0")]["diff"]
    assert bond_plan.summary(plan["changes"], test=False) == (
        "1 file(s) written: ifcfg-bond0; 1 file(s) removed: ifcfg-eth1")


def test_managed_and_absent_touch_only_their_bond(dirs):
    ifcfg, modprobe = dirs
    bond_plan.apply(bond_plan.plan_reconciled(PILLAR, "bonding", str(ifcfg), str(modprobe))
                    ["changes"])
    plan = bond_plan.plan_managed("bond1", {"mode": "802.3ad", "slaves": ["eth2"]},
                                  str(ifcfg), str(modprobe))
    assert sorted(p.rsplit("/", 1)[1] for p in plan["changes"]) == [
        "bonding.conf", "ifcfg-bond1", "ifcfg-eth2"]
    bond_plan.apply(plan["changes"])
    plan = bond_plan.plan_absent("bond0", str(ifcfg), str(modprobe))
    assert sorted(p.rsplit("/", 1)[1] for p in plan["changes"]) == [
        "bonding.conf", "ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1"]
    assert plan["changes"][str(modprobe)]["new"].count("alias netdev-") == 1


@pytest.mark.parametrize("name", ["", "bond/0", "bond0.5", "a" * 16, "$(x)"])
def test_absent_refuses_a_name_that_is_no_bond(dirs, name):
    ifcfg, modprobe = dirs
    with pytest.raises(ValueError) as info:
        bond_plan.plan_absent(name, str(ifcfg), str(modprobe))
    assert str(info.value).startswith("name: ")


def test_bad_pillar_raises_before_looking_at_the_disk(tmp_path):
    missing = tmp_path / "does-not-exist"
    with pytest.raises(ValueError, match="bonding:bonds:bond0:mode"):
        bond_plan.plan_reconciled({"bonds": {"bond0": {"mode": "fast", "slaves": []}}},
                                  "bonding", str(missing), str(missing / "x.conf"))
    assert not missing.exists()


def test_managed_may_not_take_a_file_of_another_bond(dirs):
    ifcfg, modprobe = dirs
    bond_plan.apply(bond_plan.plan_reconciled(PILLAR, "bonding", str(ifcfg), str(modprobe))
                    ["changes"])
    with pytest.raises(ValueError) as info:
        bond_plan.plan_managed("bond1", {"mode": "802.3ad", "slaves": ["eth1", "eth2"]},
                               str(ifcfg), str(modprobe), path="bond1:bond.managed")
    assert str(info.value) == (
        f"bond1:bond.managed:bond1: {ifcfg / 'ifcfg-eth1'} belongs to bond bond0; "
        "remove it from bond0 first")
    assert sorted(p.name for p in ifcfg.iterdir()) == ["ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1"]


def test_replacing_a_file_salt_did_not_write_is_said(dirs):
    ifcfg, modprobe = dirs
    (ifcfg / "ifcfg-eth0").write_text("DEVICE=eth0\nBOOTPROTO=dhcp\n")
    plan = bond_plan.plan_reconciled(PILLAR, "bonding", str(ifcfg), str(modprobe))
    assert bond_plan.report(plan["changes"])[str(ifcfg / "ifcfg-eth0")]["action"] == "updated"
    assert bond_plan.summary(plan["changes"], test=True).endswith(
        "; would be managed by Salt, replacing files it did not write: ifcfg-eth0")
    bond_plan.apply(plan["changes"])
    again = bond_plan.plan_reconciled({"bonds": {"bond0": {"mode": 1, "slaves": ["eth0"],
                                                           "miimon": 300}}},
                                      "bonding", str(ifcfg), str(modprobe))
    assert "replacing" not in bond_plan.summary(again["changes"], test=False)


def test_an_administrators_modprobe_file_or_a_symlink_is_described_rightly(dirs, tmp_path):
    ifcfg, modprobe = dirs
    modprobe.write_text("options bonding max_bonds=0\n")  # kept, not replaced
    (ifcfg / "ifcfg-eth1").symlink_to(tmp_path / "elsewhere")  # replaced, never followed
    plan = bond_plan.plan_reconciled(PILLAR, "bonding", str(ifcfg), str(modprobe))
    assert bond_plan.summary(plan["changes"], test=True).endswith(
        "; would be managed by Salt, replacing files it did not write: ifcfg-eth1")
