"""Bonded interfaces as RHEL ifcfg files or NetworkManager keyfiles, and the modprobe
alias, from pillar.

.. code-block:: yaml

    # bonding/init.sls: every bond in pillar['bonding'] for this minion
    bonding:
      bond.reconciled: []

    # one bond, given in the state itself
    bond0:
      bond.managed:
        - mode: active-backup
        - slaves: [eth0, eth1]
        - miimon: 100
        - ipaddr: 192.0.2.10
        - prefix: 24

    bond9:
      bond.absent: []

Which files, and who reads them, follows the minion (RHEL 6/7: ifcfg files for
network-scripts; RHEL 8: ifcfg files NetworkManager reads, unless it runs
network-scripts; RHEL 9 and later, Fedora: keyfiles) unless pillar ``format``
(``auto``, ``ifcfg``, ``keyfile``) and ``networkmanager`` (``managed``,
``unmanaged``, ``disabled``) say otherwise; the comment says which and why.
Files go to the minion options ``bond.ifcfg_dir`` (default
``/etc/sysconfig/network-scripts``), ``bond.keyfile_dir`` (default
``/etc/NetworkManager/system-connections``) and ``bond.modprobe_conf`` (default
``/etc/modprobe.d/bonding.conf``). A running NetworkManager is made to load
the files it reads (``nmcli connection load``, nothing activated) and checked;
other profiles for the same devices are named, and beaten by our
``autoconnect-priority`` or refused. The whole input is validated before
anything is read or written; the files of one run are written atomically and
all or nothing; files are removed only when they carry this module's mark,
and only by the state that wrote them (the mark names it), so
``bond.reconciled`` and ``bond.managed`` can share a host; a bond given to two
states is refused. Runs on one host take turns on a lock in the minion's
cache directory, ``bond.lock`` (minion option ``bond.lock_timeout``, default
120 s).
The logic lives in the ``salt_bonding`` package (``_utils/salt_bonding/``:
``plan.py`` and its siblings); this module only wires it to Salt.
"""

import os
import threading

import salt.channel.client
import salt.exceptions
import salt.utils.data
import salt.utils.files
import salt.utils.path

try:  # synced: Salt puts extmods/utils on sys.path while it loads this module
    import salt_bonding

    salt_bonding = salt_bonding.current()  # not an older copy from before a sync
    from salt_bonding import activate as _activate
    from salt_bonding import copies as _copies
    from salt_bonding import errors as _errors
    from salt_bonding import lock as _lock
    from salt_bonding import networkmanager as _nm
    from salt_bonding import plan as _plan
    from salt_bonding import platform as _platform
    from salt_bonding import render as _render
    from salt_bonding.activate import timer as _timer
except ImportError as _exc:
    _IMPORT_ERROR = _exc
else:
    _IMPORT_ERROR = None

__virtualname__ = "bond"
# Where the core comes from: synced from the master (file server), or the extension.
_GET_IT = "saltutil.sync_all from a master serving _utils/, or pip install salt-bonding"

NETWORKMANAGER_SERVICE = "NetworkManager"
DEFAULT_LOCK_TIMEOUT = 120  # seconds a run waits for another run of these states


def __virtual__():
    if _IMPORT_ERROR is not None:
        return (False, f"The bond state needs the salt_bonding package ({_GET_IT}): "
                       f"{_IMPORT_ERROR}")
    if "bond.status" not in __salt__:
        return (False, "The bond state needs the bond execution module (Linux only).")
    return __virtualname__


def _locations():
    """Where each format goes on this minion, from the minion options; the run's format
    (pillar ``format``, default ``auto``: from the grains) picks one."""
    return _render.Locations.from_options(__salt__["config.get"])


def _grains():
    return _platform.os_grains(__grains__)


def _stack():
    return _platform.stack_from_grains(__grains__)


