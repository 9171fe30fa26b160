"""``activate: kernel``: converge the running kernel to the configuration, in place.

For each bond whose files a run changed: snapshot the running bond
(:func:`snapshot`: sysfs options, ``ip -j`` links, addresses, routes), plan
the minimal operations (``kernel_plan.plan_bond``), run them one by one, then
verify through the same reading of the kernel as ``bond.status``
(``compare.differences``, retried while MII and LACP settle). On any failure
the bonds touched are planned back to their snapshots and put back; the
state then rolls back the files too.

Commands go through ``run_command(argv) -> (returncode, stdout, stderr)``,
given by the caller (the state passes Salt's ``cmd.run_all``); sysfs is
written directly under ``sysfs_root``. No Salt here.
"""

import os
import time
from dataclasses import dataclass, field

from .. import compare, links, status
from ..errors import SystemFailure, UnknownBondError
from .kernel_plan import plan_bond

VERIFY_TIMEOUT = 10.0  # seconds: MII needs a miimon interval or two, LACP a few LACPDUs
VERIFY_INTERVAL = 0.5


@dataclass
class BondPlan:
    """One bond's planned change: its snapshot, the operations, whether it bounces."""

    name: str
    desired: object  # model.Bond, None: remove it
    before: object  # model.Bond read before, None: absent
    operations: list
    bounced: bool

    def says(self):
        return [op.says for op in self.operations]


@dataclass
class Outcome:
    """What a run did: per bond the operations done; ``failed``: the error, if any."""

    done: dict = field(default_factory=dict)  # bond -> [says]
    failed: str | None = None
    rolled_back: list = field(default_factory=list)  # bonds put back to their snapshot
    rollback_errors: list = field(default_factory=list)


def settle_seconds(bond):
    """How long ``bond``'s link monitors take to judge a slave after a change, with a
    margin: twice two MII intervals plus updelay, or twice ARP's missed-probe count plus
    one, in intervals (a newly enslaved slave counts as up until then); at least 1 s."""
    options = bond.options
    miimon = int(options.get("miimon", 0))
    arp_interval = int(options.get("arp_interval", 0))
    missed = int(options.get("arp_missed_max", 2))
    waits = [2 * miimon + int(options.get("updelay", 0)), (missed + 1) * arp_interval]
    return max(1.0, 2 * max(waits) / 1000)


def refusals(config, choice, path):
    """``[(pillar path, message)]``: bonds ``activate: kernel`` cannot bring live here."""
    found = []
    for name, bond in config.bonds.items():
        if (bond.activate or config.activate) != "kernel":
            continue
        where = f"{path}:{name}:activate" if bond.activate else f"{path.rsplit(':', 1)[0]}:activate"
        if choice.read_by_networkmanager:
            found.append((where, (
                f"kernel, but NetworkManager manages {name} on this minion "
                f"({choice.describe()}): it would undo changes made behind its back (use "
                "activate: none, and let NetworkManager bring the loaded profiles up)")))
        elif bond.bootproto == "dhcp" or any(v.bootproto == "dhcp" for v in bond.vlans.values()):
            found.append((where, (
                f"kernel cannot bring {name} live: it takes its address from DHCP, and the "
                "kernel back-end runs no DHCP client (use activate: none)")))
    return found


