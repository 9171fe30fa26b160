"""netplan: every file we write, turned into systemd-networkd files by the real netplan.

``netplan generate --root-dir`` reads our YAML as ``netplan apply`` does and
writes what it would hand systemd-networkd. Each bond option the option table
gives a netplan key must arrive in the bond's ``[Bond]`` section with the
pillar's value, in netplan's own mapping (:data:`NETWORKD`), in every mode the
option works in; each it gives none is refused naming netplan, with nothing
written. Slaves, VLANs, addresses, routes and nameservers arrive too. All
bonds of a test go into one tree: one ``netplan generate`` per test.
"""

import dataclasses
import stat

import pytest
from salt_bonding import errors, plan
from salt_bonding.config import schema
from salt_bonding.config.options import OPTIONS, TABLE
from salt_bonding.host.platform import Stack
from salt_bonding.render import RENDERERS, Destination, netplan

from tests.harness import debian
from tests.harness.golden import DEBIAN_HOSTS, HOSTS, host_pillar
from tests.harness.samples import ADDRESSING, addressed, given_for

pytestmark = pytest.mark.unit
STATE = "bond.reconciled:bonding"
RENDERER = RENDERERS["netplan"]
WRITABLE = [option for option in TABLE[1:] if option.netplan and option.name != "primary"]
REFUSED = [option.name for option in TABLE if option.netplan is None]
UBUNTU = {"os": "Ubuntu", "os_family": "Debian", "osmajorrelease": 24, "osrelease": "24.04"}
NETPLAN = Stack(netplan=True)


def _ms(value):
    return f"{value}ms"


# netplan's own mapping of its bond parameters to systemd-networkd's [Bond] keys (netplan
# 0.106's networkd.c), with how a pillar value (canonical) appears there (None: not at all).
NETWORKD = {
    "mode": ("Mode", str),
    "mii-monitor-interval": ("MIIMonitorSec", _ms),
    "up-delay": ("UpDelaySec", _ms),
    "down-delay": ("DownDelaySec", _ms),
    "arp-interval": ("ARPIntervalSec", _ms),
    "arp-ip-targets": ("ARPIPTargets", lambda value: value.replace(",", " ")),
    "arp-validate": ("ARPValidate", str),
    "arp-all-targets": ("ARPAllTargets", str),
    "primary-reselect-policy": ("PrimaryReselectPolicy", str),
    "fail-over-mac-policy": ("FailOverMACPolicy", str),
    "transmit-hash-policy": ("TransmitHashPolicy", str),
    "lacp-rate": ("LACPTransmitRate", str),
    "ad-select": ("AdSelect", str),
    "min-links": ("MinLinks", str),
    # Only true is written (netplan's networkd.c): false leaves networkd at the kernel's 0.
    "all-slaves-active": ("AllSlavesActive", lambda value: "1" if value == "1" else None),
    "resend-igmp": ("ResendIGMP", str),
    "gratuitious-arp": ("GratuitousARP", str),
    "packets-per-slave": ("PacketsPerSlave", str),
    "learn-packet-interval": ("LearnPacketIntervalSec", str),
}


@pytest.fixture(scope="module", autouse=True)
def netplan_installed():
    debian.require("netplan")


def generate(tmp_path, bonds):
    """``{networkd file: {section: [(key, value)]}}`` netplan makes of ``bonds``' files."""
    files = {}
    for bond in bonds.values():
        files.update(netplan.render_bond(bond, STATE))
    rc, stderr, out = debian.netplan_generate(tmp_path, files)
    assert rc == 0, stderr
    return {name: debian.sections(text) for name, text in out.items()}


def own_slaves(given, index):
    """``given`` (samples.given_for) with slaves of its own: one netplan tree holds them all."""
    names = {"eth0": f"x{index}a", "eth1": f"x{index}b"}
    given = dict(given, slaves=[names[s] for s in given["slaves"]])
    if "primary" in given:
        given["primary"] = names[given["primary"]]
    return given


def expected_bond_section(bond):
    found = [("Mode", bond.mode)]
    for name, value in bond.options.items():
        if name == "primary":
            continue
        key, shown = NETWORKD[OPTIONS[name].netplan]
        if shown(value) is not None:
            found.append((key, shown(value)))
    return sorted(found)


def test_the_table_names_what_netplan_has_no_key_for():
    assert REFUSED == ["peer_notif_delay", "use_carrier", "ns_ip6_target", "arp_missed_max",
                       "lacp_active",
                       "ad_actor_sys_prio", "ad_user_port_key", "ad_actor_system",
                       "tlb_dynamic_lb"]
    assert all(OPTIONS[name].netplan_refused for name in REFUSED)
    assert set(NETWORKD) == {option.netplan for option in TABLE
                             if option.netplan and option.name != "primary"}


