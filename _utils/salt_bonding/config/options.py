"""The kernel bonding options, as data: one table for validation, rendering and docs.

Facts come from the kernel's ``Documentation/networking/bonding.rst`` and
``drivers/net/bonding/bond_options.c`` / ``bond_main.c`` (value tables, ranges,
``unsuppmodes``, ``module_param`` lines; the module parameters were checked with
``modinfo -p`` against Debian's 6.1 ``bonding.ko``).

Every option parses a pillar value into the kernel's canonical text with
:meth:`BondOption.parse`; nothing here knows about pillar paths or Salt. The
value kinds themselves (numbers, addresses, MACs) are parsed in ``values``.
"""

from . import nm_versions
from .modes import ACTIVE_SLAVE_MODES, ARP_MODES, LACP_MODES, MODES
from .option_types import ALL_MODES, INT_MAX, SWITCH_VALUES, BondOption

_AB = ("active-backup",)
_LACP = LACP_MODES
_PRIMARY_MODES = ACTIVE_SLAVE_MODES
_TLB_ALB = ("balance-tlb", "balance-alb")
# NetworkManager releases that first kept an option (BondOption.networkmanager_since).
# (The others are in 1.0.0's nm-setting-bond.h: the default.)
_NM_1_2 = (1, 2, 0)  # in nm-setting-bond.h of 1.2.0, not of 1.0.0
_NM_1_32_4 = (1, 32, 4)  # NEWS: "bond: support the peer_notif_delay option", 1.32.4 and 1.34
_NM_1_44 = (1, 44, 0)  # NEWS of 1.44: "Support new bond options: arp_missed_max, lacp_active"
# (and ns_ip6_target, in nm-setting-bond.h of 1.44.0, not of 1.42.x)

# Why Debian's ifupdown cannot write an option (BondOption.ifupdown None): ifenslave, whose
# if-pre-up.d script turns the stanza's bond-* keys into sysfs writes, reads no key for it
# (Debian 12's ifenslave 2.13; its script lists every key it reads).
_NO_IFENSLAVE = "Debian's ifenslave (2.13, Debian 12) reads no bond-* key for it"
# Why netplan cannot (BondOption.netplan None): its bond parameters (netplan 0.106 of Debian
# 12 and Ubuntu 22.04 through 1.x) have no key for it; `netplan generate` refuses unknown keys.
_NO_NETPLAN = "netplan has no bond parameter for it (0.106 to 1.x)"