class Kernel:
    """The kernel back-end. ``run_command``: how to run ``ip``; ``sysfs_root`` and
    ``procfs_root``: where the kernel is read and written (tests point them elsewhere)."""

    name = "kernel"

    def __init__(self, run_command, sysfs_root=status.SYSFS_ROOT,
                 procfs_root=status.PROCFS_ROOT, verify_timeout=VERIFY_TIMEOUT):
        self.run_command = run_command
        self.sysfs_root = sysfs_root
        self.procfs_root = procfs_root
        self.verify_timeout = verify_timeout

    # -- reading -------------------------------------------------------------------
    def _ip_json(self, argv):
        returncode, stdout, stderr = self.run_command(list(argv))
        if returncode != 0:
            raise SystemFailure(f"{' '.join(argv)} failed: {stderr.strip() or returncode}")
        return stdout

    def snapshot(self, names):
        """``{name: Bond or None}``: how each bond runs now."""
        link_json = self._ip_json(links.LINK_ARGV)
        addr_json = self._ip_json(links.ADDR_ARGV)
        routes = [self._ip_json(links.ROUTE_ARGV), self._ip_json(links.ROUTE6_ARGV)]
        return {name: links.current_bond(name, status.read_options(name, self.sysfs_root),
                                         link_json, addr_json, routes)
                for name in names}

    # -- planning ------------------------------------------------------------------
    def plan(self, desired, before):
        """``[BondPlan]`` for ``desired`` ({name: Bond or None}) against ``before`` (a
        snapshot); bonds with nothing to do are left out."""
        plans = []
        for name in sorted(desired):
            operations, bounced = plan_bond(desired[name], before.get(name))
            if operations:
                plans.append(BondPlan(name, desired[name], before.get(name), operations,
                                      bounced))
        return plans

    # -- running -------------------------------------------------------------------
    def _run_one(self, op):
        if op.kind == "sysfs":
            path, value = op.args
            try:
                with open(os.path.join(self.sysfs_root, path), "w") as handle:
                    handle.write(value)
            except OSError as exc:
                raise SystemFailure(f"{op.says}: {exc.strerror or exc}") from exc
            return
        returncode, _, stderr = self.run_command(["ip", *op.args])
        if returncode != 0:
            raise SystemFailure(f"{op.says}: ip {' '.join(op.args)}: "
                                f"{stderr.strip() or f'exit {returncode}'}")

    def _run(self, plans, outcome):
        for bond_plan in plans:
            done = outcome.done.setdefault(bond_plan.name, [])
            for op in bond_plan.operations:
                self._run_one(op)
                done.append(op.says)

    def _problems(self, plans):
        """What the kernel does not do yet: ``compare`` (mode, options, slaves, MII up, an
        active slave) on ``bond.status``'s reading, and anything a fresh plan from a new
        snapshot would still do (MTU, addresses, routes, VLANs)."""
        now = self.snapshot([p.name for p in plans])
        found = []
        for bond_plan in plans:
            left, _ = plan_bond(bond_plan.desired, now[bond_plan.name])
            found += [f"{bond_plan.name}: still to do: {op.says}" for op in left]
            if bond_plan.desired is None:
                continue
            try:
                live = status.read_status(self.procfs_root, self.sysfs_root,
                                          names=[bond_plan.name])[bond_plan.name]
            except UnknownBondError:
                live = None
            found += [str(d) for d in compare.differences(bond_plan.desired, live)]
        return found

    def verify(self, plans):
        """The problems left after waiting up to ``verify_timeout`` (``[]``: verified).

        The first look waits until the link monitors have had their say
        (:func:`settle_seconds`): a slave whose ARP target never answers still looks
        up for a few intervals."""
        deadline = time.monotonic() + self.verify_timeout
        settle = max((settle_seconds(p.desired) for p in plans if p.desired), default=0)
        time.sleep(min(settle, self.verify_timeout))
        while True:
            found = self._problems(plans)
            if not found or time.monotonic() >= deadline:
                return found
            time.sleep(VERIFY_INTERVAL)

    def apply(self, plans):
        """Run ``plans`` and verify; on failure put every bond touched back to its snapshot.
        Returns an :class:`Outcome`."""
        outcome = Outcome()
        try:
            self._run(plans, outcome)
            problems = self.verify(plans)
            if problems:
                outcome.failed = "verification failed: " + "; ".join(map(str, problems))
        except SystemFailure as exc:
            outcome.failed = str(exc)
        if outcome.failed:
            self.restore(plans, outcome)
        return outcome

    def restore(self, plans, outcome):
        """Plan each touched bond from how it runs now back to its snapshot, and run that."""
        touched = [p for p in plans if p.name in outcome.done]
        try:
            now = self.snapshot([p.name for p in touched])
        except SystemFailure as exc:
            outcome.rollback_errors.append(str(exc))
            return
        for bond_plan in touched:
            operations, _ = plan_bond(bond_plan.before, now[bond_plan.name])
            try:
                for op in operations:
                    self._run_one(op)
                outcome.rolled_back.append(bond_plan.name)
            except SystemFailure as exc:
                outcome.rollback_errors.append(str(exc))