def test_every_option_netplan_has_comes_back_from_netplan_generate_in_every_mode(tmp_path):
    bonds = {}
    for option in WRITABLE + [OPTIONS["primary"]]:
        for mode in option.modes:
            name = f"b{len(bonds)}"
            bonds[name] = schema.validate_bond(name, own_slaves(given_for(option, mode),
                                                                len(bonds)))
    # ...and the switch's other value, 0.
    bonds["off"] = schema.validate_bond("off", {"mode": "balance-rr", "slaves": ["off0"],
                                                "miimon": 100, "all_slaves_active": 0})
    assert len(bonds) > 40
    read = generate(tmp_path, bonds)
    for name, bond in bonds.items():
        netdev = read[f"10-netplan-{name}.netdev"]
        assert netdev["NetDev"] == [("Name", name), ("Kind", "bond")]
        assert sorted(netdev["Bond"]) == expected_bond_section(bond), name
        for slave in bond.slaves:
            network = read[f"10-netplan-{slave}.network"]
            assert ("Bond", name) in network["Network"]
            primary = bond.options.get("primary") == slave
            assert (("PrimarySlave", "true") in network["Network"]) is primary, (name, slave)


@pytest.mark.parametrize("option", REFUSED)
def test_what_netplan_has_no_key_for_is_refused_naming_it(tmp_path, option):
    spec = OPTIONS[option]
    destination = Destination("netplan", str(tmp_path / "netplan"), str(tmp_path / "b.conf"))
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled({"bonds": {"bond0": given_for(spec, spec.modes[0])}}, "bonding",
                             destination, UBUNTU, NETPLAN)
    assert caught.value.errors == [(f"bonding:bonds:bond0:{option}", (
        "netplan has no bond parameter for it (0.106 to 1.x): netplan files cannot set "
        f"{option}; leave it out, or use format: ifupdown or keyfile where those are what "
        "the minion reads"))]
    assert list(tmp_path.iterdir()) == []


def _network(read, device):
    return read[f"10-netplan-{device}.network"]


def expected_network(interface):
    """The [Network] and [Route] lines netplan must give networkd for ``interface``."""
    network = []
    if interface.ipaddr:
        prefix = interface.prefix if interface.prefix is not None else 24
        network.append(("Address", f"{interface.ipaddr}/{prefix}"))
    network += [("Address", address) for address in interface.ipv6addr]
    network += [("DNS", server) for server in interface.dns]
    if interface.domain:
        network.append(("Domains", " ".join(interface.domain)))
    dhcp = [family for family, on in (("ipv4", interface.bootproto == "dhcp"),
                                      ("ipv6", interface.ipv6_method == "dhcp")) if on]
    if dhcp:
        network.append(("DHCP", "yes" if len(dhcp) == 2 else dhcp[0]))
    routes = [gateway for gateway in (interface.gateway, interface.ipv6_defaultgw) if gateway]
    return sorted(network), routes


@pytest.mark.parametrize("addressing", [*ADDRESSING, {}])
def test_addresses_routes_dns_and_vlans_come_back_from_netplan_generate(tmp_path, addressing):
    bond = schema.validate_bond("bond0", addressed(addressing))
    read = generate(tmp_path, {"bond0": bond})
    assert read["10-netplan-bond0.100.netdev"]["VLAN"] == [("Id", "100")]
    assert ("VLAN", "bond0.100") in _network(read, "bond0")["Network"]
    for device, interface in (("bond0", bond), ("bond0.100", bond.vlans[100])):
        unit = _network(read, device)
        network, routes = expected_network(interface)
        got = sorted((key, value) for key, value in unit["Network"]
                     if key in ("Address", "DNS", "Domains", "DHCP"))
        assert got == network, device
        assert [value for key, value in unit.get("Route", []) if key == "Gateway"] == routes
        if interface.mtu:
            assert ("MTUBytes", str(interface.mtu)) in unit["Link"]
        assert (("ActivationPolicy", "manual") in unit.get("Link", [])) is not interface.onboot
        accept_ra = {"auto": "yes", "manual": "no", "link-local": "no"}.get(
            interface.ipv6_method)
        assert [value for key, value in unit["Network"] if key == "IPv6AcceptRA"] == (
            [accept_ra] if accept_ra else [])


