"""copies: a minion with the modules both synced and installed is told so (the extension
installed beside a synced copy: tests/functional/test_extension.py)."""

import importlib.metadata

import pytest
from salt_bonding.host import copies

pytestmark = pytest.mark.unit


def test_one_copy_is_no_warning(tmp_path, monkeypatch):
    extmods = tmp_path / "extmods"
    synced = extmods / "states" / "bond.py"
    core = str(extmods / "utils" / "salt_bonding" / "__init__.py")
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.2.0")
    assert copies.twice(str(tmp_path / "site" / "bond.py"), str(extmods), core) is None
    assert copies.twice(str(synced), None, core) is None

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert copies.twice(str(synced), str(extmods), core) is None
