"""Activation: bringing the bonds whose files a run changed to the running system.

Pillar ``activate`` (top level, or per bond) picks a back-end, a sibling
module each: ``kernel`` (iproute2 and sysfs in place), ``ifup``
(initscripts' ifdown/ifup for ifcfg files, ``ifupdown``: Debian's ifup for ifupdown
files), ``nmcli`` (NetworkManager activates the loaded profiles); for netplan files
every back-end is refused (``netplan``). Every back-end is an
:class:`~.base.Activator` that plans operations; running them, verifying the
result (``verify``) and, on failure, putting files and kernel back are the
same for all of them (:func:`bring_live`)::

    running = Running(run_command)
    plans = plan(running, {"kernel": {"bond0": bond}})   # test=True reports these
    outcome = bring_live(running, plans, put_files_back)
"""

import os
import time

from ..errors import SystemFailure, UserError
from . import verify
from .base import BondPlan, Outcome
from .ifup import Ifup
from .ifupdown import IfupdownIfup
from .kernel import Kernel
from .kernel_plan import plan_bond
from .lifelines import Lifelines
from .netplan import NetplanRefused
from .nmcli import Nmcli
from .running import Running

ACTIVATORS = {activator.name: activator for activator in (Kernel(), Ifup(), Nmcli())}
# Back-ends that differ by the files they bring live: "<activate>@<format>" (see backend()).
ACTIVATORS.update({"ifup@ifupdown": IfupdownIfup(),
                   **{f"{name}@netplan": NetplanRefused(name) for name in list(ACTIVATORS)}})


def backend(name, file_format):
    """The key in :data:`ACTIVATORS` of pillar ``activate: name`` for files of
    ``file_format``: ``ifup`` is initscripts' for ifcfg files and ifupdown's for ifupdown
    files; every back-end is refused for netplan files."""
    variant = f"{name}@{file_format}"
    return variant if variant in ACTIVATORS else name


__all__ = ["ACTIVATORS", "BondPlan", "backend", "Lifelines", "Outcome", "Running", "bring_live",
           "drifted", "handing_over_first",
           "held_elsewhere", "in_run_order", "pause_while", "plan", "refusals", "restore"]


def refusals(config, choice, path):
    """``[(pillar path, message)]``: bonds whose ``activate`` cannot work on this minion."""
    using = {}
    for name, bond in config.bonds.items():
        using.setdefault(bond.activate or config.activate, []).append(name)
    found = []
    for name, names in sorted(using.items()):
        key = backend(name, choice.format)
        if key in ACTIVATORS:
            found += ACTIVATORS[key].refusals(config, names, choice, path)
    return found


def plan(running, wanted, path="bonding:bonds", lifelines=None, converge=None):
    """``[BondPlan]`` for ``wanted`` ({back-end: {bond: Bond, or None to remove it}}: the
    bonds whose files the run changes) and for each bond of ``converge`` (same shape:
    bonds whose files are in place) whose running state drifted from it (see
    :func:`drifted`), planned against one snapshot of the running bonds.
    SystemFailure when a back-end cannot run here, or the running bonds cannot be read;
    UserError (``path``: the pillar path of the bonds) when a slave is held by a device outside the
    run, or when the run would cut one of ``lifelines`` (a
    :class:`~.lifelines.Lifelines`; None: not checked)."""
    converge = converge or {}
    names = {name for bonds in (*wanted.values(), *converge.values()) for name in bonds}
    before = running.snapshot(sorted(names))
    drift = drifted(converge, before)
    every = {backend: dict(bonds) for backend, bonds in wanted.items()}
    for backend, bonds in converge.items():
        for name in bonds:
            if name in drift:
                every.setdefault(backend, {})[name] = bonds[name]
    for backend in sorted(every):
        ACTIVATORS[backend].check(running)
    plans = []
    for backend, bonds in sorted(every.items()):
        plans += ACTIVATORS[backend].plan(bonds, before)
    for bond_plan in plans:
        bond_plan.drift = drift.get(bond_plan.name, [])
    refused = held_elsewhere(plans, running.holders(), path)
    if lifelines is not None:
        refused += lifelines.cut_by(plans, path)
    if refused:
        raise UserError(refused)
    return handing_over_first(plans)


def drifted(converge, before):
    """``{bond: [what differs, in words]}``: the bonds of ``converge`` whose running state
    (``before``, a snapshot) is not what their configuration says, by the kernel
    planner's own comparison (what ``bond.verify`` reports as still to do). A bond
    not brought up at boot (``onboot: false``) may be down or absent: not drift."""
    found = {}
    for bonds in converge.values():
        for name, bond in bonds.items():
            if bond is None or not bond.onboot:
                continue
            left, _ = plan_bond(bond, before.get(name))
            if left:
                found[name] = [op.says for op in left]
    return found


