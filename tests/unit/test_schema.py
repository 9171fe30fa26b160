"""Pillar validation: every rule as a pair (fails as given, passes once one field
is fixed), normalisation, warnings, and that junk only ever raises UserError."""

import dataclasses
import pickle
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from salt_bonding import errors
from salt_bonding.config import bond_settings, model, names, options
from salt_bonding.config.schema import validate, validate_bond
from salt_bonding.errors import UserError

pytestmark = pytest.mark.unit

NO_IPV6_OR_DNS = {"ipv6init": False, "ipv6addr": [], "ipv6_defaultgw": None,
                  "ipv6_autoconf": None, "dhcpv6c": None, "dns": [], "domain": []}

REPO = Path(__file__).resolve().parents[2]
B = "bonding:bonds:bond0"
DROP = object()  # a key to leave out

BASE_BOND = {"mode": "active-backup", "slaves": ["eth0", "eth1"], "miimon": 100}


def bond(**changes):
    """BASE_BOND with ``changes`` applied (DROP removes a key)."""
    merged = {**BASE_BOND, **changes}
    return {key: value for key, value in merged.items() if value is not DROP}


def pillar(bond0=None, **top):
    return {"bonds": {"bond0": bond() if bond0 is None else bond0}, **top}


def errors_of(pillar_value):
    with pytest.raises(UserError) as caught:
        validate(pillar_value)
    return caught.value.errors


def assert_pair(bad, fixed, path, fragment):
    """``bad`` fails with an error at exactly ``path`` naming ``fragment``; ``fixed`` passes."""
    errors = errors_of(bad)
    messages = [message for where, message in errors if where == path]
    assert messages, f"no error at {path}: {errors}"
    assert any(fragment in message for message in messages), messages
    validate(fixed)


