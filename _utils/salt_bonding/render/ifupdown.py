"""A validated bond -> a Debian ifupdown stanza file (``interfaces.d/<bond>``).

One file per bond in the minion's ``bond.interfaces_dir`` (default
``/etc/network/interfaces.d``), which ``/etc/network/interfaces`` sources:
the bond's stanzas (``inet`` and, when pillar configures IPv6, ``inet6``)
with the ``bond-*`` keys Debian's ifenslave reads (its ``if-pre-up.d`` script
turns them into sysfs writes; the key of each option is in the option table,
``BondOption.ifupdown``), then one stanza per VLAN ``<bond>.<vid>`` (ifupdown
0.8 creates the VLAN device itself from the dotted name). The slaves are
named by ``bond-slaves``: ifenslave enslaves them when the bond comes up, so
they need no stanza of their own.

Values. ifupdown keeps an option's value verbatim to the end of its line (no
quotes, no escapes: ``ifquery`` prints ``"x"`` for ``"x"``), a trailing
backslash joins the next line, and ifenslave passes several values through
``sh`` unquoted (``for slave in $IF_BOND_PRIMARY``). So every value written
stays in a set nothing reads specially (``VALUE``); validation produces no
other, and a value outside it raises ValueError.

The file starts with the same mark as the other formats (a ``#`` comment).
"""

import os
import re

from ..config.names import check_ifname, checked_vlan_device
from ..config.options import OPTIONS, TABLE
from ..errors import UserError
from .ifcfg import MARK_FORMAT, check_state, option_words, read_mark  # noqa: F401 (read_mark)

# Words a value may hold (single blanks between them): nothing ifupdown or sh reads
# specially (no quotes, '$', '\\', '#', globs, control characters).
VALUE = re.compile(r"[A-Za-z0-9_.,:+@%/=-]+(?: [A-Za-z0-9_.,:+@%/=-]+)*")
_STANZA = re.compile(r"iface\s+(\S+)\s+(\S+)\s+(\S+)\s*")
_OPTION = re.compile(r"([A-Za-z0-9_-]+)\s+(.*?)\s*")
_INDENT = "    "


def file_name(bond_name):
    """The stanza file of a bond: its name (``source <dir>/*`` reads every file)."""
    return check_ifname(bond_name)


def is_candidate(name):
    """Whether a file in interfaces.d may be ours (hidden and backup files never are)."""
    return not name.startswith(".") and not name.endswith("~")


def _line(key, value):
    text = str(value)
    if not VALUE.fullmatch(text):
        raise ValueError(f"{key} {text!r} cannot be written to an ifupdown stanza: ifupdown "
                         "and ifenslave's sh read it unquoted")
    return f"{_INDENT}{key} {text}"


def bond_keys(bond):
    """``[(bond-* key, value)]`` of a bond: its slaves, mode and options in table order.

    An option ifenslave cannot set (``BondOption.ifupdown`` None) raises ValueError:
    :func:`refusals` names it to the user first.
    """
    pairs = [("bond-slaves", " ".join(check_ifname(s) for s in bond.slaves) or "none")]
    for name, value in option_words(bond):
        key = OPTIONS[name].ifupdown
        if key is None:
            raise ValueError(f"{bond.name}: ifenslave cannot set {name}")
        pairs.append((key, value.replace(",", " ") if name == "arp_ip_target" else value))
    return pairs


def _address4(interface):
    if interface.prefix is not None:
        return [("address", f"{interface.ipaddr}/{interface.prefix}")]
    if interface.netmask is not None:
        return [("address", interface.ipaddr), ("netmask", interface.netmask)]
    return [("address", interface.ipaddr)]


def _inet(interface):
    """``(method, [(key, value)])`` of the ``inet`` stanza."""
    if interface.bootproto == "dhcp":
        return "dhcp", []
    if interface.ipaddr is None:
        return "manual", []
    return "static", [*_address4(interface), ("gateway", interface.gateway)]


