"""activate.kernel_plan: the minimal, ordered operations from a running bond to the
desired one (and back, for rollback). What the driver accepts live is the option table's
``live`` (measured in tests/kernel/test_options_kernel.py); running these operations
against the real driver is the kernel tier's job."""

import dataclasses

import pytest
from salt_bonding.activate.kernel_plan import default_text, option_values, plan_bond
from salt_bonding.config import model, schema
from salt_bonding.config.options import OPTIONS, TABLE
from salt_bonding.observe import status

from tests.harness.saltcall import REPO

pytestmark = pytest.mark.unit


def bond(name="bond0", **settings):
    settings.setdefault("mode", "active-backup")
    settings.setdefault("slaves", ["eth0", "eth1"])
    settings.setdefault("miimon", 100)
    return schema.validate_bond(name, settings)


KERNEL_DEFAULTS = {option.name: default_text(option) for option in TABLE[1:]}


def live(desired):
    """A bond as the kernel reports it after ``desired`` was applied: every option there
    is, the ones outside its mode at their defaults."""
    return dataclasses.replace(desired, options={**KERNEL_DEFAULTS, **option_values(desired)})


def said(ops):
    return [op.says for op in ops]


def test_an_unchanged_bond_gets_nothing():
    desired = bond(ipaddr="192.0.2.10", prefix=24, mtu=9000, vlans={100: {}})
    assert plan_bond(desired, live(desired)) == ([], False)


def test_a_live_option_is_written_in_place():
    desired = bond(miimon=200, updelay=400)
    ops, bounced = plan_bond(desired, live(bond()))
    assert not bounced
    assert said(ops) == ["bond0: miimon 100 -> 200", "bond0: updelay 0 -> 400"]
    assert [op.args for op in ops] == [("bond0/bonding/miimon", "200"),
                                       ("bond0/bonding/updelay", "400")]


def test_a_mode_change_releases_the_slaves_and_says_bounced():
    desired = bond(mode="802.3ad", lacp_rate="fast")
    ops, bounced = plan_bond(desired, live(bond()))
    assert bounced
    assert said(ops) == [
        "bond0: eth0 released", "bond0: eth1 released", "bond0 down",
        "bond0: mode active-backup -> 802.3ad", "bond0: lacp_rate slow -> fast", "bond0 up",
        "bond0: eth0 down to be enslaved", "bond0: eth0 enslaved",
        "bond0: eth1 down to be enslaved", "bond0: eth1 enslaved"]


def test_slaves_come_and_go_one_by_one_without_taking_the_bond_down():
    ops, bounced = plan_bond(bond(slaves=["eth1", "eth2"]), live(bond()))
    assert not bounced
    assert said(ops) == ["bond0: eth0 released", "bond0: eth2 down to be enslaved",
                         "bond0: eth2 enslaved"]


def test_primary_is_written_after_the_slave_it_names_is_enslaved():
    ops, _ = plan_bond(bond(slaves=["eth0", "eth2"], primary="eth2"), live(bond()))
    assert said(ops)[-1] == "bond0: primary unset -> eth2"
    assert said(ops).index("bond0: eth2 enslaved") < len(ops) - 1


def test_an_option_left_out_goes_back_to_the_kernels_default():
    ops, _ = plan_bond(bond(), live(bond(primary="eth1", updelay=200)))
    assert said(ops) == ["bond0: updelay 200 -> 0", "bond0: primary eth1 -> unset"]


def test_arp_targets_are_added_and_removed_one_by_one_before_the_interval():
    current = live(bond(miimon=0, arp_interval=1000, arp_ip_target=["192.0.2.1", "192.0.2.2"]))
    desired = bond(miimon=0, arp_interval=500, arp_ip_target=["192.0.2.2", "192.0.2.3"])
    ops, _ = plan_bond(desired, current)
    assert [op.args for op in ops] == [
        ("bond0/bonding/arp_ip_target", "-192.0.2.1"),
        ("bond0/bonding/arp_ip_target", "+192.0.2.3"),
        ("bond0/bonding/arp_interval", "500")]


