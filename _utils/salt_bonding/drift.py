"""Drift: a minion's pillar against its files on disk and its running kernel.

``bond.verify`` asks one question per bond: do the files still say what pillar
says (none missing, none changed by hand, none left over), and does the kernel
run what pillar says (``activate.verify.bond_problems``: the same comparison
activation verifies with)? And: does the kernel run bonds pillar does not know?

Pure Python: the files side is a ``plan.Plan`` computed as ``test=True`` would
(nothing written), the kernel side a snapshot and ``bond.status``'s reading.
"""

from .activate.verify import bond_problems

FILE_WORDS = {"created": "missing", "updated": "differs from pillar (changed by hand?)",
              "removed": "no longer in pillar, still on disk"}


def report(plan, snapshot, statuses):
    """``{"drifted": bool, "bonds": {bond: {"files": [...], "kernel": [...]}},
    "host": [...], "unknown": [...]}``: every bond of the plan's configuration, with
    what differs (empty lists: none); ``host``: the modprobe file; ``unknown``: bonds
    running that pillar does not give."""
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
    unknown = sorted(set(statuses) - set(config.bonds))
    drifted = bool(host or unknown or any(b["files"] or b["kernel"] for b in bonds.values()))
    return {"drifted": drifted, "bonds": dict(sorted(bonds.items())), "host": host,
            "unknown": unknown}