def _inet6(interface):
    """``[(method, [(key, value)])]``: the ``inet6`` stanzas (none: IPv6 as the kernel has it,
    pillar says nothing of it). The methods of ``model.ipv6_method``: static addresses with
    autoconfiguration beside them (``autoconf 1``, ``accept_ra 1``) or without (both 0),
    SLAAC alone (``auto``), DHCPv6 (``dhcp``), link-local only (``manual``). One stanza
    per static address, as interfaces(5) says to give several (a second ``address`` line
    in one stanza is misread by ifupdown 0.8.41: ifquery shows it); the gateway in the
    first. Static addresses beside DHCPv6 are refused (:func:`refusals`); validation gives
    a gateway only with an address."""
    method = interface.ipv6_method
    if method == "ignore":
        return []
    if method == "dhcp":
        return [("dhcp", [("autoconf", "0")])]
    if not interface.ipv6addr:
        return [("auto" if method == "auto" else "manual", [])]
    slaac = "1" if method == "auto" else "0"  # both default to 0 in inet6 static
    return [("static", [("address", address),
                        ("gateway", interface.ipv6_defaultgw if index == 0 else None),
                        ("autoconf", slaac), ("accept_ra", slaac)])
            for index, address in enumerate(interface.ipv6addr)]


def _dns(interface):
    return [("dns-nameservers", " ".join(interface.dns) or None),
            ("dns-search", " ".join(interface.domain) or None)]


def _stanzas(device, interface, head):
    """The lines of one interface: ``auto``, its inet stanza (``head`` first: the bond's
    keys), MTU and DNS, and its inet6 stanza."""
    lines = [f"auto {device}"] if interface.onboot else []
    method, pairs = _inet(interface)
    pairs = [*head, *pairs, ("mtu", interface.mtu), *_dns(interface)]
    lines.append(f"iface {device} inet {method}")
    lines += [_line(key, value) for key, value in pairs if value is not None]
    for method6, pairs6 in _inet6(interface):
        lines += ["", f"iface {device} inet6 {method6}"]
        lines += [_line(key, value) for key, value in pairs6 if value is not None]
    return lines


def render_bond(bond, state):
    """``{file name: text}`` for one bond: its stanza file (the bond, then its VLANs)."""
    name = check_ifname(bond.name)
    lines = [MARK_FORMAT.format(bond=name, state=check_state(state))]
    lines += _stanzas(name, bond, bond_keys(bond))
    for vid in sorted(bond.vlans):
        vlan = bond.vlans[vid]
        device = checked_vlan_device(name, vid, vlan)
        lines += [""] + _stanzas(device, vlan, [("vlan-raw-device", name)])
    return {file_name(name): "\n".join(lines) + "\n"}


def read_lenient(text):
    """``{(interface, family): {key: value}}`` of a stanza file, as ifupdown reads it (a
    key given twice, such as ``address``, keeps its values joined by a newline, as ifquery
    prints them). Lenient: other stanza kinds (``auto``, ``allow-*``, ``mapping``,
    ``source``) and lines outside a stanza are skipped; the one reader of files we did not
    write."""
    stanzas, current = {}, None
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        stanza = _STANZA.fullmatch(stripped)
        if stanza:
            current = stanzas.setdefault((stanza[1], stanza[2]), {"method": stanza[3]})
            continue
        if stripped.split()[0] in ("auto", "mapping", "source", "source-directory") or \
                stripped.startswith("allow-"):
            current = None
            continue
        option = _OPTION.fullmatch(stripped)
        if current is not None and option:
            key, value = option[1], option[2]
            current[key] = f"{current[key]}\n{value}" if key in current else value
    return stanzas


def keys_of(text):
    """``<iface> <family> <key>`` of every option a stanza file sets (read leniently)."""
    return {f"{iface} {family} {key}" for (iface, family), options in read_lenient(text).items()
            for key in options}


def _ipv6_refusals(where, interface):
    method = interface.ipv6_method
    if method == "dhcp" and (interface.ipv6addr or interface.ipv6_defaultgw):
        return [(where, "ifupdown's inet6 dhcp stanza takes no static address or gateway: "
                        "give DHCPv6 or static IPv6 addresses, not both (or use format: netplan)")]
    return []


