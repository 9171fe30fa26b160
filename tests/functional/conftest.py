import pytest

from tests.harness.saltcall import RUNNING_LINE, SALT_CALL


@pytest.fixture
def salt_line():
    """``(line, salt-call)`` of the Salt this pytest runs on: ``3008`` from ``.venv``,
    ``3006`` from ``.venv-3006``. scripts/test runs the unit and functional tiers once
    with each (README, "The two commands"), so every functional test sees both lines."""
    return RUNNING_LINE, SALT_CALL
