"""The /proc/net/bonding parser on other kernels' samples and on our real-kernel captures."""

import os
from pathlib import Path

import pytest
from salt_bonding import errors
from salt_bonding.observe import health, proc
from salt_bonding.observe import status as bond_status

pytestmark = pytest.mark.unit

CAPTURES = Path(__file__).resolve().parents[1] / "captures"


def roots(capture):
    base = CAPTURES / capture
    return str(base / "proc" / "net" / "bonding"), str(base / "sys" / "class" / "net")


def dig(mapping, dotted):
    for part in dotted.split("."):
        mapping = mapping[part]
    return mapping


# -- public samples of other kernel generations (tests/fixtures/proc-net-bonding) --
# Each sample: the facts that show its format variation was understood.
SAMPLES = {
    "checkmk-activebackup-v3.2.5-no-speed-duplex-primary-no-reselect.txt": {
        "mode": "active-backup", "mode_id": 1, "primary": "eth0", "primary_reselect": None,
        "active_slave": "eth0", "slaves.eth4.speed_mbps": None, "slaves.eth4.duplex": None,
        "slaves.eth4.queue_id": None, "slaves.eth0.link_failure_count": 1,
        "slaves.eth0.perm_hwaddr": "00:26:b9:7d:89:2e", "fail_over_mac": "none",
    },
    "checkmk-activebackup-v5.13.19-pve-peer-notif-delay-RECONSTRUCTED.txt": {
        "driver_version": "v5.13.19-5-pve", "primary": None, "primary_reselect": None,
        "active_slave": "enp129s0f2", "peer_notif_delay": 0, "updelay": 200,
        "downdelay": 200, "slaves.enp129s0f3.speed_mbps": 10000,
    },
    "checkmk-balance-rr-v3.7.1-no-slaves-mii-down.txt": {
        "mode": "balance-rr", "mii_status": "down", "miimon": 0, "slaves": {},
        "active_slave": None, "primary": None, "fail_over_mac": None,
    },
    "insights-core-8023ad-v3.2.4-docstring-no-speed-duplex.txt": {
        "mode": "802.3ad", "ad.aggregator_id": 3, "ad.num_ports": 1, "ad.actor_key": 17,
        "ad.partner_key": 1, "ad.partner_mac": "00:00:00:00:00:00", "ad.min_links": None,
        "slaves.eth2.aggregator_id": 2, "slaves.eth1.speed_mbps": None,
    },
    "insights-core-8023ad-v3.2.4-partner-zero-agg-mismatch-stray-line.txt": {
        "ad.aggregator_id": 3, "slaves.eth2.aggregator_id": 2,
        "slaves.eth2.speed_mbps": 1000, "slaves.eth2.link_failure_count": 0,
        "xmit_hash_policy": "layer2", "miimon": 500, "lacp_rate": "slow",
    },
    "insights-core-8023ad-v3.7.1-lacp-pdu-details-slave-down-partner-zero.txt": {
        "ad.aggregator_id": 1, "ad.system_mac": "08:00:27:99:a3:6b", "ad.system_priority": 65535,
        "ad.active_aggregator": True, "updelay": 2000, "downdelay": 1000,
        "slaves.enp0s9.actor_port_state": 77, "slaves.enp0s9.partner_port_state": 1,
        "slaves.enp0s9.partner_mac": "00:00:00:00:00:00",
        "slaves.enp0s9.partner_churn_state": "churned", "slaves.enp0s9.partner_churned_count": 1,
        "slaves.enp0s8.actor_port_state": 69, "slaves.enp0s8.aggregator_id": 2,
        "slaves.enp0s8.mii_status": "down", "slaves.enp0s8.speed_mbps": None,
        "slaves.enp0s8.duplex": None,
    },
    "insights-core-activebackup-v3.7.1-arp-monitor-primary-reselect-failure.txt": {
        "miimon": 0, "arp_interval": 1000, "arp_ip_target": ["10.152.1.1"],
        "primary": "em3", "primary_reselect": "failure", "slaves.em3.link_failure_count": 92028,
    },
    "insights-core-activebackup-v3.7.1-primary-none.txt": {
        "mode": "active-backup", "primary": None, "active_slave": "enp17s0f0",
    },
    "insights-core-balance-rr-v3.7.1.txt": {
        "mode": "balance-rr", "mode_id": 0, "ad": None, "xmit_hash_policy": None,
        "arp_interval": 0, "arp_ip_target": [],
    },
    "insights-core-balance-xor-v3.7.1-layer2+3.txt": {
        "mode": "balance-xor", "mode_id": 2, "xmit_hash_policy": "layer2+3",
        "slaves.eno2.perm_hwaddr": "2c:44:fd:80:5c:f9",
    },
    "inspec-8023ad-v3.7.1-slave-down-agg-mismatch-aggid-before-queueid.txt": {
        "ad.aggregator_id": 1, "slaves.eth2.aggregator_id": 2, "slaves.eth2.mii_status": "down",
        "slaves.eth2.queue_id": 0,
    },
    "linux-kernel-doc-balance-rr-2.6.1-currently-active-in-rr.txt": {
        "driver_version": "2.6.1 (October 29, 2004)", "mode": "balance-rr", "miimon": 1000,
        "active_slave": "eth0", "slaves.eth1.speed_mbps": None, "slaves.eth1.queue_id": None,
        "slaves.eth1.perm_hwaddr": None, "slaves.eth0.link_failure_count": 1,
    },
    "monitoringplug-8023ad-v3.7.1-healthy-2ports.txt": {
        "ad.aggregator_id": 1, "ad.num_ports": 2, "ad.partner_key": 20045,
        "ad.partner_mac": "00:40:96:de:af:6e", "ad.ad_select": "stable", "lacp_rate": "fast",
        "slaves.eth1.aggregator_id": 1, "slaves.eth1.queue_id": 0,
    },
    "monitoringplug-activebackup-v3.7.1-healthy.txt": {
        "mode": "active-backup", "ad": None,
    },
    "telegraf-8023ad-v3.7.1-nonroot-churn-counts.txt": {
        "ad.system_mac": None, "ad.aggregator_id": None, "ad.partner_mac": None,
        "ad.active_aggregator": None, "ad.min_links": 0, "slaves.eth0.aggregator_id": 2,
        "slaves.eth0.actor_churned_count": 2, "slaves.eth0.actor_port_state": None,
    },
    "telegraf-8023ad-v3.7.1-nonroot-slave-down-speed-unknown.txt": {
        "slaves.eth1.mii_status": "down", "slaves.eth1.speed_mbps": None,
        "slaves.eth1.duplex": None,
    },
    "telegraf-activebackup-v3.6.0-primary-reselect-slave-down.txt": {
        "primary": "eth2", "primary_reselect": "always", "slaves.eth3.perm_hwaddr": None,
        "slaves.eth2.queue_id": None, "slaves.eth3.queue_id": 0,
        "slaves.eth3.link_failure_count": 2, "slaves.eth2.speed_mbps": 100,
    },
}


