"""Writing one file so that a reader sees the old text or the new, never a part.

A temporary file beside it, fsync'd, renamed over it, the directory fsync'd; a symlink
the same way. ``files.py`` plans and applies a run's files with these.
"""

import os
import tempfile

FILE_MODE = 0o644
_ENCODING = {"encoding": "utf-8", "errors": "surrogateescape"}


# -- writing --------------------------------------------------------------------
def write_atomic(path, text, mode=FILE_MODE, owner=None):
    """Replace ``path`` (never following a symlink there) by a regular file holding ``text``,
    owned by ``owner`` (uid, gid) when given (else by whoever writes it)."""
    directory, name = os.path.split(path)
    # A leading dot: initscripts (ifcfg-*) and NetworkManager never pick up a temp file.
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".salt-tmp", dir=directory)
    try:
        with open(fd, "w", **_ENCODING, newline="") as f:
            f.write(text)
            f.flush()
            if owner is not None and owner != (os.geteuid(), os.getegid()):
                os.fchown(f.fileno(), *owner)
            os.fchmod(f.fileno(), mode)  # after fchown, which may clear set-id bits
            os.fsync(f.fileno())
        os.replace(tmp, path)  # rename(2) replaces a symlink itself, never its target
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def symlink_atomic(path, link):
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.salt-link")
    os.symlink(link, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def fsync_dir(directory):
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
