"""What one run of a bond state would change: validate, render, compare with the disk.

Pure Python, no Salt: the state module (``_states/bond.py``) calls one
``plan_*`` function, then either reports the plan (test mode) or hands it to
``apply``. Each ``plan_*`` returns::

    {"changes": {path: change},   # bond_files.plan: only what differs
     "bonds": [name, ...],        # the bonds the run writes
     "networkmanager": "unmanaged"|"disabled",
     "warnings": [str, ...]}

and raises ``ValueError`` (``bond_schema.BondConfigError``) for bad input,
before anything is read or written, or when a removal would touch a file that
is not ours.
"""

import os
import sys

# Salt loads each _utils file standalone, so siblings are imported by path.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import bond_files  # noqa: E402
import bond_ifcfg  # noqa: E402
import bond_schema  # noqa: E402


def _plan(config, ifcfg_dir, modprobe_conf, scope):
    desired, remove = bond_files.desired_files(config, ifcfg_dir, modprobe_conf, scope=scope)
    return {
        "changes": bond_files.plan(desired, remove),
        "bonds": list(config["bonds"]),
        "networkmanager": config["networkmanager"],
        "warnings": list(config.get("warnings", [])),
    }


def plan_reconciled(pillar_value, pillar_key, ifcfg_dir, modprobe_conf):
    """Every bond of the pillar value; marked files of bonds no longer there go."""
    config = bond_schema.validate(pillar_value, pillar_key)
    return _plan(config, ifcfg_dir, modprobe_conf, scope=None)


def plan_managed(name, settings, ifcfg_dir, modprobe_conf, path="bond.managed"):
    """One bond from state arguments; other bonds' files are left alone.

    ``settings``: the same keys as one bond in pillar (mode, slaves, options,
    IP settings, vlans, ifcfg). Files this module wrote earlier for ``name``
    that the new settings no longer produce (a slave dropped, a VLAN gone) are
    removed.
    """
    warnings = []
    bond = bond_schema.validate_bond(name, settings, path, warnings)
    config = {"networkmanager": "unmanaged", "modprobe_options": False,
              "bonds": {name: bond}, "warnings": warnings}
    plan = _plan(config, ifcfg_dir, modprobe_conf, scope=[name])
    _refuse_other_bonds_files(plan["changes"], name, path)
    return plan


def _refuse_other_bonds_files(changes, name, path):
    """One bond's state may not take over a file this module wrote for another bond.

    (``reconciled`` sees every bond and refuses a slave in two bonds while
    validating; ``managed`` sees one, so the disk tells.)
    """
    taken = []
    for file_path, change in changes.items():
        owner = bond_ifcfg.managed_owner(change["old"] or "")
        if owner is not None and owner != name:
            taken.append((f"{path}:{name}",
                          f"{file_path} belongs to bond {owner}; remove it from {owner} first"))
    if taken:
        raise bond_schema.BondConfigError(taken)


def plan_absent(name, ifcfg_dir, modprobe_conf):
    """Remove the files marked for bond ``name`` and its modprobe alias."""
    problem = bond_schema.bond_name_problem(name)
    if problem:
        raise bond_schema.BondConfigError([("name", problem)])
    config = {"networkmanager": "unmanaged", "modprobe_options": False, "bonds": {},
              "warnings": []}
    return _plan(config, ifcfg_dir, modprobe_conf, scope=[name])


def apply(changes):
    """Write a plan's changes, all or nothing (``bond_files.FilesError`` on failure)."""
    bond_files.apply(changes)


def report(changes):
    """Salt's ``changes`` for a plan: per path its action and unified diff."""
    out = {}
    for path, change in changes.items():
        if change["new"] is None:
            action = "removed"
        elif change["old_kind"] == "absent":
            action = "created"
        else:
            action = "updated"
        out[path] = {"action": action, "diff": change["diff"]}
    return out


def summary(changes, test):
    """One line: which files a run writes and removes (or would)."""
    written = [os.path.basename(p) for p, c in changes.items() if c["new"] is not None]
    removed = [os.path.basename(p) for p, c in changes.items() if c["new"] is None]
    # Files that were there before and that Salt did not write (an installer's
    # ifcfg-eth0, say): replacing them is needed to enslave, but worth saying.
    # (Not the modprobe file: its administrator's lines are kept, not replaced.)
    taken_over = [os.path.basename(p) for p, c in changes.items()
                  if c["new"] is not None and os.path.basename(p).startswith("ifcfg-")
                  and (c["old_kind"] == "symlink"
                       or (c["old_kind"] == "file" and not bond_ifcfg.is_managed(c["old"])))]
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
