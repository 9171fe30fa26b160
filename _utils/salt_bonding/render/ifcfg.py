"""A validated bond -> RHEL ifcfg files (``ifcfg-<bond>``, per slave, per VLAN).

Pure Python, no Salt. Values are quoted by ``shell.quote`` (bash reads these
files); the option words of ``BONDING_OPTS`` are checked, since ifup-eth splits
and expands them unquoted.

Marks. Every file starts with ``MARK_FORMAT`` naming the bond it belongs to
and the state that wrote it; ``read_mark`` recognises only that line (and the
owner-less mark of earlier versions), and only files carrying it are ever
removed, by the state that wrote them.
"""

import ipaddress
import re

from ..config.model import Mark
from ..config.names import check_ifname, checked_vlan_device
from ..config.ports import TABLE as PORT_TABLE
from ..config.values import describe, suggest
from ..host.networkmanager import AUTOCONNECT_PRIORITY
from .ifcfg_keys import KNOWN_KEYS, SHELL_NAMES, is_known
from .shell import parse, quote  # noqa: F401  (parse: reading our files back)

FILE_PREFIX = "ifcfg-"
MARK_FORMAT = ("# Managed by Salt (bond state, {bond}; owner {state})."
               " Local changes will be overwritten.")
_MARK = re.compile(
    r"# Managed by Salt \(bond state, (?P<bond>[^\s;]+)(?:; owner (?P<state>\S+))?\)\."
    r" Local changes will be overwritten\."
)

# Keys this module writes itself; an extra ``ifcfg`` key may not override them.
# (IPADDR0 & co. and VLAN_ID are aliases that initscripts/NetworkManager also read.)
RESERVED_KEYS = frozenset({
    "DEVICE", "NAME", "TYPE", "BONDING_MASTER", "BONDING_OPTS", "ONBOOT", "BOOTPROTO",
    "IPADDR", "IPADDR0", "PREFIX", "PREFIX0", "NETMASK", "NETMASK0", "GATEWAY", "GATEWAY0",
    "MTU", "NM_CONTROLLED", "MASTER", "SLAVE", "VLAN", "VLAN_ID", "PHYSDEV",
    "IPV6INIT", "IPV6ADDR", "IPV6ADDR_SECONDARIES", "IPV6_DEFAULTGW", "IPV6_AUTOCONF",
    "DHCPV6C", "DNS1", "DNS2", "DNS3", "DOMAIN", "AUTOCONNECT_PRIORITY", "MACADDR",
    *(option.ifcfg_key for option in PORT_TABLE),
})

# Names that change how the sourcing shell (ifup) itself behaves: never ifcfg keys.
SHELL_KEYS = re.compile(
    r"PATH|IFS|ENV|BASH_ENV|BASH_.*|SHELLOPTS|BASHOPTS|CDPATH|GLOBIGNORE|PS4|HOME"
    r"|PROMPT_COMMAND|LD_.*|LANG|LC_.*|TMPDIR|POSIXLY_CORRECT"
)
# What names the state that wrote a file, in its mark (see plan.state_id).
STATE_ID = re.compile(r"bond\.(reconciled|managed):[A-Za-z0-9_.:-]+")
# What an extra ``ifcfg`` key must look like.
IFCFG_KEY = re.compile(r"[A-Z][A-Z0-9_]*")
# BONDING_OPTS is word-split and glob-expanded unquoted by ifup-eth (`for arg in
# $BONDING_OPTS`, `echo $value > sysfs`), and `key=value` is cut at `=`; module
# options are whitespace-split by kmod. So option words stay in this set.
OPTION_NAME = re.compile(r"[a-z][a-z0-9_]*")
OPTION_VALUE = re.compile(r"[A-Za-z0-9_.,:+@%-]+")


def _key_problem(key):
    """What no extra key may be, known or site-specific."""
    if not isinstance(key, str) or not IFCFG_KEY.fullmatch(key):
        return f"invalid ifcfg key {describe(key)}: expected [A-Z][A-Z0-9_]*"
    if key in RESERVED_KEYS:
        return (f"ifcfg key {key} is written by this module; set it through its pillar key "
                "(mode, slaves, ipaddr, mtu, ...) instead")
    if SHELL_KEYS.fullmatch(key) or key in SHELL_NAMES:
        return f"{key} is not an ifcfg key: it would change the shell that sources the file"
    return None


def extra_key_problem(key):
    """Why ``key`` cannot be an extra ``ifcfg`` key, or None (validation and rendering).

    Only keys that initscripts or NetworkManager read (``ifcfg_keys``).
    """
    problem = _key_problem(key)
    if problem is None and not is_known(key):
        problem = (f"unknown ifcfg key {key}: neither initscripts nor NetworkManager reads it "
                   "(a key only your own scripts read, such as ifup-local, goes under "
                   f"ifcfg_site){suggest(key, KNOWN_KEYS)}")
    return problem


