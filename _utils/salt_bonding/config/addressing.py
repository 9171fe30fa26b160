"""An interface's IP settings in the pillar: a bond's and each of its VLANs'.

Addresses with their prefixes, gateways on the link, IPv6, DNS, the MTU, onboot and
extra ifcfg keys, each checked so that every reader of the files (initscripts,
NetworkManager) and the kernel back-end take it alike (README, "One pillar, one network").
"""

import ipaddress

from ..render.ifcfg import extra_key_problem, site_key_problem
from . import checks
from .model import ipv6_method
from .values import (
    InvalidValue,
    describe,
    domain_problem,
    host_address_problem,
    is_contiguous_netmask,
    is_int,
    parse_ipv4,
    parse_ipv6_interface,
    parse_unscoped_ip,
    suggest,
    text_problem,
)

BOOTPROTOS = ("none", "static", "dhcp")
IPV6_KEYS = ("ipv6init", "ipv6addr", "ipv6_defaultgw", "ipv6_autoconf", "dhcpv6c")
INTERFACE_KEYS = ("onboot", "bootproto", "ipaddr", "prefix", "netmask", "gateway", "mtu",
                  *IPV6_KEYS, "dns", "domain", "ifcfg", "ifcfg_site")
MAX_DNS = 3  # resolv.conf's MAXNS: the resolver reads three nameservers
MTU_RANGE = (68, 65535)  # ETH_MIN_MTU .. ETH_MAX_MTU
DEFAULT_MTU = 1500
IPV6_MIN_MTU = 1280  # IPV6_MIN_MTU: below it the kernel turns IPv6 off on a link
LINK_LOCAL_V4 = ipaddress.IPv4Network("169.254.0.0/16")


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
    extras = checks.optional_mapping(value, path, findings,
                                     "a mapping of extra ifcfg keys to values")
    result = {}
    for key, raw in checks.present(extras).items():
        key_path = checks.key_path(path, key)
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


def parse_interface(settings, path, findings, lower_mtu=None):
    """The IP, MTU, onboot and extra-key settings shared by a bond and its VLANs.

    ``lower_mtu``: a VLAN's bond's MTU (what the VLAN has when it gives none).
    """
    onboot = checks.flag(settings, "onboot", path, findings)
    onboot = True if onboot is None else onboot

    addressing = _addressing(settings, path, findings)
    bootproto = _bootproto(settings, "ipaddr" in settings, path, findings)

    mtu = None
    if "mtu" in settings:
        mtu = checks.bounded_int(settings["mtu"], MTU_RANGE, f"{path}:mtu", findings, "mtu")

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
        findings.error(checks.list_path(path, "dns", settings, index), (
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


def _ipv6(settings, path, findings):
    """ipv6init, ipv6addr (primary first), ipv6_defaultgw, ipv6_autoconf, dhcpv6c."""
    addresses = []
    given = checks.listed(settings["ipv6addr"]) if "ipv6addr" in settings else []
    for index, raw in enumerate(given):
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
    autoconf = checks.flag(settings, "ipv6_autoconf", path, findings)
    dhcpv6c = checks.flag(settings, "dhcpv6c", path, findings)
    given = [key for key in IPV6_KEYS[1:] if key in settings]
    ipv6init = checks.flag(settings, "ipv6init", path, findings)
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
    raw_servers = checks.listed(settings["dns"]) if "dns" in settings else []
    if len(raw_servers) > MAX_DNS:
        findings.error(f"{path}:dns", f"{len(raw_servers)} servers: the resolver reads at most "
                                      f"{MAX_DNS} (resolv.conf's MAXNS)")
    for index, raw in enumerate(raw_servers[:MAX_DNS]):
        where = checks.list_path(path, "dns", settings, index)
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
    for index, raw in enumerate(checks.listed(raw_domains)):
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
        prefix = checks.bounded_int(settings["prefix"], (0, 32), f"{path}:prefix", findings,
                                    "prefix")
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
