"""bond_ifcfg: quoting proven by real bash, render/parse round trip, marks, the modprobe block."""

import copy

import bond_files
import bond_ifcfg
import bond_schema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness.shell import source_with_bash

pytestmark = pytest.mark.unit

MODULE_PARAMS = {"mode", "miimon", "updelay", "downdelay", "primary", "arp_interval",
                 "arp_ip_target", "lacp_rate", "xmit_hash_policy"}

BOND0 = {
    "name": "bond0", "mode": "active-backup",
    "options": {"miimon": "100", "primary": "eth0"},
    "slaves": ["eth0", "eth1"],
    "onboot": True, "bootproto": "static",
    "ipaddr": "192.0.2.10", "prefix": 24, "netmask": None, "gateway": "192.0.2.1",
    "mtu": 9000, "ifcfg": {"ETHTOOL_OPTS": "-K bond0 gro off"},
    "vlans": {100: {"vid": 100, "device": "bond0.100", "onboot": True, "bootproto": "static",
                    "ipaddr": "198.51.100.10", "prefix": None, "netmask": "255.255.255.0",
                    "gateway": None, "mtu": None, "ifcfg": {}}},
}
BOND1 = {
    "name": "bond1", "mode": "802.3ad",
    "options": {"miimon": "100", "lacp_rate": "fast", "xmit_hash_policy": "layer3+4"},
    "slaves": ["eth2", "eth3"],
    "onboot": False, "bootproto": "dhcp",
    "ipaddr": None, "prefix": None, "netmask": None, "gateway": None,
    "mtu": None, "ifcfg": {}, "vlans": {},
}


def make_config(*bonds, modprobe_options=False):
    return {
        "networkmanager": "unmanaged", "modprobe_options": modprobe_options,
        "bonds": {b["name"]: copy.deepcopy(b) for b in bonds}, "warnings": [],
    }


def write_and_source(tmp_path, files):
    """Write ``{filename: text}`` under tmp_path/files, source each with bash in an empty dir."""
    file_dir, run_dir = tmp_path / "files", tmp_path / "cwd"
    file_dir.mkdir(exist_ok=True)
    run_dir.mkdir(exist_ok=True)
    sourced = {}
    for name, text in files.items():
        (file_dir / name).write_text(text, encoding="utf-8")
        sourced[name] = source_with_bash(file_dir / name, run_dir)
    assert list(run_dir.iterdir()) == [], "sourcing a rendered file created files"
    return sourced


