"""What every activation back-end is, and what they all share.

A back-end (a sibling module: ``kernel``, ``ifup``, ``nmcli``) only *plans*:
from the bonds a run changed ({name: Bond, or None to remove it}) and a
snapshot of how they run now, it makes one :class:`BondPlan` per bond, a list
of operations (``operations.py``, a dataclass per kind of step). Running those,
verifying the result against the kernel and putting things back on failure
are the same for all of them (``activate.bring_live``); a back-end only says
how its bonds go back (:meth:`Activator.restore_plan`) once their files have
been put back.
"""

from dataclasses import dataclass, field

from .kernel_plan import plan_bond


@dataclass
class BondPlan:
    """One bond's planned change: its snapshot, the operations, whether it bounces."""

    name: str
    desired: object  # model.Bond, None: remove it
    before: object  # model.Bond read before, None: absent
    operations: list
    bounced: bool
    activator: object = None  # the Activator that made it (and restores it)
    drift: list = field(default_factory=list)  # its files in place, its kernel not: how

    def says(self):
        return [op.says for op in self.operations]


@dataclass
class Outcome:
    """What a run did: per bond the operations done; ``failed``: the error, if any."""

    done: dict = field(default_factory=dict)  # bond -> [says]
    failed: str | None = None
    rolled_back: list = field(default_factory=list)  # bonds put back to their snapshot
    rollback_errors: list = field(default_factory=list)
    files: object = None  # what putting the files back returned, after a failure


class Activator:
    """The interface of every activation back-end; ``name`` is the pillar's ``activate``."""

    name = None

    def refusals(self, config, bonds, choice, path):
        """``[(pillar path, message)]``: why ``bonds`` (names using this back-end) cannot
        go live this way on this minion; checked before anything is written."""
        return []

    def check(self, running):
        """Raise SystemFailure when this back-end cannot run on this host now (before
        anything is written)."""

    def plan_one(self, name, desired, before):
        """``(operations, bounced)`` that take bond ``name`` from ``before`` (a snapshot,
        None: absent) to ``desired`` (None: removed). Nothing to do: ``([], False)``."""
        raise NotImplementedError

    def restore_plan(self, bond_plan, now):
        """The operations that put ``bond_plan``'s bond back to its snapshot from ``now``
        (read after a failure, its files already put back). By default the kernel's own
        plan from ``now`` to the snapshot."""
        operations, _ = plan_bond(bond_plan.before, now)
        return operations

    def plan(self, wanted, before):
        """``[BondPlan]`` for ``wanted`` ({name: Bond or None}) against ``before`` (a
        snapshot); bonds with nothing to do are left out."""
        plans = []
        for name in sorted(wanted):
            operations, bounced = self.plan_one(name, wanted[name], before.get(name))
            if operations:
                plans.append(BondPlan(name, wanted[name], before.get(name), operations,
                                      bounced, self))
        return plans


def where(config, name, path):
    """The pillar path of the ``activate`` that applies to bond ``name``."""
    bond = config.bonds.get(name)
    if bond is not None and bond.activate:
        return f"{path}:{name}:activate"
    return f"{path.rsplit(':', 1)[0]}:activate"
