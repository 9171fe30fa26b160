"""Desired (a validated bond) against live (a status read from our real-kernel captures)."""

import copy
from pathlib import Path

import pytest
from salt_bonding.config import schema
from salt_bonding.config.modes import MODES
from salt_bonding.observe import compare, health
from salt_bonding.observe import status as bond_status
from salt_bonding.observe.compare import Difference

from tests.harness import capture_scenarios

pytestmark = pytest.mark.unit

CAPTURES = Path(__file__).resolve().parents[1] / "captures"


def read(capture, sysfs=True):
    """``{bond: status}`` of a capture, as ``status.read_status`` reads it."""
    base = CAPTURES / capture
    return bond_status.read_status(str(base / "proc" / "net" / "bonding"),
                                   str(base / "sys" / "class" / "net") if sysfs else None)


def desired(spec, index=0, **changes):
    """The scenario's bond ``index`` as pillar would give it, validated; ``changes`` override."""
    bond = spec["bonds"][index]
    settings = {"mode": bond["mode"], "slaves": [slave["name"] for slave in bond["slaves"]],
                **bond["options"], **changes}
    return schema.validate_bond(bond["name"], settings)


def mode_bond(mode, **changes):
    return desired(capture_scenarios.mode_scenario(mode), **changes)


def live(capture, bond="bond0"):
    return read(capture)[bond]


# -- what was asked is what runs ------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_every_mode_capture_is_what_its_scenario_asked(mode):
    spec = capture_scenarios.mode_scenario(mode)
    bond = desired(spec)
    statuses = read(f"mode-{mode}")
    assert bond.mode == mode and sorted(bond.slaves) == ["va", "vb"]
    assert "miimon" in bond.options  # options are compared, not only mode and slaves
    assert compare.differences(bond, statuses["bond0"]) == []


# -- one difference at a time ----------------------------------------------------------
def test_a_different_mode():
    found = compare.differences(mode_bond("active-backup"), live("mode-balance-rr"))
    # The live bond is not the desired mode, so it is not asked for an active slave either.
    assert found == [Difference("bond0", "mode", "active-backup", "balance-rr")]
    assert str(found[0]) == "bond0 mode balance-rr, desired active-backup"


def test_an_extra_slave_desired():
    bond = mode_bond("balance-rr", slaves=["va", "vb", "vc"])
    found = compare.differences(bond, live("mode-balance-rr"))
    assert found == [Difference("bond0", "slaves", ["va", "vb", "vc"], ["va", "vb"])]
    assert str(found[0]) == "bond0 slaves va,vb, desired va,vb,vc"


def test_a_live_slave_that_is_not_desired():
    bond = mode_bond("balance-rr", slaves=["vb"])
    found = compare.differences(bond, live("mode-balance-rr"))
    assert found == [Difference("bond0", "slaves", ["vb"], ["va", "vb"])]
    assert str(found[0]) == "bond0 slaves va,vb, desired vb"


def test_a_desired_slave_missing_from_the_live_bond():
    status = copy.deepcopy(live("mode-active-backup"))
    del status["slaves"]["vb"]  # as if vb had left the bond
    found = compare.differences(mode_bond("active-backup"), status)
    assert found == [Difference("bond0", "slaves", ["va", "vb"], ["va"])]
    assert str(found[0]) == "bond0 slaves va, desired va,vb"


def test_a_different_miimon():
    found = compare.differences(mode_bond("broadcast", miimon=200), live("mode-broadcast"))
    assert found == [Difference("bond0", "miimon", 200, 100)]
    assert str(found[0]) == "bond0 miimon 100, desired 200"


def test_lacp_rate_slow_desired_fast_live():
    found = compare.differences(mode_bond("802.3ad", lacp_rate="slow"), live("mode-802.3ad"))
    assert found == [Difference("bond0", "lacp_rate", "slow", "fast")]
    assert str(found[0]) == "bond0 lacp_rate fast, desired slow"


def test_xmit_hash_policy():
    bond = mode_bond("balance-xor", xmit_hash_policy="layer2")
    found = compare.differences(bond, live("mode-balance-xor"))
    assert found == [Difference("bond0", "xmit_hash_policy", "layer2", "layer3+4")]
    assert str(found[0]) == "bond0 xmit_hash_policy layer3+4, desired layer2"


def test_numbers_given_in_pillar_compare_as_the_kernels_words():
    bond = mode_bond("802.3ad", lacp_rate=1, xmit_hash_policy=1)
    assert compare.differences(bond, live("mode-802.3ad")) == []


# -- health is not compare's business ---------------------------------------------------
def test_a_failed_over_bond_is_still_what_was_asked():
    """va is down and vb active: degraded, yet every desired setting is what runs."""
    bond = desired(capture_scenarios.active_backup_scenario())
    assert bond.options == {"miimon": "100", "primary": "va", "primary_reselect": "always"}
    statuses = read("active-backup-failed-over")
    assert compare.differences(bond, statuses["bond0"]) == []
    assert compare.differences(bond, live("active-backup-healthy")) == []
    assert health.evaluate(statuses["bond0"])["status"] == "degraded"
    # A verdict attached by health.judge does not change what compare says.
    health.judge(statuses)
    assert statuses["bond0"]["health"]["status"] == "degraded"
    assert compare.differences(bond, statuses["bond0"]) == []


