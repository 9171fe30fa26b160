"""Validated bond config -> RHEL ifcfg files and the modprobe block; shell quoting and parsing back.

Pure Python, no Salt. Input is the normalised config of ``bond_schema.validate``.

Quoting. ifcfg files are shell: initscripts' ``ifup`` (``#!/bin/bash``) sources
them, and NetworkManager's ifcfg-rh reader (``shvar.c`` ``svUnescape``) parses
the same bash syntax. A value is written

- bare when it only holds ``[A-Za-z0-9_@%+=:,./-]`` (nothing bash expands in an
  assignment; ``~`` is excluded because bash tilde-expands it after ``=``/``:``);
- in double quotes otherwise, with ``"``, ``\\``, ``$`` and backtick escaped;
- in ANSI-C quotes ``$'...'`` when it holds a control character (newline, tab,
  DEL, ...): there is no other way to put a newline in a one-line assignment, and
  rejecting would refuse values that are representable. ``$'...'`` is bash, not
  POSIX sh, but these files are only ever read by bash and by NetworkManager,
  whose ``svUnescape`` decodes ``$'...'`` (its own ``svEscape`` writes exactly
  this form for control characters). Escapes used: ``\\n \\t \\r \\\\ \\'``
  and three-digit octal for the other controls, which both readers decode alike.
- NUL cannot live in a shell variable: ``ValueError``; nor can a lone surrogate
  (not encodable as UTF-8).

``parse`` reads back what ``render_*`` writes (bare, ``"..."``, ``'...'``,
``$'...'`` and their concatenation) and refuses anything that bash would expand.

Marks. Every ifcfg file starts with ``MARK_FORMAT`` naming the bond it belongs
to; ``managed_owner`` recognises only that line. The modprobe file starts with
``MODPROBE_MARK`` and holds one block between ``MODPROBE_BEGIN`` and
``MODPROBE_END``; all its other lines belong to the administrator and are kept
verbatim. Only files carrying a mark are ever removed (see ``bond_files``).
"""

import re

MARK_FORMAT = "# Managed by Salt (bond state, {bond}). Local changes will be overwritten."
_MARK = re.compile(
    r"# Managed by Salt \(bond state, (?P<bond>\S+)\)\. Local changes will be overwritten\."
)
MODPROBE_MARK = (
    "# Partly managed by Salt (bond state): the lines between the BEGIN and END markers"
    " below are overwritten; all other lines are kept."
)
MODPROBE_BEGIN = "# BEGIN bond state (managed by Salt)"
MODPROBE_END = "# END bond state (managed by Salt)"

# Keys this module writes itself; an extra ``ifcfg`` key may not override them.
# (IPADDR0 & co. and VLAN_ID are aliases that initscripts/NetworkManager also read.)
RESERVED_KEYS = frozenset({
    "DEVICE", "NAME", "TYPE", "BONDING_MASTER", "BONDING_OPTS", "ONBOOT", "BOOTPROTO",
    "IPADDR", "IPADDR0", "PREFIX", "PREFIX0", "NETMASK", "NETMASK0", "GATEWAY", "GATEWAY0",
    "MTU", "NM_CONTROLLED", "MASTER", "SLAVE", "VLAN", "VLAN_ID", "PHYSDEV",
})

# Names that change how the sourcing shell (ifup) itself behaves: never ifcfg keys.
SHELL_KEYS = re.compile(
    r"PATH|IFS|ENV|BASH_ENV|BASH_.*|SHELLOPTS|BASHOPTS|CDPATH|GLOBIGNORE|PS4|HOME"
    r"|PROMPT_COMMAND|LD_.*|LANG|LC_.*|TMPDIR|POSIXLY_CORRECT"
)
_BARE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
# What an extra ``ifcfg`` key must look like (bond_schema validates against it too).
IFCFG_KEY = re.compile(r"[A-Z][A-Z0-9_]*")
_ASSIGNMENT = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)")
# BONDING_OPTS is word-split and glob-expanded unquoted by ifup-eth (`for arg in
# $BONDING_OPTS`, `echo $value > sysfs`), and `key=value` is cut at `=`; module
# options are whitespace-split by kmod. So option words stay in this set.
_OPTION_NAME = re.compile(r"[a-z][a-z0-9_]*")
_OPTION_VALUE = re.compile(r"[A-Za-z0-9_.,:+@%-]+")
_DOUBLE_QUOTED_ESCAPES = str.maketrans({c: "\\" + c for c in '"\\$`'})
_ANSI_C_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", "'": "\\'"}
_ANSI_C_DECODE = {
    "a": 7, "b": 8, "e": 27, "E": 27, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
    "\\": 92, "'": 39, '"': 34, "?": 63,
}
_OCTAL = "01234567"
_HEX = "0123456789abcdefABCDEF"


