"""Validate the whole bonding pillar before anything is written.

:func:`validate` returns a :class:`~salt_bonding.model.Config` or raises one
:class:`~salt_bonding.errors.UserError` listing every problem, each with its
pillar path (``bonding:bonds:bond0:miimon``), the bad value and what is allowed.
Warnings (configurations the kernel takes but that are known to bite) come
back in the result, never as errors.

Decisions worth knowing:
- ``mode`` and ``slaves`` are required; an empty ``slaves`` list is allowed
  (the kernel creates a bond without slaves), with a warning.
- Neither miimon nor arp_interval on is a warning, not an error: the kernel
  accepts it but then never notices a failed slave. In 802.3ad, balance-tlb
  and balance-alb the kernel turns miimon on (100 ms) by itself when unset.
- A key set to null is unset (pillar merging cannot delete keys), except the
  required mode and slaves.
- Removing every bond takes an explicit ``bonds: {}``. A missing pillar, a
  missing ``bonds`` key (a minion that matches no host entry and got only
  the defaults) and ``bonds:`` left null (every bond commented out) are
  errors, so that no accident ever removes a host's bonds.
- One pillar, one network (README, "One pillar, one network"): what one
  reader of the files (initscripts, NetworkManager) or the kernel back-end
  would take differently from another is refused, not warned about: an
  address without its prefix, a gateway off the link, scope ids, DNS of a
  family the interface has no address of, a link monitor left to each
  reader's default, two default routes, an address twice.
  tests/functional/test_one_meaning.py holds every accepted pillar to it.
"""

import ipaddress
import re

from . import choices, modes
from .errors import UserError
from .model import Bond, Config, Verify, Vlan, ipv6_method
from .names import (
    bond_name_problem,
    bond_name_warning,
    ifname_problem,
    slave_name_problem,
    vlan_device,
    vlan_parent,
)
from .options import NOT_SUPPORTED, OPTIONS, SAME_PARAMETER, TABLE, module_params, parse_mode
from .render.ifcfg import extra_key_problem, site_key_problem
from .values import (
    InvalidValue,
    describe,
    domain_problem,
    host_address_problem,
    is_contiguous_netmask,
    is_int,
    mac_octets,
    parse_decimal,
    parse_flag,
    parse_ip,
    parse_ipv4,
    parse_ipv6_interface,
    parse_unscoped_ip,
    plain,
    scope_id,
    suggest,
    text_problem,
    type_name,
)

BOOTPROTOS = ("none", "static", "dhcp")
TOP_KEYS = ("format", "networkmanager", "modprobe_options", "activate", "allow_cutoff",
            "rollback_after", "bonds")
VERIFY_KEYS = ("ping", "master", "timeout")
VERIFY_TIMEOUT_RANGE = (1, 300)  # seconds; the default is 5
DEFAULT_VERIFY_TIMEOUT = 5
# Seconds the rollback timer of an activating run waits before it puts the host back
# (unless the run disarms it): 0 turns it off.
ROLLBACK_AFTER_RANGE = (0, 3600)
IPV6_KEYS = ("ipv6init", "ipv6addr", "ipv6_defaultgw", "ipv6_autoconf", "dhcpv6c")
INTERFACE_KEYS = ("onboot", "bootproto", "ipaddr", "prefix", "netmask", "gateway", "mtu",
                  *IPV6_KEYS, "dns", "domain", "ifcfg", "ifcfg_site")
MAX_DNS = 3  # resolv.conf's MAXNS: the resolver reads three nameservers
BOND_KEYS = ("slaves", "macaddr", "vlans", "activate", "verify", "rollback_after", *INTERFACE_KEYS)
MTU_RANGE = (68, 65535)  # ETH_MIN_MTU .. ETH_MAX_MTU
DEFAULT_MTU = 1500
IPV6_MIN_MTU = 1280  # IPV6_MIN_MTU: below it the kernel turns IPv6 off on a link
LINK_LOCAL_V4 = ipaddress.IPv4Network("169.254.0.0/16")
VLAN_ID_RANGE = (1, 4094)


class _Findings:
    """Errors and warnings gathered while walking the pillar."""

    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, path, message):
        self.errors.append((path, message))

    def warn(self, path, message):
        self.warnings.append(f"{path}: {message}")

    def raise_if_any(self):
        if self.errors:
            raise UserError(self.errors)


def _check_keys(mapping, allowed, path, findings, word="key"):
    """Report every key of ``mapping`` not in ``allowed``, with the closest match."""
    for key in mapping:
        if key in allowed:
            continue
        if key in NOT_SUPPORTED and word == "option":
            reason = NOT_SUPPORTED[key]
            findings.error(f"{path}:{key}", f"option '{key}' is not supported here: {reason}")
            continue
        if not isinstance(key, str):
            findings.error(
                _key_path(path, key),
                f"{word} {describe(key)} in {path} is not a string; allowed: "
                + ", ".join(allowed),
            )
            continue
        hint = suggest(key, allowed)
        findings.error(f"{path}:{key}", f"unknown {word} {describe(key)} in {path}{hint}")


def _present(mapping, keep=()):
    """``mapping`` without null values: pillar merging cannot delete a key, so null means unset."""
    return {key: value for key, value in mapping.items() if value is not None or key in keep}


def _key_path(path, key):
    return f"{path}:{key if isinstance(key, str) else describe(key)}"


def _optional_mapping(value, path, findings, what):
    """``value`` when it is a dict, {} when it is None; otherwise report it and return {}."""
    if value is None:
        return {}
    return _mapping(value, path, findings, what) or {}


