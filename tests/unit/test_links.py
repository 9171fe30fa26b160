"""links: the kernel's links and routes -> the running bond as a model.Bond (activation's
current side).

The shapes below are iproute2's (``ip -j``), which ``netlink.read`` gives; the
kernel tier checks that reading against the real ``ip`` in the user-mode-linux
kernel.
"""

import pytest
from salt_bonding.activate.kernel_plan import option_values, plan_bond
from salt_bonding.config import schema
from salt_bonding.host import links

pytestmark = pytest.mark.unit

LINKS = [
    {"ifindex": 1, "ifname": "lo", "mtu": 65536},
    {"ifindex": 3, "ifname": "eth0", "master": "bond0", "mtu": 1400},
    {"ifindex": 4, "ifname": "eth1", "master": "bond0", "mtu": 1400},
    {"ifindex": 5, "ifname": "bond0", "mtu": 1400,
     "linkinfo": {"info_kind": "bond", "info_data": {"mode": "active-backup"}}},
    {"ifindex": 6, "ifname": "bond0.100", "link": "bond0", "mtu": 1400,
     "linkinfo": {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": 100}}},
    {"ifindex": 7, "ifname": "eth2", "mtu": 1500},
]
ADDRESSES = [
    {"ifname": "bond0", "mtu": 1400, "addr_info": [
        {"family": "inet", "local": "192.0.2.10", "prefixlen": 24, "scope": "global"},
        {"family": "inet6", "local": "2001:db8::10", "prefixlen": 64, "scope": "global"},
        {"family": "inet6", "local": "2001:db8::5054:ff:fe12:3456", "prefixlen": 64,
         "scope": "global", "dynamic": True},
        {"family": "inet6", "local": "fe80::1", "prefixlen": 64, "scope": "link"}]},
    {"ifname": "bond0.100", "mtu": 1400, "addr_info": [
        {"family": "inet", "local": "198.51.100.10", "prefixlen": 24, "scope": "global"}]},
]
ROUTES = [{"dst": "default", "gateway": "192.0.2.1", "dev": "bond0"},
          {"dst": "default", "gateway": "2001:db8::1", "dev": "bond0"}]
# As netlink.read gives them: each link with its addresses.
LINK_ADDRESSES = [{**link, "addr_info": next((entry["addr_info"] for entry in ADDRESSES
                                              if entry["ifname"] == link["ifname"]), [])}
                  for link in LINKS]


def read(name="bond0", options=None):
    desired = schema.validate_bond("bond0", {"mode": "active-backup", "slaves": ["eth0", "eth1"],
                                             "miimon": 100})
    options = options if options is not None else {"mode": "active-backup",
                                                   **option_values(desired)}
    return links.current_bond(name, options, LINK_ADDRESSES, ROUTES)


def test_the_running_bond_with_its_static_addressing_and_vlans():
    bond = read()
    assert (bond.name, bond.mode, bond.slaves, bond.mtu) == (
        "bond0", "active-backup", ["eth0", "eth1"], 1400)
    assert (bond.ipaddr, bond.prefix, bond.gateway) == ("192.0.2.10", 24, "192.0.2.1")
    assert (bond.ipv6addr, bond.ipv6_defaultgw) == (["2001:db8::10/64"], "2001:db8::1")
    (vlan,) = bond.vlans.values()
    assert (vlan.vid, vlan.device, vlan.ipaddr, vlan.prefix) == (100, "bond0.100",
                                                                 "198.51.100.10", 24)


def what_runs(**changes):
    """The pillar bond that says what LINKS/ADDRESSES/ROUTES run, with ``changes``."""
    return schema.validate_bond("bond0", {
        "mode": "active-backup", "slaves": ["eth1", "eth0"], "miimon": 100, "mtu": 1400,
        "ipaddr": "192.0.2.10", "prefix": 24, "gateway": "192.0.2.1",
        "ipv6addr": "2001:db8::10/64", "ipv6_defaultgw": "2001:db8::1",
        "vlans": {100: {"ipaddr": "198.51.100.10", "prefix": 24}}, **changes})


def test_a_pillar_that_says_what_runs_plans_nothing():
    assert plan_bond(what_runs(), read()) == ([], False)


def test_no_such_bond_is_none():
    assert read("bond9") is None
    assert read(options={}) is None  # no bonding directory in sysfs: not a bond


def test_gateways_of_both_families_are_planned():
    ops, _ = plan_bond(what_runs(gateway="192.0.2.254", ipv6_defaultgw="2001:db8::fe"), read())
    assert [op.args for op in ops] == [
        ("-4", "route", "del", "default", "via", "192.0.2.1", "dev", "bond0"),
        ("-4", "route", "replace", "default", "via", "192.0.2.254", "dev", "bond0"),
        ("-6", "route", "del", "default", "via", "2001:db8::1", "dev", "bond0"),
        ("-6", "route", "replace", "default", "via", "2001:db8::fe", "dev", "bond0")]