# Each rule: (id, bad bond, fixed bond, path below bond0 ("" = the bond), fragment).
BOND_RULES = [
    ("mode-name", bond(mode="active_backup"), bond(mode="active-backup"), "mode",
     "did you mean 'active-backup'?"),
    ("mode-number", bond(mode=7), bond(mode=1), "mode", "balance-alb (6)"),
    ("mode-missing", bond(mode=DROP), bond(), "", "missing mode"),
    ("mode-bool", bond(mode=True), bond(mode=1), "mode", "invalid value True"),
    ("unknown-option", bond(miimonn=100), bond(), "miimonn",
     f"unknown option 'miimonn' in {B}; did you mean 'miimon'?"),
    ("unsupported-option", bond(active_slave="eth0"), bond(), "active_slave",
     "not supported here"),
    ("lacp-rate-mode", bond(lacp_rate="fast"), bond(lacp_rate="fast", mode="802.3ad"),
     "lacp_rate", "has effect only in mode 802.3ad; this bond is active-backup"),
    ("lacp-active-mode", bond(lacp_active="off"), bond(lacp_active="off", mode=4),
     "lacp_active", "only in mode 802.3ad"),
    ("ad-select-mode", bond(ad_select="count"), bond(ad_select="count", mode=4),
     "ad_select", "only in mode 802.3ad"),
    ("min-links-mode", bond(min_links=1), bond(min_links=1, mode=4), "min_links",
     "only in mode 802.3ad"),
    ("primary-mode", bond(mode="802.3ad", primary="eth0"),
     bond(mode="active-backup", primary="eth0"), "primary",
     "only in modes active-backup, balance-tlb, balance-alb; this bond is 802.3ad"),
    ("primary-reselect-mode", bond(mode=0, primary_reselect="better"),
     bond(mode=5, primary_reselect="better"), "primary_reselect", "only in modes"),
    ("packets-per-slave-mode", bond(packets_per_slave=3),
     bond(packets_per_slave=3, mode="balance-rr"), "packets_per_slave", "mode balance-rr"),
    ("tlb-dynamic-lb-mode", bond(mode=4, tlb_dynamic_lb=0),
     bond(mode=5, tlb_dynamic_lb=0), "tlb_dynamic_lb", "balance-tlb, balance-alb"),
    ("xmit-hash-mode", bond(xmit_hash_policy="layer3+4"),
     bond(xmit_hash_policy="layer3+4", mode="balance-xor"), "xmit_hash_policy",
     "this bond is active-backup"),
    ("fail-over-mac-mode", bond(mode=0, fail_over_mac="active"),
     bond(mode=1, fail_over_mac="active"), "fail_over_mac", "mode active-backup"),
    ("num-grat-arp-mode", bond(mode=0, num_grat_arp=3), bond(mode=1, num_grat_arp=3),
     "num_grat_arp", "mode active-backup"),
    ("peer-notif-delay-mode", bond(mode=0, peer_notif_delay=200),
     bond(mode=1, peer_notif_delay=200), "peer_notif_delay", "mode active-backup"),
    ("arp-in-802.3ad", bond(mode=4, miimon=DROP, arp_interval=100, arp_ip_target=["192.0.2.1"]),
     bond(mode=1, miimon=DROP, arp_interval=100, arp_ip_target=["192.0.2.1"]),
     "arp_interval", "balance-rr, active-backup, balance-xor, broadcast"),
    ("arp-validate-in-tlb", bond(mode=5, arp_validate="all"), bond(mode=5), "arp_validate",
     "this bond is balance-tlb"),
    ("miimon-range", bond(miimon=-1), bond(miimon=100), "miimon", "integer 0-2147483647"),
    ("miimon-text", bond(miimon="fast"), bond(miimon="100"), "miimon", "invalid value 'fast'"),
    ("miimon-bool", bond(miimon=True), bond(miimon=100), "miimon", "invalid value True"),
    ("miimon-float", bond(miimon=100.0), bond(miimon=100), "miimon", "invalid value 100.0"),
    ("arp-missed-max-range", bond(miimon=DROP, arp_interval=100,
                                  arp_ip_target="192.0.2.1", arp_missed_max=0),
     bond(miimon=DROP, arp_interval=100, arp_ip_target="192.0.2.1", arp_missed_max=1),
     "arp_missed_max", "1-255"),
    ("ad-actor-sys-prio-range", bond(mode=4, ad_actor_sys_prio=0),
     bond(mode=4, ad_actor_sys_prio=1), "ad_actor_sys_prio", "1-65535"),
    ("ad-user-port-key-range", bond(mode=4, ad_user_port_key=1024),
     bond(mode=4, ad_user_port_key=1023), "ad_user_port_key", "0-1023"),
    ("peer-notif-delay-range", bond(peer_notif_delay=300100), bond(peer_notif_delay=300000),
     "peer_notif_delay", "0-300000"),
    ("resend-igmp-range", bond(resend_igmp=256), bond(resend_igmp=255), "resend_igmp", "0-255"),
    ("num-unsol-na-range", bond(num_unsol_na=256), bond(num_unsol_na="255"), "num_unsol_na",
     "0-255"),
    ("packets-per-slave-range", bond(mode=0, packets_per_slave=65536),
     bond(mode=0, packets_per_slave=65535), "packets_per_slave", "0-65535"),
    ("lp-interval-range", bond(mode=6, lp_interval=0), bond(mode=6, lp_interval=1),
     "lp_interval", "1-2147483647"),
    ("miimon-and-arp", bond(arp_interval=100, arp_ip_target=["192.0.2.1"]),
     bond(arp_interval=100, arp_ip_target=["192.0.2.1"], miimon=0), "arp_interval",
     "arp_interval 100 and miimon 100 are both on"),
    ("arp-interval-needs-target", bond(miimon=DROP, arp_interval=100),
     bond(miimon=DROP, arp_interval=100, arp_ip_target="192.0.2.1"), "arp_interval",
     "needs arp_ip_target"),
    ("target-needs-arp-interval", bond(arp_ip_target=["192.0.2.1"]), bond(), "arp_ip_target",
     "arp_ip_target needs arp_interval (non-zero)"),
    ("arp-validate-needs-arp-interval", bond(arp_validate="all"), bond(), "arp_validate",
     "needs arp_interval"),
    ("too-many-targets", bond(miimon=0, arp_interval=100,
                              arp_ip_target=[f"192.0.2.{n}" for n in range(1, 18)]),
     bond(miimon=0, arp_interval=100, arp_ip_target=[f"192.0.2.{n}" for n in range(1, 17)]),
     "arp_ip_target", "at most 16"),
    ("multicast-target", bond(miimon=0, arp_interval=100, arp_ip_target="224.0.0.1"),
     bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1"), "arp_ip_target",
     "'224.0.0.1' is a multicast address"),
    ("zero-target", bond(miimon=0, arp_interval=100, arp_ip_target=["0.0.0.0"]),
     bond(miimon=0, arp_interval=100, arp_ip_target=["192.0.2.9"]), "arp_ip_target",
     "0.0.0.0/8"),
    ("broadcast-target", bond(miimon=0, arp_interval=100, arp_ip_target=["255.255.255.255"]),
     bond(miimon=0, arp_interval=100, arp_ip_target=["192.0.2.9"]), "arp_ip_target",
     "broadcast"),
    ("ns-target-needs-arp-interval", bond(ns_ip6_target=["2001:db8::1"]), bond(),
     "ns_ip6_target", "ns_ip6_target needs arp_interval (non-zero)"),
    ("ns-target-in-802.3ad", bond(mode=4, ns_ip6_target="2001:db8::1"), bond(mode=4),
     "ns_ip6_target", "balance-rr, active-backup, balance-xor, broadcast"),
    ("too-many-ns-targets", bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1",
                                 ns_ip6_target=[f"2001:db8::{n}" for n in range(1, 18)]),
     bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1",
          ns_ip6_target=[f"2001:db8::{n}" for n in range(1, 17)]),
     "ns_ip6_target", "at most 16"),
    ("twice-ns-target", bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1",
                             ns_ip6_target="2001:db8::1, 2001:DB8:0::1"),
     bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1",
          ns_ip6_target="2001:db8::1, 2001:db8::2"),
     "ns_ip6_target", "NS target '2001:DB8:0::1' is given twice"),
    ("multicast-ns-target", bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1",
                                 ns_ip6_target=["ff02::1"]),
     bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1", ns_ip6_target=["fe80::1"]),
     "ns_ip6_target", "NS target 'ff02::1' is not a unicast address"),
    ("ipv4-ns-target", bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1",
                            ns_ip6_target="192.0.2.1"),
     bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1", ns_ip6_target="::ffff:1"),
     "ns_ip6_target", "'192.0.2.1' is not an IPv6 address"),
    ("macaddr-text", bond(macaddr="02-00-00-00-00-01"), bond(macaddr="02:00:00:00:00:01"),
     "macaddr", "invalid MAC address '02-00-00-00-00-01': expected a unicast MAC address"),
    ("macaddr-multicast", bond(macaddr="01:00:5e:00:00:01"), bond(macaddr="02:00:5e:00:00:01"),
     "macaddr", "'01:00:5e:00:00:01' is a multicast MAC"),
    ("macaddr-sexagesimal", bond(macaddr=yaml.safe_load("12:34:56:00:00:10")),
     bond(macaddr="12:34:56:00:00:10"), "macaddr", "quote it in YAML"),
    ("macaddr-zero", bond(macaddr="00:00:00:00:00:00"), bond(macaddr="02:AB:00:00:00:01"),
     "macaddr", "is all zeros"),
    ("updelay-multiple", bond(updelay=150), bond(updelay=200), "updelay",
     "updelay 150 is not a multiple of miimon 100; the kernel would round it down to 100"),
    ("downdelay-multiple", bond(downdelay="250"), bond(downdelay="300"), "downdelay",
     "not a multiple of miimon 100"),
    ("peer-notif-delay-multiple", bond(peer_notif_delay=150), bond(peer_notif_delay=200),
     "peer_notif_delay", "not a multiple"),
    ("updelay-needs-miimon", bond(miimon=0, updelay=200), bond(miimon=100, updelay=200),
     "updelay", "updelay needs miimon (non-zero)"),
    ("updelay-multiple-of-kernel-default", bond(mode=4, miimon=DROP, updelay=150),
     bond(mode=4, miimon=DROP, updelay=200), "updelay", "the kernel's default in 802.3ad"),
    ("primary-not-a-slave", bond(primary="eth2"), bond(primary="eth1"), "primary",
     "primary eth2 is not one of the slaves (eth0, eth1)"),
    ("primary-bad-name", bond(primary="eth0;reboot"), bond(primary="eth0"), "primary",
     "may contain only"),
    ("grat-arp-vs-unsol-na", bond(num_grat_arp=2, num_unsol_na=3),
     bond(num_grat_arp=3, num_unsol_na=3), "num_unsol_na", "set the same kernel parameter"),
    ("ad-actor-system-multicast", bond(mode=4, ad_actor_system="01:80:c2:00:00:02"),
     bond(mode=4, ad_actor_system="02:80:c2:00:00:02"), "ad_actor_system", "multicast"),
    ("ad-actor-system-zero", bond(mode=4, ad_actor_system="00:00:00:00:00:00"),
     bond(mode=4, ad_actor_system="02:00:00:00:00:01"), "ad_actor_system", "all zeros"),
    ("slaves-missing", bond(slaves=DROP), bond(), "", "missing slaves"),
    ("slaves-string", bond(slaves="eth0"), bond(slaves=["eth0"]), "slaves",
     "expected a list of interface names"),
    ("slaves-null", bond(slaves=None), bond(slaves=[]), "slaves", "invalid slaves None"),
    ("slave-twice", bond(slaves=["eth0", "eth0"]), bond(slaves=["eth0", "eth1"]), "slaves:1",
     "listed twice"),
    ("slave-is-own-bond", bond(slaves=["eth0", "bond0"]), bond(slaves=["eth0", "eth1"]),
     "slaves:1", "cannot be its own slave"),
    ("ipaddr", bond(ipaddr="192.0.2.256", prefix=24), bond(ipaddr="192.0.2.25", prefix=24),
     "ipaddr", "'192.0.2.256' is not an IPv4 address"),
    ("ipaddr-leading-zero", bond(ipaddr="192.0.2.010", prefix=24),
     bond(ipaddr="192.0.2.10", prefix=24), "ipaddr", "not an IPv4 address"),
    ("ipaddr-multicast", bond(ipaddr="239.1.1.1", prefix=24), bond(ipaddr="192.0.2.1", prefix=24),
     "ipaddr", "multicast"),
    ("ipaddr-number", bond(ipaddr=3221225985, prefix=24), bond(ipaddr="192.0.2.1", prefix=24),
     "ipaddr", "not an IPv4 address"),
    # One pillar, one network: what the readers would take differently is refused.
    ("ipaddr-no-prefix", bond(ipaddr="10.1.2.3"), bond(ipaddr="10.1.2.3", prefix=24), "ipaddr",
     "ipaddr 10.1.2.3 has no prefix or netmask: each reader would put it in another network "
     "(the running kernel /32, initscripts /8 from its class, NetworkManager /24); give prefix "
     "(e.g. prefix: 24) or netmask"),
    ("ipaddr-no-prefix-class-c", bond(ipaddr="192.0.2.10"),
     bond(ipaddr="192.0.2.10", netmask="255.255.255.0"), "ipaddr", "initscripts /24 from its"),
    ("ipaddr-link-local", bond(ipaddr="169.254.7.1", prefix=16),
     bond(ipaddr="172.16.7.1", prefix=16), "ipaddr",
     "link-local (169.254.0.0/16): NetworkManager gives such an address link scope"),
    ("gateway-outside", bond(ipaddr="10.1.2.3", prefix=24, gateway="10.9.9.9"),
     bond(ipaddr="10.1.2.3", prefix=8, gateway="10.9.9.9"), "gateway",
     "gateway 10.9.9.9 is outside 10.1.2.0/24: initscripts add no default route through it "
     "and the kernel refuses one"),
    ("gateway-outside-netmask", bond(ipaddr="10.1.2.3", netmask="255.255.255.128",
                                     gateway="10.1.2.129"),
     bond(ipaddr="10.1.2.3", netmask="255.255.255.0", gateway="10.1.2.129"), "gateway",
     "is outside 10.1.2.0/25"),
    ("gateway-own-address", bond(ipaddr="10.1.2.3", prefix=24, gateway="10.1.2.3"),
     bond(ipaddr="10.1.2.3", prefix=24, gateway="10.1.2.1"), "gateway",
     "is this interface's own address"),
    ("gateway-broadcast", bond(ipaddr="10.1.2.3", prefix=24, gateway="10.1.2.255"),
     bond(ipaddr="10.1.2.3", prefix=23, gateway="10.1.2.255"), "gateway",
     "is the broadcast address of 10.1.2.0/24"),
    ("gateway-network", bond(ipaddr="10.1.2.3", prefix=30, gateway="10.1.2.0"),
     bond(ipaddr="10.1.2.3", prefix=31, gateway="10.1.2.2"), "gateway",
     "is the network address of 10.1.2.0/30"),
    ("miimon-missing-arp-mode", bond(miimon=DROP), bond(miimon=0), "miimon",
     "missing: without miimon or arp_interval the kernel and initscripts run no link monitor "
     "in active-backup, NetworkManager runs miimon 100"),
    ("miimon-missing-arp-off", bond(mode="balance-xor", miimon=DROP, arp_interval=0),
     bond(mode="balance-xor", miimon=DROP, arp_interval=100, arp_ip_target="192.0.2.1"),
     "miimon", "say which"),
    ("prefix-range", bond(ipaddr="192.0.2.1", prefix=33), bond(ipaddr="192.0.2.1", prefix=32),
     "prefix", "invalid prefix 33: expected an integer 0-32"),
    ("prefix-and-netmask", bond(ipaddr="192.0.2.1", prefix=24, netmask="255.255.255.0"),
     bond(ipaddr="192.0.2.1", netmask="255.255.255.0"), "netmask", "not both"),
    ("netmask-holes", bond(ipaddr="192.0.2.1", netmask="255.0.255.0"),
     bond(ipaddr="192.0.2.1", netmask="255.255.0.0"), "netmask", "not contiguous"),
    ("prefix-needs-ipaddr", bond(prefix=24), bond(prefix=24, ipaddr="192.0.2.1"), "prefix",
     "prefix needs ipaddr"),
    ("gateway", bond(ipaddr="192.0.2.1", prefix=24, gateway="192.0.2.x"),
     bond(ipaddr="192.0.2.1", prefix=24, gateway="192.0.2.254"), "gateway", "invalid gateway"),
    ("gateway-needs-ipaddr", bond(gateway="192.0.2.254"), bond(), "gateway", "needs ipaddr"),
    ("dhcp-with-ipaddr", bond(bootproto="dhcp", ipaddr="192.0.2.1", prefix=24),
     bond(bootproto="static", ipaddr="192.0.2.1", prefix=24), "bootproto",
     "bootproto dhcp with ipaddr"),
    ("static-without-ipaddr", bond(bootproto="static"), bond(bootproto="dhcp"), "bootproto",
     "static needs ipaddr"),
    ("bootproto-name", bond(bootproto="dchp"), bond(bootproto="DHCP"), "bootproto",
     "did you mean 'dhcp'?"),
    ("mtu-low", bond(mtu=67), bond(mtu=68), "mtu", "invalid mtu 67: expected an integer 68-65535"),
    ("mtu-high", bond(mtu="65536"), bond(mtu="65535"), "mtu", "68-65535"),
    ("onboot", bond(onboot="maybe"), bond(onboot="yes"), "onboot", "expected true or false"),
    ("ifcfg-key-case", bond(ifcfg={"ethtool_opts": "-K bond0 gro off"}),
     bond(ifcfg={"ETHTOOL_OPTS": "-K bond0 gro off"}), "ifcfg:ethtool_opts",
     "expected [A-Z][A-Z0-9_]*"),
    ("ifcfg-managed-key", bond(ifcfg={"BONDING_OPTS": "mode=0"}), bond(ifcfg={}),
     "ifcfg:BONDING_OPTS", "written by this module"),
    ("ifcfg-master", bond(ifcfg={"MASTER": "bond9"}), bond(ifcfg={"ZONE": "public"}),
     "ifcfg:MASTER", "written by this module"),
    ("ifcfg-nul", bond(ifcfg={"USERCTL": "no\0"}), bond(ifcfg={"USERCTL": "no"}),
     "ifcfg:USERCTL", "NUL"),
    ("ifcfg-shell-variable", bond(ifcfg={"LD_PRELOAD": "/tmp/x.so"}), bond(ifcfg={}),
     "ifcfg:LD_PRELOAD", "would change the shell that sources the file"),
    ("ifcfg-path", bond(ifcfg={"PATH": "/tmp"}), bond(ifcfg={}), "ifcfg:PATH", "shell"),
    ("ifcfg-surrogate", bond(ifcfg={"ZONE": "a\ud800"}), bond(ifcfg={"ZONE": "a"}),
     "ifcfg:ZONE", "not valid text"),
    ("ifcfg-list", bond(ifcfg={"ZONE": ["public"]}), bond(ifcfg={"ZONE": "public"}),
     "ifcfg:ZONE", "expected a string, number or bool"),
    ("ifcfg-not-mapping", bond(ifcfg=["ZONE=public"]), bond(ifcfg={"ZONE": "public"}),
     "ifcfg", "expected a mapping of extra ifcfg keys"),
    ("vlan-id-zero", bond(vlans={0: {}}), bond(vlans={1: {}}), "vlans:0",
     "invalid VLAN id 0: expected 1-4094"),
    ("vlan-id-4095", bond(vlans={4095: {}}), bond(vlans={4094: {}}), "vlans:4095", "1-4094"),
    ("vlan-id-text", bond(vlans={"ten": {}}), bond(vlans={"10": {}}), "vlans:ten", "1-4094"),
    ("vlan-id-twice", bond(vlans={10: {}, "10": {}}), bond(vlans={10: {}, "11": {}}),
     "vlans:10", "VLAN 10 is given twice"),
    ("vlan-unknown-key", bond(vlans={10: {"ipadr": "192.0.2.1", "prefix": 24}}),
     bond(vlans={10: {"ipaddr": "192.0.2.1", "prefix": 24}}), "vlans:10:ipadr",
     "unknown key 'ipadr' in bonding:bonds:bond0:vlans:10; did you mean 'ipaddr'?"),
    ("vlan-mtu-above-bond", bond(mtu=1500, vlans={10: {"mtu": 9000}}),
     bond(mtu=9000, vlans={10: {"mtu": 9000}}), "vlans:10:mtu",
     "VLAN mtu 9000 is larger than the bond's mtu 1500"),
    ("vlan-dhcp-with-ipaddr", bond(vlans={10: {"bootproto": "dhcp", "ipaddr": "192.0.2.1"}}),
     bond(vlans={10: {"bootproto": "dhcp"}}), "vlans:10:bootproto", "dhcp with ipaddr"),
    ("vlans-not-mapping", bond(vlans=[100]), bond(vlans={100: None}), "vlans",
     "expected a mapping of VLAN ids"),
    ("unknown-null-option", bond(miimonn=None), bond(mode=4, miimon=None), "miimonn",
     "did you mean 'miimon'?"),
    ("unknown-setting", bond(slave=["eth2"]), bond(), "slave", "did you mean 'slaves'?"),
    ("verify-not-mapping", bond(verify="192.0.2.1"), bond(verify={"ping": "192.0.2.1"}),
     "verify", "expected a mapping with ping (an address), master (true: a request to the "
               "Salt master) and timeout"),
    ("verify-no-ping", bond(verify={"timeout": 5}), bond(verify={"ping": "192.0.2.1"}),
     "verify:ping", "missing ping: the address the host must reach through the bond"),
    ("verify-bad-address", bond(verify={"ping": "192.0.2"}), bond(verify={"ping": "2001:db8::1"}),
     "verify:ping", "invalid ping: '192.0.2' is not an IP address"),
    ("verify-timeout", bond(verify={"ping": "192.0.2.1", "timeout": 0}),
     bond(verify={"ping": "192.0.2.1", "timeout": 30}), "verify:timeout",
     "invalid timeout (seconds) 0: expected an integer 1-300"),
    ("verify-master-not-flag", bond(verify={"master": "maybe"}), bond(verify={"master": True}),
     "verify:master", "invalid master 'maybe': expected true or false"),
    ("rollback-after-range", bond(rollback_after=-1), bond(rollback_after=0),
     "rollback_after", "invalid rollback_after (seconds until the rollback timer puts the "
                       "host back unless the run verified; 0: no timer) -1: expected an "
                       "integer 0-3600"),
    ("verify-unknown-key", bond(verify={"ping": "192.0.2.1", "tries": 3}),
     bond(verify={"ping": "192.0.2.1"}), "verify:tries", "unknown key 'tries'"),
    # A scope id names the link a link-local address is reached through: the bond's own.
    ("verify-scope-elsewhere", bond(verify={"ping": "fe80::1%eth0"}),
     bond(verify={"ping": "fe80::1%bond0"}), "verify:ping",
     "invalid ping 'fe80::1%eth0': a scope id names the interface a link-local (fe80::) "
     "address is reached through, here %bond0"),
    ("verify-scope-junk", bond(verify={"ping": "fe80::1%bond0;x"}, vlans={5: {}}),
     bond(verify={"ping": "fe80::1%bond0.5"}, vlans={5: {}}), "verify:ping",
     "here %bond0 or %bond0.5"),
    ("verify-scope-global", bond(verify={"ping": "2001:db8::1%bond0"}),
     bond(verify={"ping": "2001:db8::1"}), "verify:ping", "a scope id names the interface"),
    ("verify-link-local-unscoped", bond(verify={"ping": "fe80::1"}),
     bond(verify={"ping": "fe80::1%bond0"}), "verify:ping",
     "invalid ping fe80::1: a link-local address is on every link; say which, fe80::1%bond0"),
    ("second-default-route", bond(ipaddr="192.0.2.10", prefix=24, gateway="192.0.2.1",
                                  vlans={5: {"ipaddr": "198.51.100.10", "prefix": 24,
                                             "gateway": "198.51.100.1"}}),
     bond(ipaddr="192.0.2.10", prefix=24, gateway="192.0.2.1",
          vlans={5: {"ipaddr": "198.51.100.10", "prefix": 24}}), "vlans:5:gateway",
     f"a second default route ({B} has one): initscripts and the kernel back-end keep only "
     "the last one brought up, NetworkManager both; give one gateway per family"),
    ("second-ipv6-default-route",
     bond(ipv6addr="2001:db8::10/64", ipv6_defaultgw="fe80::1",
          vlans={5: {"ipv6addr": "2001:db8:5::10/64", "ipv6_defaultgw": "fe80::1"}}),
     bond(ipv6addr="2001:db8::10/64", ipv6_defaultgw="fe80::1",
          vlans={5: {"ipv6addr": "2001:db8:5::10/64"}}), "vlans:5:ipv6_defaultgw",
     "a second default route"),
    ("address-twice", bond(ipaddr="192.0.2.10", prefix=24,
                           vlans={5: {"ipaddr": "192.0.2.10", "prefix": 25}}),
     bond(ipaddr="192.0.2.10", prefix=24, vlans={5: {"ipaddr": "192.0.2.11", "prefix": 25}}),
     "vlans:5", f"address 192.0.2.10 is {B}'s too: initscripts refuse an address another "
                "interface holds (arping -D)"),
    ("ipv6-address-twice", bond(ipv6addr="2001:db8::10/64",
                                vlans={5: {"ipv6addr": "2001:DB8::10/64"}}),
     bond(ipv6addr="2001:db8::10/64", vlans={5: {"ipv6addr": "2001:db8::11/64"}}), "vlans:5",
     "address 2001:db8::10 is"),
    ("arp-target-found-in-one-before", bond(miimon=0, arp_interval=100,
                                            arp_ip_target="192.0.2.10,192.0.2.1"),
     bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1,192.0.2.10"), "arp_ip_target",
     "ARP target 192.0.2.1 is found in 192.0.2.10 given before it: initscripts' ifup then "
     "never sets it (grep, with '.' any character), NetworkManager and the kernel back-end "
     "do; list them as 192.0.2.1, 192.0.2.10"),
]