def site_key_problem(key):
    """Why ``key`` cannot be an ``ifcfg_site`` key (one only the site's own scripts read)."""
    problem = _key_problem(key)
    if problem is None and is_known(key):
        problem = f"{key} is an ifcfg key initscripts or NetworkManager read: give it under ifcfg"
    return problem


def read_mark(text):
    """The :class:`~salt_bonding.config.model.Mark` on the first line of ``text``, or None."""
    first_line = text.split("\n", 1)[0]
    match = _MARK.fullmatch(first_line)
    return Mark(match["bond"], match["state"]) if match else None


def managed_owner(text):
    """The bond named by our mark on the first line of ``text``, or None."""
    mark = read_mark(text)
    return mark.bond if mark else None


_ANY_ASSIGNMENT = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")


def read_lenient(text):
    """``{VAR: value}`` of the assignments a file makes, each value read as bash reads one
    word (quotes removed, backslash escapes, a comment after it dropped; no expansions).
    Lenient: an installer's file need not be ours, so lines that are not assignments are
    skipped, not refused; the one reader of files we did not write."""
    values = {}
    for line in text.splitlines():
        match = _ANY_ASSIGNMENT.match(line)
        if match:
            values[match[1]] = _shell_word(match[2])
    return values


def _shell_word(text):
    """The first shell word of ``text``: ``'no' # off`` is ``no``, ``"a b"c`` is ``a bc``,
    ``no#x`` is ``no#x`` (a ``#`` starts a comment only where a word could start)."""
    word, quote, index = [], None, 0
    while index < len(text):
        char = text[index]
        if quote == "'":
            if char == "'":
                quote = None
            else:
                word.append(char)
        elif quote == '"':
            if char == '"':
                quote = None
            elif char == "\\" and text[index + 1:index + 2] in ('"', "\\", "$", "`"):
                index += 1
                word.append(text[index])
            else:
                word.append(char)
        elif char in "'\"":
            quote = char
        elif char == "\\" and index + 1 < len(text):
            index += 1
            word.append(text[index])
        elif char in " \t;":
            break
        else:
            word.append(char)
        index += 1
    return "".join(word)


def keys_of(text):
    """The variables a file assigns, read leniently (:func:`read_lenient`)."""
    return set(read_lenient(text))


def _yes_no(flag):
    return "yes" if flag else "no"


def _ipv6_gateway(interface, device):
    """IPV6_DEFAULTGW: a link-local gateway with this device as its scope, the form
    initscripts need (``ipv6_set_default_route`` adds no route through a link-local
    gateway with neither a scope nor IPV6_DEFAULTDEV)."""
    gateway = interface.ipv6_defaultgw
    if gateway is not None and ipaddress.IPv6Address(gateway).is_link_local:
        return f"{gateway}%{device}"
    return gateway


def _ip_keys(interface, device):
    prefix = interface.prefix
    return [
        ("BOOTPROTO", interface.bootproto or "none"),
        ("IPADDR", interface.ipaddr),
        # initscripts and NetworkManager prefer PREFIX; NETMASK only when no prefix.
        ("PREFIX", prefix),
        ("NETMASK", interface.netmask if prefix is None else None),
        ("GATEWAY", interface.gateway),
        ("MTU", interface.mtu),
        # IPv6 and DNS only when pillar gives them (initscripts' and ifcfg-rh's names).
        ("IPV6INIT", True if interface.ipv6init else None),
        ("IPV6ADDR", interface.ipv6addr[0] if interface.ipv6addr else None),
        ("IPV6ADDR_SECONDARIES", " ".join(interface.ipv6addr[1:]) or None),
        ("IPV6_DEFAULTGW", _ipv6_gateway(interface, device)),
        # Always said: both ifcfg readers default to yes, a keyfile's method to no beside a
        # static address or DHCPv6 (model.ipv6_method: one meaning for every reader).
        ("IPV6_AUTOCONF", interface.ipv6_method == "auto" if interface.ipv6init else None),
        ("DHCPV6C", interface.dhcpv6c),
        *((f"DNS{number}", server) for number, server in enumerate(interface.dns, 1)),
        ("DOMAIN", " ".join(interface.domain) or None),
    ]


def _extra_keys(owner, interface):
    pairs = []
    for extras, key_problem in ((interface.ifcfg, extra_key_problem),
                                (interface.ifcfg_site, site_key_problem)):
        for key in sorted(extras):
            problem = key_problem(key)
            if problem:
                raise ValueError(f"{owner}: {problem}")
            pairs.append((key, extras[key]))
    return pairs


def _render(bond_name, state, pairs):
    lines = [MARK_FORMAT.format(bond=bond_name, state=check_state(state))]
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, bool):
            value = _yes_no(value)
        lines.append(f"{key}={quote(str(value))}")
    return "\n".join(lines) + "\n"


def bonding_opts(bond):
    """``BONDING_OPTS`` of a bond: mode first, then its options in table order."""
    return " ".join(f"{k}={v}" for k, v in option_words(bond))


