import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# _utils/salt_bonding is a plain Python package: unit tests import it directly.
sys.path.insert(0, str(REPO / "_utils"))
sys.path.insert(0, str(REPO))

from tests.harness import uml as uml_harness  # noqa: E402
from tests.harness.saltcall import (  # noqa: E402
    PRIMARY_LINE,
    RUNNING_LINE,
    RUNNING_SALT,
    SaltCall,
)

# The tiers that run on every Salt line of setup.cfg [salt_lines]; the others (real
# daemons, the real kernel) run on the newest line, and tests/integration/test_mixed_lines.py
# runs a minion of each other line under its master.
EVERY_LINE_TIERS = ("unit", "functional")

# Real /proc/net/bonding texts from other kernels and drivers (PROVENANCE.md: where from,
# which licence): in the repository, so a clone with nothing beside it runs them all.
PROC_SAMPLES = REPO / "tests" / "fixtures" / "proc-net-bonding"
CAPTURES = REPO / "tests" / "captures"


def pytest_addoption(parser):
    parser.addoption(
        "--kernel-part", choices=("daemons", "others"), default=None,
        help="run only this part of the kernel tier: the tests that share the boot with "
             "real Salt daemons (tests/kernel/daemons_boot.py), or all the others; "
             "scripts/test runs the two in two pytest processes")


def pytest_report_header(config):
    return (f"salt: {RUNNING_SALT} (the {RUNNING_LINE} line; on lines other than "
            f"{PRIMARY_LINE} only the {' and '.join(EVERY_LINE_TIERS)} tiers run)")


def pytest_collection_modifyitems(config, items):
    """On a Salt line other than the newest, deselect all but the unit and functional tiers."""
    if RUNNING_LINE == PRIMARY_LINE:
        return
    keep, drop = [], []
    for item in items:
        tiers = {mark.name for mark in item.iter_markers()} & {"unit", "functional",
                                                               "integration", "kernel"}
        (keep if tiers and tiers <= set(EVERY_LINE_TIERS) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def uml():
    """A :class:`tests.harness.uml.Uml` launcher for the real bonding driver.

    In CI (CI set) a kernel that cannot run fails the test; elsewhere it skips
    with the reason.
    """
    reason = uml_harness.unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"real-kernel harness unavailable in CI: {reason}")
        pytest.skip(f"real-kernel harness unavailable: {reason}")
    workdir = tempfile.mkdtemp(prefix="bond-uml-")
    return uml_harness.Uml(workdir)


@pytest.fixture
def salt_call(tmp_path):
    """A sandboxed ``salt-call --local`` with this project's modules."""
    return SaltCall(tmp_path)


@pytest.fixture(scope="session")
def proc_samples():
    """The directory of real /proc/net/bonding samples (tests/fixtures/proc-net-bonding)."""
    return PROC_SAMPLES


def pytest_sessionfinish(session, exitstatus):
    """Close Salt's temporary log handler while pytest's streams are still open.

    Salt queues log records in a deferred handler bound to the stderr of the
    moment (pytest's capture stream) and flushes it at interpreter exit, when
    that stream is closed: each queued record then printed a "--- Logging
    error ---" traceback after the summary of a green run. Salt's own shutdown
    hands the queue to the remaining handlers instead.
    """
    from salt._logging import impl

    impl.shutdown_temp_handler()
