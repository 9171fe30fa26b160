"""Live bond status from ``/proc/net/bonding/<bond>``, gaps filled from sysfs.

Pure Python, no Salt. Reading only: judging what was read is ``health``'s job,
comparing it with what pillar asked is ``compare``'s.

``/proc/net/bonding/<bond>`` is parsed as sections (master, ``802.3ad info``
with its active-aggregator block, each slave, each slave's LACP PDU blocks),
because the same key (``MII Status``, ``Aggregator ID``, ``port state``) means
a different thing in each. procfs alone is enough; sysfs
(``/sys/class/net/<bond>/bonding/*``, ``<slave>/bonding_slave/*``,
``<slave>/speed|duplex``) only fills what procfs leaves unknown (old drivers,
non-root reads), so the two snapshots are never mixed where procfs speaks.

Absent is ``None``, never 0. A file that cannot be read or is not a bonding
status gives that bond an ``error`` naming the file and the reason.
"""

import errno
import os

from .errors import RootError, TreeError, UnknownBondError
from .modes import ACTIVE_SLAVE_MODES, PROCFS_MODE_NAMES, mode_number
from .options import TABLE
from .regular import NotRegularFile, read_regular
from .values import DECIMAL, ON_OFF

PROCFS_ROOT = "/proc/net/bonding"
SYSFS_ROOT = "/sys/class/net"
FAIL_OVER_MAC_SUFFIX = " (fail_over_mac "
PRIMARY_RESELECT_SUFFIX = " (primary_reselect "

# sysfs errors that only mean "not known here": the file is absent (old kernel,
# partial tree), needs CAP_NET_ADMIN, or has no value now (speed of a down link).
IGNORABLE_ERRNOS = {errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM,
                    errno.EINVAL, errno.ENODEV, errno.EOPNOTSUPP}

# Section headers: the bare line "802.3ad info", and the keys that open a
# section (matched on the stripped key, whatever the indent).
AD_HEADER = "802.3ad info"
NO_AGGREGATOR = "has no active aggregator"  # "bond X has no active aggregator"
SLAVE_HEADER = "Slave Interface"
AGGREGATOR_HEADER = "Active Aggregator Info"
DRIVER_HEADER = "Ethernet Channel Bonding Driver"
PDU_HEADERS = {"details actor lacp pdu": "actor_pdu", "details partner lacp pdu": "partner_pdu"}
HEADER_KEYS = frozenset((SLAVE_HEADER, AGGREGATOR_HEADER, DRIVER_HEADER, *PDU_HEADERS))
AGGREGATOR_KEYS = frozenset(
    ("Aggregator ID", "Number of ports", "Actor Key", "Partner Key", "Partner Mac Address"))


class BondStatusError(ValueError):
    """A bonding status file that is not what the kernel writes (becomes the bond's ``error``)."""


# -- procfs text -> sections --------------------------------------------------
def parse_proc(text):
    """Split the text of ``/proc/net/bonding/<bond>`` into its sections.

    Returns ``{"version", "master", "ad", "aggregator", "no_active_aggregator",
    "slaves"}`` where each section is a mapping of the kernel's keys (stripped)
    to their raw text values, ``ad``/``aggregator`` are None when absent, and
    ``slaves`` is a list of ``{"name", "fields", "actor_pdu", "partner_pdu"}``.
    Raises :class:`BondStatusError` when the text is not a bonding status.
    """
    master = {}
    parsed = {"version": None, "master": master, "ad": None, "aggregator": None,
              "no_active_aggregator": False, "slaves": []}
    section = master
    slave = None
    pdu_open = False  # inside a slave's lacp pdu block: lowercase keys belong to it
    in_aggregator = False
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if not colon:  # blank, a bare section header, or a stray word (a lone "Speed")
            stripped = line.strip()
            if stripped == AD_HEADER:
                section = parsed["ad"] = {}
                pdu_open = in_aggregator = False
            elif stripped.endswith(NO_AGGREGATOR) and parsed["ad"] is not None:
                parsed["no_active_aggregator"] = True
            continue
        key = key.strip()
        if key in HEADER_KEYS:
            pdu_open = in_aggregator = False
            if key == SLAVE_HEADER:
                slave = {"name": value.strip(), "fields": {}, "actor_pdu": None,
                         "partner_pdu": None}
                parsed["slaves"].append(slave)
                section = slave["fields"]
            elif key == AGGREGATOR_HEADER and parsed["ad"] is not None:
                section = parsed["aggregator"] = {}
                in_aggregator = True
            elif key in PDU_HEADERS and slave is not None:
                section = slave[PDU_HEADERS[key]] = {}
                pdu_open = True
            elif key == DRIVER_HEADER:
                parsed["version"] = value.strip()
            continue
        if pdu_open:
            if key[:1].islower():
                section[key] = value.strip()
                continue
            pdu_open = False
            section = slave["fields"]
        elif in_aggregator and key not in AGGREGATOR_KEYS:
            in_aggregator = False  # the aggregator block is over
            section = parsed["ad"]
        section.setdefault(key, value.strip())
    _check_complete(parsed)
    return parsed


