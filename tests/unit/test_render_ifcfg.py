"""render.ifcfg and render.shell: quoting proven by real bash, render/parse round trip, marks.

(The modprobe block is in test_render_modprobe.py.)
"""

import copy
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from salt_bonding import errors
from salt_bonding.config import model, options, schema
from salt_bonding.render import RENDERERS, ifcfg, modprobe, shell

from tests.harness.shell import source_with_bash

pytestmark = pytest.mark.unit

STATE = "bond.reconciled:bonding"

BOND0 = model.Bond(
    name="bond0", mode="active-backup",
    options={"miimon": "100", "primary": "eth0"},
    slaves=["eth0", "eth1"],
    onboot=True, bootproto="static",
    ipaddr="192.0.2.10", prefix=24, netmask=None, gateway="192.0.2.1",
    mtu=9000, ifcfg={"ETHTOOL_OPTS": "-K bond0 gro off"},
    vlans={100: model.Vlan(vid=100, device="bond0.100", onboot=True, bootproto="static",
                           ipaddr="198.51.100.10", prefix=None, netmask="255.255.255.0",
                           gateway=None, mtu=None, ifcfg={})},
)
BOND1 = model.Bond(
    name="bond1", mode="802.3ad",
    options={"miimon": "100", "lacp_rate": "fast", "xmit_hash_policy": "layer3+4"},
    slaves=["eth2", "eth3"],
    onboot=False, bootproto="dhcp",
    ipaddr=None, prefix=None, netmask=None, gateway=None,
    mtu=None, ifcfg={}, vlans={},
)


def make_config(*bonds, modprobe_options=False):
    return model.Config(
        networkmanager="unmanaged", modprobe_options=modprobe_options,
        bonds={b.name: copy.deepcopy(b) for b in bonds}, warnings=[],
    )


def render_files(config):
    """``{file name: text}`` of every ifcfg file of ``config`` (was bond_ifcfg.render_files)."""
    return RENDERERS["ifcfg"].render_all(config, STATE)


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
    assert shell.quote(value) == word
    assert shell.unquote(word) == value


@pytest.mark.parametrize("value", ["a\0b", "\0", "lone \udc80 surrogate"])
def test_quote_rejects_what_bash_cannot_hold(value):
    with pytest.raises(ValueError):
        shell.quote(value)


@pytest.mark.parametrize("word", ["$(id)", "a b", "`id`", "a;b", '"$x"', '"unterminated',
                                  "$'unterminated", "'unterminated", "a|b", "~"])
def test_unquote_refuses_what_bash_would_expand_or_split(word):
    with pytest.raises(ValueError):
        shell.unquote(word)


def test_unquote_reads_the_other_bash_forms():
    assert shell.unquote("'a b'\"c\"d$'\\x41\\101\\e'") == "a bcdAA\x1b"
    assert shell.unquote('"\\n"') == "\\n"  # backslash stays before other chars


# -- rendered files, sourced by bash ----------------------------------------------
def test_bond_slave_and_vlan_files_as_bash_reads_them(tmp_path):
    files = render_files(make_config(BOND0))
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
        assert ifcfg.parse(text) == sourced[name]


def test_key_order_is_fixed():
    keys = [line.split("=")[0] for line in
            render_files(make_config(BOND0))["ifcfg-bond0"].splitlines()[1:]]
    assert keys == ["DEVICE", "NAME", "TYPE", "BONDING_MASTER", "BONDING_OPTS", "ONBOOT",
                    "BOOTPROTO", "IPADDR", "PREFIX", "GATEWAY", "MTU", "NM_CONTROLLED",
                    "ETHTOOL_OPTS"]


