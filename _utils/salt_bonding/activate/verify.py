"""Verification after activation, the same for every back-end: the kernel must do what
the configuration says, and each bond's ``verify: ping`` address must answer through it.

The kernel check is ``compare.differences`` (mode, every option given, the slave
set, MII up, an active slave where the mode has one) on ``bond.status``'s
reading, plus anything the kernel planner would still do from a fresh snapshot
(MTU, addresses, routes, VLANs). It is retried for up to ``timeout`` seconds:
MII needs a miimon interval or two, LACP a few LACPDUs, and the first look
waits until the link monitors have had their say (:func:`settle_seconds`).
"""

import time

from ..observe import compare
from .kernel_plan import plan_bond

TIMEOUT = 10.0  # seconds the kernel check is retried
INTERVAL = 0.5
MASTER_ATTEMPT = 5.0  # seconds one request to the Salt master may take before another
# The least wait before the first look (a bond without link monitors: the driver counts
# every slave up).
MINIMUM_SETTLE = 0.1


def settle_seconds(bond):
    """How long to wait after a change before the first look: the bond's own settle time.
    The MII monitor: the driver judges a slave's carrier when it enslaves it (with updelay:
    not up until then), so one monitor pass, miimon + updelay. The ARP monitor counts a
    new slave up until its probes go unanswered: twice (arp_missed_max + 1) intervals.
    At least ``MINIMUM_SETTLE``; LACP and late MII are what the retries are for."""
    options = bond.options
    miimon = int(options.get("miimon", 0))
    arp_interval = int(options.get("arp_interval", 0))
    missed = int(options.get("arp_missed_max", 2))
    waits = [miimon + int(options.get("updelay", 0)) if miimon else 0,
             2 * (missed + 1) * arp_interval]
    return max(MINIMUM_SETTLE, max(waits) / 1000)


def bond_problems(desired, current, live):
    """What the kernel does not do of ``desired`` (a model.Bond): ``current`` is the bond
    as ``Running.snapshot`` read it (None: absent), ``live`` as ``bond.status`` did. The
    one comparison of desired against running that activation's verification and
    ``bond.verify`` share: ``compare.differences`` (mode, every option given, slaves, MII
    up, an active slave) and whatever the kernel planner would still do (MTU, addresses,
    routes, VLANs)."""
    if current is None:
        return [f"{desired.name}: not in the kernel"]
    left, _ = plan_bond(desired, current)
    return ([f"{desired.name}: still to do: {op.says}" for op in left]
            + [str(d) for d in compare.differences(desired, live)])


def kernel_problems(running, plans):
    """What the kernel does not do yet for ``plans`` (``[]``: all of it)."""
    now = running.snapshot([p.name for p in plans])
    found = []
    for bond_plan in plans:
        if bond_plan.desired is None:
            if now[bond_plan.name] is not None:
                found.append(f"{bond_plan.name}: still in the kernel")
            continue
        found += bond_problems(bond_plan.desired, now[bond_plan.name],
                               running.status(bond_plan.name))
    return found


def _devices(bond):
    return {bond.name, *(vlan.device for vlan in bond.vlans.values())}


def reach_problem(running, bond, clock=time.monotonic, sleep=time.sleep):
    """None when ``bond.verify``'s address answers through the bond (the route to it goes
    out of the bond or one of its VLANs) within its timeout; else why not."""
    address, timeout = bond.verify.ping, bond.verify.timeout
    # A link-local address names its interface (validation allows the bond's own devices).
    _, percent, scope = address.partition("%")
    deadline = clock() + timeout
    while True:
        device = scope if percent else running.route_device(address)
        if device in _devices(bond) and running.answers(address):
            return None
        if clock() >= deadline:
            way = ("no route" if device is None else
                   f"routed through {device}" if device not in _devices(bond) else None)
            return (f"{address} unreachable through {bond.name} after {timeout:g} s"
                    + (f" ({way})" if way else ""))
        sleep(INTERVAL)


def master_timeout(plans):
    """Seconds the Salt master may take to answer after ``plans`` ran: the longest
    ``verify.timeout`` of the bonds with ``verify: {master: true}``; None: none asks."""
    asked = [p.desired.verify.timeout for p in plans if p.desired is not None
             and p.desired.verify is not None and p.desired.verify.master]
    return max(asked) if asked else None


def master_problem(answer, timeout, clock=time.monotonic, sleep=time.sleep):
    """None when ``answer(seconds)`` (one real request to the Salt master, None when it
    completed, else why not) succeeds within ``timeout`` seconds; else why not."""
    deadline = clock() + timeout
    while True:
        why = answer(max(1.0, min(deadline - clock(), MASTER_ATTEMPT)))
        if why is None:
            return None
        if clock() >= deadline:
            return f"the Salt master did not answer a request after {timeout:g} s ({why})"
        sleep(INTERVAL)


def problems(running, plans, timeout=TIMEOUT, clock=time.monotonic, sleep=time.sleep):
    """Everything wrong after ``plans`` ran (``[]``: verified): the kernel check, retried
    up to ``timeout``; then, once it passes, each ``verify: ping`` of the bonds (``verify:
    master`` is the caller's: :func:`master_problem`)."""
    deadline = clock() + timeout
    settle = max((settle_seconds(p.desired) for p in plans if p.desired), default=0)
    sleep(min(settle, timeout))
    while True:
        found = kernel_problems(running, plans)
        if not found or clock() >= deadline:
            break
        sleep(INTERVAL)
    if found:
        return found
    reach = (reach_problem(running, p.desired, clock, sleep) for p in plans
             if p.desired is not None and p.desired.verify is not None
             and p.desired.verify.ping is not None)
    return [problem for problem in reach if problem]
