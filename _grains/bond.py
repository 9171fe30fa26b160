"""Grains of the bond modules.

``bonding_stack``: what can read network files on this minion, which decides
the files ``bond.reconciled`` writes when pillar leaves ``format`` and
``networkmanager`` out (``salt_bonding.platform``)::

    bonding_stack:
      networkmanager: enabled      # enabled | installed | absent
      network_scripts: false       # initscripts' ifup for bonds installed

CLI Example:

.. code-block:: bash

    salt '*' grains.get bonding_stack
    salt -G 'bonding_stack:networkmanager:enabled' state.apply bonding
"""

try:  # synced: Salt puts extmods/utils on sys.path while it loads grains
    from salt_bonding import platform as _platform
except ImportError:
    _platform = None

__virtualname__ = "bond"


def __virtual__():
    if _platform is None:
        return (False, "the bond grains need the salt_bonding package (saltutil.sync_all)")
    return __virtualname__


def bonding_stack():
    """``{"bonding_stack": {...}}``: read from the files packages install; never raises."""
    try:
        return {"bonding_stack": _platform.probe().as_grain()}
    except Exception:  # noqa: BLE001 (a grain function must never break the minion's grains)
        return {}
