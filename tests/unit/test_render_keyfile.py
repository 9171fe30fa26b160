"""keyfile: every profile we write, read back by two real NetworkManagers (nmcli --offline).

Each property we write must come back from NetworkManager with the same value:
nothing dropped (NetworkManager drops what it does not know with a log line
only), nothing reinterpreted. Read back by the installed 1.42 and by Debian 13's
1.52 (``tests/harness/nm.py``): a bond option the option table says a version
keeps must come back from it, one it says that version drops must really be
dropped by it, and be refused for a minion that runs it.
"""

import dataclasses
import stat

import pytest
from salt_bonding import errors, plan
from salt_bonding.config import nm_versions, ports, schema
from salt_bonding.config.modes import MODES
from salt_bonding.config.options import OPTIONS, TABLE
from salt_bonding.host.platform import Stack
from salt_bonding.render import RENDERERS, Destination, Locations, keyfile

from tests.harness import nm
from tests.harness.golden import HOSTS, host_pillar
from tests.harness.samples import ADDRESSING, given_for, sample

pytestmark = pytest.mark.unit
STATE = "bond.reconciled:bonding"
RENDERER = RENDERERS["keyfile"]


@pytest.fixture(scope="module", autouse=True)
def nmcli():
    nm.require()


@pytest.fixture(params=nm.ORACLES, ids=str)
def oracle(request):
    return request.param


def without_extras(config):
    """The example hosts without their ifcfg-only extra keys (refused for keyfiles)."""
    bonds = {name: dataclasses.replace(bond, ifcfg={}, ifcfg_site={},
                                       vlans={vid: dataclasses.replace(v, ifcfg={})
                                              for vid, v in bond.vlans.items()})
             for name, bond in config.bonds.items()}
    return dataclasses.replace(config, bonds=bonds)


def assert_networkmanager_keeps_everything(oracle, text):
    rc, normalised, stderr = oracle.normalise(text)
    assert rc == 0, (text, stderr)
    ours, theirs = nm.properties(text), nm.properties(normalised)
    missing = {key: value for key, value in ours.items() if theirs.get(key) != value}
    assert missing == {}, (missing, normalised)


@pytest.mark.parametrize("host", HOSTS)
def test_every_profile_of_the_example_hosts_is_kept_whole(host, oracle):
    config = without_extras(schema.validate(host_pillar(host)))
    files = RENDERER.render_all(config, STATE)
    assert files and all(name.endswith(".nmconnection") for name in files)
    for text in files.values():
        assert keyfile.read_mark(text).state == STATE
        assert_networkmanager_keeps_everything(oracle, text)


def test_the_two_oracles_are_the_versions_the_table_is_checked_at(oracle):
    """1.42.4 and 1.52.1: one before the options of 1.44, one after (DROPPED below)."""
    assert oracle.version == {"installed": "1.42.4", "debian-13": "1.52.1"}[oracle.name]


def test_every_option_a_version_keeps_survives_in_every_mode(oracle):
    known = nm_versions.decide({}, oracle.version)
    checked = 0
    for option in TABLE[1:]:
        if not known.keeps(option):
            continue
        for mode in option.modes:
            bond = schema.validate_bond("bond0", given_for(option, mode))
            text = keyfile.render_bond(bond, STATE)["bond0.nmconnection"]
            assert f"\n{option.name}=" in text
            assert_networkmanager_keeps_everything(oracle, text)
            checked += 1
    assert checked > 60


def dropped_by(version):
    return [(version, name) for name, option in OPTIONS.items()
            if not nm_versions.decide({}, version).keeps(option)]


# What the table says each oracle drops: 1.42.4 the options of 1.44, 1.52.1 nothing.
DROPPED = dropped_by("1.42.4") + dropped_by("1.52.1")


def test_the_table_says_which_options_each_version_drops():
    assert DROPPED == [("1.42.4", "ns_ip6_target"), ("1.42.4", "arp_missed_max"),
                       ("1.42.4", "lacp_active")]


