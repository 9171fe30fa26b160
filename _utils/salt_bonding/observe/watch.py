"""What changed in the bonds between two reads: the events of the ``bond`` beacon.

Pure Python, no Salt. :func:`changes` compares two snapshots (``{bond:
status}`` as ``status.read_status`` reads them, each with the ``health`` that
``health.judge`` adds) and returns :class:`Event` s. :class:`Watch` is one
beacon instance between passes: it reads a snapshot with a :class:`Reader`
(which parses only the bonds whose procfs text changed), keeps the first read
as the baseline, and then returns what changed since the previous read.

Payload fields are named as telegraf's ``inputs.bond`` names the same things
(``bond``, ``interface``: a slave, ``status``: 1 up / 0 not, ``failures``:
the slave's link failure count, ``active_slave``) and node_exporter's bonding
collector (``slaves``, ``active``: configured slaves, and slaves whose MII
status is ``up``); the kernel's own words where neither has one
(``mii_status``, ``partner_mac``, ``aggregator_id``). ``previous_<field>``
is the field's value at the previous read.
"""

import os
from typing import NamedTuple

from ..config.names import ifname_problem
from ..config.values import describe, plain
from . import health
from . import status as bond_status

FAILOVER = "failover"  # the active slave changed
SLAVE_DOWN = "slave_down"  # a slave's MII status left "up" (or the slave left the bond)
SLAVE_UP = "slave_up"  # a slave's MII status became "up" (or an up slave joined the bond)
LINK_FAILURES = "link_failures"  # a slave's failure count rose more than the reads saw
PARTNER_LOST = "partner_lost"  # the 802.3ad partner MAC became all zero
PARTNER_FOUND = "partner_found"  # an 802.3ad partner MAC appeared (or another one)
AGGREGATOR_SPLIT = "aggregator_split"  # an 802.3ad slave left the active aggregator
DOWN = "down"  # the bond's MII status left "up", or the bond disappeared
UP = "up"  # the bond's MII status became "up", or a bond appeared
HEALTH = "health"  # the health verdict changed
EVENTS = (FAILOVER, SLAVE_DOWN, SLAVE_UP, LINK_FAILURES, PARTNER_LOST, PARTNER_FOUND,
          AGGREGATOR_SPLIT, DOWN, UP, HEALTH)

# A slave in one of these was carrying traffic; in one of the others the kernel had
# counted a link failure (bond_miimon_commit counts when it takes a link down).
CARRYING = ("up", "going down")
FAILED = ("down", "going back")


class Event(NamedTuple):
    """One change: the bond, the event name (one of :data:`EVENTS`), its payload."""

    bond: str
    name: str
    data: dict


def _is_up(mii_status):
    return mii_status == "up"


def _counts(entry):
    """node_exporter's (slaves, active) of a status; (0, 0) for none or an unreadable one."""
    slaves = (entry or {}).get("slaves") or {}
    return len(slaves), sum(1 for slave in slaves.values() if _is_up(slave["mii_status"]))


def _bond_state(bond, name, old, new):
    slaves, active = _counts(new)
    return Event(bond, name, {
        "bond": bond, "status": int(name == UP),
        "mii_status": (new or {}).get("mii_status"),
        "previous_mii_status": (old or {}).get("mii_status"),
        "slaves": slaves, "active": active})


def _verdict(entry):
    return (entry.get("health") or {}).get("status")


def _health(bond, old, new):
    was, now = _verdict(old or {}), _verdict(new)
    if now is None or was == now:
        return []
    return [Event(bond, HEALTH, {"bond": bond, "health": now, "previous_health": was,
                                 "problems": list(new["health"]["problems"])})]


def appeared(bond, entry):
    """The events of a bond not seen at the previous read: whether it is up, its health."""
    found = []
    if "error" not in entry:
        found.append(_bond_state(bond, UP if _is_up(entry["mii_status"]) else DOWN, None, entry))
    return found + _health(bond, None, entry)


def _failover(bond, old, new):
    if old["active_slave"] == new["active_slave"]:
        return []
    return [Event(bond, FAILOVER, {"bond": bond, "active_slave": new["active_slave"],
                                   "previous_active_slave": old["active_slave"]})]


