"""plan: one run's plan from pillar to changes, without Salt."""

import pytest
from salt_bonding import errors, plan
from salt_bonding.config.model import Mark
from salt_bonding.render import Destination
from salt_bonding.render.ifcfg import read_mark as ifcfg_mark

pytestmark = pytest.mark.unit

PILLAR = {"bonds": {"bond0": {"mode": 1, "slaves": ["eth0", "eth1"], "miimon": 100}}}


@pytest.fixture
def dirs(tmp_path):
    ifcfg = tmp_path / "network-scripts"
    ifcfg.mkdir()
    return ifcfg, tmp_path / "bonding.conf"


def destination(ifcfg, modprobe):
    return Destination("ifcfg", str(ifcfg), str(modprobe))


def test_reconciled_plan_creates_every_file_and_reports_them(dirs):
    ifcfg, modprobe = dirs
    planned = plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe))
    assert planned.bonds == ["bond0"]
    report = plan.report(planned.changes)
    assert {p: c["action"] for p, c in report.items()} == {
        str(ifcfg / "ifcfg-bond0"): "created", str(ifcfg / "ifcfg-eth0"): "created",
        str(ifcfg / "ifcfg-eth1"): "created", str(modprobe): "created"}
    assert plan.summary(planned, test=True) == (
        "4 file(s) would be written: bonding.conf, ifcfg-bond0, ifcfg-eth0, ifcfg-eth1")
    assert list(ifcfg.iterdir()) == []  # planning writes nothing


def test_applied_plan_leaves_nothing_to_do(dirs):
    ifcfg, modprobe = dirs
    plan.apply(plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)))
    again = plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe))
    assert again.changes == {}


def test_update_and_removal_are_reported_as_such(dirs):
    ifcfg, modprobe = dirs
    plan.apply(plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)))
    changed = {"bonds": {"bond0": {"mode": 1, "slaves": ["eth0"], "miimon": 200}}}
    planned = plan.plan_reconciled(changed, "bonding", destination(ifcfg, modprobe))
    report = plan.report(planned.changes)
    assert {p: c["action"] for p, c in report.items()} == {
        str(ifcfg / "ifcfg-bond0"): "updated", str(ifcfg / "ifcfg-eth1"): "removed"}
    assert "-BONDING_OPTS=\"mode=active-backup miimon=100\"" in report[
        str(ifcfg / "ifcfg-bond0")]["diff"]
    assert plan.summary(planned, test=False) == (
        "1 file(s) written: ifcfg-bond0; 1 file(s) removed: ifcfg-eth1")


def test_managed_and_absent_touch_only_their_bond(dirs):
    ifcfg, modprobe = dirs
    plan.apply(plan.plan_managed("bond0", PILLAR["bonds"]["bond0"], destination(ifcfg, modprobe)))
    planned = plan.plan_managed("bond1", {"mode": "802.3ad", "slaves": ["eth2"]},
                                destination(ifcfg, modprobe))
    assert sorted(p.rsplit("/", 1)[1] for p in planned.changes) == [
        "bonding.conf", "ifcfg-bond1", "ifcfg-eth2"]
    plan.apply(planned)
    planned = plan.plan_absent("bond0", destination(ifcfg, modprobe))
    assert sorted(p.rsplit("/", 1)[1] for p in planned.changes) == [
        "bonding.conf", "ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1"]
    assert planned.changes[str(modprobe)].new.count("alias netdev-") == 1


@pytest.mark.parametrize("name", ["", "bond/0", "bond0.5", "a" * 16, "$(x)"])
def test_absent_refuses_a_name_that_is_no_bond(dirs, name):
    ifcfg, modprobe = dirs
    with pytest.raises(errors.UserError) as info:
        plan.plan_absent(name, destination(ifcfg, modprobe))
    assert str(info.value).startswith("name: ")


def test_bad_pillar_raises_before_looking_at_the_disk(tmp_path):
    missing = tmp_path / "does-not-exist"
    with pytest.raises(errors.UserError, match="bonding:bonds:bond0:mode"):
        plan.plan_reconciled({"bonds": {"bond0": {"mode": "fast", "slaves": []}}},
                             "bonding", destination(missing, missing / "x.conf"))
    assert not missing.exists()


