"""ifupdown: every stanza we write, read back by Debian's own ifupdown (``ifquery``).

Each bond option the option table gives an ifupdown key must come back from
``ifquery`` under that key with exactly the pillar's value, in every mode the
option works in; each it gives none is refused naming ifenslave, with nothing
written. Addresses, DNS, MTU and VLAN stanzas come back as ifup passes them
on. All bonds of a test go into one file: one ifquery per interface, no more.
"""

import dataclasses
import ipaddress
import stat

import pytest
from salt_bonding import errors, plan
from salt_bonding.config import schema
from salt_bonding.config.options import OPTIONS, TABLE
from salt_bonding.host.platform import Stack
from salt_bonding.render import RENDERERS, Destination, Locations, ifupdown

from tests.harness import debian
from tests.harness.golden import DEBIAN_HOSTS, HOSTS, host_pillar
from tests.harness.samples import ADDRESSING, addressed, given_for, sample

pytestmark = pytest.mark.unit
STATE = "bond.reconciled:bonding"
RENDERER = RENDERERS["ifupdown"]
WRITABLE = [option for option in TABLE[1:] if option.ifupdown]
REFUSED = [option.name for option in TABLE if option.ifupdown is None]
DEBIAN = {"os": "Debian", "os_family": "Debian", "osmajorrelease": 12, "osrelease": "12"}
IFUPDOWN = Stack(ifupdown=True, ifenslave=True)


def planned(pillar, directory):
    """The plan of a Debian 12 minion with ifupdown and ifenslave, writing into ``directory``."""
    destination = Destination("ifupdown", str(directory / "interfaces.d"),
                              str(directory / "bonding.conf"))
    return plan.plan_reconciled(pillar, "bonding", destination, DEBIAN, IFUPDOWN)


@pytest.fixture(scope="module", autouse=True)
def ifquery_installed():
    debian.require("ifquery")


def read_back(tmp_path, bonds):
    """ifquery's view of every interface of ``bonds`` ({name: model.Bond}), all written
    into one interfaces(5) file."""
    texts = [ifupdown.render_bond(bond, STATE)[name] for name, bond in bonds.items()]
    path = tmp_path / "interfaces"
    path.write_text("\n".join(texts))
    devices = [name for name in bonds] + [v.device for b in bonds.values()
                                          for v in b.vlans.values()]
    return debian.ifquery(path, devices)


def expected_bond_keys(bond):
    """What ifenslave must read: the slaves, the mode and each option, as pillar gives them
    (canonical), under the option table's key."""
    keys = {"bond-slaves": " ".join(bond.slaves), "bond-mode": bond.mode}
    for name, value in bond.options.items():
        keys[OPTIONS[name].ifupdown] = value.replace(",", " ")
    return keys


def test_the_table_names_what_ifenslave_cannot_set():
    """Debian 12's ifenslave 2.13 reads no key for these (its if-pre-up.d script)."""
    assert REFUSED == ["peer_notif_delay", "ns_ip6_target", "arp_all_targets", "arp_missed_max",
                       "lacp_active",
                       "ad_actor_sys_prio", "ad_user_port_key", "ad_actor_system", "min_links",
                       "all_slaves_active", "resend_igmp", "lp_interval"]
    assert all(OPTIONS[name].ifupdown_refused for name in REFUSED)


def test_every_option_ifenslave_reads_comes_back_from_ifquery_in_every_mode(tmp_path):
    bonds = {}
    for option in WRITABLE:
        for mode in option.modes:
            name = f"b{len(bonds)}"
            bonds[name] = schema.validate_bond(name, given_for(option, mode))
    assert len(bonds) > 40
    read = read_back(tmp_path, bonds)
    for name, bond in bonds.items():
        got = {key: value for key, value in read[name] if key.startswith("bond-")}
        assert got == expected_bond_keys(bond), name


@pytest.mark.parametrize("option", REFUSED)
def test_what_ifenslave_cannot_set_is_refused_naming_it(tmp_path, option):
    spec = OPTIONS[option]
    bond = given_for(spec, spec.modes[0])
    with pytest.raises(errors.UserError) as caught:
        planned({"bonds": {"bond0": bond}}, tmp_path)
    [(where, message)] = caught.value.errors
    assert where == f"bonding:bonds:bond0:{option}"
    assert message.startswith("Debian's ifenslave (2.13, Debian 12) reads no bond-* key for "
                              f"it: ifupdown files cannot set {option} (ifenslave sets mode, ")
    assert message.endswith("leave it out, or use format: netplan or keyfile where those are "
                            "what the minion reads")
    assert list(tmp_path.iterdir()) == []



