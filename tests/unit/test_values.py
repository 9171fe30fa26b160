"""values.plain: configuration as Salt hands it over, as plain data."""

import pytest
from salt_bonding.config import schema
from salt_bonding.config.values import plain
from salt_bonding.errors import UserError

pytestmark = pytest.mark.unit


class MaskedDict(dict):
    """Salt 3008.4's pillar dicts (salt.utils.secret.MaskedDict): dict subclasses whose
    repr hides every value; nested containers are wrapped too."""

    def __repr__(self):
        return "{**********}"


class MaskedList(list):
    def __repr__(self):
        return "[**********]"


def masked(value):
    if isinstance(value, dict):
        return MaskedDict({key: masked(item) for key, item in value.items()})
    if isinstance(value, list):
        return MaskedList([masked(item) for item in value])
    return value


PILLAR = {"bonds": {"bond0": {"mode": ["active-backup"], "slaves": ["eth0", "eth1"],
                              "vlans": {100: {"ipaddr": "192.0.2.1"}}}}}


def test_plain_keeps_the_values_and_drops_the_wrappers():
    got = plain(masked(PILLAR))
    assert got == PILLAR
    assert repr(got) == repr(PILLAR)

    def types(value):
        if isinstance(value, dict):
            return {type(value)} | set().union(*map(types, value.values()))
        if isinstance(value, list):
            return {type(value)} | set().union(*map(types, value))
        return set()

    assert types(got) == {dict, list}


@pytest.mark.parametrize("value", [None, "bond0", 7, True, ("eth0",)])
def test_plain_leaves_everything_else_alone(value):
    assert plain(value) is value


def test_a_masked_pillar_reads_as_the_plain_one():
    """The schema's messages show the values whatever wrapped them."""
    with pytest.raises(UserError) as from_plain:
        schema.validate(PILLAR)
    with pytest.raises(UserError) as from_masked:
        schema.validate(masked(PILLAR))
    assert str(from_masked.value) == str(from_plain.value)
    assert "invalid value ['active-backup']" in str(from_masked.value)
    with pytest.raises(UserError) as one_bond:
        schema.validate_bond("bond0", masked(PILLAR["bonds"]["bond0"]))
    assert "invalid value ['active-backup']" in str(one_bond.value)