# -- quoting ------------------------------------------------------------------
def _is_control(char):
    return char < " " or char == "\x7f"


def quote(value):
    """``value`` as a bash word that, assigned (``KEY=<word>``), yields exactly ``value``."""
    if not isinstance(value, str):
        raise TypeError(f"quote() takes a str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{value!r}: a NUL character cannot be stored in a shell variable")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{value!r} is not valid text ({exc.reason})") from None
    if _BARE.fullmatch(value):
        return value
    if any(_is_control(c) for c in value):
        return "$'" + "".join(_ansi_c_escape(c) for c in value) + "'"
    return '"' + value.translate(_DOUBLE_QUOTED_ESCAPES) + '"'


def _ansi_c_escape(char):
    if char in _ANSI_C_ESCAPES:
        return _ANSI_C_ESCAPES[char]
    if _is_control(char):
        return f"\\{ord(char):03o}"
    return char


def unquote(word):
    """The string bash assigns for ``KEY=<word>``, for the quoting ``quote`` produces.

    Raises ``ValueError`` for anything bash would expand or split (unquoted
    blanks, ``$``, backticks, ``;`` ...) rather than guess.
    """
    out = bytearray()
    i, n = 0, len(word)
    while i < n:
        char = word[i]
        if char == '"':
            i = _read_double_quoted(word, i + 1, out)
        elif word.startswith("$'", i):
            i = _read_ansi_c(word, i + 2, out)
        elif char == "'":
            end = word.find("'", i + 1)
            if end < 0:
                raise ValueError(f"unterminated single quote in {word!r}")
            out += word[i + 1:end].encode()
            i = end + 1
        elif char == "\\" and i + 1 < n:
            out += word[i + 1].encode()
            i += 2
        elif _BARE.fullmatch(char):
            out += char.encode()
            i += 1
        else:
            raise ValueError(f"unquoted {char!r} in {word!r}: not a value this module writes")
    return out.decode("utf-8")


def _read_double_quoted(word, i, out):
    while i < len(word):
        char = word[i]
        if char == '"':
            return i + 1
        if char in "$`":
            raise ValueError(f"unescaped {char!r} in double quotes in {word!r} (shell expansion)")
        if char == "\\" and i + 1 < len(word):
            following = word[i + 1]
            if following not in '"\\$`':
                out += b"\\"
            out += following.encode()
            i += 2
            continue
        out += char.encode()
        i += 1
    raise ValueError(f"unterminated double quote in {word!r}")


def _read_ansi_c(word, i, out):
    while i < len(word):
        char = word[i]
        if char == "'":
            return i + 1
        if char != "\\" or i + 1 >= len(word):
            out += char.encode()
            i += 1
            continue
        code = word[i + 1]
        i += 2
        if code in _ANSI_C_DECODE:
            out.append(_ANSI_C_DECODE[code])
        elif code in _OCTAL:
            digits = code
            while len(digits) < 3 and i < len(word) and word[i] in _OCTAL:
                digits += word[i]
                i += 1
            out.append(int(digits, 8) & 0xFF)  # bash keeps the low byte too
        elif code == "x" and i < len(word) and word[i] in _HEX:
            digits = word[i]
            i += 1
            if i < len(word) and word[i] in _HEX:
                digits += word[i]
                i += 1
            out.append(int(digits, 16))
        else:
            out += ("\\" + code).encode()
    raise ValueError(f"unterminated $'...' quote in {word!r}")


def parse(text):
    """``{KEY: value}`` of an ifcfg file as written by this module (comments and blanks skipped)."""
    values = {}
    # Only "\n" ends a line for bash; str.splitlines would also split on U+2028 etc.
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        match = _ASSIGNMENT.fullmatch(stripped)
        if not match:
            raise ValueError(f"line {number}: not a KEY=value assignment: {line!r}")
        try:
            values[match["key"]] = unquote(match["value"])
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    return values


# -- marks --------------------------------------------------------------------
def managed_owner(text):
    """The bond named by this module's mark on the first line of ``text``, or None."""
    first_line = text.split("\n", 1)[0]
    match = _MARK.fullmatch(first_line)
    return match["bond"] if match else None


def is_managed(text):
    """Whether ``text`` carries one of this module's marks (an ifcfg or the modprobe file)."""
    first_line = text.split("\n", 1)[0]
    return first_line == MODPROBE_MARK or _MARK.fullmatch(first_line) is not None