def test_managed_may_not_take_a_file_of_another_bond(dirs):
    ifcfg, modprobe = dirs
    plan.apply(plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)))
    with pytest.raises(errors.UserError) as info:
        plan.plan_managed("bond1", {"mode": "802.3ad", "slaves": ["eth1", "eth2"]},
                          destination(ifcfg, modprobe), path="bond1:bond.managed")
    assert str(info.value) == (
        f"{ifcfg / 'ifcfg-eth1'}: belongs to bond bond0, written by bond.reconciled:bonding; "
        "one state per bond: remove bond0 from pillar 'bonding', or that state, first (once "
        "that state is gone, bond.absent with force: true removes its files)")
    assert sorted(p.name for p in ifcfg.iterdir()) == ["ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1"]


def test_replacing_a_file_salt_did_not_write_is_said(dirs):
    ifcfg, modprobe = dirs
    (ifcfg / "ifcfg-eth0").write_text("DEVICE=eth0\nBOOTPROTO=dhcp\n")
    planned = plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe))
    assert plan.report(planned.changes)[str(ifcfg / "ifcfg-eth0")]["action"] == "updated"
    assert plan.summary(planned, test=True).endswith(
        "; would be managed by Salt, replacing files it did not write: ifcfg-eth0")
    plan.apply(planned)
    again = plan.plan_reconciled({"bonds": {"bond0": {"mode": 1, "slaves": ["eth0"],
                                                      "miimon": 300}}},
                                 "bonding", destination(ifcfg, modprobe))
    assert "replacing" not in plan.summary(again, test=False)


def test_an_administrators_modprobe_file_or_a_symlink_is_described_rightly(dirs, tmp_path):
    ifcfg, modprobe = dirs
    modprobe.write_text("options bonding max_bonds=0\n")  # kept, not replaced
    (ifcfg / "ifcfg-eth1").symlink_to(tmp_path / "elsewhere")  # replaced, never followed
    planned = plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe))
    assert plan.summary(planned, test=True).endswith(
        "; would be managed by Salt, replacing files it did not write: ifcfg-eth1")


def test_a_renderers_refusal_fails_the_run_before_anything_is_read(tmp_path, monkeypatch):
    """Format-specific refusals come from the run's renderer, with the pillar path."""
    from salt_bonding import render

    class NoVlans(render.IfcfgRenderer):
        """ifcfg, but a format that cannot write VLANs."""

        def refusals(self, config, choice, path):
            return [(f"{path}:{name}:vlans", "this format cannot write VLANs")
                    for name, bond in config.bonds.items() if bond.vlans]

    monkeypatch.setitem(render.RENDERERS, "ifcfg", NoVlans())
    destination = render.Destination("ifcfg", str(tmp_path / "network-scripts"),
                                     str(tmp_path / "bonding.conf"))
    pillar = {"bonds": {"bond0": {"mode": "active-backup", "slaves": ["eth0"], "miimon": 100,
                                  "vlans": {100: {}}}}}
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled(pillar, "bonding", destination)
    assert caught.value.errors == [("bonding:bonds:bond0:vlans", "this format cannot write VLANs")]
    assert list(tmp_path.iterdir()) == []
    del pillar["bonds"]["bond0"]["vlans"]
    assert plan.plan_reconciled(pillar, "bonding", destination).changes


# -- ownership: which state wrote a file ----------------------------------------------
MANAGED_BOND1 = {"mode": "active-backup", "slaves": ["eth2"], "miimon": 100}


def marks(ifcfg):
    return {p.name: ifcfg_mark(p.read_text()) for p in sorted(ifcfg.iterdir())}


def test_every_file_records_the_state_that_wrote_it(dirs):
    ifcfg, modprobe = dirs
    plan.apply(plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)))
    plan.apply(plan.plan_managed("bond1", MANAGED_BOND1, destination(ifcfg, modprobe)))
    assert marks(ifcfg) == {
        "ifcfg-bond0": Mark("bond0", "bond.reconciled:bonding"),
        "ifcfg-eth0": Mark("bond0", "bond.reconciled:bonding"),
        "ifcfg-eth1": Mark("bond0", "bond.reconciled:bonding"),
        "ifcfg-bond1": Mark("bond1", "bond.managed:bond1"),
        "ifcfg-eth2": Mark("bond1", "bond.managed:bond1"),
    }


def test_reconciled_and_managed_side_by_side_converge(dirs):
    """The module docstring's own example: a reconciled pillar and a managed bond."""
    ifcfg, modprobe = dirs
    for _ in range(2):
        plan.apply(plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)))
        plan.apply(plan.plan_managed("bond1", MANAGED_BOND1, destination(ifcfg, modprobe)))
    assert plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)).changes == {}
    assert plan.plan_managed("bond1", MANAGED_BOND1, destination(ifcfg, modprobe)).changes == {}
    text = modprobe.read_text()
    assert "alias netdev-bond0 bonding" in text and "alias netdev-bond1 bonding" in text