def _mapping(value, path, findings, what):
    """``value`` when it is a dict; otherwise report it and return None."""
    if isinstance(value, dict):
        return value
    got = "nothing (null)" if value is None else f"{type_name(value)} {describe(value)}"
    findings.error(path, f"expected {what}, got {got}")
    return None


def _bounded_int(value, bounds, path, findings, what):
    number = parse_decimal(value)
    low, high = bounds
    if number is None or not low <= number <= high:
        findings.error(path, f"invalid {what} {describe(value)}: expected an integer {low}-{high}")
        return None
    return number


def _address(value, path, findings, what):
    try:
        address = parse_ipv4(value, "an IPv4 address")
    except InvalidValue as exc:
        findings.error(path, f"invalid {what}: {exc}")
        return None
    problem = host_address_problem(address)
    if problem:
        findings.error(path, f"invalid {what}: {value} {problem}; expected a unicast address")
        return None
    return address


def _netmask(value, path, findings):
    try:
        mask = parse_ipv4(value, "a netmask")
    except InvalidValue as exc:
        findings.error(path, f"invalid netmask: {exc}")
        return None
    if not is_contiguous_netmask(mask):
        findings.error(
            path, f"invalid netmask {value}: its one bits are not contiguous (e.g. 255.255.255.0)"
        )
        return None
    return mask


def _ifcfg_extras(value, path, findings, key_problem=extra_key_problem):
    """Extra ifcfg keys: names like ETHTOOL_OPTS, values free text (bools as yes/no)."""
    extras = _optional_mapping(value, path, findings, "a mapping of extra ifcfg keys to values")
    result = {}
    for key, raw in _present(extras).items():
        key_path = _key_path(path, key)
        problem = key_problem(key)
        if problem:
            findings.error(key_path, problem)
            continue
        if isinstance(raw, bool):  # YAML reads yes/no as bools; ifcfg spells them yes/no
            text = "yes" if raw else "no"
        elif is_int(raw):
            text = str(raw)
        elif isinstance(raw, str):
            text = raw
        else:
            findings.error(
                key_path,
                f"invalid value {describe(raw)} for {key}: expected a string, number or bool",
            )
            continue
        problem = text_problem(text)
        if problem:
            findings.error(key_path, f"value of {key} {problem}")
            continue
        result[key] = text
    return result


def _interface(settings, path, findings, lower_mtu=None):
    """The IP, MTU, onboot and extra-key settings shared by a bond and its VLANs.

    ``lower_mtu``: a VLAN's bond's MTU (what the VLAN has when it gives none).
    """
    onboot = _flag(settings, "onboot", path, findings)
    onboot = True if onboot is None else onboot

    addressing = _addressing(settings, path, findings)
    bootproto = _bootproto(settings, "ipaddr" in settings, path, findings)

    mtu = None
    if "mtu" in settings:
        mtu = _bounded_int(settings["mtu"], MTU_RANGE, f"{path}:mtu", findings, "mtu")

    interface = {
        "onboot": onboot,
        "bootproto": bootproto,
        **addressing,
        "mtu": mtu,
        **_ipv6(settings, path, findings),
        **_dns(settings, path, findings),
        "ifcfg": _ifcfg_extras(settings.get("ifcfg"), f"{path}:ifcfg", findings),
        "ifcfg_site": _ifcfg_extras(settings.get("ifcfg_site"), f"{path}:ifcfg_site", findings,
                                    site_key_problem),
    }
    _one_meaning(interface, settings, path, findings,
                 mtu if mtu is not None else lower_mtu or DEFAULT_MTU)
    return interface


def _one_meaning(interface, settings, path, findings, mtu):
    """What the readers of the files would take differently across the families: a DNS
    server of a family the interface does not configure and search domains on an
    interface with no IP configuration (NetworkManager refuses such a profile; the ifcfg
    file keeps them), IPv6 on a link below IPv6's minimum MTU (the kernel turns IPv6 off
    there, whoever brings it up)."""
    has_ipv4 = interface["bootproto"] == "dhcp" or interface["ipaddr"] is not None
    method = ipv6_method(interface["ipv6init"], interface["ipv6addr"],
                         interface["ipv6_autoconf"], interface["dhcpv6c"])
    # NetworkManager takes DNS settings only with an address source of that family.
    has_ipv6 = method in ("auto", "dhcp", "manual")
    ipv4_way = "ipaddr (with its prefix) or bootproto: dhcp"
    ipv6_way = "ipv6addr, ipv6_autoconf: true or dhcpv6c: true"
    for index, server in enumerate(interface["dns"]):
        is_ipv6 = ":" in server
        if (has_ipv6 if is_ipv6 else has_ipv4):
            continue
        family, way = ("IPv6", ipv6_way) if is_ipv6 else ("IPv4", ipv4_way)
        findings.error(_list_path(path, "dns", settings, index), (
            f"dns {server} is an {family} server and this interface gets no {family} address "
            f"({way} would give it one): NetworkManager drops or refuses such a server, "
            "the ifcfg file keeps it; configure that family or leave the server out"))
    if interface["domain"] and not has_ipv4 and not has_ipv6:
        findings.error(f"{path}:domain", (
            "search domains on an interface without an address: NetworkManager refuses "
            f"them there, the ifcfg file keeps them; give an address ({ipv4_way}; "
            f"{ipv6_way}) or leave domain out"))
    if method != "ignore" and mtu < IPV6_MIN_MTU:
        findings.error(f"{path}:mtu" if "mtu" in settings else path, (
            f"mtu {mtu} is below {IPV6_MIN_MTU}, IPv6's minimum, and IPv6 is configured here: "
            "the kernel turns IPv6 off on such a link; raise the mtu or leave IPv6 out"))


