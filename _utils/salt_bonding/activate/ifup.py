"""``activate: ifup``: initscripts bring the changed bonds up from their new files.

What the network service would do at boot, for the changed bonds only: a bond
that runs is taken down with ``ifdown`` (initscripts flush its addresses and
release the slaves its files name), then deleted, so that ``ifup`` creates
it afresh and every ``BONDING_OPTS`` word applies (initscripts write options
only to a bond without slaves, and never reset the ones a file no longer
gives); ``ifup <bond>`` then enslaves each ``MASTER=<bond>`` slave and sets
the addresses and routes, and ``ifup <bond>.<vid>`` brings each VLAN up. A
bond that ran is therefore always bounced. A bond removed from pillar has no
file left for ``ifdown``: the kernel planner deletes it.

initscripts read ``/etc/sysconfig/network-scripts``, whatever the minion's
``bond.ifcfg_dir`` says. Only their ``ifup`` does: the ``ifup`` found must be the
file ``/etc/sysconfig/network-scripts/ifup`` is (RHEL 7 links that one to
``/usr/sbin/ifup``, RHEL 8's network-scripts the other way round), not Debian's
ifupdown (which reads ``/etc/network/interfaces``) nor RHEL 9's wrapper around
nmcli. After a failure the running bonds go back to their snapshot through the
kernel (the files are back first).

Proven against Red Hat's own initscripts 10.00.19 in the user-mode-linux kernel
(``tests/kernel/test_activate_ifup_kernel.py``), the deletion included: there
``ifdown`` + ``ifup`` of a running bond keep an option its file no longer gives.
``ifup`` exits 0 when a slave could not be enslaved (ifup-eth ignores the failed
write): the verification is what catches it.
"""

import os

from ..errors import SystemFailure
from .base import Activator, where
from .kernel_plan import plan_bond
from .operations import Command, LinkDelete

COMMANDS = ("ifup", "ifdown")
INITSCRIPTS = "/etc/sysconfig/network-scripts"  # where initscripts' ifup and ifdown are


def _command(bond, says, *argv):
    return Command(bond=bond, says=says, argv=argv)


class Ifup(Activator):
    """initscripts' ``ifdown`` / ``ifup``, for bonds network-scripts bring up."""

    name = "ifup"

    def refusals(self, config, bonds, choice, path):
        if choice.format == "ifcfg" and not choice.read_by_networkmanager:
            if choice.network_scripts:
                return []
            return [(where(config, name, path), (
                f"ifup, but no initscripts are installed here to bring {name} up from its "
                "ifcfg files (install network-scripts, or use activate: kernel)"))
                for name in bonds]
        return [(where(config, name, path), (
            f"ifup, but {name}'s files here are {choice.describe()}: initscripts do not bring "
            "them up (use activate: nmcli where NetworkManager manages the bonds, or kernel)"))
            for name in bonds]

    def check(self, running):
        for name in COMMANDS:
            found = running.command_path(name)
            if found is None:
                raise SystemFailure(f"activate: ifup, but initscripts' {name} is not on this "
                                    "minion (install network-scripts, or use activate: kernel)")
            theirs = os.path.join(INITSCRIPTS, name)
            if not (os.path.exists(theirs) and os.path.samefile(found, theirs)):
                raise SystemFailure(
                    f"activate: ifup, but {found} is not initscripts' {name} ({theirs}): "
                    "Debian's ifupdown reads /etc/network/interfaces and RHEL 9's wraps "
                    "nmcli, neither reads these ifcfg files (install network-scripts, or use "
                    "activate: kernel)")

    def plan_one(self, name, desired, before):
        if desired is None:
            return plan_bond(None, before)
        ops = []
        if before is not None:
            ops += [_command(name, f"{name}: ifdown", "ifdown", name),
                    LinkDelete(bond=name, says=f"{name} deleted", device=name)]
        ops.append(_command(name, f"{name}: ifup", "ifup", name))
        ops += [_command(name, f"{vlan.device}: ifup", "ifup", vlan.device)
                for vlan in desired.vlans.values()]
        return ops, before is not None