def test_ns_targets_are_set_all_at_once_over_netlink_before_the_interval():
    arp = {"miimon": 0, "arp_ip_target": "192.0.2.1"}
    current = live(bond(arp_interval=1000, ns_ip6_target="2001:db8::1", **arp))
    desired = bond(arp_interval=500, ns_ip6_target=["2001:DB8::2", "fe80::1"], **arp)
    ops, bounced = plan_bond(desired, current)
    assert not bounced
    assert [(op.kind, op.args) for op in ops] == [
        ("ip", ("link", "set", "bond0", "type", "bond", "ns_ip6_target",
                "2001:db8::2,fe80::1")),
        ("sysfs", ("bond0/bonding/arp_interval", "500"))]
    # Left out: the list is emptied, as the kernel's default.
    ops, _ = plan_bond(bond(arp_interval=1000, **arp), current)
    assert [op.args for op in ops] == [
        ("link", "set", "bond0", "type", "bond", "ns_ip6_target", "")]
    assert said(ops) == ["bond0: ns_ip6_target 2001:db8::1 -> none"]


def test_a_new_bond_is_created_configured_raised_and_filled():
    desired = bond(mode="802.3ad", lacp_rate="fast", ipaddr="192.0.2.10", prefix=24,
                   gateway="192.0.2.1", mtu=9000, vlans={100: {"ipaddr": "198.51.100.10",
                                                               "prefix": 24}})
    ops, bounced = plan_bond(desired, None)
    assert not bounced
    assert said(ops) == [
        "bond0 created", "bond0: mode unset -> 802.3ad",  # miimon 100: the kernel's own
        "bond0: lacp_rate slow -> fast", "bond0 up",
        "bond0: eth0 down to be enslaved", "bond0: eth0 enslaved",
        "bond0: eth1 down to be enslaved", "bond0: eth1 enslaved",
        "bond0: MTU 9000", "bond0: address 192.0.2.10/24 added",
        "bond0: default route via 192.0.2.1",
        "bond0.100 created (VLAN 100 on bond0)", "bond0.100 up",
        "bond0.100: address 198.51.100.10/24 added"]
    assert ops[0].args == ("link", "add", "bond0", "type", "bond")
    assert ops[-3].args == ("link", "add", "link", "bond0", "name", "bond0.100", "type",
                            "vlan", "id", "100")


@pytest.mark.parametrize("current", [None, live(bond(miimon=0))])
def test_what_setting_the_mode_changes_is_written_back_as_pillar_says(current):
    """Setting a mode without the ARP monitor turns MII monitoring on (100 ms) when it is
    off (bond_option_mode_set): miimon 0 has to be written after the mode, or the bond
    runs the kernel's choice, not pillar's."""
    ops, _ = plan_bond(bond(mode="802.3ad", miimon=0), current)
    steps = said(ops)
    assert steps.index("bond0: miimon 100 -> 0") == steps.index(
        next(s for s in steps if s.startswith("bond0: mode "))) + 1
    # A mode with the ARP monitor leaves it, and the ARP monitor is turned off by the other.
    ops, _ = plan_bond(bond(mode="balance-rr", miimon=0), None)
    assert not any("miimon" in s for s in said(ops))
    arp = live(bond(miimon=0, arp_interval=100, arp_ip_target="192.0.2.1"))
    ops, _ = plan_bond(bond(mode="balance-alb", miimon=200), arp)
    assert "bond0: miimon 100 -> 200" in said(ops)
    assert not any("arp_interval" in s for s in said(ops))


def test_addresses_mtu_and_vlans_change_in_place():
    current = live(bond(ipaddr="192.0.2.10", prefix=24, gateway="192.0.2.1",
                        vlans={100: {}, 200: {}}))
    desired = bond(ipaddr="192.0.2.11", netmask="255.255.255.0", mtu=1400,
                   ipv6addr=["2001:db8::10/64"], vlans={100: {"ipaddr": "198.51.100.10",
                                                              "prefix": 24}})
    ops, bounced = plan_bond(desired, current)
    assert not bounced
    assert said(ops) == [
        "bond0: MTU 1400", "bond0: address 192.0.2.10/24 removed",
        "bond0: address 192.0.2.11/24 added", "bond0: address 2001:db8::10/64 added",
        "bond0: default route via 192.0.2.1 removed", "bond0.200 removed",
        "bond0.100: address 198.51.100.10/24 added"]


def test_a_removed_bond_goes_with_its_vlans():
    ops, _ = plan_bond(None, live(bond(vlans={100: {}})))
    assert [op.args for op in ops] == [("link", "del", "bond0.100"), ("link", "del", "bond0")]
    assert plan_bond(None, None) == ([], False)


