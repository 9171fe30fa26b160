"""``activate: ifup`` on Debian and Ubuntu: ifupdown brings the changed bonds up from their
new stanza files (``format: ifupdown``).

What ``ifup -a`` would do at boot, for the changed bonds only: a bond that runs is
deleted (its VLANs with it), so that ``ifup`` creates it afresh and ifenslave's
``if-pre-up.d`` hook writes every ``bond-*`` key to a bond without slaves (ifenslave
never resets an option a stanza no longer gives, and writes some only to a bond that is
down); ``ifup --force <bond>`` then has the hook enslave the ``bond-slaves`` and
ifupdown set the addresses, routes and MTU, and ``ifup --force <bond>.<vid>`` brings
each VLAN up. ``--force``: ifupdown remembers what it brought up (``/run/network``) and
would otherwise skip an interface it thinks is up, though the kernel deleted it. A bond
that ran is therefore always bounced. A bond removed from pillar has no stanza left:
the kernel planner deletes it.

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
from .kernel_plan import Operation, plan_bond

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
        if desired is None:
            return plan_bond(None, before)
        ops = []
        if before is not None:
            ops.append(Operation(name, "ip", ("link", "del", name), f"{name} deleted"))
        ops.append(Operation(name, "command", ("ifup", "--force", name), f"{name}: ifup"))
        ops += [Operation(name, "command", ("ifup", "--force", vlan.device),
                          f"{vlan.device}: ifup") for vlan in desired.vlans.values()]
        return ops, before is not None
