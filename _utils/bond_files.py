"""The bond state's files as one transaction: plan against the disk, diff, write all or nothing.

Pure Python, no Salt. ``desired_files`` gives what a run should write and
remove, ``plan`` compares it with the disk (each path read once) and keeps
only what differs, ``apply`` writes it:

- atomically: a temporary file in the target's directory, written, fsynced,
  mode 0644, renamed over the target; each touched directory fsynced once;
- never through a symlink: a symlink at a target path is replaced by a regular
  file (its old target is neither read nor written), and restored on rollback;
- all or nothing: when one write or removal fails, every file already changed
  is put back (old text and mode, removed files recreated, new files deleted)
  and ``FilesError`` names the path that failed and why;
- removing only files that carry this module's mark (checked in ``plan``).

A missing parent directory is created (0755) only when its own parent exists:
``/etc/sysconfig/network-scripts`` may be absent on a fresh host, but a
missing ``/etc/sysconfig`` means the host does not use ifcfg files at all,
and guessing a tree there would be wrong.

Text is UTF-8; bytes that are not (an administrator's modprobe comment in
Latin-1) survive a rewrite untouched through ``surrogateescape``.
"""

import difflib
import errno
import os
import stat
import sys
import tempfile

# Salt loads each _utils file standalone, so a sibling is imported by path.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import bond_ifcfg  # noqa: E402

FILE_MODE = 0o644
DIR_MODE = 0o755
_ENCODING = {"encoding": "utf-8", "errors": "surrogateescape"}
_FIRST_LINE_MAX = 512


class FilesError(OSError):
    """A write or removal failed; what was already changed has been restored (or not: said so).

    ``path``: the path that failed, ``reason``: why, ``restored``: paths put
    back, ``rollback_errors``: ``{path: reason}`` of paths that could not be.
    """

    def __init__(self, path, action, reason, restored=(), rollback_errors=None):
        self.path = path
        self.reason = reason
        self.restored = list(restored)
        self.rollback_errors = dict(rollback_errors or {})
        message = f"could not {action} {path}: {reason}"
        if self.rollback_errors:
            failed = "; ".join(f"{p}: {r}" for p, r in self.rollback_errors.items())
            message += f"; ROLLBACK INCOMPLETE, could not restore {failed}"
        elif self.restored:
            message += f"; the {len(self.restored)} file(s) already changed were restored"
        else:
            message += "; nothing had been changed"
        super().__init__(message)

    def __str__(self):
        return self.args[0]


def _reason(exc):
    return exc.strerror or str(exc)


# -- reading ------------------------------------------------------------------
def read_current(path):
    """What is at ``path`` now, without following a symlink.

    ``{"kind": "absent"|"file"|"symlink"|"other", "text": str|None,
    "mode": int|None, "link": str|None}``; text only for regular files.
    """
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):  # NotADirectory: a parent is a regular file
        return {"kind": "absent", "text": None, "mode": None, "link": None}
    if stat.S_ISLNK(info.st_mode):
        return {"kind": "symlink", "text": None, "mode": None, "link": os.readlink(path)}
    if not stat.S_ISREG(info.st_mode):
        return {"kind": "other", "text": None, "mode": None, "link": None}
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with open(fd, **_ENCODING, newline="") as f:
        text = f.read()
    return {"kind": "file", "text": text, "mode": stat.S_IMODE(info.st_mode), "link": None}