def unseen_failures(before, after):
    """How many link failures of a slave two reads did not see happen.

    The count rose by more than the reads explain: a slave that was carrying
    traffic and is now failed accounts for one failure; the rest are flaps
    shorter than the interval between the reads. A count that fell (the slave
    was released and enslaved again) says nothing.
    """
    if not before or not after:
        return 0
    was, now = before["link_failure_count"], after["link_failure_count"]
    if was is None or now is None or now <= was:
        return 0
    seen = int(before["mii_status"] in CARRYING and after["mii_status"] in FAILED)
    return max(now - was - seen, 0)


def _slaves(bond, old, new):
    old_slaves, new_slaves = old["slaves"], new["slaves"]
    slaves, active = _counts(new)
    found = []
    for name in [*new_slaves, *(n for n in old_slaves if n not in new_slaves)]:
        before, after = old_slaves.get(name), new_slaves.get(name)
        was = before["mii_status"] if before else None
        now = after["mii_status"] if after else None
        failures = after["link_failure_count"] if after else None
        if _is_up(was) != _is_up(now):
            found.append(Event(bond, SLAVE_UP if _is_up(now) else SLAVE_DOWN, {
                "bond": bond, "interface": name, "status": int(_is_up(now)),
                "mii_status": now, "previous_mii_status": was, "failures": failures,
                "slaves": slaves, "active": active}))
        unseen = unseen_failures(before, after)
        if unseen:
            found.append(Event(bond, LINK_FAILURES, {
                "bond": bond, "interface": name, "failures": failures,
                "previous_failures": before["link_failure_count"], "unseen_failures": unseen,
                "mii_status": now}))
    return found


def _lacp(bond, old, new):
    old_ad, new_ad = old["ad"], new["ad"]
    if new_ad is None:
        return []
    found = []
    was = old_ad["partner_mac"] if old_ad else None
    now = new_ad["partner_mac"]
    if health.has_partner(was) and now == health.ZERO_MAC:
        found.append(Event(bond, PARTNER_LOST, {"bond": bond, "partner_mac": now,
                                                "previous_partner_mac": was}))
    elif health.has_partner(now) and was not in (None, now):
        found.append(Event(bond, PARTNER_FOUND, {"bond": bond, "partner_mac": now,
                                                 "previous_partner_mac": was}))
    split_before = health.outside_active_aggregator(old) if old_ad else {}
    for name, aggregator_id in health.outside_active_aggregator(new).items():
        if name not in split_before:
            found.append(Event(bond, AGGREGATOR_SPLIT, {
                "bond": bond, "interface": name, "aggregator_id": aggregator_id,
                "active_aggregator_id": new_ad["aggregator_id"],
                "mii_status": new["slaves"][name]["mii_status"]}))
    return found


def bond_changes(bond, old, new):
    """The events of one bond read twice (statuses with their health)."""
    found = []
    if "error" not in old and "error" not in new:  # an unreadable side: only its health says
        if _is_up(old["mii_status"]) != _is_up(new["mii_status"]):
            found.append(_bond_state(bond, UP if _is_up(new["mii_status"]) else DOWN, old, new))
        found += _failover(bond, old, new)
        found += _slaves(bond, old, new)
        found += _lacp(bond, old, new)
    return found + _health(bond, old, new)


def changes(previous, current):
    """``[Event]`` of what changed from snapshot ``previous`` to ``current``, by bond name.

    A bond that disappeared is ``down`` (``mii_status`` None); a bond that
    appeared is ``up`` or ``down``, with its ``health``. A bond whose status is
    the very object of the previous snapshot (:class:`Reader` reuses it when
    the text did not change) is skipped without comparing.
    """
    found = []
    for bond in sorted(previous.keys() | current.keys()):
        old, new = previous.get(bond), current.get(bond)
        if old is new:
            continue
        if old is None:
            found += appeared(bond, new)
        elif new is None:
            found.append(_bond_state(bond, DOWN, old, None))
        else:
            found += bond_changes(bond, old, new)
    return found


