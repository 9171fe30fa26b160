"""One pillar, one network: generated pillars with the network they mean, and what each
reader of our files (or the kernel back-end) makes of them, in one comparable shape.

A *meaning* is ``{device: profile}``, the network a pillar states, device by device:

- a bond: ``{"kind": "bond", "mode", "options", "onboot", "mtu", "ipv4", "ipv6", "dns4",
  "dns6", "search"}``; ``options`` holds every option of the mode as the kernel would run
  it (the ones pillar leaves out at the kernel's default);
- a port: ``{"kind": "port", "master", "onboot"}``;
- a VLAN: ``{"kind": "vlan", "parent", "id", ...}`` with a bond's addressing keys.

DNS servers are kept per family (``dns4``, ``dns6``), in order: NetworkManager keeps
them so (``ipv4.dns``, ``ipv6.dns``) and hands the two lists to the resolver in an
order no profile states; only initscripts keep one order across the families.

``ipv4`` is ``(method, ((address, prefix), ...), gateway)`` (method ``disabled``,
``auto`` (DHCP), ``manual``); ``ipv6`` is ``(method, ("address/prefix", ...), gateway)``
with the methods of ``model.IPV6_METHODS``, and ``auto+dhcp`` for what only initscripts
do (DHCPv6 always, beside autoconfiguration). A prefix nobody stated is ``None``; a
prefix a reader guessed is ``("guessed", n)``: neither is ever a pillar's.

:func:`cases` generates ``Case(pillar, meaning)`` over the whole schema: the meaning is
drawn first, then spelled as pillar in every way validation accepts (names in any case,
numbers as strings, yes/no/on/off, netmask for prefix, one string for a list); a case
may carry one kind of mistake that changes meaning between readers (``MISTAKES``: no
prefix, a gateway off the link, scope ids, DNS of a family the interface has no address
of, ...). The readers:

- :func:`from_keyfiles`: NetworkManager's own normalised keyfiles (``nmcli --offline``),
  with what NetworkManager does with them when it runs them, from its source: its option
  defaults (``nm-setting-bond.c``: miimon 100), link scope for 169.254.0.0/16, the
  interface as the scope of a link-local DNS server;
- :func:`from_ifcfg`: the variables bash sources from the ifcfg files, read as
  initscripts 10.00.19 (vendored under ``tests/vendor``) read them: BONDING_OPTS written
  the way ``install_bonding_driver`` and ``ifup-eth`` write it, the netmask guessed from
  the address's class without a prefix (``expand_config``), the default route only
  through a gateway inside the address's network (``ifup-eth``), IPv6 as ``ifup-ipv6``;
- :func:`from_kernel_plan`: the operations ``activate: kernel`` plans for a new bond,
  applied to a model of the driver's sysfs rules and of ``ip``.

:class:`SysfsBond` is that model of the driver (6.1, ``bond_options.c``): what a write
to a bonding sysfs file does to the others.
"""

import ipaddress
import json
import os
import re
from dataclasses import dataclass

from hypothesis import strategies as st
from salt_bonding.activate.kernel_plan import default_text, plan_bond
from salt_bonding.config.modes import ARP_MODES, MODES, NON_ARP_MIIMON_DEFAULT
from salt_bonding.config.options import OPTIONS, TABLE
from salt_bonding.config.values import InvalidValue
from salt_bonding.observe import status

from tests.harness import nm

SAME_PARAMETER = ("num_grat_arp", "num_unsol_na")
IPV6_MIN_MTU = 1280


@dataclass(frozen=True)
class Case:
    pillar: dict  # the value of pillar key ``bonding``
    meaning: dict  # {device: profile}
    mistake: str | None = None  # the kind of mistake the case may carry (MISTAKES)


# -- the driver's sysfs, as far as a write changes other options ---------------------------
class SysfsBond:
    """A new bond's options as the bonding driver (6.1) keeps them, changed by sysfs
    writes: ``bond_option_mode_set`` (a mode without the ARP monitor turns it off, and
    MII monitoring on at 100 ms when it was off), ``miimon`` and ``arp_interval`` turning
    each other off, ``num_grat_arp`` and ``num_unsol_na`` one parameter, ARP targets
    added with ``+`` and removed with ``-`` only. A value the driver refuses changes
    nothing (``refused`` counts them)."""

    def __init__(self):
        self.mode = "balance-rr"
        self.options = {option.name: default_text(option) for option in TABLE[1:]}
        self.slaves = []
        self.refused = []

    def write(self, name, value):
        value = str(value)
        if name == "slaves":
            sign, slave = value[0], value[1:]
            if sign == "+" and slave not in self.slaves:
                self.slaves.append(slave)
            elif sign == "-" and slave in self.slaves:
                self.slaves.remove(slave)
            return
        if name == "arp_ip_target":
            targets = [t for t in self.options[name].split(",") if t]
            if value[:1] == "+" and value[1:] not in targets and len(targets) < 16:
                targets.append(value[1:])
            elif value[:1] == "-" and value[1:] in targets:
                targets.remove(value[1:])
            else:
                self.refused.append((name, value))
            self.options[name] = ",".join(targets)
            return
        try:
            canonical = OPTIONS[name].parse(value)
        except (KeyError, InvalidValue):
            self.refused.append((name, value))
            return
        if name == "mode":
            self.mode = canonical
            if canonical not in ARP_MODES:
                self.options["arp_interval"] = "0"
                if self.options["miimon"] == "0":
                    self.options["miimon"] = str(NON_ARP_MIIMON_DEFAULT)
            return
        if name in SAME_PARAMETER:
            for same in SAME_PARAMETER:
                self.options[same] = canonical
            return
        if name == "miimon" and canonical != "0":
            self.options["arp_interval"] = "0"
        if name == "arp_interval" and canonical != "0":
            self.options["miimon"] = "0"
        self.options[name] = canonical

    def effective(self):
        """Every option of the bond's mode, as the driver runs it."""
        return unordered({option.name: self.options[option.name] for option in TABLE[1:]
                          if self.mode in option.modes})


