"""The ``kernel`` activator's plan: the operations that take a running bond from what it
is to what it should be, minimal and in the order the driver needs.

Both sides are :class:`~salt_bonding.config.model.Bond` values: the desired one from
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

Operations are data (``operations.py``, a dataclass per kind of step); running them
is the activator's job. Pure Python, no Salt.
"""

import ipaddress

from ..config.modes import ARP_MODES, NON_ARP_MIIMON_DEFAULT, effective_miimon
from ..config.options import OPTIONS, SAME_PARAMETER, TABLE
from ..config.ports import TABLE as PORT_TABLE
from .operations import (
    AddressChange,
    BondAdd,
    BondNetlinkOption,
    DefaultRoute,
    LinkAddress,
    LinkDelete,
    LinkMtu,
    LinkState,
    SlaveSetting,
    SysfsWrite,
    VlanAdd,
)

# Written after the slaves are enslaved (the kernel accepts only a slave's name).
AFTER_SLAVES = ("primary",)
# Table order (mode and miimon first, as initscripts write them), but the targets
# (arp_ip_target, ns_ip6_target) before arp_interval, so the ARP monitor starts with them.
_WRITE_ORDER = [option.name for option in TABLE if option.name != "arp_interval"]
_WRITE_ORDER.insert(_WRITE_ORDER.index("ns_ip6_target") + 1, "arp_interval")
_ORDER = {name: index for index, name in enumerate(_WRITE_ORDER)}
UNSET_MAC = "00:00:00:00:00:00"


def _sysfs(bond, device, name, value, says):
    return SysfsWrite(bond=bond, says=says, path=f"{device}/bonding/{name}", value=value)


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
    if OPTIONS[name].netlink_only:
        # The 6.1 driver has no sysfs file for these (the NS targets); netlink replaces
        # the whole list at once.
        return [BondNetlinkOption(bond=device, says=f"{device}: {name} {old or 'none'} -> "
                                                    f"{new or 'none'}",
                                  device=device, option=name, value=new)]
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


def _mac(name, desired, current):
    """The bond's MAC set where pillar gives one and the kernel holds another (before
    slaves are enslaved, as ifup-eth does: with fail_over_mac none they take it too). One
    left out of pillar stays as it is: the kernel's own choice is whatever it holds."""
    if desired.macaddr is None or (current is not None and current.macaddr == desired.macaddr):
        return []
    old = current.macaddr if current is not None else "the kernel's"
    return [LinkAddress(bond=name, says=f"{name}: MAC {old} -> {desired.macaddr}",
                        device=name, mac=desired.macaddr)]


def _enslave(bond, slave):
    return [LinkState(bond=bond, says=f"{bond}: {slave} down to be enslaved", device=slave,
                      up=False),
            _sysfs(bond, bond, "slaves", f"+{slave}", f"{bond}: {slave} enslaved")]


def _release(bond, slave):
    return [SysfsWrite(bond=bond, says=f"{bond}: {slave} released",
                       path=f"{bond}/bonding/slaves", value=f"-{slave}", releases=slave)]


def _slave_settings(desired, current, bounced):
    """The slaves' own settings (config/ports.py) set where they differ from what the
    kernel holds, after enslaving: a slave enslaved now starts at the kernel's defaults
    (its settings went with its release), one removed from pillar goes back to them. A
    setting one slave of a bond only may hold (a non-zero queue_id) is first taken from a
    slave that gives it to another, so that two slaves can trade theirs."""
    name = desired.name
    kept = [] if current is None or bounced else [
        slave for slave in current.slaves if slave in desired.slaves]
    changes = []
    for slave in desired.slaves:
        have = current.ports.get(slave, {}) if slave in kept else {}
        want = desired.ports.get(slave, {})
        for option in PORT_TABLE:
            old = have.get(option.name, option.default)
            new = want.get(option.name, option.default)
            if old != new:
                changes.append((slave, option, old, new))

    def step(slave, option, old, new):
        return SlaveSetting(bond=name, says=f"{name}: {slave} {option.name} {old} -> {new}",
                            device=slave, setting=option.name, value=new)

    # Who holds each value of a setting only one slave may hold, before the changes.
    holders = {(option.name, old): slave for slave, option, old, _ in changes
               if option.unique and old != option.default}
    freeing = {(holders[(option.name, new)], option.name) for slave, option, _, new in changes
               if holders.get((option.name, new), slave) != slave}
    freed, steps = [], []
    for slave, option, old, new in changes:
        if (slave, option.name) in freeing:
            freed.append(step(slave, option, old, option.default))
            old = option.default
        if old != new:
            steps.append(step(slave, option, old, new))
    return freed + steps


