"""The live half of a state run: what goes live, the rollback timer around it, and what
the comment says of it (the files half is the package's ``__init__``)."""

from .. import activate
from .. import plan as plans
from ..activate import timer
from ..errors import SystemFailure
from ..host import networkmanager
from ..host.lock import lock_path


def plan_live(plan, host):
    """``(Running, [BondPlan])`` for the bonds that go live (pillar ``activate``) whose
    files the plan changes, or whose running state drifted from their files, planned
    against the running system; None when there is nothing to run. SystemFailure when
    a back-end cannot run here or the system cannot be read; UserError when the run
    would cut what the host is reached through (``allow_cutoff``) or take a slave from
    a device outside the run."""
    wanted, converge = plans.to_activate(plan), plans.to_converge(plan)
    if not (wanted or converge):
        return None
    running = activate.Running(host.run)
    config = plan.config
    lifelines = None
    if not config.allow_cutoff:
        pings = [(name, bond.verify.ping) for name, bond in config.bonds.items()
                 if bond.verify is not None and bond.verify.ping is not None]
        lifelines = activate.Lifelines.read(running, host.master, pings)
    bond_plans = activate.plan(running, wanted, plan.path, lifelines, converge)
    return (running, bond_plans) if bond_plans else None


def reload_argv(plan, host):
    """The ``nmcli connection load`` of the files NetworkManager reads that ``plan``
    changes, where nmcli is installed; None otherwise."""
    written, removed = networkmanager.changed_files(plan)
    if (written or removed) and host.which(networkmanager.NMCLI) is not None:
        return networkmanager.load_argv(written + removed)
    return None


def would_arm(plan, going_live):
    """test=True: what the timer of this run would be."""
    delay = timer.delay_of(plan.config, going_live[1])
    return (f"Would arm a rollback timer ({delay} s) before the change." if delay
            else "No rollback timer (rollback_after: 0).")


def arm(plan, going_live, host, directory, notes):
    """Arm the rollback timer of an activating run (``timer.Armed``), or None when
    ``rollback_after`` is 0 for every bond it brings live."""
    _, bond_plans = going_live
    delay = timer.delay_of(plan.config, bond_plans)
    if not delay:
        notes.append("No rollback timer (rollback_after: 0).")
        return None
    try:
        journal = timer.write_journal(directory, plan.changes, bond_plans,
                                      reload_argv(plan, host), lock_path(host.cachedir),
                                      delay)
    except OSError as exc:
        raise SystemFailure(f"cannot write the rollback journal in {directory}: "
                            f"{exc.strerror or exc}") from exc
    return timer.arm(journal, delay, host.run)


def disarm(armed, host, ret, notes=None):
    """The run is over: stop its rollback timer, and say so (in ``notes``, or at the end
    of a failed run's comment)."""
    if armed is None:
        return
    timer.disarm(armed, host.run)
    said = f"Rollback timer armed ({armed.describe()}) and disarmed."
    if notes is not None:
        notes.append(said)
    else:
        ret["comment"] = f"{ret['comment']}\n{said}"


def report(ret, going_live, notes):
    """test=True: the operations that would run, per bond, under ``changes: live``."""
    if not going_live:
        return
    _, bond_plans = going_live
    ret["changes"]["live"] = {p.name: p.says() for p in bond_plans}
    bounce = " (bounced: its slaves released and enslaved again)"
    notes += [f"Would bring {p.name} live{bounce if p.bounced else ''}{_drift(p)}."
              for p in bond_plans]


def _drift(bond_plan):
    """Why a bond whose files are in place goes live: its kernel drifted from them."""
    if not bond_plan.drift:
        return ""
    return f" (the kernel had drifted from its files: {'; '.join(bond_plan.drift)})"


def _live_note(bond_plan):
    """What a successful run says of a bond it brought live."""
    if bond_plan.desired is None:
        return f"{bond_plan.name} is removed from the kernel."
    bounced = " (bounced)" if bond_plan.bounced else ""
    return f"{bond_plan.name} is live{bounced}{_drift(bond_plan)} and verified."


def _master_answer(ret, bond_plans, host, notes):
    """The request ``verify: {master: true}`` makes (``host.master_answer``), or None when
    no bond asks, or (with a warning) when the minion has no master."""
    if activate.verify.master_timeout(bond_plans) is None:
        return None
    if host.master_answer is None:
        warning = ("verify.master skipped: this run has no Salt master (salt-call --local); "
                   "the bonds were verified without it")
        ret.setdefault("warnings", []).append(warning)
        notes.append(f"Warning: {warning}")
    return host.master_answer


def bring_live(ret, going_live, host, notes, put_files_back):
    """Run the planned activation, verify, and on failure put files and the running bonds
    back (``ret`` says so, False returned)."""
    running, bond_plans = going_live
    outcome = activate.bring_live(
        running, bond_plans, put_files_back,
        master=_master_answer(ret, bond_plans, host, notes),
        between=activate.pause_while(host.pause_file))
    if not outcome.failed:
        ret["changes"]["live"] = {p.name: {"done": outcome.done.get(p.name, []),
                                           "bounced": p.bounced} for p in bond_plans}
        notes += [_live_note(p) for p in bond_plans]
        return True
    failure = outcome.failed
    if outcome.rollback_errors:
        failure += "; kernel rollback failed: " + "; ".join(outcome.rollback_errors)
    elif outcome.rolled_back:
        failure += f"; rolled back the kernel ({', '.join(outcome.rolled_back)})"
    back, all_back = outcome.files
    ret["result"] = False
    ret["changes"] = {} if all_back else ret["changes"]
    ret["comment"] = f"{failure}; {back}."
    return False