def _list_path(path, key, settings, index):
    """The pillar path of item ``index`` of ``key`` (given as a list, or as one value)."""
    return f"{path}:{key}:{index}" if isinstance(settings.get(key), list) else f"{path}:{key}"


def _flag(settings, key, path, findings):
    if key not in settings:
        return None
    value = parse_flag(settings[key])
    if value is None:
        findings.error(f"{path}:{key}", f"invalid {key} {describe(settings[key])}: expected "
                                        "true or false (or yes/no, on/off, 1/0)")
    return value


def _listed(value):
    """A list from one value or a list (a single address is given as a string)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _ipv6(settings, path, findings):
    """ipv6init, ipv6addr (primary first), ipv6_defaultgw, ipv6_autoconf, dhcpv6c."""
    addresses = []
    for index, raw in enumerate(_listed(settings["ipv6addr"]) if "ipv6addr" in settings else []):
        where = f"{path}:ipv6addr" + (f":{index}" if isinstance(settings["ipv6addr"], list) else "")
        try:
            text = str(parse_ipv6_interface(raw))
        except InvalidValue as exc:
            findings.error(where, f"invalid ipv6addr: {exc}")
            continue
        if text in addresses:
            findings.error(where, f"ipv6addr {text} is given twice")
            continue
        addresses.append(text)
    gateway = None
    if "ipv6_defaultgw" in settings:
        try:
            address = parse_unscoped_ip(settings["ipv6_defaultgw"], (
                "the gateway is reached through this interface, and NetworkManager 1.42 "
                "refuses a gateway with one; leave the %... out"))
            if address.version != 6 or address.is_multicast or address.is_unspecified:
                raise InvalidValue(f"{describe(settings['ipv6_defaultgw'])} is not a unicast "
                                   "IPv6 address")
            gateway = str(address)
        except InvalidValue as exc:
            findings.error(f"{path}:ipv6_defaultgw", f"invalid ipv6_defaultgw: {exc}")
    autoconf = _flag(settings, "ipv6_autoconf", path, findings)
    dhcpv6c = _flag(settings, "dhcpv6c", path, findings)
    given = [key for key in IPV6_KEYS[1:] if key in settings]
    ipv6init = _flag(settings, "ipv6init", path, findings)
    if ipv6init is False and given:
        findings.error(f"{path}:ipv6init", f"ipv6init is false but {', '.join(given)} "
                                           "configure IPv6: drop them or ipv6init")
    if autoconf and dhcpv6c:
        findings.error(f"{path}:dhcpv6c", (
            "dhcpv6c and ipv6_autoconf are both true: initscripts then run DHCPv6 beside "
            "autoconfiguration always, NetworkManager only when the router asks for it; "
            "choose one (ipv6_autoconf: true, DHCPv6 as the router says; or dhcpv6c: true "
            "with ipv6_autoconf: false)"))
    if gateway and not addresses:
        if "ipv6addr" not in settings:  # (invalid addresses: their own errors say it)
            findings.error(f"{path}:ipv6_defaultgw", (
                "ipv6_defaultgw needs a static ipv6addr: NetworkManager refuses a gateway "
                "without one (the whole profile), initscripts add it anyway; with "
                "ipv6_autoconf or dhcpv6c the router's advertisements give the default "
                "route, so leave it out"))
    elif gateway:
        _ipv6_gateway_problem(gateway, addresses, path, findings)
    return {"ipv6init": bool(ipv6init or given), "ipv6addr": addresses,
            "ipv6_defaultgw": gateway, "ipv6_autoconf": autoconf, "dhcpv6c": dhcpv6c}


def _ipv6_gateway_problem(gateway, addresses, path, findings):
    """An IPv6 gateway must be on the link: link-local, or inside one of the addresses'
    prefixes (the kernel refuses a route through any other), and not one of them."""
    address = ipaddress.IPv6Address(gateway)
    interfaces = [ipaddress.IPv6Interface(a) for a in addresses]
    if any(address == i.ip for i in interfaces):
        findings.error(f"{path}:ipv6_defaultgw", f"ipv6_defaultgw {gateway} is this interface's "
                                                 "own address; give the router's")
    elif not address.is_link_local and not any(address in i.network for i in interfaces):
        networks = ", ".join(str(i.network) for i in interfaces)
        findings.error(f"{path}:ipv6_defaultgw", (
            f"ipv6_defaultgw {gateway} is outside {networks}: the kernel has no route to it "
            "and refuses the default route (initscripts then add none); give a gateway "
            "inside them or the router's link-local (fe80::) address"))


def _dns(settings, path, findings):
    """dns: up to three IPv4/IPv6 servers; domain: search domains (a list or one string)."""
    servers = []
    raw_servers = _listed(settings["dns"]) if "dns" in settings else []
    if len(raw_servers) > MAX_DNS:
        findings.error(f"{path}:dns", f"{len(raw_servers)} servers: the resolver reads at most "
                                      f"{MAX_DNS} (resolv.conf's MAXNS)")
    for index, raw in enumerate(raw_servers[:MAX_DNS]):
        where = _list_path(path, "dns", settings, index)
        try:
            address = parse_unscoped_ip(raw, (
                "NetworkManager 1.42 drops a server with one; give a global address"))
        except InvalidValue as exc:
            findings.error(where, f"invalid dns: {exc}")
            continue
        problem = _dns_server_problem(address)
        if problem:
            findings.error(where, f"invalid dns: {raw} {problem}")
            continue
        servers.append(str(address))
    domains = []
    raw_domains = settings.get("domain", [])
    if isinstance(raw_domains, str):
        raw_domains = raw_domains.split()
    for index, raw in enumerate(_listed(raw_domains)):
        problem = domain_problem(raw)
        if problem:
            findings.error(f"{path}:domain:{index}", f"invalid domain: {problem}")
        else:
            domains.append(raw)
    return {"dns": servers, "domain": domains}


def _dns_server_problem(address):
    """Why ``address`` cannot be a DNS server of the files, or None."""
    if address.is_unspecified or address.is_multicast:
        return "is not a unicast address"
    if address.version == 6 and address.is_link_local:
        return ("is link-local: resolv.conf needs it with a scope id (%bond0), which "
                "NetworkManager 1.42 drops from its profiles and initscripts never add; give a "
                "global address")
    return None


def _addressing(settings, path, findings):
    """ipaddr, prefix or netmask, and gateway: each valid, and only with an address."""
    ipaddr = None
    has_address = "ipaddr" in settings
    if has_address:
        address = _address(settings["ipaddr"], f"{path}:ipaddr", findings, "ipaddr")
        ipaddr = None if address is None else str(address)

    prefix = netmask = gateway = None
    if "prefix" in settings:
        prefix = _bounded_int(settings["prefix"], (0, 32), f"{path}:prefix", findings, "prefix")
    if "netmask" in settings:
        mask = _netmask(settings["netmask"], f"{path}:netmask", findings)
        netmask = None if mask is None else str(mask)
    if "prefix" in settings and "netmask" in settings:
        findings.error(f"{path}:netmask", "give prefix or netmask, not both")
    if "gateway" in settings:
        address = _address(settings["gateway"], f"{path}:gateway", findings, "gateway")
        gateway = None if address is None else str(address)
    for key in ("prefix", "netmask", "gateway"):
        if key in settings and not has_address:
            findings.error(f"{path}:{key}", f"{key} needs ipaddr (a static address)")

    if ipaddr and "prefix" not in settings and "netmask" not in settings:
        first = int(ipaddr.split(".")[0])
        classful = 8 if first < 128 else 16 if first < 192 else 24
        findings.error(f"{path}:ipaddr", (
            f"ipaddr {ipaddr} has no prefix or netmask: each reader would put it in another "
            f"network (the running kernel /32, initscripts /{classful} from its class, "
            "NetworkManager /24); give prefix (e.g. prefix: 24) or netmask"))
    if ipaddr and ipaddress.IPv4Address(ipaddr) in LINK_LOCAL_V4:
        findings.error(f"{path}:ipaddr", (
            f"ipaddr {ipaddr} is link-local (169.254.0.0/16): NetworkManager gives such an "
            "address link scope, initscripts and the kernel back-end global scope; give a "
            "routable address"))
    if ipaddr and gateway and (prefix is not None or netmask is not None):
        _gateway_problem(ipaddr, prefix if prefix is not None else netmask, gateway, path,
                         findings)

    return {"ipaddr": ipaddr, "prefix": prefix, "netmask": netmask, "gateway": gateway}


def _gateway_problem(ipaddr, mask, gateway, path, findings):
    """An IPv4 gateway must be another host of the address's own network: initscripts add
    the default route only then, the kernel refuses one through any other address."""
    network = ipaddress.IPv4Network(f"{ipaddr}/{mask}", strict=False)
    address = ipaddress.IPv4Address(gateway)
    way = f"give the router's address inside {network}"
    if address not in network:
        problem, way = f"is outside {network}", f"{way}, or the prefix that contains it"
    elif str(address) == ipaddr:
        problem = "is this interface's own address"
    elif network.prefixlen < 31 and address in (network.network_address,
                                                 network.broadcast_address):
        which = "network" if address == network.network_address else "broadcast"
        problem = f"is the {which} address of {network}"
    else:
        return
    findings.error(f"{path}:gateway", (
        f"gateway {gateway} {problem}: initscripts add no default route through it and the "
        f"kernel refuses one; {way}"))


def _bootproto(settings, has_address, path, findings):
    """none/static/dhcp; static by default when an address is given, else none."""
    default = "static" if has_address else "none"
    raw = settings.get("bootproto", default)
    value = raw.lower() if isinstance(raw, str) else raw
    if value not in BOOTPROTOS:
        hint = suggest(value, BOOTPROTOS)
        findings.error(
            f"{path}:bootproto",
            f"invalid bootproto {describe(raw)}: expected one of {', '.join(BOOTPROTOS)}{hint}",
        )
        return default
    if value == "dhcp" and has_address:
        findings.error(f"{path}:bootproto", "bootproto dhcp with ipaddr: drop ipaddr or use static")
    if value == "static" and not has_address:
        findings.error(f"{path}:bootproto", "bootproto static needs ipaddr")
    return value


def _slaves(bond_value, name, path, findings):
    """(the valid slaves in pillar order, whether the whole list was valid)."""
    if "slaves" not in bond_value:
        findings.error(path, "missing slaves: a list of interface names, e.g. [eth0, eth1]")
        return [], False
    path = f"{path}:slaves"
    slaves = bond_value["slaves"]
    if not isinstance(slaves, list):
        findings.error(
            path,
            f"invalid slaves {describe(slaves)}: expected a list of interface names, "
            "e.g. [eth0, eth1]",
        )
        return [], False
    result = []
    for index, slave in enumerate(slaves):
        problem = slave_name_problem(slave, name)
        if problem:
            findings.error(f"{path}:{index}", problem)
        elif slave in result:
            findings.error(f"{path}:{index}", f"slave {slave} is listed twice")
        else:
            result.append(slave)
    return result, len(result) == len(slaves)


def _options(bond_value, mode, path, findings):
    """Parse every given option (TABLE order); return (canonical, failed names)."""
    given, failed = {}, set()
    for option in TABLE[1:]:  # TABLE[0] is mode, handled by the caller
        if option.name not in bond_value:
            continue
        option_path = f"{path}:{option.name}"
        try:
            value = option.parse(bond_value[option.name])
        except InvalidValue as exc:
            findings.error(option_path, str(exc))
            failed.add(option.name)
            continue
        if mode is not None and mode not in option.modes:
            findings.error(
                option_path,
                f"{option.name} has effect only in {_modes_phrase(option.modes)}; "
                f"this bond is {mode}",
            )
            failed.add(option.name)
            continue
        given[option.name] = value
    return given, failed


def _modes_phrase(modes):
    return ("mode " if len(modes) == 1 else "modes ") + ", ".join(modes)


def _monitor_rules(given, failed, mode, path, findings):
    """miimon vs arp_interval, what each needs, and delays as multiples of miimon."""
    if {"miimon", "arp_interval"} & failed:
        return  # the values the rules compare are unknown
    miimon_given = int(given["miimon"]) if "miimon" in given else None
    miimon = modes.effective_miimon(mode, miimon_given)
    arp_interval = int(given.get("arp_interval", 0))
    monitors = {"miimon": miimon, "arp_interval": arp_interval}
    if miimon and arp_interval:
        findings.error(
            f"{path}:arp_interval",
            f"arp_interval {arp_interval} and miimon {miimon} are both on; the kernel runs "
            "one link monitor: set one of them to 0 or leave it out",
        )
        return
    if miimon_given is None and not arp_interval and mode in modes.ARP_MODES:
        findings.error(f"{path}:miimon", (
            f"missing: without miimon or arp_interval the kernel and initscripts run no link "
            f"monitor in {mode}, NetworkManager runs miimon 100; say which (miimon: 100 is a "
            "good start; miimon: 0 for none, or arp_interval with arp_ip_target)"))
    if arp_interval and "arp_ip_target" not in given and "arp_ip_target" not in failed:
        findings.error(
            f"{path}:arp_interval",
            f"arp_interval {arp_interval} needs arp_ip_target, the addresses the ARP "
            "monitor probes",
        )
    for name, value in given.items():
        option = OPTIONS[name]
        if option.needs and not monitors[option.needs]:
            findings.error(
                f"{path}:{name}",
                f"{name} needs {option.needs} (non-zero); it works only with that link monitor",
            )
        elif option.miimon_multiple and int(value) % miimon:
            origin = "" if miimon_given is not None else f" (the kernel's default in {mode})"
            findings.error(
                f"{path}:{name}",
                f"{name} {value} is not a multiple of miimon {miimon}{origin}; the kernel "
                f"would round it down to {int(value) // miimon * miimon}",
            )
    if not miimon and not arp_interval:
        findings.warn(
            path,
            "no link monitoring (miimon and arp_interval are 0 or unset): the kernel will "
            "not notice a failed slave; miimon: 100 is a good start",
        )


def skipped_arp_target(targets):
    """``(target, the ones before it)`` of the first ARP target initscripts would not set,
    or None: ``install_bonding_driver`` adds each only when ``grep -q <target>`` finds
    nothing in the bond's arp_ip_target file (the targets already set, between blanks),
    and grep reads the target as a regular expression ('.' is any character): 192.0.2.1
    after 192.0.2.10 is never set."""
    for index, target in enumerate(targets):
        if re.search(target, " ".join(targets[:index])):
            return target, targets[:index]
    return None


def _cross_option_rules(given, slaves, slaves_ok, path, findings):
    targets = given["arp_ip_target"].split(",") if "arp_ip_target" in given else []
    skipped = skipped_arp_target(targets)
    if skipped:
        target, before = skipped
        fixed = sorted(targets, key=lambda t: (len(t), t))
        way = (f"list them as {', '.join(fixed)}" if not skipped_arp_target(fixed)
               else "leave one of them out")
        findings.error(f"{path}:arp_ip_target", (
            f"ARP target {target} is found in {' '.join(before)} given before it: "
            "initscripts' ifup then never sets it (grep, with '.' any character), "
            f"NetworkManager and the kernel back-end do; {way}"))
    if "primary" in given and slaves_ok and given["primary"] not in slaves:
        findings.error(
            f"{path}:primary",
            f"primary {given['primary']} is not one of the slaves ({', '.join(slaves) or 'none'})",
        )
    for first, second in SAME_PARAMETER:
        if first in given and second in given and given[first] != given[second]:
            findings.error(
                f"{path}:{second}",
                f"{first} {given[first]} and {second} {given[second]} set the same kernel "
                "parameter; give one, or the same value",
            )
    if "min_links" in given and slaves_ok and int(given["min_links"]) > len(slaves):
        findings.warn(
            path,
            f"min_links {given['min_links']} is more than the {len(slaves)} slaves: "
            "the bond will never have carrier",
        )


def _vlans(value, name, mode, bond_mtu, path, findings):
    vlans = _optional_mapping(value, path, findings, "a mapping of VLAN ids (1-4094) to settings")
    result = {}
    for key, settings in vlans.items():
        vlan_path = _key_path(path, key)
        vid = parse_decimal(key)
        low, high = VLAN_ID_RANGE
        if vid is None or not low <= vid <= high:
            findings.error(vlan_path, f"invalid VLAN id {describe(key)}: expected {low}-{high}")
            continue
        if vid in result:
            findings.error(vlan_path, f"VLAN {vid} is given twice")
            continue
        device = vlan_device(name, vid)
        problem = ifname_problem(device)
        if problem:
            findings.error(vlan_path, f"VLAN device name: {problem}")
            continue
        if settings is None:  # `100:` alone in YAML: a VLAN without addresses
            settings = {}
        if _mapping(settings, vlan_path, findings, "a mapping of VLAN settings") is None:
            continue
        _check_keys(settings, INTERFACE_KEYS, vlan_path, findings)
        settings = _present(settings)
        lower_mtu = bond_mtu or DEFAULT_MTU
        interface = _interface(settings, vlan_path, findings, lower_mtu)
        if interface["mtu"] is not None and interface["mtu"] > lower_mtu:
            findings.error(
                f"{vlan_path}:mtu",
                f"VLAN mtu {interface['mtu']} is larger than the bond's mtu {lower_mtu}",
            )
        result[vid] = Vlan(vid=vid, device=device, **interface)
    if result and mode == "balance-rr":
        findings.warn(
            path,
            "VLANs over balance-rr are known to misbehave; active-backup is the usual fix",
        )
    return dict(sorted(result.items()))


def _choice(key, value, path, findings):
    """``value`` as one of the top-level choices of ``key`` (``choices.CHOICES``), or None
    (an error is recorded)."""
    choice, problem = choices.parse(key, value)
    if problem:
        findings.error(path, problem)
    return choice


def _verify(value, devices, path, findings):
    """``verify: {ping: <address>, master: <bool>, timeout: <seconds>}`` as a model.Verify,
    or None.

    ``devices``: the bond and its VLAN devices, the only scopes a link-local address
    to ping through the bond can have (``fe80::1%bond0``)."""
    if _mapping(value, path, findings, "a mapping with ping (an address), master (true: "
                                        "a request to the Salt master) and timeout "
                                        "(seconds)") is None:
        return None
    _check_keys(value, VERIFY_KEYS, path, findings)
    master = _flag(value, "master", path, findings)
    if master is None and value.get("master") is not None:
        return None  # invalid: said
    master = bool(master)
    address = None
    if value.get("ping") is not None:
        address = _ping_address(value["ping"], devices, f"{path}:ping", findings)
        if address is None:
            return None
    elif not master:
        findings.error(f"{path}:ping", "missing ping: the address the host must reach through "
                                       "the bond (its gateway, its Salt master), or master: "
                                       "true")
        return None
    timeout = DEFAULT_VERIFY_TIMEOUT
    if value.get("timeout") is not None:
        timeout = _bounded_int(value["timeout"], VERIFY_TIMEOUT_RANGE, f"{path}:timeout",
                               findings, "timeout (seconds)")
    return None if timeout is None else Verify(ping=address, timeout=timeout, master=master)


def _ping_address(value, devices, path, findings):
    """``verify: ping``'s address as text (with its scope), or None with a finding."""
    try:
        parsed = parse_ip(value)
    except InvalidValue as exc:
        findings.error(path, f"invalid ping: {exc}")
        return None
    address, scope = str(parsed), scope_id(parsed)
    where = " or ".join(f"%{device}" for device in devices)
    if scope is not None and (not parsed.is_link_local or scope not in devices):
        findings.error(path, (
            f"invalid ping {describe(value)}: a scope id names the interface a "
            f"link-local (fe80::) address is reached through, here {where}"))
        return None
    if scope is None and parsed.version == 6 and parsed.is_link_local:
        findings.error(path, (
            f"invalid ping {address}: a link-local address is on every link; say which, "
            f"{address}{where.split(' or ')[0]}"))
        return None
    return address


