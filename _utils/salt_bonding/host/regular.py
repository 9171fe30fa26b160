"""Reading a file only when it is a regular file, never blocking.

A FIFO, socket or device where a status or configuration file should be
(a broken capture, a hostile tree) would block ``open()`` or ``read()``
forever; a monitoring check and a state run must never hang. The file is
opened non-blocking and checked with ``fstat`` before anything is read.
"""

import errno
import os
import stat


class NotRegularFile(OSError):
    """The path is a FIFO, socket, device or directory, not a regular file."""

    def __init__(self, path, mode):
        if stat.S_ISDIR(mode):  # worded as open() and read() word it
            super().__init__(errno.EISDIR, os.strerror(errno.EISDIR), path)
            return
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
        super().__init__(errno.EINVAL, f"is {kind}, not a regular file", path)


def read_regular(path, limit=None, follow=True):
    """The bytes of regular file ``path`` (the first ``limit`` only, when given).

    Raises ``NotRegularFile`` for anything else, and the ``OSError`` of a
    failed open or read. ``follow=False``: a symlink is refused (ELOOP).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, mode)
        if limit is not None:
            return os.read(fd, limit)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
