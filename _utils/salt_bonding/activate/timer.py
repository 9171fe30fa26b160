"""A rollback that outlives the minion: a timer outside the salt-minion process puts the
previous files and kernel state back unless the run that armed it disarms it.

The run's own rollback (``bring_live``) lives in the run's process: when that process
dies mid-change (killed, out of memory, salt-minion restarted by a package update),
nothing puts the host back. So before an activating run changes anything it writes a
journal, ``pending-<token>.json`` in ``<cachedir>/bond-rollback``: every file change of
the run (the old text, mode and owner; :class:`~salt_bonding.host.files.Change`), how to have
NetworkManager load the files again, and per bond brought live its back-end and how it
ran before (a snapshot). Then it arms a timer outside its own process:

- a transient systemd timer (``systemd-run --on-active``) where systemd runs the host:
  salt-minion's unit kills its whole cgroup when it stops or restarts, a child with it;
- else a detached process (a session of its own) that waits.

When the timer fires (``python -m salt_bonding.activate.timer fire <journal>``) it takes
the host lock (a run still going holds it: the timer waits for it to end), and if the
journal is still there it puts the files back, has NetworkManager load them, puts the
kernel back the way the bonds' back-ends do after a failed run (``activate.restore``),
and leaves what it did in ``fired.json``, which the next run reports. A run that verified,
or rolled back by itself, removes its journal and stops its timer (:func:`disarm`). A run
that finds an earlier run's journal (that run died and its timer has not fired yet) fires
it first, under the lock it holds (:func:`recover`).

Plain Python (no Salt): the timer runs without the minion.
"""

import dataclasses
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

from ..config.model import Bond, Verify, Vlan
from ..errors import SystemFailure
from ..host import files
from ..host.lock import HostLock

DIRECTORY = "bond-rollback"  # in the minion's cache directory
DEFAULT_AFTER = 120  # seconds, whenever a run activates (pillar rollback_after)
FIRED = "fired.json"
MODULE = "salt_bonding.activate.timer"
UNIT_PREFIX = "salt-bonding-rollback-"
LOCK_WAIT = 3600  # seconds a fired timer waits for a run still holding the host lock
# Where systemd runs the host (sd_booted(3)'s test).
SYSTEMD_RUNNING = "/run/systemd/system"


def delay_of(config, plans):
    """Seconds the run's timer waits: the longest ``rollback_after`` of the bonds brought
    live (a bond's own, else the top level's, else :data:`DEFAULT_AFTER`); 0: no timer."""
    top = DEFAULT_AFTER if config.rollback_after is None else config.rollback_after
    values = []
    for bond_plan in plans:
        bond = bond_plan.desired or config.bonds.get(bond_plan.name)
        own = bond.rollback_after if bond is not None else None
        values.append(top if own is None else own)
    return max(values, default=0)


# -- the journal ----------------------------------------------------------------------
def bond_to_data(bond):
    """A model.Bond (or None) as JSON data."""
    return None if bond is None else dataclasses.asdict(bond)


def bond_from_data(data):
    """The model.Bond :func:`bond_to_data` gave (or None)."""
    if data is None:
        return None
    data = dict(data)
    data["vlans"] = {int(vid): Vlan(**vlan) for vid, vlan in data["vlans"].items()}
    if data.get("verify") is not None:
        data["verify"] = Verify(**data["verify"])
    return Bond(**data)


def _change_to_data(change):
    data = dataclasses.asdict(change)
    data.pop("diff")
    return data


def _change_from_data(data):
    owner = data.get("old_owner")
    return files.Change(**{**data, "diff": "", "old_owner": tuple(owner) if owner else None})


@dataclasses.dataclass
class Armed:
    """A timer that is armed: its journal, and how it runs (``how``: ``systemd`` with the
    unit, or ``process`` with its pid)."""

    journal: str
    delay: int
    how: str
    unit: str | None = None
    pid: int | None = None
    process: object = None  # the Popen of a detached process, to reap it

    def describe(self):
        where = f"systemd timer {self.unit}" if self.how == "systemd" else f"process {self.pid}"
        return f"{self.delay} s, {where}"


