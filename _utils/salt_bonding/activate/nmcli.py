"""``activate: nmcli``: NetworkManager brings the changed profiles live.

By the time this runs the state has made NetworkManager load the changed
profiles (``nmcli connection load``); a removed profile is gone from it, and a
new one on a free device may already be activating. Per bond whose files
changed:

- new: ``nmcli connection up`` of the bond's profile, then of each port and
  VLAN profile (a port another profile holds is taken over explicitly);
- changed, every option change one NetworkManager reapplies on an active bond
  (the option table's ``nm_reapply``): ``nmcli device reapply`` of the bond
  and of each VLAN kept (addresses, routes, DNS and MTU are reapplied too),
  ``connection up`` of new ports and VLANs, and of ports whose own settings
  (queue_id, prio) changed: that port alone is attached again; not bounced;
- changed otherwise (the mode, ``lacp_rate``, ...): ``nmcli device delete`` of
  the bond, then ``connection up`` of it and of every port and VLAN: bounced. Not
  ``connection up`` alone: re-activating a running bond keeps the device, and every
  option the new profile leaves out keeps the value it had (resend_igmp 255 from
  the old profile stayed under a new one without it, seen in the user-mode-linux
  kernel, issue #22), where a new bond has the driver's default: the same pillar
  would mean another bond after another history;
- removed from pillar: ``nmcli device delete`` of the bond, unless NetworkManager
  deleted it first (it does when the loaded profile is gone).

Profiles are named by their UUID (``render.keyfile.profile_uuid``: the same on
every run). After a failure, once the old files are back and loaded, a bond
that ran before is brought up from its old profiles the same way (deleted first).
"""

from ..config import ports
from ..config.options import OPTIONS
from ..errors import SystemFailure
from ..host.networkmanager import NMCLI, RUNNING_ARGV, is_running
from ..render.keyfile import profile_uuid
from .base import Activator, where
from .kernel_plan import changed_options
from .operations import Command

WAIT_SECONDS = 30  # nmcli's own wait for an activation (its default is 90)


def _nmcli(bond, says, *args, removes=None):
    return Command(bond=bond, says=says, argv=(NMCLI, "-w", str(WAIT_SECONDS), *args),
                   removes=removes)


def _up(bond, interface, what):
    return _nmcli(bond, f"{interface}: {what} profile activated", "connection", "up", "uuid",
                  profile_uuid(interface))


def _reapply(bond, device):
    return _nmcli(bond, f"{device}: profile reapplied", "device", "reapply", device)


def _delete(name):
    """``nmcli device delete``, unless the bond is gone already (NetworkManager deletes it
    when its loaded profile is gone)."""
    return _nmcli(name, f"{name} removed", "device", "delete", name, removes=name)


def _anew(bond):
    """The bond deleted and brought up afresh from its profiles (a bounce)."""
    return [_nmcli(bond.name, f"{bond.name} deleted", "device", "delete", bond.name,
                   removes=bond.name)] + _all_up(bond)


def _all_up(bond):
    return ([_up(bond.name, bond.name, "bond")]
            + [_up(bond.name, slave, "port") for slave in bond.slaves]
            + [_up(bond.name, vlan.device, "VLAN") for vlan in bond.vlans.values()])


class Nmcli(Activator):
    """NetworkManager's own activation, for bonds it manages."""

    name = "nmcli"

    def refusals(self, config, bonds, choice, path):
        if choice.read_by_networkmanager:
            return []
        return [(where(config, name, path), (
            f"nmcli, but NetworkManager does not read {name}'s files on this minion "
            f"({choice.describe()}) (use activate: kernel, or networkmanager: managed)"))
            for name in bonds]

    def check(self, running):
        returncode, stdout, stderr = running.run_command(list(RUNNING_ARGV))
        if not is_running(returncode, stdout):
            said = (stderr or stdout).strip() or f"exit {returncode}"
            raise SystemFailure(f"activate: nmcli, but NetworkManager is not running here "
                                f"({said}): start it, or use activate: none")

    def plan_one(self, name, desired, before):
        if desired is None:
            if before is None:
                return [], False
            # NetworkManager may have deleted it already, its profile gone at the load.
            return [_delete(name)], False
        if before is None:
            return _all_up(desired), False
        changed = changed_options(desired, before)
        if any(not OPTIONS[option].nm_reapply for option, _, _ in changed):
            return _anew(desired), True
        ops = [_reapply(name, name)]
        # New ports, and ports whose own settings changed: NetworkManager sets those when it
        # attaches a port (commit_port_options in nm-device-bond.c), not on the bond's reapply.
        ops += [_up(name, slave, "port") for slave in desired.slaves
                if slave not in before.slaves
                or ports.settings_of(desired, slave) != ports.settings_of(before, slave)]
        for vid, vlan in desired.vlans.items():
            ops.append(_reapply(name, vlan.device) if vid in before.vlans
                       else _up(name, vlan.device, "VLAN"))
        return ops, False

    def restore_plan(self, bond_plan, now):
        if bond_plan.before is None:
            return super().restore_plan(bond_plan, now)
        return _anew(bond_plan.before)
