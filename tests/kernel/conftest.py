import importlib

import pytest

from tests.kernel import daemons_boot

# The modules whose tests share the boot with real daemons, by part (daemons_boot.PARTS).
DAEMON_PARTS = {"fleet": "tests.kernel.test_fleet_kernel",
                "beacon": "tests.kernel.test_beacon_kernel",
                "master": "tests.kernel.test_activate_master_kernel",
                "rollout": "tests.kernel.test_rollout_kernel",
                "outlive": "tests.kernel.test_outlive_kernel"}


def pytest_collection_modifyitems(config, items):
    """With ``--kernel-part``, keep the tests of that part of the kernel tier: ``daemons``
    (the modules of :data:`DAEMON_PARTS`) or ``others``; the tiers outside are kept."""
    part = config.getoption("--kernel-part")
    if part is None:
        return
    daemons = set(DAEMON_PARTS.values())
    keep, drop = [], []
    for item in items:
        if item.get_closest_marker("kernel") is None:
            keep.append(item)
        elif (item.module.__name__ in daemons) == (part == "daemons"):
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def daemons_report(uml):
    """The report of the one boot with a salt-master and a salt-minion
    (``daemons_boot.py``): every part's steps, in order."""
    parts = {name: importlib.import_module(module).STEPS
             for name, module in DAEMON_PARTS.items()}
    return daemons_boot.run(uml, parts)
