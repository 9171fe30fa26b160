"""What keeps the host reachable now, and which planned change would cut it.

A lifeline is the device the kernel sends through now for: a default route
(per family), the Salt master, a bond's ``verify: ping`` address. A run cuts
one when it removes that device (a bond, or a VLAN of one), enslaves it
(its address stops working once it is a slave), or removes the default
gateway on it — unless the bond's new configuration carries it on (a
gateway of the family for a default route; for an address, a network of
the bond's holding it, or a gateway of its family). Refused before anything is
done, unless the pillar says it is meant (:data:`ALLOW_KEY`): verification
cannot catch a removed bond (there is nothing left to verify), and a host cut
off from its master cannot say so. Pure Python: ``Running`` reads the kernel.
"""

import ipaddress
from dataclasses import dataclass

from .kernel_plan import addresses

ALLOW_KEY = "allow_cutoff"  # top-level pillar key: true when cutting a lifeline is meant


@dataclass(frozen=True)
class Lifeline:
    """``what`` reaches the host through ``device`` now; ``family`` ("IPv4", "IPv6") for
    a default route, ``address`` for a route to one address."""

    what: str
    device: str
    family: str | None = None
    address: str | None = None


class Lifelines:
    """The host's lifelines, read once before a run plans."""

    def __init__(self, lines):
        self.lines = list(lines)

    @classmethod
    def read(cls, running, master=None, pings=()):
        """From the running kernel: the default routes, the route to ``master`` (an
        address, None: no master), to each ``(bond, address)`` of ``pings``."""
        lines = [Lifeline(f"the default route ({family})", device, family=family)
                 for family, devices in sorted(running.default_route_devices().items())
                 for device in devices]
        targets = ([(f"the Salt master {master}", master)] if master else []) + [
            (f"{bond}'s verify.ping {address}", address) for bond, address in pings]
        for what, address in targets:
            device = running.route_device(address)
            if device is not None:
                lines.append(Lifeline(f"the route to {what}", device, address=address))
        return cls(lines)

    def cut_by(self, plans, path):
        """``[(pillar path, message)]``: each lifeline a plan of ``plans`` would cut
        (``path``: the pillar path of the bonds)."""
        allow = f"{path.rsplit(':', 1)[0]}:{ALLOW_KEY}"
        found = []
        for bond_plan in plans:
            for line in self.lines:
                how = _cut(bond_plan, line)
                if how is not None:
                    where = (f"{path}:{bond_plan.name}" if bond_plan.desired is not None
                             else path)
                    found.append((where, (
                        f"{how} would cut {line.what} (through {line.device} now), and the "
                        f"host with it; if that is meant, set {allow}: true")))
        return found


def _devices(bond):
    return {bond.name, *(vlan.device for vlan in bond.vlans.values())} if bond else set()


def _interfaces(bond):
    return [bond, *bond.vlans.values()] if bond is not None else []


def _cut(bond_plan, line):
    """How ``bond_plan`` cuts ``line`` (words), or None."""
    before, desired = bond_plan.before, bond_plan.desired
    taken = set(desired.slaves if desired else ()) - set(before.slaves if before else ())
    if line.device in taken:
        how = f"enslaving {line.device} to {bond_plan.name}"
    elif line.device in _devices(before) - _devices(desired):
        how = (f"removing {bond_plan.name}" if desired is None
               else f"removing {line.device} from {bond_plan.name}")
    elif line.family is not None and line.device in _devices(desired) and \
            _gateway(_interface(before, line.device), line.family) and \
            not _gateway(_interface(desired, line.device), line.family):
        how = f"removing the default gateway of {line.device}"
    else:
        return None
    return None if _carried_on(desired, line) else how


def _interface(bond, device):
    return next((i for i in _interfaces(bond) if (getattr(i, "name", None) or i.device)
                 == device), None)


def _gateway(interface, family):
    if interface is None:
        return None
    return interface.gateway if family == "IPv4" else interface.ipv6_defaultgw


def _carried_on(desired, line):
    """Whether the bond's new configuration carries ``line`` on: a default route, when one
    of its interfaces has a gateway of that family; an address, when one of its networks
    holds it, or when the interface it will go out of (the device itself, or the bond
    that enslaves it) has a gateway of its family."""
    if desired is None:
        return False
    if line.family is not None:
        return any(_gateway(interface, line.family) for interface in _interfaces(desired))
    target = ipaddress.ip_address(line.address)
    if any(target in ipaddress.ip_interface(cidr).network
           for interface in _interfaces(desired) for cidr in addresses(interface)):
        return True
    family = "IPv4" if target.version == 4 else "IPv6"
    out_of = desired if line.device in desired.slaves else _interface(desired, line.device)
    return bool(_gateway(out_of, family))