@pytest.mark.parametrize(
    "bad, fixed, where, fragment",
    [rule[1:] for rule in BOND_RULES],
    ids=[rule[0] for rule in BOND_RULES],
)
def test_bond_rule_pairs(bad, fixed, where, fragment):
    path = f"{B}:{where}" if where else B
    assert_pair(pillar(bad), pillar(fixed), path, fragment)


def test_verify_defaults_to_five_seconds():
    config = validate(pillar(bond(verify={"ping": "192.0.2.1"})))
    assert config.bonds["bond0"].verify == model.Verify(ping="192.0.2.1", timeout=5)


def test_verify_through_the_master_needs_no_ping():
    config = validate(pillar(bond(verify={"master": "yes", "timeout": 20})))
    assert config.bonds["bond0"].verify == model.Verify(ping=None, timeout=20, master=True)
    with pytest.raises(UserError) as refused:
        validate(pillar(bond(verify={"master": False})))
    assert refused.value.errors[0][0] == f"{B}:verify:ping"
    assert "or master: true" in refused.value.errors[0][1]


def test_rollback_after_at_the_top_and_per_bond():
    config = validate({"rollback_after": 30, "bonds": {"bond0": bond(rollback_after="0")}})
    assert config.rollback_after == 30
    assert config.bonds["bond0"].rollback_after == 0
    with pytest.raises(UserError) as refused:
        validate({"rollback_after": 3601, "bonds": {}})
    assert refused.value.errors[0][0] == "bonding:rollback_after"


