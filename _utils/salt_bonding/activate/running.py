"""The running system as every activation back-end reads and changes it.

Reading: :meth:`Running.snapshot` (sysfs options, and links, addresses and
routes over rtnetlink in-process, as ``links.current_bond``) and
:meth:`Running.status` (the same reading of procfs and sysfs as
``bond.status``). Changing: :meth:`Running.run` makes an operation of any
back-end (``operations.py``) through one table, by its type: a sysfs write, a change
``ip`` would make (made in-process over rtnetlink, ``host/netlink.py``) or another
command (``ifup``, ``nmcli``). Reaching an address: :meth:`Running.route_device` and
:meth:`Running.answers`.

Commands go through ``run_command(argv) -> (returncode, stdout, stderr)``,
given by the caller (the state passes Salt's ``cmd.run_all``); sysfs is
written directly under ``sysfs_root``. No Salt here.
"""

import os
import shutil

from ..errors import SystemFailure, UnknownBondError
from ..host import links, netlink
from ..observe import status
from .operations import (
    AddressChange,
    BondAdd,
    BondNetlinkOption,
    Command,
    DefaultRoute,
    LinkAddress,
    LinkDelete,
    LinkMtu,
    LinkState,
    SlaveSetting,
    SysfsWrite,
    VlanAdd,
)

PING_ARGV = ("ping", "-n", "-c", "1", "-W", "1")
# Where commands are looked for, beside PATH: Salt's minion may run with a PATH
# without the sbin directories, where ifup lives.
SBIN = ("/usr/sbin", "/sbin")


class Running:
    """The kernel and the commands of this host; tests point the roots elsewhere."""

    def __init__(self, run_command, sysfs_root=status.SYSFS_ROOT,
                 procfs_root=status.PROCFS_ROOT):
        self.run_command = run_command
        self.sysfs_root = sysfs_root
        self.procfs_root = procfs_root

    # -- reading -------------------------------------------------------------------
    def snapshot(self, names):
        """``{name: Bond or None}``: how each bond runs now."""
        found, routes = self._read()
        return {name: links.current_bond(name, status.read_options(name, self.sysfs_root),
                                         found, routes,
                                         status.read_address(name, self.sysfs_root))
                for name in names}

    def holders(self):
        """``{device: its master}`` of every enslaved device (bond, bridge or team slaves)."""
        found, _ = self._read()
        return {link["ifname"]: link["master"] for link in found if link.get("master")}

    def default_route_devices(self):
        """``{"IPv4" | "IPv6": [device]}``: where the default routes go out."""
        try:
            return netlink.default_route_devices()
        except OSError as exc:
            raise SystemFailure(f"cannot read the kernel's routes: {exc}") from exc

    def _read(self):
        try:
            return netlink.read()
        except OSError as exc:
            raise SystemFailure(f"cannot read the kernel's links: {exc}") from exc

    def status(self, name):
        """``bond.status``'s reading of bond ``name``; None when there is no such bond."""
        try:
            return status.read_status(self.procfs_root, self.sysfs_root, names=[name])[name]
        except UnknownBondError:
            return None

    def exists(self, device):
        """Whether network device ``device`` exists."""
        return os.path.exists(os.path.join(self.sysfs_root, device))

    def route_device(self, address):
        """The device the kernel would send to ``address`` through; None: no route."""
        try:
            return netlink.route_device(address)
        except OSError as exc:
            raise SystemFailure(f"cannot ask the kernel for its route to {address}: {exc}") from exc

    def answers(self, address):
        """Whether ``address`` answers one ping within a second."""
        returncode, _, _ = self.run_command([*PING_ARGV, address])
        return returncode == 0

    def command_path(self, name):
        """Where command ``name`` is (PATH, then the sbin directories), or None."""
        return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), *SBIN]))

    # -- changing ------------------------------------------------------------------
    def run(self, op):
        """Run one operation; SystemFailure, saying which and why, when it fails."""
        failure = _MAKE[type(op)](self, op)
        if failure is None or (op.removes and not self.exists(op.removes)):
            return  # done, or someone else removed it first: the goal is met
        raise SystemFailure(f"{op.says}: {failure}")

    def _write(self, op):
        """A sysfs write; None, or why it failed."""
        try:
            with open(os.path.join(self.sysfs_root, op.path), "w") as handle:
                # An empty write never reaches the driver: a newline unsets (primary).
                handle.write(op.value or "\n")
        except OSError as exc:
            return exc.strerror or str(exc)
        return None

    @staticmethod
    def _netlink(op):
        """What ``ip *op.args`` would do, made in-process (no process per step); None, or
        why not."""
        try:
            _NETLINK[type(op)](op)
        except OSError as exc:
            return f"ip {' '.join(op.args)}: {exc.strerror or exc}"
        return None

    def _run_command(self, op):
        return self._command(op.argv)

    def _command(self, argv):
        """Run ``argv``; None, or why it failed (its last line of output)."""
        returncode, stdout, stderr = self.run_command(list(argv))
        if returncode == 0:
            return None
        said = (stderr.strip() or stdout.strip()).splitlines()
        return f"{' '.join(argv)}: {said[-1] if said else f'exit {returncode}'}"


# Each change ip would make, as host/netlink.py makes it.
_NETLINK = {
    LinkState: lambda op: netlink.set_link_up(op.device, op.up),
    LinkAddress: lambda op: netlink.set_link_address(op.device, op.mac),
    LinkMtu: lambda op: netlink.set_link_mtu(op.device, op.mtu),
    BondNetlinkOption: lambda op: netlink.set_bond_option(op.device, op.option, op.value),
    SlaveSetting: lambda op: netlink.set_bond_slave_option(op.device, op.setting, op.value),
    BondAdd: lambda op: netlink.add_bond(op.name),
    VlanAdd: lambda op: netlink.add_vlan(op.parent, op.name, op.vid),
    LinkDelete: lambda op: netlink.delete_link(op.device),
    AddressChange: lambda op: netlink.change_address(op.add, op.cidr, op.device),
    DefaultRoute: lambda op: netlink.change_default_route(op.replace, op.gateway, op.device),
}
# One table: how each kind of operation is made (None, or why it failed).
_MAKE = {
    SysfsWrite: Running._write,
    Command: Running._run_command,
    **{kind: lambda running, op: Running._netlink(op) for kind in _NETLINK},
}