@pytest.mark.parametrize(("version", "option"), DROPPED)
def test_what_networkmanager_would_drop_is_refused_naming_it(tmp_path, version, option):
    oracle = next(o for o in nm.ORACLES if o.version == version)
    spec = OPTIONS[option]
    mode = spec.modes[0]
    bond = {"mode": mode, "slaves": ["eth0"], option: sample(spec)}
    if spec.needs == "arp_interval":
        bond.update(arp_interval=100, arp_ip_target="192.0.2.1")
    else:
        bond["miimon"] = 100
    # The oracle first: that NetworkManager really drops it.
    text = keyfile.render_bond(schema.validate_bond("bond0", bond), STATE)["bond0.nmconnection"]
    rc, normalised, _ = oracle.normalise(text)
    assert rc == 0 and f"\n{option}=" not in normalised
    # A minion that runs it (its grain says so) is refused the option, naming the version.
    where = Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                      str(tmp_path / "bonding.conf"))
    rhel9 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 9, "osrelease": "9.4"}
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled({"bonds": {"bond0": bond}}, "bonding", where, rhel9, oracle.stack)
    network_scripts = (", or write ifcfg files for network-scripts (networkmanager: "
                       "unmanaged, where they are installed)")
    message = (f"NetworkManager before 1.44 drops bond option {option} from the {{}} files it "
               f"reads, with a log line only, and this minion's is {version} (installed): "
               "leave it out, upgrade NetworkManager to 1.44 or later"
               f"{'' if spec.netlink_only else network_scripts}")
    assert caught.value.errors == [(f"bonding:bonds:bond0:{option}", message.format("keyfile"))]
    # ifcfg files NetworkManager reads (RHEL 8's default) lose it the same way...
    rhel8 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 8, "osrelease": "8.10"}
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled({"bonds": {"bond0": bond}}, "bonding", where, rhel8,
                             Stack("enabled", False, version))
    assert caught.value.errors == [(f"bonding:bonds:bond0:{option}", message.format("ifcfg"))]
    assert list(tmp_path.iterdir()) == []
    # ...network-scripts keep it (but for what the kernel takes over netlink only:
    # test_render_ifcfg, ns_ip6_target)...
    if not spec.netlink_only:
        kept = plan.plan_reconciled({"bonds": {"bond0": bond}}, "bonding", where, rhel8,
                                    Stack("installed", True, version))
        assert f"{option}=" in kept.changes[str(tmp_path / "ifcfg" / "ifcfg-bond0")].new
    # ...and so does the NetworkManager of 1.44 and later: written, and read back whole.
    newer = next(o for o in nm.ORACLES if o.version != version)
    written = plan.plan_reconciled({"bonds": {"bond0": bond}}, "bonding", where, rhel9,
                                   newer.stack)
    text = written.changes[str(tmp_path / "nm" / "bond0.nmconnection")].new
    assert f"\n{option}=" in text
    assert_networkmanager_keeps_everything(newer, text)


@pytest.mark.parametrize("value", ["a\nb", "[connection]", "k=v", "a;b", "# not a comment",
                                   "back\\slash", " leading", "tab\there", "mixed\\n\n"])
def test_any_value_reads_back_exactly_and_cannot_start_a_line(value, oracle):
    text = keyfile._render("bond0", STATE, [
        ("connection", [("id", value), ("uuid", keyfile.profile_uuid("bond0")),
                        ("type", "bond"), ("interface-name", "bond0")]),
        ("bond", [("mode", "active-backup")])])
    assert len([line for line in text.split("\n") if line.startswith("[")]) == 2
    rc, normalised, stderr = oracle.normalise(text)
    assert rc == 0, stderr
    # What NetworkManager read is the value itself, and what it keeps reads the same.
    assert nm.decode(nm.settings(text)["connection.id"]) == value
    assert nm.decode(nm.settings(normalised)["connection.id"]) == value