def test_dhcp_bond_without_ip_keys_and_onboot_no():
    values = ifcfg.parse(render_files(make_config(BOND1))["ifcfg-bond1"])
    assert values["BONDING_OPTS"] == (
        "mode=802.3ad miimon=100 lacp_rate=fast xmit_hash_policy=layer3+4")
    assert values["ONBOOT"] == "no" and values["BOOTPROTO"] == "dhcp"
    assert not {"IPADDR", "PREFIX", "NETMASK", "GATEWAY", "MTU"} & set(values)
    slave = ifcfg.parse(render_files(make_config(BOND1))["ifcfg-eth2"])
    assert slave["ONBOOT"] == "no"


def test_bonding_opts_is_mode_alone_without_options():
    bond = replace(BOND1, options={})
    assert ifcfg.bonding_opts(bond) == "mode=802.3ad"


def test_rendering_is_deterministic():
    config = make_config(BOND1, BOND0)
    reordered = make_config(BOND0, BOND1)
    assert render_files(config) == render_files(reordered)
    assert list(render_files(config)) == sorted(render_files(config))


def test_every_file_names_its_bond_and_state_in_the_mark():
    for text in render_files(make_config(BOND0, BOND1)).values():
        mark = ifcfg.read_mark(text)
        assert mark.bond in ("bond0", "bond1") and mark.state == STATE
        assert text.startswith(f"# Managed by Salt (bond state, {mark.bond}; owner {STATE}).")


@pytest.mark.parametrize("text, owner, state", [
    ("# Managed by Salt (bond state, bond0). Local changes will be overwritten.\nA=1\n", "bond0",
     None),  # an earlier version's mark: no owner recorded
    ("# Managed by Salt (bond state, bond0; owner bond.managed:bond0). Local changes will be"
     " overwritten.\n", "bond0", "bond.managed:bond0"),
    ("# Managed by Salt (bond state, b(1)). Local changes will be overwritten.", "b(1)", None),
    ("# Managed by Salt (bond state, bond0). Local changes will be overwritten. \n", None, None),
    ("# Managed by Salt (bond state, bond0; owner ). Local changes will be overwritten.", None,
     None),
    ("DEVICE=eth0\n# Managed by Salt (bond state, bond0). Local changes will be overwritten.",
     None, None),
    ("# Managed by Salt\n", None, None),
    ("# This file is managed by Salt\n", None, None),
    ("", None, None),
])
def test_read_mark_recognises_only_our_mark(text, owner, state):
    assert ifcfg.managed_owner(text) == owner
    mark = ifcfg.read_mark(text)
    assert (mark.bond, mark.state) == (owner, state) if owner else mark is None


@pytest.mark.parametrize("state", ["", "bond.managed:", "bond.managed:a b", "x:bond0",
                                   "bond.managed:bond0)", None])
def test_a_state_that_cannot_stand_in_the_mark_is_refused(state):
    with pytest.raises(ValueError, match="cannot name the state"):
        ifcfg.render_bond(BOND0, state)


@pytest.mark.parametrize("change, message", [
    # (Messages as worded by salt_bonding: extra_key_problem and names.ifname_problem.)
    ({"ifcfg": {"DEVICE": "x"}}, "ifcfg key DEVICE is written by this module"),
    ({"ifcfg": {"lower": "x"}}, r"invalid ifcfg key 'lower': expected \[A-Z\]\[A-Z0-9_\]\*"),
    ({"ifcfg": {"PATH": "/tmp"}}, "change the shell"),
    ({"ifcfg": {"LD_PRELOAD": "/tmp/x.so"}}, "change the shell"),
    ({"name": "x/../../../escaped"}, r"interface name 'x/\.\./\.\./\.\./escaped'"),
    ({"name": "x/../e"}, "interface name 'x/../e' may contain only letters"),
    ({"name": "bond 0"}, "interface name 'bond 0' may contain only letters"),
    ({"name": "averyveryverylongname"}, "Linux allows at most 15"),
    ({"slaves": [".."]}, "not a valid interface name"),
    ({"options": {"primary": "eth0 miimon=1"}}, "cannot be written"),
    ({"options": {"primary": "eth*"}}, "cannot be written"),
])
def test_render_refuses_what_would_be_unsafe(change, message):
    bond = replace(BOND0, **change)
    with pytest.raises(ValueError, match=message):
        render_files(make_config(bond))


