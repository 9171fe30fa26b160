"""What one run of a bond state would change: validate, render, compare with the disk.

Pure Python, no Salt: the state module (``_states/bond.py``) calls one
``plan_*`` function, then either reports the :class:`Plan` (test mode) or
hands it to :func:`apply`, which returns a handle that can roll the files
back. Bad input, or a removal of a file that is not ours, raises
``errors.UserError`` before anything is written.

Ownership. Every file records the state that wrote it (:func:`state_id`:
``bond.reconciled:<pillar key>`` or ``bond.managed:<bond>``). A state
rewrites and removes only its own files (and owner-less ones from earlier
versions); a file another state wrote is refused with the way out, from the
disk across runs and from :func:`claim` within one run, so two states of
this module on one host never undo each other on every run.
"""

import dataclasses
import os
from dataclasses import dataclass, field

from . import activate
from .config import choices, schema
from .config.model import Config
from .config.names import bond_name_problem
from .errors import SystemFailure, UserError
from .host import competing, files, platform
from .render.ifcfg import STATE_ID


def state_id(function, name):
    """The owner recorded in the files a state writes: ``bond.<function>:<name>``."""
    return f"bond.{function}:{name}"


def _way_out(state, bond):
    """How to give ``bond`` back from ``state`` (a Mark's state)."""
    function, _, name = state.partition(":")
    if function == "bond.reconciled":
        way = f"remove {bond} from pillar '{name}', or that state, first"
    else:
        way = f"remove the bond.managed state of {name} first"
    return f"{way} (once that state is gone, bond.absent with force: true removes its files)"


@dataclass
class Plan:
    """One run's file changes ({path: files.Change}, only what differs) and its context."""

    changes: dict
    bonds: list  # the bonds the run writes
    destination: object  # render.Destination: where the run writes
    state: str  # state_id of the state that runs it
    touched: list = field(default_factory=list)  # every bond whose files it writes or removes
    choice: platform.Choice = None  # which files, read by what, and why
    warnings: list = field(default_factory=list)
    config: Config = None  # the validated configuration the files were rendered from
    path: str = "bonding:bonds"  # the pillar path of the bonds, for messages

    @property
    def networkmanager(self):
        return self.choice.networkmanager if self.choice else None


def _plan(config, destination, choice, state, scope, path, take_any=False):
    config = dataclasses.replace(config, networkmanager=choice.networkmanager)
    refusals = (destination.renderer.refusals(config, choice, path)
                + activate.refusals(config, choice, path))
    if refusals:
        raise UserError(refusals)
    try:
        wanted = files.desired_files(config, destination, state, scope=scope,
                                     take_any=take_any)
        changes = files.plan_wanted(wanted, destination)
        rivals, refusals = competing.find(
            config, _read_at_boot(choice, destination),
            # (a host file we keep lines in, such as /etc/network/interfaces, is read whole)
            lambda file_path, text: file_path not in destination.host_files and (
                file_path in changes or destination.owns(file_path, text)),
            path)
    except OSError as exc:  # a current file or directory that cannot be read
        where = f" {exc.filename}" if exc.filename else ""
        raise SystemFailure(f"could not read{where}: {exc.strerror or exc}") from exc
    if refusals:
        raise UserError(refusals)
    marks = {file_path: mark for file_path, change in changes.items()
             if (mark := destination.mark(file_path, change.old)) is not None}
    taken = dict(wanted.foreign)
    taken.update({file_path: mark for file_path, mark in marks.items()
                  if not files.may_take(mark, state, take_any)})
    if taken:
        raise UserError([
            (file_path, f"belongs to bond {mark.bond}, written by {mark.state}; one state "
                        f"per bond: {_way_out(mark.state, mark.bond)}")
            for file_path, mark in sorted(taken.items())
        ])
    warnings = (list(config.warnings) + choice.warnings
                + destination.renderer.warnings(config, path) + wanted.warnings
                + _taken_over(changes, destination) + rivals)
    touched = set(config.bonds) | {mark.bond for mark in marks.values()}
    return Plan(
        changes=changes,
        bonds=list(config.bonds),
        destination=destination,
        state=state,
        touched=sorted(touched | set(scope or ())),
        choice=choice,
        warnings=warnings,
        config=config,
        path=path,
    )