def test_vlan_device_name_fits_in_15_characters():
    assert_pair({"bonds": {"bond-storage": bond(vlans={100: {}})}},
                {"bonds": {"bond-storage": bond(vlans={10: {}})}},
                "bonding:bonds:bond-storage:vlans:100",
                "VLAN device name: interface name 'bond-storage.100' is 16 characters")


BAD_NAMES = ["", "x" * 16, ".", "..", "eth/0", "eth 0", "eth:0", 'eth"0', "eth'0", "eth$0",
             "eth`0", "eth\\0", "eth;0", "eth\n0", "eth\t0", "eth\x000", "-eth0", "all", 5, None]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_slave_names_are_checked(name):
    assert_pair(pillar(bond(slaves=["eth0", name])), pillar(bond(slaves=["eth0", "eth1"])),
                f"{B}:slaves:1", "")


@pytest.mark.parametrize("name", ["bond.0", "b" * 16, "bond/0", "bond0;x", "all"], ids=repr)
def test_bond_names_are_checked(name):
    bad = {"bonds": {name: bond()}}
    assert_pair(bad, pillar(), f"bonding:bonds:{name}", "")


def test_bond_name_with_a_dot_says_why():
    errors = errors_of({"bonds": {"bond0.5": bond()}})
    assert ("bonding:bonds:bond0.5",
            "bond name 'bond0.5' contains '.'; initscripts read <device>.<number> as a VLAN, "
            "so bond names have none") in errors


def test_non_string_bond_name():
    assert_pair({"bonds": {0: bond()}}, pillar(), "bonding:bonds:0", "not a string")


# Cross-bond rules need two bonds.
def two_bonds(bond1):
    return {"bonds": {"bond0": bond(), "bond1": bond1}}


def test_slave_in_two_bonds():
    assert_pair(two_bonds(bond(slaves=["eth2", "eth1"])), two_bonds(bond(slaves=["eth2", "eth3"])),
                "bonding:bonds:bond1:slaves:1",
                "slave eth1 is already a slave of bond0; a slave belongs to one bond only")


def test_cross_bond_paths_index_the_pillars_list():
    bad = two_bonds(bond(slaves=["eth/2", "eth1"]))
    assert ("bonding:bonds:bond1:slaves:1", "slave eth1 is already a slave of bond0; a slave "
            "belongs to one bond only") in errors_of(bad)


def test_slave_that_is_a_bond():
    assert_pair(two_bonds(bond(slaves=["bond0"])), two_bonds(bond(slaves=["eth3"])),
                "bonding:bonds:bond1:slaves:0", "slave bond0 is itself a bond")


def test_slave_that_is_a_vlan_device_of_another_bond():
    bad = {"bonds": {"bond0": bond(vlans={10: {}}), "bond1": bond(slaves=["bond0.10"])}}
    fixed = {"bonds": {"bond0": bond(vlans={10: {}}), "bond1": bond(slaves=["eth3"])}}
    assert_pair(bad, fixed, "bonding:bonds:bond1:slaves:0", "a VLAN device of bond bond0")