def write_journal(directory, changes, plans, reload_argv, lock_path, delay):
    """Write the journal of a run (see the module's docstring); its path."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    token = f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
    record = {
        "token": token,
        "armed_at": time.time(),
        "delay": delay,
        "lock": lock_path,
        "files": [_change_to_data(change) for _, change in sorted(changes.items())],
        "reload": list(reload_argv) if reload_argv else None,
        "bonds": [{"name": p.name, "backend": p.activator.name,
                   "before": bond_to_data(p.before)} for p in plans],
    }
    path = os.path.join(directory, f"pending-{token}.json")
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def pending(directory):
    """The journals in ``directory`` whose timer has not fired, oldest first."""
    try:
        names = sorted(n for n in os.listdir(directory)
                       if n.startswith("pending-") and n.endswith(".json"))
    except FileNotFoundError:
        return []
    return [os.path.join(directory, name) for name in names]


# -- arming and disarming ---------------------------------------------------------------
def _python_path():
    """The directory this package is imported from: the timer imports it from there."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _fire_argv(python, journal, wait):
    return [python, "-m", MODULE, "fire", journal, "--wait", str(wait)]


def systemd_runs_the_host(systemd_root=SYSTEMD_RUNNING):
    return os.path.isdir(systemd_root) and shutil.which("systemd-run") is not None


def arm(journal, delay, run_command, python=sys.executable, systemd=None):
    """Arm the timer of ``journal`` (fires in ``delay`` seconds): an :class:`Armed`.
    ``systemd`` None: a transient systemd timer where systemd runs the host, else a
    detached process. SystemFailure when neither could be started."""
    if systemd is None:
        systemd = systemd_runs_the_host()
    pythonpath = _python_path()
    if systemd:
        token = os.path.basename(journal)[len("pending-"):-len(".json")]
        unit = UNIT_PREFIX + token
        argv = ["systemd-run", f"--unit={unit}", f"--on-active={delay}",
                "--timer-property=AccuracySec=1s", f"--setenv=PYTHONPATH={pythonpath}",
                "--description=salt-bonding: put the host back unless the run verified",
                "--quiet", *_fire_argv(python, journal, 0)]
        returncode, stdout, stderr = run_command(argv)
        if returncode != 0:
            said = (stderr.strip() or stdout.strip() or f"exit {returncode}").splitlines()[-1]
            raise SystemFailure(f"cannot arm the rollback timer: systemd-run: {said}")
        return Armed(journal, delay, "systemd", unit=unit)
    log = os.path.join(os.path.dirname(journal), "timer.log")
    env = {**os.environ, "PYTHONPATH": pythonpath}
    try:
        with open(log, "ab") as stderr:
            process = subprocess.Popen(
                _fire_argv(python, journal, delay), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd="/",
                start_new_session=True, close_fds=True)
    except OSError as exc:
        raise SystemFailure(f"cannot arm the rollback timer: {exc.strerror or exc}") from exc
    return Armed(journal, delay, "process", pid=process.pid, process=process)


