import importlib

import pytest

from tests.kernel import daemons_boot

# The modules whose tests share the boot with real daemons, by part (daemons_boot.PARTS).
DAEMON_PARTS = {"fleet": "tests.kernel.test_fleet_kernel",
                "beacon": "tests.kernel.test_beacon_kernel",
                "master": "tests.kernel.test_activate_master_kernel",
                "rollout": "tests.kernel.test_rollout_kernel"}


@pytest.fixture(scope="session")
def daemons_report(uml):
    """The report of the one boot with a salt-master and a salt-minion
    (``daemons_boot.py``): every part's steps, in order."""
    parts = {name: importlib.import_module(module).STEPS
             for name, module in DAEMON_PARTS.items()}
    return daemons_boot.run(uml, parts)