def test_every_public_sample_has_expectations(proc_samples):
    assert sorted(p.name for p in proc_samples.glob("*.txt")) == sorted(SAMPLES)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_public_sample(proc_samples, sample):
    status = bond_status.status_from_proc((proc_samples / sample).read_text())
    for path, expected in SAMPLES[sample].items():
        assert dig(status, path) == expected, path


def test_public_sample_read_as_a_tree_without_sysfs(proc_samples, tmp_path):
    """The file names are not bond names: copy two into a procfs root of our own."""
    procfs = tmp_path / "bonding"
    procfs.mkdir()
    for bond, sample in (("bond0", "monitoringplug-8023ad-v3.7.1-healthy-2ports.txt"),
                         ("team-a", "insights-core-balance-rr-v3.7.1.txt")):
        (procfs / bond).write_text((proc_samples / sample).read_text())
    result = bond_status.read_status(str(procfs), str(tmp_path / "no-sysfs"))
    assert sorted(result) == ["bond0", "team-a"]
    assert result["bond0"]["ad"]["partner_mac"] == "00:40:96:de:af:6e"
    assert result["team-a"]["mode"] == "balance-rr"
    assert all("error" not in entry and "warnings" not in entry for entry in result.values())


# -- sections --------------------------------------------------------------------
def test_pdu_blocks_keep_their_repeated_keys_apart(proc_samples):
    sample = "insights-core-8023ad-v3.7.1-lacp-pdu-details-slave-down-partner-zero.txt"
    text = (proc_samples / sample).read_text()
    parsed = proc.parse_proc(text)
    first = parsed["slaves"][0]
    assert first["actor_pdu"]["system mac address"] == "08:00:27:99:a3:6b"
    assert first["partner_pdu"]["system mac address"] == "00:00:00:00:00:00"
    assert first["actor_pdu"]["port key"] == "9" and first["partner_pdu"]["oper key"] == "1"
    # The pdu keys never leak into the slave's own fields.
    assert "port state" not in first["fields"]
    assert parsed["aggregator"]["Aggregator ID"] == "1"
    assert "Aggregator ID" not in parsed["ad"]