def _first_line(path):
    """First line of a regular file, None when it is not one or cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        head = os.read(fd, _FIRST_LINE_MAX)
    except OSError:
        return None
    finally:
        os.close(fd)
    return head.decode(**_ENCODING).split("\n", 1)[0]


def find_managed(directory):
    """``{path: bond}`` of the ``ifcfg-*`` files in ``directory`` that carry our mark.

    Symlinks are not followed, unreadable files are skipped, a missing
    directory has none.
    """
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    found = {}
    for entry in entries:
        if not entry.name.startswith("ifcfg-"):
            continue
        first_line = _first_line(entry.path)
        owner = bond_ifcfg.managed_owner(first_line) if first_line is not None else None
        if owner is not None:
            found[entry.path] = owner
    return dict(sorted(found.items()))


# -- what a run wants ---------------------------------------------------------
def module_param_names():
    """Names of the bonding options that are ``bonding`` module parameters (bond_options)."""
    import bond_options  # only here: rendering and tests need not load the option table

    return frozenset(name for name, option in bond_options.OPTIONS.items()
                     if option.module_param)


def desired_files(config, ifcfg_dir, modprobe_conf, module_params=None, scope=None):
    """``({path: text}, [path to remove])`` for one state run.

    ``scope``: the bond names this run decides about (``bond.managed``: the
    one bond; ``bond.absent``: the one bond, with no bonds in ``config``);
    files marked for other bonds are left alone. None (``bond.reconciled``):
    every bond, so every marked file that ``config`` does not produce is
    removed. Unchanged files are filtered later by ``plan``. ``module_params``
    defaults to ``module_param_names()``.
    """
    if module_params is None:
        module_params = module_param_names()
    desired = {
        os.path.join(ifcfg_dir, name): text
        for name, text in bond_ifcfg.render_files(config).items()
    }
    in_scope = None if scope is None else set(scope) | set(config.get("bonds") or {})
    remove = [
        path for path, owner in find_managed(ifcfg_dir).items()
        if path not in desired and (in_scope is None or owner in in_scope)
    ]
    existing = read_current(modprobe_conf)["text"]
    modprobe_text = bond_ifcfg.render_modprobe(existing, config, module_params, scope)
    if modprobe_text is not None:
        desired[modprobe_conf] = modprobe_text
    elif existing is not None:
        remove.append(modprobe_conf)
    return desired, sorted(remove)


# -- planning -------------------------------------------------------------------
def _display(text):
    # Salt's outputters choke on lone surrogates; the diff is for people.
    return text.encode(**_ENCODING).decode("utf-8", "replace")


def unified_diff(path, old, new):
    """A unified diff from ``old`` to ``new`` text (None: no file), headed by the path."""
    diff = difflib.unified_diff(
        _display(old or "").splitlines(keepends=True),
        _display(new or "").splitlines(keepends=True),
        fromfile=path if old is not None else "/dev/null",
        tofile=path if new is not None else "/dev/null",
    )
    out = []
    for line in diff:
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def plan(desired, remove=()):
    """``{path: change}`` for every path whose content would change, sorted by path.

    A change: ``{"old": str|None, "new": str|None (removal), "diff": str,
    "old_kind": "absent"|"file"|"symlink"|"other", "old_mode", "old_link"}``.
    Raises ``ValueError`` for a removal of a file without our mark.
    """
    overlap = set(desired) & set(remove)
    if overlap:
        raise ValueError(f"both written and removed: {', '.join(sorted(overlap))}")
    changes = {}
    for path in sorted(set(desired) | set(remove)):
        current = read_current(path)
        new = desired.get(path)
        if new is None:
            if current["kind"] == "absent":
                continue
            if current["kind"] != "file" or not bond_ifcfg.is_managed(current["text"]):
                raise ValueError(f"refusing to remove {path}: it does not carry the bond"
                                 " state's mark")
        elif current["kind"] == "file" and current["text"] == new:
            continue
        changes[path] = {
            "old": current["text"],
            "new": new,
            "diff": unified_diff(path, current["text"], new),
            "old_kind": current["kind"],
            "old_mode": current["mode"],
            "old_link": current["link"],
        }
    return changes


# -- writing --------------------------------------------------------------------
def _write_atomic(path, text, mode=FILE_MODE):
    """Replace ``path`` (never following a symlink there) by a regular file holding ``text``."""
    directory, name = os.path.split(path)
    # A leading dot: initscripts (ifcfg-*) and NetworkManager never pick up a temp file.
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".salt-tmp", dir=directory)
    try:
        with open(fd, "w", **_ENCODING, newline="") as f:
            f.write(text)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)  # rename(2) replaces a symlink itself, never its target
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _symlink_atomic(path, link):
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.salt-link")
    os.symlink(link, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _fsync_dir(directory):
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_parent(path, created_dirs):
    directory = os.path.dirname(path)
    if os.path.isdir(directory):
        return
    if not os.path.isdir(os.path.dirname(directory)):
        raise FileNotFoundError(errno.ENOENT, f"neither {directory} nor its parent exists")
    os.mkdir(directory, DIR_MODE)
    created_dirs.append(directory)


def _undo(path, change):
    """Put back what ``plan`` saw at ``path`` before ``change`` was applied."""
    kind = change["old_kind"]
    if kind == "file":
        _write_atomic(path, change["old"], change["old_mode"])
    elif kind == "symlink":
        _symlink_atomic(path, change["old_link"])
    elif kind == "absent":
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    else:
        raise OSError(errno.EEXIST, "it was not a regular file or symlink; cannot recreate it")


def apply(changes):
    """Apply a ``plan``: every change or none. Raises ``FilesError`` after rolling back."""
    applied, created_dirs, touched_dirs = [], [], set()
    path, action = None, "write"
    try:
        for path in sorted(changes):
            change = changes[path]
            action = "remove" if change["new"] is None else "write"
            if change["new"] is None:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    continue  # already gone: the end state holds, nothing to restore
            else:
                _ensure_parent(path, created_dirs)
                _write_atomic(path, change["new"])
            applied.append(path)
            touched_dirs.add(os.path.dirname(path))
        action = "sync directory"
        for path in sorted(touched_dirs):
            _fsync_dir(path)
    except OSError as exc:
        restored, errors = _rollback(changes, applied, created_dirs)
        raise FilesError(path, action, _reason(exc), restored, errors) from exc


def _rollback(changes, applied, created_dirs):
    restored, errors = [], {}
    for path in reversed(applied):
        try:
            _undo(path, changes[path])
            restored.append(path)
        except OSError as exc:
            errors[path] = _reason(exc)
    for directory in reversed(created_dirs):
        try:
            os.rmdir(directory)
        except OSError as exc:
            errors[directory] = _reason(exc)
    for directory in sorted({os.path.dirname(p) for p in restored}):
        try:
            _fsync_dir(directory)
        except OSError:
            pass  # the restore itself succeeded; durability is best effort here
    return sorted(restored), errors