def unordered(options):
    """``options`` with the ARP targets sorted: the monitor probes them all, their order
    means nothing (the kernel back-end adds them sorted)."""
    if options.get("arp_ip_target"):
        options = dict(options, arp_ip_target=",".join(sorted(
            options["arp_ip_target"].split(","))))
    return options


def kernel_defaults(mode):
    """The options of ``mode`` on a new bond: the driver's defaults (``SysfsBond``)."""
    bond = SysfsBond()
    bond.write("mode", mode)
    return bond.effective()


def expected_options(mode, given):
    """The options a pillar means: those it gives, the driver's defaults for the others
    (miimon as the driver sets it for the mode: 100 in the modes without the ARP
    monitor, else off)."""
    options = kernel_defaults(mode)
    options.update(given)
    for name in SAME_PARAMETER:
        if name in given and not any(other in given for other in SAME_PARAMETER
                                     if other != name):
            for same in SAME_PARAMETER:
                options[same] = given[name]
    return unordered(options)


# -- NetworkManager's normalised keyfiles ---------------------------------------------------
def _split_list(value):
    return tuple(item for item in (value or "").split(";") if item)


def _nm_addresses(settings, family):
    """``(addresses, gateway)`` of ``[ipv4]`` or ``[ipv6]``: addressN=a/p[,gateway] in
    order of N, and gateway= (1.42 writes it beside the first address)."""
    numbered = sorted((int(key.rsplit("address", 1)[1]), value)
                      for key, value in settings.items()
                      if key.startswith(f"{family}.address") and key[len(family) + 8:].isdigit())
    addresses, gateway = [], settings.get(f"{family}.gateway")
    for _, value in numbered:
        address, _, via = value.partition(",")
        addresses.append(address)
        gateway = gateway or via or None
    return addresses, gateway


def nm_options(mode, explicit):
    """The options NetworkManager runs (``nm_setting_bond_get_option_normalized``): those
    of the profile, its defaults for the others; its miimon default is 100 unless the
    profile sets arp_interval (the driver's in the ARP modes is 0)."""
    options = kernel_defaults(mode)
    options.update({k: v for k, v in explicit.items() if k in options})
    if "miimon" not in explicit:
        options["miimon"] = "0" if explicit.get("arp_interval", "0") != "0" else "100"
    elif explicit["miimon"] != "0" and "arp_interval" in options:
        options.update(arp_interval="0", arp_ip_target="")
    grat = explicit.get("num_grat_arp") or explicit.get("num_unsol_na")
    if grat is not None and "num_grat_arp" in options:
        options.update(num_grat_arp=grat, num_unsol_na=grat)
    return unordered(options)


def _nm_ipv4(address):
    """An IPv4 address as NetworkManager configures it: one in 169.254.0.0/16 with link
    scope (``nm_platform_ip4_address_get_scope``), which no reader of ours counts as
    configuration."""
    address, prefix = _prefixed(address)
    if ipaddress.IPv4Address(address).is_link_local:
        return (address, prefix, "link scope")
    return (address, prefix)


def _nm_nameserver(server, device):
    """A DNS server as NetworkManager hands it to the resolver: a link-local one with the
    interface as its scope (``nm-dns-manager.c``); initscripts write it as it is."""
    address = ipaddress.ip_address(server)
    if address.version == 6 and address.is_link_local and address.scope_id is None:
        return f"{address}%{device}"
    return _canon(server)


def from_keyfiles(texts):
    """The meaning of NetworkManager's normalised keyfiles (``{file: text}``), as it runs
    them (a link-local IPv4 address and a link-local DNS server as below)."""
    meaning = {}
    for text in texts.values():
        s = nm.properties(text)  # as either version writes it
        device = s["connection.interface-name"]
        onboot = s.get("connection.autoconnect", "true") != "false"
        if s.get("connection.slave-type") == "bond":
            meaning[device] = {"kind": "port", "master": s["connection.master"],
                               "onboot": onboot}
            continue
        profile = {"onboot": onboot, "mtu": _int(s.get("ethernet.mtu"))}
        if s["connection.type"] == "bond":
            explicit = {key.split(".", 1)[1]: value for key, value in s.items()
                        if key.startswith("bond.")}
            mode = explicit.pop("mode", "balance-rr")
            profile.update(kind="bond", mode=mode, options=nm_options(mode, explicit))
        else:
            profile.update(kind="vlan", parent=s["vlan.parent"], id=int(s["vlan.id"]))
        v4, gw4 = _nm_addresses(s, "ipv4")
        v6, gw6 = _nm_addresses(s, "ipv6")
        profile["ipv4"] = (s.get("ipv4.method", "auto"), tuple(_nm_ipv4(a) for a in v4),
                           _canon(gw4))
        profile["ipv6"] = (s.get("ipv6.method", "auto"), tuple(_canon6(a) for a in v6),
                           _canon(gw6))
        profile["dns4"] = tuple(_nm_nameserver(a, device)
                                for a in _split_list(s.get("ipv4.dns")))
        profile["dns6"] = tuple(_nm_nameserver(a, device)
                                for a in _split_list(s.get("ipv6.dns")))
        profile["search"] = (_split_list(s.get("ipv4.dns-search"))
                             + _split_list(s.get("ipv6.dns-search")))
        meaning[device] = profile
    return meaning


