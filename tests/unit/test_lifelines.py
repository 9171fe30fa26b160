"""activate.lifelines: which planned change cuts what the host is reached through (the
default routes, the master, verify.ping addresses), judged from the real planner's plans
(the real kernel refuses them in tests/kernel/test_activate_kernel.py)."""

import pytest
from salt_bonding.activate import kernel
from salt_bonding.activate.lifelines import Lifeline, Lifelines
from salt_bonding.config import schema

pytestmark = pytest.mark.unit

BOND0 = {"mode": "active-backup", "slaves": ["eth0", "eth1"], "miimon": 100,
         "ipaddr": "192.0.2.10", "prefix": 24, "gateway": "192.0.2.1",
         "vlans": {100: {"ipaddr": "198.51.100.10", "prefix": 24}}}


def bond(**settings):
    return schema.validate_bond("bond0", {**BOND0, **settings})


def plans(before, desired, name="bond0"):
    return kernel.Kernel().plan({name: desired}, {name: before})


class Running:
    def __init__(self, defaults, routes):
        self.defaults, self.routes = defaults, routes

    def default_route_devices(self):
        return self.defaults

    def route_device(self, address):
        return self.routes.get(address)


def lifelines():
    """Default IPv4 route through bond0; the master (203.0.113.1) through bond0.100; a ping
    target on bond0's network; nothing of IPv6."""
    return Lifelines.read(Running({"IPv4": ["bond0"], "IPv6": []},
                                  {"203.0.113.1": "bond0.100", "192.0.2.1": "bond0"}),
                          master="203.0.113.1", pings=[("bond0", "192.0.2.1")])


def test_what_is_read():
    assert lifelines().lines == [
        Lifeline("the default route (IPv4)", "bond0", family="IPv4"),
        Lifeline("the route to the Salt master 203.0.113.1", "bond0.100", address="203.0.113.1"),
        Lifeline("the route to bond0's verify.ping 192.0.2.1", "bond0", address="192.0.2.1")]


def test_removing_the_bond_that_carries_them_is_refused_with_the_way_out():
    found = lifelines().cut_by(plans(bond(), None), "bonding:bonds")
    assert [where for where, _ in found] == ["bonding:bonds"] * 3
    assert found[0][1] == (
        "removing bond0 would cut the default route (IPv4) (through bond0 now), and the "
        "host with it; if that is meant, set bonding:allow_cutoff: true")
    assert "the route to the Salt master 203.0.113.1 (through bond0.100 now)" in found[1][1]


def test_removing_the_vlan_the_master_is_reached_through_is_refused():
    found = lifelines().cut_by(plans(bond(), bond(vlans={})), "bonding:bonds")
    assert found == [("bonding:bonds:bond0", (
        "removing bond0.100 from bond0 would cut the route to the Salt master 203.0.113.1 "
        "(through bond0.100 now), and the host with it; if that is meant, set "
        "bonding:allow_cutoff: true"))]


def test_removing_the_default_gateway_is_refused():
    found = lifelines().cut_by(plans(bond(), bond(gateway=None)), "site:bonds")
    assert [message.split(" would")[0] for _, message in found] == [
        "removing the default gateway of bond0"]


@pytest.mark.parametrize("settings", [
    {"miimon": 200},                                 # an option
    {"slaves": ["eth0"]},                            # a slave released
    {"ipaddr": "192.0.2.11"},                        # another address, same network
])
def test_changes_that_keep_them_are_not_refused(settings):
    assert lifelines().cut_by(plans(bond(), bond(**settings)), "bonding:bonds") == []


def test_enslaving_the_device_they_go_through_is_refused_unless_the_bond_takes_them_on():
    on_eth0 = Lifelines([Lifeline("the default route (IPv4)", "eth0", family="IPv4"),
                         Lifeline("the route to the Salt master 192.0.2.5", "eth0",
                                  address="192.0.2.5")])
    bare = schema.validate_bond("bond0", {"mode": 1, "slaves": ["eth0", "eth1"], "miimon": 100})
    found = on_eth0.cut_by(plans(None, bare), "bonding:bonds")
    assert [message.split(" would")[0] for _, message in found] == ["enslaving eth0 to bond0"] * 2
    # The classic conversion: eth0's address and gateway moved onto the new bond.
    assert on_eth0.cut_by(plans(None, bond(vlans={})), "bonding:bonds") == []


def test_a_bond_that_carries_nothing_may_go():
    quiet = Lifelines.read(Running({"IPv4": ["eth9"]}, {}), master=None)
    assert quiet.cut_by(plans(bond(), None), "bonding:bonds") == []
