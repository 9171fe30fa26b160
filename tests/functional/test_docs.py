"""What users read: sys.doc / sys.state_doc through Salt, and the README's generated table."""

import importlib.util

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.functional


def test_every_execution_function_has_a_cli_example(salt_call):
    _, docs = salt_call.run("sys.doc", "bond")
    assert set(docs) == {"bond.list", "bond.status", "bond.health", "bond.metrics",
                         "bond.verify"}
    for function, doc in docs.items():
        assert "CLI Example:" in doc, function
        assert f"salt '*' {function}" in doc, function


def test_every_state_is_documented_with_an_example(salt_call):
    _, docs = salt_call.run("sys.state_doc", "bond")
    states = {name for name in docs if name.startswith("bond.")}
    assert states == {"bond.managed", "bond.absent", "bond.reconciled"}
    for state in states:
        assert f"{state}:" in docs[state], state  # an SLS example using it
    assert "bond.ifcfg_dir" in docs["bond"]  # the module doc names its settings


def test_readme_option_table_is_generated_from_the_option_table():
    spec = importlib.util.spec_from_file_location("update_docs", REPO / "scripts/update_docs.py")
    update_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(update_docs)
    text = (REPO / "README.md").read_text()
    assert update_docs.rendered(text) == text, "run .venv/bin/python scripts/update_docs.py"
    assert "| `lacp_rate` |" in text
