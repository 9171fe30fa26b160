"""platform: which format each RHEL generation reads; impossible choices refused."""

import pytest
from salt_bonding import errors, platform

pytestmark = pytest.mark.unit

RHEL = {"os": "RedHat", "os_family": "RedHat"}


@pytest.mark.parametrize("grains, default, readable", [
    ({**RHEL, "osmajorrelease": 7}, "ifcfg", ("ifcfg", "keyfile")),
    ({**RHEL, "osmajorrelease": 8}, "ifcfg", ("ifcfg", "keyfile")),
    ({"os": "Rocky", "os_family": "RedHat", "osmajorrelease": "9"}, "keyfile", ("keyfile",)),
    ({**RHEL, "osmajorrelease": 10}, "keyfile", ("keyfile",)),
    ({"os": "Fedora", "os_family": "RedHat", "osmajorrelease": 40}, "keyfile",
     ("keyfile", "ifcfg")),
    ({"os": "Fedora", "os_family": "RedHat", "osmajorrelease": 41}, "keyfile", ("keyfile",)),
    ({"os": "Debian", "os_family": "Debian", "osmajorrelease": 12}, "ifcfg", ("ifcfg", "keyfile")),
    ({}, "ifcfg", ("ifcfg", "keyfile")),
])
def test_each_generation_gets_what_it_reads(grains, default, readable):
    assert platform.reads(grains) == (default, readable)
    assert platform.resolve("auto", grains, "bonding:format") == default


def test_a_format_the_minion_does_not_read_is_refused_with_the_way_out():
    with pytest.raises(errors.UserError) as caught:
        platform.resolve("ifcfg", {**RHEL, "osmajorrelease": 10}, "bonding:format")
    assert caught.value.errors == [("bonding:format", (
        "ifcfg files do nothing on RedHat 10: its network stack reads only keyfile (use "
        "format: auto, or keyfile)"))]
    assert platform.resolve("keyfile", {**RHEL, "osmajorrelease": 7}, "x") == "keyfile"


def test_disabling_networkmanager_where_it_reads_the_files_is_refused(tmp_path):
    from salt_bonding import plan
    from salt_bonding.render import Locations

    where = Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                      str(tmp_path / "bonding.conf"))
    pillar = {"networkmanager": "disabled",
              "bonds": {"bond0": {"mode": 1, "miimon": 100, "slaves": ["eth0"]}}}
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled(pillar, "bonding", where, {**RHEL, "osmajorrelease": 9})
    assert caught.value.errors[0][0] == "bonding:networkmanager"
    assert "NetworkManager is what reads them" in caught.value.errors[0][1]
    rhel7 = plan.plan_reconciled(pillar, "bonding", where, {**RHEL, "osmajorrelease": 7})
    assert rhel7.networkmanager == "disabled" and rhel7.destination.format == "ifcfg"
    assert list(tmp_path.iterdir()) == []