# -- ifcfg files as initscripts read them -----------------------------------------------------
def _is_true(value):  # functions: is_true
    return value.lower() in ("t", "y", "yes", "on", "true", "1")


def _is_false(value):  # functions: is_false
    return value.lower() in ("f", "n", "no", "off", "false", "0")


def _classful(address):
    """What RHEL's ipcalc --netmask guesses for an address without one (its class)."""
    first = int(address.split(".")[0])
    return 8 if first < 128 else 16 if first < 192 else 24


def initscripts_options(bonding_opts):
    """The bond's options after ``install_bonding_driver`` (network-functions) and
    ``ifup-eth`` write ``BONDING_OPTS``: split on blanks, value after the last '=';
    mode and miimon first, then the others in order, primary after the slaves;
    ``arp_ip_target`` split on ',' and each added only when ``grep -q`` does not find it
    (as a regular expression) among the targets already there."""
    bond = SysfsBond()
    words = [(word.split("=", 1)[0], word.rsplit("=", 1)[-1]) for word in bonding_opts.split()]
    for key, value in words:
        if key in ("mode", "miimon"):
            bond.write(key, value)
    for key, value in words:
        if key in ("mode", "miimon", "primary"):
            continue
        if key == "arp_ip_target":
            for target in (value.split(",") if value[:1] != "+" else [value[1:]]):
                if not re.search(target, " ".join(bond.options[key].split(","))):
                    bond.write(key, f"+{target}")
            continue
        bond.write(key, value)
    for key, value in words:
        if key == "primary":
            bond.write(key, value)
    return bond.mode, bond.effective()


def _ifcfg_ipv4(v):
    if v.get("BOOTPROTO", "none").lower() in ("dhcp", "bootp"):
        return ("auto", (), None)
    address = v.get("IPADDR") or v.get("IPADDR0")
    if not address:
        return ("disabled", (), None)
    if v.get("PREFIX"):
        prefix = int(v["PREFIX"])
    elif v.get("NETMASK"):
        prefix = ipaddress.IPv4Network(f"0.0.0.0/{v['NETMASK']}").prefixlen
    else:
        prefix = ("guessed", _classful(address))
    gateway = v.get("GATEWAY") or None
    if gateway is not None:  # ifup-eth: the default route only through the same network
        length = prefix if isinstance(prefix, int) else prefix[1]
        network = ipaddress.IPv4Network(f"{address}/{length}", strict=False)
        if ipaddress.IPv4Address(gateway) not in network:
            gateway = None
    return ("manual", ((address, prefix),), gateway)


def _ifcfg_ipv6_gateway(v):
    """The default route ``ipv6_set_default_route`` adds (network-functions-ipv6): with
    the gateway's scope, or IPV6_DEFAULTDEV, naming the device, or none for a
    link-local gateway that has neither; none when the scope names another device."""
    gateway = v.get("IPV6_DEFAULTGW") or None
    if gateway is None or gateway == "::":
        return None
    address, _, scope = gateway.partition("%")
    device = v.get("IPV6_DEFAULTDEV") or scope
    if scope and scope != v["DEVICE"]:
        return None
    if address.lower().startswith("fe80:") and not device:
        return None
    return _canon(address)


def _ifcfg_ipv6(v):
    init = v.get("IPV6INIT", "")
    if not _is_true(init):  # unset or false: ifup-ipv6 leaves the kernel's defaults
        return ("ignore", (), None)
    addresses = [v["IPV6ADDR"]] if v.get("IPV6ADDR") else []
    addresses += v.get("IPV6ADDR_SECONDARIES", "").split()
    # IPV6_AUTOCONF defaults to yes without IPV6FORWARDING=yes (ifup-ipv6).
    autoconf = v.get("IPV6_AUTOCONF", "yes") != "no"
    dhcp = _is_true(v.get("DHCPV6C", ""))
    if dhcp:
        method = "auto+dhcp" if autoconf else "dhcp"
    elif autoconf:
        method = "auto"
    else:
        method = "manual" if addresses else "link-local"
    return (method, tuple(_canon6(a) for a in addresses), _ifcfg_ipv6_gateway(v))


def from_ifcfg(sourced):
    """The meaning of ifcfg files as initscripts read them: ``sourced`` is
    ``{file: {variable: value}}``, what bash defines sourcing each."""
    meaning = {}
    for v in sourced.values():
        device = v["DEVICE"]
        onboot = v.get("ONBOOT", "yes").lower() != "no"  # the network service's own test
        if v.get("SLAVE") == "yes" and v.get("MASTER"):
            meaning[device] = {"kind": "port", "master": v["MASTER"], "onboot": onboot}
            continue
        profile = {"onboot": onboot, "mtu": _int(v.get("MTU"))}
        if v.get("BONDING_MASTER") == "yes" or v.get("TYPE") == "Bond":
            mode, options = initscripts_options(v.get("BONDING_OPTS", ""))
            profile.update(kind="bond", mode=mode, options=options)
        else:
            parent, _, vid = device.rpartition(".")
            profile.update(kind="vlan", parent=v.get("PHYSDEV", parent), id=int(vid))
        profile["ipv4"] = _ifcfg_ipv4(v)
        profile["ipv6"] = _ifcfg_ipv6(v)
        servers = [v[f"DNS{n}"] for n in (1, 2, 3) if v.get(f"DNS{n}")]
        profile["dns4"] = tuple(_canon(s) for s in servers if ":" not in s)
        profile["dns6"] = tuple(_canon(s) for s in servers if ":" in s)
        profile["search"] = tuple(v.get("DOMAIN", "").split())
        meaning[device] = profile
    return _one_host(meaning)


