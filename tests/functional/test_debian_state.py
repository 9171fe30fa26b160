"""Debian and Ubuntu through Salt's real loader (issue #28): salt-call --local state.apply.

The same pillar that serves RHEL writes ifupdown files where ifupdown and
ifenslave are installed and netplan files where netplan is, chosen by the
``bonding_stack`` grain; ``test=True`` shows the diff and writes nothing; a
second run changes nothing; a bond gone from pillar takes only its own file;
a host moved from ifupdown to netplan changes over in one run; ``bond.verify``
reads the files back. Written files are read back by Debian's own readers.
"""

import pytest

from tests.harness import debian
from tests.harness.saltcall import SaltCall, apply

pytestmark = pytest.mark.functional

DEBIAN = {"os": "Debian", "os_family": "Debian", "osmajorrelease": 12, "osrelease": "12"}
UBUNTU = {"os": "Ubuntu", "os_family": "Debian", "osmajorrelease": 24, "osrelease": "24.04"}
IFUPDOWN = {"networkmanager": "absent", "network_scripts": False, "ifupdown": True,
            "ifenslave": True, "netplan": False}
NETPLAN = {**IFUPDOWN, "ifupdown": False, "ifenslave": False, "netplan": True}
PILLAR = {"bonding": {"bonds": {
    "bond0": {"mode": "802.3ad", "slaves": ["ens1f0", "ens1f1"], "miimon": 100,
              "lacp_rate": "fast", "xmit_hash_policy": "layer3+4",
              "ipaddr": "192.0.2.10", "prefix": 24, "gateway": "192.0.2.1",
              "vlans": {100: {"ipaddr": "198.51.100.20", "prefix": 24}}},
    "bond1": {"mode": "active-backup", "slaves": ["eno1", "eno2"], "miimon": 100,
              "primary": "eno1"}}}}


@pytest.fixture(scope="module", autouse=True)
def readers():
    debian.require("ifquery", "netplan")


@pytest.fixture
def salt_call(tmp_path):
    return SaltCall(tmp_path)


def test_debian_with_ifupdown_gets_stanza_files_ifupdown_reads(salt_call):
    interfaces_d = salt_call.root / "network" / "interfaces.d"
    interfaces = salt_call.root / "network" / "interfaces"
    salt_call.configure(grains={**DEBIAN, "bonding_stack": IFUPDOWN})
    salt_call.set_pillar(PILLAR)
    # test=True: the diff, nothing written.
    rc, state = apply(salt_call, "test=True")
    assert rc == 0 and state["result"] is None, state
    assert set(state["changes"]) == {str(interfaces_d / "bond0"), str(interfaces_d / "bond1"),
                                     str(interfaces), str(salt_call.modprobe_conf)}
    assert "+    bond-lacp-rate fast" in state["changes"][str(interfaces_d / "bond0")]["diff"]
    assert not interfaces_d.exists() and not interfaces.exists()
    # The run: the files, and the source line /etc/network/interfaces lacked.
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True, state
    assert "Debian 12, format: auto, ifupdown brings the bonds up with ifenslave" in \
        state["comment"], state["comment"]
    read = debian.ifquery(interfaces, ["bond0", "bond0.100", "bond1"])
    assert {k: v for k, v in read["bond0"] if k.startswith("bond-")} == {
        "bond-slaves": "ens1f0 ens1f1", "bond-mode": "802.3ad", "bond-miimon": "100",
        "bond-lacp-rate": "fast", "bond-xmit-hash-policy": "layer3+4"}
    assert ("address", "198.51.100.20") in read["bond0.100"]
    assert ("bond-primary", "eno1") in read["bond1"]
    assert apply(salt_call)[1]["changes"] == {}
    _, drift = salt_call.run("bond.verify")  # (no bonds in this kernel: that drifts)
    assert drift["bonds"]["bond0"]["files"] == drift["bonds"]["bond1"]["files"] == [], drift
    edited = (interfaces_d / "bond1").read_text().replace("bond-primary eno1", "")
    (interfaces_d / "bond1").write_text(edited)
    _, drift = salt_call.run("bond.verify")
    assert drift["bonds"]["bond0"]["files"] == [] and drift["bonds"]["bond1"]["files"], drift
    # bond1 leaves pillar: only its file goes.
    salt_call.set_pillar({"bonding": {"bonds": {"bond0": PILLAR["bonding"]["bonds"]["bond0"]}}})
    rc, state = apply(salt_call)
    assert rc == 0 and state["changes"][str(interfaces_d / "bond1")]["action"] == "removed"
    assert sorted(p.name for p in interfaces_d.iterdir()) == ["bond0"]


def test_ubuntu_with_netplan_gets_netplan_files_and_a_host_changes_over_in_one_run(salt_call):
    netplan_dir = salt_call.root / "netplan"
    interfaces_d = salt_call.root / "network" / "interfaces.d"
    salt_call.set_pillar(PILLAR)
    salt_call.configure(grains={**DEBIAN, "bonding_stack": IFUPDOWN})
    assert apply(salt_call)[1]["result"] is True
    # netplan installed (an upgrade to a netplan host): netplan files, the ifupdown ones gone.
    salt_call.configure(grains={**UBUNTU, "bonding_stack": NETPLAN})
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True, state
    assert "Ubuntu 24, format: auto, netplan hands the bonds to systemd-networkd" in \
        state["comment"], state["comment"]
    assert sorted(p.name for p in netplan_dir.iterdir()) == ["90-salt-bond-bond0.yaml",
                                                             "90-salt-bond-bond1.yaml"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in netplan_dir.iterdir())
    assert list(interfaces_d.iterdir()) == []
    rc, stderr, out = debian.netplan_generate(
        salt_call.root / "generated",
        {p.name: p.read_text() for p in netplan_dir.iterdir()})
    assert rc == 0, stderr
    bond = debian.sections(out["10-netplan-bond0.netdev"])["Bond"]
    assert sorted(bond) == [("LACPTransmitRate", "fast"), ("MIIMonitorSec", "100ms"),
                            ("Mode", "802.3ad"), ("TransmitHashPolicy", "layer3+4")]
    assert apply(salt_call)[1]["changes"] == {}


def test_what_the_format_cannot_write_fails_the_run_naming_the_key(salt_call):
    salt_call.configure(grains={**UBUNTU, "bonding_stack": NETPLAN})
    bond = {**PILLAR["bonding"]["bonds"]["bond0"], "lacp_active": "off"}
    salt_call.set_pillar({"bonding": {"bonds": {"bond0": bond}}})
    rc, state = apply(salt_call)
    assert rc != 0 and state["result"] is False and state["changes"] == {}, state
    assert state["comment"] == (
        "No files changed. bonding:bonds:bond0:lacp_active: netplan has no bond parameter for "
        "it (0.106 to 1.x): netplan files cannot set lacp_active; leave it out, or use "
        "format: ifupdown or keyfile where those are what the minion reads")
    assert not (salt_call.root / "netplan").exists()
    # Neither stack installed: refused with the way out.
    salt_call.configure(grains={**DEBIAN, "bonding_stack": {**IFUPDOWN, "ifupdown": False,
                                                            "ifenslave": False}})
    rc, state = apply(salt_call)
    assert rc != 0 and "Traceback" not in state["comment"]
    assert "bonding:format: Debian 12 has neither netplan nor ifupdown with ifenslave" in \
        state["comment"], state["comment"]