def stanza_methods(text, device):
    return [line.split()[2:] for line in text.split("\n") if line.startswith(f"iface {device} ")]


def expected_addressing(interface):
    """``(sorted pairs ifquery must print, [(family, method)])`` for one interface."""
    pairs = []
    if interface.ipaddr:
        prefix = interface.prefix if interface.prefix is not None else \
            ipaddress.IPv4Network(f"0.0.0.0/{interface.netmask}").prefixlen
        net = ipaddress.IPv4Network(f"{interface.ipaddr}/{prefix}", strict=False)
        pairs += [("address", interface.ipaddr), ("netmask", str(net.netmask)),
                  ("broadcast", str(net.broadcast_address))]
    if interface.gateway:
        pairs.append(("gateway", interface.gateway))
    for address in interface.ipv6addr:
        pairs += [("address", address.split("/")[0]), ("netmask", address.split("/")[1])]
    if interface.ipv6_defaultgw:
        pairs.append(("gateway", interface.ipv6_defaultgw))
    if interface.mtu:
        pairs.append(("mtu", str(interface.mtu)))
    if interface.dns:
        pairs.append(("dns-nameservers", " ".join(interface.dns)))
    if interface.domain:
        pairs.append(("dns-search", " ".join(interface.domain)))
    inet = "dhcp" if interface.bootproto == "dhcp" else "static" if interface.ipaddr else "manual"
    methods = [["inet", inet]]
    inet6 = {"ignore": None, "dhcp": "dhcp", "link-local": "manual",
             "auto": "static" if interface.ipv6addr else "auto",
             "manual": "static"}[interface.ipv6_method]
    methods += [["inet6", inet6]] * (len(interface.ipv6addr) if inet6 == "static" else
                                      bool(inet6))
    return sorted(pairs), methods


ADDRESS_KEYS = {"address", "netmask", "broadcast", "gateway", "mtu", "dns-nameservers",
                "dns-search"}


@pytest.mark.parametrize("addressing", [*ADDRESSING, {}])
def test_addresses_dns_and_mtu_come_back_from_ifquery_on_bonds_and_vlans(tmp_path, addressing):
    bond = schema.validate_bond("bond0", addressed(addressing))
    read = read_back(tmp_path, {"bond0": bond})
    text = ifupdown.render_bond(bond, STATE)["bond0"]
    for device, interface in (("bond0", bond), ("bond0.100", bond.vlans[100])):
        got = sorted((key, value) for key, value in read[device]
                     if key in ADDRESS_KEYS and value)
        pairs, methods = expected_addressing(interface)
        assert got == pairs, device
        assert stanza_methods(text, device) == methods
        assert (f"auto {device}" in text.split("\n")) == interface.onboot
    assert ("vlan-raw-device", "bond0") in read["bond0.100"]


def test_static_ipv6_beside_dhcpv6_is_refused_naming_ifupdown(tmp_path):
    pillar = {"bonds": {"bond0": {"mode": "active-backup", "miimon": 100, "slaves": ["eth0"],
                                  "dhcpv6c": True, "ipv6addr": "2001:db8::10/64"}}}
    with pytest.raises(errors.UserError) as caught:
        planned(pillar, tmp_path)
    assert caught.value.errors == [("bonding:bonds:bond0", (
        "ifupdown's inet6 dhcp stanza takes no static address or gateway: give DHCPv6 or "
        "static IPv6 addresses, not both (or use format: netplan)"))]