def test_rollback_is_the_same_plan_the_other_way():
    """Planning from the changed bond back to the snapshot undoes the change."""
    before = live(bond(primary="eth0"))
    after = bond(mode="balance-xor", slaves=["eth1", "eth2"], xmit_hash_policy="layer3+4")
    forward, _ = plan_bond(after, before)
    back, bounced = plan_bond(before, live(after))
    assert forward and back and bounced
    assert said(back)[-1] == "bond0: primary unset -> eth0"
    assert "bond0: mode balance-xor -> active-backup" in said(back)


def test_an_option_the_kernel_takes_only_while_down_keeps_the_slaves():
    """lacp_rate: the driver refuses it on a bond that is up (option table ``live``)."""
    current = live(bond(mode="802.3ad"))
    ops, bounced = plan_bond(bond(mode="802.3ad", lacp_rate="fast"), current)
    assert not bounced
    assert said(ops) == ["bond0 down", "bond0: lacp_rate slow -> fast", "bond0 up"]


# -- the current side, read from real kernels (tests/captures) ---------------------
CAPTURES = sorted(p for p in (REPO / "tests" / "captures").iterdir()
                  if (p / "sys/class/net/bonding_masters").exists())


def captured_bonds(capture):
    """``{name: Bond}`` as the kernel reader sees a capture: mode, every option, slaves."""
    sysfs = str(capture / "sys/class/net")
    bonds = {}
    for name in (capture / "sys/class/net/bonding_masters").read_text().split():
        options = status.read_options(name, sysfs)
        slaves = (capture / f"sys/class/net/{name}/bonding/slaves").read_text().split()
        bonds[name] = model.Bond(name=name, mode=options.pop("mode"), options=options,
                                 slaves=slaves)
    return bonds


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_what_sysfs_shows_is_canonical_and_defaults_need_no_writes(capture):
    """Every option read from a real kernel is in the table's canonical form (parse is
    identity), and a desired bond that gives only the non-default options plans no
    operation against it: the table's defaults are what the driver shows."""
    for name, current in captured_bonds(capture).items():
        for option, text in current.options.items():
            if text and text != default_text(OPTIONS[option]):
                assert OPTIONS[option].parse(text) == text, (capture.name, option, text)
        given = {option: text for option, text in current.options.items()
                 if current.mode in OPTIONS[option].modes
                 and text != default_text(OPTIONS[option])}
        desired = dataclasses.replace(current, options=given)
        assert plan_bond(desired, current) == ([], False), (capture.name, name, given)


def test_arp_targets_and_enums_read_as_the_table_writes_them():
    bonds = captured_bonds(REPO / "tests/captures/arp-monitor-two-targets")
    (bond0,) = bonds.values()
    assert bond0.options["arp_ip_target"] == "192.0.2.1,192.0.2.2"
    lacp = captured_bonds(REPO / "tests/captures/mode-802.3ad")["bond0"]
    assert (lacp.mode, lacp.options["xmit_hash_policy"], lacp.options["lacp_active"]) == (
        "802.3ad", "layer3+4", "1")


# -- which bonds a run brings live, and what activate: kernel refuses ---------------
def where(tmp_path):
    from salt_bonding.render import Locations

    return Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                     str(tmp_path / "bonding.conf"))


RHEL7 = {"os": "CentOS", "os_family": "RedHat", "osmajorrelease": 7}


def test_only_bonds_whose_files_change_go_live(tmp_path):
    from salt_bonding import plan
    from salt_bonding.host import files
    from salt_bonding.host.platform import Stack

    pillar = {"activate": "kernel", "bonds": {
        "bond0": {"mode": 1, "miimon": 100, "slaves": ["eth0"]},
        "bond1": {"mode": 1, "miimon": 100, "slaves": ["eth1"], "activate": "none"},
        "bond2": {"mode": 1, "miimon": 100, "slaves": ["eth2"]}}}
    first = plan.plan_reconciled(pillar, "bonding", where(tmp_path), RHEL7, Stack())
    assert list(plan.to_activate(first)) == ["kernel"]
    assert sorted(plan.to_activate(first)["kernel"]) == ["bond0", "bond2"]
    files.apply(first.changes)
    pillar["bonds"]["bond0"]["miimon"] = 200
    del pillar["bonds"]["bond2"]
    second = plan.plan_reconciled(pillar, "bonding", where(tmp_path), RHEL7, Stack())
    wanted = plan.to_activate(second)
    assert wanted == {"kernel": {"bond0": second.config.bonds["bond0"], "bond2": None}}


