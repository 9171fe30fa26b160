"""What one run of a bond state would change: validate, render, compare with the disk.

Pure Python, no Salt: the state module (``_states/bond.py``) calls one
``plan_*`` function, then either reports the :class:`Plan` (test mode) or
hands it to :func:`apply`, which returns a handle that can roll the files
back. Bad input, or a removal of a file that is not ours, raises
``errors.UserError`` before anything is written.
"""

import os
from dataclasses import dataclass, field

from . import files, schema
from .errors import SystemFailure, UserError
from .model import Config
from .names import bond_name_problem


@dataclass
class Plan:
    """One run's file changes ({path: files.Change}, only what differs) and its context."""

    changes: dict
    bonds: list  # the bonds the run writes
    destination: object  # render.Destination: where the run writes
    networkmanager: str = "unmanaged"
    warnings: list = field(default_factory=list)


def _plan(config, destination, scope, path):
    refusals = destination.renderer.refusals(config, path)
    if refusals:
        raise UserError(refusals)
    try:
        wanted = files.desired_files(config, destination, scope=scope)
        changes = files.plan_wanted(wanted, destination)
    except OSError as exc:  # a current file or directory that cannot be read
        where = f" {exc.filename}" if exc.filename else ""
        raise SystemFailure(f"could not read{where}: {exc.strerror or exc}") from exc
    return Plan(
        changes=changes,
        bonds=list(config.bonds),
        networkmanager=config.networkmanager,
        warnings=list(config.warnings),
        destination=destination,
    )


def plan_reconciled(pillar_value, pillar_key, destination):
    """Every bond of the pillar value; marked files of bonds no longer there go."""
    config = schema.validate(pillar_value, pillar_key)
    return _plan(config, destination, scope=None, path=f"{pillar_key}:bonds")


def plan_managed(name, settings, destination, path="bond.managed"):
    """One bond from state arguments; other bonds' files are left alone.

    ``settings``: the same keys as one bond in pillar (mode, slaves, options,
    IP settings, vlans, ifcfg). Files this module wrote earlier for ``name``
    that the new settings no longer produce (a slave dropped, a VLAN gone) are
    removed.
    """
    warnings = []
    bond = schema.validate_bond(name, settings, path, warnings)
    config = Config(bonds={name: bond}, warnings=warnings)
    plan = _plan(config, destination, scope=[name], path=path)
    _refuse_other_bonds_files(plan, name, path)
    return plan


def _refuse_other_bonds_files(plan, name, path):
    """One bond's state may not take over a file this module wrote for another bond.

    (``reconciled`` sees every bond and refuses a slave in two bonds while
    validating; ``managed`` sees one, so the disk tells.)
    """
    taken = []
    for file_path, change in plan.changes.items():
        owner = plan.destination.owner(file_path, change.old)
        if owner is not None and owner != name:
            taken.append((f"{path}:{name}",
                          f"{file_path} belongs to bond {owner}; remove it from {owner} first"))
    if taken:
        raise UserError(taken)


def plan_absent(name, destination):
    """Remove the files marked for bond ``name`` and its modprobe alias."""
    problem = bond_name_problem(name)
    if problem:
        raise UserError([("name", problem)])
    return _plan(Config(), destination, scope=[name], path="name")


def apply(plan):
    """Write a plan's changes, all or nothing; a ``files.Applied`` handle, or FilesError."""
    return files.apply(plan.changes)


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
    taken_over = [os.path.basename(p) for p, c in changes.items()
                  if c.new is not None and p != destination.modprobe_conf
                  and (c.old_kind == "symlink"
                       or (c.old_kind == "file" and not destination.owns(p, c.old)))]
    verb = ("would be " if test else "")
    parts = []
    if written:
        parts.append(f"{len(written)} file(s) {verb}written: {', '.join(written)}")
    if removed:
        parts.append(f"{len(removed)} file(s) {verb}removed: {', '.join(removed)}")
    if taken_over:
        parts.append(f"{verb or 'now '}managed by Salt, replacing files it did not write: "
                     f"{', '.join(taken_over)}")
    return "; ".join(parts)
