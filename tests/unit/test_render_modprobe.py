"""render.modprobe: the marked block of the modprobe file, the administrator's lines kept."""

from dataclasses import replace

import pytest
from salt_bonding import errors
from salt_bonding.render import modprobe

from tests.unit.test_render_ifcfg import BOND0, BOND1, make_config

pytestmark = pytest.mark.unit

MODULE_PARAMS = {"mode", "miimon", "updelay", "downdelay", "primary", "arp_interval",
                 "arp_ip_target", "lacp_rate", "xmit_hash_policy"}


# -- the modprobe file ----------------------------------------------------------------
ADMIN_TEXT = "# my own settings\noptions e1000e InterruptThrottleRate=3000\n\nblacklist foo"


def test_modprobe_block_appended_after_the_administrators_lines():
    text = modprobe.render_modprobe(ADMIN_TEXT, make_config(BOND1, BOND0), MODULE_PARAMS)
    assert text == (
        modprobe.MODPROBE_MARK + "\n"
        + ADMIN_TEXT + "\n"
        + "# BEGIN bond state (managed by Salt)\n"
        "alias netdev-bond0 bonding\n"
        "alias netdev-bond1 bonding\n"
        "# END bond state (managed by Salt)\n"
    )


def test_modprobe_options_under_the_requested_alias_name():
    bond = replace(BOND0, options={
        "miimon": "100", "updelay": "200", "primary": "eth0",
        "arp_ip_target": "192.0.2.1,192.0.2.2", "not_a_param": "1",
    })
    text = modprobe.render_modprobe(None, make_config(bond, modprobe_options=True),
                                    MODULE_PARAMS)
    assert text.splitlines()[1:] == [
        "# BEGIN bond state (managed by Salt)",
        "alias netdev-bond0 bonding",
        "options netdev-bond0 mode=active-backup miimon=100 updelay=200 primary=eth0"
        " arp_ip_target=192.0.2.1,192.0.2.2",
        "# END bond state (managed by Salt)",
    ]
    assert "options bond0" not in text  # the form modprobe ignores (see KERNEL.md)


@pytest.mark.parametrize("existing", [None, "", ADMIN_TEXT, ADMIN_TEXT + "\n", "\n\n"])
def test_modprobe_rendering_is_stable_and_keeps_unmanaged_lines(existing):
    config = make_config(BOND0, BOND1, modprobe_options=True)
    once = modprobe.render_modprobe(existing, config, MODULE_PARAMS)
    assert modprobe.render_modprobe(once, config, MODULE_PARAMS) == once
    kept = [line for line in once.splitlines() if not line.startswith(("alias netdev-",
                                                                        "options netdev-", "#"))]
    assert kept == [line for line in (existing or "").splitlines() if not line.startswith("#")]
    assert modprobe.is_managed(once)


def test_modprobe_block_is_replaced_in_place():
    before = modprobe.render_modprobe("first\n", make_config(BOND0), MODULE_PARAMS)
    before += "last line\n"
    after = modprobe.render_modprobe(before, make_config(BOND1), MODULE_PARAMS)
    assert after.splitlines()[1:] == [
        "first", "# BEGIN bond state (managed by Salt)", "alias netdev-bond1 bonding",
        "# END bond state (managed by Salt)", "last line",
    ]


def test_modprobe_scope_keeps_the_lines_of_other_bonds():
    both = modprobe.render_modprobe(None, make_config(BOND0, BOND1), MODULE_PARAMS)
    changed_bond1 = replace(BOND1, mode="balance-xor")
    only_bond1 = make_config(changed_bond1, modprobe_options=True)
    text = modprobe.render_modprobe(both, only_bond1, MODULE_PARAMS, scope={"bond1"})
    assert "alias netdev-bond0 bonding" in text
    assert "options netdev-bond1 mode=balance-xor" in text
    absent = modprobe.render_modprobe(text, make_config(), MODULE_PARAMS, scope={"bond0"})
    assert "netdev-bond0" not in absent and "alias netdev-bond1 bonding" in absent


def test_modprobe_block_goes_when_no_bond_remains():
    text = modprobe.render_modprobe(ADMIN_TEXT, make_config(BOND0), MODULE_PARAMS)
    assert modprobe.render_modprobe(text, make_config(), MODULE_PARAMS) == ADMIN_TEXT + "\n"
    only_ours = modprobe.render_modprobe(None, make_config(BOND0), MODULE_PARAMS)
    assert modprobe.render_modprobe(only_ours, make_config(), MODULE_PARAMS) is None


@pytest.mark.parametrize("existing", [None, "", ADMIN_TEXT])
def test_modprobe_file_without_our_mark_and_no_bonds_is_untouched(existing):
    assert modprobe.render_modprobe(existing, make_config(), MODULE_PARAMS) == existing


@pytest.mark.parametrize("existing, message", [
    ("# BEGIN bond state (managed by Salt)\nalias netdev-bond0 bonding\n", "without its END"),
    ("# END bond state (managed by Salt)\n", "without its BEGIN"),
])
def test_modprobe_damaged_block_is_an_error_not_a_guess(existing, message):
    with pytest.raises(errors.UserError, match=message) as caught:
        modprobe.render_modprobe(existing, make_config(BOND0), MODULE_PARAMS,
                                 path="/etc/modprobe.d/bonding.conf")
    [(where, text)] = caught.value.errors
    assert where == "/etc/modprobe.d/bonding.conf"  # the message names the file
    assert text.endswith("not touching the file: mend or remove the block")
