"""Per-slave settings (config/ports.py): ``slaves`` as a mapping, each error at its pillar
path saying what is allowed, and the table every later stage reads."""

import pytest
from salt_bonding.config import ports
from salt_bonding.config.modes import MODES
from salt_bonding.config.schema import validate, validate_bond
from salt_bonding.errors import UserError

pytestmark = pytest.mark.unit
B = "bonding:bonds:bond0"


def bond(mode="active-backup", slaves=None, **extra):
    return {"mode": mode, "miimon": 100, "slaves": slaves, **extra}


def errors_of(bond_value):
    with pytest.raises(UserError) as caught:
        validate({"bonds": {"bond0": bond_value}})
    return caught.value.errors


def test_a_mapping_is_slaves_with_their_settings_and_a_list_means_none():
    config = validate({"bonds": {
        "bond0": bond(slaves={"eth0": {"queue_id": 1, "prio": -7}, "eth1": None,
                              "eth2": {}}),
        "bond1": bond(slaves=["eth3", "eth4"])}})
    assert config.bonds["bond0"].slaves == ["eth0", "eth1", "eth2"]
    assert config.bonds["bond0"].ports == {"eth0": {"queue_id": 1, "prio": -7}}
    assert config.bonds["bond1"].ports == {}
    as_list = validate({"bonds": {"bond0": bond(slaves=["eth3", "eth4"])}})
    as_mapping = validate({"bonds": {"bond0": bond(slaves={"eth3": None, "eth4": {}})}})
    assert as_list == as_mapping


def test_numbers_are_read_as_yaml_may_give_them():
    config = validate({"bonds": {"bond0": bond(slaves={"eth0": {"queue_id": "3",
                                                                "prio": "-2147483648"}})}})
    assert config.bonds["bond0"].ports == {"eth0": {"queue_id": 3, "prio": -2**31}}


@pytest.mark.parametrize(("settings", "path", "fragment"), [
    ({"eth0": {"prio": 2**31}}, "eth0:prio",
     "invalid prio 2147483648: expected an integer -2147483648-2147483647 (the kernel's "
     "signed 32-bit integer)"),
    ({"eth0": {"prio": "high"}}, "eth0:prio", "invalid prio 'high'"),
    ({"eth0": {"prio": True}}, "eth0:prio", "invalid prio"),
    ({"eth0": {"prio": "--1"}}, "eth0:prio", "invalid prio '--1'"),
    ({"eth0": {"queue_id": -1}}, "eth0:queue_id",
     "expected an integer 0-255 (the kernel takes up to the bonding module's tx_queues, 16 "
     "unless set, 255 at most)"),
    ({"eth0": {"queue_id": 256}}, "eth0:queue_id", "expected an integer 0-255"),
    ({"eth0": {"queue_id": 2}, "eth1": {"queue_id": 2}}, "eth1:queue_id",
     "queue_id 2 is eth0's too: the kernel takes a non-zero queue_id for one slave of a "
     "bond only"),
    ({"eth0": {"priority": 1}}, "eth0:priority",
     "unknown slave setting 'priority' in bonding:bonds:bond0:slaves:eth0; did you mean "
     "'prio'?"),
    ({"eth0": {"queue-id": 1}}, "eth0:queue-id", "did you mean 'queue_id'?"),
    ({"eth0": 5}, "eth0", "expected a mapping of slave settings (queue_id, prio), or nothing, "
                          "got int 5"),
    ({"eth0": ["queue_id"]}, "eth0", "expected a mapping of slave settings"),
    ({"bond0": None}, "bond0", "bond bond0 cannot be its own slave"),
    ({"eth/0": None}, "eth/0", ""),
])
def test_bad_slave_settings_are_refused_at_their_path(settings, path, fragment):
    errors = errors_of(bond(slaves=settings))
    messages = [message for where, message in errors if where == f"{B}:slaves:{path}"]
    assert messages and any(fragment in message for message in messages), errors


def test_zero_queue_ids_may_repeat_and_two_bonds_may_share_one():
    config = validate({"bonds": {
        "bond0": bond(slaves={"eth0": {"queue_id": 0}, "eth1": {"queue_id": 0}}),
        "bond1": bond(slaves={"eth2": {"queue_id": 1}, "eth3": None}),
        "bond2": bond(slaves={"eth4": {"queue_id": 1}})}})
    assert config.bonds["bond2"].ports == {"eth4": {"queue_id": 1}}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("option", ports.TABLE, ids=lambda option: option.name)
def test_each_setting_is_refused_where_the_mode_ignores_it_saying_where_it_works(mode, option):
    pillar = bond(mode=mode, slaves={"eth0": {option.name: 1}})
    if mode in option.modes:
        assert validate({"bonds": {"bond0": pillar}}).bonds["bond0"].ports == {
            "eth0": {option.name: 1}}
        return
    phrase = "modes " + ", ".join(option.modes)
    assert (f"{B}:slaves:eth0:{option.name}",
            f"{option.name} has effect only in {phrase}; this bond is {mode}") in errors_of(pillar)


