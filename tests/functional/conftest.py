import os

import pytest

from tests.harness.saltcall import SALT_LINES


@pytest.fixture(params=sorted(SALT_LINES))
def salt_line(request):
    """``(line, salt-call)`` of each Salt line a fleet runs (3008, 3006 LTS); skipped where
    that line is not installed (scripts/setup builds .venv-3006), failed in CI."""
    salt_call = SALT_LINES[request.param]
    if not salt_call.exists():
        message = f"{salt_call} is missing: run scripts/setup"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return request.param, salt_call