# -- reading ----------------------------------------------------------------------
def _known(*values):
    return all(value is not None for value in values)


def procfs_complete(status):
    """Whether the procfs text gave every value that events and health look at.

    When it did, sysfs (which only fills what procfs left unknown) adds
    nothing they use, and the same text means the same events. Otherwise (an
    old driver without LACP details, a non-root read, a link of unknown
    speed) the bond must be read in full every pass.
    """
    ad = status["ad"]
    if ad is not None and not _known(ad["aggregator_id"], ad["partner_mac"]):
        return False
    if status["primary"] is not None and status["primary_reselect"] is None:
        return False
    for slave in status["slaves"].values():
        if slave["link_failure_count"] is None:
            return False
        if ad is not None and slave["aggregator_id"] is None:
            return False
        if slave["mii_status"] != "up":
            continue  # health does not look at a down slave's speed or port state
        if not _known(slave["speed_mbps"], slave["duplex"]):
            return False
        if ad is not None and not _known(slave["actor_port_state"],
                                         slave["partner_port_state"]):
            return False
    return True


class Reader:
    """Reads snapshots as ``health.judge(status.read_status(...))`` does, parsing only
    the bonds whose ``/proc/net/bonding`` text changed since the previous read.

    A bond whose text is byte for byte the previous one keeps its previous
    status (the same object), when :func:`procfs_complete` said that text held
    everything: the kernel prints every value the events use there. A pass
    over bonds that did not change costs about a plain read of their files.
    """

    def __init__(self):
        self._last = {}  # bond -> (procfs bytes, judged status) of the previous read

    def read(self, procfs_root, sysfs_root, names=None):
        """``{bond: status with health}`` of every bond (or those in ``names``).

        Raises ``errors.TreeError`` when ``procfs_root`` cannot be listed.
        """
        last, self._last = self._last, {}
        snapshot = {}
        for bond in bond_status.list_bonds(procfs_root):
            if names is not None and bond not in names:
                continue
            path = os.path.join(procfs_root, bond)
            data, error = bond_status.read_proc(path)
            if data is None:
                if error is not None:
                    snapshot[bond] = health.judge({bond: error})[bond]
                continue  # None: deleted since the listing
            seen = last.get(bond)
            if seen is not None and seen[0] == data:
                entry = seen[1]
            else:
                entry = bond_status.status_from_bytes(path, data)
                if "error" not in entry:
                    if not procfs_complete(entry):
                        data = None  # never matches: read in full next time too
                    bond_status.fill_from_sysfs(bond, entry, sysfs_root)
                entry = health.judge({bond: entry})[bond]
            if data is not None:
                self._last[bond] = (data, entry)
            snapshot[bond] = entry
        return snapshot


class Watch:
    """One beacon instance between its passes.

    ``bonds``: the names to watch (None: all); ``events``: the event names to
    return; ``emit_at_startup``: the first read reports every bond as
    :func:`appeared` instead of being a silent baseline.
    """

    def __init__(self, bonds=None, events=EVENTS, emit_at_startup=False):
        self.bonds = None if bonds is None else frozenset(bonds)
        self.events = frozenset(events)
        self.emit_at_startup = emit_at_startup
        self.reader = Reader()
        self.previous = None  # the snapshot of the previous pass; None before the first

    def poll(self, procfs_root, sysfs_root):
        """``[Event]`` since the previous pass. An exception leaves the baseline as it was."""
        current = self.reader.read(procfs_root, sysfs_root, self.bonds)
        previous, self.previous = self.previous, current
        if previous is None and not self.emit_at_startup:
            return []
        return [event for event in changes(previous or {}, current)
                if event.name in self.events]


# -- configuration ------------------------------------------------------------------
OPTIONS = {
    "interval": "a number of seconds greater than 0",
    "bonds": "a list of bond names (default: every bond)",
    "events": f"a list of events among {', '.join(EVENTS)} (default: all)",
    "emitatstartup": "true or false (default false: the first read is a silent baseline)",
}
# What Salt's beacon machinery reads itself, in every beacon's configuration. Salt checks
# none of them; its loop compares interval with a number (a string there raises on every
# pass, and the beacons after this one in the pass never run), so it is checked here.
SALT_OPTIONS = ("interval", "enabled", "beacon_module", "run_once",
                "disable_during_state_run", "_beacon_name")


