"""Live bond status from ``/proc/net/bonding/<bond>``, gaps filled from sysfs.

Pure Python, no Salt. Reading only: judging what was read is ``health``'s job,
comparing it with what pillar asked is ``compare``'s.

The text of ``/proc/net/bonding/<bond>`` is ``proc.py``'s (its sections). procfs alone
is enough; sysfs (``/sys/class/net/<bond>/bonding/*``, ``<slave>/bonding_slave/*``,
``<slave>/speed|duplex``) only fills what procfs leaves unknown (old drivers,
non-root reads), so the two snapshots are never mixed where procfs speaks.

Absent is ``None``, never 0. A file that cannot be read or is not a bonding
status gives that bond an ``error`` naming the file and the reason.
"""

import errno
import os

from ..config.modes import ACTIVE_SLAVE_MODES
from ..config.values import ON_OFF
from ..errors import RootError, TreeError, UnknownBondError
from ..host.regular import NotRegularFile, read_regular
from .proc import BondStatusError, status_from_proc, word

PROCFS_ROOT = "/proc/net/bonding"
SYSFS_ROOT = "/sys/class/net"

# sysfs errors that only mean "not known here": the file is absent (old kernel,
# partial tree), needs CAP_NET_ADMIN, or has no value now (speed of a down link).
IGNORABLE_ERRNOS = {errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM,
                    errno.EINVAL, errno.ENODEV, errno.EOPNOTSUPP}


# -- sysfs: fill the gaps -------------------------------------------------------
class _Sysfs:
    """Reads single values under the sysfs root; unknown is None, odd errors noted."""

    def __init__(self, root):
        self.root = root
        self.warnings = []

    def read(self, *parts):
        path = os.path.join(self.root, *parts)
        try:
            return read_regular(path).decode("utf-8").strip()
        except NotRegularFile as exc:
            self.warnings.append(f"{path}: {exc.strerror}")
            return None
        except OSError as exc:
            if exc.errno not in IGNORABLE_ERRNOS:
                self.warnings.append(f"{path}: {exc.strerror or exc}")
            return None
        except UnicodeDecodeError:
            self.warnings.append(f"{path}: not text")
            return None

    def read_int(self, *parts):
        value = self.read(*parts)
        if value is None:
            return None
        try:
            number = int(value.split(" ", 1)[0])
        except ValueError:
            self.warnings.append(f"{os.path.join(self.root, *parts)}: {value!r} is not a number")
            return None
        return number if number >= 0 else None  # speed -1: unknown


# (status key, sysfs file, reader) for the bond, read only when procfs gave None.
_BOND_GAPS = (
    ("miimon", "miimon", "read_int"),
    ("updelay", "updelay", "read_int"),
    ("downdelay", "downdelay", "read_int"),
    ("arp_interval", "arp_interval", "read_int"),
)
_AD_GAPS = (
    ("lacp_active", "lacp_active", "read"),
    ("min_links", "min_links", "read_int"),
    ("ad_select", "ad_select", "read"),
    ("system_priority", "ad_actor_sys_prio", "read_int"),
    ("aggregator_id", "ad_aggregator", "read_int"),
    ("num_ports", "ad_num_ports", "read_int"),
    ("actor_key", "ad_actor_key", "read_int"),
    ("partner_key", "ad_partner_key", "read_int"),
    ("partner_mac", "ad_partner_mac", "read"),
)
_SLAVE_GAPS = (
    ("link_failure_count", ("bonding_slave", "link_failure_count"), "read_int"),
    ("perm_hwaddr", ("bonding_slave", "perm_hwaddr"), "read"),
    ("queue_id", ("bonding_slave", "queue_id"), "read_int"),
    ("speed_mbps", ("speed",), "read_int"),
    ("duplex", ("duplex",), "read"),
)
_SLAVE_AD_GAPS = (
    ("aggregator_id", ("bonding_slave", "ad_aggregator_id"), "read_int"),
    ("actor_port_state", ("bonding_slave", "ad_actor_oper_port_state"), "read_int"),
    ("partner_port_state", ("bonding_slave", "ad_partner_oper_port_state"), "read_int"),
)