@pytest.mark.parametrize("pillar, stack, message", [
    ({"activate": "kernel", "bonds": {"bond0": {"mode": 1, "slaves": ["eth0"], "miimon": 100,
                                                "bootproto": "dhcp"}}},
     None, "kernel cannot bring bond0 live: it takes its address from DHCP"),
    ({"activate": "kernel", "networkmanager": "managed",
      "bonds": {"bond0": {"mode": 1, "miimon": 100, "slaves": ["eth0"]}}},
     None, "kernel, but NetworkManager manages bond0 on this minion"),
    ({"activate": "ifup", "format": "keyfile",
      "bonds": {"bond0": {"mode": 1, "miimon": 100, "slaves": ["eth0"]}}},
     None, "ifup, but bond0's files here are NetworkManager keyfiles: initscripts do not"),
    ({"activate": "nmcli", "networkmanager": "unmanaged",
      "bonds": {"bond0": {"mode": 1, "miimon": 100, "slaves": ["eth0"]}}},
     None, "nmcli, but NetworkManager does not read bond0's files on this minion"),
])
def test_what_kernel_activation_cannot_do_is_refused_before_writing(tmp_path, pillar, stack,
                                                                      message):
    from salt_bonding import errors, plan
    from salt_bonding.host.platform import Stack

    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled(pillar, "bonding", where(tmp_path), RHEL7, stack or Stack())
    ((path, said),) = caught.value.errors
    assert path == "bonding:activate" and message in said, caught.value.errors
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("settings, seconds", [
    ({"miimon": 100}, 0.1),
    ({"miimon": 200}, 0.2),
    ({"miimon": 0}, 0.1),
    ({"miimon": 500, "updelay": 1000}, 1.5),
    ({"miimon": 0, "arp_interval": 1000, "arp_ip_target": ["192.0.2.1"]}, 6.0),
])
def test_verification_waits_for_the_link_monitors_to_judge(settings, seconds):
    from salt_bonding.activate.verify import settle_seconds

    assert settle_seconds(bond(**settings)) == seconds


def test_a_mac_address_is_set_before_slaves_are_enslaved_and_only_when_it_differs():
    desired = bond(macaddr="02:00:00:00:00:0a")
    ops, _ = plan_bond(desired, None)
    assert said(ops).index("bond0: MAC the kernel's -> 02:00:00:00:00:0a") < said(ops).index(
        "bond0: eth0 enslaved")
    running = live(bond())
    ops, bounced = plan_bond(desired, dataclasses.replace(running, macaddr="02:00:00:00:00:0b"))
    assert not bounced
    assert [op.args for op in ops] == [("link", "set", "bond0", "address", "02:00:00:00:00:0a")]
    assert plan_bond(desired, dataclasses.replace(running, macaddr="02:00:00:00:00:0a")) == (
        [], False)
    # Left out of pillar: the MAC the bond holds stays.
    assert plan_bond(bond(), dataclasses.replace(running, macaddr="02:00:00:00:00:0b")) == (
        [], False)


def test_each_step_shows_the_ip_command_that_makes_the_same_change():
    """An operation's ``args`` is for people (``test=True``, comments): for each change ip
    would make, ``ip <args>`` is that very change (the harness's reading of ip's shapes
    gives back the same typed operation); sysfs writes show their path and value."""
    from tests.harness import ip_ops

    first = bond(slaves={"eth0": {"prio": -3, "queue_id": 1}, "eth1": None},
                 ipaddr="192.0.2.10", prefix=24, gateway="192.0.2.1", mtu=9000,
                 ipv6addr="2001:db8::10/64", ipv6_defaultgw="2001:db8::1",
                 macaddr="02:00:00:00:00:0a", vlans={100: {"ipaddr": "198.51.100.2",
                                                           "prefix": 24}})
    second = bond(mode="balance-alb", slaves=["eth1", "eth2"], ipaddr="192.0.2.11", prefix=24,
                  gateway="192.0.2.2", vlans={200: {}})
    arp = bond(mode="active-backup", miimon=0, arp_interval=100, arp_ip_target="192.0.2.1",
               ns_ip6_target="2001:db8::1")
    steps = (plan_bond(first, None)[0] + plan_bond(second, live(first))[0]
             + plan_bond(arp, live(second))[0] + plan_bond(None, live(second))[0])
    kinds = set()
    for op in steps:
        kinds.add(type(op).__name__)
        if op.kind == "ip":
            assert ip_ops.operation(op.args, op.bond, op.says) == op, op
        else:
            assert op.kind == "sysfs" and op.args == (op.path, op.value), op
    assert kinds == {"SysfsWrite", "LinkState", "LinkAddress", "LinkMtu", "BondNetlinkOption",
                     "BondAdd", "VlanAdd", "LinkDelete", "AddressChange", "DefaultRoute",
                     "SlaveSetting"}


