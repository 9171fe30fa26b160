"""activate.timer: the rollback that outlives the run. The detached timer is a real
process here (``python -m salt_bonding.activate.timer``, as the state starts it) that
puts real files back; the kernel side runs over the recording stand-in of
test_activate.py (the real kernel, with a salt-minion killed mid-change, is in
tests/kernel/test_outlive_kernel.py)."""

import json
import os
import time

import pytest
from salt_bonding.activate import bring_live, timer
from salt_bonding.activate import plan as activate_plan
from salt_bonding.config import model, schema
from salt_bonding.host import files
from salt_bonding.host.lock import HostLock

from tests.unit.test_activate import Kernel, named

pytestmark = pytest.mark.unit

DEADLINE = 60  # seconds: what a real timer process may take to start and do its work


def wait_for(predicate, what):
    """Poll ``predicate`` until it holds; fail saying ``what`` was awaited."""
    deadline = time.monotonic() + DEADLINE
    while not predicate():
        assert time.monotonic() < deadline, f"waited {DEADLINE} s for {what}"
        time.sleep(0.05)


def file_changes(tmp_path):
    """A run's changes, applied: one file updated (mode 0600 before), one created."""
    old = tmp_path / "ifcfg-bond0"
    old.write_text("BONDING_OPTS='miimon=100'\n")
    old.chmod(0o600)
    changes = {
        str(old): files.Change(str(old), old.read_text(), "BONDING_OPTS='miimon=250'\n",
                               "diff", "file", 0o600, None, (os.getuid(), os.getgid())),
        str(tmp_path / "ifcfg-ve"): files.Change(str(tmp_path / "ifcfg-ve"), None,
                                                 "DEVICE=ve\n", "diff", "absent"),
    }
    files.apply(changes)
    return changes


def journal(tmp_path, changes, plans=(), delay=1):
    return timer.write_journal(str(tmp_path / "bond-rollback"), changes, list(plans), None,
                               str(tmp_path / "bond.lock"), delay)


def as_before(tmp_path):
    old = tmp_path / "ifcfg-bond0"
    return (old.read_text() == "BONDING_OPTS='miimon=100'\n"
            and (old.stat().st_mode & 0o777) == 0o600
            and not (tmp_path / "ifcfg-ve").exists())


def test_a_timer_nobody_disarms_puts_the_files_back_from_a_process_of_its_own(tmp_path):
    changes = file_changes(tmp_path)
    armed = timer.arm(journal(tmp_path, changes), 1, run_command=None, systemd=False)
    assert armed.how == "process" and armed.pid != os.getpid()
    assert os.getsid(armed.pid) == armed.pid  # a session of its own: outlives the run
    fired_path = tmp_path / "bond-rollback" / timer.FIRED
    wait_for(fired_path.exists, "the timer to fire")
    armed.process.wait(timeout=DEADLINE)
    assert as_before(tmp_path)
    fired = timer.take_fired(str(tmp_path / "bond-rollback"))
    assert sorted(fired["files_restored"]) == sorted(changes)
    assert fired["file_errors"] == {} and fired["bonds_restored"] == []
    assert timer.pending(str(tmp_path / "bond-rollback")) == []
    assert "put back 2 file(s) and no bond." in timer.said(fired)


def test_a_disarmed_timer_stops_and_puts_nothing_back(tmp_path):
    armed = timer.arm(journal(tmp_path, file_changes(tmp_path), delay=600), 600,
                      run_command=None, systemd=False)
    timer.disarm(armed, run_command=None)
    assert armed.process.returncode is not None  # it ended: no stray process
    assert timer.pending(str(tmp_path / "bond-rollback")) == []
    assert not (tmp_path / "bond-rollback" / timer.FIRED).exists()
    assert not as_before(tmp_path)


