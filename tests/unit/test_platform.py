"""platform: which format each RHEL generation reads; impossible choices refused."""

import pytest
from salt_bonding import errors, platform

pytestmark = pytest.mark.unit

RHEL = {"os": "RedHat", "os_family": "RedHat"}


@pytest.mark.parametrize("grains, default, readable", [
    ({**RHEL, "osmajorrelease": 7}, "ifcfg", ("ifcfg", "keyfile")),
    ({**RHEL, "osmajorrelease": 8}, "ifcfg", ("ifcfg", "keyfile")),
    ({"os": "Rocky", "os_family": "RedHat", "osmajorrelease": "9"}, "keyfile", ("keyfile",)),
    ({**RHEL, "osmajorrelease": 10}, "keyfile", ("keyfile",)),
    ({"os": "Fedora", "os_family": "RedHat", "osmajorrelease": 40}, "keyfile",
     ("keyfile", "ifcfg")),
    ({"os": "Fedora", "os_family": "RedHat", "osmajorrelease": 41}, "keyfile", ("keyfile",)),
    ({"os": "Debian", "os_family": "Debian", "osmajorrelease": 12}, "ifcfg", ("ifcfg", "keyfile")),
    ({}, "ifcfg", ("ifcfg", "keyfile")),
])
def test_each_generation_gets_what_it_reads(grains, default, readable):
    assert platform.reads(grains) == (default, readable)
    assert platform.resolve("auto", grains, "bonding:format") == default


def test_a_format_the_minion_does_not_read_is_refused_with_the_way_out():
    with pytest.raises(errors.UserError) as caught:
        platform.resolve("ifcfg", {**RHEL, "osmajorrelease": 10}, "bonding:format")
    assert caught.value.errors == [("bonding:format", (
        "ifcfg files do nothing on RedHat 10: its network stack reads only keyfile (use "
        "format: auto, or keyfile)"))]
    assert platform.resolve("keyfile", {**RHEL, "osmajorrelease": 7}, "x") == "keyfile"
