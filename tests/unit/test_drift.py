"""drift.report: pillar against files and kernel, for bond.verify (the kernel side read
by the real driver in tests/kernel/test_activate_kernel.py)."""

from pathlib import Path

import pytest
from salt_bonding import plan
from salt_bonding.activate.kernel_plan import option_values
from salt_bonding.config.model import Bond
from salt_bonding.host import files
from salt_bonding.host.platform import Stack
from salt_bonding.observe import drift
from salt_bonding.render import Locations

pytestmark = pytest.mark.unit

RHEL7 = {"os": "CentOS", "os_family": "RedHat", "osmajorrelease": 7}
PILLAR = {"bonds": {"bond0": {"mode": "active-backup", "slaves": ["eth0", "eth1"],
                              "miimon": 100}}}


def planned(tmp_path, pillar=PILLAR):
    where = Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                      str(tmp_path / "bonding.conf"))
    return plan.plan_reconciled(pillar, "bonding", where, RHEL7, Stack())


def running(desired):
    return Bond(name=desired.name, mode=desired.mode, options=option_values(desired),
                slaves=list(desired.slaves))


def status(bond, **changes):
    return {"mode": bond.mode, "slaves": list(bond.slaves), "mii_status": "up",
            "active_slave": bond.slaves[0], "miimon": 100, **changes}


def test_files_missing_and_a_bond_not_running_drift(tmp_path):
    found = drift.report(planned(tmp_path), {}, {})
    assert found["drifted"] is True
    assert found["bonds"]["bond0"]["files"] == [
        f"{tmp_path}/ifcfg/ifcfg-{name}: missing" for name in ("bond0", "eth0", "eth1")]
    assert found["bonds"]["bond0"]["kernel"] == ["bond0: not in the kernel"]
    assert found["host"] == [f"{tmp_path}/bonding.conf: missing"]


def test_everything_as_pillar_says_is_no_drift(tmp_path):
    files.apply(planned(tmp_path).changes)
    again = planned(tmp_path)
    bond = again.config.bonds["bond0"]
    found = drift.report(again, {"bond0": running(bond)}, {"bond0": status(bond)})
    assert found == {"drifted": False, "bonds": {"bond0": {"files": [], "kernel": []}},
                     "host": [], "unknown": [], "not_checked": []}


def test_a_file_edited_a_bond_changed_and_an_unknown_bond_drift(tmp_path):
    files.apply(planned(tmp_path).changes)
    eth1 = tmp_path / "ifcfg" / "ifcfg-eth1"
    eth1.write_text(eth1.read_text() + "MTU=9000\n")
    again = planned(tmp_path)
    bond = again.config.bonds["bond0"]
    found = drift.report(again, {"bond0": running(bond)},
                         {"bond0": status(bond, slaves=["eth0"], active_slave="eth0"),
                          "bond7": {}})
    assert found["drifted"] is True
    assert found["bonds"]["bond0"] == {
        "files": [f"{eth1}: differs from pillar (changed by hand?)"],
        "kernel": ["bond0 slaves eth0, desired eth0,eth1"]}
    assert found["unknown"] == ["bond7"]


def test_files_of_a_bond_no_longer_in_pillar_are_left_over(tmp_path):
    files.apply(planned(tmp_path).changes)
    found = drift.report(planned(tmp_path, {"bonds": {}}), {}, {})
    assert found["bonds"] == {"bond0": {"files": [
        f"{tmp_path}/ifcfg/ifcfg-{name}: no longer in pillar, still on disk"
        for name in ("bond0", "eth0", "eth1")], "kernel": []}}


# -- bond.verify end to end: which kernel, which bonds are unknown (issue 26) -------------
CAPTURES = Path(__file__).resolve().parents[1] / "captures"
HEALTHY = CAPTURES / "active-backup-healthy"
AS_CAPTURED = {"bonds": {"bond0": {"mode": "active-backup", "slaves": ["va", "vb"],
                                   "miimon": 100, "primary": "va", "mtu": 1500,
                                   "ipaddr": "192.0.2.10", "prefix": 24}}}


