"""A validated bond -> NetworkManager keyfiles (RHEL 9 and later, Fedora).

One profile per interface in ``/etc/NetworkManager/system-connections``:
``<bond>.nmconnection`` (``type=bond``), ``<slave>.nmconnection`` per port
(``master=<bond>``, ``slave-type=bond``: NetworkManager 1.42 ignores the newer
``controller=``/``port-type=``) and ``<bond>.<vid>.nmconnection`` per VLAN.
Files are mode 0600 (NetworkManager refuses others as insecure) and start
with the same mark as the ifcfg files; a profile's UUID is derived from its
interface name, so every run writes the same bytes.

Values. A keyfile is a GKeyFile ini file. Every value written here comes from
validation (names, numbers, addresses, option words), and ``_value`` still
escapes what GKeyFile gives meaning to (backslash, newline, tab, carriage
return, a leading blank) and refuses NUL, so no value can start a line, a
section or a key.

NetworkManager drops bond options it does not know with only a log line and
keeps the profile: options the option table marks ``networkmanager=False``
are refused in ``refusals``, never silently lost.
"""

import ipaddress
import re
import uuid

from ..config.names import check_ifname, checked_vlan_device
from ..config.ports import TABLE as PORT_TABLE
from ..host.networkmanager import AUTOCONNECT_PRIORITY

# The same mark as the ifcfg files (a '#' comment in both formats): one format, one reader.
from .ifcfg import (  # noqa: F401 (read_mark)
    MARK_FORMAT,
    check_state,
    option_words,
    read_mark,
    unwritten_ifcfg_keys,
)

FILE_SUFFIX = ".nmconnection"
# Profile UUIDs: uuid5 of the interface name in this namespace (stable across runs).
UUID_NAMESPACE = uuid.UUID("6c1f3a52-2d3e-4f0a-9a57-3d1c8f0b4a10")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_KEY_LINE = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*=")


def profile_uuid(interface):
    """The UUID of the profile of ``interface``: the same on every run."""
    return str(uuid.uuid5(UUID_NAMESPACE, interface))


