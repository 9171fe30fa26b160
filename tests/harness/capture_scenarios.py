"""Real-kernel captures the project keeps under ``tests/captures/<scenario>/``.

Each capture directory is self-contained: ``proc/net/bonding/<bond>`` and
``sys/class/net/...`` as the real 6.1 bonding driver wrote them, so a test (or
another minion in the fleet tests) points ``bond.procfs`` at
``<dir>/proc/net/bonding`` and ``bond.sysfs`` at ``<dir>/sys/class/net``.
Directories ending in ``-nonroot`` hold only the procfs text as user nobody
reads it (the kernel hides the 802.3ad system and aggregator lines).

Regenerate them all with one user-mode-linux boot (as root)::

    .venv/bin/python -m tests.harness.capture_scenarios

MAC addresses differ on every boot; tests must not depend on them.
"""

import shutil
import sys
import tempfile
from pathlib import Path

from tests.harness import uml as uml_harness

if str(uml_harness.REPO / "_utils") not in sys.path:  # run as a script, not under pytest
    sys.path.insert(0, str(uml_harness.REPO / "_utils"))
from salt_bonding.config.modes import MODES  # noqa: E402  (kernel mode names, by number)

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
NOBODY = 65534


def veth_slaves(*names):
    """Slaves over veth pairs: slave ``vX`` with peer ``pX``."""
    return [{"name": name, "peer": "p" + name[1:]} for name in names]


def wait_bond_up(bond="bond0"):
    return {"wait": {"path": f"{bond}/bonding/mii_status", "equals": "up"}}


def wait_slave_up(slave):
    return {"wait": {"path": f"{slave}/bonding_slave/mii_status", "equals": "up"}}


def wait_lacp(slave):
    """Until the partner reports the port fully aggregated (state 63, fast rate)."""
    return {"wait": {"path": f"{slave}/bonding_slave/ad_partner_oper_port_state",
                     "equals": "63", "timeout": 15}}


def mode_scenario(mode):
    """One bond of ``mode`` over two veth pairs, both slaves up."""
    options = {"miimon": 100}
    if mode == "802.3ad":
        options["lacp_rate"] = "fast"
    if mode in ("balance-xor", "802.3ad"):
        options["xmit_hash_policy"] = "layer3+4"
    name = f"mode-{mode}"
    steps = [wait_bond_up(), wait_slave_up("va"), wait_slave_up("vb")]
    if mode in ("active-backup", "balance-tlb", "balance-alb"):
        steps.append({"wait": {"path": "bond0/bonding/active_slave", "equals": "va"}})
    if mode == "802.3ad":  # no partner: the aggregator chosen, one port in it
        steps.append({"wait": {"path": "bond0/bonding/ad_num_ports", "equals": "1"}})
    return {
        "name": name,
        "bonds": [{"name": "bond0", "mode": mode, "options": options,
                   "slaves": veth_slaves("va", "vb")}],
        "steps": [*steps, {"capture": name}],
    }