def test_a_slave_claimed_twice_is_refused():
    other = replace(BOND1, slaves=["eth0"])
    with pytest.raises(ValueError, match="ifcfg-eth0 would be written for two bonds"):
        render_files(make_config(BOND0, other))


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
    bond = BOND0
    if field == "primary":
        bond = replace(bond, options=dict(bond.options, primary=payload))
    elif field == "ipaddr":
        bond = replace(bond, ipaddr=payload,
                       vlans={100: replace(bond.vlans[100], ipaddr=payload)})
    elif field == "master":
        bond = replace(bond, name=payload)
    else:
        bond = replace(bond, slaves=["eth0", payload])
    try:
        files = render_files(make_config(bond))
    except ValueError:
        return  # refused: nothing written
    assert all("/" not in name for name in files)
    sourced = write_and_source(tmp_path, files)
    assert not (tmp_path / "pwned").exists()
    for name, text in files.items():
        assert ifcfg.parse(text) == sourced[name]
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
    bond = replace(
        BOND0,
        ifcfg={"ETHTOOL_OPTS": bond_value, "ZONE": bond_value + vlan_value},
        ipaddr=ipaddr,
        vlans={100: replace(BOND0.vlans[100], ifcfg={"ETHTOOL_OPTS": vlan_value})},
    )
    files = render_files(make_config(bond))
    sourced = write_and_source(tmp_path, files)
    assert not list(tmp_path.glob("**/X"))
    assert sourced["ifcfg-bond0"]["ETHTOOL_OPTS"] == bond_value
    assert sourced["ifcfg-bond0"]["ZONE"] == bond_value + vlan_value
    assert sourced["ifcfg-bond0"]["IPADDR"] == ipaddr
    assert sourced["ifcfg-bond0.100"]["ETHTOOL_OPTS"] == vlan_value
    for name, text in files.items():
        assert ifcfg.parse(text) == sourced[name]


@given(value=FREE_TEXT)
def test_quote_then_unquote_is_identity(value):
    assert shell.unquote(shell.quote(value)) == value
    assert "\n" not in shell.quote(value)


# -- with the real validator in front ---------------------------------------------------
def test_validated_pillar_renders_and_bash_reads_it(tmp_path):
    config = schema.validate({
        "modprobe_options": True,
        "bonds": {"bond0": {
            "mode": "Active-Backup", "slaves": ["eth0", "eth1"], "miimon": "100",
            "primary": "eth0", "bootproto": "static", "ipaddr": "192.0.2.10", "prefix": 24,
            "gateway": "192.0.2.1", "mtu": 9000, "onboot": True,
            "ifcfg": {"ETHTOOL_OPTS": "-K bond0 gro off"},
            "vlans": {100: {"ipaddr": "198.51.100.10", "prefix": 24}},
        }},
    })
    files = render_files(config)
    assert list(files) == ["ifcfg-bond0", "ifcfg-bond0.100", "ifcfg-eth0", "ifcfg-eth1"]
    sourced = write_and_source(tmp_path, files)
    assert sourced["ifcfg-bond0"]["BONDING_OPTS"] == "mode=active-backup miimon=100 primary=eth0"
    assert sourced["ifcfg-bond0"]["ETHTOOL_OPTS"] == "-K bond0 gro off"
    assert sourced["ifcfg-bond0.100"]["IPADDR"] == "198.51.100.10"
    assert sourced["ifcfg-eth0"]["MASTER"] == "bond0"
    text = modprobe.render_modprobe(None, config, options.MODULE_PARAMS)
    assert "options netdev-bond0 mode=active-backup miimon=100 primary=eth0\n" in text


