"""Rendering stays byte-identical for the example hosts (tests/golden/)."""

import pytest

from tests.harness.golden import GOLDEN, HOSTS, render_host

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("host", HOSTS)
def test_example_host_files_are_byte_identical_to_the_golden_copies(host):
    rendered = render_host(host)
    golden = {path.name: path.read_bytes().decode() for path in (GOLDEN / host).iterdir()}
    assert sorted(rendered) == sorted(golden)
    for name, text in rendered.items():
        assert text == golden[name], name
