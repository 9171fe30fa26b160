"""Activation: bringing the bonds whose files a run changed to the running system.

Pillar ``activate`` (top level, or per bond) picks a back-end, a sibling
module each: ``kernel`` (iproute2 and sysfs in place), ``ifup``
(initscripts' ifdown/ifup), ``nmcli`` (NetworkManager activates the loaded
profiles). Every back-end is an
:class:`~.base.Activator` that plans operations; running them, verifying the
result (``verify``) and, on failure, putting files and kernel back are the
same for all of them (:func:`bring_live`)::

    running = Running(run_command)
    plans = plan(running, {"kernel": {"bond0": bond}})   # test=True reports these
    outcome = bring_live(running, plans, put_files_back)
"""

from ..errors import SystemFailure
from . import verify
from .base import BondPlan, Outcome
from .ifup import Ifup
from .kernel import Kernel
from .nmcli import Nmcli
from .running import Running

ACTIVATORS = {activator.name: activator for activator in (Kernel(), Ifup(), Nmcli())}

__all__ = ["ACTIVATORS", "BondPlan", "Outcome", "Running", "bring_live", "handing_over_first",
           "plan", "refusals"]


def refusals(config, choice, path):
    """``[(pillar path, message)]``: bonds whose ``activate`` cannot work on this minion."""
    using = {}
    for name, bond in config.bonds.items():
        using.setdefault(bond.activate or config.activate, []).append(name)
    found = []
    for backend, names in sorted(using.items()):
        if backend in ACTIVATORS:
            found += ACTIVATORS[backend].refusals(config, names, choice, path)
    return found


def plan(running, wanted):
    """``[BondPlan]`` for ``wanted`` ({back-end: {bond: Bond, or None to remove it}}),
    planned against one snapshot of the running bonds. SystemFailure when a back-end
    cannot run here, or the running bonds cannot be read."""
    for backend in sorted(wanted):
        ACTIVATORS[backend].check(running)
    before = running.snapshot(sorted(name for bonds in wanted.values() for name in bonds))
    plans = []
    for backend, bonds in sorted(wanted.items()):
        plans += ACTIVATORS[backend].plan(bonds, before)
    return handing_over_first(plans)


def _slaves(bond):
    return set(bond.slaves) if bond is not None else set()


def handing_over_first(plans):
    """``plans`` in an order where a bond giving up a slave runs before the bond taking it
    (a slave moving between bonds in one run: the driver refuses a device another bond
    holds); otherwise as given. Bonds trading slaves both ways keep the given order (the
    verification then fails and rolls back)."""
    gives = {p.name: _slaves(p.before) - _slaves(p.desired) for p in plans}
    takes = {p.name: _slaves(p.desired) - _slaves(p.before) for p in plans}
    ordered, waiting = [], list(plans)
    while waiting:
        ready = next((p for p in waiting if not any(
            takes[p.name] & gives[other.name] for other in waiting if other is not p)), None)
        if ready is None:  # a cycle: the rest as given
            return ordered + waiting
        ordered.append(ready)
        waiting.remove(ready)
    return ordered


def bring_live(running, plans, put_files_back, timeout=verify.TIMEOUT):
    """Run ``plans``, verify; on failure call ``put_files_back()`` (its result is kept
    in ``outcome.files``), then put every bond touched back to its snapshot."""
    outcome = Outcome()
    try:
        for bond_plan in plans:
            done = outcome.done.setdefault(bond_plan.name, [])
            for op in bond_plan.operations:
                running.run(op)
                done.append(op.says)
        found = verify.problems(running, plans, timeout)
        if found:
            outcome.failed = "verification failed: " + "; ".join(found)
    except SystemFailure as exc:
        outcome.failed = str(exc)
    if outcome.failed:
        outcome.files = put_files_back()
        restore(running, plans, outcome)
    return outcome


def restore(running, plans, outcome):
    """Each touched bond back to its snapshot, the way its back-end says, from how it
    runs now; last changed first (a slave handed over goes back the way it came)."""
    touched = [p for p in reversed(plans) if p.name in outcome.done]
    try:
        now = running.snapshot([p.name for p in touched])
    except SystemFailure as exc:
        outcome.rollback_errors.append(str(exc))
        return
    for bond_plan in touched:
        try:
            for op in bond_plan.activator.restore_plan(bond_plan, now[bond_plan.name]):
                running.run(op)
            outcome.rolled_back.append(bond_plan.name)
        except SystemFailure as exc:
            outcome.rollback_errors.append(str(exc))