def test_site_keys_are_written_after_the_known_ones_and_bash_reads_them(tmp_path):
    config = schema.validate({"bonds": {"bond0": {
        "mode": 1, "miimon": 100, "slaves": ["eth0"],
        "ifcfg": {"ETHTOOL_OPTS": "-K bond0 gro off"},
        "ifcfg_site": {"RACK_POSITION": "r12 u3", "TENANT": "$(touch pwned)"}}}})
    text = render_files(config)["ifcfg-bond0"]
    assert text.splitlines()[-3:] == [
        'ETHTOOL_OPTS="-K bond0 gro off"', 'RACK_POSITION="r12 u3"', 'TENANT="\\$(touch pwned)"']
    sourced = write_and_source(tmp_path, {"ifcfg-bond0": text})["ifcfg-bond0"]
    assert (sourced["RACK_POSITION"], sourced["TENANT"]) == ("r12 u3", "$(touch pwned)")


def test_ipv6_and_dns_keys_as_bash_reads_them(tmp_path):
    config = schema.validate({"bonds": {"bond0": {
        "mode": 1, "miimon": 100, "slaves": ["eth0"], "ipaddr": "192.0.2.10", "prefix": 24,
        "ipv6addr": ["2001:db8::10/64", "2001:db8:1::10/64"], "ipv6_defaultgw": "2001:db8::1",
        "ipv6_autoconf": False, "dns": ["192.0.2.53", "2001:db8::53"],
        "domain": ["example.com", "corp.example.com"],
        "vlans": {100: {"dhcpv6c": True}}}}})
    files = render_files(config)
    sourced = write_and_source(tmp_path, files)
    bond0 = sourced["ifcfg-bond0"]
    assert {key: bond0[key] for key in bond0 if key.startswith(("IPV6", "DNS", "DOMAIN"))} == {
        "IPV6INIT": "yes", "IPV6ADDR": "2001:db8::10/64",
        "IPV6ADDR_SECONDARIES": "2001:db8:1::10/64", "IPV6_DEFAULTGW": "2001:db8::1",
        "IPV6_AUTOCONF": "no", "DNS1": "192.0.2.53", "DNS2": "2001:db8::53",
        "DOMAIN": "example.com corp.example.com"}
    assert (sourced["ifcfg-bond0.100"]["IPV6INIT"], sourced["ifcfg-bond0.100"]["DHCPV6C"]) == (
        "yes", "yes")
    assert "IPV6INIT" not in sourced["ifcfg-eth0"]


def test_a_link_local_ipv6_gateway_is_written_with_its_device(tmp_path):
    """initscripts' ipv6_set_default_route adds no route through a link-local gateway with
    neither a scope nor IPV6_DEFAULTDEV: the file names the device, as initscripts ask."""
    config = schema.validate({"bonds": {"bond0": {
        "mode": 1, "miimon": 100, "slaves": ["eth0"], "ipv6addr": "2001:db8::10/64",
        "ipv6_defaultgw": "fe80::1",
        "vlans": {100: {"ipv6addr": "2001:db8:100::10/64"}}}}})
    sourced = write_and_source(tmp_path, render_files(config))
    assert sourced["ifcfg-bond0"]["IPV6_DEFAULTGW"] == "fe80::1%bond0"
    assert config.bonds["bond0"].ipv6_defaultgw == "fe80::1"  # the model keeps the address
    config = schema.validate({"bonds": {"bond0": {
        "mode": 1, "miimon": 100, "slaves": ["eth0"],
        "vlans": {100: {"ipv6addr": "2001:db8:100::10/64", "ipv6_defaultgw": "fe80::1"}}}}})
    sourced = write_and_source(tmp_path, render_files(config))
    assert sourced["ifcfg-bond0.100"]["IPV6_DEFAULTGW"] == "fe80::1%bond0.100"