def merge_sysfs(name, status, sysfs_root):
    """Fill the None fields of ``status`` from sysfs; returns sysfs warnings."""
    if not sysfs_root or not os.path.isdir(os.path.join(sysfs_root, name)):
        return []
    sysfs = _Sysfs(sysfs_root)
    bonding = (name, "bonding")
    status["macaddr"] = sysfs.read(name, "address")
    for key, filename, reader in _BOND_GAPS:
        if status[key] is None:
            status[key] = getattr(sysfs, reader)(*bonding, filename)
    if status["mode"] in ACTIVE_SLAVE_MODES and status["primary_reselect"] is None:
        # Not printed when no primary is set (or by drivers older than the option).
        status["primary_reselect"] = word(sysfs.read(*bonding, "primary_reselect"))
    ad = status["ad"]
    if ad is not None:
        for key, filename, reader in _AD_GAPS:
            if ad[key] is None:
                ad[key] = getattr(sysfs, reader)(*bonding, filename)
        if isinstance(ad["lacp_active"], str):
            ad["lacp_active"] = ON_OFF.get(word(ad["lacp_active"]))
        if isinstance(ad["ad_select"], str):
            ad["ad_select"] = word(ad["ad_select"])
    gaps = _SLAVE_GAPS + (_SLAVE_AD_GAPS if ad is not None else ())
    for slave_name, slave in status["slaves"].items():
        for key, parts, reader in gaps:
            if slave[key] is None:
                slave[key] = getattr(sysfs, reader)(slave_name, *parts)
        if slave["duplex"] not in (None, "full", "half"):
            slave["duplex"] = None  # sysfs says "unknown"
    return sysfs.warnings


def read_options(name, sysfs_root=SYSFS_ROOT):
    """``{option: canonical text}`` of every option of the option table that sysfs shows
    for bond ``name`` (outside its mode too); the current side of activation's plan.
    Options this kernel does not have are left out."""
    # Here, not at the top: bond.status never reads options, and the table with the
    # NetworkManager versions behind it is most of this package's import time.
    from ..config.options import TABLE

    sysfs = _Sysfs(sysfs_root)
    found = {}
    for option in TABLE:
        text = sysfs.read(name, "bonding", option.name)
        if text is not None:
            found[option.name] = option.from_sysfs(text)
    return found


def read_address(name, sysfs_root=SYSFS_ROOT):
    """The MAC address of link ``name`` from sysfs (lowercase); None when sysfs does not
    show it."""
    return _Sysfs(sysfs_root).read(name, "address")


def read_mtu(name, sysfs_root=SYSFS_ROOT):
    """The MTU of link ``name`` from sysfs; None when sysfs does not show it."""
    return _Sysfs(sysfs_root).read_int(name, "mtu")


# -- the tree -------------------------------------------------------------------
# minion option -> (default, what the directory must be)
ROOT_OPTIONS = {
    "bond.procfs": (PROCFS_ROOT, "the /proc/net/bonding directory (a file per bond)"),
    "bond.sysfs": (SYSFS_ROOT, "the /sys/class/net directory (a directory per link)"),
}


def configured_root(option, configured):
    """``(root, None)`` for minion option ``option`` set to ``configured`` (empty or None:
    the default), or ``(None, why not)``. A root set explicitly must be a readable
    directory: a monitoring check pointed at nothing would otherwise say "no bonds, all ok"
    (the default may be absent: no bonding driver, no bonds)."""
    default, what = ROOT_OPTIONS[option]
    if configured in ("", None):
        return default, None
    configured = str(configured)
    problem = (None if os.path.isdir(configured) and os.access(configured, os.R_OK | os.X_OK)
               else "is not a directory" if os.path.exists(configured)
               else "does not exist" if not os.path.lexists(configured)
               else "cannot be read")
    if problem is None and option == "bond.procfs":
        problem = _not_a_file_per_bond(configured)
    if problem:
        return None, (f"minion option {option} is {configured!r}, which {problem}; "
                      f"it must be {what}")
    return configured, None


def _not_a_file_per_bond(root):
    """Why ``root`` is not a directory of a file per bond, or None: a directory of the
    kernel's /proc other than the bonding one (``/proc/net`` lists ``arp``, ``dev``, ...: a
    hundred fake bonds whose health is ``unknown``, with the bonding driver or without it),
    or one above a captured tree's bonding directory (``.../proc/net`` would list a bond
    called ``bonding``; ``.../proc``, one called ``net``)."""
    real = os.path.realpath(root)
    if (real == "/proc" or real.startswith("/proc/")) and os.path.basename(real) != "bonding":
        return f"is in the kernel's /proc but is not its bonding directory (set it to " \
               f"'{PROCFS_ROOT}')"
    for below in ("bonding", os.path.join("net", "bonding")):
        top = below.split(os.sep)[0]
        if os.path.isdir(os.path.join(root, top)):
            return (f"holds a directory {top!r}, not a file per bond "
                    f"(set it to {os.path.join(root, below)!r})")
    return None