def disarm(armed, run_command):
    """The run is over (verified, or put back by itself): remove the journal (a timer that
    fires anyway finds nothing to do) and stop the timer."""
    try:
        os.unlink(armed.journal)
    except FileNotFoundError:
        pass
    if armed.how == "systemd":
        run_command(["systemctl", "stop", f"{armed.unit}.timer"])
        return
    try:
        os.kill(armed.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    if armed.process is not None:
        try:
            armed.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


# -- firing --------------------------------------------------------------------------------
def _run_command(argv):
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        return 127, "", str(exc)
    return proc.returncode, proc.stdout, proc.stderr


def put_back(journal, run_command=_run_command, running=None):
    """Put back what the run of ``journal`` changed (the caller holds the host lock), and
    remove the journal: what was done, as recorded in ``fired.json``. Nothing (None) when
    the journal is gone (the run disarmed it)."""
    from . import ACTIVATORS, restore
    from .base import BondPlan, Outcome
    from .running import Running

    try:
        with open(journal, encoding="utf-8") as handle:
            record = json.load(handle)
    except FileNotFoundError:
        return None
    changes = {data["path"]: _change_from_data(data) for data in record["files"]}
    # Put back as a run's own rollback does (files.Applied), every change of the journal:
    # one the dead run had not made yet is put back to what is there already.
    restored, file_errors = files.Applied(changes, sorted(changes), []).rollback()
    if record.get("reload"):
        run_command(record["reload"])
    plans = [BondPlan(b["name"], None, bond_from_data(b["before"]), [], False,
                      ACTIVATORS[b["backend"]]) for b in record["bonds"]]
    outcome = Outcome()
    if plans:  # each bond back to its snapshot from how it runs now
        restore(running or Running(run_command), plans, outcome)
    fired = {"token": record["token"], "armed_at": record["armed_at"],
             "fired_at": time.time(), "files_restored": sorted(restored),
             "file_errors": file_errors, "bonds_restored": outcome.rolled_back,
             "bond_errors": outcome.rollback_errors}
    directory = os.path.dirname(journal)
    temporary = os.path.join(directory, f"{FIRED}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(fired, handle)
    os.replace(temporary, os.path.join(directory, FIRED))
    os.unlink(journal)
    return fired


def recover(directory, run_command=_run_command, running=None):
    """Fire, now, the journals of earlier runs left in ``directory`` (their run died before
    it disarmed them; the caller holds the host lock): what each put back."""
    return [fired for journal in pending(directory)
            if (fired := put_back(journal, run_command, running)) is not None]


def take_fired(directory):
    """What the last timer that fired did (``fired.json``), removed once read; None."""
    path = os.path.join(directory, FIRED)
    try:
        with open(path, encoding="utf-8") as handle:
            fired = json.load(handle)
    except (FileNotFoundError, ValueError):
        return None
    os.unlink(path)
    return fired


def said(fired):
    """One sentence for the state's comment: what a timer that fired put back."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(fired["fired_at"]))
    armed = time.strftime("%H:%M:%S", time.localtime(fired["armed_at"]))
    bonds = ", ".join(fired["bonds_restored"]) or "no bond"
    errors = [*(f"{p}: {why}" for p, why in fired["file_errors"].items()),
              *fired["bond_errors"]]
    problems = f"; it could not put back: {'; '.join(errors)}" if errors else ""
    return (f"An earlier run (armed {armed}) did not finish: its rollback timer fired at "
            f"{when} and put back {len(fired['files_restored'])} file(s) and {bonds}"
            f"{problems}.")


def fire(journal, wait=0.0, clock=time.monotonic, sleep=time.sleep):
    """The timer: after ``wait`` seconds, under the host lock, :func:`put_back`."""
    deadline = clock() + wait
    while (left := deadline - clock()) > 0:
        sleep(min(left, 60.0))  # a timer: waiting for time is its whole job
        if not os.path.exists(journal):
            return None  # disarmed while it waited
    try:
        with open(journal, encoding="utf-8") as handle:
            lock_path = json.load(handle)["lock"]
    except FileNotFoundError:
        return None
    with HostLock(lock_path, "bond rollback timer", LOCK_WAIT):
        return put_back(journal)


def main(argv):
    if len(argv) < 2 or argv[0] != "fire":
        print("usage: python -m salt_bonding.activate.timer fire <journal> [--wait SECONDS]",
              file=sys.stderr)
        return 2
    wait = float(argv[argv.index("--wait") + 1]) if "--wait" in argv else 0.0
    # Disarmed (SIGTERM): leave quietly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    fired = fire(argv[1], wait)
    if fired is not None:
        print(json.dumps(fired), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
