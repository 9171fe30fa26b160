"""What a bonding option is (:class:`BondOption`) and how each kind of value parses.

The options themselves are rows of ``options.TABLE``; the value kinds (numbers,
addresses, MACs) are parsed in ``values``; here, per option kind, the rules that turn a
pillar value into the kernel's canonical text and the message that says what is allowed.
"""

from dataclasses import dataclass

from .modes import MODES
from .names import ifname_problem
from .values import (
    ON_OFF,
    InvalidValue,
    describe,
    host_address_problem,
    mac_octets,
    parse_decimal,
    parse_ipv4,
    parse_ipv6,
    suggest,
    switch_number,
    yaml_bool_hint,
)

INT_MAX = 2**31 - 1
ALL_MODES = MODES
MAX_ARP_TARGETS = 16  # BOND_MAX_ARP_TARGETS
MAX_NS_TARGETS = 16  # BOND_MAX_NS_TARGETS
SWITCH_VALUES = tuple((word, int(flag)) for word, flag in ON_OFF.items())
# An option value that does not parse: the message says what is allowed.
OptionValueError = InvalidValue


@dataclass(frozen=True)
class BondOption:
    """One kernel bonding option.

    kind: "int" (decimal in minimum..maximum), "enum" (a name from ``values``
    or its number), "switch" (off/on, 0/1, or a YAML bool), "ipv4_list"
    (up to 16 unicast IPv4 addresses), "ipv6_list" (up to 16 unicast IPv6
    addresses), "ifname", "mac" (a unicast MAC).
    """

    name: str
    kind: str
    doc: str
    default: str | None  # the kernel's default, canonical; None: unset
    modes: tuple = ALL_MODES  # the modes in which the option has an effect
    values: tuple = ()  # enum and switch: ((kernel name, number), ...)
    minimum: int | None = None
    maximum: int | None = None
    module_param: bool = True  # also a `bonding` module parameter (modprobe options)
    # The first NetworkManager release that keeps it in a profile's bond options (an
    # older one drops it with a log line only, keyfile and ifcfg-rh alike: nm_versions).
    # From the option names in NetworkManager's nm-setting-bond.h at each release tag
    # and its NEWS; measured with `nmcli --offline` of 1.42.4 and 1.52.1 (lacp_active and
    # arp_missed_max dropped by the first, kept by the second: tests/unit/test_render_keyfile.py).
    networkmanager_since: tuple = (1, 0, 0)
    # When the kernel (6.1) takes a change (measured: tests/kernel/test_options_kernel.py):
    # "yes" on a bond up with slaves; "down" only while the bond is down; "no-slaves"
    # only without slaves; "down-no-slaves" only both. Activation bounces a bond (its
    # slaves released and enslaved again) for the last two.
    live: str = "yes"
    # NetworkManager 1.42 changes it on an active bond with `nmcli device reapply`
    # (OPTIONS_REAPPLY_FULL in src/core/devices/nm-device-bond.c); for the others it
    # refuses to reapply, and activate: nmcli re-activates the bond (a bounce). (1.52
    # reapplies arp_missed_max and lacp_active too; they are bounced all the same.)
    nm_reapply: bool = True
    # The kernel (6.1) takes it over netlink only: it has no sysfs file for it (measured:
    # test_options_kernel), so initscripts' ifup, which writes BONDING_OPTS to sysfs, loses it.
    netlink_only: bool = False
    needs: str | None = None  # a monitor ("miimon"/"arp_interval") that must be on
    miimon_multiple: bool = False  # the kernel stores it as a multiple of miimon
    unit: str = ""
    # Debian's ifupdown: the interfaces(5) key ifenslave reads (``bond-miimon``; its
    # if-pre-up.d script writes it to sysfs), or None: ifenslave cannot set it, and
    # ``ifupdown_refused`` says why (render/ifupdown.py refuses the option).
    ifupdown: str | None = None
    ifupdown_refused: str = ""
    # netplan: the key under a bond's ``parameters:`` (``mii-monitor-interval``), or None:
    # netplan has no key for it, and ``netplan_refused`` says why (render/netplan.py).
    netplan: str | None = None
    netplan_refused: str = ""

    def allowed(self):
        """What the option accepts, in words, for messages and docs."""
        if self.kind == "int":
            unit = f" {self.unit}" if self.unit else ""
            return f"an integer {self.minimum}-{self.maximum}{unit}"
        if self.kind in ("enum", "switch"):
            return "one of " + ", ".join(f"{name} ({number})" for name, number in self.values)
        if self.kind == "ipv4_list":
            return f"a list of 1-{MAX_ARP_TARGETS} unicast IPv4 addresses"
        if self.kind == "ipv6_list":
            return f"a list of 1-{MAX_NS_TARGETS} unicast IPv6 addresses"
        if self.kind == "ifname":
            return "an interface name (one of the bond's slaves)"
        return "a unicast, non-zero MAC address such as 02:00:00:00:00:01"

    def parse(self, value):
        """The kernel's canonical text for ``value``, or OptionValueError.

        Numbers come back in decimal, enums as the kernel's name, switches
        as 0/1 (use_carrier and all_slaves_active are int module parameters,
        and sysfs takes the numbers too), ARP targets comma-joined.
        """
        return _PARSERS[self.kind](self, value)

    def from_sysfs(self, text):
        """The canonical text of what sysfs shows for this option (``802.3ad 4`` ->
        ``802.3ad``, ``on 1`` -> ``1``, ARP and NS targets comma-joined; "" for unset)."""
        words = text.split()
        if self.kind == "enum":
            return words[0] if words else ""
        if self.kind == "switch":
            return words[-1] if words else ""
        if self.kind in ("ipv4_list", "ipv6_list"):
            return ",".join(words)
        return text.strip()


