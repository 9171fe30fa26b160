"""The modprobe file: one marked block of ``alias netdev-<bond> bonding`` lines.

Written in every format (harmless under NetworkManager, needed by hosts that
load the driver on demand). The file starts with ``MODPROBE_MARK`` and holds
one block between ``MODPROBE_BEGIN`` and ``MODPROBE_END``; all its other lines
belong to the administrator and are kept verbatim.
"""

import re

from ..config.names import check_ifname
from ..config.options import MODULE_PARAMS
from ..errors import UserError
from .ifcfg import option_words

MODPROBE_MARK = (
    "# Partly managed by Salt (bond state): the lines between the BEGIN and END markers"
    " below are overwritten; all other lines are kept."
)
MODPROBE_BEGIN = "# BEGIN bond state (managed by Salt)"
MODPROBE_END = "# END bond state (managed by Salt)"


def is_managed(text):
    """Whether ``text`` (a modprobe file) starts with our mark."""
    return text.split("\n", 1)[0] == MODPROBE_MARK


_DEFEATING = (
    (re.compile(r"blacklist\s+bonding\b.*"),
     "modprobe will not load the driver through an alias, so the bonds do not come up at boot"),
    (re.compile(r"install\s+bonding\s+(?P<command>.*)"),
     "modprobe runs that command instead of loading the driver"),
)
_ALIAS = re.compile(r"alias\s+netdev-(?P<bond>\S+)\s+(?P<target>\S+).*")


def defeating_lines(existing_text, bond_names, path="the modprobe file"):
    """Warnings for the administrator's lines that defeat our block (``[str]``).

    ``blacklist bonding``, ``install bonding <command>``, and an alias of one of
    ``bond_names`` outside our block.
    """
    if not existing_text:
        return []
    try:
        unmanaged, _, _, _ = _split_modprobe(existing_text, path)
    except UserError:
        return []  # a damaged block is refused on its own
    found = []
    for line in unmanaged:
        stripped = line.strip()
        for pattern, effect in _DEFEATING:
            if pattern.fullmatch(stripped):
                found.append(f"{path}: '{stripped}': {effect}")
        alias = _ALIAS.fullmatch(stripped)
        if alias and alias["bond"] in bond_names:
            found.append(f"{path}: '{stripped}' outside Salt's block: a second alias for "
                         f"{alias['bond']} (Salt's says bonding)")
    return found


def _damaged(path, problem):
    return UserError([(path, f"{problem}; not touching the file: mend or remove the block")])


def modprobe_lines(bond, with_options, module_params=MODULE_PARAMS):
    """The block lines of one bond: its alias, and its module options when asked.

    ``options netdev-<bond>``: the kernel auto-loads the driver with ``modprobe
    netdev-<bond>``, and modprobe applies the options of the name it was asked
    for; the classic ``options bond0`` beside ``alias netdev-bond0`` is ignored
    (tests/kernel/test_modprobe_kernel.py shows both).
    """
    name = check_ifname(bond.name)
    lines = [f"alias netdev-{name} bonding"]
    if with_options:
        pairs = option_words(bond, set(module_params))
        if pairs:
            lines.append(f"options netdev-{name} " + " ".join(f"{k}={v}" for k, v in pairs))
    return lines


_BLOCK_ENTRY = re.compile(r"(?:alias|options) netdev-(?P<bond>\S+)(?: .*)?")


def _lines_with_ends(text):
    """Lines split on "\n" only, each keeping it (the last may lack it)."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _split_modprobe(existing_text, path):
    """(unmanaged lines, index of the block among them or None, {bond: block lines}, marked).

    A block we cannot delimit is the administrator's to mend: UserError naming ``path``.
    """
    lines = _lines_with_ends(existing_text or "")
    marked = bool(lines) and lines[0].rstrip("\n") == MODPROBE_MARK
    if marked:
        lines = lines[1:]
    unmanaged, block_at, entries, inside = [], None, {}, False
    for number, line in enumerate(lines, 1 + marked):
        stripped = line.rstrip("\n")
        if stripped == MODPROBE_BEGIN:
            if inside:
                raise _damaged(path, f"line {number}: a second {MODPROBE_BEGIN!r} before the end")
            inside = True
            if block_at is None:
                block_at = len(unmanaged)
        elif stripped == MODPROBE_END:
            if not inside:
                raise _damaged(path, f"line {number}: {MODPROBE_END!r} without its BEGIN line")
            inside = False
        elif inside:
            # Inside the block everything is ours; lines we cannot attribute are dropped.
            match = _BLOCK_ENTRY.fullmatch(stripped)
            if match:
                entries.setdefault(match["bond"], []).append(stripped)
        else:
            unmanaged.append(line)
    if inside:
        raise _damaged(path, f"{MODPROBE_BEGIN!r} without its END line")
    return unmanaged, block_at, entries, marked


def render_modprobe(existing_text, config, module_params=MODULE_PARAMS, scope=None,
                    keep=(), path="the modprobe file"):
    """The modprobe file after this run: the administrator's lines kept, our block rewritten.

    ``existing_text``: the file now (None when absent). ``module_params``: the
    option names that are ``bonding`` module parameters. ``scope``: the bond
    names this run decides about (config's bonds are written, the others are
    dropped); the block's lines of bonds outside it are kept. None means every
    bond: the block then holds exactly the config's bonds.

    With ``scope`` None, the lines of the bonds in ``keep`` (bonds another
    state wrote) stay too. ``path`` names the file in errors.

    Returns None when the file should not exist: it carried our mark and nothing
    but blank lines remain once our block goes. A file without our mark and
    without bonds to add is returned unchanged.
    """
    unmanaged, block_at, entries, marked = _split_modprobe(existing_text, path)
    bonds = config.bonds
    with_options = config.modprobe_options
    if scope is None:
        entries = {name: lines for name, lines in entries.items() if name in keep}
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
