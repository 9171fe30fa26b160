"""The bonding option table: kernel facts, parsing to canonical text, docs."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from salt_bonding.config import options
from salt_bonding.config.modes import MODES, effective_miimon
from salt_bonding.config.names import ifname_problem
from salt_bonding.config.option_types import OptionValueError
from salt_bonding.config.options import OPTIONS, TABLE

pytestmark = pytest.mark.unit

ISSUE_OPTIONS = (
    "mode miimon updelay downdelay peer_notif_delay use_carrier arp_interval arp_ip_target "
    "ns_ip6_target arp_validate arp_all_targets arp_missed_max primary primary_reselect "
    "fail_over_mac xmit_hash_policy lacp_rate lacp_active ad_select ad_actor_sys_prio "
    "ad_user_port_key ad_actor_system min_links all_slaves_active resend_igmp num_grat_arp "
    "num_unsol_na packets_per_slave tlb_dynamic_lb lp_interval"
).split()


def test_table_holds_every_option_of_issues_4_and_27_in_order():
    assert [option.name for option in TABLE] == ISSUE_OPTIONS


def test_every_row_is_complete():
    for option in TABLE:
        assert option.doc and option.allowed()
        assert set(option.modes) <= set(MODES), option.name
        assert option.kind in ("int", "enum", "switch", "ipv4_list", "ipv6_list", "ifname",
                               "mac")
        if option.kind == "int":
            assert option.minimum <= int(option.default) <= option.maximum, option.name
        if option.kind in ("enum", "switch"):
            names = [name for name, _ in option.values]
            numbers = [number for _, number in option.values]
            assert len(set(names)) == len(names) and len(set(numbers)) == len(numbers)
            assert option.parse(option.default) == option.default, option.name
        if option.needs:
            assert option.needs in OPTIONS


def test_mode_numbers_are_the_kernels():
    assert dict(OPTIONS["mode"].values) == {
        "balance-rr": 0, "active-backup": 1, "balance-xor": 2, "broadcast": 3,
        "802.3ad": 4, "balance-tlb": 5, "balance-alb": 6,
    }


@pytest.mark.parametrize(
    "name, values",
    [
        ("xmit_hash_policy", {"layer2": 0, "layer3+4": 1, "layer2+3": 2, "encap2+3": 3,
                              "encap3+4": 4, "vlan+srcmac": 5}),
        ("arp_validate", {"none": 0, "active": 1, "backup": 2, "all": 3, "filter": 4,
                          "filter_active": 5, "filter_backup": 6}),
        ("primary_reselect", {"always": 0, "better": 1, "failure": 2}),
        ("fail_over_mac", {"none": 0, "active": 1, "follow": 2}),
        ("ad_select", {"stable": 0, "bandwidth": 1, "count": 2}),
        ("arp_all_targets", {"any": 0, "all": 1}),
        ("lacp_rate", {"slow": 0, "fast": 1}),
        ("lacp_active", {"off": 0, "on": 1}),
    ],
)
def test_enum_values_and_numbers_match_bond_options_c(name, values):
    assert dict(OPTIONS[name].values) == values


@pytest.mark.parametrize(
    "name, low, high",
    [
        ("miimon", 0, 2**31 - 1), ("arp_interval", 0, 2**31 - 1),
        ("peer_notif_delay", 0, 300000), ("arp_missed_max", 1, 255),
        ("resend_igmp", 0, 255), ("num_grat_arp", 0, 255), ("num_unsol_na", 0, 255),
        ("packets_per_slave", 0, 65535), ("ad_actor_sys_prio", 1, 65535),
        ("ad_user_port_key", 0, 1023), ("lp_interval", 1, 2**31 - 1),
    ],
)
def test_ranges_match_the_kernel_and_their_edges_parse(name, low, high):
    option = OPTIONS[name]
    assert (option.minimum, option.maximum) == (low, high)
    assert option.parse(low) == str(low) and option.parse(str(high)) == str(high)
    for outside in (low - 1, high + 1):
        with pytest.raises(OptionValueError, match=f"{low}-{high}"):
            option.parse(outside)


def test_module_parameters_match_modinfo_of_the_bonding_module():
    not_params = {option.name for option in TABLE if not option.module_param}
    assert not_params == {
        "peer_notif_delay", "ns_ip6_target", "arp_missed_max", "lacp_active", "ad_actor_sys_prio",
        "ad_user_port_key", "ad_actor_system", "tlb_dynamic_lb",
    }


@pytest.mark.parametrize(
    "name, modes",
    [
        ("arp_interval", {"balance-rr", "active-backup", "balance-xor", "broadcast"}),
        ("primary", {"active-backup", "balance-tlb", "balance-alb"}),
        ("primary_reselect", {"active-backup", "balance-tlb", "balance-alb"}),
        ("lacp_rate", {"802.3ad"}), ("lacp_active", {"802.3ad"}), ("ad_select", {"802.3ad"}),
        ("ad_actor_system", {"802.3ad"}), ("min_links", {"802.3ad"}),
        ("packets_per_slave", {"balance-rr"}),
        ("tlb_dynamic_lb", {"balance-tlb", "balance-alb"}),
        ("xmit_hash_policy", {"balance-xor", "802.3ad", "balance-tlb", "balance-alb"}),
        ("fail_over_mac", {"active-backup"}), ("num_grat_arp", {"active-backup"}),
        ("num_unsol_na", {"active-backup"}), ("peer_notif_delay", {"active-backup"}),
        ("miimon", set(MODES)),
    ],
)
def test_modes_follow_the_kernel_rules(name, modes):
    assert set(OPTIONS[name].modes) == modes


@pytest.mark.parametrize(
    "name, given, canonical",
    [
        ("mode", "Active-Backup", "active-backup"),
        ("mode", 4, "802.3ad"),
        ("mode", "6", "balance-alb"),
        ("mode", "802.3AD", "802.3ad"),
        ("miimon", "100", "100"),
        ("miimon", 100, "100"),
        ("lacp_rate", 1, "fast"),
        ("lacp_rate", "FAST", "fast"),
        ("xmit_hash_policy", "Layer3+4", "layer3+4"),
        ("xmit_hash_policy", "5", "vlan+srcmac"),
        ("arp_validate", 6, "filter_backup"),
        ("use_carrier", True, "1"),
        ("use_carrier", "off", "0"),
        ("lacp_active", False, "0"),
        ("lacp_active", "On", "1"),
        ("all_slaves_active", 1, "1"),
        ("arp_ip_target", ["192.0.2.1", "192.0.2.2"], "192.0.2.1,192.0.2.2"),
        ("arp_ip_target", "192.0.2.1, 192.0.2.2", "192.0.2.1,192.0.2.2"),
        ("arp_ip_target", "192.0.2.1", "192.0.2.1"),
        ("ad_actor_system", "02:AB:cd:00:00:01", "02:ab:cd:00:00:01"),
        ("primary", "eth0", "eth0"),
    ],
)
def test_parse_gives_the_kernels_canonical_text(name, given, canonical):
    assert OPTIONS[name].parse(given) == canonical


@pytest.mark.parametrize(
    "name, bad, fragment",
    [
        ("mode", "active_backup", "did you mean 'active-backup'"),
        ("mode", 7, "balance-rr (0)"),
        ("mode", True, "balance-rr (0)"),
        ("miimon", True, "integer 0-2147483647"),
        ("miimon", "١٠٠", "integer"),
        ("miimon", "0x64", "integer"),
        ("miimon", 1.5, "integer"),
        ("miimon", " 100", "integer"),
        ("lacp_rate", "fats", "did you mean 'fast'"),
        ("lacp_rate", 2, "slow (0), fast (1)"),
        ("use_carrier", 2, "off (0), on (1)"),
        ("use_carrier", "yes", "off (0), on (1)"),
        ("arp_ip_target", [], "empty"),
        ("arp_ip_target", {"a": 1}, "got dict"),
        ("arp_ip_target", [f"192.0.2.{n}" for n in range(1, 18)], "at most 16"),
        ("arp_ip_target", ["0.0.0.0"], "0.0.0.0/8"),
        ("arp_ip_target", ["255.255.255.255"], "broadcast"),
        ("arp_ip_target", ["224.0.0.1"], "multicast"),
        ("arp_ip_target", ["127.0.0.1"], "loopback"),
        ("arp_ip_target", ["192.0.2.1", "192.0.2.1"], "twice"),
        ("arp_ip_target", ["192.0.2.256"], "not an IPv4 address"),
        ("arp_ip_target", ["010.0.0.1"], "not an IPv4 address"),
        ("arp_ip_target", [1], "not an IPv4 address"),
        ("ad_actor_system", "01:00:5e:00:00:01", "multicast"),
        ("ad_actor_system", "00:00:00:00:00:00", "all zeros"),
        ("ad_actor_system", "02:00:00:00:00", "unicast, non-zero MAC"),
        ("ad_actor_system", "02-00-00-00-00-01", "unicast, non-zero MAC"),
        ("primary", "eth0;reboot", "may contain only"),
    ],
)
def test_parse_rejects_with_what_is_allowed(name, bad, fragment):
    with pytest.raises(OptionValueError) as caught:
        OPTIONS[name].parse(bad)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "name",
    ["eth0", "bond0", "enp0s31f6", "bond0.100", "a", "x" * 15, "veth_1-a", "_x"],
)
def test_valid_interface_names(name):
    assert ifname_problem(name) is None


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("", "empty"), ("x" * 16, "at most 15"), (".", "not a valid"), ("..", "not a valid"),
        ("eth/0", "may contain only"), ("eth 0", "may contain only"),
        ("eth:0", "may contain only"), ('eth"0', "may contain only"),
        ("eth'0", "may contain only"), ("eth$0", "may contain only"),
        ("eth`0", "may contain only"), ("eth\\0", "may contain only"),
        ("eth;0", "may contain only"), ("eth\n0", "may contain only"),
        ("eth\x000", "may contain only"), ("-eth0", "may contain only"),
        (".eth0", "may contain only"), ("éth0", "may contain only"),
        ("all", "reserved"), ("default", "reserved"), (5, "got int"), (None, "got NoneType"),
    ],
)
def test_invalid_interface_names(name, fragment):
    assert fragment in ifname_problem(name)


def test_effective_miimon_is_the_kernels_default_in_modes_without_arp():
    assert effective_miimon("802.3ad", None) == 100
    assert effective_miimon("balance-alb", None) == 100
    assert effective_miimon("802.3ad", 0) == 0
    assert effective_miimon("active-backup", None) == 0
    assert effective_miimon("active-backup", 200) == 200


def test_module_params_splits_out_what_modprobe_cannot_take():
    kept, left_out = options.module_params(
        {"miimon": "100", "lacp_active": "1", "lacp_rate": "fast", "ad_actor_sys_prio": "100"}
    )
    assert kept == {"miimon": "100", "lacp_rate": "fast"}
    assert left_out == ["lacp_active", "ad_actor_sys_prio"]


def test_markdown_table_has_one_row_per_option_and_ten_columns():
    lines = options.markdown_table().splitlines()
    assert lines[0].startswith("| Option | Values | Default | Modes | Module parameter |")
    rows = lines[2:]
    assert len(rows) == len(TABLE)
    for option, row in zip(TABLE, rows, strict=True):
        assert row.startswith(f"| `{option.name}` |")
        assert row.replace("\\|", "").count("|") == 11
    lacp_active = ("| `lacp_active` | one of off (0), on (1) | `1` | 802.3ad | no | "
                   "1.44, re-activates the bond | with the bond down | no | no |")
    assert any(line.startswith(lacp_active) for line in rows)
    assert "| `peer_notif_delay` |" in rows[4] and "| 1.32.4, reapplied live |" in rows[4]
    assert "| yes | `bond-miimon` | `mii-monitor-interval` | MII link" in rows[1]


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)


@given(name=st.sampled_from([option.name for option in TABLE]), value=junk)
def test_parse_raises_only_option_value_error(name, value):
    try:
        canonical = OPTIONS[name].parse(value)
    except OptionValueError as exc:
        assert str(exc)
    else:
        # One word of BONDING_OPTS / a modprobe options line: no quoting, no expansion.
        assert re.fullmatch(r"[A-Za-z0-9_.,:+-]+", canonical)