def _one_host(meaning):
    """What initscripts make of the interfaces together: each ``ifup`` replaces the
    default route (``ip route replace default``; IPv6: another ``ip -6 route add``), so
    with two gateways of a family which one stays depends on the order they come up;
    ``ifup-eth`` refuses an address another interface holds (``arping -D``)."""
    profiles = [p for p in meaning.values() if p["kind"] != "port"]
    for family in ("ipv4", "ipv6"):
        routed = [p for p in profiles if p[family][2] is not None]
        for profile in routed if len(routed) > 1 else ():
            method, addresses, gateway = profile[family]
            profile[family] = (method, addresses, ("the last one up wins", gateway))
    holders = {}
    for profile in profiles:
        for address, _ in profile["ipv4"][1]:
            holders.setdefault(address, []).append(profile)
    for address, held in holders.items():
        for profile in held[1:] if len(held) > 1 else ():
            method, addresses, gateway = profile["ipv4"]
            profile["ipv4"] = (method, tuple(("arping -D refuses it", a[0]) if a[0] == address
                                             else a for a in addresses), gateway)
    return meaning


# -- activate: kernel, from nothing ------------------------------------------------------------
def _on_link(gateway, addresses):
    """Whether the kernel takes a route through ``gateway``: another address of a network
    the device has (or an IPv6 link-local one)."""
    address = ipaddress.ip_address(gateway)
    if address.version == 6 and address.is_link_local:
        return True
    for cidr in addresses:
        interface = ipaddress.ip_interface(cidr)
        if interface.version == address.version and address in interface.network \
                and address != interface.ip:
            return True
    return False


def from_kernel_plan(bonds):
    """What the running kernel holds after ``activate: kernel`` brings new ``bonds`` (a
    list of model.Bond, in the order activation runs them) up from nothing: the planned
    operations applied to :class:`SysfsBond` and a model of ``ip`` (an address without a
    prefix is a /32; ``route replace default`` keeps one default route per family, and
    is refused through an address off the device's networks; IPv6 addresses are gone
    from a link below 1280 bytes). Profiles in the shape of the readers', with only what
    the kernel holds (no DNS, no onboot, no IPv6 method)."""
    links, default, ports, bonds_sysfs = {}, {}, {}, {}
    for bond in bonds:
        sysfs = bonds_sysfs[bond.name] = SysfsBond()
        operations, _ = plan_bond(bond, None)
        for op in operations:
            if op.kind == "sysfs":
                path, value = op.args
                sysfs.write(path.split("/")[-1], value)
                continue
            args = list(op.args)
            family = "ipv4"
            if args[0] in ("-4", "-6"):
                family = "ipv6" if args.pop(0) == "-6" else "ipv4"
            if args[:2] == ["link", "add"] and "vlan" in args:
                parent = links[args[3]]  # a VLAN starts with its parent's MTU
                links[args[args.index("name") + 1]] = {
                    "kind": "vlan", "parent": args[3], "id": int(args[-1]), "mtu": None,
                    "running_mtu": parent["running_mtu"], "addresses": []}
            elif args[:2] == ["link", "add"]:
                links[args[2]] = {"kind": "bond", "mtu": None, "running_mtu": 1500,
                                  "addresses": []}
            elif args[:2] == ["link", "set"] and "mtu" in args:
                mtu = int(args[args.index("mtu") + 1])
                links[args[2]].update(mtu=mtu, running_mtu=mtu)
            elif args[:2] == ["addr", "add"]:
                links[args[-1]]["addresses"].append(args[2])
            elif args[:3] == ["route", "replace", "default"]:
                if _on_link(args[4], links[args[-1]]["addresses"]):
                    default[family] = (args[4], args[-1])
        ports.update(dict.fromkeys(sysfs.slaves, bond.name))
    meaning = {}
    for device, link in links.items():
        addresses = link["addresses"]
        if link["running_mtu"] < IPV6_MIN_MTU:
            addresses = [a for a in addresses if ":" not in a]
        gateways = {family: _canon(route[0]) if route[1] == device else None
                    for family, route in ((f, default.get(f, (None, None)))
                                          for f in ("ipv4", "ipv6"))}
        profile = {"kind": link["kind"], "mtu": link["mtu"],
                   "ipv4": (tuple(_prefixed(a) for a in addresses if ":" not in a),
                            gateways["ipv4"]),
                   "ipv6": (tuple(_canon6(a) for a in addresses if ":" in a),
                            gateways["ipv6"])}
        if link["kind"] == "bond":
            profile.update(mode=bonds_sysfs[device].mode,
                           options=bonds_sysfs[device].effective())
        else:
            profile.update(parent=link["parent"], id=link["id"])
        meaning[device] = profile
    for slave, master in ports.items():
        meaning[slave] = {"kind": "port", "master": master}
    return meaning