def test_aggregator_block_ends_where_its_keys_end():
    text = MINIMAL_8023AD.replace("Partner Mac Address: 00:11:22:33:44:55\n",
                                  "Partner Mac Address: 00:11:22:33:44:55\nFuture Key: 7\n")
    parsed = proc.parse_proc(text)
    assert parsed["ad"]["Future Key"] == "7"
    assert "Future Key" not in parsed["aggregator"]


def test_no_active_aggregator_line():
    text = MINIMAL_8023AD.split("Active Aggregator Info:")[0] + "bond0 has no active aggregator\n"
    status = bond_status.status_from_proc(text)
    assert status["ad"]["active_aggregator"] is False
    assert status["ad"]["aggregator_id"] is None
    assert status["ad"]["system_mac"] == "00:11:22:33:44:66"


@pytest.mark.parametrize("indent", ["\t", "  ", "        ", "\t\t\t\t", ""])
def test_aggregator_block_any_indent(indent):
    status = bond_status.status_from_proc(MINIMAL_8023AD.replace("\t", indent))
    assert status["ad"]["aggregator_id"] == 1
    assert status["ad"]["partner_mac"] == "00:11:22:33:44:55"


@pytest.mark.parametrize("mode_text, mode, mode_id", [
    ("load balancing (round-robin)", "balance-rr", 0),
    ("fault-tolerance (active-backup)", "active-backup", 1),
    ("load balancing (xor)", "balance-xor", 2),
    ("fault-tolerance (broadcast)", "broadcast", 3),
    ("IEEE 802.3ad Dynamic link aggregation", "802.3ad", 4),
    ("transmit load balancing", "balance-tlb", 5),
    ("adaptive load balancing", "balance-alb", 6),
])
def test_mode_names(mode_text, mode, mode_id):
    status = bond_status.status_from_proc(f"Bonding Mode: {mode_text}\nMII Status: up\n")
    assert (status["mode"], status["mode_id"]) == (mode, mode_id)


MINIMAL_8023AD = """\
Ethernet Channel Bonding Driver: v6.1.0

Bonding Mode: IEEE 802.3ad Dynamic link aggregation
Transmit Hash Policy: layer3+4 (1)
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0

802.3ad info
LACP active: on
LACP rate: fast
Min links: 0
Aggregator selection policy (ad_select): stable
System priority: 65535
System MAC address: 00:11:22:33:44:66
Active Aggregator Info:
\tAggregator ID: 1
\tNumber of ports: 1
\tActor Key: 15
\tPartner Key: 15
\tPartner Mac Address: 00:11:22:33:44:55

Slave Interface: eth0
MII Status: up
Speed: 1000 Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: 00:11:22:33:44:66
Slave queue ID: 0
Aggregator ID: N/A
"""


def test_aggregator_id_not_available():
    status = bond_status.status_from_proc(MINIMAL_8023AD)
    assert status["slaves"]["eth0"]["aggregator_id"] is None
    assert status["xmit_hash_policy"] == "layer3+4"
    assert status["ad"]["lacp_active"] is True