def test_two_reconciled_keys_converge_and_each_removes_only_its_own(dirs):
    ifcfg, modprobe = dirs
    other = {"bonds": {"bond1": MANAGED_BOND1}}
    for _ in range(2):
        plan.apply(plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)))
        plan.apply(plan.plan_reconciled(other, "storage", destination(ifcfg, modprobe)))
    assert plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)).changes == {}
    assert plan.plan_reconciled(other, "storage", destination(ifcfg, modprobe)).changes == {}
    planned = plan.plan_reconciled({"bonds": {}}, "storage", destination(ifcfg, modprobe))
    assert sorted(p.rsplit("/", 1)[1] for p in planned.changes) == [
        "bonding.conf", "ifcfg-bond1", "ifcfg-eth2"]
    plan.apply(planned)
    assert sorted(p.name for p in ifcfg.iterdir()) == ["ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1"]
    assert "alias netdev-bond0 bonding" in modprobe.read_text()


def test_a_bond_in_two_states_is_refused_with_the_way_out(dirs):
    ifcfg, modprobe = dirs
    plan.apply(plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)))
    before = marks(ifcfg)
    with pytest.raises(errors.UserError) as info:
        plan.plan_managed("bond0", PILLAR["bonds"]["bond0"], destination(ifcfg, modprobe))
    assert [where for where, _ in info.value.errors] == [
        str(ifcfg / "ifcfg-bond0"), str(ifcfg / "ifcfg-eth0"), str(ifcfg / "ifcfg-eth1")]
    assert info.value.errors[0][1] == (
        "belongs to bond bond0, written by bond.reconciled:bonding; one state per bond: "
        "remove bond0 from pillar 'bonding', or that state, first (once that state is gone, "
        "bond.absent with force: true removes its files)")
    with pytest.raises(errors.UserError, match="written by bond.reconciled:bonding"):
        plan.plan_absent("bond0", destination(ifcfg, modprobe))
    with pytest.raises(errors.UserError, match="written by bond.reconciled:bonding"):
        plan.plan_reconciled(PILLAR, "storage", destination(ifcfg, modprobe))
    assert marks(ifcfg) == before


def test_files_of_earlier_versions_are_taken_over_by_any_state(dirs):
    ifcfg, modprobe = dirs
    legacy = ("# Managed by Salt (bond state, bond0). Local changes will be overwritten.\n"
              "DEVICE=eth0\n")
    (ifcfg / "ifcfg-eth0").write_text(legacy)
    (ifcfg / "ifcfg-eth9").write_text(legacy.replace("eth0", "eth9"))
    planned = plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe))
    assert planned.changes[str(ifcfg / "ifcfg-eth0")].action == "updated"
    assert planned.changes[str(ifcfg / "ifcfg-eth9")].action == "removed"
    plan.apply(planned)
    assert marks(ifcfg)["ifcfg-eth0"] == Mark("bond0", "bond.reconciled:bonding")


def test_claims_refuse_a_bond_handled_twice_in_one_run_whichever_comes_first(dirs):
    ifcfg, modprobe = dirs
    reconciled = plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe))
    absent = plan.plan_absent("bond0", destination(ifcfg, modprobe))
    managed = plan.plan_managed("bond1", MANAGED_BOND1, destination(ifcfg, modprobe))
    for first, second in ((reconciled, absent), (absent, reconciled)):
        claims = {}
        assert plan.claim(claims, first) == []
        assert plan.claim(claims, managed) == []
        [(where, message)] = plan.claim(claims, second)
        assert where == second.state
        assert message.startswith(f"bond bond0 is also handled by {first.state} in this run")


def test_absent_with_force_removes_what_another_state_wrote(dirs):
    ifcfg, modprobe = dirs
    plan.apply(plan.plan_reconciled(PILLAR, "bonding", destination(ifcfg, modprobe)))
    plan.apply(plan.plan_managed("bond1", MANAGED_BOND1, destination(ifcfg, modprobe)))
    planned = plan.plan_absent("bond0", destination(ifcfg, modprobe), force=True)
    assert sorted(p.rsplit("/", 1)[1] for p in planned.changes) == [
        "bonding.conf", "ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1"]
    plan.apply(planned)
    assert sorted(p.name for p in ifcfg.iterdir()) == ["ifcfg-bond1", "ifcfg-eth2"]
    assert modprobe.read_text().count("alias netdev-") == 1
