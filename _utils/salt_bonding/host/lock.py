"""One bond run at a time per host: an ``flock`` on a lock file in the minion's cache.

Every run of a bond state reads shared files (the modprobe file, the
directory of interface files), computes what to write and renames its
version into place; two runs at once (``parallel: True`` states, or a
``salt-call`` beside a run from the master) would each drop the other's
lines. So a run takes this lock before it plans, plans under it (a plan is
never older than the files it changes) and keeps it until its files are
written and brought live.

``flock`` rather than POSIX record locks: it excludes threads of one process
as well as processes, and the kernel releases it when its holder dies, so a
killed run never leaves the host locked. Waiting is bounded: past
``timeout`` the run fails, naming the holder the lock file records.
"""

import errno
import fcntl
import os
import time

from ..errors import SystemFailure

POLL_SECONDS = 0.05


class LockTimeout(SystemFailure):
    """The lock stayed taken for the whole timeout."""


def lock_path(cachedir):
    """The lock file of the minion whose cache directory (Salt's ``cachedir``) is
    ``cachedir``: run-time state, never in /etc. The salt-minion and a ``salt-call`` on the
    host read one minion config, so they share it."""
    return os.path.join(cachedir, "bond.lock")


class HostLock:
    """``with HostLock(path, holder, timeout):`` holds the lock inside the block.

    ``holder`` (say ``bond.managed bond0``) is written into the lock file with
    the pid and the time, so a run that times out can say who holds it.
    """

    def __init__(self, path, holder, timeout):
        self.path = path
        self.holder = holder
        self.timeout = timeout
        self.fd = None

    def __enter__(self):
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise SystemFailure(f"cannot open the lock {self.path}: "
                                f"{exc.strerror or exc}") from exc
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    os.close(fd)
                    raise SystemFailure(f"cannot lock {self.path}: {exc.strerror}") from exc
            if time.monotonic() >= deadline:
                held_by = _read_holder(fd)
                os.close(fd)
                raise LockTimeout(
                    f"another run of the bond states holds {self.path} ({held_by}); waited "
                    f"{self.timeout:g} s (minion option bond.lock_timeout). Nothing changed.")
            time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{self.holder}, pid {os.getpid()}, since "
                      f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc_info):
        try:
            os.ftruncate(self.fd, 0)
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _read_holder(fd):
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return f"held by {text}" if text else "its holder did not say who it is"
