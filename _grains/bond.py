"""Grains of the bond modules.

``bonding_stack``: what can read network files on this minion, which decides
the files ``bond.reconciled`` writes when pillar leaves ``format`` and
``networkmanager`` out (``salt_bonding.host.platform``)::

    bonding_stack:
      networkmanager: enabled      # enabled | installed | absent
      network_scripts: false       # initscripts' ifup for bonds installed
      networkmanager_version: 1.46.0   # NetworkManager --version; null: not installed
      ifupdown: false              # Debian's ifupdown installed (its ifquery)
      ifenslave: false             # with ifenslave's hook, which brings its bonds up
      netplan: false               # netplan installed (Ubuntu's default)

The version decides which bond options NetworkManager keeps in the files it
reads (``salt_bonding.config.nm_versions``); grains are read when the minion starts,
so after upgrading NetworkManager run ``saltutil.refresh_grains``.

``bonds``: each bond's mode (the kernel's name), slaves and primary, read
from ``/proc/net/bonding`` (the minion option ``bond.procfs`` moves it);
``{}`` without the bonding driver::

    bonds:
      bond0: {mode: 802.3ad, slaves: [ens1f0, ens1f1], primary: null}

``bonds_error``, instead of ``bonds``, when the bonds cannot be read: a
``bond.procfs`` that ``bond.status`` refuses too (it does not exist, it is
``/proc/net``), said as ``bond.status`` says it (and logged at error level)::

    bonds_error: minion option bond.procfs is '/proc/net', which is in the kernel's ...

CLI Example:

.. code-block:: bash

    salt '*' grains.get bonding_stack
    salt -G 'bonding_stack:networkmanager:enabled' state.apply bonding
    salt -G 'bonding_stack:netplan:True' grains.get bonding_stack
    salt -G 'bonding_stack:networkmanager_version:1.4[0-2]*' grains.get osrelease
    salt -G 'bonds:bond0:mode:802.3ad' bond.health
    salt -G 'bonds_error:*' grains.get bonds_error
"""

import logging

try:  # synced: Salt puts extmods/utils on sys.path while it loads grains
    import salt_bonding

    salt_bonding = salt_bonding.current()  # not an older copy from before a sync
    from salt_bonding.host import platform as _platform
    from salt_bonding.observe import grains as _grains
except ImportError:
    _platform = None

log = logging.getLogger(__name__)

__virtualname__ = "bond"
# Where the core comes from: synced from the master (file server), or the extension.
_GET_IT = "saltutil.sync_all from a master serving _utils/, or pip install salt-bonding"


def __virtual__():
    if _platform is None:
        return (False, f"the bond grains need the salt_bonding package ({_GET_IT})")
    return __virtualname__


def bonding_stack():
    """``{"bonding_stack": {...}}``: read from the files packages install, and the version
    the installed NetworkManager prints; never raises."""
    try:
        return {"bonding_stack": _platform.probe().as_grain()}
    except Exception:  # noqa: BLE001 (a grain function must never break the minion's grains)
        return {}


def bonds():
    """``{"bonds": {<bond>: {"mode", "slaves", "primary"}}}`` from procfs alone (all three
    are there; no sysfs, no command); ``{"bonds": {}}`` without the bonding driver;
    ``{"bonds_error": why}`` when the bonds cannot be read (logged too). Never raises."""
    try:
        found = _grains.bonds_grains(__opts__.get("bond.procfs"))
    except Exception as exc:  # noqa: BLE001 (a grain function must never break the grains)
        found = {"bonds_error": f"cannot read the bonds: {exc}"}
    if "bonds_error" in found:
        log.error("grain bonds: %s", found["bonds_error"])
    return found