@pytest.mark.parametrize("value", ["on", "null", "0x10", "a: b", "# c", "[x]", "x\ny: 1",
                                   'quote"d', "back\\slash", "- item"])
def test_any_string_reads_back_as_that_string(tmp_path, value):
    """Strings are JSON strings, YAML double-quoted scalars: nothing else, whatever they hold
    (validation makes none of these; the search domain carries them here)."""
    bond = schema.validate_bond("bond0", {"mode": "active-backup", "slaves": ["eth0"],
                                          "miimon": 100, "ipaddr": "192.0.2.1", "prefix": 24})
    text = netplan.render_bond(dataclasses.replace(bond, domain=[value]), STATE)
    network = netplan.read_lenient(text[netplan.file_name("bond0")])
    assert network["bonds"]["bond0"]["nameservers"]["search"] == [value]
    assert network["bonds"]["bond0"]["parameters"] == {"mode": "active-backup",
                                                       "mii-monitor-interval": 100}


@pytest.mark.parametrize("host", HOSTS + DEBIAN_HOSTS)
def test_the_example_hosts_are_read_whole(tmp_path, host):
    config = schema.validate(host_pillar(host))
    bonds = {name: dataclasses.replace(bond, options={k: v for k, v in bond.options.items()
                                                      if OPTIONS[k].netplan})
             for name, bond in config.bonds.items()}
    read = generate(tmp_path, bonds)
    for name, bond in bonds.items():
        assert sorted(read[f"10-netplan-{name}.netdev"]["Bond"]) == expected_bond_section(bond)


def test_one_file_per_bond_0600_marked_ours_and_removed_alone(tmp_path):
    directory = tmp_path / "netplan"
    directory.mkdir()
    (directory / "50-cloud-init.yaml").write_text("network: {version: 2}\n")  # the installer's
    destination = Destination("netplan", str(directory), str(tmp_path / "bonding.conf"))
    pillar = {"bonds": {"bond0": {"mode": "802.3ad", "miimon": 100, "slaves": ["eth0", "eth1"],
                                  "vlans": {100: {"ipaddr": "192.0.2.5", "prefix": 24}}},
                        "bond1": {"mode": "active-backup", "miimon": 100, "slaves": ["eth2"]}}}

    def planned():
        return plan.plan_reconciled(pillar, "bonding", destination, UBUNTU, NETPLAN)

    plan.apply(planned())
    assert sorted(p.name for p in directory.iterdir()) == [
        "50-cloud-init.yaml", "90-salt-bond-bond0.yaml", "90-salt-bond-bond1.yaml"]
    for name in ("90-salt-bond-bond0.yaml", "90-salt-bond-bond1.yaml"):
        path = directory / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert RENDERER.read_mark(path.read_text()).state == STATE
    assert planned().changes == {}
    del pillar["bonds"]["bond1"]
    changes = planned().changes
    assert {p: c.action for p, c in changes.items()} == {
        str(directory / "90-salt-bond-bond1.yaml"): "removed",
        str(tmp_path / "bonding.conf"): "updated"}
    assert RENDERER.keys((directory / "90-salt-bond-bond0.yaml").read_text()) >= {
        "bonds.bond0.parameters", "ethernets.eth0.dhcp4", "vlans.bond0.100.addresses"}


@pytest.mark.parametrize("file_format, stack, grains, removed", [
    ("netplan", NETPLAN, UBUNTU, "90-salt-bond-bond1.yaml"),
    ("ifupdown", Stack(ifupdown=True, ifenslave=True),
     {"os": "Debian", "os_family": "Debian", "osmajorrelease": 12}, "bond1")])
def test_bond_absent_removes_one_bonds_file_in_debians_formats(tmp_path, file_format, stack,
                                                               grains, removed):
    destination = Destination(file_format, str(tmp_path / "d"), str(tmp_path / "b.conf"))
    bonds = {name: {"mode": "active-backup", "miimon": 100, "slaves": [f"e{name[-1]}"]}
             for name in ("bond0", "bond1")}
    plan.apply(plan.plan_reconciled({"bonds": bonds}, "bonding", destination, grains, stack))
    with pytest.raises(errors.UserError):  # bond.reconciled's: force, or that state, first
        plan.plan_absent("bond1", destination, grains=grains, stack=stack)
    absent = plan.plan_absent("bond1", destination, force=True, grains=grains, stack=stack)
    assert {p: c.action for p, c in absent.changes.items()} == {
        str(tmp_path / "d" / removed): "removed", str(tmp_path / "b.conf"): "updated"}