def no_commands(argv):
    raise AssertionError(f"a tree is read, not the running system: {argv}")


def test_with_the_roots_moved_verify_reads_the_tree_and_says_what_it_could_not_check(
        tmp_path):
    """Pointed at a capture, verify read links over netlink from the real kernel ("bond0:
    not in the kernel", drifted) while bond.status read the capture (ok)."""
    procfs, sysfs = str(HEALTHY / "proc/net/bonding"), str(HEALTHY / "sys/class/net")
    files.apply(planned(tmp_path, AS_CAPTURED).changes)
    found = drift.verify(planned(tmp_path, AS_CAPTURED), procfs, sysfs, no_commands)
    assert found == {"drifted": False, "bonds": {"bond0": {"files": [], "kernel": []}},
                     "host": [], "unknown": [], "not_checked": [
                         f"bond0: addresses, default routes and VLANs (not in the tree "
                         f"bond.procfs {procfs} and bond.sysfs {sysfs} give)"]}
    other = {"bonds": {"bond0": {**AS_CAPTURED["bonds"]["bond0"], "miimon": 200, "mtu": 9000,
                                 "slaves": ["va"]}}}
    found = drift.verify(planned(tmp_path, other), procfs, sysfs, no_commands)
    assert found["drifted"] is True
    assert found["bonds"]["bond0"]["kernel"] == [
        "bond0: still to do: bond0: vb released", "bond0: still to do: bond0: miimon 100 -> 200",
        "bond0: still to do: bond0: MTU 9000", "bond0 miimon 100, desired 200",
        "bond0 slaves va,vb, desired va"]


def test_a_tree_without_sysfs_lists_what_procfs_alone_cannot_show(tmp_path):
    """procfs shows miimon and primary (compared there); not lp_interval, nor the MTU."""
    procfs, sysfs = str(HEALTHY / "proc/net/bonding"), str(tmp_path / "no-sysfs")
    pillar = {"bonds": {"bond0": {**AS_CAPTURED["bonds"]["bond0"], "resend_igmp": 1}}}
    found = drift.verify(planned(tmp_path, pillar), procfs, sysfs, no_commands)
    assert found["bonds"]["bond0"]["kernel"] == []
    assert found["not_checked"] == [
        f"bond0: option resend_igmp, MTU, addresses, default routes and VLANs (not in the "
        f"tree bond.procfs {procfs} and bond.sysfs {sysfs} give)"]
    pillar["bonds"]["bond0"]["miimon"] = 200
    found = drift.verify(planned(tmp_path, pillar), procfs, sysfs, no_commands)
    assert found["bonds"]["bond0"]["kernel"] == ["bond0 miimon 100, desired 200"]


def test_bonds_another_state_of_this_module_wrote_are_not_unknown(tmp_path):
    """Two bond.reconciled states under different pillar keys: verify name=storage listed
    bonding's bonds as unknown forever (a check that could never be green)."""
    where = Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                      str(tmp_path / "bonding.conf"))
    storage = {"bonds": {"bond7": {"mode": "active-backup", "miimon": 100,
                                    "slaves": ["eth7"]}}}
    files.apply(plan.plan_reconciled(PILLAR, "bonding", where, RHEL7, Stack()).changes)
    files.apply(plan.plan_reconciled(storage, "storage", where, RHEL7, Stack()).changes)
    statuses = {"bond0": status(running(planned(tmp_path).config.bonds["bond0"])),
                "bond7": {}, "bond9": {}}
    again = plan.plan_reconciled(storage, "storage", where, RHEL7, Stack())
    assert drift.report(again, {}, statuses, others=drift.claimed_elsewhere(again))[
        "unknown"] == ["bond9"]