def _addressing(bond, device, desired, current):
    ops = []
    if desired.mtu is not None and (current is None or current.mtu != desired.mtu):
        ops.append(LinkMtu(bond=bond, says=f"{device}: MTU {desired.mtu}", device=device,
                           mtu=desired.mtu))
    have = set(addresses(current)) if current is not None else set()
    want = addresses(desired)
    ops += [AddressChange(bond=bond, says=f"{device}: address {a} removed", add=False,
                          cidr=a, device=device)
            for a in sorted(have - set(want))]
    ops += [AddressChange(bond=bond, says=f"{device}: address {a} added", add=True, cidr=a,
                          device=device)
            for a in want if a not in have]
    for field in ("gateway", "ipv6_defaultgw"):
        old_gw = getattr(current, field) if current is not None else None
        new_gw = getattr(desired, field)
        if new_gw == old_gw:
            continue
        if old_gw:
            ops.append(DefaultRoute(bond=bond, says=f"{device}: default route via {old_gw} "
                                                    "removed",
                                    replace=False, gateway=old_gw, device=device))
        if new_gw:
            ops.append(DefaultRoute(bond=bond, says=f"{device}: default route via {new_gw}",
                                    replace=True, gateway=new_gw, device=device))
    return ops


def _vlans(desired, current):
    name = desired.name
    have = current.vlans if current is not None else {}
    ops = []
    for vid in sorted(set(have) - set(desired.vlans)):
        ops.append(LinkDelete(bond=name, says=f"{have[vid].device} removed",
                              device=have[vid].device))
    for vid, vlan in sorted(desired.vlans.items()):
        old = have.get(vid)
        if old is None:
            ops += [VlanAdd(bond=name, says=f"{vlan.device} created (VLAN {vid} on {name})",
                            parent=name, name=vlan.device, vid=vid),
                    LinkState(bond=name, says=f"{vlan.device} up", device=vlan.device, up=True)]
        ops += _addressing(name, vlan.device, vlan, old)
    return ops


def plan_bond(desired, current):
    """``(operations, bounced)`` taking the running bond ``current`` (a Bond read from the
    kernel, None: absent) to ``desired`` (None: remove it); ``bounced``: whether its
    slaves are released and enslaved again."""
    if desired is None:
        if current is None:
            return [], False
        ops = [LinkDelete(bond=current.name, says=f"{v.device} removed", device=v.device)
               for _, v in sorted(current.vlans.items())]
        return ops + [LinkDelete(bond=current.name, says=f"{current.name} removed",
                                 device=current.name)], False
    name = desired.name
    changed = changed_options(desired, current)
    ops, bounced = [], False
    if current is None:
        ops.append(BondAdd(bond=name, says=f"{name} created", name=name))
        ops += [op for option, old, new in changed if option not in AFTER_SLAVES
                for op in _option_writes(option, name, old, new)]
        ops += _mac(name, desired, None)
        ops.append(LinkState(bond=name, says=f"{name} up", device=name, up=True))
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
            ops.append(LinkState(bond=name, says=f"{name} down", device=name, up=False))
        ops += [op for option, old, new in changed if option not in AFTER_SLAVES
                for op in _option_writes(option, name, old, new)]
        if down:
            ops.append(LinkState(bond=name, says=f"{name} up", device=name, up=True))
        ops += _mac(name, desired, current)
        for slave in desired.slaves:
            if slave not in kept or bounced:
                ops += _enslave(name, slave)
    ops += [op for option, old, new in changed if option in AFTER_SLAVES
            for op in _option_writes(option, name, old, new)]
    ops += _slave_settings(desired, current, bounced)
    ops += _addressing(name, name, desired, current)
    ops += _vlans(desired, current)
    return ops, bounced