def _list_problems(key, value, problem_of):
    if not isinstance(value, list) or not value:
        return [f"{key} must be {OPTIONS[key]}, got {describe(value)}"]
    return [f"{key}: {problem}" for problem in map(problem_of, value) if problem]


def _interval_problem(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return None
    hint = " (a string: write the number without quotes)" if isinstance(value, str) and \
        value.strip().replace(".", "", 1).isdigit() else ""
    return f"interval must be {OPTIONS['interval']}, got {describe(value)}{hint}"


def _event_problem(name):
    if name not in EVENTS:
        return f"unknown event {describe(name)}; valid: {', '.join(EVENTS)}"
    return None


def options_of(config):
    """``(one dict, None)`` of a beacon configuration (Salt's list of one-key dicts, or a
    dict), as plain data (:func:`~salt_bonding.config.values.plain`), or ``(None, why not)``."""
    config = plain(config)
    if isinstance(config, dict):
        return config, None
    if isinstance(config, list) and all(isinstance(item, dict) for item in config):
        merged = {}
        for item in config:
            merged.update(item)
        return merged, None
    return None, ("the configuration must be a list of options, such as "
                  f"[{{interval: 5}}, {{bonds: [bond0]}}], got {describe(config)}")


def config_problems(options):
    """Why ``options`` (the beacon's configuration as one dict) is not valid: ``[message]``,
    each naming the key and what it allows."""
    problems = []
    ours = [key for key in OPTIONS if key not in SALT_OPTIONS]
    for key in options:
        if key not in OPTIONS and key not in SALT_OPTIONS:
            problems.append(f"unknown option {describe(key)}; valid: {', '.join(ours)} "
                            f"(and Salt's own {', '.join(SALT_OPTIONS[:-1])})")
    if "interval" in options and (problem := _interval_problem(options["interval"])):
        problems.append(problem)
    if "bonds" in options:  # any name a bond runs under: '.' too (the state makes none such)
        problems += _list_problems("bonds", options["bonds"], ifname_problem)
    if "events" in options:
        problems += _list_problems("events", options["events"], _event_problem)
    if "emitatstartup" in options and not isinstance(options["emitatstartup"], bool):
        problems.append(f"emitatstartup must be {OPTIONS['emitatstartup']}, "
                        f"got {describe(options['emitatstartup'])}")
    return problems


def watch_for(options, carried=None, now=None):
    """The :class:`Watch` a valid configuration asks for; with ``carried`` (a
    :class:`Carried` of the same instance), it goes on from that pass when
    :func:`resumable` says so."""
    watch = Watch(bonds=options.get("bonds"),
                  events=options.get("events", EVENTS),
                  emit_at_startup=options.get("emitatstartup", False))
    if carried is not None and resumable(carried, config_key(options), now,
                                         options.get("interval", 1)):
        watch.previous = carried.snapshot
    return watch


def config_key(options):
    """What identifies a configuration: a changed one starts a new baseline."""
    return repr(sorted((k, v) for k, v in options.items() if k not in SALT_OPTIONS))


class Carried(NamedTuple):
    """An instance's latest pass, kept beyond its :class:`Watch`: Salt's loader
    executes the beacon module afresh (and empties its ``__context__``) on every
    module or pillar refresh of the minion, several per ``saltutil.sync_all``."""

    key: str
    snapshot: dict
    at: float  # time.monotonic() of the pass


# A refresh costs a pass or two; beyond three missed passes and this many seconds the
# instance was stopped (deleted, disabled) rather than refreshed: a new baseline.
CARRY_GRACE_SECONDS = 30


def resumable(carried, key, now, interval):
    """Whether a new Watch for configuration ``key`` goes on from ``carried``: the same
    configuration, its pass recent enough to be the one just before a refresh."""
    return carried.key == key and 0 <= now - carried.at <= 3 * interval + CARRY_GRACE_SECONDS