def test_a_timer_waits_for_the_run_that_holds_the_lock(tmp_path):
    changes = file_changes(tmp_path)
    path = journal(tmp_path, changes, delay=0)
    with HostLock(str(tmp_path / "bond.lock"), "the run", 5):
        armed = timer.arm(path, 0, run_command=None, systemd=False)
        # The timer is up and asking for the lock: its process has opened the lock file.
        wait_for(lambda: any(os.path.realpath(os.path.join(f"/proc/{armed.pid}/fd", fd))
                             == str(tmp_path / "bond.lock")
                             for fd in os.listdir(f"/proc/{armed.pid}/fd")),
                 "the timer to open the lock")
        assert armed.process.poll() is None and not as_before(tmp_path)
        os.unlink(path)  # the run verified: disarmed while the timer waited
    armed.process.wait(timeout=DEADLINE)
    assert not as_before(tmp_path)
    assert not (tmp_path / "bond-rollback" / timer.FIRED).exists()


def test_the_next_run_fires_a_dead_runs_journal_and_the_kernel_goes_back(tmp_path):
    before = {"bond0": named("bond0", ["eth0"]), "bond1": named("bond1", ["eth1"])}
    host = Kernel(before)
    wanted = {"bond0": named("bond0", ["eth1"]), "bond1": named("bond1", ["eth0"])}
    plans = activate_plan(host, {"kernel": wanted})
    changes = file_changes(tmp_path)
    journal(tmp_path, changes, plans)
    # The run dies after its first operation: its timer has not fired yet.
    with pytest.raises(KeyboardInterrupt):
        bring_live(host, plans, lambda: None, between=lambda count: (_ for _ in ()).throw(
            KeyboardInterrupt()))
    assert host.bonds["bond0"].slaves == []
    (fired,) = timer.recover(str(tmp_path / "bond-rollback"), running=host)
    assert {name: b.slaves for name, b in host.bonds.items()} == {"bond0": ["eth0"],
                                                                 "bond1": ["eth1"]}
    assert sorted(fired["bonds_restored"]) == ["bond0"] and fired["bond_errors"] == []
    assert as_before(tmp_path)
    assert timer.recover(str(tmp_path / "bond-rollback"), running=host) == []


def test_a_bond_survives_the_journal_as_it_was():
    bond = schema.validate_bond("bond0", {
        "mode": "active-backup", "slaves": ["eth0", "eth1"], "miimon": 100,
        "ipaddr": "192.0.2.10", "prefix": 24, "vlans": {100: {"ipaddr": "198.51.100.1",
                                                              "prefix": 24}},
        "verify": {"ping": "192.0.2.1", "master": True}, "rollback_after": 30})
    data = json.loads(json.dumps(timer.bond_to_data(bond)))
    assert timer.bond_from_data(data) == bond
    assert timer.bond_from_data(None) is None


def test_the_delay_is_the_longest_of_the_bonds_brought_live():
    plans = [activate_plan(Kernel({}), {"kernel": {"bond0": named("bond0", ["eth0"])}})[0]]
    config = model.Config(bonds={})
    assert timer.delay_of(config, plans) == timer.DEFAULT_AFTER
    assert timer.delay_of(model.Config(rollback_after=0), plans) == 0
    own = schema.validate_bond("bond0", {"mode": "active-backup", "slaves": ["eth0"],
                                         "miimon": 100, "rollback_after": 45})
    plans[0].desired = own
    assert timer.delay_of(model.Config(rollback_after=0), plans) == 45
    assert timer.delay_of(config, []) == 0


def test_where_systemd_runs_the_host_the_timer_is_a_transient_unit(tmp_path):
    # The argv only: this machine has no systemd to run it.
    calls = []
    path = journal(tmp_path, {}, delay=120)
    armed = timer.arm(path, 120, lambda argv: calls.append(argv) or (0, "", ""),
                      python="/opt/saltstack/salt/bin/python3", systemd=True)
    (argv,) = calls
    assert argv[:3] == ["systemd-run", f"--unit={armed.unit}", "--on-active=120"]
    assert armed.unit.startswith(timer.UNIT_PREFIX)
    assert argv[argv.index("/opt/saltstack/salt/bin/python3"):] == [
        "/opt/saltstack/salt/bin/python3", "-m", timer.MODULE, "fire", path, "--wait", "0"]
    timer.disarm(armed, lambda argv: calls.append(argv) or (0, "", ""))
    assert calls[-1] == ["systemctl", "stop", f"{armed.unit}.timer"]
    assert not os.path.exists(path)