def from_ip(links, routes, options):
    """What the running kernel holds for our bonds, read on its own (not through the
    module's readers): ``links`` as ``ip -j -d addr show`` prints them, ``routes`` the
    default routes of both families (``ip -j route show default``, ``ip -6 ...``),
    ``options`` ``{bond: {option: canonical text}}`` from its sysfs files. Every bond in
    ``options``, every link enslaved to one, every VLAN on one, with every address of
    global scope (IPv6 ones in sorted order: the kernel keeps no order the files state)
    and every default route through it (one gateway, or the tuple of all when there are
    several), in the shape of :func:`kernel_view`."""
    by_name = {link["ifname"]: link for link in links}
    meaning = {}
    for name, link in by_name.items():
        info = link.get("linkinfo") or {}
        if link.get("master") in options:
            meaning[name] = {"kind": "port", "master": link["master"]}
            continue
        if name in options:
            # What the kernel shows over netlink only (6.1 has no sysfs file for the NS
            # targets), as ip -d shows it: a list, left out when empty.
            netlink_only = {o.name: ",".join((info.get("info_data") or {}).get(o.name) or [])
                            for o in TABLE if o.netlink_only}
            found = {**netlink_only, **options[name]}
            mode = found["mode"]
            profile = {"kind": "bond", "mode": mode, "options": unordered(
                {o.name: found.get(o.name, "(not in sysfs)") for o in TABLE[1:]
                 if mode in o.modes})}
        elif info.get("info_kind") == "vlan" and link.get("link") in options:
            profile = {"kind": "vlan", "parent": link["link"], "id": int(info["info_data"]["id"])}
        else:
            continue
        v4 = tuple((a["local"], a["prefixlen"]) for a in link.get("addr_info", [])
                   if a.get("family") == "inet")
        v6 = tuple(sorted(_canon6(f"{a['local']}/{a['prefixlen']}")
                          for a in link.get("addr_info", [])
                          if a.get("family") == "inet6" and a.get("scope") != "link"))
        gateways = {family: tuple(_canon(r["gateway"]) for r in routes
                                  if r.get("dev") == name and r.get("gateway")
                                  and (":" in r["gateway"]) == (family == "ipv6"))
                    for family in ("ipv4", "ipv6")}
        gateways = {family: found[0] if len(found) == 1 else (found or None)
                    for family, found in gateways.items()}
        meaning[name] = {**profile, "mtu": link.get("mtu"), "ipv4": (v4, gateways["ipv4"]),
                         "ipv6": (v6, gateways["ipv6"])}
    return meaning


def kernel_view(meaning):
    """Of a meaning, what the kernel holds: kind, mode and options, ports, MTU (where
    stated), addresses with prefixes and default routes of both families, VLANs."""
    view = {}
    for device, profile in meaning.items():
        if profile["kind"] == "port":
            view[device] = {"kind": "port", "master": profile["master"]}
            continue
        _, addresses4, gateway4 = profile["ipv4"]
        _, addresses6, gateway6 = profile["ipv6"]
        kept = {"kind": profile["kind"], "mtu": profile["mtu"],
                "ipv4": (addresses4, gateway4), "ipv6": (addresses6, gateway6)}
        for key in ("mode", "options", "parent", "id"):
            if key in profile:
                kept[key] = profile[key]
        view[device] = kept
    return view


# -- text forms ------------------------------------------------------------------------------
def _int(text):
    return int(text) if text not in (None, "") else None


def _canon(address):
    """An address in its canonical text (scope id kept); text that is none as it is."""
    if address is None:
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def _canon6(cidr):
    try:
        return str(ipaddress.IPv6Interface(cidr))
    except ValueError:
        return cidr


def _prefixed(cidr):
    """``("192.0.2.10", 24)`` from ``192.0.2.10/24``; a /32 from the address alone, as
    the kernel takes it."""
    address, _, prefix = cidr.partition("/")
    return (address, int(prefix) if prefix else 32)


# -- the generator ----------------------------------------------------------------------------
# A case is right, or carries one kind of mistake (MISTAKES) that changes meaning between
# readers, wherever it can go in that case: the tests draw each kind on its own, so that
# each refusal has one reason and each rule of validation is seen to be needed.
SLAVE_POOL = ("eth0", "eth1", "eth2", "ens1f0", "ens1f1", "eno1")
ARP_TARGETS = ("192.0.2.1", "192.0.2.10", "192.0.2.100", "198.51.100.1")
GLOBAL_V6 = ("2001:db8::10/64", "2001:DB8:0:0::20/64", "2001:db8:1::10/48",
             "fd00::10/64", "2001:db8::10/128")
ODD_V6 = ("fe80::10/64", "fe80::10%eth0/64", "fec0::10/64", "::ffff:192.0.2.10/96")
DNS4 = ("192.0.2.53", "198.51.100.53", "127.0.0.53")
DNS6 = ("2001:db8::53", "2001:DB8::0:54")
DOMAINS = ("example.com", "corp.example.com", "Example.ORG.", "a-b.example")


DNS_MISTAKES = ("dns-link-local", "dns-scoped", "dns-multicast", "dns-wrong-family")
GATEWAY6_MISTAKES = ("ipv6-gateway-scoped", "ipv6-gateway-outside", "ipv6-gateway-no-address")
MISTAKES = ("no-prefix", "link-local-ipv4", "gateway-off-link", "no-link-monitor",
            "same-parameter-twice", "odd-ipv6addr", "dhcpv6-and-autoconf", "low-mtu",
            "domain-without-address", "arp-target-order", "two-gateways",
            "duplicate-address", *DNS_MISTAKES, *GATEWAY6_MISTAKES)


def _mistake(odd, kind):
    """Whether to make mistake ``kind`` here: in a case with that mistake (``odd``), at
    every place it can go; never in the others."""
    return st.just(odd == kind)


def _spell_int(value):
    return st.sampled_from([value, str(value)])


def _spell_flag(flag):
    words = (["yes", "on", "true", "1", "YES", "On", 1] if flag
             else ["no", "off", "false", "0", "NO", "Off", 0])
    return st.sampled_from([flag, *words])


@st.composite
def _option(draw, option, slaves):
    """``(canonical text, pillar spelling)`` of a value of ``option``."""
    if option.kind == "int":
        value = draw(st.sampled_from(sorted({option.minimum, option.minimum + 1,
                                             min(option.maximum, 100), option.maximum})))
        return str(value), draw(_spell_int(value))
    if option.kind == "enum":
        name, number = draw(st.sampled_from(option.values))
        return name, draw(st.sampled_from([name, name.upper(), number, str(number)]))
    if option.kind == "switch":
        name, number = draw(st.sampled_from(option.values))
        return str(number), draw(st.sampled_from([name, name.upper(), number, str(number),
                                                  bool(number)]))
    if option.kind == "ifname":
        slave = draw(st.sampled_from(slaves))
        return slave, slave
    mac = draw(st.sampled_from(["02:00:00:00:00:01", "02:AB:cd:00:00:02"]))
    return mac.lower(), mac