@pytest.mark.parametrize("key", ["IPV6ADDR", "DNS1", "DOMAIN", "IPV6INIT"])
def test_ipv6_and_dns_keys_are_set_through_their_pillar_keys(key):
    with pytest.raises(errors.UserError) as caught:
        schema.validate({"bonds": {"bond0": {"mode": 1, "miimon": 100, "slaves": ["eth0"],
                                             "ifcfg": {key: "x"}}}})
    assert f"ifcfg key {key} is written by this module" in str(caught.value)


# -- ifcfg files for NetworkManager (RHEL 8): nm-settings-ifcfg-rh(5) ------------------
# Debian's NetworkManager is built without the ifcfg-rh plugin, so these files are
# checked against the plugin's documented rules instead of the plugin itself.
# The keys written, each one ifcfg-rh reads (nm-settings-ifcfg-rh(5), and its
# nms_ifcfg_well_known_keys table, the source of ifcfg_keys.KNOWN_KEYS).
IFCFG_RH_KEYS = {
    "DEVICE", "NAME", "TYPE", "BONDING_MASTER", "BONDING_OPTS", "ONBOOT", "BOOTPROTO",
    "IPADDR", "PREFIX", "NETMASK", "GATEWAY", "MTU", "NM_CONTROLLED", "MASTER", "SLAVE",
    "VLAN", "PHYSDEV", "IPV6INIT", "IPV6ADDR", "IPV6ADDR_SECONDARIES", "IPV6_DEFAULTGW",
    "IPV6_AUTOCONF", "DHCPV6C", "DNS1", "DNS2", "DNS3", "DOMAIN", "AUTOCONNECT_PRIORITY",
    "ETHTOOL_OPTS",
}


def test_files_for_networkmanager_follow_the_ifcfg_rh_rules(tmp_path):
    from tests.harness.golden import HOSTS, host_pillar

    checked = 0
    for host in HOSTS:
        config = replace(schema.validate(host_pillar(host)), networkmanager="managed")
        files = RENDERERS["ifcfg"].render_all(config, STATE)
        (tmp_path / host).mkdir()
        for name, values in write_and_source(tmp_path / host, files).items():
            checked += 1
            assert set(values) <= IFCFG_RH_KEYS, (name, set(values) - IFCFG_RH_KEYS)
            # NM_CONTROLLED=no would make the device unmanaged; yes (or absent) is read.
            assert values["NM_CONTROLLED"] == "yes"
            # ONBOOT -> connection.autoconnect; the priority beats other profiles (-999..999).
            assert values["ONBOOT"] in ("yes", "no")
            assert values["AUTOCONNECT_PRIORITY"] == "100"
            # The connection's interface is DEVICE; the file name is ifcfg-<DEVICE>.
            assert name == f"ifcfg-{values['DEVICE']}"
            if values.get("TYPE") == "Bond":  # a bond: BONDING_MASTER=yes, options parsed
                assert values["BONDING_MASTER"] == "yes"
                words = dict(w.split("=", 1) for w in values["BONDING_OPTS"].split())
                assert words["mode"] in dict(options.OPTIONS["mode"].values)
            elif "MASTER" in values:  # a port: MASTER names the bond's DEVICE, SLAVE=yes
                assert values["SLAVE"] == "yes" and values["TYPE"] == "Ethernet"
                assert f"ifcfg-{values['MASTER']}" in files
                assert "IPADDR" not in values and values["BOOTPROTO"] == "none"
            else:  # a VLAN: VLAN=yes, PHYSDEV the bond, the VLAN ID from DEVICE's .<vid>
                assert values["VLAN"] == "yes" and f"ifcfg-{values['PHYSDEV']}" in files
                assert values["DEVICE"].rsplit(".", 1)[1].isdigit()
            if "IPV6ADDR" in values:  # address/prefix
                assert "/" in values["IPV6ADDR"] and values["IPV6INIT"] == "yes"
            if "DOMAIN" in values:  # space-separated search list
                assert "," not in values["DOMAIN"]
    assert checked >= 10