def _rollback_after(mapping, path, findings):
    """``rollback_after`` (seconds, 0: off) of ``mapping``; None when left out or invalid."""
    if mapping.get("rollback_after") is None:
        return None
    return _bounded_int(mapping["rollback_after"], ROLLBACK_AFTER_RANGE,
                        f"{path}:rollback_after", findings,
                        "rollback_after (seconds until the rollback timer puts the host "
                        "back unless the run verified; 0: no timer)")


def _bond(name, bond_value, path, findings):
    """One bond's normalised settings (partial when there are errors)."""
    problem = bond_name_problem(name) if isinstance(name, str) else (
        f"bond name {describe(name)} is not a string"
    )
    if problem:
        findings.error(path, problem)
        name = str(name)
    elif bond_name_warning(name):
        findings.warn(path, bond_name_warning(name))
    what = "a mapping of bond settings (mode, slaves, ...)"
    if _mapping(bond_value, path, findings, what) is None:
        return None
    _check_keys(bond_value, (*OPTIONS, *BOND_KEYS), path, findings, word="option")
    bond_value = _present(bond_value, keep=("mode", "slaves"))

    mode = None
    if "mode" not in bond_value:
        findings.error(
            path, "missing mode: one of " + ", ".join(modes.MODES) + " (or 0-6)"
        )
    else:
        try:
            mode = parse_mode(bond_value["mode"])
        except InvalidValue as exc:
            findings.error(f"{path}:mode", str(exc))

    slaves, slaves_ok = _slaves(bond_value, name, path, findings)
    if slaves_ok and not slaves:
        findings.warn(path, "the bond has no slaves")

    given, failed = _options(bond_value, mode, path, findings)
    if mode is not None:
        _monitor_rules(given, failed, mode, path, findings)
    _cross_option_rules(given, slaves, slaves_ok, path, findings)

    macaddr = _macaddr(bond_value.get("macaddr"), f"{path}:macaddr", findings)
    interface = _interface(bond_value, path, findings)
    vlans = _vlans(bond_value.get("vlans"), name, mode, interface["mtu"], f"{path}:vlans", findings)
    activate = None
    if bond_value.get("activate") is not None:
        activate = _choice("activate", bond_value["activate"], f"{path}:activate", findings)
    verify = None
    if bond_value.get("verify") is not None:
        devices = [name, *(vlan.device for vlan in vlans.values())]
        verify = _verify(bond_value["verify"], devices, f"{path}:verify", findings)
    rollback_after = _rollback_after(bond_value, path, findings)
    return Bond(name=name, mode=mode, options=given, slaves=slaves, macaddr=macaddr, vlans=vlans,
                activate=activate, verify=verify, rollback_after=rollback_after, **interface)