def test_keyfiles_are_written_0600_with_the_modprobe_alias(tmp_path):
    (tmp_path / "system-connections").mkdir()
    destination = Destination("keyfile", str(tmp_path / "system-connections"),
                              str(tmp_path / "bonding.conf"))
    pillar = {"bonds": {"bond0": {"mode": "802.3ad", "miimon": 100, "slaves": ["eth0", "eth1"],
                                  "vlans": {100: {"ipaddr": "192.0.2.5", "prefix": 24}}}}}
    plan.apply(plan.plan_reconciled(pillar, "bonding", destination))
    written = sorted(p.name for p in (tmp_path / "system-connections").iterdir())
    assert written == ["bond0.100.nmconnection", "bond0.nmconnection", "eth0.nmconnection",
                       "eth1.nmconnection"]
    for name in written:
        mode = (tmp_path / "system-connections" / name).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
    assert "alias netdev-bond0 bonding" in (tmp_path / "bonding.conf").read_text()
    assert plan.plan_reconciled(pillar, "bonding", destination).changes == {}
    assert MODES  # the option table's modes are what the kernel calls them



def elsewhere(addressing):
    """The same addressing for a VLAN: its own addresses, no second default route."""
    moved = {key: value.replace("192.0.2.1", "198.51.100.1").replace("2001:db8:", "2001:db8:a:")
             if key in ("ipaddr", "ipv6addr") and isinstance(value, str) else value
             for key, value in addressing.items() if key not in ("gateway", "ipv6_defaultgw")}
    if isinstance(addressing.get("ipv6addr"), list):
        moved["ipv6addr"] = [a.replace("2001:db8:", "2001:db8:a:") for a in addressing["ipv6addr"]]
    return moved


@pytest.mark.parametrize("addressing", ADDRESSING)
def test_ipv4_ipv6_and_dns_are_kept_whole_on_bonds_and_vlans(addressing, oracle):
    bond = schema.validate_bond("bond0", {"mode": "active-backup", "miimon": 100,
                                          "slaves": ["eth0"], **addressing,
                                          "vlans": {100: elsewhere(addressing)}})
    files = keyfile.render_bond(bond, STATE)
    for name in ("bond0.nmconnection", "bond0.100.nmconnection"):
        assert_networkmanager_keeps_everything(oracle, files[name])
    settings = nm.settings(files["bond0.nmconnection"])
    if bond.domain:  # the search domains once, with IPv4 when it is configured
        assert [key for key in settings if key.endswith("dns-search")] == [
            "ipv4.dns-search" if bond.ipaddr or bond.bootproto == "dhcp" else "ipv6.dns-search"]


def test_ifcfg_keys_are_named_not_written_so_one_pillar_serves_every_generation(tmp_path):
    """A host's pillar with extra ifcfg keys still applies on RHEL 9: the keys are named
    in a warning (nothing lost silently), the keyfiles written without them."""
    where = Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                      str(tmp_path / "bonding.conf"))
    pillar = host_pillar("db1")
    rhel9 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 9}
    planned = plan.plan_reconciled(pillar, "bonding", where, rhel9, Stack("enabled", False))
    extras = [w for w in planned.warnings if "ifcfg keys are for ifcfg files" in w]
    assert extras and all(w.startswith("bonding:bonds:") for w in extras), planned.warnings
    assert extras[0].endswith(" not written: ifcfg keys are for ifcfg files, and this minion "
                              "gets NetworkManager keyfiles")
    for change in planned.changes.values():
        assert "ETHTOOL" not in change.new and "ethtool" not in change.new


def test_the_bonds_mac_address_is_its_cloned_mac_address_and_kept(oracle):
    bond = schema.validate_bond("bond0", {"mode": "active-backup", "slaves": ["eth0"],
                                          "miimon": 100, "mtu": 9000,
                                          "macaddr": "02:AB:cd:00:00:01"})
    text = keyfile.render_bond(bond, STATE)["bond0.nmconnection"]
    assert "\n[ethernet]\nmtu=9000\ncloned-mac-address=02:AB:CD:00:00:01\n" in text
    assert_networkmanager_keeps_everything(oracle, text)


