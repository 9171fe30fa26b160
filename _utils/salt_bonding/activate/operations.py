"""Activation's steps as data: one dataclass per kind of change.

A planner (``kernel_plan``, ``ifup``, ``nmcli``) returns a list of these; the runner
(``running.Running.run``) makes each through one table, by its type. ``args`` is the
step as a command line (the sysfs path and value, ``ip``'s arguments, or the command),
for people and ``test=True`` only: nothing parses it back. ``says`` is what the step
does, in words.
"""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, kw_only=True)
class Operation:
    """What every step has: the bond it is for, and what it does in words."""

    bond: str
    says: str
    # A removal: the device whose absence is the goal. When the step fails because
    # it is already gone (NetworkManager deletes a bond whose profile went), it is done.
    removes: str | None = None
    # A slave set free: every run releases these first, on every bond, before anything
    # is enslaved anywhere (slaves trading places between bonds, see activate.in_run_order).
    releases: str | None = None
    # How the step shows: a sysfs write, an ip command, or another command.
    kind: ClassVar[str] = "ip"

    def __str__(self):
        return self.says

    @property
    def args(self):
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class SysfsWrite(Operation):
    """``value`` written to ``path`` under /sys/class/net."""

    path: str
    value: str
    kind: ClassVar[str] = "sysfs"

    @property
    def args(self):
        return (self.path, self.value)


@dataclass(frozen=True, kw_only=True)
class Command(Operation):
    """A command run as it is (``ifup``, ``nmcli``)."""

    argv: tuple
    kind: ClassVar[str] = "command"

    @property
    def args(self):
        return tuple(self.argv)


@dataclass(frozen=True, kw_only=True)
class LinkState(Operation):
    device: str
    up: bool

    @property
    def args(self):
        return ("link", "set", self.device, "up" if self.up else "down")


@dataclass(frozen=True, kw_only=True)
class LinkAddress(Operation):
    """A link's MAC address."""

    device: str
    mac: str

    @property
    def args(self):
        return ("link", "set", self.device, "address", self.mac)


@dataclass(frozen=True, kw_only=True)
class LinkMtu(Operation):
    device: str
    mtu: int

    @property
    def args(self):
        return ("link", "set", self.device, "mtu", str(self.mtu))


@dataclass(frozen=True, kw_only=True)
class BondNetlinkOption(Operation):
    """A bond option the kernel takes over netlink only (``netlink_only`` in the option
    table), set to ``value`` (its canonical text; "" clears it)."""

    device: str
    option: str
    value: str

    @property
    def args(self):
        return ("link", "set", self.device, "type", "bond", self.option, self.value)


@dataclass(frozen=True, kw_only=True)
class SlaveSetting(Operation):
    """A bond slave's own setting (config/ports.py: queue_id, prio) set to ``value``, as
    ``ip link set <slave> type bond_slave <setting> <value>`` sets it over netlink."""

    device: str
    setting: str
    value: int

    @property
    def args(self):
        return ("link", "set", self.device, "type", "bond_slave", self.setting,
                str(self.value))


@dataclass(frozen=True, kw_only=True)
class BondAdd(Operation):
    name: str

    @property
    def args(self):
        return ("link", "add", self.name, "type", "bond")


@dataclass(frozen=True, kw_only=True)
class VlanAdd(Operation):
    parent: str
    name: str
    vid: int

    @property
    def args(self):
        return ("link", "add", "link", self.parent, "name", self.name, "type", "vlan", "id",
                str(self.vid))


@dataclass(frozen=True, kw_only=True)
class LinkDelete(Operation):
    device: str

    @property
    def args(self):
        return ("link", "del", self.device)


@dataclass(frozen=True, kw_only=True)
class AddressChange(Operation):
    """An address (``cidr``, either family) added to ``device`` or removed from it."""

    add: bool
    cidr: str
    device: str

    @property
    def args(self):
        return ("addr", "add" if self.add else "del", self.cidr, "dev", self.device)


@dataclass(frozen=True, kw_only=True)
class DefaultRoute(Operation):
    """The default route of ``gateway``'s family via ``gateway`` on ``device``: put in
    place (replacing any other) or removed."""

    replace: bool
    gateway: str
    device: str

    @property
    def args(self):
        return ("-6" if ":" in self.gateway else "-4", "route",
                "replace" if self.replace else "del", "default", "via", self.gateway, "dev",
                self.device)