BAD_VALUES = ['eth0"; touch /tmp/pwned; "', "eth0 $(id)", "eth0`id`", "eth0\nup reboot",
              "eth0\\", "eth*", "# x", "a  b"]


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("where", ["primary", "domain"])
def test_a_value_ifupdown_or_sh_would_read_specially_is_never_written(value, where):
    """ifupdown keeps a value verbatim to the end of the line and ifenslave's sh splits and
    globs some unquoted: a value outside the plain set raises (validation makes none): an
    option word (checked as for BONDING_OPTS) or any other value (a search domain)."""
    bond = schema.validate_bond("bond0", {"mode": "active-backup", "slaves": ["eth0"],
                                          "miimon": 100, "primary": "eth0",
                                          "ipaddr": "192.0.2.1", "prefix": 24})
    assert "\n    bond-primary eth0\n" in ifupdown.render_bond(bond, STATE)["bond0"]
    if where == "primary":
        bad = dataclasses.replace(bond, options={**bond.options, "primary": value})
    else:
        bad = dataclasses.replace(bond, domain=[value])
    with pytest.raises(ValueError, match="cannot be written"):
        ifupdown.render_bond(bad, STATE)
    assert sample(OPTIONS["primary"]) == "eth0"


@pytest.mark.parametrize("host", HOSTS + DEBIAN_HOSTS)
def test_the_example_hosts_read_back_whole(tmp_path, host):
    config = schema.validate(host_pillar(host))
    config = dataclasses.replace(config, bonds={
        name: dataclasses.replace(bond, options={k: v for k, v in bond.options.items()
                                                 if OPTIONS[k].ifupdown})
        for name, bond in config.bonds.items()})
    read = read_back(tmp_path, config.bonds)
    for name, bond in config.bonds.items():
        got = {key: value for key, value in read[name] if key.startswith("bond-")}
        assert got == expected_bond_keys(bond)


def test_files_are_0644_marked_ours_and_written_once(tmp_path):
    directory = tmp_path / "interfaces.d"
    directory.mkdir()
    (directory / "eth9").write_text("iface eth9 inet dhcp\n")  # the administrator's
    pillar = {"bonds": {"bond0": {"mode": "802.3ad", "miimon": 100, "slaves": ["eth0", "eth1"],
                                  "vlans": {100: {"ipaddr": "192.0.2.5", "prefix": 24}}},
                        "bond1": {"mode": "active-backup", "slaves": ["eth2"],
                                  "miimon": 100}}}
    plan.apply(planned(pillar, tmp_path))
    assert sorted(p.name for p in directory.iterdir()) == ["bond0", "bond1", "eth9"]
    for name in ("bond0", "bond1"):
        path = directory / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        assert RENDERER.read_mark(path.read_text()).state == STATE
    assert "alias netdev-bond0 bonding" in (tmp_path / "bonding.conf").read_text()
    assert planned(pillar, tmp_path).changes == {}
    # bond1 leaves pillar: its file goes, the administrator's stays.
    del pillar["bonds"]["bond1"]
    changes = planned(pillar, tmp_path).changes
    assert {p: c.action for p, c in changes.items()} == {str(directory / "bond1"): "removed",
                                                          str(tmp_path / "bonding.conf"):
                                                          "updated"}
    assert RENDERER.keys((directory / "bond0").read_text()) >= {
        "bond0 inet bond-slaves", "bond0 inet bond-mode", "bond0.100 inet address"}


def test_ifcfg_keys_are_named_not_written(tmp_path):
    pillar = {"bonds": {"bond0": {"mode": "active-backup", "slaves": ["eth0"], "miimon": 100,
                                  "ifcfg": {"ETHTOOL_OPTS": "-K eth0 gro off"}}}}
    result = planned(pillar, tmp_path)
    assert result.warnings == [
        "bonding:bonds:bond0:ifcfg: ETHTOOL_OPTS not written: ifcfg keys are for ifcfg "
        "files, and this minion gets ifupdown files"]
    assert "ETHTOOL" not in result.changes[str(tmp_path / "interfaces.d" / "bond0")].new


def debian_locations(tmp_path):
    """A Debian minion's locations under ``tmp_path``: interfaces.d, interfaces, modprobe."""
    (tmp_path / "network").mkdir(exist_ok=True)
    get = {"bond.interfaces_dir": str(tmp_path / "network" / "interfaces.d"),
           "bond.interfaces_file": str(tmp_path / "network" / "interfaces"),
           "bond.modprobe_conf": str(tmp_path / "bonding.conf")}
    return Locations.from_options(lambda option, default: get.get(option, default))


PILLAR = {"bonds": {"bond0": {"mode": "active-backup", "miimon": 100, "slaves": ["eth0"]}}}


