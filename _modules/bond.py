"""Live status and health of the Linux bonds on a minion.

Reads ``/proc/net/bonding/<bond>`` (enough on its own) and fills what it
lacks from ``/sys/class/net``. Both roots are minion options, so a captured
tree can stand in for the running kernel::

    bond.procfs: /proc/net/bonding
    bond.sysfs: /sys/class/net

The parsing and the health rules live in ``_utils/bond_procfs.py`` and
``_utils/bond_health.py``; this module only wires them to Salt.
"""

import salt.utils.platform
from salt.exceptions import CommandExecutionError

__virtualname__ = "bond"
__func_alias__ = {"list_": "list"}


def __virtual__():
    if not salt.utils.platform.is_linux():
        return (False, "The bond execution module is only available on Linux systems.")
    return __virtualname__


def _roots():
    return (
        __salt__["config.get"]("bond.procfs", "/proc/net/bonding"),
        __salt__["config.get"]("bond.sysfs", "/sys/class/net"),
    )


def _call(function, *args):
    """A bond_procfs function on the configured roots; its errors as Salt's."""
    procfs, sysfs = _roots()
    try:
        return __utils__[f"bond_procfs.{function}"](procfs, sysfs, *args)
    # By their bases: the loader's copy of bond_procfs has its own exception classes.
    except (LookupError, ValueError) as exc:
        raise CommandExecutionError(str(exc)) from None


def _read(name):
    # The CLI turns a name like "0" into an int: bond names are strings.
    return _call("read_status", None if name is None else str(name))


def list_():
    """
    Sorted names of the bonds on this minion (empty without the bonding driver).

    CLI Example:

    .. code-block:: bash

        salt '*' bond.list
    """
    return _call("list_bonds")


def status(name=None):
    """
    What the running kernel says about each bond: mode, monitoring, the active
    slave, 802.3ad aggregator and partner, every slave, and the bond's health.

    A bond whose status file cannot be read or parsed carries ``error`` (the
    file and why) instead; the other bonds are still reported.

    name
        Only this bond. An unknown name is an error listing the bonds there are.

    CLI Example:

    .. code-block:: bash

        salt '*' bond.status
        salt '*' bond.status bond0
    """
    return _read(name)


def health(name=None):
    """
    ``ok``, ``degraded`` or ``down`` for each bond with the reasons, and the
    worst of them as ``status``. ``salt-call`` exits non-zero unless every bond
    is ok, so this can drive a monitoring check.

    name
        Only this bond. An unknown name is an error listing the bonds there are.

    CLI Example:

    .. code-block:: bash

        salt '*' bond.health
        salt-call bond.health bond0 || echo "bond trouble"
    """
    healths = {bond: entry["health"] for bond, entry in _read(name).items()}
    verdict = __utils__["bond_health.overall"](healths)
    if verdict["status"] != "ok":
        __context__["retcode"] = 1
    return verdict