# -- per-slave settings (config/ports.py) ------------------------------------------------
def test_slave_settings_are_set_after_enslaving_and_only_where_they_differ():
    desired = bond(slaves={"eth0": {"queue_id": 2, "prio": 7}, "eth1": None})
    ops, bounced = plan_bond(desired, None)
    assert said(ops)[-2:] == ["bond0: eth0 queue_id 0 -> 2", "bond0: eth0 prio 0 -> 7"]
    assert said(ops).index("bond0: eth0 enslaved") < len(ops) - 2
    assert ops[-1].args == ("link", "set", "eth0", "type", "bond_slave", "prio", "7")
    assert plan_bond(desired, live(desired)) == ([], False)


def test_slave_settings_change_in_place_and_go_back_to_0_when_left_out():
    running = live(bond(slaves={"eth0": {"queue_id": 2, "prio": 7}, "eth1": {"prio": 1}}))
    ops, bounced = plan_bond(bond(slaves={"eth0": {"prio": -1}, "eth1": None}), running)
    assert not bounced
    assert said(ops) == ["bond0: eth0 queue_id 2 -> 0", "bond0: eth0 prio 7 -> -1",
                         "bond0: eth1 prio 1 -> 0"]


def test_two_slaves_trade_queue_ids_through_0():
    """The kernel refuses a non-zero queue_id another slave of the bond holds."""
    running = live(bond(slaves={"eth0": {"queue_id": 1}, "eth1": {"queue_id": 2}}))
    ops, _ = plan_bond(bond(slaves={"eth0": {"queue_id": 2}, "eth1": {"queue_id": 1}}),
                       running)
    assert said(ops) == ["bond0: eth0 queue_id 1 -> 0", "bond0: eth1 queue_id 2 -> 0",
                         "bond0: eth0 queue_id 0 -> 2", "bond0: eth1 queue_id 0 -> 1"]


def test_a_queue_id_given_up_is_freed_before_another_slave_takes_it():
    running = live(bond(slaves={"eth0": {"queue_id": 1}, "eth1": {"queue_id": 3}}))
    ops, _ = plan_bond(bond(slaves={"eth1": {"queue_id": 1}, "eth0": None}), running)
    assert said(ops) == ["bond0: eth0 queue_id 1 -> 0", "bond0: eth1 queue_id 3 -> 1"]
    # Not taken by another: changed in one step.
    ops, _ = plan_bond(bond(slaves={"eth0": {"queue_id": 2}, "eth1": {"queue_id": 3}}), running)
    assert said(ops) == ["bond0: eth0 queue_id 1 -> 2"]


def test_a_slave_enslaved_again_starts_from_the_kernels_defaults():
    running = live(bond(slaves={"eth0": {"prio": 5}, "eth1": None}))
    ops, bounced = plan_bond(bond(mode="balance-tlb", slaves={"eth0": {"prio": 5}}), running)
    assert bounced and said(ops)[-1] == "bond0: eth0 prio 0 -> 5"
    # A slave moved to another bond: its settings went with its release.
    ops, _ = plan_bond(bond(name="bond1", slaves={"eth0": {"prio": 5}}), None)
    assert "bond1: eth0 prio 0 -> 5" in said(ops)


@pytest.mark.parametrize("given, other", [("num_grat_arp", "num_unsol_na"),
                                          ("num_unsol_na", "num_grat_arp")])
def test_one_parameter_under_two_names_is_one_desired_value(given, other):
    """num_grat_arp and num_unsol_na are one kernel parameter: given one, the kernel shows
    both at its value, and that is no drift (the other's default was wanted before, so a
    bond with num_grat_arp alone never verified: found by Debian's ifup, issue #28)."""
    desired = bond(**{given: 3})
    assert option_values(desired)[other] == "3"
    kernel = dataclasses.replace(desired, options={**KERNEL_DEFAULTS, **desired.options,
                                                   other: "3"})
    assert plan_bond(desired, kernel) == ([], False)
    ops, _ = plan_bond(desired, None)  # a new bond: written 3, under either name
    assert {op.args[1] for op in ops if given in op.args[0] or other in op.args[0]} == {"3"}
