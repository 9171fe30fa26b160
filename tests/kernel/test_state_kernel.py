"""Pillar -> files -> kernel -> status, end to end in one user-mode-linux boot.

Inside the kernel: ``salt-call state.apply bonding`` writes the ifcfg files of
the pillar below (into a tmpfs, ``bond.ifcfg_dir``); ``tests/harness/ifup_bond.sh``
brings each bond up from those files the way initscripts' ifup-eth does; then
``bond.status`` and ``bond.health`` must show exactly the pillar's bonds, and a
second ``state.apply`` with ``test=True`` must find nothing to change.

The scenario itself creates only links: veth pairs for the active-backup bond,
and a partner 802.3ad bond (bond9, built by the harness) on the far ends of
the 802.3ad bond's slaves, so that LACP really negotiates.
"""

import json

import pytest
from salt_bonding.config import schema

from tests.harness import uml as uml_harness
from tests.harness.capture_scenarios import wait_lacp, wait_slave_up

pytestmark = pytest.mark.kernel

IFCFG_DIR = "/run/bond-state-test/network-scripts"  # a tmpfs inside the kernel
IFUP = str(uml_harness.HARNESS / "ifup_bond.sh")
PILLAR = {
    "bonding": {
        "bonds": {
            "bond0": {
                "mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100,
                "updelay": 200, "primary": "vb", "primary_reselect": "better",
                "ipaddr": "192.0.2.10", "prefix": 24, "mtu": 1400,
                "vlans": {100: {"ipaddr": "198.51.100.10", "prefix": 24}},
            },
            "bond1": {
                "mode": "802.3ad", "slaves": ["vc", "vd"], "miimon": "100",
                "lacp_rate": "fast", "xmit_hash_policy": "layer3+4",
                "netmask": "255.255.255.0", "ipaddr": "203.0.113.10",
            },
        },
    },
}
PARTNER = {"name": "bond9", "mode": "802.3ad", "options": {"miimon": 100, "lacp_rate": "fast"},
           "slaves": [{"name": "pc", "peer": "vc"}, {"name": "pd", "peer": "vd"}]}


def wait_actor_collecting(slave):
    """Until our side of the port is collecting and distributing too (state 63)."""
    return {"wait": {"path": f"{slave}/bonding_slave/ad_actor_oper_port_state",
                     "equals": "63", "timeout": 15}}


def veth(name, peer):
    return [{"ip": ["link", "add", name, "type", "veth", "peer", "name", peer]},
            {"ip": ["link", "set", peer, "up"]}]


SCENARIO = {
    "name": "state-end-to-end",
    "bonds": [PARTNER],  # also makes the pairs vc/pc and vd/pd
    "steps": [
        {"id": "mkdir", "run": ["mkdir", "-p", IFCFG_DIR]},
        *veth("va", "pa"), *veth("vb", "pb"),
        {"id": "apply", "salt": ["state.apply", "bonding"]},
        {"id": "files", "run": ["bash", "-c", 'cd "$1" && grep -H . ifcfg-*', "-", IFCFG_DIR]},
        {"id": "ifup-bond0", "run": ["bash", IFUP, IFCFG_DIR, "bond0"]},
        {"id": "ifup-bond1", "run": ["bash", IFUP, IFCFG_DIR, "bond1"]},
        {"id": "active", "wait": {"path": "bond0/bonding/active_slave", "equals": "vb"}},
        wait_slave_up("va"), wait_slave_up("vb"),
        *[wait_lacp(port) for port in ("vc", "vd", "pc", "pd")],
        *[wait_actor_collecting(port) for port in ("vc", "vd")],
        {"id": "status", "salt": ["bond.status"]},
        {"id": "health", "salt": ["bond.health"]},
        {"id": "vlan", "run": ["ip", "-d", "-j", "addr", "show", "dev", "bond0.100"]},
        {"id": "addr-bond0", "run": ["ip", "-j", "addr", "show", "dev", "bond0"]},
        {"id": "addr-bond1", "run": ["ip", "-j", "addr", "show", "dev", "bond1"]},
        {"id": "again", "salt": ["state.apply", "bonding", "test=True"]},
    ],
}


@pytest.fixture(scope="module")
def result(uml):
    run = uml.run([SCENARIO], pillar=PILLAR, minion_opts={"bond.ifcfg_dir": IFCFG_DIR})
    return run["state-end-to-end"]


