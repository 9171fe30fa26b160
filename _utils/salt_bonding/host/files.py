"""The files of one run as a transaction: plan against the disk, diff, write all or nothing.

Pure Python, no Salt, no format: ``desired_files`` asks the run's renderer
(``render.Destination``) what to write and remove, ``plan`` compares it with
the disk (each path read once) and keeps only what differs, ``apply`` writes
it and returns an :class:`Applied` handle that can still put everything back
after later steps (activation) fail:

- atomically: a temporary file in the target's directory, written, fsynced,
  the renderer's file mode, renamed over the target; each touched directory fsynced once;
- never through a symlink: a symlink at a target path is replaced by a regular
  file (its old target is neither read nor written), and restored on rollback;
- all or nothing: when one write or removal fails, every file already changed
  is put back (old text and mode, removed files recreated, new files deleted)
  and ``FilesError`` names the path that failed and why;
- removing only files that carry this module's mark (checked in ``plan``
  by the renderer that wrote them).

A missing parent directory is created (0755) only when its own parent exists:
``/etc/sysconfig/network-scripts`` may be absent on a fresh host, but a
missing ``/etc/sysconfig`` means the host does not use ifcfg files at all,
and guessing a tree there would be wrong. A directory the minion config
names (``made``: ``bond.ifcfg_dir: /srv/net/ifcfg``) is no guess: it is
created with every missing parent, and all of them go again on rollback.

Text is UTF-8; bytes that are not (an administrator's modprobe comment in
Latin-1) survive a rewrite untouched through ``surrogateescape``.
"""

import difflib
import errno
import os
import stat
from dataclasses import dataclass, field

from ..errors import FilesError, UserError
from ..render import RENDERERS, modprobe
from .atomic import FILE_MODE, fsync_dir, symlink_atomic, write_atomic
from .regular import NotRegularFile, read_regular

DIR_MODE = 0o755
_ENCODING = {"encoding": "utf-8", "errors": "surrogateescape"}
_FIRST_LINE_MAX = 512


def _reason(exc):
    return exc.strerror or str(exc)


# -- reading ------------------------------------------------------------------
def read_current(path):
    """What is at ``path`` now, without following a symlink.

    ``{"kind": "absent"|"file"|"symlink"|"other", "text": str|None,
    "mode": int|None, "owner": (uid, gid)|None, "link": str|None}``; text, mode and
    owner only for regular files.
    """
    nothing = {"text": None, "mode": None, "owner": None, "link": None}
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):  # NotADirectory: a parent is a regular file
        return {**nothing, "kind": "absent"}
    if stat.S_ISLNK(info.st_mode):
        return {**nothing, "kind": "symlink", "link": os.readlink(path)}
    if not stat.S_ISREG(info.st_mode):
        return {**nothing, "kind": "other"}
    try:
        text = read_regular(path, follow=False).decode(**_ENCODING)
    except NotRegularFile:  # replaced by a FIFO or a directory since lstat
        return {**nothing, "kind": "other"}
    return {**nothing, "kind": "file", "text": text, "mode": stat.S_IMODE(info.st_mode),
            "owner": (info.st_uid, info.st_gid)}


def _first_line(path):
    """First line of a regular file, None when it is not one or cannot be read."""
    try:
        head = read_regular(path, limit=_FIRST_LINE_MAX, follow=False)
    except OSError:
        return None
    return head.decode(**_ENCODING).split("\n", 1)[0]


def find_managed(directory, renderer):
    """``{path: Mark}`` of the files in ``directory`` that carry ``renderer``'s mark.

    Symlinks are not followed, unreadable files are skipped, a missing
    directory has none.
    """
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    found = {}
    for entry in entries:
        if not renderer.is_candidate(entry.name):
            continue
        first_line = _first_line(entry.path)
        mark = renderer.read_mark(first_line) if first_line is not None else None
        if mark is not None:
            found[entry.path] = mark
    return dict(sorted(found.items()))


# -- what a run wants ---------------------------------------------------------
@dataclass
class Wanted:
    """What one run wants on disk: ``write`` {path: text}, their ``modes``, ``remove`` [path];
    ``foreign`` {path: Mark}: files of this run's bonds that another state wrote."""

    write: dict
    remove: list
    modes: dict
    foreign: dict
    warnings: list = field(default_factory=list)  # what on disk works against this run


def may_take(mark, state, take_any=False):
    """Whether ``state`` may rewrite or remove a file carrying ``mark``: its own, or owner-less
    (or any, with ``take_any``: ``bond.absent`` with ``force``)."""
    return take_any or mark.state is None or mark.state == state


