"""One run of a bond state, start to end: the transaction the state module only wires.

Under the host lock (``lock.py``): fire what an earlier, dead run left armed
(``activate.timer``); plan (``plan.py``: validate, render, compare with the disk); plan
the live changes against the running system (``live.py``) before anything is written,
so a back-end that cannot run, or a change that would cut the host off, changes
nothing; arm the rollback timer; back up the files Salt did not write, write the
plan's files all or nothing, make a running NetworkManager load and check them; bring
the bonds live and verify; on a failure, put the files (and NetworkManager's view of
them) and the kernel back; disarm the timer; stop NetworkManager where pillar says
``networkmanager: disabled``. The return has Salt's state shape (``name``, ``result``,
``changes``, ``comment``, ``warnings``).

What it needs of the minion comes through one small :class:`Host` the state module
builds from Salt (``cmd.run_all``, ``file.managed``'s backups, the service module,
the master's address): no Salt here, so the unit tier reaches every branch::

    ret = transaction.run("bonding", "bond.reconciled bonding", make_plan, done, host,
                          test=False, claims={})
"""

import os
from dataclasses import dataclass

from .. import plan as plans
from ..activate import timer
from ..errors import BondingError, FilesError, SystemFailure, UserError
from ..host import lock, networkmanager
from . import live

NETWORKMANAGER_SERVICE = "NetworkManager"
DEFAULT_LOCK_TIMEOUT = 120  # seconds a run waits for another run of these states


class NoServices:
    """A minion without a service manager the state can ask."""

    available = None


@dataclass
class Host:
    """What a run needs of the minion, given by the state module.

    ``run(argv) -> (returncode, stdout, stderr)``; ``which(name)`` -> path or None;
    ``backup(path)`` keeps a copy of a file Salt did not write before it is replaced
    (OSError when it cannot); ``services``: ``available``, ``running``, ``enabled``,
    ``stop``, ``disable`` of a service name (SystemFailure when the service manager
    cannot be asked), or :class:`NoServices`; ``master``: the Salt master's address
    (None: no master, ``salt-call --local``), ``master_answer(seconds)``: one request to
    it (None when it completed, else why not; None: no master); ``pause_file``: the
    test hook of ``activate.pause_while``.
    """

    run: object
    which: object
    backup: object
    cachedir: str
    backup_root: str = ""
    services: object = NoServices
    master: str | None = None
    master_answer: object = None
    pause_file: str | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT


def run(name, holder, make_plan, done_comment, host, test, claims, warnings=(),
        networkmanager_service=False):
    """The return of one state run (see the module's docstring). ``make_plan()`` gives
    the run's ``plan.Plan`` (BondingError: refused, nothing touched); ``done_comment(plan)``
    the comment when nothing is to change; ``holder`` names the run in the lock;
    ``claims``: the bonds the states of this Salt run handled so far (``plan.claim``);
    ``warnings``: the state module's own; ``networkmanager_service``: stop and disable
    NetworkManager when the plan says ``networkmanager: disabled``."""
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    run_once = _Run(host, test, claims, list(warnings), networkmanager_service)
    if test:  # writes nothing: no lock to wait for
        return run_once.plan_and_apply(ret, make_plan, done_comment)
    try:
        with lock.HostLock(lock.lock_path(host.cachedir), holder, host.lock_timeout):
            earlier = _earlier_runs(host)
            ret = run_once.plan_and_apply(ret, make_plan, done_comment)
    except SystemFailure as exc:  # the lock could not be taken
        ret["result"] = False
        ret["comment"] = str(exc)
        return ret
    if earlier:  # the host was put back first: say so
        ret.setdefault("warnings", [])[:0] = earlier
        ret["comment"] = "\n".join([ret["comment"], *(f"Warning: {w}" for w in earlier)])
    return ret


def timer_dir(host):
    return os.path.join(host.cachedir, timer.DIRECTORY)