def _check_complete(parsed):
    """Refuse text that is not, or no longer all of, a bonding status file."""
    master = parsed["master"]
    if "Bonding Mode" not in master:
        raise BondStatusError("no 'Bonding Mode' line: not a bonding status file")
    if master["Bonding Mode"].split(FAIL_OVER_MAC_SUFFIX)[0] not in PROCFS_MODE_NAMES:
        raise BondStatusError(f"unknown bonding mode {master['Bonding Mode']!r}")
    if "MII Status" not in master:
        raise BondStatusError("the bond's 'MII Status' line is missing (truncated?)")
    for slave in parsed["slaves"]:
        if not slave["name"]:
            raise BondStatusError("a 'Slave Interface' line names no interface")
        if "MII Status" not in slave["fields"]:
            raise BondStatusError(
                f"slave {slave['name']} has no 'MII Status' line (truncated?)")


# -- values -------------------------------------------------------------------
def _int(value, what):
    """A number the kernel always prints as one; anything else is garbled text."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BondStatusError(f"{what}: {value!r} is not a number") from None


def _optional_int(value):
    """A number that the kernel may print as a word (``Unknown``, ``N/A``)."""
    if value is None:
        return None
    word = value.split(" ", 1)[0]
    # ASCII digits only: str.isdigit() also takes '²', which int() refuses.
    return int(word) if DECIMAL.fullmatch(word) else None


def _name_or_none(value):
    return None if value in (None, "", "None") else value


def _word(value):
    """``layer2+3 (2)`` / ``fast 1`` -> ``layer2+3`` / ``fast``."""
    return value.split(" ", 1)[0] if value else None


def _duplex(value):
    return value if value in ("full", "half") else None


def _master_status(parsed):
    master = parsed["master"]
    mode_text, _, fail_over_mac = master["Bonding Mode"].partition(FAIL_OVER_MAC_SUFFIX)
    mode = PROCFS_MODE_NAMES[mode_text]
    primary_text = master.get("Primary Slave")
    primary, _, reselect = (primary_text or "").partition(PRIMARY_RESELECT_SUFFIX)
    targets = master.get("ARP IP target/s (n.n.n.n form)")
    arp_interval = _int(master.get("ARP Polling Interval (ms)"), "ARP Polling Interval (ms)")
    if arp_interval is None and "MII Polling Interval (ms)" in master:
        arp_interval = 0  # the kernel prints the ARP block only when arp_interval > 0
    status = {
        "mode": mode,
        "mode_id": mode_number(mode),
        "driver_version": parsed["version"],
        "mii_status": master["MII Status"],
        "miimon": _int(master.get("MII Polling Interval (ms)"), "MII Polling Interval (ms)"),
        "updelay": _int(master.get("Up Delay (ms)"), "Up Delay (ms)"),
        "downdelay": _int(master.get("Down Delay (ms)"), "Down Delay (ms)"),
        "peer_notif_delay": _int(master.get("Peer Notification Delay (ms)"),
                                 "Peer Notification Delay (ms)"),
        "arp_interval": arp_interval,
        "arp_missed_max": _int(master.get("ARP Missed Max"), "ARP Missed Max"),
        "arp_ip_target": [t.strip() for t in (targets or "").split(",") if t.strip()],
        "ns_ip6_target": [t.strip() for t in
                          (master.get("NS IPv6 target/s (xx::xx form)") or "").split(",")
                          if t.strip()],
        "primary": _name_or_none(primary),
        "primary_reselect": reselect.rstrip(")") or None,
        "active_slave": _name_or_none(master.get("Currently Active Slave")),
        "xmit_hash_policy": _word(master.get("Transmit Hash Policy")),
        "lacp_rate": None,
        # The kernel prints the suffix only when fail_over_mac is not "none".
        "fail_over_mac": (fail_over_mac.rstrip(")") or "none")
        if mode == "active-backup" else None,
        "macaddr": None,  # from sysfs (merge_sysfs)
    }
    return status


def _ad_status(parsed):
    ad = parsed["ad"]
    if ad is None:
        return None
    aggregator = parsed["aggregator"] or {}
    lacp_active = ad.get("LACP active")
    return {
        "lacp_active": ON_OFF.get(lacp_active),
        "lacp_rate": ad.get("LACP rate"),
        "min_links": _int(ad.get("Min links"), "Min links"),
        "ad_select": ad.get("Aggregator selection policy (ad_select)"),
        "system_priority": _int(ad.get("System priority"), "System priority"),
        "system_mac": ad.get("System MAC address"),
        # False when the kernel said "bond X has no active aggregator"; None when
        # the reader could not see (non-root reads hide the block).
        "active_aggregator": (False if parsed["no_active_aggregator"]
                              else True if parsed["aggregator"] is not None else None),
        "aggregator_id": _int(aggregator.get("Aggregator ID"), "Aggregator ID"),
        "num_ports": _int(aggregator.get("Number of ports"), "Number of ports"),
        "actor_key": _int(aggregator.get("Actor Key"), "Actor Key"),
        "partner_key": _int(aggregator.get("Partner Key"), "Partner Key"),
        "partner_mac": aggregator.get("Partner Mac Address"),
    }


def _slave_status(slave):
    fields = slave["fields"]
    name = slave["name"]
    actor = slave["actor_pdu"] or {}
    partner = slave["partner_pdu"] or {}
    return {
        "mii_status": fields["MII Status"],
        "speed_mbps": _optional_int(fields.get("Speed")),
        "duplex": _duplex(fields.get("Duplex")),
        "link_failure_count": _int(fields.get("Link Failure Count"),
                                   f"slave {name} Link Failure Count"),
        "perm_hwaddr": fields.get("Permanent HW addr") or None,
        "queue_id": _int(fields.get("Slave queue ID"), f"slave {name} Slave queue ID"),
        "aggregator_id": _optional_int(fields.get("Aggregator ID")),
        "actor_port_state": _int(actor.get("port state"), f"slave {name} actor port state"),
        "partner_port_state": _int(partner.get("port state"),
                                   f"slave {name} partner port state"),
        "partner_mac": partner.get("system mac address"),
        "actor_churn_state": fields.get("Actor Churn State"),
        "partner_churn_state": fields.get("Partner Churn State"),
        "actor_churned_count": _int(fields.get("Actor Churned Count"),
                                    f"slave {name} Actor Churned Count"),
        "partner_churned_count": _int(fields.get("Partner Churned Count"),
                                      f"slave {name} Partner Churned Count"),
    }


def status_from_proc(text):
    """The status mapping of one bond from its procfs text alone (no health)."""
    parsed = parse_proc(text)
    status = _master_status(parsed)
    status["ad"] = _ad_status(parsed)
    if status["ad"] is not None:
        status["lacp_rate"] = status["ad"]["lacp_rate"]
    status["slaves"] = {slave["name"]: _slave_status(slave) for slave in parsed["slaves"]}
    return status


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
        status["primary_reselect"] = _word(sysfs.read(*bonding, "primary_reselect"))
    ad = status["ad"]
    if ad is not None:
        for key, filename, reader in _AD_GAPS:
            if ad[key] is None:
                ad[key] = getattr(sysfs, reader)(*bonding, filename)
        if isinstance(ad["lacp_active"], str):
            ad["lacp_active"] = ON_OFF.get(_word(ad["lacp_active"]))
        if isinstance(ad["ad_select"], str):
            ad["ad_select"] = _word(ad["ad_select"])
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
    return result