def desired_files(config, destination, state, scope=None, take_any=False):
    """The :class:`Wanted` files of one state run, ``state`` (``plan.state_id``).

    ``scope``: the bond names this run decides about (``bond.managed``: the
    one bond; ``bond.absent``: the one bond, with no bonds in ``config``).
    None (``bond.reconciled``): every bond it wrote, so every file it marked
    that ``config`` does not produce is removed. Files other states wrote are
    never removed; those of this run's bonds are listed in ``foreign``.
    Unchanged files are filtered later by ``plan``.
    """
    renderer = destination.renderer
    write = {
        destination.path(name): text
        for name, text in renderer.render_all(config, state).items()
    }
    modes = dict.fromkeys(write, renderer.file_mode)
    in_scope = None if scope is None else set(scope) | set(config.bonds)
    run_bonds = set(config.bonds) if in_scope is None else in_scope
    ours, foreign, others = [], {}, set()
    marks = find_managed(destination.directory, renderer)
    for file_format, directory in destination.sweep:  # files of the formats not written now
        if os.path.normpath(directory) != os.path.normpath(destination.directory):
            marks.update(find_managed(directory, RENDERERS[file_format]))
    for path, mark in marks.items():
        if not may_take(mark, state, take_any and mark.bond in (scope or ())):
            others.add(mark.bond)
            if mark.bond in run_bonds or path in write:
                foreign[path] = mark
        elif path not in write and (in_scope is None or mark.bond in in_scope):
            ours.append(path)
    conf = destination.modprobe_conf
    existing = read_current(conf)["text"]
    modprobe_text = modprobe.render_modprobe(existing, config, scope=scope, keep=others,
                                             path=conf)
    if modprobe_text is not None:
        write[conf] = modprobe_text
        modes[conf] = FILE_MODE
    elif existing is not None:
        ours.append(conf)
    if destination.shared and config.bonds:  # a host file the format needs lines in
        # (its own lines kept; with no bonds to write, left as it is)
        shared_text = renderer.render_shared(read_current(destination.shared)["text"],
                                             destination)
        if shared_text is not None:
            write[destination.shared] = shared_text
            modes[destination.shared] = FILE_MODE
    return Wanted(write=write, remove=sorted(ours), modes=modes, foreign=foreign,
                  warnings=modprobe.defeating_lines(existing, set(config.bonds), conf))


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


@dataclass(frozen=True)
class Change:
    """One path whose content a run changes: ``new`` None is a removal.

    ``old_kind``: what was there ("absent", "file", "symlink", "other"), with
    its ``old`` text, ``old_mode`` and ``old_owner`` (uid, gid) (files) or
    ``old_link`` (symlinks), so the change can be undone. ``mode``: the mode the
    new file is written with.
    """

    path: str
    old: str | None
    new: str | None
    diff: str
    old_kind: str
    old_mode: int | None = None
    old_link: str | None = None
    old_owner: tuple | None = None
    mode: int = FILE_MODE

    @property
    def action(self):
        """"removed", "created" or "updated"."""
        if self.new is None:
            return "removed"
        return "created" if self.old_kind == "absent" else "updated"


def plan(desired, remove=(), is_ours=None, modes=None):
    """``{path: Change}`` for every path whose content would change, sorted by path.

    ``desired``: {path: text}; ``remove``: paths; ``modes``: {path: mode} of
    the new files (default 0644). ``is_ours(path, text)`` says whether a file
    carries our mark: a removal of any other file raises UserError.
    """
    overlap = set(desired) & set(remove)
    if overlap:
        raise ValueError(f"both written and removed: {', '.join(sorted(overlap))}")
    modes = modes or {}
    changes = {}
    for path in sorted(set(desired) | set(remove)):
        current = read_current(path)
        new = desired.get(path)
        if new is None:
            if current["kind"] == "absent":
                continue
            if current["kind"] != "file" or is_ours is None or not is_ours(path, current["text"]):
                raise UserError([(path, "refusing to remove it: it does not carry the bond"
                                        " state's mark")])
        elif current["kind"] == "file" and current["text"] == new:
            continue
        changes[path] = Change(
            path=path,
            old=current["text"],
            new=new,
            diff=unified_diff(path, current["text"], new),
            old_kind=current["kind"],
            old_mode=current["mode"],
            old_link=current["link"],
            old_owner=current["owner"],
            # A file that was stricter (0600, 0640) stays as strict.
            mode=modes.get(path, FILE_MODE) & (current["mode"] if current["kind"] == "file"
                                               else 0o7777),
        )
    return changes


def plan_wanted(wanted, destination):
    """``plan`` of a :class:`Wanted`, removals checked against ``destination``'s marks,
    and every write checked to have a place to go (:func:`check_writable`)."""
    changes = plan(wanted.write, wanted.remove, is_ours=destination.owns, modes=wanted.modes)
    check_writable(changes, destination.made)
    return changes


