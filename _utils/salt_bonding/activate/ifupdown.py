"""``activate: ifup`` on Debian and Ubuntu: ifupdown brings the changed bonds up from their
new stanza files (``format: ifupdown``).

What ``ifup -a`` would do at boot, for the changed bonds only: a bond that runs is
taken down (``ifdown`` of its VLANs and of the bond: ifupdown remembers what it brought
up, in ``/run/network``, and skips an interface it thinks is up) and deleted, so that
``ifup`` creates it afresh and ifenslave's ``if-pre-up.d`` hook writes every ``bond-*``
key to a bond without slaves (ifenslave never resets an option a stanza no longer
gives, and writes some only to a bond that is down); ``ifup <bond>`` then has the hook
enslave the ``bond-slaves`` and ifupdown set the addresses, routes and MTU, and ``ifup
<bond>.<vid>`` brings each VLAN up. A bond that ran is therefore always bounced. A bond
removed from pillar has no stanza left: ifupdown forgets it (``ifdown --force``) and the
kernel planner deletes it.

Not initscripts' ``ifup`` (``activate/ifup.py``, for ifcfg files): the ``ifup`` found
must be ifupdown's (``ifquery`` is the same program), with Debian's ifenslave hook
installed. ifupdown reads ``/etc/network/interfaces``, which sources
``bond.interfaces_dir`` (the state adds the line where it is missing).

Proven against Debian 12's ifupdown 0.8.41 and ifenslave 2.13 in the user-mode-linux
kernel (``tests/kernel/test_activate_ifup_kernel.py``): the kernel holds what
``activate: kernel`` gives for the same pillar.
"""

import os

from ..errors import SystemFailure
from .base import Activator
from .kernel_plan import plan_bond
from .operations import Command, LinkDelete

IFENSLAVE_HOOK = "/etc/network/if-pre-up.d/ifenslave"
_WAY_OUT = "install ifupdown and ifenslave, or use activate: kernel"


class IfupdownIfup(Activator):
    """ifupdown's ``ifup`` with ifenslave, for bonds in ifupdown stanza files."""

    name = "ifup"

    def check(self, running):
        ifup, ifquery = running.command_path("ifup"), running.command_path("ifquery")
        if ifup is None or ifquery is None or not os.path.samefile(ifup, ifquery):
            raise SystemFailure(
                f"activate: ifup, but {ifup or 'no ifup'} is not ifupdown's (Debian's ifup is "
                f"also its ifquery): nothing here brings up these ifupdown files ({_WAY_OUT})")
        if not os.path.exists(IFENSLAVE_HOOK):
            raise SystemFailure(f"activate: ifup, but ifenslave is not installed "
                                f"({IFENSLAVE_HOOK}): ifupdown would create no bond ({_WAY_OUT})")

    def plan_one(self, name, desired, before):
        ops = _forget(name, desired, before)
        if desired is None:
            removed, _ = plan_bond(None, before)
            return ops + removed, False
        if before is not None:
            ops.append(LinkDelete(bond=name, says=f"{name} deleted", device=name,
                                  removes=name))
        ops.append(_ifup(name, name))
        ops += [_ifup(name, vlan.device) for vlan in desired.vlans.values()]
        return ops, before is not None


def _ifup(bond, device):
    return Command(bond=bond, says=f"{device}: ifup", argv=("ifup", device))


def _forget(name, desired, before):
    """``ifdown`` of a running bond and its VLANs, so that ifupdown brings them up again: it
    skips (exit 0) an interface it remembers bringing up, and ``ifup --force`` of a VLAN
    would configure its bond again, taking the slaves down (seen in the kernel). Plain
    ``ifdown`` where the stanza is there (a no-op, exit 0, for an interface ifupdown did
    not bring up; for a bond, ifenslave's hook releases the slaves and deletes it);
    ``--force`` where it is gone, which only forgets it."""
    if before is None:
        return []
    kept = {vlan.device for vlan in desired.vlans.values()} if desired is not None else set()
    ops = [_ifdown(name, vlan.device, vlan.device not in kept)
           for vlan in before.vlans.values()]
    return ops + [_ifdown(name, name, desired is None)]


def _ifdown(bond, device, gone):
    argv = ("ifdown", "--force", device) if gone else ("ifdown", device)
    return Command(bond=bond, says=f"{device}: ifdown", argv=argv)
