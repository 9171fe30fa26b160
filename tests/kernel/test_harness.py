"""The harness itself, on the real bonding driver: bonds appear, fail over, get captured."""

import pytest

pytestmark = pytest.mark.kernel

SCENARIOS = [
    {
        "name": "active-backup-failover",
        "bonds": [{
            "name": "bond0", "mode": "active-backup",
            "options": {"miimon": 100, "primary": "va"},
            "slaves": [{"name": "va", "peer": "pa"}, {"name": "vb", "peer": "pb"}],
        }],
        "neighbour": {"peers": ["pa", "pb"], "addresses": ["192.0.2.1/24"]},
        "addresses": [{"dev": "bond0", "address": "192.0.2.10/24"}],
        "steps": [
            {"id": "up", "wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
            {"id": "before", "read": "/proc/net/bonding/bond0"},
            {"id": "ping-before", "run": ["ping", "-c1", "-W2", "192.0.2.1"]},
            {"ns": ["link", "set", "pa", "down"]},
            {"id": "moved", "wait": {"path": "bond0/bonding/active_slave", "equals": "vb"}},
            {"id": "after", "read": "/proc/net/bonding/bond0"},
            {"id": "ping-after", "run": ["ping", "-c1", "-W2", "192.0.2.1"]},
            {"id": "nonroot", "run": ["cat", "/proc/net/bonding/bond0"], "user": 65534},
            {"id": "cap", "capture": "active-backup-failover"},
        ],
    },
    {
        "name": "lacp-partners",
        "bonds": [
            {"name": "bond1", "mode": "802.3ad", "options": {"miimon": 100, "lacp_rate": "fast"},
             "slaves": [{"name": "va", "peer": "pa"}, {"name": "vb", "peer": "pb"}]},
            {"name": "bond2", "mode": "802.3ad", "options": {"miimon": 100, "lacp_rate": "fast"},
             "slaves": [{"name": "pa"}, {"name": "pb"}]},
        ],
        "steps": [
            {"id": "agg", "wait": {"path": "va/bonding_slave/ad_partner_oper_port_state",
                                   "equals": "63", "timeout": 15}},
            {"id": "proc", "read": "/proc/net/bonding/bond1"},
            {"id": "nonroot", "run": ["cat", "/proc/net/bonding/bond1"], "user": 65534},
        ],
    },
    {
        "name": "salt-inside",
        "bonds": [{"name": "bond0", "mode": "balance-rr", "options": {"miimon": 100},
                   "slaves": [{"name": "d0", "kind": "dummy"}]}],
        "steps": [
            # a real salt-call process each (the other scenarios call the warm caller)
            {"id": "ping", "salt": ["test.ping"], "process": True},
            {"id": "ping-nobody", "salt": ["test.ping"], "user": 65534, "process": True},
            {"id": "ping-warm", "salt": ["test.ping"]},
            {"id": "ping-warm-nobody", "salt": ["test.ping"], "user": 65534},
        ],
    },
]


@pytest.fixture(scope="module")
def run(uml):
    return uml.run(SCENARIOS)


def test_kernel_is_uml_with_bonding(run):
    assert run.raw["uname"].startswith("6.")
    text = run["active-backup-failover"].stdout("before")
    assert text.startswith("Ethernet Channel Bonding Driver: v")
    assert "Bonding Mode: fault-tolerance (active-backup)" in text
    assert "Currently Active Slave: va" in text


def test_failover_is_real(run):
    result = run["active-backup-failover"]
    assert result.step("ping-before")["rc"] == 0
    assert result.step("moved")["rc"] == 0, result.step("moved")
    after = result.stdout("after")
    assert "Currently Active Slave: vb" in after
    va_block = after.split("Slave Interface: va")[1].split("Slave Interface:")[0]
    assert "MII Status: down" in va_block
    assert "Link Failure Count: 1" in va_block
    assert result.step("ping-after")["rc"] == 0


def test_capture_holds_proc_and_sysfs(run):
    root = run["active-backup-failover"].capture("active-backup-failover")
    assert (root / "proc/net/bonding/bond0").read_text().startswith("Ethernet Channel")
    assert (root / "sys/class/net/bond0/bonding/mode").read_text().split() == ["active-backup", "1"]
    assert (root / "sys/class/net/bond0/bonding/active_slave").read_text().strip() == "vb"
    assert (root / "sys/class/net/va/bonding_slave/mii_status").read_text().strip() == "down"
    assert (root / "sys/class/net/bond0/lower_va").is_symlink()


def test_lacp_negotiates_between_partner_bonds(run):
    result = run["lacp-partners"]
    assert result.step("agg")["rc"] == 0, result.step("agg")
    text = result.stdout("proc")
    assert "802.3ad info" in text and "Number of ports: 2" in text
    assert "Partner Mac Address: 00:00:00:00:00:00" not in text


def test_nonroot_read_hides_lacp_system_lines(run):
    root_text = run["lacp-partners"].stdout("proc")
    user_text = run["lacp-partners"].stdout("nonroot")
    assert "System MAC address" in root_text
    assert "System MAC address" not in user_text
    assert "Active Aggregator Info" not in user_text


def test_salt_call_runs_inside_the_kernel(run):
    result = run["salt-inside"]
    assert result.salt("ping") == (True, 0)
    assert result.salt("ping-nobody") == (True, 0)


def test_the_warm_caller_answers_as_salt_call_does(run):
    """The warm Salt caller (warm_salt.py) of each user gives what salt-call gives."""
    result = run["salt-inside"]
    assert result.salt("ping-warm") == (True, 0)
    assert result.salt("ping-warm-nobody") == (True, 0)
    assert len(run.raw["warm_salt_start_seconds"]) == 2, run.raw  # root's and nobody's