@pytest.fixture(scope="module")
def config():
    return schema.validate(PILLAR["bonding"])


def test_apply_writes_the_files(result):
    states = result.salt_ok("apply")
    assert [s["result"] for s in states.values()] == [True], states
    files = result.stdout_ok("files")
    names = sorted({line.split(":", 1)[0] for line in files.splitlines()})
    assert names == ["ifcfg-bond0", "ifcfg-bond0.100", "ifcfg-bond1", "ifcfg-va", "ifcfg-vb",
                     "ifcfg-vc", "ifcfg-vd"]
    assert ("ifcfg-bond0:BONDING_OPTS=\"mode=active-backup miimon=100 updelay=200 "
            "primary=vb primary_reselect=better\"") in files.splitlines()


@pytest.mark.parametrize("bond", ["bond0", "bond1"])
def test_ifup_from_the_files(result, bond):
    """Every BONDING_OPTS write, enslavement and address of ifup_bond.sh succeeded."""
    out = result.stdout_ok(f"ifup-{bond}")
    assert f"+ echo {PILLAR['bonding']['bonds'][bond]['mode']} > /sys/class/net/{bond}/" \
           "bonding/mode" in out
    for slave in PILLAR["bonding"]["bonds"][bond]["slaves"]:
        assert f"+ echo +{slave} > /sys/class/net/{bond}/bonding/slaves" in out


def status_value(status, name):
    """What bond.status reports for a kernel option, as our canonical text."""
    value = status.get(name)
    if value is None and status.get("ad"):
        value = status["ad"].get(name)
    return str(value) if value is not None else None


@pytest.mark.parametrize("bond", ["bond0", "bond1"])
def test_kernel_runs_the_pillars_options(result, config, bond):
    status = result.salt_ok("status")[bond]
    wanted = config.bonds[bond]
    assert status["mode"] == wanted.mode
    assert {name: status_value(status, name) for name in wanted.options} == wanted.options
    assert sorted(status["slaves"]) == wanted.slaves
    assert {s["mii_status"] for s in status["slaves"].values()} == {"up"}


def test_active_backup_primary(result):
    assert result.step("active")["rc"] == 0, result.step("active")
    bond0 = result.salt_ok("status")["bond0"]
    assert (bond0["primary"], bond0["active_slave"]) == ("vb", "vb")
    assert bond0["primary_reselect"] == "better"
    assert bond0["health"] == {"status": "ok", "problems": []}


def test_lacp_negotiated_with_the_partner(result):
    status = result.salt_ok("status")
    bond1, partner = status["bond1"]["ad"], status["bond9"]["ad"]
    assert (bond1["lacp_rate"], status["bond1"]["xmit_hash_policy"]) == ("fast", "layer3+4")
    assert bond1["partner_mac"] == partner["system_mac"] != "00:00:00:00:00:00"
    assert bond1["num_ports"] == 2
    for name, slave in status["bond1"]["slaves"].items():
        assert (slave["actor_port_state"], slave["partner_port_state"]) == (63, 63), name
        assert slave["aggregator_id"] == bond1["aggregator_id"], name
    health = result.salt_ok("health")
    assert health == {"status": "ok", "bonds": {
        name: {"status": "ok", "problems": []} for name in ("bond0", "bond1", "bond9")}}


def addresses(result, step_id):
    (link,) = json.loads(result.stdout_ok(step_id))
    return link, {f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"]
                  if a["family"] == "inet"}


def test_addresses_mtu_and_vlan(result):
    bond0, bond0_addresses = addresses(result, "addr-bond0")
    assert (bond0["mtu"], bond0_addresses) == (1400, {"192.0.2.10/24"})
    _, bond1_addresses = addresses(result, "addr-bond1")
    assert bond1_addresses == {"203.0.113.10/24"}  # from NETMASK
    vlan, vlan_addresses = addresses(result, "vlan")
    assert vlan["link"] == "bond0" and vlan["mtu"] == 1400
    assert (vlan["linkinfo"]["info_kind"], vlan["linkinfo"]["info_data"]["id"]) == ("vlan", 100)
    assert vlan_addresses == {"198.51.100.10/24"}
    assert sorted(result.salt_ok("status")) == ["bond0", "bond1", "bond9"]  # not bond0.100


def test_second_apply_changes_nothing(result):
    states = result.salt_ok("again")
    assert [(s["result"], s["changes"]) for s in states.values()] == [(True, {})], states