# Per-slave settings (config/ports.py): [bond-port] of the port's profile.
PORT_BOND = {"mode": "active-backup", "miimon": 100,
             "slaves": {"eth0": {"queue_id": 3, "prio": -5}, "eth1": {"queue_id": 13},
                        "eth2": None}}


def test_the_table_says_which_slave_settings_each_version_drops():
    """Measured below: 1.42.4 drops prio (NEWS: 1.42.8), 1.52.1 keeps both."""
    for version, dropped in (("1.42.4", ["prio"]), ("1.52.1", [])):
        known = nm_versions.decide({}, version)
        assert [o.name for o in ports.TABLE if not known.keeps(o)] == dropped


def test_slave_settings_are_the_ports_bond_port_section_kept_by_the_versions_that_keep_them(
        oracle):
    files = keyfile.render_bond(schema.validate_bond("bond0", PORT_BOND), STATE)
    assert "[bond-port]\nqueue-id=3\nprio=-5\n" in files["eth0.nmconnection"]
    assert "[bond-port]\nqueue-id=13\n" in files["eth1.nmconnection"]
    assert "[bond-port]" not in files["eth2.nmconnection"]  # defaults: left out, as NM does
    known = nm_versions.decide({}, oracle.version)
    for name in ("eth0", "eth1", "eth2"):
        rc, normalised, stderr = oracle.normalise(files[f"{name}.nmconnection"])
        assert rc == 0, stderr
        kept = nm.properties(normalised)
        for option, value in (PORT_BOND["slaves"][name] or {}).items():
            spec = ports.OPTIONS[option]
            # What the version keeps comes back as written; what it drops does not.
            assert kept.get(f"bond-port.{spec.keyfile_key}") == (
                str(value) if known.keeps(spec) else None), (oracle, name, normalised)
    if all(known.keeps(o) for o in ports.TABLE):
        for text in files.values():
            assert_networkmanager_keeps_everything(oracle, text)


def test_a_slave_setting_the_minions_networkmanager_drops_is_refused_naming_it(tmp_path):
    where = Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                      str(tmp_path / "bonding.conf"))
    rhel9 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 9, "osrelease": "9.2"}
    old = next(o for o in nm.ORACLES if o.version == "1.42.4")
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled({"bonds": {"bond0": PORT_BOND}}, "bonding", where, rhel9,
                             old.stack)
    assert caught.value.errors == [(
        "bonding:bonds:bond0:slaves:eth0:prio",
        "NetworkManager before 1.42.8 drops slave setting prio from the keyfile files it "
        "reads, with a log line only, and this minion's is 1.42.4 (installed): leave it out, "
        "upgrade NetworkManager to 1.42.8 or later")]
    # Not known: RHEL 9.2 ships 1.42.2; syncing the grains may tell better.
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled({"bonds": {"bond0": PORT_BOND}}, "bonding", where, rhel9,
                             Stack("enabled", False, None))
    assert "1.42.2 (assumed" in caught.value.errors[0][1]
    assert "saltutil.sync_grains" in caught.value.errors[0][1]
    # queue_id alone is fine there (since 1.34), and the newer NetworkManager keeps both.
    queue_only = {**PORT_BOND, "slaves": {"eth0": {"queue_id": 3}, "eth1": None}}
    plan.plan_reconciled({"bonds": {"bond0": queue_only}}, "bonding", where, rhel9, old.stack)
    newer = next(o for o in nm.ORACLES if o.version != "1.42.4")
    written = plan.plan_reconciled({"bonds": {"bond0": PORT_BOND}}, "bonding", where, rhel9,
                                   newer.stack)
    assert "prio=-5" in written.changes[str(tmp_path / "nm" / "eth0.nmconnection")].new
