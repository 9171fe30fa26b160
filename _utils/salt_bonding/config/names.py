"""Interface names: the one rule set for bonds, slaves and VLAN devices.

Stricter than the kernel's ``dev_valid_name()``: these names become file
names (``ifcfg-<name>``) and shell values, so only letters, digits, '_', '.',
'-', never a leading '.' or '-'.
"""

import re

from .values import describe

IFNAMSIZ = 16  # including the NUL: names are 1-15 characters
_IFNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# Names the kernel cannot register: they are /proc/sys/net/*/conf/ entries.
_RESERVED_IFNAMES = ("all", "default")
LOOPBACK = "lo"
# How network cards are named (kernel ethN, systemd's en*/wl*/ww*/ib*, biosdevname
# em1/p1p1): legal for a bond, but whoever reads `ip link` will take it for a card.
_NIC_LIKE = re.compile(r"(eth|en[a-z]|em|p[0-9]+p|wl|ww|ib)[A-Za-z0-9_]*[0-9]")


def ifname_problem(name):
    """Why ``name`` cannot be a Linux interface name here, or None when it can."""
    if not isinstance(name, str):
        return f"expected an interface name (a string), got {type(name).__name__}"
    if not name:
        return "an interface name cannot be empty"
    if name in (".", ".."):
        return f"{describe(name)} is not a valid interface name"
    # The characters first: a name with '/' is refused for the '/', whatever its length.
    if not _IFNAME.fullmatch(name):
        return (
            f"interface name {describe(name)} may contain only letters, digits, '_', '.' and '-' "
            "and cannot start with '.' or '-'"
        )
    if len(name) >= IFNAMSIZ:
        return f"interface name {describe(name)} is {len(name)} characters; Linux allows at most 15"
    if name in _RESERVED_IFNAMES:
        return f"{describe(name)} is reserved by the kernel (/proc/sys/net/*/conf/{name})"
    return None


def is_valid_ifname(name):
    """True when ``name`` is a safe Linux interface name (1-15 of [A-Za-z0-9_.-])."""
    return ifname_problem(name) is None


def bond_name_problem(name):
    """Why ``name`` cannot name a bond, or None."""
    problem = ifname_problem(name)
    if problem:
        return problem
    if name == LOOPBACK:
        return f"{name!r} is the loopback interface, never a bond"
    if "." in name:
        return (
            f"bond name {name!r} contains '.'; initscripts read <device>.<number> as a VLAN, "
            "so bond names have none"
        )
    return None


def slave_name_problem(name, bond_name):
    """Why ``name`` cannot be a slave of bond ``bond_name``, or None."""
    problem = ifname_problem(name)
    if problem:
        return problem
    if name == LOOPBACK:
        return f"{name!r} is the loopback interface; it cannot be a bond's slave"
    if name == bond_name:
        return f"bond {bond_name} cannot be its own slave"
    if vlan_parent(name) == bond_name:
        return f"{name} is a VLAN on bond {bond_name} itself; a bond cannot enslave its own VLAN"
    return None


def vlan_parent(name):
    """``eth0`` for a VLAN device name ``eth0.100``; None for a name that is no VLAN's."""
    parent, dot, vid = name.rpartition(".")
    return parent if dot and parent and vid.isascii() and vid.isdigit() else None


def bond_name_warning(name):
    """Why a legal bond name may mislead, or None."""
    if _NIC_LIKE.fullmatch(name):
        return (f"bond name {name} looks like a network card's; it works, but whoever reads "
                "`ip link` will take it for one (bond0, bond1, ... are the usual names)")
    return None


def vlan_device(bond_name, vid):
    """The device name of VLAN ``vid`` on ``bond_name``: ``<bond>.<vid>``."""
    return f"{bond_name}.{int(vid)}"


def checked_vlan_device(bond_name, vid, vlan):
    """The device of VLAN ``vid`` (a model.Vlan) on ``bond_name``, checked as a renderer
    must before the name becomes a file name; ValueError when it is not what it says."""
    device = vlan_device(bond_name, vid)
    if vlan.device != device:
        raise ValueError(f"{bond_name}: VLAN {vid} device {vlan.device!r} is not {device!r}")
    return check_ifname(device)


def check_ifname(name):
    """``name`` when it is a valid interface name, else ValueError.

    The renderers' guard: validation proper reports names with their pillar
    path; this stops a bad name that reached a renderer anyway (a caller that
    skipped validation, a bug) from ever becoming a path (``x/../../etc``).
    """
    problem = ifname_problem(name)
    if problem:
        raise ValueError(problem)
    return name