def test_ns_targets_go_in_bonding_opts_for_networkmanager_and_are_refused_for_initscripts(
        tmp_path):
    """NetworkManager 1.44 and later set BONDING_OPTS' ns_ip6_target over netlink; initscripts'
    ifup echoes it into sysfs, where the kernel has no file for it (test_options_kernel):
    refused there, naming the pillar key and why, and nothing is written."""
    from salt_bonding import plan
    from salt_bonding.host.platform import Stack
    from salt_bonding.render import Locations

    bond = {"mode": "active-backup", "slaves": ["eth0", "eth1"], "miimon": 0,
            "arp_interval": 100, "arp_ip_target": "192.0.2.1",
            "ns_ip6_target": ["2001:db8::1", "fe80::2"]}
    where = Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                      str(tmp_path / "bonding.conf"))
    rhel8 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 8, "osrelease": "8.10"}
    written = plan.plan_reconciled({"bonds": {"bond0": bond}}, "bonding", where, rhel8,
                                   Stack("enabled", False, "1.46.0"))
    text = written.changes[str(tmp_path / "ifcfg" / "ifcfg-bond0")].new
    (tmp_path / "ifcfg-bond0").write_text(text)
    words = source_with_bash(tmp_path / "ifcfg-bond0", tmp_path)["BONDING_OPTS"].split()
    assert "ns_ip6_target=2001:db8::1,fe80::2" in words
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled({"bonds": {"bond0": bond}}, "bonding", where, rhel8,
                             Stack("installed", True, "1.46.0"))
    [(path, message)] = caught.value.errors
    assert path == "bonding:bonds:bond0:ns_ip6_target"
    assert message.startswith("initscripts' ifup writes each BONDING_OPTS option to the bond's "
                              "sysfs file, and the kernel takes ns_ip6_target over netlink only")
    assert not (tmp_path / "ifcfg").exists()


def test_the_bonds_mac_address_is_macaddr_in_its_file_only(tmp_path):
    bond = schema.validate_bond("bond0", {"mode": "active-backup", "slaves": ["eth0"],
                                          "miimon": 100, "macaddr": "02:AB:cd:00:00:01"})
    files = RENDERERS["ifcfg"].render(bond, STATE, False)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert source_with_bash(tmp_path / "ifcfg-bond0", tmp_path)["MACADDR"] == "02:ab:cd:00:00:01"
    assert "MACADDR" not in source_with_bash(tmp_path / "ifcfg-eth0", tmp_path)
    with pytest.raises(errors.UserError, match="MACADDR is written by this module"):
        schema.validate_bond("bond0", {"mode": "active-backup", "slaves": ["eth0"],
                                       "miimon": 100, "ifcfg": {"MACADDR": "02:00:00:00:00:01"}})


@pytest.mark.parametrize("line, value", [
    ("ONBOOT='no' # disabled", "no"), ('NAME="a b"c # x', "a bc"), ("V=no#x", "no#x"),
    ("V=a\\ b", "a b"), ('V="say \\"hi\\""', 'say "hi"'), ("V=", ""), ("V=x;y", "x"),
])
def test_the_lenient_reader_reads_a_value_as_bash_does(line, value, tmp_path):
    assert ifcfg.read_lenient(f"# a comment\n{line}\nnot an assignment\n") == {
        line.split("=", 1)[0]: value}
    path = tmp_path / "ifcfg-x"
    path.write_text(f"{line}\n")
    run_dir = tmp_path / "cwd"
    run_dir.mkdir()
    assert source_with_bash(path, run_dir)[line.split("=", 1)[0]] == value