def test_no_active_slave_in_a_mode_that_has_one():
    bond = desired(capture_scenarios.arp_scenarios()[1])
    assert bond.mode == "active-backup"
    found = compare.differences(bond, live("arp-monitor-unanswered"))
    assert found == [Difference("bond0", "mii_status", "up", "down"),
                     Difference("bond0", "active_slave", "one of the slaves", None)]
    assert [str(d) for d in found] == ["bond0 mii_status down, desired up",
                                       "bond0 active_slave none, desired one of the slaves"]


def test_the_no_slaves_capture_is_what_a_bond_without_slaves_asks_for():
    # A bond asked to have no slaves never has carrier: its MII down is as asked.
    bond = desired(capture_scenarios.no_slaves_scenario())
    assert bond.slaves == []
    assert compare.differences(bond, live("no-slaves")) == []


def test_slaves_desired_on_the_no_slaves_capture():
    bond = mode_bond("balance-rr")
    found = compare.differences(bond, live("no-slaves"))
    assert found == [Difference("bond0", "slaves", ["va", "vb"], []),
                     Difference("bond0", "mii_status", "up", "down")]
    assert str(found[0]) == "bond0 slaves none, desired va,vb"


def test_what_a_nonroot_read_cannot_see_is_not_a_difference():
    spec = capture_scenarios.lacp_partner_scenario()
    bond = desired(spec, ad_actor_sys_prio=100)
    hidden = read("802.3ad-lacp-partner-nonroot", sysfs=False)["bond1"]
    assert hidden["ad"]["system_priority"] is None
    assert compare.differences(bond, hidden) == []
    assert compare.differences(bond, live("802.3ad-lacp-partner", "bond1")) == [
        Difference("bond1", "ad_actor_sys_prio", 100, 65535)]


# -- unreadable and absent ----------------------------------------------------------------
def test_an_unreadable_status():
    message = "cannot read /proc/net/bonding/bond0: Permission denied"
    found = compare.differences(mode_bond("balance-rr"), {"error": message})
    assert found == [Difference("bond0", "status", "readable", message)]
    assert str(found[0]) == f"bond0 status {message}, desired readable"


def test_an_absent_bond():
    found = compare.differences(mode_bond("balance-rr"), None)
    assert found == [Difference("bond0", "bond", "present", "absent")]
    assert str(found[0]) == "bond0 bond absent, desired present"


# -- a whole configuration ------------------------------------------------------------------
def test_compare_a_config_and_the_bonds_it_does_not_know():
    spec = capture_scenarios.lacp_partner_scenario()
    bond1 = spec["bonds"][0]
    config = schema.validate({"bonds": {
        "bond1": {"mode": bond1["mode"], "slaves": ["va", "vb"], **bond1["options"]},
        "bond3": {"mode": "balance-rr", "slaves": ["vc"], "miimon": 100},
    }})
    statuses = read("802.3ad-lacp-partner")
    assert sorted(statuses) == ["bond1", "bond2"]
    assert compare.compare(config, statuses) == {
        "bond1": [],
        "bond3": [Difference("bond3", "bond", "present", "absent")],
    }
    assert compare.unknown_bonds(config, statuses) == ["bond2"]


def test_compare_reports_every_bond_of_the_config():
    config = schema.validate({"bonds": {
        "bond1": {"mode": "802.3ad", "slaves": ["va", "vb"], "miimon": 100, "lacp_rate": "slow"},
        "bond2": {"mode": "802.3ad", "slaves": ["pa", "pb"], "miimon": 100, "lacp_rate": "fast"},
    }})
    statuses = read("802.3ad-lacp-partner")
    assert compare.compare(config, statuses) == {
        "bond1": [Difference("bond1", "lacp_rate", "slow", "fast")],
        "bond2": [],
    }
    assert compare.unknown_bonds(config, statuses) == []


def test_ns_targets_compare_as_a_set_of_the_kernels_spellings():
    bond = mode_bond("active-backup", miimon=0, arp_interval=100, arp_ip_target="192.0.2.1",
                     ns_ip6_target=["2001:DB8::1", "fe80::2"])
    running = dict(live("mode-active-backup"), miimon=0, arp_interval=100,
                   arp_ip_target=["192.0.2.1"], ns_ip6_target=["fe80::2", "2001:db8::1"])
    assert [d for d in compare.differences(bond, running) if d.what == "ns_ip6_target"] == []
    running["ns_ip6_target"] = ["2001:db8::1"]
    assert [d for d in compare.differences(bond, running) if d.what == "ns_ip6_target"] == [
        Difference("bond0", "ns_ip6_target", ["2001:db8::1", "fe80::2"], ["2001:db8::1"])]


def test_the_mac_address_is_compared_where_pillar_gives_one():
    running = dict(live("mode-active-backup"), macaddr="02:00:00:00:00:0b")
    assert compare.differences(mode_bond("active-backup", macaddr="02:00:00:00:00:0b"),
                               running) == []
    assert compare.differences(mode_bond("active-backup", macaddr="02:00:00:00:00:0a"),
                               running) == [
        Difference("bond0", "macaddr", "02:00:00:00:00:0a", "02:00:00:00:00:0b")]
    assert compare.differences(mode_bond("active-backup"), running) == []
