"""The ``kernel`` activator's plan: the operations that take a running bond from what it
is to what it should be, minimal and in the order the driver needs.

Both sides are :class:`~salt_bonding.model.Bond` values: the desired one from
validation, the current one read from the kernel (every option, slaves, MTU,
addresses, VLANs), so one function serves activation and its rollback (plan
from the bond after a failed change back to the snapshot taken before it).

What the kernel accepts on a running bond is data, ``BondOption.live`` in the
option table (measured in the real driver): "yes" options are written in
place; a "down" option (lacp_rate, ad_select, ...) takes the bond down for the
write; a "no-slaves" or "down-no-slaves" option (fail_over_mac; the mode)
releases every slave, takes the bond down, writes, and enslaves them again:
the bond is *bounced*, and the plan says so. Slaves are enslaved and
released one by one without taking the bond down. ``primary`` is written
after enslaving, as initscripts' ifup-eth does.

Operations are data (:class:`Operation`); running them is the activator's
job. Pure Python, no Salt.
"""

import ipaddress
from dataclasses import dataclass

from ..modes import ARP_MODES, NON_ARP_MIIMON_DEFAULT, effective_miimon
from ..options import OPTIONS, SAME_PARAMETER, TABLE

# Written after the slaves are enslaved (the kernel accepts only a slave's name).
AFTER_SLAVES = ("primary",)
# Table order (mode and miimon first, as initscripts write them), but arp_ip_target
# before arp_interval, so the ARP monitor starts with its targets.
_WRITE_ORDER = [option.name for option in TABLE if option.name != "arp_interval"]
_WRITE_ORDER.insert(_WRITE_ORDER.index("arp_ip_target") + 1, "arp_interval")
_ORDER = {name: index for index, name in enumerate(_WRITE_ORDER)}
UNSET_MAC = "00:00:00:00:00:00"


@dataclass(frozen=True)
class Operation:
    """One step: ``kind`` "sysfs" (``args``: path under /sys/class/net, value) or "ip"
    (``args``: the arguments of ``ip``); ``says``: what it does, in words."""

    bond: str
    kind: str
    args: tuple
    says: str
    # A removal: the device whose absence is the goal. When the step fails because
    # it is already gone (NetworkManager deletes a bond whose profile went), it is done.
    removes: str | None = None
    # A slave set free: every run releases these first, on every bond, before anything
    # is enslaved anywhere (slaves trading places between bonds, see activate.in_run_order).
    releases: str | None = None

    def __str__(self):
        return self.says


def _sysfs(bond, device, name, value, says):
    return Operation(bond, "sysfs", (f"{device}/bonding/{name}", value), says)


def _ip(bond, says, *args):
    return Operation(bond, "ip", tuple(str(a) for a in args), says)


def default_text(option):
    """What sysfs shows for ``option`` left at the kernel's default ("" where unset)."""
    if option.default is not None:
        return option.default
    return UNSET_MAC if option.kind == "mac" else ""


def option_values(bond):
    """``{option: canonical text}`` of every option in effect in ``bond.mode``: the ones
    given, the kernel's default for the others (miimon's is the mode's:
    ``modes.effective_miimon``)."""
    values = {option.name: bond.options.get(option.name, default_text(option))
              for option in TABLE[1:] if bond.mode in option.modes}
    for given, other in (*SAME_PARAMETER, *(pair[::-1] for pair in SAME_PARAMETER)):
        # One kernel parameter under two names: the one given is the other's value too.
        if given in bond.options and other not in bond.options and other in values:
            values[other] = bond.options[given]
    if "miimon" not in bond.options:
        values["miimon"] = str(effective_miimon(bond.mode, None))
    return values


def addresses(interface):
    """The interface's static addresses as ``address/prefix`` (IPv4 first)."""
    found = []
    if interface.ipaddr and interface.bootproto != "dhcp":
        prefix = interface.prefix
        if prefix is None and interface.netmask:
            prefix = ipaddress.IPv4Network(f"0.0.0.0/{interface.netmask}").prefixlen
        found.append(f"{interface.ipaddr}/{prefix if prefix is not None else 32}")
    found += list(interface.ipv6addr)
    return found


def _option_writes(name, device, old, new):
    """The sysfs writes that take option ``name`` from ``old`` to ``new`` (texts)."""
    if name == "arp_ip_target":
        before, after = set(filter(None, old.split(","))), set(filter(None, new.split(",")))
        return ([_sysfs(device, device, name, f"-{t}", f"{device}: ARP target {t} removed")
                 for t in sorted(before - after)]
                + [_sysfs(device, device, name, f"+{t}", f"{device}: ARP target {t} added")
                   for t in sorted(after - before)])
    return [_sysfs(device, device, name, new, f"{device}: {name} {old or 'unset'} -> "
                                              f"{new or 'unset'}")]


def after_mode_write(mode, have):
    """What the kernel makes of ``have`` (option texts) when the mode is set to ``mode``
    (``bond_option_mode_set``, 6.1): a mode without the ARP monitor turns it off and the
    MII monitor on (100 ms) when it was off. An option the plan would not write because
    it equals ``have`` could otherwise end up as the kernel's choice, not pillar's
    (``miimon: 0`` in 802.3ad)."""
    if mode in ARP_MODES:
        return have
    changed = dict(have, arp_interval="0")
    if have.get("miimon") in ("0", ""):
        changed["miimon"] = str(NON_ARP_MIIMON_DEFAULT)
    return changed


