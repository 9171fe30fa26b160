"""Bonds that set one option of the table, in a mode where it has an effect.

Shared by the renderers' reader tests (keyfile, ifupdown, netplan): each reads
back every option the format can write, in every mode the option works in.
"""


def sample(option):
    """A valid value for ``option`` that is not its default."""
    if option.kind == "int":
        return "200" if option.miimon_multiple else str(max(option.minimum, 1) + 1)
    if option.kind in ("enum", "switch"):
        return option.values[-1][0]
    return {"ipv4_list": "192.0.2.1,192.0.2.2", "ipv6_list": "2001:db8::1,fe80::2",
            "ifname": "eth0",
            "mac": "02:00:00:00:00:01"}[option.kind]


def given_for(option, mode):
    """A bond in ``mode`` with ``option`` set, and the link monitor it needs."""
    given = {"mode": mode, "slaves": ["eth0", "eth1"], option.name: sample(option)}
    if option.needs == "arp_interval" or option.name.startswith("arp_"):
        given.update(arp_interval=100, arp_ip_target="192.0.2.1", miimon=0)
        given[option.name] = sample(option)
    else:
        given.setdefault("miimon", 100)
    if option.name == "primary_reselect":
        given["primary"] = "eth0"
    return given


# Addressing of every kind validation takes, for a bond (its VLAN gets its own).
ADDRESSING = [
    {"ipaddr": "192.0.2.10", "prefix": 24, "gateway": "192.0.2.1",
     "ipv6addr": ["2001:db8::10/64", "2001:db8:1::10/64"], "ipv6_defaultgw": "2001:db8::1",
     "dns": ["192.0.2.53", "2001:db8::53"], "domain": "example.com corp.example.com"},
    {"bootproto": "dhcp", "dhcpv6c": True, "dns": ["192.0.2.53"], "domain": "example.com"},
    {"ipv6_autoconf": True, "ipv6addr": "2001:db8::10/64", "dns": ["2001:db8::53"],
     "domain": ["example.com"]},
    {"ipv6init": True},
    {"ipaddr": "192.0.2.10", "netmask": "255.255.255.0", "onboot": False, "mtu": 9000},
]


def addressed(addressing):
    """An active-backup bond0 with ``addressing`` and VLAN 100, which has its own IPv4
    address and DNS, and the bond's MTU and onboot."""
    vlan = {key: value for key, value in addressing.items() if key in ("onboot", "mtu")}
    vlan.update(ipaddr="198.51.100.10", prefix=26, dns=["198.51.100.53"],
                domain="vlan.example.com")
    return {"mode": "active-backup", "miimon": 100, "slaves": ["eth0"], **addressing,
            "vlans": {100: vlan}}