# -- our real-kernel captures (tests/captures, 6.1) --------------------------------
CAPTURE_FACTS = {
    "active-backup-healthy": {"bond0.active_slave": "va", "bond0.primary": "va",
                              "bond0.primary_reselect": "always", "bond0.fail_over_mac": "none"},
    "active-backup-failed-over": {"bond0.active_slave": "vb",
                                  "bond0.slaves.va.mii_status": "down",
                                  "bond0.slaves.va.link_failure_count": 1},
    "active-backup-fail-over-mac": {"bond0.fail_over_mac": "active", "bond0.primary": "vb",
                                    "bond0.primary_reselect": "better"},
    "mode-balance-rr": {"bond0.mode": "balance-rr", "bond0.active_slave": None},
    "mode-active-backup": {"bond0.mode": "active-backup", "bond0.primary": None,
                           # not printed without a primary: from sysfs
                           "bond0.primary_reselect": "always"},
    "mode-balance-xor": {"bond0.mode": "balance-xor", "bond0.xmit_hash_policy": "layer3+4"},
    "mode-broadcast": {"bond0.mode": "broadcast", "bond0.mode_id": 3},
    "mode-802.3ad": {"bond0.mode_id": 4, "bond0.lacp_rate": "fast",
                     "bond0.xmit_hash_policy": "layer3+4"},
    "mode-balance-tlb": {"bond0.mode": "balance-tlb", "bond0.active_slave": "va"},
    "mode-balance-alb": {"bond0.mode": "balance-alb", "bond0.active_slave": "va"},
    "802.3ad-lacp-partner": {"bond1.ad.num_ports": 2, "bond1.slaves.va.actor_port_state": 63,
                             "bond1.slaves.vb.partner_port_state": 63,
                             "bond2.ad.aggregator_id": 1, "bond1.ad.lacp_active": True},
    "802.3ad-lacp-partner-nonroot": {"bond1.ad.system_mac": None, "bond1.ad.aggregator_id": None,
                                     "bond1.slaves.va.aggregator_id": 1,
                                     "bond1.slaves.va.actor_port_state": None},
    "802.3ad-no-partner": {"bond0.ad.partner_mac": "00:00:00:00:00:00",
                           "bond0.slaves.d0.speed_mbps": None, "bond0.slaves.d1.aggregator_id": 2},
    "arp-monitor-two-targets": {"bond0.arp_interval": 100, "bond0.miimon": 0,
                                "bond0.arp_missed_max": 2,
                                "bond0.arp_ip_target": ["192.0.2.1", "192.0.2.2"],
                                "bond0.ns_ip6_target": []},
    "arp-monitor-unanswered": {"bond0.active_slave": None, "bond0.mii_status": "down",
                               "bond0.slaves.va.mii_status": "going back",
                               "bond0.slaves.vb.mii_status": "going down"},
    "no-slaves": {"bond0.slaves": {}, "bond0.mii_status": "down"},
    "vlan-on-bond": {"bond0.active_slave": "va"},
    "updelay-going-back": {"bond0.slaves.vb.mii_status": "going back", "bond0.updelay": 10000},
}


def test_every_capture_has_expectations():
    assert sorted(p.name for p in CAPTURES.iterdir() if p.is_dir()) == sorted(CAPTURE_FACTS)


@pytest.mark.parametrize("capture", sorted(CAPTURE_FACTS))
def test_capture(capture):
    result = bond_status.read_status(*roots(capture))
    for entry in result.values():
        assert "error" not in entry and "warnings" not in entry
    for path, expected in CAPTURE_FACTS[capture].items():
        assert dig(result, path) == expected, path


def test_every_mode_captured_with_its_slaves():
    for mode in ("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad",
                 "balance-tlb", "balance-alb"):
        status = bond_status.read_status(*roots(f"mode-{mode}"))["bond0"]
        assert status["mode"] == mode
        assert sorted(status["slaves"]) == ["va", "vb"]
        assert {s["speed_mbps"] for s in status["slaves"].values()} == {10000}


def _sysfs(capture, *parts):
    return (CAPTURES / capture / "sys" / "class" / "net").joinpath(*parts).read_text().strip()