def _run(name, holder, make_plan, done_comment, extra=None):
    """The shared path of every state: plan, report or apply, say what happened.

    A real run plans, writes and runs ``extra`` under the host's lock (one
    run of these states at a time; see ``salt_bonding.lock``), so its plan is
    never older than the files it changes. ``holder`` names the run in the
    lock. ``extra`` (optional) adds changes beyond files (NetworkManager); it
    is called with the plan once the plan is known to be valid.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if __opts__["test"]:  # writes nothing: no lock to wait for
        return _plan_and_apply(ret, make_plan, done_comment, extra, test=True)
    timeout = float(__salt__["config.get"]("bond.lock_timeout", DEFAULT_LOCK_TIMEOUT))
    try:
        with _lock.HostLock(_lock.lock_path(__opts__["cachedir"]), holder, timeout):
            earlier = _earlier_runs()
            ret = _plan_and_apply(ret, make_plan, done_comment, extra, test=False)
    except _errors.SystemFailure as exc:  # the lock could not be taken
        ret["result"] = False
        ret["comment"] = str(exc)
        return ret
    if earlier:  # the host was put back first: say so
        ret.setdefault("warnings", [])[:0] = earlier
        ret["comment"] = "\n".join([ret["comment"], *(f"Warning: {w}" for w in earlier)])
    return ret


def _timer_dir():
    return os.path.join(__opts__["cachedir"], _timer.DIRECTORY)


def _earlier_runs():
    """Runs that died before they disarmed their rollback timer: fire those timers now
    (this run holds the lock they wait for), and what a timer that fired since the last
    run put back; a sentence each."""
    directory = _timer_dir()
    fired = _timer.recover(directory, _run_command)
    taken = _timer.take_fired(directory)
    if taken is not None and all(taken["token"] != f["token"] for f in fired):
        fired.insert(0, taken)
    return [_timer.said(f) for f in fired]


def _plan_and_apply(ret, make_plan, done_comment, extra, test):
    try:
        plan = make_plan()
    except _errors.BondingError as exc:  # bad input, a file we may not touch, a failed read
        ret["result"] = False
        ret["comment"] = f"No files changed. {exc}"
        return ret
    # Two states of this module handling one bond in one run would undo each other.
    clashes = _plan.claim(__context__.setdefault("bond.claims", {}), plan)
    if clashes:
        ret["result"] = False
        ret["comment"] = f"No files changed. {_errors.UserError(clashes)}"
        return ret
    changes = plan.changes
    warnings = list(plan.warnings)
    twice = _copies.twice(__file__, __opts__.get("extension_modules"), salt_bonding.__file__)
    if twice:
        warnings.append(twice)
    if warnings:  # Salt's outputters highlight these; the comment repeats them
        ret["warnings"] = warnings
    notes = [f"Warning: {w}" for w in warnings]
    ret["changes"] = _plan.report(changes)
    try:  # before any write: a back-end that cannot run here changes nothing
        live = _plan_live(plan)
    except _errors.BondingError as exc:  # cannot run here, or refused (lifelines)
        ret["result"] = False
        ret["changes"] = {}
        ret["comment"] = f"No files changed. {exc}"
        return ret
    armed = None
    if live and test:
        delay = _timer.delay_of(plan.config, live[1])
        notes.append(f"Would arm a rollback timer ({delay} s) before the change."
                     if delay else "No rollback timer (rollback_after: 0).")
    if live and not test:
        try:  # before anything changes: a run that dies mid-change is put back
            armed = _arm(plan, live, notes)
        except _errors.SystemFailure as exc:
            ret["result"] = False
            ret["changes"] = {}
            ret["comment"] = f"No files changed. {exc} (pillar rollback_after: 0 runs without it)"
            return ret
    # An exception from here on leaves the timer armed: it puts the host back.
    if not _apply_and_bring_live(ret, plan, live, notes, done_comment, test):
        _disarm(armed, ret)
        return ret
    _disarm(armed, ret, notes)
    if extra is not None:
        extra(ret, test, notes, plan)
    files_line = f"Files: {plan.choice.describe()}; why: {plan.choice.reason}."
    ret["comment"] = "\n".join([ret["comment"], files_line, *notes])
    return ret


def _apply_and_bring_live(ret, plan, live, notes, done_comment, test):
    """Write the plan's files, have NetworkManager load them, bring the bonds live; False
    (``ret`` says why) when the run stops there."""
    changes = plan.changes
    if not changes and not live:
        ret["comment"] = done_comment(plan)
    elif not changes:  # the files are in place, the running bonds drifted from them
        ret["comment"] = "The files are in place."
        if test:
            ret["result"] = None
            _report_live(ret, live, notes)
        elif not _bring_live(ret, plan, live, notes, _plan.apply(plan)):
            return False
    else:
        if test:
            ret["result"] = None
            ret["comment"] = _plan.summary(plan, test=True)
            _load_into_networkmanager(ret, plan, notes, None)
            _report_live(ret, live, notes)
        else:
            try:
                _backup(_plan.taken_over(plan), notes)
                applied = _plan.apply(plan)
            except _errors.SystemFailure as exc:
                ret["result"] = False
                ret["changes"] = {}
                ret["comment"] = str(exc)
                return False
            ret["comment"] = _plan.summary(plan, test=False)
            if not _load_into_networkmanager(ret, plan, notes, applied):
                return False
            if live and not _bring_live(ret, plan, live, notes, applied):
                return False
    return True


def _arm(plan, live, notes):
    """Arm the rollback timer of an activating run (``timer.Armed``), or None when
    ``rollback_after`` is 0 for every bond it brings live."""
    _, plans = live
    delay = _timer.delay_of(plan.config, plans)
    if not delay:
        notes.append("No rollback timer (rollback_after: 0).")
        return None
    written, removed = _nm.changed_files(plan)
    reload = None
    if (written or removed) and salt.utils.path.which(_nm.NMCLI) is not None:
        reload = _nm.load_argv(written + removed)
    try:
        journal = _timer.write_journal(_timer_dir(), plan.changes, plans, reload,
                                       _lock.lock_path(__opts__["cachedir"]), delay)
    except OSError as exc:
        raise _errors.SystemFailure(
            f"cannot write the rollback journal in {_timer_dir()}: {exc.strerror or exc}"
        ) from exc
    return _timer.arm(journal, delay, _run_command)


def _disarm(armed, ret, notes=None):
    """The run is over: stop its rollback timer, and say so (in ``notes``, or at the end
    of a failed run's comment)."""
    if armed is None:
        return
    _timer.disarm(armed, _run_command)
    said = f"Rollback timer armed ({armed.describe()}) and disarmed."
    if notes is not None:
        notes.append(said)
    else:
        ret["comment"] = f"{ret['comment']}\n{said}"


def _load_into_networkmanager(ret, plan, notes, applied):
    """Make a running NetworkManager read the files NetworkManager reads that the run
    changed, without activating anything, and check that it did (``nmcli connection load``
    exits 0 when it refused a file). Refused: the files are rolled back and reloaded,
    ``ret`` says so and False is returned. ``applied`` None: test mode, say what would be.
    """
    written, removed = _nm.changed_files(plan)
    if not (written or removed):
        return True
    if salt.utils.path.which(_nm.NMCLI) is None:
        notes.append(_nm.said("no nmcli", written, removed))
        return True
    returncode, stdout, _ = _run_command(_nm.RUNNING_ARGV)
    if not _nm.is_running(returncode, stdout):
        notes.append(_nm.said("not running", written, removed))
        return True
    if applied is None:
        notes.append(_nm.said("would load", written, removed))
        return True
    _, _, load_stderr = _run_command(_nm.load_argv(written + removed))
    returncode, stdout, stderr = _run_command(_nm.SHOW_ARGV)
    if returncode != 0:
        problems = [("nmcli", stderr.strip() or f"exit {returncode}")]
    else:
        problems = _nm.not_loaded(written, removed, stdout, load_stderr)
    if not problems:
        notes.append(_nm.said("loaded", written, removed))
        return True
    back, all_back = _put_files_back(plan, applied)
    said = "; ".join(f"{path}: {why}" for path, why in problems)
    ret["result"] = False
    ret["changes"] = {} if all_back else ret["changes"]
    ret["comment"] = f"NetworkManager refused the new files: {said}; {back}."
    return False


def _run_command(argv):
    result = __salt__["cmd.run_all"](argv, python_shell=False, ignore_retcode=True,
                                     output_loglevel="debug")
    return result["retcode"], result["stdout"], result["stderr"]


def _plan_live(plan):
    """``(Running, [BondPlan])`` for the bonds that go live (pillar ``activate``) whose
    files the plan changes, or whose running state drifted from their files, planned
    against the running system; None when there is nothing to run. SystemFailure when
    a back-end cannot run here or the system cannot be read; UserError when the run
    would cut what the host is reached through (``allow_cutoff``) or take a slave from
    a device outside the run."""
    wanted, converge = _plan.to_activate(plan), _plan.to_converge(plan)
    if not (wanted or converge):
        return None
    running = _activate.Running(_run_command)
    config = plan.config
    lifelines = None
    if not config.allow_cutoff:
        master = (__opts__.get("master_ip") if __opts__.get("file_client") != "local"
                  else None)
        pings = [(name, bond.verify.ping) for name, bond in config.bonds.items()
                 if bond.verify is not None and bond.verify.ping is not None]
        lifelines = _activate.Lifelines.read(running, master, pings)
    plans = _activate.plan(running, wanted, plan.path, lifelines, converge)
    return (running, plans) if plans else None


def _report_live(ret, live, notes):
    """test=True: the operations that would run, per bond, under ``changes: live``."""
    if not live:
        return
    _, plans = live
    ret["changes"]["live"] = {p.name: p.says() for p in plans}
    bounce = " (bounced: its slaves released and enslaved again)"
    notes += [f"Would bring {p.name} live{bounce if p.bounced else ''}{_drift(p)}."
              for p in plans]


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


def _bring_live(ret, plan, live, notes, applied):
    """Run the planned activation, verify, and on failure put files and the running bonds
    back (``ret`` says so, False returned)."""
    running, plans = live
    outcome = _activate.bring_live(
        running, plans, lambda: _put_files_back(plan, applied),
        master=_master_request(ret, plans, notes),
        between=_activate.pause_while(__salt__["config.get"]("bond.pause_file", None)))
    if not outcome.failed:
        ret["changes"]["live"] = {p.name: {"done": outcome.done.get(p.name, []),
                                           "bounced": p.bounced} for p in plans}
        notes += [_live_note(p) for p in plans]
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


def _master_request(ret, plans, notes):
    """``answer(seconds)`` for ``verify: {master: true}``: one real, authenticated request
    to this minion's Salt master (its file server's environments), None when it completed,
    else why not. None (with a warning) when the minion has no master (``salt-call
    --local``)."""
    if _activate.verify.master_timeout(plans) is None:
        return None
    if __opts__.get("file_client") == "local" or __opts__.get("master_type") == "disable":
        warning = ("verify.master skipped: this run has no Salt master (salt-call --local); "
                   "the bonds were verified without it")
        ret.setdefault("warnings", []).append(warning)
        notes.append(f"Warning: {warning}")
        return None
    opts = __opts__.value() if hasattr(__opts__, "value") else __opts__

    def request(seconds, said):
        try:
            with salt.channel.client.ReqChannel.factory(opts) as channel:
                channel.send({"cmd": "_file_envs", "id": opts["id"]}, tries=1,
                             timeout=seconds)
            said.append(None)
        except Exception as exc:  # noqa: BLE001 (any failure to reach it is the answer)
            said.append(str(exc).strip() or type(exc).__name__)

    def answer(seconds):
        # In a thread of its own: signing in again may retry without a bound of its own.
        said = []
        thread = threading.Thread(target=request, args=(seconds, said), daemon=True)
        thread.start()
        thread.join(seconds + 5)
        return said[0] if said else f"no answer within {seconds + 5:g} s"

    return answer


def _put_files_back(plan, applied):
    """Roll the run's files back, and have a running NetworkManager load them again:
    ``(what happened in words, whether every file is back)``."""
    restored, failed = applied.rollback()
    written, removed = _nm.changed_files(plan)
    reload = (written or removed) and salt.utils.path.which(_nm.NMCLI) is not None
    if reload:  # NetworkManager not running: it reads them when it starts
        _run_command(_nm.load_argv(written + removed))
    if failed:
        return "file rollback failed for " + ", ".join(f"{p} ({why})"
                                                        for p, why in failed.items()), False
    return f"rolled back {len(restored)} file(s){' and reloaded them' if reload else ''}", True


def _backup(paths, notes):
    """Back up files Salt did not write before replacing them, as ``file.managed`` does
    with ``backup: minion`` (``salt-call file.list_backups <path>`` lists them)."""
    if not paths:
        return
    root = os.path.join(__opts__["cachedir"], "file_backup")
    for path in paths:
        try:
            salt.utils.files.backup_minion(path, root)
        except OSError as exc:
            raise _errors.FilesError(path, "back up", exc.strerror or str(exc)) from exc
    notes.append(f"Backed up before replacing them: {', '.join(paths)} (under {root}).")


def _networkmanager(ret, test, notes, plan):
    """Stop and disable NetworkManager when the plan says ``networkmanager: disabled``."""
    if plan.networkmanager != "disabled":
        return
    if "service.available" not in __salt__:
        notes.append("NetworkManager: no service manager on this minion; nothing to disable.")
        return
    try:
        available = __salt__["service.available"](NETWORKMANAGER_SERVICE)
        running = available and __salt__["service.status"](NETWORKMANAGER_SERVICE)
        enabled = available and __salt__["service.enabled"](NETWORKMANAGER_SERVICE)
    except salt.exceptions.CommandExecutionError as exc:  # systemd not running (a chroot)
        warning = (f"NetworkManager was not disabled: the service manager cannot be asked "
                   f"({str(exc).strip()})")
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
    if test:
        if ret["result"] is True:
            ret["result"] = None
        notes.append("NetworkManager would be stopped and disabled.")
    else:
        try:
            stopped = not running or __salt__["service.stop"](NETWORKMANAGER_SERVICE)
            disabled = not enabled or __salt__["service.disable"](NETWORKMANAGER_SERVICE)
        except salt.exceptions.CommandExecutionError:
            stopped = disabled = False
        if not (stopped and disabled):
            ret["result"] = False
            notes.append("NetworkManager could not be stopped and disabled.")
            return
        notes.append("NetworkManager stopped and disabled.")
    ret["changes"][NETWORKMANAGER_SERVICE] = change


def reconciled(name="bonding"):
    """
    Make this minion's bond files say exactly what ``pillar[name]`` says.

    Every bond under ``pillar[name]['bonds']`` gets ``ifcfg-<bond>``,
    ``ifcfg-<slave>`` per slave, ``ifcfg-<bond>.<vid>`` per VLAN (or the
    ``<interface>.nmconnection`` keyfiles, see ``format``) and an
    ``alias netdev-<bond> bonding`` line in the modprobe file. Files this
    module wrote for bonds that are no longer in pillar are removed, and their
    aliases dropped. With ``activate: kernel`` in pillar, the bonds whose files
    changed are also brought live in the running kernel, verified, and rolled
    back (kernel and files) when that fails; ``test=True`` lists the operations.
    Before it changes anything, such a run arms a rollback timer outside the
    minion (pillar ``rollback_after``, default 120 s) that puts files and kernel
    back should the run die before it disarms it.
    A missing pillar key is an error, not "no bonds": to remove every bond, set
    ``bonds: {}``.

    name
        The pillar key (default ``bonding``): the state ID in the formula.

    .. code-block:: yaml

        bonding:
          bond.reconciled: []
    """
    destination = _locations()
    pillar_value = salt.utils.data.traverse_dict_and_list(__pillar__, name, None)

    def make_plan():
        return _plan.plan_reconciled(pillar_value, name, destination, grains=_grains(),
                                     stack=_stack())

    def done(plan):
        bonds = ", ".join(plan.bonds) or "none"
        return f"Bond files already match pillar '{name}' (bonds: {bonds})."

    return _run(name, f"bond.reconciled {name}", make_plan, done,
                extra=_networkmanager)


def managed(name, mode, slaves, **settings):
    """
    One bond ``name`` with its slaves, options and addresses, as ifcfg files.

    Other bonds' files are left alone. Files this module wrote earlier for
    this bond and that the new settings no longer produce (a slave or VLAN
    taken out) are removed.

    name
        The bond device, e.g. ``bond0``.
    mode
        Kernel name or number 0-6, any case (``active-backup``, ``4``, ...).
    slaves
        List of the slave interfaces.
    settings
        Any kernel bonding option by its kernel name (``miimon``, ``primary``,
        ``lacp_rate``, ...), and ``onboot``, ``bootproto``, ``ipaddr``,
        ``prefix``/``netmask``, ``gateway``, ``mtu``, ``ifcfg`` (extra keys),
        ``vlans`` — the same keys as a bond in pillar; and ``format``,
        ``networkmanager`` as the pillar's top-level keys (default: from the
        minion).

    .. code-block:: yaml

        bond0:
          bond.managed:
            - mode: 802.3ad
            - slaves: [eth0, eth1]
            - miimon: 100
            - lacp_rate: fast
    """
    destination = _locations()
    bond_settings = {k: v for k, v in settings.items() if not k.startswith("__")}
    bond_settings.update(mode=mode, slaves=slaves)
    file_format = bond_settings.pop("format", "auto")
    networkmanager = bond_settings.pop("networkmanager", None)

    def make_plan():
        return _plan.plan_managed(name, bond_settings, destination, path=f"{name}:bond.managed",
                                  file_format=file_format, grains=_grains(), stack=_stack(),
                                  networkmanager=networkmanager)

    return _run(name, f"bond.managed {name}", make_plan,
                lambda plan: f"Bond {name} files are already as stated.")


def absent(name, force=False, format="auto"):  # noqa: A002 (the state argument's name)
    """
    Remove bond ``name``: its ifcfg files (only those carrying this module's
    mark) and its modprobe alias.

    name
        The bond device.
    force
        Also remove files that another state of this module wrote for the bond
        (a ``bond.reconciled`` whose pillar still has it would write them
        again): for when that state is gone. Default ``False``: refused, with
        the way out.

    .. code-block:: yaml

        bond9:
          bond.absent: []
    """
    destination = _locations()
    file_format = format

    def make_plan():
        return _plan.plan_absent(name, destination, force=bool(force), file_format=file_format,
                                 grains=_grains(), stack=_stack())

    return _run(name, f"bond.absent {name}", make_plan,
                lambda plan: f"Bond {name} has no files to remove.")