# (ns_ip6_target is not drawn: only NetworkManager 1.44 and later keep it, and neither
# RHEL 7 reader here takes it; its readers are tested in test_render_keyfile/_ifcfg.)
MONITORED = {"miimon", "updelay", "downdelay", "peer_notif_delay", "arp_interval",
             "arp_ip_target", "ns_ip6_target", "arp_validate", "arp_all_targets",
             "arp_missed_max"}


@st.composite
def _monitors(draw, mode, odd):
    """``(canonical options, pillar)`` of the link monitor: the MII monitor (with its
    delays), the ARP monitor (with its targets and rules), or nothing said (a mistake in
    the modes with the ARP monitor: the readers disagree)."""
    if odd == "arp-target-order":
        scheme = "arp"
    elif mode in ARP_MODES:
        scheme = "none" if odd == "no-link-monitor" else draw(st.sampled_from(["mii", "arp"]))
    else:
        scheme = draw(st.sampled_from(["mii", "none"]))
    given, pillar = {}, {}

    def put(name, canonical, spelled):
        given[name], pillar[name] = canonical, spelled

    if scheme == "mii":
        miimon = draw(st.sampled_from([0, 100, 100, 200, 1000]))
        put("miimon", str(miimon), draw(_spell_int(miimon)))
        for name in ("updelay", "downdelay", "peer_notif_delay"):
            if miimon and mode in OPTIONS[name].modes and draw(st.booleans()):
                value = miimon * draw(st.sampled_from([0, 1, 2, 5]))
                put(name, str(value), draw(_spell_int(value)))
    elif scheme == "arp":
        interval = draw(st.sampled_from([100, 500, 1000]))
        put("arp_interval", str(interval), draw(_spell_int(interval)))
        targets = draw(st.lists(st.sampled_from(ARP_TARGETS), max_size=3, unique=True,
                                min_size=2 if odd == "arp-target-order" else 1))
        # In an order where none is found in one before it; as a mistake, longest first.
        targets.sort(key=lambda t: (len(t), t), reverse=odd == "arp-target-order")
        spelled = draw(st.sampled_from([targets, ",".join(targets), ", ".join(targets)]))
        put("arp_ip_target", ",".join(targets), spelled)
        if draw(st.booleans()):
            put("miimon", "0", draw(_spell_int(0)))
        for name in ("arp_validate", "arp_all_targets", "arp_missed_max"):
            if mode in OPTIONS[name].modes and draw(st.booleans()):
                put(name, *draw(_option(OPTIONS[name], [])))
    return given, pillar


@st.composite
def _ipv4(draw, odd, used):
    """``(meaning, pillar)`` of IPv4: none, DHCP, or an address with its prefix (as a
    mistake without, or link-local), and maybe a gateway (inside; as a mistake off the
    link). ``used``: what the case holds already (addresses, a default route per
    family), each once but as the mistake that doubles it."""
    kind = draw(st.sampled_from(["none", "none", "dhcp", "static", "static", "static"]))
    if odd in ("no-prefix", "link-local-ipv4", "gateway-off-link", "dns-multicast",
               "two-gateways", "duplicate-address"):
        kind = "static"  # where the mistake can go
    if kind == "none":
        pillar = draw(st.sampled_from([{}, {"bootproto": "none"}, {"bootproto": "None"}]))
        return ("disabled", (), None), pillar
    if kind == "dhcp":
        return ("auto", (), None), {"bootproto": draw(st.sampled_from(["dhcp", "DHCP"]))}
    bases = ["192.0.2.0", "198.51.100.0", "10.20.0.0", "172.16.0.0"]
    if draw(_mistake(odd, "link-local-ipv4")):
        bases = ["169.254.0.0"]
    base = draw(st.sampled_from(bases))
    prefix = draw(st.sampled_from([8, 16, 24, 24, 24, 28, 31, 32]))
    if draw(_mistake(odd, "no-prefix")):
        prefix = None
    host = draw(st.sampled_from([10, 1, 200]))
    address = str(ipaddress.IPv4Address(base) + host)
    taken = sorted(a for a in used["addresses"] if "." in a)
    if taken and draw(_mistake(odd, "duplicate-address")):
        address = taken[0]
    else:
        while address in used["addresses"]:
            address = str(ipaddress.IPv4Address(address) + 1)
    used["addresses"].add(address)
    pillar = {"ipaddr": address}
    if draw(st.booleans()):
        pillar["bootproto"] = draw(st.sampled_from(["static", "Static", "none"]))
    if prefix is not None:
        network = ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)
        pillar.update(draw(st.sampled_from([{"prefix": prefix}, {"prefix": str(prefix)},
                                            {"netmask": str(network.netmask)}])))
    gateway = None
    length = prefix if prefix is not None else 24
    network = ipaddress.IPv4Network(f"{address}/{length}", strict=False)
    hosts = [str(h) for h in (network.network_address + 1, network.broadcast_address - 1)
             if str(h) != address and length < 31] + (
        [str(h) for h in network if str(h) != address] if length == 31 else [])
    choice = draw(st.sampled_from(["none", "inside"]))
    if used["gateway"] and not draw(_mistake(odd, "two-gateways")):
        choice = "none"
    elif odd == "two-gateways":
        choice = "inside"
    if draw(_mistake(odd, "gateway-off-link")):
        choice = draw(st.sampled_from(["outside", "own", "broadcast"]))
    if choice == "inside" and hosts:
        gateway = draw(st.sampled_from(hosts))
    elif choice == "outside":
        gateway = "203.0.113.1"
    elif choice == "own":
        gateway = address
    elif choice == "broadcast" and length < 31:
        gateway = str(network.broadcast_address)
    if gateway is not None:
        pillar["gateway"] = gateway
        used["gateway"] = True
    return ("manual", ((address, prefix),), gateway), pillar