# -- quote ----------------------------------------------------------------------
@pytest.mark.parametrize("value, word", [
    ("eth0", "eth0"),
    ("192.0.2.1,192.0.2.2", "192.0.2.1,192.0.2.2"),
    ("", '""'),
    ("a b", '"a b"'),
    ("$HOME", '"\\$HOME"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    ("`id`", '"\\`id\\`"'),
    ("~root", '"~root"'),
    ("it's", '"it\'s"'),
    ("a\nb", "$'a\\nb'"),
    ("tab\there", "$'tab\\there'"),
    ("bell\x07", "$'bell\\007'"),
    ("del\x7f", "$'del\\177'"),
    ("it's\n", "$'it\\'s\\n'"),
    ("é", '"é"'),
])
def test_quote_is_minimal_and_escapes(value, word):
    assert bond_ifcfg.quote(value) == word
    assert bond_ifcfg.unquote(word) == value


@pytest.mark.parametrize("value", ["a\0b", "\0", "lone \udc80 surrogate"])
def test_quote_rejects_what_bash_cannot_hold(value):
    with pytest.raises(ValueError):
        bond_ifcfg.quote(value)


@pytest.mark.parametrize("word", ["$(id)", "a b", "`id`", "a;b", '"$x"', '"unterminated',
                                  "$'unterminated", "'unterminated", "a|b", "~"])
def test_unquote_refuses_what_bash_would_expand_or_split(word):
    with pytest.raises(ValueError):
        bond_ifcfg.unquote(word)


def test_unquote_reads_the_other_bash_forms():
    assert bond_ifcfg.unquote("'a b'\"c\"d$'\\x41\\101\\e'") == "a bcdAA\x1b"
    assert bond_ifcfg.unquote('"\\n"') == "\\n"  # backslash stays before other chars


# -- rendered files, sourced by bash ----------------------------------------------
def test_bond_slave_and_vlan_files_as_bash_reads_them(tmp_path):
    files = bond_ifcfg.render_files(make_config(BOND0))
    assert list(files) == ["ifcfg-bond0", "ifcfg-bond0.100", "ifcfg-eth0", "ifcfg-eth1"]
    sourced = write_and_source(tmp_path, files)
    assert sourced["ifcfg-bond0"] == {
        "DEVICE": "bond0", "NAME": "bond0", "TYPE": "Bond", "BONDING_MASTER": "yes",
        "BONDING_OPTS": "mode=active-backup miimon=100 primary=eth0",
        "ONBOOT": "yes", "BOOTPROTO": "static", "IPADDR": "192.0.2.10", "PREFIX": "24",
        "GATEWAY": "192.0.2.1", "MTU": "9000", "NM_CONTROLLED": "no",
        "ETHTOOL_OPTS": "-K bond0 gro off",
    }
    assert sourced["ifcfg-eth1"] == {
        "DEVICE": "eth1", "NAME": "eth1", "TYPE": "Ethernet", "MASTER": "bond0",
        "SLAVE": "yes", "BOOTPROTO": "none", "ONBOOT": "yes", "NM_CONTROLLED": "no",
    }
    assert sourced["ifcfg-bond0.100"] == {
        "DEVICE": "bond0.100", "NAME": "bond0.100", "VLAN": "yes", "PHYSDEV": "bond0",
        "ONBOOT": "yes", "BOOTPROTO": "static", "IPADDR": "198.51.100.10",
        "NETMASK": "255.255.255.0", "NM_CONTROLLED": "no",
    }
    for name, text in files.items():
        assert bond_ifcfg.parse(text) == sourced[name]


def test_key_order_is_fixed():
    keys = [line.split("=")[0] for line in
            bond_ifcfg.render_files(make_config(BOND0))["ifcfg-bond0"].splitlines()[1:]]
    assert keys == ["DEVICE", "NAME", "TYPE", "BONDING_MASTER", "BONDING_OPTS", "ONBOOT",
                    "BOOTPROTO", "IPADDR", "PREFIX", "GATEWAY", "MTU", "NM_CONTROLLED",
                    "ETHTOOL_OPTS"]


def test_dhcp_bond_without_ip_keys_and_onboot_no():
    values = bond_ifcfg.parse(bond_ifcfg.render_files(make_config(BOND1))["ifcfg-bond1"])
    assert values["BONDING_OPTS"] == (
        "mode=802.3ad miimon=100 lacp_rate=fast xmit_hash_policy=layer3+4")
    assert values["ONBOOT"] == "no" and values["BOOTPROTO"] == "dhcp"
    assert not {"IPADDR", "PREFIX", "NETMASK", "GATEWAY", "MTU"} & set(values)
    slave = bond_ifcfg.parse(bond_ifcfg.render_files(make_config(BOND1))["ifcfg-eth2"])
    assert slave["ONBOOT"] == "no"


def test_bonding_opts_is_mode_alone_without_options():
    bond = dict(BOND1, options={})
    assert bond_ifcfg.bonding_opts(bond) == "mode=802.3ad"


def test_rendering_is_deterministic():
    config = make_config(BOND1, BOND0)
    reordered = make_config(BOND0, BOND1)
    assert bond_ifcfg.render_files(config) == bond_ifcfg.render_files(reordered)
    assert list(bond_ifcfg.render_files(config)) == sorted(bond_ifcfg.render_files(config))


def test_every_file_names_its_bond_in_the_mark():
    for text in bond_ifcfg.render_files(make_config(BOND0, BOND1)).values():
        owner = bond_ifcfg.managed_owner(text)
        assert owner in ("bond0", "bond1")
        assert text.startswith(f"# Managed by Salt (bond state, {owner}).")


@pytest.mark.parametrize("text, owner", [
    ("# Managed by Salt (bond state, bond0). Local changes will be overwritten.\nA=1\n", "bond0"),
    ("# Managed by Salt (bond state, b(1)). Local changes will be overwritten.", "b(1)"),
    ("# Managed by Salt (bond state, bond0). Local changes will be overwritten. \n", None),
    ("DEVICE=eth0\n# Managed by Salt (bond state, bond0). Local changes will be overwritten.",
     None),
    ("# Managed by Salt\n", None),
    ("# This file is managed by Salt\n", None),
    ("", None),
])
def test_managed_owner_recognises_only_our_mark(text, owner):
    assert bond_ifcfg.managed_owner(text) == owner


@pytest.mark.parametrize("change, message", [
    ({"ifcfg": {"DEVICE": "x"}}, "written by the bond state"),
    ({"ifcfg": {"lower": "x"}}, "must match"),
    ({"ifcfg": {"PATH": "/tmp"}}, "change the shell"),
    ({"ifcfg": {"LD_PRELOAD": "/tmp/x.so"}}, "change the shell"),
    ({"name": "x/../../../escaped"}, "not a valid interface name"),
    ({"name": "bond 0"}, "not a valid interface name"),
    ({"name": "averyveryverylongname"}, "not a valid interface name"),
    ({"slaves": [".."]}, "not a valid interface name"),
    ({"options": {"primary": "eth0 miimon=1"}}, "cannot be written"),
    ({"options": {"primary": "eth*"}}, "cannot be written"),
])
def test_render_refuses_what_would_be_unsafe(change, message):
    bond = dict(copy.deepcopy(BOND0), **change)
    with pytest.raises(ValueError, match=message):
        bond_ifcfg.render_files(make_config(bond))


def test_a_slave_claimed_twice_is_refused():
    other = dict(copy.deepcopy(BOND1), slaves=["eth0"])
    with pytest.raises(ValueError, match="ifcfg-eth0 would be written for two bonds"):
        bond_ifcfg.render_files(make_config(BOND0, other))


# -- injection: the seven payloads of ANCHORS.md, and arbitrary text --------------
PAYLOADS = [
    ("primary", 'eth0"; touch pwned; "'),
    ("primary", "$(touch pwned)"),
    ("ipaddr", "`touch pwned`"),
    ("ipaddr", "192.0.2.10\ntouch pwned"),
    ("master", 'bond0";touch pwned;"'),
    ("interface", "$(touch${IFS}pwned)"),
    ("interface", "x/../../../escaped"),
]


@pytest.mark.parametrize("field, payload", PAYLOADS)
def test_anchors_payloads_are_refused_or_inert(tmp_path, field, payload):
    bond = copy.deepcopy(BOND0)
    if field == "primary":
        bond["options"]["primary"] = payload
    elif field == "ipaddr":
        bond["ipaddr"] = payload
        bond["vlans"][100]["ipaddr"] = payload
    elif field == "master":
        bond["name"] = payload
    else:
        bond["slaves"] = ["eth0", payload]
    try:
        files = bond_ifcfg.render_files(make_config(bond))
    except ValueError:
        return  # refused: nothing written
    assert all("/" not in name for name in files)
    sourced = write_and_source(tmp_path, files)
    assert not (tmp_path / "pwned").exists()
    for name, text in files.items():
        assert bond_ifcfg.parse(text) == sourced[name]
    if field == "ipaddr":
        assert sourced["ifcfg-bond0"]["IPADDR"] == payload
        assert sourced["ifcfg-bond0.100"]["IPADDR"] == payload


FRAGMENTS = [
    "$(touch X)", '"; touch X; "', "`touch X`", "';touch X;'", "$'", "${X}", "$X", "\\",
    '"', "'", "`", "$", "\n", "\t", "\r", "\x01", "\x1b", "\x7f", "\x85", "\u2028", "é",
    "~", "#", "*", "?", "[a]", "{a,b}", ";", "|", "&", "<", ">", " ", "!", "\\n", "$((1+1))",
]
FREE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",))),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bond_value=FREE_TEXT, vlan_value=FREE_TEXT, ipaddr=FREE_TEXT)
def test_free_text_round_trips_through_bash_and_parse(tmp_path_factory, bond_value, vlan_value,
                                                      ipaddr):
    tmp_path = tmp_path_factory.mktemp("src")
    bond = copy.deepcopy(BOND0)
    bond["ifcfg"] = {"ETHTOOL_OPTS": bond_value, "ZONE": bond_value + vlan_value}
    bond["ipaddr"] = ipaddr
    bond["vlans"][100]["ifcfg"] = {"ETHTOOL_OPTS": vlan_value}
    files = bond_ifcfg.render_files(make_config(bond))
    sourced = write_and_source(tmp_path, files)
    assert not list(tmp_path.glob("**/X"))
    assert sourced["ifcfg-bond0"]["ETHTOOL_OPTS"] == bond_value
    assert sourced["ifcfg-bond0"]["ZONE"] == bond_value + vlan_value
    assert sourced["ifcfg-bond0"]["IPADDR"] == ipaddr
    assert sourced["ifcfg-bond0.100"]["ETHTOOL_OPTS"] == vlan_value
    for name, text in files.items():
        assert bond_ifcfg.parse(text) == sourced[name]


@given(value=FREE_TEXT)
def test_quote_then_unquote_is_identity(value):
    assert bond_ifcfg.unquote(bond_ifcfg.quote(value)) == value
    assert "\n" not in bond_ifcfg.quote(value)


# -- the modprobe file ----------------------------------------------------------------
ADMIN_TEXT = "# my own settings\noptions e1000e InterruptThrottleRate=3000\n\nblacklist foo"


def test_modprobe_block_appended_after_the_administrators_lines():
    text = bond_ifcfg.render_modprobe(ADMIN_TEXT, make_config(BOND1, BOND0), MODULE_PARAMS)
    assert text == (
        bond_ifcfg.MODPROBE_MARK + "\n"
        + ADMIN_TEXT + "\n"
        + "# BEGIN bond state (managed by Salt)\n"
        "alias netdev-bond0 bonding\n"
        "alias netdev-bond1 bonding\n"
        "# END bond state (managed by Salt)\n"
    )


def test_modprobe_options_under_the_requested_alias_name():
    bond = dict(copy.deepcopy(BOND0), options={
        "miimon": "100", "updelay": "200", "primary": "eth0",
        "arp_ip_target": "192.0.2.1,192.0.2.2", "not_a_param": "1",
    })
    text = bond_ifcfg.render_modprobe(None, make_config(bond, modprobe_options=True),
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
    once = bond_ifcfg.render_modprobe(existing, config, MODULE_PARAMS)
    assert bond_ifcfg.render_modprobe(once, config, MODULE_PARAMS) == once
    kept = [line for line in once.splitlines() if not line.startswith(("alias netdev-",
                                                                        "options netdev-", "#"))]
    assert kept == [line for line in (existing or "").splitlines() if not line.startswith("#")]
    assert bond_ifcfg.is_managed(once)


def test_modprobe_block_is_replaced_in_place():
    before = bond_ifcfg.render_modprobe("first\n", make_config(BOND0), MODULE_PARAMS)
    before += "last line\n"
    after = bond_ifcfg.render_modprobe(before, make_config(BOND1), MODULE_PARAMS)
    assert after.splitlines()[1:] == [
        "first", "# BEGIN bond state (managed by Salt)", "alias netdev-bond1 bonding",
        "# END bond state (managed by Salt)", "last line",
    ]


def test_modprobe_scope_keeps_the_lines_of_other_bonds():
    both = bond_ifcfg.render_modprobe(None, make_config(BOND0, BOND1), MODULE_PARAMS)
    changed_bond1 = dict(copy.deepcopy(BOND1), mode="balance-xor")
    only_bond1 = make_config(changed_bond1, modprobe_options=True)
    text = bond_ifcfg.render_modprobe(both, only_bond1, MODULE_PARAMS, scope={"bond1"})
    assert "alias netdev-bond0 bonding" in text
    assert "options netdev-bond1 mode=balance-xor" in text
    absent = bond_ifcfg.render_modprobe(text, make_config(), MODULE_PARAMS, scope={"bond0"})
    assert "netdev-bond0" not in absent and "alias netdev-bond1 bonding" in absent


def test_modprobe_block_goes_when_no_bond_remains():
    text = bond_ifcfg.render_modprobe(ADMIN_TEXT, make_config(BOND0), MODULE_PARAMS)
    assert bond_ifcfg.render_modprobe(text, make_config(), MODULE_PARAMS) == ADMIN_TEXT + "\n"
    only_ours = bond_ifcfg.render_modprobe(None, make_config(BOND0), MODULE_PARAMS)
    assert bond_ifcfg.render_modprobe(only_ours, make_config(), MODULE_PARAMS) is None


@pytest.mark.parametrize("existing", [None, "", ADMIN_TEXT])
def test_modprobe_file_without_our_mark_and_no_bonds_is_untouched(existing):
    assert bond_ifcfg.render_modprobe(existing, make_config(), MODULE_PARAMS) == existing


@pytest.mark.parametrize("existing, message", [
    ("# BEGIN bond state (managed by Salt)\nalias netdev-bond0 bonding\n", "without its END"),
    ("# END bond state (managed by Salt)\n", "without its BEGIN"),
])
def test_modprobe_damaged_block_is_an_error_not_a_guess(existing, message):
    with pytest.raises(ValueError, match=message):
        bond_ifcfg.render_modprobe(existing, make_config(BOND0), MODULE_PARAMS)


# -- with the real validator in front ---------------------------------------------------
def test_validated_pillar_renders_and_bash_reads_it(tmp_path):
    config = bond_schema.validate({
        "modprobe_options": True,
        "bonds": {"bond0": {
            "mode": "Active-Backup", "slaves": ["eth0", "eth1"], "miimon": "100",
            "primary": "eth0", "bootproto": "static", "ipaddr": "192.0.2.10", "prefix": 24,
            "gateway": "192.0.2.1", "mtu": 9000, "onboot": True,
            "ifcfg": {"ETHTOOL_OPTS": "-K bond0 gro off"},
            "vlans": {100: {"ipaddr": "198.51.100.10", "prefix": 24}},
        }},
    })
    files = bond_ifcfg.render_files(config)
    assert list(files) == ["ifcfg-bond0", "ifcfg-bond0.100", "ifcfg-eth0", "ifcfg-eth1"]
    sourced = write_and_source(tmp_path, files)
    assert sourced["ifcfg-bond0"]["BONDING_OPTS"] == "mode=active-backup miimon=100 primary=eth0"
    assert sourced["ifcfg-bond0"]["ETHTOOL_OPTS"] == "-K bond0 gro off"
    assert sourced["ifcfg-bond0.100"]["IPADDR"] == "198.51.100.10"
    assert sourced["ifcfg-eth0"]["MASTER"] == "bond0"
    text = bond_ifcfg.render_modprobe(None, config, bond_files.module_param_names())
    assert "options netdev-bond0 mode=active-backup miimon=100 primary=eth0\n" in text
