"""Live status and health of the Linux bonds on a minion.

Reads ``/proc/net/bonding/<bond>`` (enough on its own) and fills what it
lacks from ``/sys/class/net``. Both roots are minion options, so a captured
tree can stand in for the running kernel::

    bond.procfs: /proc/net/bonding
    bond.sysfs: /sys/class/net

The parsing and the health rules live in the ``salt_bonding`` package
(``_utils/salt_bonding/status.py`` and ``health.py``); this module only wires
them to Salt.
"""

import salt.utils.platform
from salt.exceptions import CommandExecutionError

try:  # synced: Salt puts extmods/utils on sys.path while it loads this module
    import salt_bonding

    salt_bonding = salt_bonding.current()  # not an older copy from before a sync
    from salt_bonding import errors as _errors
    from salt_bonding import health as _health
    from salt_bonding import status as _status
except ImportError as _exc:
    _IMPORT_ERROR = _exc
else:
    _IMPORT_ERROR = None

__virtualname__ = "bond"
__func_alias__ = {"list_": "list"}


def __virtual__():
    if not salt.utils.platform.is_linux():
        return (False, "The bond execution module is only available on Linux systems.")
    if _IMPORT_ERROR is not None:
        return (False, f"The bond execution module needs the salt_bonding package from _utils "
                       f"(saltutil.sync_all): {_IMPORT_ERROR}")
    return __virtualname__


def _roots():
    return (
        __salt__["config.get"]("bond.procfs", "/proc/net/bonding"),
        __salt__["config.get"]("bond.sysfs", "/sys/class/net"),
    )


def _call(function, *args):
    """A ``salt_bonding.status`` function on the configured roots; its errors as Salt's."""
    procfs, sysfs = _roots()
    try:
        return function(procfs, sysfs, *args)
    except _errors.BondingError as exc:
        raise CommandExecutionError(str(exc)) from None


def _read(name):
    """Every bond's status (or bond ``name``'s) with its health."""
    # The CLI turns a name like "0" into an int: bond names are strings.
    return _health.judge(_call(_status.read_status, None if name is None else str(name)))


def list_():
    """
    Sorted names of the bonds on this minion (empty without the bonding driver).

    CLI Example:

    .. code-block:: bash

        salt '*' bond.list
    """
    return _call(_status.list_bonds)


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
    verdict = _health.overall(healths)
    if verdict["status"] != "ok":
        __context__["retcode"] = 1
    return verdict