def configured_roots(get_option):
    """``(procfs, sysfs)`` from the minion options (``get_option(name)``: a value, or empty
    or None when unset); ``errors.RootError`` for one set to what is not a directory."""
    roots = []
    for option in ROOT_OPTIONS:
        root, problem = configured_root(option, get_option(option))
        if problem:
            raise RootError(option, problem)
        roots.append(root)
    return tuple(roots)


def list_bonds(procfs_root=PROCFS_ROOT, sysfs_root=SYSFS_ROOT):
    """Sorted names of the bonds: the entries of the procfs directory.

    No directory (no bonding driver loaded) means no bonds; a root that exists
    but cannot be listed raises ``errors.TreeError``. ``sysfs_root`` is
    accepted for symmetry with :func:`read_status`; procfs is the authority.
    """
    try:
        return sorted(os.listdir(procfs_root))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise TreeError(f"cannot list bonds in {procfs_root}: {exc.strerror or exc}") from None


def read_proc(path):
    """``(bytes, None)`` of a bond's procfs file; ``(None, None)`` when it does not exist
    (the bond was just deleted); ``(None, {"error": why})`` when it cannot be read."""
    try:
        return read_regular(path), None
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, _error_entry(f"cannot read {path}: {exc.strerror or exc}")


def status_from_bytes(path, data):
    """The status of one bond from the bytes of its procfs file ``path`` (sysfs not read);
    ``{"error": why}`` when they are not a bonding status."""
    try:
        return status_from_proc(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _error_entry(f"{path} is not text (byte {exc.start} is not UTF-8)")
    except BondStatusError as exc:
        return _error_entry(f"{path}: {exc}")


def fill_from_sysfs(name, status, sysfs_root):
    """:func:`merge_sysfs`, its warnings kept in ``status["warnings"]``."""
    warnings = merge_sysfs(name, status, sysfs_root)
    if warnings:
        status["warnings"] = warnings
    return status


def read_bond(name, procfs_root=PROCFS_ROOT, sysfs_root=SYSFS_ROOT):
    """The status of one bond; ``{"error": why}`` when its file is unreadable.

    None when the bond's file does not exist (the bond was just deleted).
    """
    path = os.path.join(procfs_root, name)
    data, error = read_proc(path)
    if data is None:
        return error
    status = status_from_bytes(path, data)
    return status if "error" in status else fill_from_sysfs(name, status, sysfs_root)


def _error_entry(message):
    return {"error": message}


def read_status(procfs_root=PROCFS_ROOT, sysfs_root=SYSFS_ROOT, names=None):
    """``{bond: status}`` for every bond, or for ``names`` (a name or a list of names).

    Raises ``errors.UnknownBondError`` for a requested name that is not a bond.
    """
    existing = list_bonds(procfs_root, sysfs_root)
    if names is None:
        wanted = existing
    else:
        wanted = [names] if isinstance(names, str) else list(names)
        for name in wanted:
            if name not in existing:
                raise UnknownBondError(name, existing)
    result = {}
    for name in wanted:
        status = read_bond(name, procfs_root, sysfs_root)
        if status is None:  # deleted between listing and reading: gone, not broken
            if names is not None:
                raise UnknownBondError(name, list_bonds(procfs_root, sysfs_root))
            continue
        result[name] = status
    if (procfs_root, sysfs_root) == (PROCFS_ROOT, SYSFS_ROOT):
        fill_from_netlink(result)
    return result


def fill_from_netlink(statuses):
    """Each slave's settings (config/ports.py) that /proc and sysfs left unknown (``prio``:
    the kernel shows it over netlink only), from the running kernel's netlink; read only
    for the host's own /proc and /sys (not a captured tree). Left None when netlink cannot
    be read."""
    # Here, not at the top: a tree (bond.procfs/bond.sysfs set) never asks netlink.
    from ..config.ports import TABLE as PORT_TABLE
    from ..host import netlink

    try:
        found = netlink.read_links()
    except OSError:
        return
    for status in statuses.values():
        slaves = status.get("slaves") or {}
        settings = {link["ifname"]: (link.get("linkinfo") or {}).get("info_slave_data")
                    for link in found if link.get("ifname") in slaves}
        for name, data in settings.items():
            for option in PORT_TABLE:
                if slaves[name].get(option.name) is None and option.name in (data or {}):
                    slaves[name][option.name] = data[option.name]
