"""``ip`` command lines as activation's typed operations, for the tests that make a change
as ``ip <args>`` would (tests/harness/iproute_compare.py) and for the check that every
operation's ``args`` (its command line, shown to people) is that of ``ip``.

The shapes are the changes activation makes (``activate/operations.py``); anything else
is a ValueError. The bond and the words of the operation are the test's.
"""

from salt_bonding.activate import operations as ops


def operation(args, bond="test", says="a test's change"):
    """The typed operation that makes the change ``ip *args`` makes."""
    common = {"bond": bond, "says": says}
    match tuple(str(arg) for arg in args):
        case ("link", "set", device, ("up" | "down") as state):
            return ops.LinkState(**common, device=device, up=state == "up")
        case ("link", "set", device, "address", mac):
            return ops.LinkAddress(**common, device=device, mac=mac)
        case ("link", "set", device, "mtu", mtu):
            return ops.LinkMtu(**common, device=device, mtu=int(mtu))
        case ("link", "set", device, "type", "bond", option, value):
            return ops.BondNetlinkOption(**common, device=device, option=option, value=value)
        case ("link", "set", device, "type", "bond_slave", setting, value):
            return ops.SlaveSetting(**common, device=device, setting=setting, value=int(value))
        case ("link", "add", name, "type", "bond"):
            return ops.BondAdd(**common, name=name)
        case ("link", "add", "link", parent, "name", name, "type", "vlan", "id", vid):
            return ops.VlanAdd(**common, parent=parent, name=name, vid=int(vid))
        case ("link", "del", device):
            return ops.LinkDelete(**common, device=device)
        case ("addr", ("add" | "del") as verb, cidr, "dev", device):
            return ops.AddressChange(**common, add=verb == "add", cidr=cidr, device=device)
        case (("-4" | "-6"), "route", ("replace" | "del") as verb, "default", "via", gateway,
              "dev", device):
            return ops.DefaultRoute(**common, replace=verb == "replace", gateway=gateway,
                                    device=device)
    raise ValueError(f"not an ip command activation makes: ip {' '.join(map(str, args))}")