def test_slave_settings_are_the_ports_bond_port_keys_for_networkmanager_and_refused_for_initscripts(
        tmp_path):
    """NetworkManager's ifcfg-rh reads a port's BOND_PORT_QUEUE_ID (1.34) and BOND_PORT_PRIO
    (1.42.8) from the port's own file (make_bond_port_setting, nms-ifcfg-rh-reader.c; not
    its BONDING_OPTS); initscripts' ifup-eth has no per-slave setting (it writes only
    primary after enslaving): refused there, saying why and the ways out."""
    from salt_bonding import plan
    from salt_bonding.host.platform import Stack
    from salt_bonding.render import Locations

    bond = {"mode": "active-backup", "miimon": 100,
            "slaves": {"eth0": {"queue_id": 2, "prio": -3}, "eth1": {"prio": 0}, "eth2": None}}
    where = Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                      str(tmp_path / "bonding.conf"))
    rhel8 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 8, "osrelease": "8.10"}
    written = plan.plan_reconciled({"bonds": {"bond0": bond}}, "bonding", where, rhel8,
                                   Stack("enabled", False, "1.46.0"))
    read = {}
    for name in ("bond0", "eth0", "eth1", "eth2"):
        text = written.changes[str(tmp_path / "ifcfg" / f"ifcfg-{name}")].new
        (tmp_path / f"ifcfg-{name}").write_text(text)
        read[name] = source_with_bash(tmp_path / f"ifcfg-{name}", tmp_path)
    assert (read["eth0"]["BOND_PORT_QUEUE_ID"], read["eth0"]["BOND_PORT_PRIO"]) == ("2", "-3")
    assert read["eth0"]["MASTER"] == "bond0" and "queue_id" not in read["bond0"]["BONDING_OPTS"]
    for name in ("bond0", "eth1", "eth2"):  # 0 is the default, left out as NM writes it
        assert not {"BOND_PORT_QUEUE_ID", "BOND_PORT_PRIO"} & set(read[name]), name
    # NetworkManager 1.40 (RHEL 8.7-8.10) reads queue_id but not prio.
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled({"bonds": {"bond0": bond}}, "bonding", where, rhel8,
                             Stack("enabled", False, "1.40.16"))
    assert [path for path, _ in caught.value.errors] == [
        "bonding:bonds:bond0:slaves:eth0:prio", "bonding:bonds:bond0:slaves:eth1:prio"]
    assert "NetworkManager before 1.42.8 drops slave setting prio from the ifcfg files" in (
        caught.value.errors[0][1])
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled({"bonds": {"bond0": bond}}, "bonding", where, rhel8,
                             Stack("installed", True, "1.46.0"))
    assert [path for path, _ in caught.value.errors] == [
        "bonding:bonds:bond0:slaves:eth0:queue_id", "bonding:bonds:bond0:slaves:eth0:prio",
        "bonding:bonds:bond0:slaves:eth1:prio"]
    assert caught.value.errors[0][1] == (
        "initscripts' network-scripts have no per-slave setting (ifup-eth sets only primary "
        "after enslaving): the slave would come up without queue_id at every boot; leave it "
        "out, or let NetworkManager read the files (networkmanager: managed, ifcfg files it "
        "reads as BOND_PORT_* keys, or keyfiles)")
    assert not (tmp_path / "ifcfg").exists()
    # The keys are ours: not an extra ifcfg key.
    with pytest.raises(errors.UserError, match="BOND_PORT_PRIO is written by this module"):
        schema.validate_bond("bond0", {**bond, "ifcfg": {"BOND_PORT_PRIO": "1"}})


def test_initscripts_really_have_no_per_slave_setting():
    """What the refusal above says, read off the vendored network-scripts (10.00.19)."""
    from pathlib import Path

    scripts = Path(__file__).parents[1] / "vendor" / "initscripts-10.00.19" / "network-scripts"
    text = "".join(path.read_text(errors="replace") for path in scripts.iterdir())
    assert "ifup-eth" in {path.name for path in scripts.iterdir()}
    for word in ("queue_id", "BOND_PORT", "bonding_slave", "type bond_slave"):
        assert word not in text, word
    # (ifup-eth's one "priority" is a bridge's STP priority.)