@pytest.mark.parametrize("capture", sorted(c for c in CAPTURE_FACTS if not c.endswith("nonroot")))
def test_procfs_alone_agrees_with_the_kernels_sysfs(capture, tmp_path):
    """Two views the kernel wrote of the same bonds: procfs-only parse must match sysfs."""
    procfs, _ = roots(capture)
    result = bond_status.read_status(procfs, str(tmp_path / "absent"))
    for bond, status in result.items():
        mode_name, mode_id = _sysfs(capture, bond, "bonding", "mode").split()
        assert (status["mode"], status["mode_id"]) == (mode_name, int(mode_id))
        assert status["mii_status"] == _sysfs(capture, bond, "bonding", "mii_status")
        assert status["miimon"] == int(_sysfs(capture, bond, "bonding", "miimon"))
        assert status["arp_interval"] == int(_sysfs(capture, bond, "bonding", "arp_interval"))
        assert status["arp_ip_target"] == _sysfs(capture, bond, "bonding", "arp_ip_target").split()
        assert (status["active_slave"] or "") == _sysfs(capture, bond, "bonding", "active_slave")
        assert sorted(status["slaves"]) == sorted(
            _sysfs(capture, bond, "bonding", "slaves").split())
        for name, slave in status["slaves"].items():
            assert slave["mii_status"] == _sysfs(capture, name, "bonding_slave", "mii_status")
            assert slave["link_failure_count"] == int(
                _sysfs(capture, name, "bonding_slave", "link_failure_count"))
            assert slave["perm_hwaddr"] == _sysfs(capture, name, "bonding_slave", "perm_hwaddr")
        if status["ad"] is not None:
            assert status["ad"]["aggregator_id"] == int(
                _sysfs(capture, bond, "bonding", "ad_aggregator"))
            assert status["ad"]["partner_mac"] == _sysfs(capture, bond, "bonding",
                                                         "ad_partner_mac")
            for name, slave in status["slaves"].items():
                assert slave["actor_port_state"] == int(
                    _sysfs(capture, name, "bonding_slave", "ad_actor_oper_port_state"))


def test_sysfs_fills_what_a_nonroot_read_hides():
    procfs, _ = roots("802.3ad-lacp-partner-nonroot")
    _, sysfs = roots("802.3ad-lacp-partner")
    merged = bond_status.read_status(procfs, sysfs)["bond1"]
    root_read = bond_status.read_status(*roots("802.3ad-lacp-partner"))["bond1"]
    assert merged["ad"]["aggregator_id"] == root_read["ad"]["aggregator_id"] == 1
    assert merged["ad"]["partner_mac"] == root_read["ad"]["partner_mac"]
    assert merged["slaves"]["va"]["partner_port_state"] == 63
    # procfs has no system MAC for nobody, and sysfs has no file that means the same.
    assert merged["ad"]["system_mac"] is None


def test_vlan_on_a_bond_is_not_a_bond():
    assert bond_status.list_bonds(*roots("vlan-on-bond")) == ["bond0"]


# -- sysfs gaps, with a tree of our own ---------------------------------------------
OLD_DRIVER = "checkmk-activebackup-v3.2.5-no-speed-duplex-primary-no-reselect.txt"


def _tree(tmp_path, text, bond="bond0"):
    procfs = tmp_path / "proc"
    procfs.mkdir()
    (procfs / bond).write_text(text)
    sysfs = tmp_path / "sys"
    (sysfs / bond / "bonding").mkdir(parents=True)
    return procfs, sysfs


def _write(base, relative, text):
    path = base / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_sysfs_fills_speed_on_old_drivers_but_never_overrides_procfs(proc_samples, tmp_path):
    procfs, sysfs = _tree(tmp_path, (proc_samples / OLD_DRIVER).read_text())
    _write(sysfs, "eth4/speed", "1000\n")
    _write(sysfs, "eth4/duplex", "full\n")
    _write(sysfs, "eth0/speed", "-1\n")  # what the kernel says for unknown
    _write(sysfs, "eth0/duplex", "unknown\n")
    _write(sysfs, "eth0/bonding_slave/link_failure_count", "99\n")  # procfs says 1
    _write(sysfs, "bond0/bonding/primary_reselect", "better 1\n")
    status = bond_status.read_status(str(procfs), str(sysfs))["bond0"]
    assert status["slaves"]["eth4"]["speed_mbps"] == 1000
    assert status["slaves"]["eth4"]["duplex"] == "full"
    assert status["slaves"]["eth0"]["speed_mbps"] is None
    assert status["slaves"]["eth0"]["duplex"] is None
    assert status["slaves"]["eth0"]["link_failure_count"] == 1
    assert status["primary_reselect"] == "better"
    assert "warnings" not in status


