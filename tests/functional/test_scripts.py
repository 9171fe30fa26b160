"""The scripts a newcomer types first: scripts/demo must not wait for what only the
tests use (issue #21: `scripts/demo --help` took two minutes building .venv-3006)."""

import subprocess

import pytest

from tests.harness.saltcall import REPO

pytestmark = pytest.mark.functional


def test_setup_without_tests_never_touches_the_older_salt_line():
    """scripts/setup as scripts/demo runs it (no --tests): nothing it runs names
    .venv-3006, which only the tests use."""
    proc = subprocess.run(["bash", "-x", str(REPO / "scripts" / "setup")], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    traced = [line for line in proc.stderr.splitlines() if line.startswith("+")]
    assert traced, proc.stderr[-3000:]
    assert not [line for line in traced if ".venv-3006" in line], traced


def test_demo_help_answers_without_running_anything():
    proc = subprocess.run([str(REPO / "scripts" / "demo"), "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "--sandbox" in proc.stdout and "--no-master" in proc.stdout, proc.stdout