def refusals(config, path):
    """``[(pillar path, message)]``: what ifupdown with ifenslave cannot write."""
    settable = ", ".join(option.name for option in TABLE if option.ifupdown)
    found = []
    for name, bond in config.bonds.items():
        found += _ipv6_refusals(f"{path}:{name}", bond)
        for vid, vlan in bond.vlans.items():
            found += _ipv6_refusals(f"{path}:{name}:vlans:{vid}", vlan)
        for option in bond.options:
            if OPTIONS[option].ifupdown is None:
                found.append((f"{path}:{name}:{option}", (
                    f"{OPTIONS[option].ifupdown_refused}: ifupdown files cannot set "
                    f"{option} (ifenslave sets {settable}); leave it out, or use format: "
                    "netplan or keyfile where those are what the minion reads")))
        found += unwritten(f"{path}:{name}", bond, "ifupdown files (ifenslave)")
    return found


def unwritten(where, bond, files):
    """``[(pillar path, message)]``: a bond's MAC and slave settings, which the Debian
    formats do not write (yet): refused, never dropped."""
    found = []
    if bond.macaddr is not None:
        found.append((f"{where}:macaddr", (
            f"{files} are not written with the bond's MAC address yet: leave macaddr "
            "out, or use format: keyfile or ifcfg")))
    for slave, settings in bond.ports.items():
        for setting in settings:
            found.append((f"{where}:slaves:{slave}:{setting}", (
                f"{files} are not written with slave settings: leave {setting} out (slaves "
                "as a list), or use format: keyfile or ifcfg read by NetworkManager")))
    return found


# /etc/network/interfaces must source the directory of our files: Debian's own file says
# `source /etc/network/interfaces.d/*`, but an older or edited one may not. Where no line
# of its own does, we add one in a marked block (the administrator's lines are kept, as
# in the modprobe file); where one does, nothing is added.
SOURCE_BEGIN = "# BEGIN bond state (managed by Salt): ifupdown reads the bonds' files there"
SOURCE_END = "# END bond state (managed by Salt)"
_SOURCE = re.compile(r"(source|source-directory)\s+(\S+)\s*")


def _sourced(word, keyword, interfaces_file):
    """The directory a ``source``/``source-directory`` line reads, normalised; None when it
    reads something else (one file, another glob)."""
    path = os.path.join(os.path.dirname(interfaces_file), word)  # relative: to that file
    if keyword == "source":
        if not path.endswith("/*"):
            return None
        path = path[:-2]
    return os.path.normpath(path)


def render_source(existing, directory, interfaces_file):
    """The interfaces file after this run (None: none there, none needed): our block with
    ``source <directory>/*`` where none of its own lines sources ``directory``, and
    without our block where one does. A BEGIN without its END (or the reverse) is
    refused: the administrator mends it."""
    lines = (existing or "").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    theirs, inside = [], False
    for number, line in enumerate(lines, 1):
        if line == SOURCE_BEGIN and not inside:
            inside = True
        elif line == SOURCE_END and inside:
            inside = False
        elif line in (SOURCE_BEGIN, SOURCE_END):
            raise UserError([(interfaces_file, f"line {number}: {line!r} out of place; not "
                                               "touching the file: mend or remove the block")])
        elif not inside:  # the block's own lines are ours: written again below
            theirs.append(line)
    if inside:
        raise UserError([(interfaces_file, f"{SOURCE_BEGIN!r} without its END line; not "
                                           "touching the file: mend or remove the block")])
    target = os.path.normpath(directory)
    sourced = any(_sourced(match[2], match[1], interfaces_file) == target
                  for line in theirs if (match := _SOURCE.fullmatch(line.strip())))
    block = [] if sourced else [SOURCE_BEGIN, f"source {target}/*", SOURCE_END]
    if existing is None and not block:
        return None
    return "\n".join(theirs + block) + "\n"


def has_source_block(text):
    """Whether an interfaces file holds our block (so it is partly ours)."""
    return SOURCE_BEGIN in (text or "").split("\n")