def test_odd_sysfs_entries_become_warnings_not_errors(proc_samples, tmp_path):
    procfs, sysfs = _tree(tmp_path, (proc_samples / OLD_DRIVER).read_text())
    (sysfs / "eth4" / "speed").mkdir(parents=True)  # a directory where a value should be
    _write(sysfs, "eth0/speed", "fast\n")
    status = bond_status.read_status(str(procfs), str(sysfs))["bond0"]
    assert status["slaves"]["eth4"]["speed_mbps"] is None
    assert status["slaves"]["eth0"]["speed_mbps"] is None
    assert len(status["warnings"]) == 2
    assert f"{sysfs}/eth4/speed: Is a directory" in status["warnings"]
    assert f"{sysfs}/eth0/speed: 'fast' is not a number" in status["warnings"]
    assert health.evaluate(status)["status"] == "ok"


# -- bad input ------------------------------------------------------------------------
GOOD = (CAPTURES / "active-backup-healthy" / "proc" / "net" / "bonding" / "bond0")


@pytest.mark.parametrize("content, reason", [
    (b"", "no 'Bonding Mode' line: not a bonding status file"),
    (b"hello world\n", "no 'Bonding Mode' line: not a bonding status file"),
    (b"Bonding Mode: quantum entanglement\nMII Status: up\n",
     "unknown bonding mode 'quantum entanglement'"),
    (b"Ethernet Channel Bonding Driver: v6.1.176\n\nBonding Mode: load balancing (xor)\n",
     "the bond's 'MII Status' line is missing (truncated?)"),
    (b"\x00\xff\xfe garbage", "is not text (byte 1 is not UTF-8)"),
])
def test_garbled_files(tmp_path, content, reason):
    procfs = tmp_path / "proc"
    procfs.mkdir()
    (procfs / "bond0").write_bytes(content)
    entry = health.judge(bond_status.read_status(str(procfs), str(tmp_path / "sys")))["bond0"]
    assert str(procfs / "bond0") in entry["error"]
    assert reason in entry["error"]
    assert entry["health"] == {"status": "unknown", "problems": [entry["error"]]}
    assert "mode" not in entry


def test_truncated_in_a_slave_block(tmp_path):
    text = GOOD.read_text()
    cut = text.index("Slave Interface: vb") + len("Slave Interface: vb\nMII St")
    procfs = tmp_path / "proc"
    procfs.mkdir()
    (procfs / "bond0").write_text(text[:cut])
    (procfs / "bond1").write_text(text)
    result = bond_status.read_status(str(procfs), str(tmp_path / "sys"))
    assert result["bond0"]["error"] == (
        f"{procfs}/bond0: slave vb has no 'MII Status' line (truncated?)")
    assert result["bond1"]["active_slave"] == "va"  # the other bond is still reported


def test_non_ascii_digits_in_an_optional_number_are_not_a_crash(tmp_path):
    # str.isdigit() accepts '²', which int() refuses: such text must not escape as ValueError.
    procfs = tmp_path / "proc"
    procfs.mkdir()
    (procfs / "bond0").write_text(GOOD.read_text().replace("Speed: 10000 Mbps", "Speed: ² Mbps"))
    (procfs / "bond1").write_text(GOOD.read_text())
    result = bond_status.read_status(str(procfs), str(tmp_path / "sys"))
    assert {s["speed_mbps"] for s in result["bond0"]["slaves"].values()} == {None}
    assert result["bond1"]["slaves"]["va"]["speed_mbps"] == 10000


def test_a_counter_that_is_not_a_number(tmp_path):
    procfs = tmp_path / "proc"
    procfs.mkdir()
    (procfs / "bond0").write_text(GOOD.read_text().replace("Link Failure Count: 0",
                                                           "Link Failure Count: many", 1))
    entry = bond_status.read_status(str(procfs), None)["bond0"]
    assert entry["error"] == f"{procfs}/bond0: slave va Link Failure Count: 'many' is not a number"


def test_unreadable_file(tmp_path):
    procfs = tmp_path / "proc"
    (procfs / "bond0").mkdir(parents=True)  # root reads every file: a directory cannot be read
    entry = bond_status.read_status(str(procfs), None)["bond0"]
    assert entry["error"] == f"cannot read {procfs}/bond0: Is a directory"


def test_no_bonding_driver(tmp_path):
    absent = str(tmp_path / "proc" / "net" / "bonding")
    assert bond_status.list_bonds(absent, str(tmp_path)) == []
    assert bond_status.read_status(absent, str(tmp_path)) == {}


def test_unknown_bond_names_the_existing_ones():
    with pytest.raises(errors.UnknownBondError) as raised:
        bond_status.read_status(*roots("802.3ad-lacp-partner"), names="bond9")
    assert str(raised.value) == "no bond named 'bond9' on this host (bonds: bond1, bond2)"