# The order is also the order in which BONDING_OPTS applies them through sysfs:
# mode first, miimon before the delays the kernel stores as multiples of it.
TABLE = (
    BondOption(
        "mode", "enum", "Bonding policy.", "balance-rr",
        values=tuple((name, number) for number, name in enumerate(MODES)),
        live="down-no-slaves", nm_reapply=False,
        ifupdown="bond-mode", netplan="mode",
    ),
    BondOption(
        "miimon", "int",
        "MII link monitoring interval; 0 disables it. The kernel uses 100 in "
        "802.3ad, balance-tlb and balance-alb when it is not set.",
        "0", minimum=0, maximum=INT_MAX, unit="ms",
        ifupdown="bond-miimon", netplan="mii-monitor-interval",
    ),
    BondOption(
        "updelay", "int",
        "Wait before enabling a slave whose link came up; a multiple of miimon.",
        "0", minimum=0, maximum=INT_MAX, unit="ms", needs="miimon", miimon_multiple=True,
        ifupdown="bond-updelay", netplan="up-delay",
    ),
    BondOption(
        "downdelay", "int",
        "Wait before disabling a slave whose link went down; a multiple of miimon.",
        "0", minimum=0, maximum=INT_MAX, unit="ms", needs="miimon", miimon_multiple=True,
        ifupdown="bond-downdelay", netplan="down-delay",
    ),
    BondOption(
        "peer_notif_delay", "int",
        "Delay between peer notifications after a failover; a multiple of miimon.",
        "0", modes=_AB, minimum=0, maximum=300000, unit="ms", module_param=False,
        needs="miimon", miimon_multiple=True, networkmanager_since=_NM_1_32_4,
        ifupdown_refused=_NO_IFENSLAVE, netplan_refused=_NO_NETPLAN,
    ),
    BondOption(
        "use_carrier", "switch",
        "Read link state with netif_carrier_ok (1) instead of MII/ethtool ioctls (0).",
        "1", values=SWITCH_VALUES,
        ifupdown="bond-use-carrier", netplan_refused=_NO_NETPLAN,
    ),
    BondOption(
        "arp_interval", "int", "ARP link monitoring interval; 0 disables it. Needs arp_ip_target.",
        "0", modes=ARP_MODES, minimum=0, maximum=INT_MAX, unit="ms",
        ifupdown="bond-arp-interval", netplan="arp-interval",
    ),
    BondOption(
        "arp_ip_target", "ipv4_list", "IPv4 addresses the ARP monitor probes (at most 16).",
        None, modes=ARP_MODES, needs="arp_interval",
        ifupdown="bond-arp-ip-target", netplan="arp-ip-targets",
    ),
    BondOption(
        "ns_ip6_target", "ipv6_list",
        "IPv6 addresses the ARP monitor probes with neighbour solicitations (at most 16). "
        "The kernel takes them over netlink only (no sysfs file): refused in ifcfg files for "
        "network-scripts.",
        None, modes=ARP_MODES, module_param=False, needs="arp_interval",
        networkmanager_since=_NM_1_44, nm_reapply=False, netlink_only=True,
        ifupdown_refused=_NO_IFENSLAVE, netplan_refused=_NO_NETPLAN,
    ),
    BondOption(
        "arp_validate", "enum", "Validate or filter ARP traffic for the ARP monitor.",
        "none", modes=ARP_MODES, needs="arp_interval",
        values=(
            ("none", 0), ("active", 1), ("backup", 2), ("all", 3),
            ("filter", 4), ("filter_active", 5), ("filter_backup", 6),
        ),
        ifupdown="bond-arp-validate", netplan="arp-validate",
    ),
    BondOption(
        "arp_all_targets", "enum",
        "A slave is up when any, or all, ARP targets answer (with arp_validate).",
        "any", modes=_AB, needs="arp_interval", values=(("any", 0), ("all", 1)),
        networkmanager_since=_NM_1_2,
        ifupdown_refused=_NO_IFENSLAVE, netplan="arp-all-targets",
    ),
    BondOption(
        "arp_missed_max", "int", "ARP monitor checks that must fail before a slave is down.",
        "2", modes=ARP_MODES, minimum=1, maximum=255, module_param=False, needs="arp_interval",
        networkmanager_since=_NM_1_44, nm_reapply=False,
        ifupdown_refused=_NO_IFENSLAVE, netplan_refused=_NO_NETPLAN,
    ),
    BondOption(
        "primary", "ifname", "The slave that is active whenever it is up.",
        None, modes=_PRIMARY_MODES,
        ifupdown="bond-primary", netplan="primary",
    ),
    BondOption(
        "primary_reselect", "enum", "When the primary slave becomes active again.",
        "always", modes=_PRIMARY_MODES,
        values=(("always", 0), ("better", 1), ("failure", 2)),
        ifupdown="bond-primary-reselect", netplan="primary-reselect-policy",
    ),
    BondOption(
        "fail_over_mac", "enum", "How active-backup handles the slaves' MAC addresses.",
        "none", modes=_AB, values=(("none", 0), ("active", 1), ("follow", 2)),
        live="no-slaves", nm_reapply=False,
        ifupdown="bond-fail-over-mac", netplan="fail-over-mac-policy",
    ),
    BondOption(
        "xmit_hash_policy", "enum",
        "Transmit hash for slave selection (balance-alb: with tlb_dynamic_lb=0).",
        "layer2", modes=("balance-xor", "802.3ad", "balance-tlb", "balance-alb"),
        values=(
            ("layer2", 0), ("layer3+4", 1), ("layer2+3", 2),
            ("encap2+3", 3), ("encap3+4", 4), ("vlan+srcmac", 5),
        ),
        ifupdown="bond-xmit-hash-policy", netplan="transmit-hash-policy",
    ),
    BondOption(
        "lacp_rate", "enum", "LACPDU rate asked of the partner: every 30 s (slow) or 1 s (fast).",
        "slow", modes=_LACP, values=(("slow", 0), ("fast", 1)), live="down", nm_reapply=False,
        ifupdown="bond-lacp-rate", netplan="lacp-rate",
    ),
    BondOption(
        "lacp_active", "switch", "Send LACPDUs periodically (on) or only when spoken to (off).",
        "1", modes=_LACP, values=SWITCH_VALUES, module_param=False,
        networkmanager_since=_NM_1_44, live="down", nm_reapply=False,
        ifupdown_refused=_NO_IFENSLAVE, netplan_refused=_NO_NETPLAN,
    ),
    BondOption(
        "ad_select", "enum", "802.3ad aggregator selection logic.",
        "stable", modes=_LACP, values=(("stable", 0), ("bandwidth", 1), ("count", 2)),
        live="down", nm_reapply=False,
        ifupdown="bond-ad-select", netplan="ad-select",
    ),
    BondOption(
        "ad_actor_sys_prio", "int", "802.3ad system priority.",
        "65535", modes=_LACP, minimum=1, maximum=65535, module_param=False,
        networkmanager_since=_NM_1_2,
        ifupdown_refused=_NO_IFENSLAVE, netplan_refused=_NO_NETPLAN,
    ),
    BondOption(
        "ad_user_port_key", "int", "Upper 10 bits of the 802.3ad port key.",
        "0", modes=_LACP, minimum=0, maximum=1023, module_param=False, live="down",
        nm_reapply=False, networkmanager_since=_NM_1_2,
        ifupdown_refused=_NO_IFENSLAVE, netplan_refused=_NO_NETPLAN,
    ),
    BondOption(
        "ad_actor_system", "mac", "802.3ad system MAC in LACPDUs (default: the bond's MAC).",
        None, modes=_LACP, module_param=False, networkmanager_since=_NM_1_2,
        ifupdown_refused=_NO_IFENSLAVE, netplan_refused=_NO_NETPLAN,
    ),
    BondOption(
        "min_links", "int", "Links that must be up before the 802.3ad bond asserts carrier.",
        "0", modes=_LACP, minimum=0, maximum=INT_MAX, networkmanager_since=_NM_1_2,
        ifupdown_refused=_NO_IFENSLAVE, netplan="min-links",
    ),
    BondOption(
        "all_slaves_active", "switch", "Deliver (1) or drop (0) duplicate frames on backup slaves.",
        "0", values=SWITCH_VALUES, networkmanager_since=_NM_1_2,
        ifupdown_refused=_NO_IFENSLAVE, netplan="all-slaves-active",
    ),
    BondOption(
        "resend_igmp", "int", "IGMP membership reports sent after a failover.",
        "1", modes=("balance-rr", "active-backup", "balance-tlb", "balance-alb"),
        minimum=0, maximum=255,
        ifupdown_refused=_NO_IFENSLAVE, netplan="resend-igmp",
    ),
    BondOption(
        "num_grat_arp", "int",
        "Gratuitous ARPs/unsolicited NAs after a failover; same as num_unsol_na.",
        "1", modes=_AB, minimum=0, maximum=255, networkmanager_since=_NM_1_2,
        ifupdown="bond-num-grat-arp", netplan="gratuitious-arp",
    ),
    BondOption(
        "num_unsol_na", "int",
        "Gratuitous ARPs/unsolicited NAs after a failover; same as num_grat_arp.",
        "1", modes=_AB, minimum=0, maximum=255, nm_reapply=False, networkmanager_since=_NM_1_2,
        ifupdown="bond-num-unsol-na", netplan="gratuitious-arp",
    ),
    BondOption(
        "packets_per_slave", "int", "Packets sent through a slave before the next; 0: random.",
        "1", modes=("balance-rr",), minimum=0, maximum=65535, networkmanager_since=_NM_1_2,
        ifupdown="bond-packets-per-slave", netplan="packets-per-slave",
    ),
    BondOption(
        "tlb_dynamic_lb", "switch", "Shuffle flows by load (1) or use the hash only (0).",
        "1", modes=_TLB_ALB, values=SWITCH_VALUES, module_param=False, live="down",
        nm_reapply=False, networkmanager_since=_NM_1_2,
        ifupdown="bond-tlb-dynamic-lb", netplan_refused=_NO_NETPLAN,
    ),
    BondOption(
        "lp_interval", "int", "Seconds between learning packets to each slave's switch.",
        "1", modes=_TLB_ALB, minimum=1, maximum=INT_MAX, unit="s", networkmanager_since=_NM_1_2,
        ifupdown_refused=_NO_IFENSLAVE, netplan="learn-packet-interval",
    ),
)

