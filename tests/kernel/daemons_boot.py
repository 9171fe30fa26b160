"""One user-mode-linux boot with a salt-master and a salt-minion, shared by the tests
that need real daemons (``test_fleet_kernel``, ``test_beacon_kernel``,
``test_activate_master_kernel``, ``test_rollout_kernel``, ``test_outlive_kernel``): the
daemons take most of a minute to start in that kernel, so they start once. The
rollout's part starts a second minion of its own (and gives the master the key of a
third that never runs); the outlive part, last, kills the boot's minion.

The host (the minion, root namespace): bond0, active-backup over va and vb
(primary va, miimon 100, 192.0.2.10/24); bond1, 802.3ad over vc and vd,
negotiating LACP with a partner bond (``nbond0``) in namespace ``switch``; a
spare pair ve/pe whose far end sits alone in namespace ``elsewhere`` (cabled, link
up, the wrong network). The far ends of va and vb (pa, pb) are bridged in
namespace ``peer``, where the salt-master runs on 192.0.2.1: the minion reaches
its master only through bond0.

Each test module gives its part as ``STEPS`` (plan steps of ``fleet_inside.py``,
ids of its own); they run in :data:`PARTS` order after the common ``sync``
(``saltutil.sync_all``, a ``salt`` process of its own). :func:`part` gives a
module the report as if its steps had run alone: its steps and clock under their
own ids (and ``sync``), and the master's events received while its part ran.
"""

from tests.harness.fleet_inside import run_in_uml
from tests.harness.master_events import READY
from tests.harness.uml import Uml

MINION = "uml-minion"
MASTER = "192.0.2.1"
STATE_ROOT = "/run/fleet"  # a tmpfs inside UML: where the minion's files go
LACP = {"miimon": 100, "lacp_rate": "fast"}
REACTOR = "salt://bonding/reactor/bond_health.sls"
PARTS = ("fleet", "beacon", "master", "rollout", "outlive")
# The minion's test hook (bond.pause_file): a run finding this file pauses after its
# first live operation (activate.pause_while).
PAUSE_FILE = f"{STATE_ROOT}/pause"
MEMORY = "1280M"  # the master, two minions, the warm salt command, the event listener


def wait_lacp(slave):
    return {"wait": {"path": f"{slave}/bonding_slave/ad_partner_oper_port_state",
                     "equals": "63", "timeout": 15}}


def peer_link(state):
    """The far end of va (in the master's namespace) taken down or up."""
    return ["-n", "peer", "link", "set", "pa", state]


SCENARIO = {
    "name": "daemons",
    "veths": [["ve", "pe"]],
    "bonds": [
        {"name": "bond0", "mode": "active-backup", "options": {"miimon": 100, "primary": "va"},
         "slaves": [{"name": "va", "peer": "pa"}, {"name": "vb", "peer": "pb"}]},
        {"name": "bond1", "mode": "802.3ad", "options": LACP,
         "slaves": [{"name": "vc", "peer": "pc"}, {"name": "vd", "peer": "pd"}]},
    ],
    "addresses": [{"dev": "bond0", "address": "192.0.2.10/24"}],
    "neighbours": [
        {"netns": "peer", "peers": ["pa", "pb"], "addresses": [f"{MASTER}/24"]},
        {"netns": "switch", "peers": ["pc", "pd"], "bond": {"mode": "802.3ad", "options": LACP}},
        {"netns": "elsewhere", "peers": ["pe"]},
    ],
    "steps": [
        {"wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
        {"wait": {"path": "vb/bonding_slave/mii_status", "equals": "up"}},
        *(wait_lacp(slave) for slave in ("vc", "vd")),
    ],
}
SYNC = {"id": "sync", "salt": ["saltutil.sync_all"], "process": True}  # a salt process


def run(uml, parts):
    """The boot: ``parts`` maps each name of :data:`PARTS` to its steps."""
    steps = [SYNC]
    for name in PARTS:
        steps += [{**step, "id": f"{name}:{step.get('id', index)}"}
                  for index, step in enumerate(parts[name])]
    uml = Uml(uml.workdir, python=uml.python, mem=MEMORY, timeout=max(uml.timeout, 1500))
    return run_in_uml(uml, SCENARIO, {
        "minion_id": MINION, "state_root": STATE_ROOT,
        "master_netns": "peer", "master_address": MASTER,
        "master_events": True,
        "minion_opts": {"bond.pause_file": PAUSE_FILE},
        "master_opts": {"reactor": [{f"salt/beacon/*/bond/*/{event}": [REACTOR]}
                                    for event in ("failover", "health")]},
        "steps": steps}, timeout=1500)


def part(report, name):
    """The report of part ``name`` alone (see the module's docstring)."""
    prefix = f"{name}:"

    def own(mapping):
        return {key[len(prefix):] if key.startswith(prefix) else key: value
                for key, value in mapping.items()
                if key.startswith(prefix) or ":" not in key}

    starts = [min((t for key, t in report["clock"].items() if key.startswith(f"{p}:")),
                  default=float("inf")) for p in PARTS]
    index = PARTS.index(name)
    start, end = starts[index], min(starts[index + 1:], default=float("inf"))
    return {**report, "steps": own(report["steps"]), "clock": own(report["clock"]),
            "timings": own(report["timings"]),
            "events": [e for e in report.get("events", [])
                       if e["tag"] == READY or start <= e["received"] < end]}
