"""Desired against live: what a running bond does not do that its configuration says.

One comparison for every consumer: activation's verify (after bringing a
change live), ``bond.verify`` (drift across the fleet) and the beacon. The
desired side is a :class:`~salt_bonding.config.model.Bond`, the live side a status
mapping from ``status.read_status``.

Compared: the mode; every option the configuration sets (options left to the
kernel's default are not); the slave set and the slave settings it gives; and,
for a bond given slaves, that it carries traffic at all (MII up, an active slave in
the modes that have one). The finer health rules (a slave down, LACP out of sync) stay in
``health``: a degraded bond can still be exactly what was asked for.
"""

from dataclasses import dataclass

from ..config.modes import ACTIVE_SLAVE_MODES
from ..config.ports import TABLE as PORT_TABLE


@dataclass(frozen=True)
class Difference:
    """One way ``bond`` differs: ``what`` (an option name, "mode", "slaves", ...)."""

    bond: str
    what: str
    desired: object
    live: object

    def __str__(self):
        return f"{self.bond} {self.what} {_text(self.live)}, desired {_text(self.desired)}"


def _text(value):
    if value is None:
        return "none"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(sorted(value)) or "none"
    return str(value)


def _int(text):
    return int(text)


def _targets(text):
    return sorted(text.split(","))


def _switch(text):
    return text == "1"


# option name -> (where the status mapping has it, how to turn the option's
# canonical text into the status's form). Options not here are not in
# /proc/net/bonding and are not compared (yet): the sysfs reader does not fill them.
LIVE_OPTIONS = {
    "miimon": (("miimon",), _int),
    "updelay": (("updelay",), _int),
    "downdelay": (("downdelay",), _int),
    "peer_notif_delay": (("peer_notif_delay",), _int),
    "arp_interval": (("arp_interval",), _int),
    "arp_missed_max": (("arp_missed_max",), _int),
    "arp_ip_target": (("arp_ip_target",), _targets),
    "ns_ip6_target": (("ns_ip6_target",), _targets),
    "primary": (("primary",), str),
    "primary_reselect": (("primary_reselect",), str),
    "fail_over_mac": (("fail_over_mac",), str),
    "xmit_hash_policy": (("xmit_hash_policy",), str),
    "lacp_rate": (("lacp_rate",), str),
    "lacp_active": (("ad", "lacp_active"), _switch),
    "ad_select": (("ad", "ad_select"), str),
    "min_links": (("ad", "min_links"), _int),
    "ad_actor_sys_prio": (("ad", "system_priority"), _int),
    "ad_actor_system": (("ad", "system_mac"), str),
}


def _live_value(status, keys):
    value = status
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if isinstance(value, list):
        return sorted(value)
    return value


def shows(live, option):
    """Whether the status ``live`` shows ``option`` (so :func:`differences` compares it)."""
    return option in LIVE_OPTIONS and _live_value(live, LIVE_OPTIONS[option][0]) is not None


def differences(bond, live):
    """``[Difference]`` between ``bond`` (desired) and ``live`` (its status, or None: absent)."""
    if live is None:
        return [Difference(bond.name, "bond", "present", "absent")]
    if "error" in live:
        return [Difference(bond.name, "status", "readable", live["error"])]
    found = []

    def differ(what, desired, actual):
        if desired != actual:
            found.append(Difference(bond.name, what, desired, actual))

    differ("mode", bond.mode, live["mode"])
    for name, text in bond.options.items():
        if name not in LIVE_OPTIONS:
            continue
        keys, convert = LIVE_OPTIONS[name]
        actual = _live_value(live, keys)
        if actual is None:
            continue  # the reader could not see it here (non-root, old driver)
        differ(name, convert(text), actual)
    differ("slaves", sorted(bond.slaves), sorted(live["slaves"]))
    for slave, given in bond.ports.items():  # the slave settings pillar gives
        shown = live["slaves"].get(slave) or {}
        for option in PORT_TABLE:
            if option.name in given and shown.get(option.name) is not None:
                differ(f"slave {slave} {option.name}", given[option.name], shown[option.name])
    if bond.macaddr is not None and live.get("macaddr") is not None:
        differ("macaddr", bond.macaddr, live["macaddr"])
    if bond.slaves:  # a bond configured without slaves has no carrier: that is as asked
        differ("mii_status", "up", live["mii_status"])
        if bond.mode in ACTIVE_SLAVE_MODES and live["mode"] == bond.mode:
            if live["active_slave"] is None:
                found.append(Difference(bond.name, "active_slave", "one of the slaves", None))
    return found


def compare(config, statuses):
    """``{bond: [Difference]}`` for every bond of ``config`` against ``statuses``."""
    return {name: differences(bond, statuses.get(name)) for name, bond in config.bonds.items()}


def unknown_bonds(config, statuses):
    """Bonds running in the kernel that ``config`` does not know."""
    return sorted(set(statuses) - set(config.bonds))
