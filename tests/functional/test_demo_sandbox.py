"""``scripts/demo --sandbox DIR`` wipes DIR first: only a directory the demo made, or an
empty or new one (issue 26: it deleted any directory it was given, recursively). The demo
itself, end to end, is tests/kernel/test_demo.py."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.saltcall import REPO

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("demo", REPO / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("system", ["/", "/etc", "/usr", "/var/lib", "/var/empty", "/tmp",
                                    "/home", "/etc/new-dir", str(Path.home()), str(REPO),
                                    str(REPO.parent)])
def test_a_system_directory_is_never_a_sandbox(demo, system):
    """Whether it exists, is empty or not (an empty /var/empty, a new /etc/new-dir)."""
    assert demo.sandbox_problem(Path(system)) == (
        f"{Path(system).resolve()}: a system directory, the home directory or the repository")


def test_only_a_new_an_empty_or_a_demos_own_directory_is_a_sandbox(demo, tmp_path):
    assert demo.sandbox_problem(tmp_path / "new") is None
    assert demo.sandbox_problem(tmp_path) is None  # empty
    (tmp_path / "notes.txt").write_text("someone's\n")
    assert demo.sandbox_problem(tmp_path) == (
        f"{tmp_path}: not empty and not made by the demo (no {demo.MARKER} in it); the demo "
        "wipes its sandbox first: give a new or empty directory")
    (tmp_path / demo.MARKER).write_text("")
    assert demo.sandbox_problem(tmp_path) is None
    (tmp_path / "file").write_text("")
    assert demo.sandbox_problem(tmp_path / "file") == f"{tmp_path / 'file'}: not a directory"
    assert demo.sandbox_problem(demo.DEFAULT_SANDBOX) is None  # ./sandbox: the demo's own


def test_the_demo_refuses_before_it_touches_anything(tmp_path):
    (tmp_path / "precious").write_text("keep me\n")
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "demo.py"), "--sandbox",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith(f"demo: --sandbox {tmp_path}: not empty and not made by the "
                                  "demo"), proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["precious"]
    assert (tmp_path / "precious").read_text() == "keep me\n"