def _macaddr(value, path, findings):
    """The bond's MAC address, lowercase; None when not given (or invalid: an error)."""
    if value is None:
        return None
    octets = mac_octets(value)
    allowed = "a unicast MAC address such as 02:00:00:00:00:01"
    if octets is None:
        # YAML 1.1 reads an unquoted 12:34:56:00:00:10 as a base-60 number.
        hint = "; quote it in YAML" if is_int(value) else ""
        findings.error(path, f"invalid MAC address {describe(value)}: expected {allowed}{hint}")
    elif octets[0] & 1 or not any(octets):
        kind = "a multicast MAC" if octets[0] & 1 else "all zeros"
        findings.error(path, f"{describe(value)} is {kind}: expected {allowed}")
    else:
        return ":".join(f"{octet:02x}" for octet in octets)
    return None


def _unverified(bond, top_activate, path, findings):
    """``verify`` runs after activation only: a warning where the bond is not brought live."""
    if bond is not None and bond.verify is not None and (
            bond.activate or top_activate) == "none":
        findings.warn(f"{path}:verify", "ignored: verify runs after a bond is brought live, "
                                        "and this bond's activate is none (files only); set "
                                        "activate (kernel, ifup or nmcli) to have it run, or "
                                        "drop verify")


def validate_bond(name, bond_value, path=None, warnings=None):
    """One bond's settings as a :class:`~salt_bonding.model.Bond`, or UserError.

    For ``bond.managed``: the same rules as :func:`validate` without the
    cross-bond ones. ``path``: where the bond's settings are, for messages
    (default ``bonding:bonds:<name>``). Warnings are appended to ``warnings``
    when a list is given.
    """
    findings = _Findings()
    path = path or f"bonding:bonds:{name}"
    bond = _bond(name, plain(bond_value), path, findings)
    if bond is not None:
        _one_route_one_owner(_interfaces(bond, path), findings)
    _unverified(bond, "none", path, findings)  # bond.managed has no top-level activate
    findings.raise_if_any()
    if warnings is not None:
        warnings.extend(findings.warnings)
    return bond