def changed_options(desired, current):
    """``[(name, old, new)]`` in write order: the mode first when it changes."""
    changed = []
    # A new bond starts with the kernel's defaults; a running one holds every option
    # (the kernel reader fills them all, outside its mode too).
    have = {option.name: default_text(option) for option in TABLE[1:]}
    if current is not None:
        have.update(current.options)
    if current is None or desired.mode != current.mode:
        changed.append(("mode", current.mode if current else "", desired.mode))
        have = after_mode_write(desired.mode, have)
    for name, value in option_values(desired).items():
        if value != have[name]:
            changed.append((name, have[name], value))
    return sorted(changed, key=lambda item: _ORDER[item[0]])


def _enslave(bond, slave):
    return [_ip(bond, f"{bond}: {slave} down to be enslaved", "link", "set", slave, "down"),
            _sysfs(bond, bond, "slaves", f"+{slave}", f"{bond}: {slave} enslaved")]


def _release(bond, slave):
    return [Operation(bond, "sysfs", (f"{bond}/bonding/slaves", f"-{slave}"),
                      f"{bond}: {slave} released", releases=slave)]


def _addressing(bond, device, desired, current):
    ops = []
    if desired.mtu is not None and (current is None or current.mtu != desired.mtu):
        ops.append(_ip(bond, f"{device}: MTU {desired.mtu}", "link", "set", device, "mtu",
                       desired.mtu))
    have = set(addresses(current)) if current is not None else set()
    want = addresses(desired)
    ops += [_ip(bond, f"{device}: address {a} removed", "addr", "del", a, "dev", device)
            for a in sorted(have - set(want))]
    ops += [_ip(bond, f"{device}: address {a} added", "addr", "add", a, "dev", device)
            for a in want if a not in have]
    for field, family in (("gateway", "-4"), ("ipv6_defaultgw", "-6")):
        old_gw = getattr(current, field) if current is not None else None
        new_gw = getattr(desired, field)
        if new_gw == old_gw:
            continue
        if old_gw:
            ops.append(_ip(bond, f"{device}: default route via {old_gw} removed", family,
                           "route", "del", "default", "via", old_gw, "dev", device))
        if new_gw:
            ops.append(_ip(bond, f"{device}: default route via {new_gw}", family, "route",
                           "replace", "default", "via", new_gw, "dev", device))
    return ops


def _vlans(desired, current):
    name = desired.name
    have = current.vlans if current is not None else {}
    ops = []
    for vid in sorted(set(have) - set(desired.vlans)):
        ops.append(_ip(name, f"{have[vid].device} removed", "link", "del", have[vid].device))
    for vid, vlan in sorted(desired.vlans.items()):
        old = have.get(vid)
        if old is None:
            ops += [_ip(name, f"{vlan.device} created (VLAN {vid} on {name})", "link", "add",
                        "link", name, "name", vlan.device, "type", "vlan", "id", vid),
                    _ip(name, f"{vlan.device} up", "link", "set", vlan.device, "up")]
        ops += _addressing(name, vlan.device, vlan, old)
    return ops


def plan_bond(desired, current):
    """``(operations, bounced)`` taking the running bond ``current`` (a Bond read from the
    kernel, None: absent) to ``desired`` (None: remove it); ``bounced``: whether its
    slaves are released and enslaved again."""
    if desired is None:
        if current is None:
            return [], False
        ops = [_ip(current.name, f"{v.device} removed", "link", "del", v.device)
               for _, v in sorted(current.vlans.items())]
        return ops + [_ip(current.name, f"{current.name} removed", "link", "del",
                          current.name)], False
    name = desired.name
    changed = changed_options(desired, current)
    ops, bounced = [], False
    if current is None:
        ops.append(_ip(name, f"{name} created", "link", "add", name, "type", "bond"))
        ops += [op for option, old, new in changed if option not in AFTER_SLAVES
                for op in _option_writes(option, name, old, new)]
        ops.append(_ip(name, f"{name} up", "link", "set", name, "up"))
        for slave in desired.slaves:
            ops += _enslave(name, slave)
    else:
        needs = {OPTIONS[option].live for option, _, _ in changed}
        bounced = any(need.endswith("no-slaves") for need in needs)
        down = bounced or "down" in needs  # released slaves: down too, for the mode
        kept = [s for s in current.slaves if s in desired.slaves]
        for slave in current.slaves:
            if slave not in desired.slaves or bounced:
                ops += _release(name, slave)
        if down:
            ops.append(_ip(name, f"{name} down", "link", "set", name, "down"))
        ops += [op for option, old, new in changed if option not in AFTER_SLAVES
                for op in _option_writes(option, name, old, new)]
        if down:
            ops.append(_ip(name, f"{name} up", "link", "set", name, "up"))
        for slave in desired.slaves:
            if slave not in kept or bounced:
                ops += _enslave(name, slave)
    ops += [op for option, old, new in changed if option in AFTER_SLAVES
            for op in _option_writes(option, name, old, new)]
    ops += _addressing(name, name, desired, current)
    ops += _vlans(desired, current)
    return ops, bounced