def test_one_bond_by_name():
    assert list(bond_status.read_status(*roots("802.3ad-lacp-partner"), names="bond2")) == ["bond2"]


def test_bond_names_need_not_start_with_bond(tmp_path):
    procfs = tmp_path / "proc"
    procfs.mkdir()
    (procfs / "uplink").write_text(GOOD.read_text())
    assert bond_status.list_bonds(str(procfs)) == ["uplink"]
    assert bond_status.read_status(str(procfs), None)["uplink"]["mode"] == "active-backup"


def test_a_procfs_root_that_is_a_file_is_an_error(tmp_path):
    root = tmp_path / "bonding"
    root.write_text("not a directory\n")
    with pytest.raises(errors.TreeError, match=f"cannot list bonds in {root}: Not a directory"):
        bond_status.list_bonds(str(root))


def test_a_bond_deleted_while_reading_is_gone_not_broken(tmp_path):
    procfs = tmp_path / "proc"
    procfs.mkdir()
    (procfs / "bond0").write_text(GOOD.read_text())
    assert bond_status.read_bond("bond1", str(procfs), None) is None
    assert list(bond_status.read_status(str(procfs), None)) == ["bond0"]


def test_reading_status_does_not_judge_health(tmp_path):
    """Judging is health's job: read_bond returns what was read, readable or not."""
    entry = bond_status.read_bond("bond0", *roots("active-backup-failed-over"))
    assert entry["active_slave"] == "vb"  # a degraded bond, read in full
    assert "health" not in entry
    procfs = tmp_path / "proc"
    procfs.mkdir()
    (procfs / "bond0").write_text("hello world\n")
    assert bond_status.read_bond("bond0", str(procfs), None) == {
        "error": f"{procfs}/bond0: no 'Bonding Mode' line: not a bonding status file"}


@pytest.mark.parametrize("above", ["proc/net", "proc"])
def test_a_configured_procfs_above_the_bonding_directory_is_refused(tmp_path, above):
    """bond.procfs at .../proc/net would list a bond called 'bonding', at .../proc one called
    'net' (each unknown): refused, naming the directory meant."""
    bonding = tmp_path / "proc" / "net" / "bonding"
    bonding.mkdir(parents=True)
    (bonding / "bond0").write_text(GOOD.read_text())
    (tmp_path / "proc" / "net" / "dev").write_text("")
    root = tmp_path / above
    top = "bonding" if above == "proc/net" else "net"
    assert bond_status.configured_root("bond.procfs", str(root)) == (None, (
        f"minion option bond.procfs is '{root}', which holds a directory '{top}', not a file "
        f"per bond (set it to '{bonding}'); it must be the /proc/net/bonding directory "
        "(a file per bond)"))
    with pytest.raises(errors.RootError, match=f"holds a directory '{top}'"):
        bond_status.configured_roots({"bond.procfs": str(root)}.get)
    assert bond_status.configured_root("bond.procfs", str(bonding)) == (str(bonding), None)
    # sysfs roots hold a directory per link: only procfs is checked.
    assert bond_status.configured_root("bond.sysfs", str(root)) == (str(root), None)


@pytest.mark.parametrize("root", ["/proc/net", "/proc/self/net", "/proc/sys"])
def test_a_procfs_root_in_the_kernels_proc_other_than_bonding_is_refused(root):
    """``bond.procfs: /proc/net`` on a host without the bonding driver (no bonding directory
    to see) listed about a hundred fake bonds (``arp``, ``dev``, ...) (issue 26)."""
    _, problem = bond_status.configured_root("bond.procfs", root)
    assert problem is not None and problem.startswith(
        f"minion option bond.procfs is '{root}', which "), problem
    assert problem.endswith("it must be the /proc/net/bonding directory (a file per bond)")
    if not os.path.exists("/proc/net/bonding"):  # this host: no bonding driver
        assert problem == (
            f"minion option bond.procfs is '{root}', which is in the kernel's /proc but is not "
            "its bonding directory (set it to '/proc/net/bonding'); it must be the "
            "/proc/net/bonding directory (a file per bond)")
    with pytest.raises(errors.RootError):
        bond_status.configured_roots({"bond.procfs": root}.get)
