"""The text of ``/proc/net/bonding/<bond>`` as a status mapping (the part procfs knows).

Parsed as sections (master, ``802.3ad info`` with its active-aggregator block, each
slave, each slave's LACP PDU blocks), because the same key (``MII Status``,
``Aggregator ID``, ``port state``) means a different thing in each. Pure: text in,
mapping out; ``status.py`` reads the files and fills the gaps from sysfs.
"""

from ..config.modes import PROCFS_MODE_NAMES, mode_number
from ..config.values import DECIMAL, ON_OFF

FAIL_OVER_MAC_SUFFIX = " (fail_over_mac "
PRIMARY_RESELECT_SUFFIX = " (primary_reselect "
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


def word(value):
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
        "xmit_hash_policy": word(master.get("Transmit Hash Policy")),
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
        "prio": None,  # not in /proc (nor sysfs): netlink's, filled by status.read_status
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