def held_elsewhere(plans, holders, path):
    """``[(pillar path, message)]``: slaves ``plans`` enslave that a device outside the run
    holds (``holders``: {device: its master}). Taking one would take that device's link
    down first; a hand-over is planned whole only between bonds of the run."""
    in_run = {p.name for p in plans}
    found = []
    for bond_plan in plans:
        for slave in _slaves(bond_plan.desired):
            holder = holders.get(slave)
            if holder is not None and holder != bond_plan.name and holder not in in_run:
                found.append((f"{path}:{bond_plan.name}:slaves", (
                    f"{slave} is a slave of {holder}, which this run does not change: "
                    f"taking it would take {holder}'s link down; release it from {holder} "
                    f"first (ip link set {slave} nomaster), or leave it out of "
                    f"{bond_plan.name}'s slaves")))
    return found


def _slaves(bond):
    return set(bond.slaves) if bond is not None else set()


def handing_over_first(plans):
    """``plans`` in an order where a bond giving up a slave runs before the bond taking it
    (a bond removed gives up its slaves only when it goes); otherwise as given. Slaves
    released by bonds that stay are released before anything runs
    (:func:`in_run_order`), so bonds trading slaves both ways or in a cycle work in any
    order."""
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


def in_run_order(steps):
    """``steps`` (``[(bond, Operation)]``, each bond's in its order) as they run: every
    slave released, on every bond, before anything else; the driver refuses to enslave
    a device another bond still holds, so a hand-over is released everywhere first."""
    return ([step for step in steps if step[1].releases]
            + [step for step in steps if not step[1].releases])


def bring_live(running, plans, put_files_back, timeout=verify.TIMEOUT, master=None,
               between=None):
    """Run ``plans`` (:func:`in_run_order`), verify; on failure call ``put_files_back()``
    (its result is kept in ``outcome.files``), then put every bond of the run back to
    its snapshot.

    ``master``: ``answer(seconds)``, one real request to the Salt master (None when it
    completed, else why not), made once the kernel and the pings verified when a bond
    says ``verify: {master: true}``. ``between(count)``: called after each operation (a
    test's hook to pause a run there)."""
    outcome = Outcome()
    try:
        steps = in_run_order([(p.name, op) for p in plans for op in p.operations])
        for count, (name, op) in enumerate(steps, 1):
            done = outcome.done.setdefault(name, [])
            running.run(op)
            done.append(op.says)
            if between is not None and count < len(steps):
                between(count)
        found = verify.problems(running, plans, timeout)
        master_timeout = verify.master_timeout(plans)
        if not found and master is not None and master_timeout is not None:
            problem = verify.master_problem(master, master_timeout)
            found = [problem] if problem else []
        if found:
            outcome.failed = "verification failed: " + "; ".join(found)
    except SystemFailure as exc:
        outcome.failed = str(exc)
    if outcome.failed:
        outcome.files = put_files_back()
        restore(running, plans, outcome)
    return outcome


def pause_while(path, exists=os.path.exists, sleep=time.sleep):
    """A test's hook for :func:`bring_live`'s ``between`` (minion option ``bond.pause_file``):
    when the file ``path`` exists after the first operation, write this process's pid to
    ``<path>.paused`` and wait while ``path`` exists (a test kills the run there, or
    removes the file to let it go on). None when ``path`` is not set."""
    if not path:
        return None

    def between(count):
        if count != 1 or not exists(path):
            return
        with open(f"{path}.paused", "w", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
        while exists(path):  # what the test does next is the evidence awaited
            sleep(0.1)

    return between


def restore(running, plans, outcome):
    """Every bond of the run back to its snapshot, the way its back-end says, from how it
    runs now: also those whose plan had not started (a slave another bond took away
    goes back); the releases first, then the rest, last changed bond first."""
    order = list(reversed(plans))
    try:
        now = running.snapshot([p.name for p in order])
    except SystemFailure as exc:
        outcome.rollback_errors.append(str(exc))
        return
    steps, failed = [], set()
    for bond_plan in order:
        try:
            ops = bond_plan.activator.restore_plan(bond_plan, now[bond_plan.name])
        except SystemFailure as exc:
            outcome.rollback_errors.append(str(exc))
            failed.add(bond_plan.name)
            continue
        steps += [(bond_plan.name, op) for op in ops]
    for name, op in in_run_order(steps):
        if name in failed:
            continue
        try:
            running.run(op)
        except SystemFailure as exc:
            outcome.rollback_errors.append(str(exc))
            failed.add(name)
    outcome.rolled_back += [p.name for p in order if p.name not in failed
                            and (p.name in outcome.done
                                 or any(name == p.name for name, _ in steps))]
