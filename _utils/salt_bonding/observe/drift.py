"""Drift: a minion's pillar against its files on disk and its running kernel.

``bond.verify`` asks one question per bond: do the files still say what pillar
says (none missing, none changed by hand, none left over), and does the kernel
run what pillar says (``activate.verify.bond_problems``: the same comparison
activation verifies with)? And: does the kernel run bonds that no state of this
module writes files for (``unknown``)?

Which kernel: the one ``bond.status`` reads. With the minion options
``bond.procfs`` and ``bond.sysfs`` at their defaults, the running kernel
(links, addresses and routes over rtnetlink, as activation reads them); moved
to a captured tree, that tree, as ``bond.status``, ``bond.health``, the grain and
the metrics read it. A tree holds no addresses, routes or VLANs (and may lack
sysfs): what it cannot show is taken as pillar says and listed under
``not_checked``, never reported as drift.

Pure Python: the files side is a ``plan.Plan`` computed as ``test=True`` would
(nothing written), the kernel side a snapshot and ``bond.status``'s reading.
"""

import dataclasses
import os

from ..activate.running import Running
from ..activate.verify import bond_problems
from ..host import files
from ..render import RENDERERS
from . import compare
from . import status as bond_status

# What a tree of procfs and sysfs files never shows: bond.verify cannot check it there.
NOT_IN_A_TREE = "addresses, default routes and VLANs"

FILE_WORDS = {"created": "missing", "updated": "differs from pillar (changed by hand?)",
              "removed": "no longer in pillar, still on disk"}


def verify(plan, procfs, sysfs, run_command):
    """``bond.verify``'s :func:`report` for ``plan`` against the kernel the roots give:
    the running one at the default roots (``run_command`` as ``activate.Running`` takes
    it), else the tree they point at (nothing run)."""
    statuses = bond_status.read_status(procfs, sysfs)
    names = sorted(plan.config.bonds)
    roots = (bond_status.PROCFS_ROOT, bond_status.SYSFS_ROOT)
    if tuple(map(os.path.normpath, (procfs, sysfs))) == roots:
        snapshot = Running(run_command, sysfs_root=sysfs, procfs_root=procfs).snapshot(names)
        not_checked = []
    else:
        snapshot, not_checked = {}, []
        for name in names:
            snapshot[name], unseen = tree_bond(plan.config.bonds[name], statuses.get(name),
                                               sysfs)
            if unseen:
                not_checked.append(f"{name}: {', '.join(unseen)} (not in the tree "
                                   f"bond.procfs {procfs} and bond.sysfs {sysfs} give)")
    return report(plan, snapshot, statuses, others=claimed_elsewhere(plan),
                  not_checked=not_checked)


def tree_bond(desired, live, sysfs):
    """``(the bond as a tree of procfs and sysfs files shows it, [what it does not show])``;
    ``(None, [])`` when the tree has no such bond (``live``: its ``bond.status``, None:
    absent). What the tree does not show is taken from ``desired``: the options sysfs lacks
    (those procfs shows are compared by ``compare.differences``), the MTU, the addresses,
    routes and VLANs (a tree never has them)."""
    if live is None:
        return None, []
    options = bond_status.read_options(desired.name, sysfs)
    mode = options.pop("mode", None) or live.get("mode") or desired.mode
    missing = [name for name in desired.options if name not in options]
    options.update({name: desired.options[name] for name in missing})
    unseen = [name for name in missing if not compare.shows(live, name)]  # nor procfs
    mtu = bond_status.read_mtu(desired.name, sysfs)
    slaves = list(live["slaves"]) if "slaves" in live else list(desired.slaves)
    said = [f"option{'s' if len(unseen) > 1 else ''} {', '.join(unseen)}"] if unseen else []
    if mtu is None and desired.mtu is not None:
        said.append("MTU")
    current = dataclasses.replace(desired, mode=mode, options=options, slaves=slaves,
                                  mtu=desired.mtu if mtu is None else mtu)
    return current, [*said, NOT_IN_A_TREE]


def claimed_elsewhere(plan):
    """The bonds whose files on disk another state of this module wrote (another
    ``bond.reconciled`` key, a ``bond.managed``): known to this module, never unknown."""
    destination = plan.destination
    marks = files.find_managed(destination.directory, destination.renderer)
    for file_format, directory in destination.sweep:
        marks.update(files.find_managed(directory, RENDERERS[file_format]))
    return {mark.bond for mark in marks.values() if mark.state != plan.state}


def report(plan, snapshot, statuses, others=(), not_checked=()):
    """``{"drifted": bool, "bonds": {bond: {"files": [...], "kernel": [...]}},
    "host": [...], "unknown": [...], "not_checked": [...]}``: every bond of the plan's
    configuration, with what differs (empty lists: none); ``host``: the modprobe file;
    ``unknown``: bonds running that pillar does not give, nor ``others`` (bonds other
    states of this module wrote); ``not_checked``: what the kernel side could not see."""
    config = plan.config
    bonds = {name: {"files": [], "kernel": []} for name in config.bonds}
    host = []
    for path, change in plan.changes.items():
        said = f"{path}: {FILE_WORDS[change.action]}"
        mark = plan.destination.mark(path, change.new if change.new is not None else change.old)
        if mark is None:
            host.append(said)
        else:
            bonds.setdefault(mark.bond, {"files": [], "kernel": []})["files"].append(said)
    for name, bond in config.bonds.items():
        bonds[name]["kernel"] = bond_problems(bond, snapshot.get(name), statuses.get(name))
    unknown = sorted(set(statuses) - set(config.bonds) - set(others))
    drifted = bool(host or unknown or any(b["files"] or b["kernel"] for b in bonds.values()))
    return {"drifted": drifted, "bonds": dict(sorted(bonds.items())), "host": host,
            "unknown": unknown, "not_checked": list(not_checked)}