# Top level.
@pytest.mark.parametrize(
    "bad, fixed, path, fragment",
    [
        (pillar(networkmanager="off"), pillar(networkmanager="disabled"),
         "bonding:networkmanager", "expected one of managed, unmanaged, disabled"),
        (pillar(networkmanager="Unmanagd"), pillar(networkmanager="Unmanaged"),
         "bonding:networkmanager", "did you mean 'unmanaged'?"),
        (pillar(modprobe_options="sometimes"), pillar(modprobe_options="yes"),
         "bonding:modprobe_options", "expected true or false"),
        (pillar(bond={}), pillar(), "bonding:bond",
         "unknown key 'bond' in bonding; did you mean 'bonds'?"),
        ({"bonds": []}, {"bonds": {}}, "bonding:bonds", "expected a mapping of bond names"),
        ({"bonds": {"bond0": ["eth0"]}}, pillar(), B, "expected a mapping of bond settings"),
        (None, {"bonds": {}}, "bonding", "no pillar data"),
        ([pillar()], pillar(), "bonding", "got list"),
    ],
)
def test_top_level_rule_pairs(bad, fixed, path, fragment):
    assert_pair(bad, fixed, path, fragment)


def test_every_problem_is_reported_at_once():
    bad = {"networkmanager": "x", "bonds": {
        "bond0": bond(mode="x", miimonn=1, ipaddr="x"),
        "bond1": bond(slaves=["eth0"], mtu=1),
    }}
    paths = [path for path, _ in errors_of(bad)]
    assert paths == [
        "bonding:networkmanager", f"{B}:miimonn", f"{B}:mode", f"{B}:ipaddr",
        "bonding:bonds:bond1:mtu", "bonding:bonds:bond1:slaves:0",
    ]


def test_error_type_and_text():
    with pytest.raises(UserError) as caught:
        validate(pillar(bond(miimon=-5, mtu=1)))
    exc = caught.value
    # The user must act: the project's own error type, never a ValueError (a bug's type).
    assert isinstance(exc, errors.UserError) and not isinstance(exc, ValueError)
    assert exc.errors == [
        (f"{B}:miimon", "invalid value -5: expected an integer 0-2147483647 ms"),
        (f"{B}:mtu", "invalid mtu 1: expected an integer 68-65535"),
    ]
    assert str(exc).splitlines() == [f"{path}: {message}" for path, message in exc.errors]
    copy = pickle.loads(pickle.dumps(exc))
    assert copy.errors == exc.errors and str(copy) == str(exc)


def test_pillar_key_names_the_paths():
    with pytest.raises(UserError) as caught:
        validate(pillar(bond(miimon="x")), pillar_key="net:bonding")
    assert caught.value.errors[0][0] == "net:bonding:bonds:bond0:miimon"


# Normalisation.
def test_full_example_pillar_of_issue_4_validates():
    text = """
bonding:
  networkmanager: unmanaged
  modprobe_options: false
  bonds:
    bond0:
      mode: active-backup
      slaves: [eth0, eth1]
      miimon: 100
      primary: eth0
      bootproto: none
      ipaddr: 192.0.2.10
      prefix: 24
      gateway: 192.0.2.1
      mtu: 9000
      onboot: true
      ifcfg: {ETHTOOL_OPTS: "-K bond0 gro off"}
      vlans:
        100: {ipaddr: 198.51.100.10, prefix: 24}
"""
    assert dataclasses.asdict(validate(yaml.safe_load(text)["bonding"])) == {
        "format": "auto",
        "networkmanager": "unmanaged",
        "modprobe_options": False,
        "activate": "none",
        "allow_cutoff": False,
        "rollback_after": None,
        "bonds": {
            "bond0": {
                "name": "bond0", "mode": "active-backup", "activate": None, "verify": None,
                "rollback_after": None,
                "options": {"miimon": "100", "primary": "eth0"},
                "slaves": ["eth0", "eth1"], "ports": {}, "macaddr": None, "onboot": True,
                "bootproto": "none", "ipaddr": "192.0.2.10", "prefix": 24, "netmask": None,
                "gateway": "192.0.2.1", "mtu": 9000, **NO_IPV6_OR_DNS,
                "ifcfg": {"ETHTOOL_OPTS": "-K bond0 gro off"}, "ifcfg_site": {},
                "vlans": {100: {
                    "vid": 100, "device": "bond0.100", "onboot": True, "bootproto": "static",
                    "ipaddr": "198.51.100.10", "prefix": 24, "netmask": None, "gateway": None,
                    "mtu": None, **NO_IPV6_OR_DNS, "ifcfg": {}, "ifcfg_site": {},
                }},
            }
        },
        "warnings": [],
    }


@pytest.mark.parametrize("path", sorted((REPO / "pillar.example").rglob("hosts/*.sls")),
                         ids=lambda path: path.name)
def test_example_pillar_hosts_validate_without_warnings(path):
    defaults = yaml.safe_load((REPO / "pillar.example/bonding/defaults.sls").read_text())
    host = yaml.safe_load(path.read_text())
    assert validate({**defaults["bonding"], **host["bonding"]}).warnings == []


def test_options_are_canonical_and_in_table_order():
    given_out_of_order = {
        "slaves": ["eth1", "eth0"], "lacp_rate": 1, "xmit_hash_policy": "Layer3+4",
        "ad_select": "2", "miimon": "100", "updelay": 200, "mode": "4",
        "lacp_active": True, "ad_actor_system": "02:AA:BB:CC:DD:EE", "min_links": "1",
        "use_carrier": "on",
    }
    result = validate({"bonds": {"bond0": given_out_of_order}}).bonds["bond0"]
    assert result.mode == "802.3ad"
    assert list(result.options.items()) == [
        ("miimon", "100"), ("updelay", "200"), ("use_carrier", "1"),
        ("xmit_hash_policy", "layer3+4"), ("lacp_rate", "fast"), ("lacp_active", "1"),
        ("ad_select", "count"), ("ad_actor_system", "02:aa:bb:cc:dd:ee"), ("min_links", "1"),
    ]
    assert result.slaves == ["eth1", "eth0"]


@pytest.mark.parametrize("mode", ["active-backup", "Active-Backup", "ACTIVE-BACKUP", 1, "1"])
def test_mode_in_any_form(mode):
    assert validate(pillar(bond(mode=mode))).bonds["bond0"].mode == "active-backup"


def test_arp_targets_are_comma_joined_in_pillar_order():
    result = validate(pillar(bond(miimon=0, arp_interval="200",
                                  arp_ip_target=["192.0.2.9", "192.0.2.1"], arp_validate=3)))
    assert result.bonds["bond0"].options == {
        "miimon": "0", "arp_interval": "200", "arp_ip_target": "192.0.2.9,192.0.2.1",
        "arp_validate": "all",
    }


def test_bonds_are_sorted_by_name():
    result = validate({"bonds": {"bond2": bond(slaves=["eth4"]), "bond0": bond(),
                                 "bond1": bond(slaves=["eth2"])}})
    assert list(result.bonds) == ["bond0", "bond1", "bond2"]


def test_interface_defaults_and_conversions():
    result = validate(pillar(bond(
        ipaddr="192.0.2.10", netmask="255.255.255.0", mtu="9000",
        ifcfg={"ZONE": "public", "USERCTL": True, "LINKDELAY": 5},
        vlans={"200": None, 100: {"bootproto": "DHCP", "onboot": False}},
    ))).bonds["bond0"]
    assert (result.bootproto, result.prefix, result.netmask, result.mtu) == (
        "static", None, "255.255.255.0", 9000)
    assert result.onboot is True
    assert result.ifcfg == {"ZONE": "public", "USERCTL": "yes", "LINKDELAY": "5"}
    assert list(result.vlans) == [100, 200]
    assert result.vlans[100].bootproto == "dhcp" and result.vlans[100].onboot is False
    assert dataclasses.asdict(result.vlans[200]) == {
        "vid": 200, "device": "bond0.200", "onboot": True, "bootproto": "none", "ipaddr": None,
        "prefix": None, "netmask": None, "gateway": None, "mtu": None, **NO_IPV6_OR_DNS,
        "ifcfg": {}, "ifcfg_site": {},
    }


