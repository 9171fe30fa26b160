"""lock: one run at a time per host, across threads and processes; bounded, named waits."""

import subprocess
import sys
import threading

import pytest
from salt_bonding import errors
from salt_bonding.host.lock import HostLock, LockTimeout, lock_path

pytestmark = pytest.mark.unit

HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, b"bond.managed bond3, pid 4242, since then\\n")
print("held", flush=True)
sys.stdin.read()  # until the test closes stdin
"""


def test_the_lock_lives_in_the_minions_cache_directory_not_in_etc(tmp_path):
    """Run-time state out of /etc (issue 26): it lived beside the modprobe file, in /etc
    itself when /etc/modprobe.d was missing."""
    assert lock_path(str(tmp_path)) == str(tmp_path / "bond.lock")


def test_threads_take_turns(tmp_path):
    path = str(tmp_path / ".lock")
    order = []

    def second():
        with HostLock(path, "second", timeout=600):
            order.append("second")

    with HostLock(path, "first", timeout=600):
        worker = threading.Thread(target=second)
        worker.start()
        worker.join(0.3)  # it must still be waiting: the lock is ours
        assert worker.is_alive() and order == []
        order.append("first")
    worker.join()
    assert order == ["first", "second"]


def test_a_held_lock_fails_after_the_timeout_naming_its_holder(tmp_path):
    path = tmp_path / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(LockTimeout) as caught:
            with HostLock(str(path), "bond.managed bond0", timeout=0.2):
                pytest.fail("the lock was taken while another process held it")
        assert isinstance(caught.value, errors.SystemFailure)
        assert str(caught.value) == (
            f"another run of the bond states holds {path} (held by bond.managed bond3, pid "
            "4242, since then); waited 0.2 s (minion option bond.lock_timeout). Nothing changed.")
    finally:
        holder.kill()  # the kernel releases the lock of a dead holder
        holder.wait()
    with HostLock(str(path), "bond.managed bond0", timeout=600) as lock:
        assert path.read_text().startswith("bond.managed bond0, pid ")
        assert lock.fd is not None
    assert path.read_text() == ""