@st.composite
def _ipv6(draw, odd, used):
    """``(meaning, pillar)`` of IPv6: nothing, ipv6init alone, addresses, autoconf,
    DHCPv6, a gateway; rarely the mistakes among them."""
    if odd not in ("odd-ipv6addr", "dhcpv6-and-autoconf", "low-mtu", "dns-link-local",
                   "dns-scoped", *GATEWAY6_MISTAKES) \
            and draw(st.sampled_from([True, False])):
        init = draw(st.sampled_from([None, None, False]))
        return ("ignore", (), None), ({} if init is None else {"ipv6init": init})
    pillar = {}
    addresses = draw(st.lists(st.sampled_from(GLOBAL_V6), max_size=2,
                              unique_by=lambda a: _canon6(a).split("/")[0]))
    addresses = [a for a in addresses if _canon6(a).split("/")[0] not in used["addresses"]]
    used["addresses"].update(_canon6(a).split("/")[0] for a in addresses)
    if draw(_mistake(odd, "odd-ipv6addr")):
        addresses.append(draw(st.sampled_from(ODD_V6)))
    if odd in ("ipv6-gateway-scoped", "ipv6-gateway-outside", "dns-link-local",
               "dns-scoped") and not addresses:
        addresses = ["2001:db8::10/64"]
    if odd == "ipv6-gateway-no-address":
        addresses = []
    if addresses:
        pillar["ipv6addr"] = draw(st.sampled_from([addresses, addresses[0]])) \
            if len(addresses) == 1 else addresses
    autoconf = draw(st.sampled_from([None, None, True, False]))
    dhcp = draw(st.sampled_from([None, None, None, True, False]))
    if draw(_mistake(odd, "dhcpv6-and-autoconf")):
        dhcp = autoconf = True
    elif dhcp and autoconf:
        autoconf = False
    if autoconf is not None:
        pillar["ipv6_autoconf"] = draw(_spell_flag(autoconf))
    if dhcp is not None:
        pillar["dhcpv6c"] = draw(_spell_flag(dhcp))
    if not pillar or draw(st.booleans()):
        pillar["ipv6init"] = draw(_spell_flag(True))
    # The meaning: stated autoconfiguration wins; left out, only without an address or
    # DHCPv6 (the choice README documents); both on is what initscripts do.
    if dhcp:
        method = "auto+dhcp" if autoconf else "dhcp"
    elif autoconf or (autoconf is None and not addresses):
        method = "auto"
    else:
        method = "manual" if addresses else "link-local"
    gateway = None
    first = ipaddress.IPv6Interface(addresses[0].split("%")[0]) if addresses else None
    choice = "none"
    if first is not None and not used["gateway6"]:
        choice = draw(st.sampled_from(["none", "inside", "link-local"]))
    if odd in GATEWAY6_MISTAKES:
        choice = {"ipv6-gateway-scoped": "scoped", "ipv6-gateway-outside": "outside",
                  "ipv6-gateway-no-address": "inside"}[odd]
    if choice != "none":
        inside = (str(first.network.network_address + 1)
                  if first is not None and first.network.prefixlen < 127 else
                  "fe80::1" if first is not None else "2001:db8::1")
        gateway = {"inside": inside, "link-local": "fe80::1", "scoped": "fe80::1%bond0",
                   "outside": "2001:db9::1"}[choice]
        pillar["ipv6_defaultgw"] = gateway
        used["gateway6"] = True
    return (method, tuple(_canon6(a) for a in addresses), _canon(gateway)), pillar


@st.composite
def _interface(draw, odd, used):
    """``(meaning, pillar)`` of what a bond and a VLAN share."""
    ipv4, pillar = draw(_ipv4(odd, used))
    ipv6, more = draw(_ipv6(odd, used))
    bare = draw(_mistake(odd, "domain-without-address"))
    if bare:  # search domains, and no address at all
        (ipv4, pillar), (ipv6, more) = (("disabled", (), None), {}), (("ignore", (), None), {})
    pillar = {**pillar, **more}
    onboot = draw(st.sampled_from([None, True, False]))
    if onboot is not None:
        pillar["onboot"] = draw(_spell_flag(onboot))
    mtu = draw(st.sampled_from([None, None, 1500, 9000, 1280]))
    if draw(_mistake(odd, "low-mtu")):
        mtu = 1000
    if mtu is not None:
        pillar["mtu"] = draw(_spell_int(mtu))
    pool = (DNS4 if ipv4[0] != "disabled" else ()) + (
        DNS6 if ipv6[0] in ("auto", "dhcp", "manual") else ())
    servers = draw(st.lists(st.sampled_from(pool), max_size=3, unique=True)) if pool else []
    if odd in DNS_MISTAKES:  # where this interface can have it
        has4, has6 = ipv4[0] != "disabled", ipv6[0] in ("auto", "dhcp", "manual")
        odd_servers = {"dns-link-local": ["fe80::53"] if has6 else [],
                       "dns-scoped": ["2001:db8::53%eth0", "2001:db8::53%eth0;2001:db8::66"]
                       if has6 else [],
                       "dns-multicast": ["224.0.0.251"] if has4 else [],
                       "dns-wrong-family": (["192.0.2.54"] if not has4 else [])
                       + (["2001:db8::55"] if not has6 else [])}[odd]
        if odd_servers:
            servers = [*servers[:2], draw(st.sampled_from(odd_servers))]
    if servers:
        pillar["dns"] = servers[0] if len(servers) == 1 and draw(st.booleans()) else servers
    domains = []
    if pool or bare:
        domains = draw(st.lists(st.sampled_from(DOMAINS), min_size=int(bare), max_size=3,
                                unique=True))
    if domains:
        pillar["domain"] = draw(st.sampled_from([domains, " ".join(domains)]))
    meaning = {"onboot": onboot is not False, "mtu": mtu, "ipv4": ipv4, "ipv6": ipv6,
               "dns4": tuple(_canon(s) for s in servers if ":" not in s),
               "dns6": tuple(_canon(s) for s in servers if ":" in s),
               "search": tuple(domains)}
    return meaning, pillar


