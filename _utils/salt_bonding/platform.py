"""Which file format a minion's network stack reads, from its grains.

From Red Hat's release notes and NetworkManager's spec file (see
../shared/KERNEL.md in the development tree):

- RHEL 6, 7 and 8 (and their rebuilds): ifcfg files. RHEL 8 reads them with
  NetworkManager's ifcfg-rh plugin, or with network-scripts where installed.
- RHEL 9: no network-scripts; NetworkManager still reads ifcfg files but
  ignores ``NM_CONTROLLED=no`` ones (this module's ifcfg output), and keyfiles
  are the default: keyfile.
- RHEL 10 and Fedora 41+: the ifcfg-rh plugin is not built, ifcfg files are
  ignored entirely: keyfile, and ifcfg is refused. Older Fedora: keyfile.
- Anything else (not RedHat-family): ifcfg, the classic recipe.

``format: auto`` (the default) follows this; an explicit format that cannot
work on the minion is refused before anything is written.
"""

from .errors import UserError

FORMATS = ("auto", "ifcfg", "keyfile")


def _major(grains):
    try:
        return int(str(grains.get("osmajorrelease", "0")).split(".")[0])
    except ValueError:
        return 0


def _describe(grains):
    return f"{grains.get('os', 'this OS')} {grains.get('osmajorrelease', '')}".strip()


def reads(grains):
    """``(default format, formats its network stack reads)`` for a minion's grains."""
    grains = grains or {}
    major, is_fedora = _major(grains), grains.get("os") == "Fedora"
    if is_fedora:
        return "keyfile", ("keyfile",) if major >= 41 else ("keyfile", "ifcfg")
    if grains.get("os_family") != "RedHat":
        return "ifcfg", ("ifcfg", "keyfile")
    if major >= 10:
        return "keyfile", ("keyfile",)
    if major == 9:
        # NetworkManager ignores NM_CONTROLLED=no files and there is no ifup to read them.
        return "keyfile", ("keyfile",)
    return "ifcfg", ("ifcfg", "keyfile")


def resolve(requested, grains, path):
    """The concrete format for ``requested`` (a value of FORMATS) on this minion, or UserError."""
    default, readable = reads(grains)
    if requested == "auto":
        return default
    if requested not in readable:
        raise UserError([(path, (
            f"{requested} files do nothing on {_describe(grains)}: its network stack reads "
            f"only {', '.join(readable)} (use format: auto, or {readable[0]})"))])
    return requested