def active_backup_scenario():
    """Healthy, then the peer of the active slave down (failover), then back up."""
    return {
        "name": "active-backup",
        "bonds": [{"name": "bond0", "mode": "active-backup",
                   "options": {"miimon": 100, "primary": "va", "primary_reselect": "always"},
                   "slaves": veth_slaves("va", "vb")}],
        "neighbour": {"peers": ["pa", "pb"], "addresses": ["192.0.2.1/24"]},
        "addresses": [{"dev": "bond0", "address": "192.0.2.10/24"}],
        "steps": [
            {"wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
            wait_slave_up("vb"),
            {"capture": "active-backup-healthy"},
            {"ns": ["link", "set", "pa", "down"]},
            {"wait": {"path": "bond0/bonding/active_slave", "equals": "vb"}},
            {"wait": {"path": "va/bonding_slave/mii_status", "equals": "down"}},
            {"capture": "active-backup-failed-over"},
        ],
    }


def lacp_partner_scenario():
    """Two 802.3ad bonds whose slaves are the two ends of veth pairs: they negotiate."""
    options = {"miimon": 100, "lacp_rate": "fast"}
    return {
        "name": "802.3ad-lacp-partner",
        "bonds": [
            {"name": "bond1", "mode": "802.3ad", "options": options,
             "slaves": veth_slaves("va", "vb")},
            {"name": "bond2", "mode": "802.3ad", "options": options,
             "slaves": [{"name": "pa"}, {"name": "pb"}]},
        ],
        "steps": [
            wait_lacp("va"), wait_lacp("vb"), wait_lacp("pa"), wait_lacp("pb"),
            {"capture": "802.3ad-lacp-partner"},
            {"id": "nonroot", "run": ["cat", "/proc/net/bonding/bond1"], "user": NOBODY},
        ],
    }


def no_partner_scenario():
    return {
        "name": "802.3ad-no-partner",
        "bonds": [{"name": "bond0", "mode": "802.3ad",
                   "options": {"miimon": 100, "lacp_rate": "fast"},
                   "slaves": [{"name": "d0", "kind": "dummy"}, {"name": "d1", "kind": "dummy"}]}],
        "steps": [wait_bond_up(),  # no partner: the aggregator chosen, one port in it
                  {"wait": {"path": "bond0/bonding/ad_num_ports", "equals": "1"}},
                  {"capture": "802.3ad-no-partner"}],
    }


def arp_scenarios():
    """ARP monitoring with two targets: one answered by a neighbour, and none answered."""
    def scenario(name, neighbour_address, steps):
        spec = {
            "name": name,
            "bonds": [{"name": "bond0", "mode": "active-backup",
                       "options": {"arp_interval": 100,
                                   "arp_ip_target": ["192.0.2.1", "192.0.2.2"]},
                       "slaves": veth_slaves("va", "vb")}],
            "addresses": [{"dev": "bond0", "address": "192.0.2.10/24"}],
            "steps": steps,
        }
        if neighbour_address:
            spec["neighbour"] = {"peers": ["pa", "pb"], "addresses": [neighbour_address]}
        return spec

    return [
        scenario("arp-monitor-two-targets", "192.0.2.1/24", [
            {"wait": {"path": "bond0/bonding/active_slave", "equals": "va", "timeout": 10}},
            wait_slave_up("vb"),  # the backup validated by the ARP monitor too
            {"capture": "arp-monitor-two-targets"},
        ]),
        scenario("arp-monitor-unanswered", None, [
            # nobody answers: the ARP monitor takes both slaves down
            {"wait": {"path": "va/bonding_slave/mii_status", "equals": "down"}},
            {"wait": {"path": "vb/bonding_slave/mii_status", "equals": "down"}},
            {"capture": "arp-monitor-unanswered"},
        ]),
    ]


def no_slaves_scenario():
    return {
        "name": "no-slaves",
        "bonds": [{"name": "bond0", "mode": "balance-rr", "options": {"miimon": 100},
                   "slaves": []}],
        "steps": [{"capture": "no-slaves"}],
    }


def vlan_scenario():
    return {
        "name": "vlan-on-bond",
        "bonds": [{"name": "bond0", "mode": "active-backup", "options": {"miimon": 100},
                   "slaves": veth_slaves("va", "vb")}],
        "vlans": [{"name": "bond0.100", "link": "bond0", "id": 100}],
        "steps": [{"wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
                  wait_slave_up("vb"), {"capture": "vlan-on-bond"}],
    }


def fail_over_mac_scenario():
    """Mode line suffix ``(fail_over_mac active)`` and ``primary_reselect better``."""
    return {
        "name": "active-backup-fail-over-mac",
        "bonds": [{"name": "bond0", "mode": "active-backup",
                   "options": {"miimon": 100, "fail_over_mac": "active",
                               "primary": "vb", "primary_reselect": "better"},
                   "slaves": veth_slaves("va", "vb")}],
        "steps": [{"wait": {"path": "bond0/bonding/active_slave", "equals": "vb"}},
                  wait_slave_up("va"), {"capture": "active-backup-fail-over-mac"}],
    }


def going_back_scenario():
    """A slave whose link came back but waits out updelay: MII Status "going back"."""
    return {
        "name": "updelay-going-back",
        "bonds": [{"name": "bond0", "mode": "active-backup",
                   "options": {"miimon": 100, "updelay": 10000},
                   "slaves": veth_slaves("va", "vb")}],
        "steps": [
            {"wait": {"path": "bond0/bonding/active_slave", "equals": "va", "timeout": 15}},
            {"ip": ["link", "set", "pb", "down"]},
            {"wait": {"path": "vb/bonding_slave/mii_status", "equals": "down"}},
            {"ip": ["link", "set", "pb", "up"]},
            {"wait": {"path": "vb/bonding_slave/mii_status", "equals": "going back"}},
            {"capture": "updelay-going-back"},
        ],
    }


def scenarios():
    return [
        active_backup_scenario(),
        *[mode_scenario(mode) for mode in MODES],
        lacp_partner_scenario(),
        no_partner_scenario(),
        *arp_scenarios(),
        no_slaves_scenario(),
        vlan_scenario(),
        fail_over_mac_scenario(),
        going_back_scenario(),
    ]


def capture_names(specs):
    names = [step["capture"] for spec in specs for step in spec["steps"] if "capture" in step]
    return [*names, "802.3ad-lacp-partner-nonroot"]


def main():
    reason = uml_harness.unavailable_reason()
    if reason:
        sys.exit(f"cannot capture: {reason}")
    specs = scenarios()
    workdir = Path(tempfile.mkdtemp(prefix="bond-capture-"))
    # The harness hides private (0700) directories inside the kernel, keeping only
    # its own boot dir: the staging dir beside it must be reachable.
    workdir.chmod(0o755)
    staging = workdir / "captures"
    run = uml_harness.Uml(workdir).run(specs, capture_root=staging)
    failed = [spec["name"] for spec in specs if run[spec["name"]].error]
    for spec in specs:
        for step_id, step in run[spec["name"]].data["steps"].items():
            if step.get("rc"):
                failed.append(f"{spec['name']} step {step_id}: {step}")
    nonroot = run["802.3ad-lacp-partner"].stdout("nonroot")
    nonroot_dir = staging / "802.3ad-lacp-partner-nonroot" / "proc" / "net" / "bonding"
    nonroot_dir.mkdir(parents=True)
    (nonroot_dir / "bond1").write_text(nonroot)
    if failed:
        sys.exit("capture failed (nothing replaced in tests/captures):\n" + "\n".join(
            failed + [f"see {workdir}"]))
    CAPTURES.mkdir(exist_ok=True)
    for name in capture_names(specs):
        shutil.rmtree(CAPTURES / name, ignore_errors=True)
        shutil.copytree(staging / name, CAPTURES / name, symlinks=True)
        print(f"captured {CAPTURES / name}")
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