OPTIONS = {option.name: option for option in TABLE}

# Two names for one kernel parameter (bond_opts[] gives both the same setter).
SAME_PARAMETER = (("num_grat_arp", "num_unsol_na"),)

# Kernel bonding knobs this formula deliberately does not take, and why.
NOT_SUPPORTED = {
    "active_slave": "a runtime choice, not configuration; use primary",
    "coupled_control": "not supported yet",
    "broadcast_neighbor": "not supported yet",
    "prio": "a per-slave netlink setting, not a bond option",
    "queue_id": "a per-slave setting, not a bond option",
    "max_bonds": "a module-wide setting; systemd's modprobe.d sets it to 0",
    "tx_queues": "a module-wide setting",
}


def parse_mode(value):
    """The kernel name of a mode given by name (any case) or number 0-6."""
    return OPTIONS["mode"].parse(value)


# Names of the options that are also `bonding` module parameters.
MODULE_PARAMS = frozenset(option.name for option in TABLE if option.module_param)


def module_params(options):
    """Split normalised options into (module parameters, names left out).

    Module options apply to every bond the module creates; options that are
    not module parameters cannot be given that way at all.
    """
    kept = {name: value for name, value in options.items() if name in MODULE_PARAMS}
    left_out = [name for name in options if name not in MODULE_PARAMS]
    return kept, left_out


def _modes_text(option):
    if option.modes == ALL_MODES:
        return "all"
    return ", ".join(option.modes)


LIVE_TEXT = {"yes": "yes", "down": "with the bond down", "no-slaves": "without slaves",
             "down-no-slaves": "down, without slaves"}


def _networkmanager_text(option):
    since = nm_versions.since_text(option.networkmanager_since)
    return f"{since}, reapplied live" if option.nm_reapply else f"{since}, re-activates the bond"


def markdown_table():
    """The option table as Markdown, for the README and pillar.example docs."""
    lines = [
        "| Option | Values | Default | Modes | Module parameter | NetworkManager since | "
        "Changed on a running bond | ifupdown | netplan | Description |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for option in TABLE:
        default = "unset" if option.default is None else f"`{option.default}`"
        row = (
            f"`{option.name}`",
            option.allowed(),
            default,
            _modes_text(option),
            "yes" if option.module_param else "no",
            _networkmanager_text(option),
            LIVE_TEXT[option.live],
            f"`{option.ifupdown}`" if option.ifupdown else "no",
            f"`{option.netplan}`" if option.netplan else "no",
            option.doc,
        )
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines) + "\n"
