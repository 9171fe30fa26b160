"""The ``bonds`` grain from bond statuses: what targeting needs, nothing that changes often.

Pure Python, no Salt (``_grains/bond.py`` reads and calls this). Only what
a bond *is* (mode, slaves, primary), never its state (MII status, the
active slave): grains are read at start and on refresh, so a state there
would be stale at once. Targeting: ``salt -G 'bonds:bond0:mode:802.3ad' ...``.
"""


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