def _missing_directories(directory, made):
    """The directories ``apply`` creates for a file in ``directory``, outermost first; ``[]``
    when it exists. Raises FileNotFoundError or NotADirectoryError when it cannot: only the
    last level is made, unless ``directory`` is one of ``made`` (all of them are)."""
    missing = []
    while not os.path.isdir(directory):
        if os.path.lexists(directory):
            raise NotADirectoryError(errno.ENOTDIR, f"{directory} is not a directory")
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:  # the root itself is missing: nothing to make it in
            raise FileNotFoundError(errno.ENOENT, f"{directory} does not exist")
        directory = parent
    if len(missing) > 1 and os.path.normpath(missing[0]) not in {
            os.path.normpath(d) for d in made}:
        raise FileNotFoundError(errno.ENOENT,
                                f"neither {missing[0]} nor its parent exists")
    return missing[::-1]


def _no_place_for(path, change, made):
    """Why ``change`` cannot be written at ``path`` whatever the permissions, or None."""
    if change.old_kind == "other":
        return ("it is a directory, not a file" if os.path.isdir(path)
                else "it is not a regular file")
    try:
        _missing_directories(os.path.dirname(path), made)
    except OSError as exc:
        return exc.strerror
    return None  # created by apply


def check_writable(changes, made=()):
    """FilesError (nothing changed) for a write ``apply`` (with the same ``made``) could not
    even attempt.

    Run while planning, so that ``test=True`` fails the same way, with the
    same message, as the real run would.
    """
    for path, change in sorted(changes.items()):
        if change.new is None:
            continue
        reason = _no_place_for(path, change, made)
        if reason:
            raise FilesError(path, "write", reason)


def ensure_parent(path, created_dirs, made):
    for directory in _missing_directories(os.path.dirname(path), made):
        os.mkdir(directory, DIR_MODE)
        created_dirs.append(directory)


def _undo(change):
    """Put back what ``plan`` saw at the change's path before it was applied."""
    kind = change.old_kind
    if kind == "file":  # its text, mode, owner and group as they were
        write_atomic(change.path, change.old, change.old_mode, change.old_owner)
    elif kind == "symlink":
        symlink_atomic(change.path, change.old_link)
    elif kind == "absent":
        try:
            os.unlink(change.path)
        except FileNotFoundError:
            pass
    else:
        raise OSError(errno.EEXIST, "it was not a regular file or symlink; cannot recreate it")


class Applied:
    """The handle of an applied plan: :meth:`rollback` puts every file back as it was.

    Returned by :func:`apply`, kept by the caller while later steps
    (activation, verification) run, so a failure there can undo the files too.
    """

    def __init__(self, changes, applied, created_dirs):
        self.changes = changes
        self.applied = list(applied)
        self.created_dirs = list(created_dirs)
        self.rolled_back = False

    def rollback(self):
        """Undo every applied change, newest first. Returns ``(restored, {path: reason})``.

        Once only: a second call does nothing (the files may have moved on since).
        """
        if self.rolled_back:
            return [], {}
        restored, errors = [], {}
        for path in reversed(self.applied):
            try:
                _undo(self.changes[path])
                restored.append(path)
            except OSError as exc:
                errors[path] = _reason(exc)
        for directory in reversed(self.created_dirs):
            try:
                os.rmdir(directory)
            except OSError as exc:
                errors[directory] = _reason(exc)
        for directory in sorted({os.path.dirname(p) for p in restored}):
            try:
                fsync_dir(directory)
            except OSError:
                pass  # the restore itself succeeded; durability is best effort here
        self.rolled_back = True
        return sorted(restored), errors


def apply(changes, made=()):
    """Apply a ``plan``: every change or none. Returns an :class:`Applied` handle.

    ``made``: directories the minion config names, created with their parents when
    missing (any other missing directory only under an existing parent). Raises
    ``FilesError`` (a SystemFailure) after rolling back.
    """
    applied, created_dirs, touched_dirs = [], [], set()
    path, action = None, "write"
    try:
        for path in sorted(changes):
            change = changes[path]
            action = "remove" if change.new is None else "write"
            if change.new is None:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    continue  # already gone: the end state holds, nothing to restore
            else:
                ensure_parent(path, created_dirs, made)
                write_atomic(path, change.new, change.mode)
            applied.append(path)
            touched_dirs.add(os.path.dirname(path))
        action = "sync directory"
        for path in sorted(touched_dirs):
            fsync_dir(path)
    except OSError as exc:
        restored, errors = Applied(changes, applied, created_dirs).rollback()
        raise FilesError(path, action, _reason(exc), restored, errors) from exc
    return Applied(changes, applied, created_dirs)
