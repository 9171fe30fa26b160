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
from tests.harness.saltcall import SaltCall  # noqa: E402

SHARED_FIXTURES = REPO.parent / "shared" / "fixtures" / "proc-net-bonding"
CAPTURES = REPO / "tests" / "captures"


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
def shared_fixtures():
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"{SHARED_FIXTURES} absent")
    return SHARED_FIXTURES


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