def _read_at_boot(choice, destination):
    """``[(format, directory, reader)]``: where other profiles for our devices would be read
    at boot, and by what (see ``competing.find``)."""
    own = destination.renderer.read_at_boot(destination)
    if own is not None:
        return own
    if not choice.read_by_networkmanager:
        formats, reader = ["ifcfg"], "network-scripts"
    else:
        formats, reader = ["keyfile"], "networkmanager"
        if choice.networkmanager_reads_ifcfg or destination.format == "ifcfg":
            formats.append("ifcfg")
    return [(file_format, directory, reader) for file_format in formats
            if (directory := destination.directory_of(file_format))]


def _replaces_theirs(path, change, destination):
    """Whether ``change`` writes over a regular file Salt did not write (not the modprobe file,
    whose administrator's lines are kept)."""
    return (change.new is not None and change.old_kind == "file"
            and path not in destination.host_files and not destination.owns(path, change.old))


def _taken_over(changes, destination):
    """Warnings for files Salt did not write that this run replaces: what they lose."""
    notes = []
    for path, change in sorted(changes.items()):
        if not _replaces_theirs(path, change, destination):
            continue
        renderer = destination.renderer
        dropped = sorted(renderer.keys(change.old) - renderer.keys(change.new))
        if dropped:
            notes.append(f"{path}: not written by Salt; taking it over drops "
                         f"{', '.join(dropped)}")
    return notes


def taken_over(plan):
    """Paths of regular files Salt did not write that the plan replaces (to back up first)."""
    return [path for path, change in sorted(plan.changes.items())
            if _replaces_theirs(path, change, plan.destination)]


def claim(claims, plan):
    """Record that ``plan.state`` handles its bonds in this run; ``[(where, message)]`` clashes.

    ``claims``: {bond: state}, one dict per state run (the state module keeps
    it in ``__context__``). A bond two states handle in one run is refused
    there, whichever runs first, before the second touches anything.
    """
    clashes = []
    for bond in plan.touched:
        holder = claims.setdefault(bond, plan.state)
        if holder != plan.state:
            clashes.append((plan.state, f"bond {bond} is also handled by {holder} in this run; "
                                        f"one state per bond: {_way_out(holder, bond)}"))
    return clashes


def _chosen(key, value, path):
    """``value`` as one of the choices of ``key`` (``choices.CHOICES``), or UserError at
    ``path``: a state argument read as the pillar's top-level key is."""
    choice, problem = choices.parse(key, value)
    if problem:
        raise UserError([(path, problem)])
    return choice


def _choose(where, requested_format, requested_networkmanager, grains, stack, pillar_key):
    """``(platform.Choice, Destination)`` of this run: ``where`` (Locations, or a fixed
    Destination) for what the minion (``grains``, ``stack``) reads and pillar asks."""
    requested_format = _chosen("format", requested_format,
                               f"{pillar_key}:format" if pillar_key else "format")
    if requested_format == "auto" and where.fixed_format:
        requested_format = where.fixed_format
    choice = platform.choose(requested_format, requested_networkmanager, grains, stack,
                             pillar_key)
    return choice, where.choose(choice.format)


def plan_reconciled(pillar_value, pillar_key, where, grains=None, stack=None):
    """Every bond of the pillar value; marked files of bonds no longer there go.

    ``where``: ``render.Locations`` (the format follows pillar ``format`` and
    ``networkmanager``, the minion's ``grains`` and its ``platform.Stack``) or a
    fixed ``render.Destination``.
    """
    state = state_id("reconciled", pillar_key)
    if not STATE_ID.fullmatch(state):
        raise UserError([("name", f"pillar key {pillar_key!r} may contain only letters, "
                                  "digits, '_', '.', ':' and '-'")])
    config = schema.validate(pillar_value, pillar_key)
    choice, destination = _choose(where, config.format, config.networkmanager, grains, stack,
                                  pillar_key)
    return _plan(config, destination, choice, state, scope=None, path=f"{pillar_key}:bonds")


def plan_managed(name, settings, where, path=None, file_format="auto", grains=None,
                 stack=None, networkmanager=None):
    """One bond from state arguments; other bonds' files are left alone.

    ``settings``: the same keys as one bond in pillar (mode, slaves, options,
    IP settings, vlans, ifcfg). Files this module wrote earlier for ``name``
    that the new settings no longer produce (a slave dropped, a VLAN gone) are
    removed.
    """
    warnings = []
    path = path or f"{name}:bond.managed"
    if networkmanager is not None:
        networkmanager = _chosen("networkmanager", networkmanager, f"{path}:networkmanager")
    choice, destination = _choose(where, file_format, networkmanager, grains, stack, path)
    bond = schema.validate_bond(name, settings, path, warnings)
    config = Config(bonds={name: bond}, warnings=warnings)
    plan = _plan(config, destination, choice, state_id("managed", name), scope=[name],
                 path=path)
    _refuse_other_bonds_files(plan, name, path)
    return plan


