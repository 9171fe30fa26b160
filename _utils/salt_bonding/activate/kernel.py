"""``activate: kernel``: converge the running kernel to the configuration, in place.

The operations are the kernel planner's (``kernel_plan.plan_bond``): create,
options live or with a bounce where the driver needs one, single slaves
enslaved and released, MTU, addresses, routes, VLANs; removal. Running,
verifying and restoring are shared (``activate.bring_live``).
"""

from .base import Activator, where
from .kernel_plan import plan_bond


class Kernel(Activator):
    """iproute2 and sysfs, with no network service involved."""

    name = "kernel"

    def refusals(self, config, bonds, choice, path):
        found = []
        for name in bonds:
            bond = config.bonds[name]
            if choice.read_by_networkmanager:
                found.append((where(config, name, path), (
                    f"kernel, but NetworkManager manages {name} on this minion "
                    f"({choice.describe()}): it would undo changes made behind its back (use "
                    "activate: nmcli, or none)")))
            elif any(i.bootproto == "dhcp" or i.dhcpv6c
                     for i in (bond, *bond.vlans.values())):
                found.append((where(config, name, path), (
                    f"kernel cannot bring {name} live: it takes its address from DHCP, and "
                    "the kernel back-end runs no DHCP client (use activate: none)")))
        return found

    def plan_one(self, name, desired, before):
        return plan_bond(desired, before)