def test_null_means_unset_except_for_mode_and_slaves():
    result = validate({"networkmanager": None, "bonds": {"bond0": bond(
        gateway=None, updelay=None, ifcfg=None, vlans=None, mtu=None)}})
    assert result.networkmanager is None  # the platform decides (platform.choose)
    assert result.bonds["bond0"].options == {"miimon": "100"}


def test_empty_slaves_are_allowed_with_a_warning():
    result = validate(pillar(bond(slaves=[])))
    assert result.bonds["bond0"].slaves == []
    assert result.warnings == [f"{B}: the bond has no slaves"]


# Warnings.
@pytest.mark.parametrize(
    "pillar_value, warning",
    [
        (pillar(bond(mode="balance-rr", vlans={10: {}})),
         f"{B}:vlans: VLANs over balance-rr are known to misbehave; active-backup is the "
         "usual fix"),
        (pillar(bond(miimon=0)), f"{B}: no link monitoring"),
        (pillar(bond(mode=4, miimon=0)), f"{B}: no link monitoring"),
        (pillar(bond(mode=4, min_links=3)), f"{B}: min_links 3 is more than the 2 slaves"),
        ({"modprobe_options": True, "bonds": {"bond0": bond(), "bond1": bond(slaves=["eth2"])}},
         "bonding:modprobe_options: 2 bonds: module options apply to every bond the module "
         "creates"),
        (pillar(bond(mode=4, lacp_active="on", ad_actor_sys_prio=100), modprobe_options=True),
         f"{B}: not bonding module parameters, left out of the modprobe options: lacp_active, "
         "ad_actor_sys_prio"),
    ],
)
def test_warnings(pillar_value, warning):
    warnings = validate(pillar_value).warnings
    assert any(text.startswith(warning) for text in warnings), warnings


def test_kernel_default_miimon_in_802_3ad_is_not_a_missing_monitor():
    result = validate(pillar(bond(mode="802.3ad", miimon=DROP, updelay=200)))
    assert result.warnings == []
    assert result.bonds["bond0"].options == {"updelay": "200"}


# validate_bond for bond.managed.
def test_validate_bond_returns_one_bond_and_skips_cross_bond_rules():
    warnings = []
    result = validate_bond("bond1", bond(slaves=["bond0"], mode=0, vlans={5: {}}),
                           warnings=warnings)
    assert result.name == "bond1" and result.slaves == ["bond0"]
    assert warnings == ["bonding:bonds:bond1:vlans: VLANs over balance-rr are known to "
                        "misbehave; active-backup is the usual fix"]


def test_validate_bond_raises_with_paths_under_the_given_path():
    with pytest.raises(UserError) as caught:
        validate_bond("bond0", bond(miimon="x"), path="bond0:bond.managed")
    # The bond's own path, its name once (not bond0:bond.managed:bond0:miimon).
    assert caught.value.errors[0][0] == "bond0:bond.managed:miimon"


def test_is_valid_ifname():
    assert names.is_valid_ifname("eth0")
    assert not names.is_valid_ifname("x/../../etc")
    assert not names.is_valid_ifname(None)


# Junk: nothing but UserError, ever.
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats() | st.text(max_size=20) | st.binary(max_size=4))
junk = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(scalars.filter(lambda key: not isinstance(key, float)), children,
                      max_size=4),
    max_leaves=12,
)
BOND_KEYS = [option.name for option in options.TABLE] + list(bond_settings.BOND_KEYS)
bond_shaped = st.dictionaries(st.sampled_from(BOND_KEYS), junk, max_size=8)
pillar_shaped = st.fixed_dictionaries(
    {},
    optional={
        "networkmanager": junk,
        "modprobe_options": junk,
        "bonds": st.dictionaries(st.sampled_from(["bond0", "bond1", "eth0"]) | junk.filter(
            lambda key: isinstance(key, (str, int))), bond_shaped | junk, max_size=3),
    },
)


@settings(max_examples=300, deadline=None)
@given(pillar_value=junk | pillar_shaped)
def test_validate_raises_only_user_error(pillar_value):
    try:
        result = validate(pillar_value)
    except UserError as exc:
        assert exc.errors
        assert all(isinstance(path, str) and isinstance(message, str)
                   for path, message in exc.errors)
    else:
        assert set(dataclasses.asdict(result)) == {
            "format", "networkmanager", "modprobe_options", "activate", "allow_cutoff",
            "rollback_after", "bonds", "warnings"}


@settings(max_examples=200, deadline=None)
@given(name=junk, bond_value=bond_shaped | junk)
def test_validate_bond_raises_only_user_error(name, bond_value):
    try:
        validate_bond(name, bond_value)
    except UserError as exc:
        assert exc.errors


@pytest.mark.parametrize("value, message", [
    ({}, "missing: this minion's pillar has no bonds (does its minion id match a host entry "
         "in the pillar top file?)"),
    ({"networkmanager": "unmanaged", "modprobe_options": False},
     "missing: this minion's pillar has no bonds"),
    ({"bonds": None}, "is null (were all its bonds commented out?)"),
])
def test_no_bonds_is_an_error_unless_said_explicitly(value, message):
    with pytest.raises(UserError) as caught:
        validate(value)
    [(path, text)] = caught.value.errors
    assert path == "bonding:bonds"
    assert text.startswith(message)
    assert text.endswith("to remove every bond this module manages on purpose, set bonds: {}")
    assert validate({"bonds": {}}).bonds == {}


@pytest.mark.parametrize("bonds, path, message", [
    ({"lo": {"mode": 1, "slaves": ["eth0"]}}, "bonding:bonds:lo",
     "'lo' is the loopback interface, never a bond"),
    ({"bond0": {"mode": 1, "slaves": ["eth0", "lo"]}}, "bonding:bonds:bond0:slaves:1",
     "'lo' is the loopback interface; it cannot be a bond's slave"),
    ({"bond0": {"mode": 1, "slaves": ["bond0.100"]}}, "bonding:bonds:bond0:slaves:0",
     "bond0.100 is a VLAN on bond bond0 itself; a bond cannot enslave its own VLAN"),
    ({"bond0": {"mode": 1, "slaves": ["eth0", "eth1"]},
      "bond1": {"mode": 1, "slaves": ["eth0.100"]}}, "bonding:bonds:bond1:slaves:0",
     "slave eth0.100 is a VLAN on eth0, which is a slave of bond bond0 here; a VLAN on an "
     "enslaved card carries no traffic (put the VLAN on the bond: vlans)"),
    ({"bond0": {"mode": 1, "slaves": ["eth0"]}, "bond1": {"mode": 1, "slaves": ["bond0.7"]}},
     "bonding:bonds:bond1:slaves:0",
     "slave bond0.7 is a VLAN on bond0, which is a bond here; a VLAN on an enslaved card "
     "carries no traffic (put the VLAN on the bond: vlans)"),
    ({"bond0": {"mode": 1, "slaves": ["x/../../etc/passwd-and-more"]}},
     "bonding:bonds:bond0:slaves:0", "may contain only letters, digits"),
])
def test_names_that_can_never_be_what_they_are_declared_as(bonds, path, message):
    for bond in bonds.values():
        bond["miimon"] = 100
    with pytest.raises(UserError) as caught:
        validate({"bonds": bonds})
    said = [text for where, text in caught.value.errors if where == path]
    assert len(said) == 1 and message in said[0], caught.value.errors


def test_a_vlan_as_slave_of_a_bond_is_legal_where_it_can_work():
    result = validate({"bonds": {"bond1": {"mode": 1, "miimon": 100, "slaves": ["eth3.100"]}}})
    assert result.bonds["bond1"].slaves == ["eth3.100"]


@pytest.mark.parametrize("name", ["eth5", "ens1f0", "eno1", "enp3s0", "em1", "p1p1", "wlan0"])
def test_a_bond_named_like_a_card_is_a_warning(name):
    result = validate({"bonds": {name: {"mode": 1, "miimon": 100, "slaves": ["x0"]}}})
    assert result.warnings == [
        f"bonding:bonds:{name}: bond name {name} looks like a network card's; it works, but "
        "whoever reads `ip link` will take it for one (bond0, bond1, ... are the usual names)"]
    assert validate({"bonds": {"bond0": {"mode": 1, "miimon": 100, "slaves": ["x0"]}}}
                    ).warnings == []