def _earlier_runs(host):
    """Runs that died before they disarmed their rollback timer: fire those timers now
    (this run holds the lock they wait for), and what a timer that fired since the last
    run put back; a sentence each."""
    directory = timer_dir(host)
    fired = timer.recover(directory, host.run)
    taken = timer.take_fired(directory)
    if taken is not None and all(taken["token"] != f["token"] for f in fired):
        fired.insert(0, taken)
    return [timer.said(f) for f in fired]


class _Run:
    """One run's steps; ``notes`` collects the lines the comment ends with."""

    def __init__(self, host, test, claims, warnings, networkmanager_service):
        self.host, self.test, self.claims = host, test, claims
        self.warnings = warnings
        self.networkmanager_service = networkmanager_service
        self.notes = []

    def plan_and_apply(self, ret, make_plan, done_comment):
        try:
            plan = make_plan()
        except BondingError as exc:  # bad input, a file we may not touch, a failed read
            return _failed(ret, f"No files changed. {exc}")
        # Two states of this module handling one bond in one run would undo each other.
        clashes = plans.claim(self.claims, plan)
        if clashes:
            return _failed(ret, f"No files changed. {UserError(clashes)}")
        warnings = [*plan.warnings, *self.warnings]
        if warnings:  # Salt's outputters highlight these; the comment repeats them
            ret["warnings"] = warnings
        self.notes = [f"Warning: {w}" for w in warnings]
        ret["changes"] = plans.report(plan.changes)
        try:  # before any write: a back-end that cannot run here changes nothing
            going_live = live.plan_live(plan, self.host)
        except BondingError as exc:  # cannot run here, or refused (lifelines)
            return _failed(ret, f"No files changed. {exc}")
        armed = None
        if going_live and self.test:
            self.notes.append(live.would_arm(plan, going_live))
        elif going_live:
            try:  # before anything changes: a run that dies mid-change is put back
                armed = live.arm(plan, going_live, self.host, timer_dir(self.host),
                                 self.notes)
            except SystemFailure as exc:
                return _failed(ret, f"No files changed. {exc} (pillar rollback_after: 0 "
                                    "runs without it)")
        # An exception from here on leaves the timer armed: it puts the host back.
        if not self.apply(ret, plan, going_live, done_comment):
            live.disarm(armed, self.host, ret)
            return ret
        live.disarm(armed, self.host, ret, self.notes)
        if self.networkmanager_service:
            self.disable_networkmanager(ret, plan)
        files_line = f"Files: {plan.choice.describe()}; why: {plan.choice.reason}."
        ret["comment"] = "\n".join([ret["comment"], files_line, *self.notes])
        return ret

    def apply(self, ret, plan, going_live, done_comment):
        """Write the plan's files, have NetworkManager load them, bring the bonds live;
        False (``ret`` says why) when the run stops there."""
        if not plan.changes and not going_live:
            ret["comment"] = done_comment(plan)
            return True
        if not plan.changes:  # the files are in place, the running bonds drifted
            ret["comment"] = "The files are in place."
            if self.test:
                ret["result"] = None
                live.report(ret, going_live, self.notes)
                return True
            return self.bring_live(ret, plan, going_live, plans.apply(plan))
        if self.test:
            ret["result"] = None
            ret["comment"] = plans.summary(plan, test=True)
            self.load_into_networkmanager(ret, plan, None)
            live.report(ret, going_live, self.notes)
            return True
        try:
            self.backup(plans.taken_over(plan))
            applied = plans.apply(plan)
        except SystemFailure as exc:
            _failed(ret, str(exc))
            return False
        ret["comment"] = plans.summary(plan, test=False)
        if not self.load_into_networkmanager(ret, plan, applied):
            return False
        return not going_live or self.bring_live(ret, plan, going_live, applied)

    def bring_live(self, ret, plan, going_live, applied):
        return live.bring_live(ret, going_live, self.host, self.notes,
                               lambda: self.put_files_back(plan, applied))

    def load_into_networkmanager(self, ret, plan, applied):
        """Make a running NetworkManager read the files NetworkManager reads that the run
        changed, without activating anything, and check that it did (``nmcli connection
        load`` exits 0 when it refused a file). Refused: the files are rolled back and
        reloaded, ``ret`` says so and False is returned. ``applied`` None: test mode."""
        written, removed = networkmanager.changed_files(plan)
        if not (written or removed):
            return True
        if self.host.which(networkmanager.NMCLI) is None:
            self.notes.append(networkmanager.said("no nmcli", written, removed))
            return True
        returncode, stdout, _ = self.host.run(networkmanager.RUNNING_ARGV)
        if not networkmanager.is_running(returncode, stdout):
            self.notes.append(networkmanager.said("not running", written, removed))
            return True
        if applied is None:
            self.notes.append(networkmanager.said("would load", written, removed))
            return True
        _, _, load_stderr = self.host.run(networkmanager.load_argv(written + removed))
        returncode, stdout, stderr = self.host.run(networkmanager.SHOW_ARGV)
        if returncode != 0:
            problems = [("nmcli", stderr.strip() or f"exit {returncode}")]
        else:
            problems = networkmanager.not_loaded(written, removed, stdout, load_stderr)
        if not problems:
            self.notes.append(networkmanager.said("loaded", written, removed))
            return True
        back, all_back = self.put_files_back(plan, applied)
        said = "; ".join(f"{path}: {why}" for path, why in problems)
        ret["result"] = False
        ret["changes"] = {} if all_back else ret["changes"]
        ret["comment"] = f"NetworkManager refused the new files: {said}; {back}."
        return False

    def put_files_back(self, plan, applied):
        """Roll the run's files back, and have a running NetworkManager load them again:
        ``(what happened in words, whether every file is back)``."""
        restored, failed = applied.rollback()
        argv = live.reload_argv(plan, self.host)
        if argv:  # NetworkManager not running: it reads them when it starts
            self.host.run(argv)
        if failed:
            return "file rollback failed for " + ", ".join(
                f"{p} ({why})" for p, why in failed.items()), False
        return (f"rolled back {len(restored)} file(s)"
                f"{' and reloaded them' if argv else ''}"), True

    def backup(self, paths):
        """Back up files Salt did not write before replacing them, as ``file.managed``
        does with ``backup: minion`` (``salt-call file.list_backups <path>`` lists them)."""
        if not paths:
            return
        for path in paths:
            try:
                self.host.backup(path)
            except OSError as exc:
                raise FilesError(path, "back up", exc.strerror or str(exc)) from exc
        self.notes.append(f"Backed up before replacing them: {', '.join(paths)} "
                          f"(under {self.host.backup_root}).")

    def disable_networkmanager(self, ret, plan):
        """Stop and disable NetworkManager when the plan says ``networkmanager: disabled``."""
        if plan.networkmanager != "disabled":
            return
        services, name, notes = self.host.services, NETWORKMANAGER_SERVICE, self.notes
        if services.available is None:
            notes.append("NetworkManager: no service manager on this minion; nothing to "
                         "disable.")
            return
        try:
            available = services.available(name)
            running = available and services.running(name)
            enabled = available and services.enabled(name)
        except SystemFailure as exc:  # systemd not running (a chroot)
            warning = (f"NetworkManager was not disabled: the service manager cannot be "
                       f"asked ({str(exc).strip()})")
            ret.setdefault("warnings", []).append(warning)
            notes.append(f"Warning: {warning}")
            return
        if not available:
            notes.append("NetworkManager is not installed; nothing to disable.")
            return
        if not running and not enabled:
            notes.append("NetworkManager is already stopped and disabled.")
            return
        change = {"old": {"running": running, "enabled": enabled},
                  "new": {"running": False, "enabled": False}}
        if self.test:
            if ret["result"] is True:
                ret["result"] = None
            notes.append("NetworkManager would be stopped and disabled.")
        else:
            try:
                stopped = not running or services.stop(name)
                disabled = not enabled or services.disable(name)
            except SystemFailure:
                stopped = disabled = False
            if not (stopped and disabled):
                ret["result"] = False
                notes.append("NetworkManager could not be stopped and disabled.")
                return
            notes.append("NetworkManager stopped and disabled.")
        ret["changes"][name] = change


def _failed(ret, comment):
    ret["result"] = False
    ret["changes"] = {}
    ret["comment"] = comment
    return ret
