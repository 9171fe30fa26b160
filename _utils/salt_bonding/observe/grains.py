"""The ``bonds`` grain from bond statuses: what targeting needs, nothing that changes often.

Pure Python, no Salt (``_grains/bond.py`` reads and calls this). Only what
a bond *is* (mode, slaves, primary), never its state (MII status, the
active slave): grains are read at start and on refresh, so a state there
would be stale at once. Targeting: ``salt -G 'bonds:bond0:mode:802.3ad' ...``.

When the bonds cannot be read (``bond.procfs`` set to what ``bond.status``
refuses too), there is no ``bonds`` grain, which would say "no bonds", but a
``bonds_error`` grain saying why: ``salt -G 'bonds_error:*' grains.get
bonds_error`` finds the hosts that targeting by ``bonds`` leaves out.
"""

from ..errors import BondingError
from . import status as bond_status


def bonds_grain(statuses):
    """``{bond: {"mode", "slaves", "primary"}}`` from ``{bond: status}``.

    ``mode`` is the kernel's name (``802.3ad``, ``active-backup``, ...),
    ``slaves`` sorted, ``primary`` None when unset. A bond whose status could
    not be read is listed with ``mode`` None and no slaves: it exists, and
    nothing is known of it.
    """
    grain = {}
    for name, status in sorted(statuses.items()):
        if "error" in status:
            grain[name] = {"mode": None, "slaves": [], "primary": None}
            continue
        grain[name] = {"mode": status["mode"], "slaves": sorted(status["slaves"]),
                       "primary": status["primary"]}
    return grain


def bonds_grains(configured_procfs):
    """``{"bonds": {...}}`` read from the procfs root the minion option ``bond.procfs`` gives
    (``configured_procfs``; empty or None: the default), or ``{"bonds_error": why}`` when
    that root is refused (as the modules refuse it) or cannot be read."""
    procfs, problem = bond_status.configured_root("bond.procfs", configured_procfs)
    if problem:
        return {"bonds_error": problem}
    try:
        return {"bonds": bonds_grain(bond_status.read_status(procfs, None))}
    except (OSError, BondingError) as exc:
        return {"bonds_error": f"cannot read the bonds in {procfs}: {exc}"}