def _value(value):
    """``value`` as GKeyFile text that reads back as exactly ``value``."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if "\0" in text:
        raise ValueError(f"{text!r}: a NUL character cannot be stored in a keyfile")
    escaped = "".join(_ESCAPES.get(char, char) for char in text)
    return "\\s" + escaped[1:] if escaped.startswith(" ") else escaped


def _render(bond_name, state, sections):
    lines = [MARK_FORMAT.format(bond=bond_name, state=check_state(state))]
    for section, pairs in sections:
        pairs = [(key, value) for key, value in pairs if value is not None]
        if not pairs:
            continue
        lines += ["", f"[{section}]"] + [f"{key}={_value(value)}" for key, value in pairs]
    return "\n".join(lines) + "\n"


def _connection(interface, kind, onboot, *extra):
    # Written as NetworkManager 1.42 writes a profile: defaults left out (autoconnect
    # is true unless said otherwise), so the file is what NetworkManager would keep.
    # The priority makes ours win over other profiles for the same device.
    return ("connection", [("id", interface), ("uuid", profile_uuid(interface)),
                           ("type", kind), ("autoconnect", None if onboot else False),
                           ("autoconnect-priority", AUTOCONNECT_PRIORITY),
                           ("interface-name", interface), *extra])


def _ipv4(interface):
    if interface.bootproto == "dhcp":
        return ("ipv4", [("method", "auto"), *_dns(interface, 4, True)])
    if interface.ipaddr is None:
        return ("ipv4", [("method", "disabled")])
    prefix = interface.prefix
    if prefix is None and interface.netmask is not None:
        prefix = ipaddress.IPv4Network(f"0.0.0.0/{interface.netmask}").prefixlen
    address = interface.ipaddr if prefix is None else f"{interface.ipaddr}/{prefix}"
    if interface.gateway is not None:  # 1.42's own form: address1=<address>,<gateway>
        address = f"{address},{interface.gateway}"
    return ("ipv4", [("method", "manual"), ("address1", address), *_dns(interface, 4, True)])


def _has_ipv4(interface):
    return interface.bootproto == "dhcp" or interface.ipaddr is not None


def _dns(interface, version, with_search):
    """dns (the servers of this IP version) and, once, dns-search, as 1.42 writes them."""
    servers = [s for s in interface.dns if (":" in s) == (version == 6)]
    pairs = [("dns", "".join(f"{s};" for s in servers) or None)]
    if with_search:
        pairs.append(("dns-search", "".join(f"{d};" for d in interface.domain) or None))
    return pairs


def _ipv6(interface):
    """IPv6 as pillar says (``model.ipv6_method``); left as the kernel has it (ignore) when
    pillar says nothing, as the ifcfg files (no IPV6INIT) leave it."""
    method = interface.ipv6_method  # ignore, auto, dhcp, manual, link-local
    if method == "ignore":
        return ("ipv6", [("method", "ignore")])
    addresses = [(f"address{number}", address)
                 for number, address in enumerate(interface.ipv6addr, 1)]
    if addresses and interface.ipv6_defaultgw:
        addresses[0] = (addresses[0][0], f"{addresses[0][1]},{interface.ipv6_defaultgw}")
    elif interface.ipv6_defaultgw:
        addresses.append(("gateway", interface.ipv6_defaultgw))
    search_here = not _has_ipv4(interface)  # the domains go with IPv4 when it is configured
    return ("ipv6", [*addresses, *_dns(interface, 6, search_here), ("method", method)])


def render_bond(bond, state):
    """``{file name: text}`` for one bond: its profile, one per port, one per VLAN."""
    name = check_ifname(bond.name)
    files = {}
    files[f"{name}{FILE_SUFFIX}"] = _render(name, state, [
        _connection(name, "bond", bond.onboot),
        # NetworkManager sets a bond's MAC from its wired setting, as for an Ethernet card
        # (and writes MACs in upper case: ours as it would write it).
        ("ethernet", [("mtu", bond.mtu),
                      ("cloned-mac-address", bond.macaddr and bond.macaddr.upper())]),
        ("bond", option_words(bond)),
        _ipv4(bond),
        _ipv6(bond),
    ])
    for slave in bond.slaves:
        check_ifname(slave)
        given = bond.ports.get(slave, {})
        files[f"{slave}{FILE_SUFFIX}"] = _render(name, state, [
            _connection(slave, "ethernet", bond.onboot, ("master", name),
                        ("slave-type", "bond")),
            # The port's own settings; NetworkManager gives every bond port a [bond-port]
            # with the defaults (0) left out, as written here.
            ("bond-port", [(option.keyfile_key, given[option.name]) for option in PORT_TABLE
                           if given.get(option.name, option.default) != option.default]),
        ])
    for vid in sorted(bond.vlans):
        vlan = bond.vlans[vid]
        device = checked_vlan_device(name, vid, vlan)
        files[f"{device}{FILE_SUFFIX}"] = _render(name, state, [
            _connection(device, "vlan", vlan.onboot),
            ("ethernet", [("mtu", vlan.mtu)]),
            ("vlan", [("id", vid), ("parent", name)]),
            _ipv4(vlan),
            _ipv6(vlan),
        ])
    return files


def read_lenient(text):
    """``{section: {key: value}}`` of a keyfile, values stripped as GLib's key file reader
    strips them; comment lines (``#``, and ``;`` some tools write) skipped. Lenient: an
    installer's file need not be ours, so lines that are neither a section nor a key are
    skipped, not refused; the one reader of keyfiles we did not write."""
    sections, section = {}, ""
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            sections.setdefault(section, {})
        elif match := _KEY_LINE.match(line):
            sections.setdefault(section, {})[match[1]] = line[match.end():].strip()
    return sections


def keys_of(text):
    """``section.key`` names a keyfile sets, read leniently (:func:`read_lenient`)."""
    return {f"{section}.{key}" for section, keys in read_lenient(text).items()
            for key in keys}


def warnings(config, path):
    """Extra ifcfg keys are for ifcfg files: a keyfile has no place for them. Not refused,
    so one pillar serves a fleet of every RHEL generation; named, so nothing is lost
    silently."""
    return unwritten_ifcfg_keys(config, path, "NetworkManager keyfiles")