@pytest.mark.parametrize("key, message", [
    ("ETHTOOL_OPT", "unknown ifcfg key ETHTOOL_OPT: neither initscripts nor NetworkManager reads "
                    "it (a key only your own scripts read, such as ifup-local, goes under "
                    "ifcfg_site); did you mean 'ETHTOOL_OPTS'?"),
    ("EXECIGNORE", "EXECIGNORE is not an ifcfg key: it would change the shell that sources the "
                   "file"),
    ("FUNCNEST", "FUNCNEST is not an ifcfg key: it would change the shell that sources the file"),
    ("UID", "UID is not an ifcfg key: it would change the shell that sources the file"),
    ("CONFIG", "CONFIG is not an ifcfg key: it would change the shell that sources the file"),
    ("TXQLEN", "unknown ifcfg key TXQLEN: neither initscripts nor NetworkManager reads it"),
])
def test_ifcfg_takes_only_keys_initscripts_or_networkmanager_read(key, message):
    with pytest.raises(UserError) as caught:
        validate(pillar(bond(ifcfg={key: "x"})))
    [(path, text)] = caught.value.errors
    assert path == f"{B}:ifcfg:{key}" and text.startswith(message), text


def test_ifcfg_site_holds_what_only_the_sites_own_scripts_read():
    result = validate(pillar(bond(ifcfg_site={"RACK_POSITION": "r12u3", "TXQLEN": 5000},
                                  vlans={100: {"ifcfg_site": {"TENANT": "blue"}}})))
    assert result.bonds["bond0"].ifcfg_site == {"RACK_POSITION": "r12u3", "TXQLEN": "5000"}
    assert result.bonds["bond0"].vlans[100].ifcfg_site == {"TENANT": "blue"}
    for key, message in (("ETHTOOL_OPTS", "is an ifcfg key initscripts or NetworkManager read: "
                                          "give it under ifcfg"),
                         ("EXECIGNORE", "would change the shell that sources the file"),
                         ("DEVICE", "is written by this module"),
                         ("lower", "expected [A-Z][A-Z0-9_]*")):
        with pytest.raises(UserError) as caught:
            validate(pillar(bond(ifcfg_site={key: "x"})))
        [(path, text)] = caught.value.errors
        assert path == f"{B}:ifcfg_site:{key}" and message in text, text


@pytest.mark.parametrize("value, opposite", [
    (True, False), ("yes", "no"), ("Yes", "No"), ("on", "off"), ("true", "false"), (1, 0),
    ("1", "0"),
])
def test_yes_no_settings_take_the_same_words_as_switch_options(value, opposite):
    assert validate(pillar(bond(onboot=value))).bonds["bond0"].onboot is True
    assert validate(pillar(modprobe_options=value)).modprobe_options is True
    assert validate(pillar(bond(onboot=opposite))).bonds["bond0"].onboot is False


def test_messages_that_used_to_read_oddly():
    with pytest.raises(UserError) as caught:
        validate({"bonds": {"bond0": None}})
    assert caught.value.errors == [(
        "bonding:bonds:bond0",
        "expected a mapping of bond settings (mode, slaves, ...), got nothing (null)")]
    with pytest.raises(UserError) as caught:  # IPv6 keys are not "corrected" to IPv4 ones
        validate(pillar(bond(ipv6adr="2001:db8::10/64")))
    assert caught.value.errors[0][1].endswith("did you mean 'ipv6addr'?")
    with pytest.raises(UserError) as caught:  # YAML turned `lacp_rate: off` into False
        validate(pillar(bond(mode="802.3ad", primary=None, lacp_rate=False)))
    assert caught.value.errors[0][1].endswith(
        "(YAML reads an unquoted on/off/yes/no as true/false: quote the word, e.g. 'off')")
    with pytest.raises(UserError) as caught:
        validate(pillar(networkmanager=False))
    assert "quote the word" in caught.value.errors[0][1]


@pytest.mark.parametrize("settings, method", [
    ({}, "ignore"),
    ({"ipv6init": False}, "ignore"),
    ({"ipv6init": True}, "auto"),
    ({"ipv6addr": "2001:db8::10/64"}, "manual"),  # a static address: no autoconfiguration
    ({"ipv6addr": "2001:db8::10/64", "ipv6_autoconf": True}, "auto"),
    ({"dhcpv6c": True}, "dhcp"),
    ({"dhcpv6c": True, "ipv6_autoconf": False}, "dhcp"),
    ({"ipv6_autoconf": False}, "link-local"),
    ({"dhcpv6c": False}, "auto"),
])
def test_ipv6_means_one_method_and_both_file_formats_say_it(settings, method):
    from salt_bonding.render import ifcfg, keyfile

    result = validate(pillar(bond(**settings))).bonds["bond0"]
    assert result.ipv6_method == method
    text = keyfile.render_bond(result, "bond.reconciled:bonding")["bond0.nmconnection"]
    assert "[ipv6]\n" in text and f"method={method}\n" in text.split("[ipv6]")[1]
    values = ifcfg.parse(ifcfg.render_bond(result, "bond.reconciled:bonding")["ifcfg-bond0"])
    if method == "ignore":
        assert "IPV6INIT" not in values and "IPV6_AUTOCONF" not in values
    else:  # said explicitly: both ifcfg readers would take autoconfiguration as yes
        assert values["IPV6_AUTOCONF"] == ("yes" if method == "auto" else "no")


def test_one_default_route_and_each_address_once_across_the_bonds_too():
    two = pillar(bond(ipaddr="192.0.2.10", prefix=24, gateway="192.0.2.1"))
    two["bonds"]["bond1"] = bond(slaves=["eth2"], ipaddr="192.0.2.10", prefix=24,
                                 gateway="192.0.2.254")
    assert errors_of(two) == [
        ("bonding:bonds:bond1:gateway", f"a second default route ({B} has one): initscripts "
                                        "and the kernel back-end keep only the last one "
                                        "brought up, NetworkManager both; give one gateway "
                                        "per family"),
        ("bonding:bonds:bond1", f"address 192.0.2.10 is {B}'s too: initscripts refuse an "
                                "address another interface holds (arping -D), the kernel and "
                                "NetworkManager take it twice; give each interface its own")]
    with pytest.raises(UserError) as caught:  # bond.managed: a bond and its VLANs
        validate_bond("bond7", bond(ipaddr="192.0.2.10", prefix=24,
                                    vlans={5: {"ipaddr": "192.0.2.10", "prefix": 24}}),
                      path="bond7:bond.managed")
    assert caught.value.errors[0][0] == "bond7:bond.managed:vlans:5"


def test_an_ipv6_gateway_may_be_the_routers_link_local_address():
    result = validate(pillar(bond(ipv6addr="2001:db8::10/64", ipv6_defaultgw="FE80::1")))
    assert result.bonds["bond0"].ipv6_defaultgw == "fe80::1"


def test_ipv6_and_dns_are_validated_and_normalised():
    result = validate(pillar(bond(
        ipaddr="192.0.2.10", prefix=24,
        ipv6addr=["2001:DB8::10/64", "2001:db8:1::10/64"], ipv6_defaultgw="2001:db8::1",
        dns=["192.0.2.53", "2001:db8::53"], domain="example.com corp.example.com",
        vlans={100: {"dhcpv6c": "yes", "ipv6_autoconf": False}}))).bonds["bond0"]
    assert (result.ipv6init, result.ipv6addr, result.ipv6_defaultgw) == (
        True, ["2001:db8::10/64", "2001:db8:1::10/64"], "2001:db8::1")
    assert result.dns == ["192.0.2.53", "2001:db8::53"]
    assert result.domain == ["example.com", "corp.example.com"]
    assert (result.vlans[100].ipv6init, result.vlans[100].dhcpv6c,
            result.vlans[100].ipv6_autoconf) == (True, True, False)
    assert validate(pillar(bond())).bonds["bond0"].ipv6init is False