def _interfaces(bond, path):
    """``[(pillar path, interface)]`` of a bond at ``path`` and its VLANs."""
    return [(path, bond)] + [(f"{path}:vlans:{vid}", vlan) for vid, vlan in bond.vlans.items()]


def _one_route_one_owner(interfaces, findings):
    """One default route per family, and each address on one interface: initscripts
    replace the default route with each interface they bring up (the last wins, as with
    the kernel back-end, whose verification then fails) while NetworkManager keeps one per
    interface; initscripts refuse an address another interface holds (arping -D) where the
    kernel and NetworkManager take it twice."""
    first = {}
    for where, interface in interfaces:
        for key in ("gateway", "ipv6_defaultgw"):
            if getattr(interface, key) is None:
                continue
            if key in first:
                findings.error(f"{where}:{key}", (
                    f"a second default route ({first[key]} has one): initscripts and the "
                    "kernel back-end keep only the last one brought up, NetworkManager both; "
                    "give one gateway per family"))
            else:
                first[key] = where
        addresses = ([interface.ipaddr] if interface.ipaddr else []) + [
            text.split("/")[0] for text in interface.ipv6addr]
        for address in addresses:
            holder = first.setdefault(("address", address), where)
            if holder != where:
                findings.error(where, (
                    f"address {address} is {holder}'s too: initscripts refuse an address "
                    "another interface holds (arping -D), the kernel and NetworkManager take "
                    "it twice; give each interface its own"))