def option_words(bond, only=None):
    """``[(name, value)]``: mode first, then the options (``only`` these names when given).

    ``BONDING_OPTS`` is word-split and glob-expanded unquoted by ifup-eth, and
    modprobe splits module options on blanks: a word outside the safe set is a
    bug upstream (validation produces none) and raises ValueError.
    """
    pairs = [("mode", bond.mode)] + [(k, v) for k, v in bond.options.items() if k != "mode"]
    checked = []
    for key, value in pairs:
        if only is not None and key not in only:
            continue
        value = str(value)
        if not OPTION_NAME.fullmatch(key) or not OPTION_VALUE.fullmatch(value):
            raise ValueError(
                f"{bond.name}: bonding option {key}={value!r} cannot be written: option"
                " words are split and expanded unquoted by ifup-eth and modprobe"
            )
        checked.append((key, value))
    return checked


def port_keys(bond, slave, for_networkmanager):
    """``[(ifcfg-rh variable, value)]`` of a slave's own settings (config/ports.py), read
    by NetworkManager's ifcfg-rh plugin from the port's file; initscripts have none (the
    renderer refuses them for network-scripts first: ValueError here)."""
    given = bond.ports.get(slave, {})
    if given and not for_networkmanager:
        raise ValueError(f"{bond.name}: slave {slave}'s settings cannot be written for "
                         "network-scripts")
    return [(option.ifcfg_key, given[option.name]) for option in PORT_TABLE
            if given.get(option.name, option.default) != option.default]


def check_state(state):
    """``state`` when it can stand in the one-line mark (no blanks, no ')'), else ValueError."""
    if not isinstance(state, str) or not STATE_ID.fullmatch(state):
        raise ValueError(f"{state!r} cannot name the state in a file's mark")
    return state


def render_bond(bond, state, for_networkmanager=False):
    """``{file name: text}`` for one bond, marked as written by ``state``: its own file,
    one per slave, one per VLAN. ``NM_CONTROLLED=no`` (network-scripts bring them up)
    unless ``for_networkmanager``: then ``yes``, which NetworkManager's ifcfg-rh plugin
    reads (nm-settings-ifcfg-rh(5))."""
    name = check_ifname(bond.name)
    nm_controlled = ("NM_CONTROLLED", "yes" if for_networkmanager else "no")
    # NetworkManager activates ours over other profiles for the same device.
    priority = ("AUTOCONNECT_PRIORITY", AUTOCONNECT_PRIORITY if for_networkmanager else None)
    files = {}
    files[f"{FILE_PREFIX}{name}"] = _render(name, state, [
        ("DEVICE", name),
        ("NAME", name),
        ("TYPE", "Bond"),
        ("BONDING_MASTER", "yes"),
        ("BONDING_OPTS", bonding_opts(bond)),
        # ifup-eth sets it (ip link set address) before enslaving; ifcfg-rh reads it as
        # ethernet.cloned-mac-address.
        ("MACADDR", bond.macaddr),
        ("ONBOOT", bond.onboot),
        *_ip_keys(bond, name),
        nm_controlled,
        priority,
        *_extra_keys(name, bond),
    ])
    for slave in bond.slaves:
        check_ifname(slave)
        files[f"{FILE_PREFIX}{slave}"] = _render(name, state, [
            ("DEVICE", slave),
            ("NAME", slave),
            ("TYPE", "Ethernet"),
            ("MASTER", name),
            ("SLAVE", "yes"),
            ("BOOTPROTO", "none"),
            ("ONBOOT", bond.onboot),
            nm_controlled,
            priority,
            *port_keys(bond, slave, for_networkmanager),
        ])
    for vid in sorted(bond.vlans):
        vlan = bond.vlans[vid]
        device = checked_vlan_device(name, vid, vlan)
        files[f"{FILE_PREFIX}{device}"] = _render(name, state, [
            ("DEVICE", device),
            ("NAME", device),
            ("VLAN", "yes"),
            ("PHYSDEV", name),
            ("ONBOOT", vlan.onboot),
            *_ip_keys(vlan, device),
            nm_controlled,
            priority,
            *_extra_keys(device, vlan),
        ])
    return files


def unwritten_ifcfg_keys(config, path, files):
    """Warnings for the extra ifcfg keys of ``config`` (``ifcfg``, ``ifcfg_site``) in a
    format that has no place for them: this minion gets ``files`` (in words)."""
    found = []
    for name, bond in config.bonds.items():
        for where, interface in [(f"{path}:{name}", bond)] + [
                (f"{path}:{name}:vlans:{vid}", vlan) for vid, vlan in bond.vlans.items()]:
            for key in ("ifcfg", "ifcfg_site"):
                extra = getattr(interface, key)
                if extra:
                    found.append(f"{where}:{key}: {', '.join(sorted(extra))} not written: "
                                 f"ifcfg keys are for ifcfg files, and this minion gets {files}")
    return found