def test_prio_works_only_where_an_active_slave_is_chosen_and_queue_id_where_it_steers():
    # bond_options.c BOND_OPT_PRIO's unsuppmodes; bonding.h bond_should_override_tx_queue.
    assert ports.OPTIONS["prio"].modes == ("active-backup", "balance-tlb", "balance-alb")
    assert ports.OPTIONS["queue_id"].modes == ("balance-rr", "active-backup")


def test_a_queue_id_above_the_default_tx_queues_is_a_warning_naming_the_module_option():
    config = validate({"bonds": {"bond0": bond(slaves={"eth0": {"queue_id": 17}})}})
    assert config.warnings == [
        f"{B}:slaves:eth0:queue_id: queue_id 17 is above the bonding module's default "
        "tx_queues (16): the kernel refuses it unless the module is loaded with tx_queues=17 "
        "or more (options bonding tx_queues=... in /etc/modprobe.d)"]
    assert validate({"bonds": {"bond0": bond(slaves={"eth0": {"queue_id": 16}})}}).warnings == []


def test_cross_bond_rules_name_a_mapped_slave_by_its_key():
    with pytest.raises(UserError) as caught:
        validate({"bonds": {"bond0": bond(slaves={"eth0": None}),
                            "bond1": bond(slaves={"eth0": {"prio": 1}})}})
    errors = caught.value.errors
    assert ("bonding:bonds:bond1:slaves:eth0",
            "slave eth0 is already a slave of bond0; a slave belongs to one bond only") in errors


def test_primary_and_min_links_see_the_mapped_slaves():
    bad = bond(slaves={"eth0": None, "eth1": None}, primary="eth2")
    assert (f"{B}:primary", "primary eth2 is not one of the slaves (eth0, eth1)") in errors_of(
        bad)
    assert validate_bond("bond0", bond(slaves={"eth0": {"prio": 3}}, primary="eth0")).ports == {
        "eth0": {"prio": 3}}


def test_the_readme_documents_every_setting():
    table = ports.markdown_table()
    for option in ports.TABLE:
        assert f"`{option.name}`" in table and f"`{option.ifcfg_key}`" in table
        assert f"[bond-port] {option.keyfile_key}" in table


# -- live: read over netlink, compared with pillar ---------------------------------------
def _slave_linkinfo(**values):
    """IFLA_LINKINFO's payload of a bond slave, as the kernel builds it (bond_netlink.c
    bond_fill_slave_info: state u8, queue_id u16, prio s32, ...)."""
    import struct

    from salt_bonding.host import netlink

    data = netlink._attr(1, b"\1")  # IFLA_BOND_SLAVE_STATE, not ours
    for option in ports.TABLE:
        if option.name in values:
            data += netlink._attr(option.netlink, struct.pack(option.netlink_format,
                                                              values[option.name]))
    return (netlink._attr(netlink.IFLA_INFO_SLAVE_KIND, b"bond\0")
            + netlink._attr(netlink.IFLA_INFO_SLAVE_DATA | netlink.NLA_F_NESTED, data))


def test_netlink_reads_a_slaves_settings_as_ip_d_shows_them():
    from salt_bonding.host import netlink

    info = netlink._linkinfo(netlink.attributes(_slave_linkinfo(queue_id=65535, prio=-2**31)))
    assert info == {"info_slave_kind": "bond",
                    "info_slave_data": {"queue_id": 65535, "prio": -2**31}}
    assert netlink._linkinfo(netlink.attributes(_slave_linkinfo(queue_id=3)))[
        "info_slave_data"] == {"queue_id": 3}  # a kernel before 6.0: no prio


def test_the_running_bond_carries_the_slaves_settings_that_are_not_the_default():
    from salt_bonding.host import links

    found = [{"ifname": "bond0", "linkinfo": {"info_kind": "bond"}},
             {"ifname": "eth0", "master": "bond0", "linkinfo": {
                 "info_slave_kind": "bond", "info_slave_data": {"queue_id": 2, "prio": 0}}},
             {"ifname": "eth1", "master": "bond0", "linkinfo": {
                 "info_slave_kind": "bond", "info_slave_data": {"queue_id": 0, "prio": 0}}}]
    bond = links.current_bond("bond0", {"mode": "active-backup"}, found, [])
    assert bond.slaves == ["eth0", "eth1"] and bond.ports == {"eth0": {"queue_id": 2}}


def test_verify_compares_the_slave_settings_pillar_gives():
    from salt_bonding.observe import compare

    desired = validate_bond("bond0", bond(slaves={"eth0": {"queue_id": 2, "prio": 5},
                                                  "eth1": None}))
    slave = {"mii_status": "up", "queue_id": 2, "prio": 5}
    live = {"mode": "active-backup", "mii_status": "up", "active_slave": "eth0",
            "slaves": {"eth0": dict(slave), "eth1": dict(slave, queue_id=7, prio=9)}}
    assert compare.differences(desired, live) == []  # eth1's are not pillar's to judge
    live["slaves"]["eth0"].update(queue_id=0, prio=None)  # prio unknown: not compared
    assert [str(d) for d in compare.differences(desired, live)] == [
        "bond0 slave eth0 queue_id 0, desired 2"]