def _invalid(option, value, hint=""):
    return OptionValueError(f"invalid value {describe(value)}: expected {option.allowed()}"
                            f"{hint}{yaml_bool_hint(value)}")


def _parse_int(option, value):
    number = parse_decimal(value)
    if number is None or not option.minimum <= number <= option.maximum:
        raise _invalid(option, value)
    return str(number)


def _parse_enum(option, value):
    number = parse_decimal(value)
    for name, known in option.values:
        if number is not None and number == known:
            return name
        if isinstance(value, str) and value.lower() == name:
            return name
    hint = suggest(value.lower() if isinstance(value, str) else value, dict(option.values))
    raise _invalid(option, value, hint)


def _parse_switch(option, value):
    number = switch_number(value, dict(option.values))
    if number is None:
        raise _invalid(option, value)
    return str(number)


def _target_items(option, value, most):
    """The items of a target list given as a list or a comma-separated string."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise OptionValueError(
            f"expected {option.allowed()} (a list, or a comma-separated string), "
            f"got {type(value).__name__}"
        )
    if not items or items == [""]:
        raise OptionValueError(f"empty: expected {option.allowed()}; or leave the option out")
    if len(items) > most:
        raise OptionValueError(f"{len(items)} targets: the kernel takes at most {most}")
    return items


def _target_list(option, value, most, what, parse_target):
    """The targets of ``value`` as the kernel's comma-separated text: each parsed by
    ``parse_target`` (its canonical text, or OptionValueError), none twice."""
    targets = []
    for item in _target_items(option, value, most):
        address = parse_target(item)
        if address in targets:
            raise OptionValueError(f"{what} target {describe(item)} is given twice")
        targets.append(address)
    return ",".join(targets)


def _arp_target(item):
    address = parse_ipv4(item, "an IPv4 address")
    problem = host_address_problem(address)
    if problem:
        raise OptionValueError(f"ARP target {describe(item)} {problem}; expected a unicast address")
    return str(address)


def _parse_ipv4_list(option, value):
    return _target_list(option, value, MAX_ARP_TARGETS, "ARP", _arp_target)


def _parse_ipv6_list(option, value):
    def ns_target(item):
        address = parse_ipv6(item)
        # What bond_is_ip6_target_ok (bond_options.c) refuses: the kernel probes each
        # target with a neighbour solicitation of its own.
        if address.is_unspecified or address.is_loopback or address.is_multicast:
            raise OptionValueError(f"NS target {describe(item)} is not a unicast address; "
                                   f"expected {option.allowed()}")
        return str(address)
    return _target_list(option, value, MAX_NS_TARGETS, "NS", ns_target)


def _parse_ifname(option, value):
    problem = ifname_problem(value)
    if problem:
        raise OptionValueError(problem)
    return value


def _parse_mac(option, value):
    octets = mac_octets(value)
    if octets is None:
        raise _invalid(option, value)
    if octets[0] & 1:
        raise OptionValueError(f"{describe(value)} is a multicast MAC; expected {option.allowed()}")
    if not any(octets):
        raise OptionValueError(
            f"{describe(value)} is all zeros (the kernel then uses the bond's own MAC; "
            f"leave the option out for that); expected {option.allowed()}"
        )
    return value.lower()


_PARSERS = {
    "int": _parse_int,
    "enum": _parse_enum,
    "switch": _parse_switch,
    "ipv4_list": _parse_ipv4_list,
    "ipv6_list": _parse_ipv6_list,
    "ifname": _parse_ifname,
    "mac": _parse_mac,
}