@pytest.mark.parametrize("settings, path, message", [
    ({"ipv6addr": "2001:db8::10"}, "ipv6addr", "is not an IPv6 address with its prefix"),
    ({"ipv6addr": ["2001:db8::10/64", "ff02::1/64"]}, "ipv6addr:1",
     "is not a unicast host address"),
    ({"ipv6addr": ["2001:db8::10/64", "2001:db8::10/64"]}, "ipv6addr:1", "is given twice"),
    ({"ipv6_defaultgw": "192.0.2.1", "ipv6_autoconf": True}, "ipv6_defaultgw",
     "is not a unicast IPv6 address"),
    ({"ipv6_defaultgw": "2001:db8::1"}, "ipv6_defaultgw", "needs a static ipv6addr"),
    # NetworkManager refuses the whole profile: a gateway with no static address.
    ({"ipv6_defaultgw": "2001:db8::1", "ipv6_autoconf": True}, "ipv6_defaultgw",
     "needs a static ipv6addr: NetworkManager refuses a gateway without one"),
    ({"ipv6_defaultgw": "fe80::1", "dhcpv6c": True}, "ipv6_defaultgw", "needs a static"),
    ({"ipv6addr": "2001:db8::10/64", "ipv6_defaultgw": "2001:db9::1"}, "ipv6_defaultgw",
     "ipv6_defaultgw 2001:db9::1 is outside 2001:db8::/64: the kernel has no route to it"),
    ({"ipv6addr": "2001:db8::10/64", "ipv6_defaultgw": "2001:db8::10"}, "ipv6_defaultgw",
     "is this interface's own address"),
    # Scope ids: only where a reader keeps them (none of the files).
    ({"ipv6addr": "2001:db8::10/64", "ipv6_defaultgw": "fe80::1%bond0"}, "ipv6_defaultgw",
     "has a scope id (%bond0): the gateway is reached through this interface"),
    ({"ipv6addr": "2001:db8::10/64", "dns": ["2001:db8::53%eth0;2001:db8::66"]}, "dns:0",
     "has a scope id (%eth0;2001:db8::66): NetworkManager 1.42 drops a server with one"),
    ({"ipv6addr": "fe80::10%bond0/64"}, "ipv6addr", "has a scope id"),
    ({"ipv6addr": "fe80::10/64"}, "ipv6addr", "is link-local (fe80::/10"),
    ({"ipv6addr": "fec0::10/64"}, "ipv6addr", "is site-local"),
    ({"ipv6addr": "::ffff:192.0.2.10/96"}, "ipv6addr", "is IPv4-mapped"),
    ({"ipv6addr": "2001:db8::10/64", "dns": "fe80::53"}, "dns",
     "fe80::53 is link-local: resolv.conf needs it with a scope id"),
    ({"ipaddr": "192.0.2.10", "prefix": 24, "dns": ["192.0.2.53", "224.0.0.251"]}, "dns:1",
     "is not a unicast address"),
    # A DNS server of a family the interface does not configure: dropped or refused by
    # NetworkManager, kept by the ifcfg file.
    ({"ipaddr": "192.0.2.10", "prefix": 24, "dns": ["192.0.2.53", "2001:db8::53"]}, "dns:1",
     "dns 2001:db8::53 is an IPv6 server and this interface gets no IPv6 address"),
    ({"ipv6addr": "2001:db8::10/64", "dns": "192.0.2.53"}, "dns",
     "dns 192.0.2.53 is an IPv4 server and this interface gets no IPv4 address"),
    ({"ipv6_autoconf": False, "dns": "2001:db8::53"}, "dns", "is an IPv6 server"),
    ({"domain": "example.com"}, "domain", "search domains on an interface without an address"),
    ({"ipv6_autoconf": True, "dhcpv6c": True}, "dhcpv6c",
     "dhcpv6c and ipv6_autoconf are both true"),
    ({"mtu": 1000, "ipv6init": True}, "mtu", "mtu 1000 is below 1280, IPv6's minimum"),
    ({"mtu": 1000, "vlans": {5: {"ipv6addr": "2001:db8::10/64"}}}, "vlans:5",
     "mtu 1000 is below 1280"),
    ({"ipv6init": False, "ipv6addr": "2001:db8::10/64"}, "ipv6init",
     "ipv6init is false but ipv6addr configure IPv6"),
    ({"dns": ["192.0.2.53", "x"]}, "dns:1", "is not an IP address"),
    ({"dns": ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]}, "dns",
     "the resolver reads at most 3"),
    ({"domain": ["example.com", "bad_domain!"]}, "domain:1", "is not a domain name"),
    ({"dhcpv6c": "sometimes"}, "dhcpv6c", "expected true or false"),
])
def test_ipv6_and_dns_mistakes_name_their_pillar_path(settings, path, message):
    with pytest.raises(UserError) as caught:
        validate(pillar(bond(**settings)))
    assert any(where == f"{B}:{path}" and message in text
               for where, text in caught.value.errors), caught.value.errors


# One table of top-level choices (issue 26): a misspelt one is refused with its path and the
# allowed values, beside every other error; any case is taken, the same way for each.
@pytest.mark.parametrize("key, bad, fixed, allowed", [
    ("format", "interfaces", "ifupdown", "expected one of auto, ifcfg, keyfile, ifupdown, "
                                         "netplan"),
    ("format", "netplans", "netplan", "did you mean 'netplan'?"),
    ("format", "ifcfgg", "ifcfg", "did you mean 'ifcfg'?"),
    ("format", 7, "auto", "expected one of auto, ifcfg, keyfile, ifupdown, netplan"),
    ("networkmanager", "managd", "managed", "expected one of managed, unmanaged, disabled"),
    ("activate", "kernell", "kernel", "expected one of none, kernel, ifup, nmcli"),
])
def test_a_misspelt_top_level_choice_is_refused_with_its_path_and_the_allowed_values(
        key, bad, fixed, allowed):
    assert_pair(pillar(**{key: bad}), pillar(**{key: fixed}), f"bonding:{key}", allowed)
    # ... reported with the bonds' own mistakes, never dropped because of them
    paths = [path for path, _ in errors_of(pillar(bond(miimon="often"), **{key: bad}))]
    assert paths == [f"bonding:{key}", f"{B}:miimon"] or paths == [f"{B}:miimon",
                                                                    f"bonding:{key}"], paths


@pytest.mark.parametrize("key, given, taken", [
    ("format", "KeyFile", "keyfile"), ("networkmanager", "Managed", "managed"),
    ("activate", "KERNEL", "kernel")])
def test_top_level_choices_take_any_case_alike(key, given, taken):
    assert getattr(validate(pillar(**{key: given})), key) == taken


def test_verify_on_a_bond_that_is_not_brought_live_is_a_warning():
    """``verify:`` runs after activation only: under ``activate: none`` it was ignored without
    a word (issue 26)."""
    checked = bond(verify={"ping": "192.0.2.1"})
    ignored = (f"{B}:verify: ignored: verify runs after a bond is brought live, and this "
               "bond's activate is none (files only); set activate (kernel, ifup or nmcli) "
               "to have it run, or drop verify")
    assert validate(pillar(checked)).warnings == [ignored]
    assert validate(pillar(bond(activate="none", verify={"ping": "192.0.2.1"}),
                           activate="kernel")).warnings == [ignored]
    assert validate(pillar(checked, activate="kernel")).warnings == []
    assert validate(pillar(bond(activate="kernel", verify={"ping": "192.0.2.1"}))).warnings == []
    warnings = []
    validate_bond("bond0", checked, warnings=warnings)  # bond.managed: no activate, none
    assert warnings == [ignored]


@pytest.mark.parametrize("value, allowed", [(True, True), ("yes", True), (False, False)])
def test_allow_cutoff_is_a_flag(value, allowed):
    assert validate({"allow_cutoff": value, "bonds": {}}).allow_cutoff is allowed


def test_allow_cutoff_of_another_kind_is_refused_naming_it():
    with pytest.raises(UserError) as refused:
        validate({"allow_cutoff": "maybe", "bonds": {}})
    assert refused.value.errors == [("bonding:allow_cutoff", (
        "invalid value 'maybe': expected true or false (true: this run may remove or "
        "re-address what the host is reached through now)"))]


def test_a_bonds_mac_address_is_kept_lowercase():
    config = validate(pillar(bond(macaddr="02:AB:cd:00:00:01")))
    assert config.bonds["bond0"].macaddr == "02:ab:cd:00:00:01"
    assert validate(pillar()).bonds["bond0"].macaddr is None