def _cross_bond_rules(bonds, bonds_value, path, findings):
    """A slave in one bond only; no slave that is a bond or a bond's VLAN device."""
    owner = {}
    vlan_devices = {
        vlan.device: name for name, bond in bonds.items() for vlan in bond.vlans.values()
    }
    for name, bond in bonds.items():
        for slave in bond.slaves:
            # The index in the pillar's list: invalid entries before it were dropped.
            index = bonds_value[name]["slaves"].index(slave)
            slave_path = f"{path}:{name}:slaves:{index}"
            if slave in bonds:
                findings.error(slave_path, f"slave {slave} is itself a bond in {path}")
            elif slave in vlan_devices:
                findings.error(
                    slave_path, f"slave {slave} is a VLAN device of bond {vlan_devices[slave]}"
                )
            elif slave in owner:
                findings.error(
                    slave_path,
                    f"slave {slave} is already a slave of {owner[slave]}; a slave belongs to "
                    "one bond only",
                )
            else:
                owner[slave] = name
    # A VLAN on a card that one of these bonds enslaves carries nothing: the card's
    # frames go to the bond.
    for name, bond in bonds.items():
        for slave in bond.slaves:
            parent = vlan_parent(slave)
            if slave in vlan_devices or slave in bonds:
                continue  # said above
            if parent in owner or parent in bonds:
                index = bonds_value[name]["slaves"].index(slave)
                whose = f"a slave of bond {owner[parent]}" if parent in owner else "a bond"
                findings.error(
                    f"{path}:{name}:slaves:{index}",
                    f"slave {slave} is a VLAN on {parent}, which is {whose} here; a VLAN "
                    "on an enslaved card carries no traffic (put the VLAN on the bond: vlans)",
                )


