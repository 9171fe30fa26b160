"""drift.report: pillar against files and kernel, for bond.verify (the kernel side read
by the real driver in tests/kernel/test_activate_kernel.py)."""

import pytest
from salt_bonding import drift, files, plan
from salt_bonding.activate.kernel_plan import option_values
from salt_bonding.model import Bond
from salt_bonding.platform import Stack
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
                     "host": [], "unknown": []}


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