# -- ifcfg files ----------------------------------------------------------------
def check_ifname(name):
    """Guard for names that become file names and mark text: a Linux interface name.

    Validation proper happens in bond_schema; this stops a bad name from ever
    becoming a path (``x/../../etc``) or breaking the one-line mark.
    """
    if (
        not isinstance(name, str)
        or not 1 <= len(name) <= 15
        or name in (".", "..")
        or any(c in "/:'\"\\" or c.isspace() or _is_control(c) for c in name)
    ):
        raise ValueError(f"{name!r} is not a valid interface name")
    return name


def _onoff(flag):
    return "yes" if flag else "no"


def _ip_keys(spec):
    prefix = spec.get("prefix")
    return [
        ("BOOTPROTO", spec.get("bootproto") or "none"),
        ("IPADDR", spec.get("ipaddr")),
        # initscripts and NetworkManager prefer PREFIX; NETMASK only when no prefix.
        ("PREFIX", prefix),
        ("NETMASK", spec.get("netmask") if prefix is None else None),
        ("GATEWAY", spec.get("gateway")),
        ("MTU", spec.get("mtu")),
    ]


def _extra_keys(owner, spec):
    pairs = []
    for key in sorted(spec.get("ifcfg") or {}):
        if not IFCFG_KEY.fullmatch(key):
            raise ValueError(f"{owner}: ifcfg key {key!r} must match [A-Z][A-Z0-9_]*")
        if key in RESERVED_KEYS:
            raise ValueError(f"{owner}: ifcfg key {key!r} is written by the bond state itself")
        if SHELL_KEYS.fullmatch(key):
            raise ValueError(f"{owner}: ifcfg key {key!r} would change the shell that sources"
                             " the file")
        pairs.append((key, spec["ifcfg"][key]))
    return pairs


def _render(bond_name, pairs):
    lines = [MARK_FORMAT.format(bond=bond_name)]
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, bool):
            value = _onoff(value)
        lines.append(f"{key}={quote(str(value))}")
    return "\n".join(lines) + "\n"


def bonding_opts(bond):
    """``BONDING_OPTS`` of a bond: mode first, then its options in table order."""
    return " ".join(f"{k}={v}" for k, v in _option_pairs(bond, None))


def _option_pairs(bond, only):
    options = bond.get("options") or {}
    pairs = [("mode", bond["mode"])] + [(k, v) for k, v in options.items() if k != "mode"]
    checked = []
    for key, value in pairs:
        if only is not None and key not in only:
            continue
        value = str(value)
        if not _OPTION_NAME.fullmatch(key) or not _OPTION_VALUE.fullmatch(value):
            raise ValueError(
                f"{bond['name']}: bonding option {key}={value!r} cannot be written: option"
                " words are split and expanded unquoted by ifup-eth and modprobe"
            )
        checked.append((key, value))
    return checked


def render_bond(bond):
    """``{filename: text}`` for one bond: its own file, one per slave, one per VLAN."""
    name = check_ifname(bond["name"])
    onboot = bond.get("onboot", True)
    files = {}
    files[f"ifcfg-{name}"] = _render(name, [
        ("DEVICE", name),
        ("NAME", name),
        ("TYPE", "Bond"),
        ("BONDING_MASTER", "yes"),
        ("BONDING_OPTS", bonding_opts(bond)),
        ("ONBOOT", onboot),
        *_ip_keys(bond),
        ("NM_CONTROLLED", "no"),
        *_extra_keys(name, bond),
    ])
    for slave in bond.get("slaves") or []:
        check_ifname(slave)
        files[f"ifcfg-{slave}"] = _render(name, [
            ("DEVICE", slave),
            ("NAME", slave),
            ("TYPE", "Ethernet"),
            ("MASTER", name),
            ("SLAVE", "yes"),
            ("BOOTPROTO", "none"),
            ("ONBOOT", onboot),
            ("NM_CONTROLLED", "no"),
        ])
    for vid in sorted(bond.get("vlans") or {}):
        vlan = bond["vlans"][vid]
        device = f"{name}.{int(vid)}"
        if vlan.get("device", device) != device:
            raise ValueError(f"{name}: VLAN {vid} device {vlan['device']!r} is not {device!r}")
        check_ifname(device)
        files[f"ifcfg-{device}"] = _render(name, [
            ("DEVICE", device),
            ("NAME", device),
            ("VLAN", "yes"),
            ("PHYSDEV", name),
            ("ONBOOT", vlan.get("onboot", True)),
            *_ip_keys(vlan),
            ("NM_CONTROLLED", "no"),
            *_extra_keys(device, vlan),
        ])
    return files