@pytest.mark.parametrize("theirs, block", [
    ("auto lo\niface lo inet loopback\n", True),
    (None, True),
    ("source {dir}/*\nauto lo\n", False),
    ("source interfaces.d/*\n", False),  # relative to /etc/network, as ifupdown reads it
    ("source-directory {dir}\n", False),
    ("source {dir}/bond0\n", True),  # one file is not the directory
])
def test_the_interfaces_file_gets_a_source_line_only_where_it_has_none(tmp_path, theirs, block):
    where = debian_locations(tmp_path)
    interfaces = tmp_path / "network" / "interfaces"
    directory = tmp_path / "network" / "interfaces.d"
    if theirs is not None:
        interfaces.write_text(theirs.format(dir=directory))
    planned = plan.plan_reconciled(PILLAR, "bonding", where, DEBIAN, IFUPDOWN)
    change = planned.changes.get(str(interfaces))
    if not block:
        assert change is None
        return
    ours = (f"{ifupdown.SOURCE_BEGIN}\nsource {directory}/*\n{ifupdown.SOURCE_END}\n")
    assert change.new == (theirs or "").format(dir=directory) + ours
    plan.apply(planned)
    assert interfaces.read_text() == change.new
    # ifupdown itself reads the bond through our line.
    read = debian.ifquery(interfaces, ["bond0"])
    assert ("bond-mode", "active-backup") in read["bond0"]
    assert plan.plan_reconciled(PILLAR, "bonding", where, DEBIAN, IFUPDOWN).changes == {}
    # The administrator adds a line of their own: ours goes, theirs stays.
    interfaces.write_text(interfaces.read_text() + f"source {directory}/*\n")
    again = plan.plan_reconciled(PILLAR, "bonding", where, DEBIAN, IFUPDOWN)
    assert again.changes[str(interfaces)].new == (theirs or "").format(dir=directory) + \
        f"source {directory}/*\n"


def test_a_damaged_block_in_the_interfaces_file_is_refused_untouched(tmp_path):
    where = debian_locations(tmp_path)
    interfaces = tmp_path / "network" / "interfaces"
    interfaces.write_text(f"auto lo\n{ifupdown.SOURCE_BEGIN}\nsource /x/*\n")
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled(PILLAR, "bonding", where, DEBIAN, IFUPDOWN)
    assert caught.value.errors == [(str(interfaces), (
        f"{ifupdown.SOURCE_BEGIN!r} without its END line; not touching the file: mend or "
        "remove the block"))]
    assert not (tmp_path / "network" / "interfaces.d").exists()


def test_a_run_without_bonds_leaves_the_interfaces_file_as_it_is(tmp_path):
    where = debian_locations(tmp_path)
    interfaces = tmp_path / "network" / "interfaces"
    interfaces.write_text("auto lo\n")
    planned = plan.plan_reconciled({"bonds": {}}, "bonding", where, DEBIAN, IFUPDOWN)
    assert str(interfaces) not in planned.changes
    assert str(interfaces) in plan.plan_reconciled(PILLAR, "bonding", where, DEBIAN,
                                                   IFUPDOWN).changes


INSTALLER = "auto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n"


@pytest.mark.parametrize("where", ["interfaces", "interfaces.d/50-installer"])
def test_a_stanza_ifupdown_brings_up_for_one_of_our_devices_is_refused(tmp_path, where):
    """Debian's installer leaves ``allow-hotplug eth0`` / ``iface eth0 inet dhcp`` in
    /etc/network/interfaces: with eth0 in a bond, ifupdown would run DHCP on the slave at
    boot. Refused with the way out, nothing written; without the auto line it is inert."""
    locations = debian_locations(tmp_path)
    path = tmp_path / "network" / where
    path.parent.mkdir(exist_ok=True)
    path.write_text(INSTALLER)
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled(PILLAR, "bonding", locations, DEBIAN, IFUPDOWN)
    assert caught.value.errors == [("bonding:bonds:bond0", (
        f"{path} also has a stanza for eth0 that ifupdown brings up at boot (auto or "
        "allow-hotplug) beside ours: remove that stanza, or its auto/allow-hotplug line"))]
    assert not (tmp_path / "bonding.conf").exists()
    path.write_text(INSTALLER.replace("allow-hotplug eth0\n", ""))
    assert plan.plan_reconciled(PILLAR, "bonding", locations, DEBIAN, IFUPDOWN).changes