def _modprobe_warnings(bonds, path, findings):
    if len(bonds) > 1:
        findings.warn(
            f"{path}:modprobe_options",
            f"{len(bonds)} bonds: module options apply to every bond the module creates, "
            "so the first bond loaded sets them for all",
        )
    for name, bond in bonds.items():
        _, left_out = module_params(bond.options)
        if left_out:
            findings.warn(
                f"{path}:bonds:{name}",
                f"not bonding module parameters, left out of the modprobe options: "
                f"{', '.join(left_out)} (they stay in BONDING_OPTS)",
            )


REMOVE_ALL_HINT = "to remove every bond this module manages on purpose, set bonds: {}"


def _no_accidental_removal(top, path, findings):
    """``bonds`` must be given: only ``bonds: {}`` says "no bonds on this host"."""
    if "bonds" not in top:
        findings.error(
            f"{path}:bonds",
            "missing: this minion's pillar has no bonds (does its minion id match a host "
            f"entry in the pillar top file?); {REMOVE_ALL_HINT}",
        )
    elif top["bonds"] is None:
        findings.error(
            f"{path}:bonds",
            f"is null (were all its bonds commented out?); {REMOVE_ALL_HINT}",
        )


def _top_flag(top, key, path, findings, meaning):
    """A top-level true/false key (false when left out); a finding naming it when it is
    something else."""
    value = parse_flag(top.get(key, False))
    if value is None:
        findings.error(f"{path}:{key}", f"invalid value {describe(top[key])}: expected true "
                                        f"or false {meaning}")
        return False
    return value


def validate(pillar_value, pillar_key="bonding"):
    """The whole pillar value as a :class:`~salt_bonding.model.Config`, or one UserError.

    ``bonds`` maps each bond name (sorted) to a :class:`~salt_bonding.model.Bond`;
    the warnings are in ``warnings``.
    """
    findings = _Findings()
    path = pillar_key
    pillar_value = plain(pillar_value)  # Salt 3008's masked pillar, as plain data
    if pillar_value is None:
        findings.error(
            path,
            "no pillar data for this minion (does its minion id match a host entry in the "
            f"pillar top file?); expected a mapping with 'bonds' ({REMOVE_ALL_HINT})",
        )
        findings.raise_if_any()
    top = _mapping(pillar_value, path, findings, "a mapping with networkmanager, "
                   "modprobe_options and bonds")
    if top is None:
        findings.raise_if_any()
    _check_keys(top, TOP_KEYS, path, findings)
    _no_accidental_removal(top, path, findings)
    top = _present(top)

    # Left out: format auto, activate none; networkmanager None (platform.choose decides).
    chosen = {key: _choice(key, top[key], f"{path}:{key}", findings) if key in top else None
              for key in choices.CHOICES}

    modprobe_options = _top_flag(top, "modprobe_options", path, findings,
                                 "(or yes/no, on/off, 1/0)")
    allow_cutoff = _top_flag(top, "allow_cutoff", path, findings, (
        "(true: this run may remove or re-address what the host is reached through now)"))
    rollback_after = _rollback_after(top, path, findings)

    bonds = {}
    bonds_value = top.get("bonds", {})
    bonds_path = f"{path}:bonds"
    what = "a mapping of bond names to settings"
    if _mapping(bonds_value, bonds_path, findings, what) is not None:
        names = [name for name in bonds_value if isinstance(name, str)]
        for name in bonds_value:
            if not isinstance(name, str):
                findings.error(
                    _key_path(bonds_path, name), f"bond name {describe(name)} is not a string"
                )
        for name in sorted(names):
            bond = _bond(name, bonds_value[name], f"{bonds_path}:{name}", findings)
            _unverified(bond, chosen["activate"] or "none", f"{bonds_path}:{name}", findings)
            if bond is not None:
                bonds[name] = bond
        _cross_bond_rules(bonds, bonds_value, bonds_path, findings)
        _one_route_one_owner([pair for name, bond in bonds.items()
                              for pair in _interfaces(bond, f"{bonds_path}:{name}")], findings)
    if modprobe_options:
        _modprobe_warnings(bonds, path, findings)

    findings.raise_if_any()
    return Config(format=chosen["format"] or "auto", networkmanager=chosen["networkmanager"],
                  modprobe_options=modprobe_options, activate=chosen["activate"] or "none",
                  allow_cutoff=allow_cutoff, rollback_after=rollback_after, bonds=bonds,
                  warnings=findings.warnings)