def render_files(config):
    """``{filename: text}`` of every ifcfg file of ``config``, sorted by file name."""
    files = {}
    for bond_name in sorted(config.get("bonds") or {}):
        for filename, text in render_bond(config["bonds"][bond_name]).items():
            if filename in files:
                raise ValueError(f"{filename} would be written for two bonds ({bond_name} and"
                                 f" {managed_owner(files[filename])})")
            files[filename] = text
    return dict(sorted(files.items()))


# -- modprobe file ----------------------------------------------------------------
def modprobe_lines(bond, with_options, module_params):
    """The block lines of one bond: its alias, and its module options when asked.

    ``options netdev-<bond>``: the kernel auto-loads the driver with ``modprobe
    netdev-<bond>``, and modprobe applies the options of the name it was asked
    for; the classic ``options bond0`` beside ``alias netdev-bond0`` is ignored
    (tests/kernel/test_modprobe_kernel.py shows both).
    """
    name = check_ifname(bond["name"])
    lines = [f"alias netdev-{name} bonding"]
    if with_options:
        pairs = _option_pairs(bond, set(module_params))
        if pairs:
            lines.append(f"options netdev-{name} " + " ".join(f"{k}={v}" for k, v in pairs))
    return lines


_BLOCK_ENTRY = re.compile(r"(?:alias|options) netdev-(?P<bond>\S+)(?: .*)?")


def _lines_with_ends(text):
    """Lines split on "\n" only, each keeping it (the last may lack it)."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _split_modprobe(existing_text):
    """(unmanaged lines, index of the block among them or None, {bond: block lines}, marked)."""
    lines = _lines_with_ends(existing_text or "")
    marked = bool(lines) and lines[0].rstrip("\n") == MODPROBE_MARK
    if marked:
        lines = lines[1:]
    unmanaged, block_at, entries, inside = [], None, {}, False
    for number, line in enumerate(lines, 1 + marked):
        stripped = line.rstrip("\n")
        if stripped == MODPROBE_BEGIN:
            if inside:
                raise ValueError(f"line {number}: a second {MODPROBE_BEGIN!r} before the end")
            inside = True
            if block_at is None:
                block_at = len(unmanaged)
        elif stripped == MODPROBE_END:
            if not inside:
                raise ValueError(f"line {number}: {MODPROBE_END!r} without its BEGIN line")
            inside = False
        elif inside:
            # Inside the block everything is ours; lines we cannot attribute are dropped.
            match = _BLOCK_ENTRY.fullmatch(stripped)
            if match:
                entries.setdefault(match["bond"], []).append(stripped)
        else:
            unmanaged.append(line)
    if inside:
        raise ValueError(f"{MODPROBE_BEGIN!r} without its END line: not touching the file")
    return unmanaged, block_at, entries, marked


def render_modprobe(existing_text, config, module_params, scope=None):
    """The modprobe file after this run: the administrator's lines kept, our block rewritten.

    ``existing_text``: the file now (None when absent). ``module_params``: the
    option names that are ``bonding`` module parameters. ``scope``: the bond
    names this run decides about (config's bonds are written, the others are
    dropped); the block's lines of bonds outside it are kept. None means every
    bond: the block then holds exactly the config's bonds.

    Returns None when the file should not exist: it carried our mark and nothing
    but blank lines remain once our block goes. A file without our mark and
    without bonds to add is returned unchanged.
    """
    unmanaged, block_at, entries, marked = _split_modprobe(existing_text)
    bonds = config.get("bonds") or {}
    with_options = bool(config.get("modprobe_options"))
    if scope is None:
        entries = {}
    else:
        for name in set(scope) | set(bonds):
            entries.pop(name, None)
    for name, bond in bonds.items():
        entries[name] = modprobe_lines(bond, with_options, module_params)
    if not entries:
        if not marked and block_at is None:
            return existing_text
        if not "".join(unmanaged).strip():
            return None
        return "".join(unmanaged)
    block = [MODPROBE_BEGIN + "\n"]
    for name in sorted(entries):
        block += [line + "\n" for line in entries[name]]
    block.append(MODPROBE_END + "\n")
    if block_at is None:
        block_at = len(unmanaged)
    before, after = unmanaged[:block_at], unmanaged[block_at:]
    if before and not before[-1].endswith("\n"):
        before[-1] += "\n"
    return MODPROBE_MARK + "\n" + "".join(before + block + after)
