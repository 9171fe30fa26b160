"""Health of a bond from its status mapping (see ``status``): pure rules.

``evaluate(status)`` -> ``{"status": "ok"|"degraded"|"down", "problems": [...]}``,
each problem a sentence a person understands. ``overall(healths)`` folds the
health of many bonds into one verdict. A bond whose status could not be read
at all is ``unknown`` (see :func:`unreadable`): neither ok nor known to be down.
"""

from ..config.modes import ACTIVE_SLAVE_MODES

OK = "ok"
DEGRADED = "degraded"
DOWN = "down"
UNKNOWN = "unknown"
# Worst last: the overall verdict is the worst bond's.
SEVERITY = (OK, DEGRADED, UNKNOWN, DOWN)

# LACP port state bits (IEEE 802.1AX; drivers/net/bonding/bond_3ad.c AD_STATE_*)
# that a port carrying traffic in an aggregate must have.
LACP_TRAFFIC_BITS = ((3, "synchronization"), (4, "collecting"), (5, "distributing"))
ZERO_MAC = "00:00:00:00:00:00"


def evaluate(status):
    """The health of one bond: the worst rule that fires, with every problem."""
    down = _down_problems(status)
    degraded = _degraded_problems(status)
    verdict = DOWN if down else DEGRADED if degraded else OK
    return {"status": verdict, "problems": down + degraded}


def unreadable(message):
    """The health of a bond whose status could not be read."""
    return {"status": UNKNOWN, "problems": [message]}


def judge(statuses):
    """``statuses`` ({bond: status}, from ``status.read_status``) each with its ``health``.

    A bond whose file could not be read (``error``) is ``unknown``. The
    statuses are changed in place and returned.
    """
    for entry in statuses.values():
        entry["health"] = unreadable(entry["error"]) if "error" in entry else evaluate(entry)
    return statuses


def missing(names, pillar_key):
    """``{bond: health}`` of bonds that pillar ``pillar_key`` gives but the kernel does not have."""
    return {name: {"status": DOWN, "problems": [
        f"not in the kernel, but pillar '{pillar_key}' gives it (is the bonding driver loaded? "
        "was the bond brought up?)"]} for name in names}


def with_detail(verdict, status=None):
    """``verdict`` (one bond's health) with what a fleet report shows beside it, from the
    bond's ``status`` (None: the kernel does not have the bond, or it could not be read):
    ``mode``, ``active_slave`` and ``slaves`` (``{slave: MII status}``)."""
    status = status if status is not None and "error" not in status else {}
    slaves = status.get("slaves") or {}
    return {**verdict, "mode": status.get("mode"), "active_slave": status.get("active_slave"),
            "slaves": {name: slave.get("mii_status") for name, slave in sorted(slaves.items())}}


def overall(healths):
    """``{"status": worst verdict, "bonds": healths}``; no bonds at all is ok."""
    worst = max((h["status"] for h in healths.values()), key=SEVERITY.index, default=OK)
    return {"status": worst, "bonds": healths}


def _down_problems(status):
    problems = []
    if status["mii_status"] != "up":
        problems.append(f"bond MII status is {status['mii_status']}")
    if not status["slaves"]:
        problems.append("bond has no slaves")
    elif status["mode"] in ACTIVE_SLAVE_MODES and status["active_slave"] is None:
        problems.append(f"no active slave: mode {status['mode']} sends through none")
    return problems


def _degraded_problems(status):
    problems = []
    for name, slave in status["slaves"].items():
        if slave["mii_status"] != "up":
            problems.append(f"slave {name} is {slave['mii_status']} "
                            f"(link failures: {_known(slave['link_failure_count'])})")
    if status["ad"] is not None:
        problems += _lacp_problems(status)
    problems += _mismatch_problems(status["slaves"])
    problems += _primary_problems(status)
    return problems


def _lacp_problems(status):
    ad = status["ad"]
    problems = []
    if ad["active_aggregator"] is False and status["slaves"]:
        problems.append("802.3ad bond has no active aggregator")
    for name, aggregator_id in outside_active_aggregator(status).items():
        problems.append(f"slave {name} is in aggregator {aggregator_id}, "
                        f"not in the active aggregator {ad['aggregator_id']}")
    if ad["partner_mac"] == ZERO_MAC:
        problems.append("no LACP partner: the active aggregator's partner MAC is "
                        f"{ZERO_MAC} (is LACP configured on the switch ports?)")
        return problems  # without a partner no port can be in sync: that is the one cause
    for name, slave in status["slaves"].items():
        if slave["mii_status"] != "up":
            continue  # already reported; a down port is expected to be out of sync
        for side in ("actor", "partner"):
            state = slave[f"{side}_port_state"]
            if state is None:
                continue
            missing = [bit_name for bit, bit_name in LACP_TRAFFIC_BITS if not state >> bit & 1]
            if missing:
                problems.append(f"slave {name}: {side} port state {state} lacks "
                                f"{_and(missing)}")
    return problems


def outside_active_aggregator(status):
    """``{slave: its aggregator ID}`` of the 802.3ad slaves that are not in the bond's
    active aggregator (where both IDs are known): they carry no traffic."""
    active_id = (status["ad"] or {}).get("aggregator_id")
    if active_id is None:
        return {}
    return {name: slave["aggregator_id"] for name, slave in status["slaves"].items()
            if slave["aggregator_id"] not in (None, active_id)}


def has_partner(partner_mac):
    """Whether an 802.3ad partner MAC names a partner (None: not known; all zero: none)."""
    return partner_mac not in (None, ZERO_MAC)


def _mismatch_problems(slaves):
    """Slaves that carry traffic at different speeds or duplex settings."""
    problems = []
    up = {name: s for name, s in slaves.items() if s["mii_status"] == "up"}
    for key, unit in (("speed_mbps", " Mbps"), ("duplex", "")):
        known = {name: s[key] for name, s in up.items() if s[key] is not None}
        if len(set(known.values())) > 1:
            listed = ", ".join(f"{name} {value}{unit}" for name, value in known.items())
            what = "speed" if key == "speed_mbps" else "duplex"
            problems.append(f"slaves differ in {what}: {listed}")
    return problems


def _primary_problems(status):
    primary = status["primary"]
    if primary is None or status["primary_reselect"] != "always":
        return []
    slave = status["slaves"].get(primary)
    if slave is None or slave["mii_status"] != "up" or status["active_slave"] == primary:
        return []
    return [f"primary slave {primary} is up but {status['active_slave']} is active "
            "(primary_reselect always)"]


def _known(value):
    return "unknown" if value is None else value


def _and(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