@st.composite
def _bond(draw, name, free, odd, used):
    """``(meaning, pillar)`` of one bond named ``name``, its slaves from ``free``."""
    mode = draw(st.sampled_from({"no-link-monitor": ARP_MODES, "arp-target-order": ARP_MODES,
                                 "same-parameter-twice": ("active-backup",)}.get(odd, MODES)))
    slaves = draw(st.lists(st.sampled_from(free), max_size=3, unique=True))
    for slave in slaves:
        free.remove(slave)
    spelled_mode = draw(st.sampled_from([mode, mode.upper(), mode.title(), MODES.index(mode),
                                         str(MODES.index(mode))]))
    given, pillar = draw(_monitors(mode, odd))
    pillar = {"mode": spelled_mode, "slaves": slaves, **pillar}
    for option in TABLE[1:]:
        if option.name in MONITORED or mode not in option.modes:
            continue
        if option.kind == "ifname" and not slaves:
            continue
        if draw(st.integers(0, 3)) == 3:
            canonical, spelled = draw(_option(option, slaves))
            if option.name == "num_unsol_na" and "num_grat_arp" in given \
                    and not draw(_mistake(odd, "same-parameter-twice")):
                canonical, spelled = given["num_grat_arp"], pillar["num_grat_arp"]
            given[option.name], pillar[option.name] = canonical, spelled
    if odd == "same-parameter-twice":
        given.update(num_grat_arp="2", num_unsol_na="3")
        pillar.update(num_grat_arp=2, num_unsol_na="3")
    meaning, settings = draw(_interface(odd, used))
    pillar.update(settings)
    devices = {name: {"kind": "bond", "mode": mode, "options": expected_options(mode, given),
                      **meaning}}
    for slave in slaves:
        devices[slave] = {"kind": "port", "master": name, "onboot": meaning["onboot"]}
    vids = draw(st.lists(st.sampled_from([1, 100, 200, 4094]), max_size=2, unique=True,
                         min_size=int(odd in ("two-gateways", "duplicate-address"))))
    if vids:
        pillar["vlans"] = {}
    for vid in vids:
        vlan_meaning, vlan_pillar = draw(_interface(odd, used))
        key = draw(st.sampled_from([vid, str(vid)]))
        pillar["vlans"][key] = vlan_pillar or draw(st.sampled_from([{}, None]))
        if vlan_meaning["mtu"] is not None and vlan_meaning["mtu"] > (meaning["mtu"] or 1500):
            vlan_meaning["mtu"] = meaning["mtu"] or 1500  # no larger than the bond's
            pillar["vlans"][key]["mtu"] = vlan_meaning["mtu"]
        devices[f"{name}.{vid}"] = {"kind": "vlan", "parent": name, "id": vid,
                                    **vlan_meaning}
    return devices, pillar


@st.composite
def cases(draw, max_bonds=2, mistakes=(None, *MISTAKES), slaves=SLAVE_POOL):
    """A :class:`Case`: one or two bonds over the whole schema, with one of ``mistakes``
    (a kind of MISTAKES, or None: none) wherever it can go; the slaves from ``slaves``."""
    free = list(slaves)
    meaning, bonds = {}, {}
    odd = draw(st.sampled_from(mistakes))
    used = {"addresses": set(), "gateway": False, "gateway6": False}
    for index in range(draw(st.integers(1, max_bonds))):
        name = f"bond{index}"
        devices, pillar = draw(_bond(name, free, odd, used))
        meaning.update(devices)
        bonds[name] = pillar
    return Case({"bonds": bonds}, meaning, odd)


def reading_steps(key, name):
    """The steps that read the kernel on its own after a step (scenario ``name``): links,
    default routes of both families, the bonds' sysfs (:func:`running_after` reads them)."""
    return [{"id": f"links-{key}", "run": ["ip", "-j", "-d", "addr", "show"]},
            {"id": f"routes-{key}", "run": ["ip", "-j", "route", "show", "default"]},
            {"id": f"routes6-{key}", "run": ["ip", "-6", "-j", "route", "show", "default"]},
            {"id": f"sysfs-{key}", "capture": f"{name}-{key}"}]


def running_after(result, key):
    """What the kernel held at :func:`reading_steps` ``key`` of ``result`` (a scenario's),
    in the shape of :func:`kernel_view`."""
    links = json.loads(result.stdout_ok(f"links-{key}"))
    routes = (json.loads(result.stdout_ok(f"routes-{key}"))
              + json.loads(result.stdout_ok(f"routes6-{key}")))
    captured = result.capture(f"{result.name}-{key}")
    sysfs = str(captured / "sys" / "class" / "net")
    bonds = sorted(os.listdir(captured / "proc" / "net" / "bonding"))
    return from_ip(links, routes, {name: status.read_options(name, sysfs) for name in bonds})
