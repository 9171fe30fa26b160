"""A validated bond -> a netplan YAML file (``/etc/netplan/90-salt-bond-<bond>.yaml``).

netplan (Ubuntu's default network stack, package ``netplan.io`` on Debian)
reads every ``*.yaml`` in ``/etc/netplan`` in name order and merges them, then
hands the result to a back-end; ours say ``renderer: networkd`` per
definition (never globally: a desktop's ``renderer: NetworkManager`` stays for
everything else). One file per bond, like every other format here (its own
mark, so ownership, removal of only our files, ``bond.managed`` and the diff
of one bond work as they do for RHEL): the bond under ``bonds:`` with its
options under ``parameters:`` by netplan's names (the option table's
``BondOption.netplan``), its slaves under ``ethernets:`` (DHCP off: a slave
carries no address, even where an installer's file gave it one), its VLANs
under ``vlans:``; addresses, routes (the gateways, as ``to: default``
routes) and nameservers as netplan takes them. ``90-`` sorts after the
installer's ``50-cloud-init.yaml``, so where both set a key, ours is merged
last and wins.

Files are mode 0600: netplan warns that others are "too open" and ``netplan
apply`` refuses group- or world-readable files on newer releases.

Values. Every string is written as a JSON string, which is a YAML
double-quoted scalar: no value can be read as another type (``on``, ``0x1``,
``null``), start a mapping or a comment. Numbers and booleans are written
bare, as netplan's own examples write them.

Options netplan has no key for are refused (:func:`refusals`), naming netplan.
"""

import ipaddress
import json

from ..config.names import check_ifname, checked_vlan_device
from ..config.options import OPTIONS
from . import ifupdown
from .ifcfg import MARK_FORMAT, check_state, option_words, read_mark  # noqa: F401 (read_mark)

FILE_PREFIX = "90-salt-bond-"
FILE_SUFFIX = ".yaml"
_INDENT = "  "


def file_name(bond_name):
    return f"{FILE_PREFIX}{check_ifname(bond_name)}{FILE_SUFFIX}"


def is_candidate(name):
    """Whether a file in the netplan directory may be ours (netplan reads ``*.yaml``)."""
    return name.endswith(FILE_SUFFIX) and not name.startswith(".")


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    text = str(value)
    if "\0" in text:
        raise ValueError(f"{text!r}: a NUL character cannot be written to a netplan file")
    return json.dumps(text, ensure_ascii=False)


def _lines(mapping, depth):
    """YAML lines of ``mapping`` ({key: value, a nested dict, or a list of dicts}); None
    values, and dicts with nothing left, are left out."""
    lines, pad = [], _INDENT * depth
    for key, value in mapping.items():
        if value is None:
            continue
        name = key if key.replace("-", "").isalnum() else _scalar(key)
        if isinstance(value, dict):
            inner = _lines(value, depth + 1)
            lines += [f"{pad}{name}:", *inner] if inner else []
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{pad}{name}:")
            for item in value:
                inner = _lines(item, depth + 2)
                lines.append(f"{pad}{_INDENT}- {inner[0].lstrip()}")
                lines += inner[1:]
        else:
            lines.append(f"{pad}{name}: {_scalar(value)}")
    return lines


def _value(name, text):
    """A bond option's canonical text as netplan takes it (by the option's kind)."""
    kind = OPTIONS[name].kind
    if kind == "int":
        return int(text)
    if kind == "switch":
        return text == "1"
    if kind == "ipv4_list":
        return text.split(",")
    return text


def parameters(bond):
    """``{netplan key: value}``: the mode and the options, in table order. An option netplan
    has no key for raises ValueError (:func:`refusals` names it to the user first)."""
    found = {}
    for name, text in option_words(bond):
        key = OPTIONS[name].netplan
        if key is None:
            raise ValueError(f"{bond.name}: netplan has no key for {name}")
        found[key] = _value(name, text)
    return found


def _prefix(interface):
    if interface.prefix is not None:
        return interface.prefix
    return ipaddress.IPv4Network(f"0.0.0.0/{interface.netmask}").prefixlen


def _addressing(interface):
    """An interface's addresses, routes, DHCP, IPv6 method, nameservers and MTU."""
    addresses = []
    if interface.ipaddr is not None:
        addresses.append(f"{interface.ipaddr}/{_prefix(interface)}")
    addresses += interface.ipv6addr
    routes = [{"to": "default", "via": gateway}
              for gateway in (interface.gateway, interface.ipv6_defaultgw) if gateway]
    method = interface.ipv6_method
    return {
        "dhcp4": interface.bootproto == "dhcp",
        # IPv6 as model.ipv6_method says: DHCPv6, router advertisements (SLAAC) on or off;
        # "ignore" leaves both as the kernel and networkd have them.
        "dhcp6": method == "dhcp" if method != "ignore" else None,
        "accept-ra": method == "auto" if method not in ("ignore", "dhcp") else None,
        "addresses": addresses or None,
        "routes": routes or None,
        "nameservers": {"addresses": interface.dns or None,
                        "search": interface.domain or None},
        "mtu": interface.mtu,
        # Not brought up at boot (networkd's ActivationPolicy=manual).
        "activation-mode": None if interface.onboot else "manual",
    }


def render_bond(bond, state):
    """``{file name: text}`` for one bond: its netplan file (slaves, bond, VLANs)."""
    name = check_ifname(bond.name)
    ethernets = {check_ifname(slave): {"renderer": "networkd", "dhcp4": False, "dhcp6": False}
                 for slave in bond.slaves}
    bonds = {name: {"renderer": "networkd", "interfaces": list(bond.slaves),
                    **_addressing(bond), "parameters": parameters(bond)}}
    vlans = {}
    for vid in sorted(bond.vlans):
        vlan = bond.vlans[vid]
        device = checked_vlan_device(name, vid, vlan)
        vlans[device] = {"renderer": "networkd", "id": vid, "link": name, **_addressing(vlan)}
    network = {"version": 2, "ethernets": ethernets, "bonds": bonds, "vlans": vlans}
    lines = [MARK_FORMAT.format(bond=name, state=check_state(state)), "network:"]
    lines += _lines(network, 1)
    return {file_name(name): "\n".join(lines) + "\n"}


def read_lenient(text):
    """The ``network`` mapping of a netplan file ({} when it is not YAML netplan reads).
    Lenient: an installer's file need not be ours; the one reader of files we did not
    write."""
    import yaml  # PyYAML: Salt's own dependency, so on every minion

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    network = document.get("network") if isinstance(document, dict) else None
    return network if isinstance(network, dict) else {}


def keys_of(text):
    """``<kind>.<interface>.<key>`` of every setting a netplan file makes (read leniently)."""
    found = set()
    for kind, interfaces in read_lenient(text).items():
        if not isinstance(interfaces, dict):
            found.add(str(kind))
            continue
        for interface, settings in interfaces.items():
            keys = settings if isinstance(settings, dict) else {"": None}
            found |= {f"{kind}.{interface}.{key}".rstrip(".") for key in keys}
    return found


def refusals(config, path):
    """``[(pillar path, message)]``: the bond options netplan has no key for, and what the
    Debian formats do not write (ifupdown.unwritten)."""
    return [(f"{path}:{name}:{option}", (
        f"{OPTIONS[option].netplan_refused}: netplan files cannot set {option}; leave it "
        "out, or use format: ifupdown or keyfile where those are what the minion reads"))
        for name, bond in config.bonds.items() for option in bond.options
        if OPTIONS[option].netplan is None] + [
        found for name, bond in config.bonds.items()
        for found in ifupdown.unwritten(f"{path}:{name}", bond, "netplan files")]