def _refuse_other_bonds_files(plan, name, path):
    """One bond's state may not take over a file this module wrote for another bond.

    (``reconciled`` sees every bond and refuses a slave in two bonds while
    validating; ``managed`` sees one, so the disk tells. Files from before
    owners were recorded say only their bond.)
    """
    taken = []
    for file_path, change in plan.changes.items():
        mark = plan.destination.mark(file_path, change.old)
        if mark is not None and mark.bond != name:
            taken.append((f"{path}:{name}", f"{file_path} belongs to bond {mark.bond}; "
                                            f"remove it from {mark.bond} first"))
    if taken:
        raise UserError(taken)


def plan_absent(name, where, force=False, file_format="auto", grains=None, stack=None):
    """Remove the files marked for bond ``name`` and its modprobe alias.

    What ``bond.managed`` wrote for it may go; what another state (a
    ``bond.reconciled``) wrote is refused unless ``force``: that state would
    write them again on its next run.
    """
    problem = bond_name_problem(name)
    if problem:
        raise UserError([("name", problem)])
    choice, destination = _choose(where, file_format, None, grains, stack, None)
    return _plan(Config(), destination, choice, state_id("managed", name), scope=[name],
                 path="name", take_any=force)


def to_converge(plan):
    """``{back-end: {bond: Bond}}`` of the bonds of the configuration brought live
    (``activate`` not ``none``) whose files this plan does not change: the run brings
    them back when the kernel drifted from them (``activate.drifted``)."""
    changed = {name for bonds in to_activate(plan).values() for name in bonds}
    config = plan.config
    found = {}
    for name, bond in config.bonds.items():
        backend = bond.activate or config.activate
        if backend != "none" and name not in changed:
            found.setdefault(activate.backend(backend, plan.destination.format), {})[name] = bond
    return found


def to_activate(plan):
    """``{back-end: {bond: Bond, or None to remove it}}`` of the bonds whose files this
    plan changes, by their ``activate`` (``none`` left out); a bond whose files did not
    change is not there (it is not touched at all). A bond removed from pillar goes as
    the run's top-level ``activate`` says."""
    config = plan.config
    changed = set()
    for path, change in plan.changes.items():
        mark = plan.destination.mark(path, change.new if change.new is not None else change.old)
        if mark is not None:
            changed.add(mark.bond)
    wanted = {}
    for name in sorted(changed):
        bond = config.bonds.get(name)
        backend = config.activate if bond is None else (bond.activate or config.activate)
        if backend != "none":
            wanted.setdefault(activate.backend(backend, plan.destination.format),
                              {})[name] = bond
    return wanted


def apply(plan):
    """Write a plan's changes, all or nothing; a ``files.Applied`` handle, or FilesError."""
    return files.apply(plan.changes, plan.destination.made)


def report(changes):
    """Salt's ``changes`` for a plan: per path its action and unified diff."""
    return {path: {"action": change.action, "diff": change.diff}
            for path, change in changes.items()}


def summary(plan, test):
    """One line: which files a run writes and removes (or would)."""
    changes = plan.changes
    written = [os.path.basename(p) for p, c in changes.items() if c.new is not None]
    removed = [os.path.basename(p) for p, c in changes.items() if c.new is None]
    # Files that were there before and that Salt did not write (an installer's
    # ifcfg-eth0, say): replacing them is needed to enslave, but worth saying.
    # (Not the modprobe file: its administrator's lines are kept, not replaced.)
    destination = plan.destination
    replaced = [os.path.basename(p) for p, c in changes.items()
                if _replaces_theirs(p, c, destination)
                or (c.old_kind == "symlink" and p not in destination.host_files)]
    verb = ("would be " if test else "")
    parts = []
    if written:
        parts.append(f"{len(written)} file(s) {verb}written: {', '.join(written)}")
    if removed:
        parts.append(f"{len(removed)} file(s) {verb}removed: {', '.join(removed)}")
    if replaced:
        parts.append(f"{verb or 'now '}managed by Salt, replacing files it did not write: "
                     f"{', '.join(replaced)}")
    return "; ".join(parts)
