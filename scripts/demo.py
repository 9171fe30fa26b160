"""The main job, masterless, into ./sandbox. Run through scripts/demo."""

import argparse
import copy
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "_utils"))

from tests.harness import uml as uml_harness  # noqa: E402
from tests.harness.fleet_inside import fleet_report, fleet_step  # noqa: E402
from tests.harness.saltcall import SaltCall  # noqa: E402

DEFAULT_SANDBOX = REPO / "sandbox"
# Written into every sandbox the demo makes: a directory holding it is the demo's to wipe.
MARKER = ".salt-bonding-demo"
# The system's own trees (FHS): nothing below them is ever a sandbox (/var/tmp aside).
SYSTEM_TREES = ("bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "run",
                "sbin", "sys", "usr", "var")
HOST_PROCFS = Path("/proc/net/bonding")
FALLBACK_CAPTURE = REPO / "tests" / "captures" / "active-backup-failed-over"


def heading(text):
    print(f"\n=== {text} ===", flush=True)


def show_yaml(value):
    print(yaml.safe_dump(value, sort_keys=False, default_flow_style=False).rstrip())


def sandbox_problem(sandbox):
    """Why the demo may not wipe and use ``sandbox`` (a Path), or None: it may a new
    directory, an empty one, one it made (``MARKER`` in it) and the repository's ./sandbox
    (git ignores it); never a top-level directory or one in the system's trees (/etc, /usr,
    /var, ...), a mount point, the home directory, the repository or one above either."""
    path = sandbox.resolve()
    home = Path.home().resolve()
    system = path.parts[1:2] and path.parts[1] in SYSTEM_TREES and (
        path.parts[1:3] != ("var", "tmp"))
    if (len(path.parts) <= 2 or system
            or path in {*REPO.parents, REPO, *home.parents, home}):
        return f"{path}: a system directory, the home directory or the repository"
    if path.exists() and os.path.ismount(path):
        return f"{path}: a mount point"
    if path == DEFAULT_SANDBOX or not path.exists():
        return None
    if not path.is_dir():
        return f"{path}: not a directory"
    if any(path.iterdir()) and not (path / MARKER).is_file():
        return (f"{path}: not empty and not made by the demo (no {MARKER} in it); the demo "
                "wipes its sandbox first: give a new or empty directory")
    return None


def apply_pillar(host, sandbox):
    shutil.rmtree(sandbox, ignore_errors=True)  # sandbox_problem said it may
    sandbox.mkdir(parents=True)
    (sandbox / MARKER).write_text("made by scripts/demo: the next run wipes this directory\n")
    salt = SaltCall(
        sandbox,
        minion_id=host,
        pillar_roots={"base": [str(REPO / "pillar.example")]},
        **{
            "bond.ifcfg_dir": str(sandbox / "etc/sysconfig/network-scripts"),
            "bond.modprobe_conf": str(sandbox / "etc/modprobe.d/bonding.conf"),
        },
    )
    heading(f"salt-call --local state.apply bonding   (minion id {host}, into {sandbox})")
    rc, text = salt.run("state.apply", "bonding", out="highstate")
    print(text.rstrip())
    heading("files written")
    for path in sorted([*salt.ifcfg_dir.iterdir(), salt.modprobe_conf]):
        if path.is_file():
            print(f"--- {path}")
            print(path.read_text().rstrip())
    return salt, rc


def nothing_lost_when_renamed(salt, host):
    """The same machine under a minion id that matches no host entry: refused, files kept."""
    before = {p: p.read_bytes() for p in salt.ifcfg_dir.iterdir()}
    salt.configure(id=f"{host}-renamed")
    heading(f"the same machine as minion {host}-renamed (no host entry in top.sls matches): "
            "state.apply bonding")
    rc, text = salt.run("state.apply", "bonding", out="highstate")
    print(text.rstrip())
    kept = {p: p.read_bytes() for p in salt.ifcfg_dir.iterdir()} == before
    print(f"exit code {rc}; the {len(before)} files written above are "
          f"{'all still there, unchanged' if kept else 'CHANGED'}")
    salt.configure(id=host)
    return kept


RHEL9 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 9}
# The same pillar on three more minions (issue #28): (label, grains, the option of the
# directory its files go to, that directory in the sandbox, what the files are).
ELSEWHERE = (
    ("RHEL 9", "as-rhel9", RHEL9, "bond.keyfile_dir", "etc/NetworkManager/system-connections",
     "keyfiles written for RHEL 9 (ifcfg files: none)"),
    ("Debian 12", "as-debian12",
     {"os": "Debian", "os_family": "Debian", "osmajorrelease": 12, "osrelease": "12",
      "bonding_stack": {"networkmanager": "absent", "network_scripts": False,
                        "ifupdown": True, "ifenslave": True, "netplan": False}},
     "bond.interfaces_dir", "etc/network/interfaces.d",
     "ifupdown files written for Debian 12 (ifupdown and ifenslave installed)"),
    ("Ubuntu 24.04", "as-ubuntu24",
     {"os": "Ubuntu", "os_family": "Debian", "osmajorrelease": 24, "osrelease": "24.04",
      "bonding_stack": {"networkmanager": "absent", "network_scripts": False,
                        "ifupdown": False, "ifenslave": False, "netplan": True}},
     "bond.netplan_dir", "etc/netplan", "netplan files written for Ubuntu 24.04"),
)


def same_pillar_elsewhere(host, sandbox, label, name, grains, option, directory, written):
    """The same host's pillar on another minion: the files that one reads, not ifcfg files."""
    root = sandbox / name
    salt = SaltCall(
        root,
        minion_id=host,
        pillar_roots={"base": [str(REPO / "pillar.example")]},
        grains=grains,
        **{
            "bond.ifcfg_dir": str(root / "etc/sysconfig/network-scripts"),
            option: str(root / directory),
            "bond.interfaces_file": str(root / "etc/network/interfaces"),
            "bond.modprobe_conf": str(root / "etc/modprobe.d/bonding.conf"),
        },
    )
    files = Path(salt.config[option])
    files.mkdir(parents=True)
    heading(f"the same pillar on a {label} minion (grains os {grains['os']}, osmajorrelease "
            f"{grains['osmajorrelease']}): state.apply bonding   (into {root})")
    rc, text = salt.run("state.apply", "bonding", out="highstate")
    print(text.rstrip())
    heading(written)
    for path in sorted(files.iterdir()):
        print(f"--- {path}")
        print(path.read_text().rstrip())
    return rc == 0 and not any(salt.ifcfg_dir.iterdir())


# One bond with a MAC of its own and per-slave settings (issue #27): what the minion's
# NetworkManager keeps decides, by its version (installed, or what the release ships).
SLAVE_SETTINGS = {"slave_settings": {"format": "keyfile", "bonds": {"bond0": {
    "mode": "active-backup", "miimon": 100, "macaddr": "02:00:00:00:00:10",
    "slaves": {"eth0": {"prio": 100, "queue_id": 1}, "eth1": {"prio": 50}}}}}}


def slave_settings_by_networkmanager(sandbox):
    """One bond with slave settings on RHEL 9.4 (NetworkManager 1.46 assumed: written) and
    RHEL 9.0 (1.36: prio refused, naming the version, nothing written)."""
    results = {}
    for release in ("9.4", "9.0"):
        root = sandbox / f"slave-settings-rhel{release}"
        salt = SaltCall(root, minion_id="slave-settings",
                        # a bonding_stack grain that does not give the version
                        grains={**RHEL9, "osrelease": release, "bonding_stack": {
                            "networkmanager": "enabled", "network_scripts": False}},
                        **{"bond.keyfile_dir": str(root / "etc/NetworkManager/system-connections"),
                           "bond.modprobe_conf": str(root / "etc/modprobe.d/bonding.conf")})
        keyfiles = Path(salt.config["bond.keyfile_dir"])
        keyfiles.mkdir(parents=True)
        heading(f"slave settings (prio, queue_id) and the bond's MAC on a RHEL {release} minion "
                "(its NetworkManager unknown to the grains: what the release ships)")
        show_yaml(SLAVE_SETTINGS)
        rc, text = salt.run("state.high", json.dumps({"slave_settings": {"bond": ["reconciled"]}}),
                            f"pillar={json.dumps(SLAVE_SETTINGS)}", out="highstate")
        print(text.rstrip())
        written = sorted(keyfiles.iterdir())
        for path in written:
            print(f"--- {path}")
            print(path.read_text().rstrip())
        print(f"exit code {rc}; {len(written)} keyfile(s) written")
        results[release] = (rc, len(written))
    return results == {"9.4": (0, 3), "9.0": (1, 0)}


def host_pillar(salt):
    """The host's ``bonding`` pillar, and its bonds validated as the state saw them."""
    from salt_bonding.config import schema

    _, pillar = salt.run("pillar.get", "bonding", "unmask=True")
    return pillar, schema.validate(pillar).bonds


def live_steps(pillar, bonds):
    """The host's pillar applied with ``activate: kernel`` (bonds with DHCP stay files-only:
    the kernel back-end runs no DHCP client) over the bonds as they ran before; then the
    first bond's miimon raised, brought live in place; then a slave that does not exist
    added to it: rolled back, kernel and files; then its miimon put back by hand in sysfs
    and the same pillar applied: the drift brought back; then a VLAN added to it by a
    salt-call killed with SIGKILL after the first of its operations (the minion's test
    hook, ``bond.pause_file``, pauses it there), put back by the run's rollback timer
    (``rollback_after: 10``), which the next run reports; then every bond removed from
    pillar: refused, the first carries the default route."""
    live = copy.deepcopy(pillar)
    for name, bond in live["bonds"].items():
        dhcp = bonds[name].bootproto == "dhcp" or any(
            vlan.bootproto == "dhcp" for vlan in bonds[name].vlans.values())
        bond["activate"] = "none" if dhcp else "kernel"
    first = next(iter(live["bonds"]))
    changed = copy.deepcopy(live)
    changed["bonds"][first]["miimon"] = int(bonds[first].options.get("miimon", 0)) + 100
    broken = copy.deepcopy(changed)
    broken["bonds"][first]["slaves"] = [*bonds[first].slaves, "ens9f9"]

    def apply(step_id, value):
        return {"id": step_id, "salt": ["state.high",
                                        json.dumps({"live": {"bond": ["reconciled"]}}),
                                        f"pillar={json.dumps({'live': value})}"]}

    killed = copy.deepcopy(changed)
    killed["rollback_after"] = KILLED_ROLLBACK_AFTER
    killed["bonds"][first].setdefault("vlans", {})[KILLED_VLAN] = {}
    by_hand = bonds[first].options.get("miimon", "0")
    return [apply("live", live), apply("live-change", changed), apply("live-broken", broken),
            {"id": "by-hand", "run": ["bash", "-c", f"echo {by_hand} > "
                                                    f"/sys/class/net/{first}/bonding/miimon"]},
            apply("live-drift", changed),
            {"id": "arm-pause", "run": ["touch", PAUSE_FILE]},
            {**apply("live-killed", killed), "kill_when": f"{PAUSE_FILE}.paused",
             "timeout": 180},
            # the timer's work, seen in the kernel: the VLAN the killed run made is gone
            {"id": "timer-fired", "wait": {"path": f"{first}.{KILLED_VLAN}", "absent": True,
                                           "timeout": KILLED_ROLLBACK_AFTER + 180}},
            apply("live-after-kill", changed),
            # a removed bond goes live as the top-level activate says
            apply("live-remove", {**live, "activate": "kernel", "bonds": {}})]


# The run killed mid-change: the minion's test hook (activate.pause_while) pauses it after
# its first operation while this file exists.
PAUSE_FILE = "/run/salt-bonding-demo-pause"
KILLED_VLAN = 999
KILLED_ROLLBACK_AFTER = 10


LIVE_TITLES = (
    ("live", "state.apply with activate: kernel, over the bonds as they ran before"),
    ("live-change", "miimon of the first bond raised: brought live in place"),
    ("live-broken", "a slave that does not exist added to the first bond: rolled back"),
    ("live-drift", "its miimon put back by hand in sysfs, the pillar applied again: "
                   "brought back"),
    ("live-after-kill", f"a VLAN {KILLED_VLAN} added by a salt-call killed (SIGKILL) in the "
                        "middle of its change; its rollback timer put the host back after "
                        f"{KILLED_ROLLBACK_AFTER} s, and the next run says so"),
    ("live-remove", "every bond removed from pillar: refused, the first carries the "
                    "default route"),
)


def fleet_plan(host, bonds, peer):
    """In the same kernel: a salt-master and a salt-minion ``host`` whose bond beacon
    (minion config, one pass a second) watches the host's bonds; the master's event bus
    recorded while ``peer`` (the far end of the first slave) goes down."""
    beacon = f"salt/beacon/{host}/bond/"
    return {
        "minion_id": host, "master_events": True,
        "minion_opts": {"beacons": {"bond": [{"interval": 1}, {"bonds": sorted(bonds)}]}},
        "steps": [
            {"id": "sync", "salt": ["saltutil.sync_all"]},  # ships the beacon
            # its first pass (a silent baseline) done, as the minion's log says
            {"id": "baseline", "log": host, "timeout": 120,
             "contains": "bond beacon bond: first pass done"},
            {"id": "down", "ip": ["link", "set", peer, "down"]},
            {"id": "health", "events": {"tag": f"{beacon}*/health", "timeout": 60}},
            # whatever else that pass sent is in once the beacon loop has made two more
            # passes: Salt's status beacon, added now, fires on each
            {"id": "clock", "salt": ["beacons.add", "status", "[{interval: 1}]"]},
            {"id": "quiet", "events": {"tag": f"salt/beacon/{host}/status/*", "count": 3,
                                       "timeout": 60}},
        ]}


# What the demo waits for inside the kernel, by step: it fails naming the one that never came.
AWAITED = {
    "baseline": "the bond beacon's first pass (the minion's log)",
    "health": "the bond beacon's health event on the master's bus",
    "quiet": "two more passes of the minion's beacon loop (Salt's status beacon)",
}


def uml_scenario(bonds, pillar, host=None):
    """The host's bonds over veth pairs; an 802.3ad bond gets a partner bond on the far
    ends, standing in for the switch, so LACP really negotiates. With ``host``, the peer
    of the first slave goes down under the eyes of a master (:func:`fleet_plan`); the
    fleet step's log directory is returned too."""
    scenario = {"name": "demo", "bonds": [], "steps": []}
    partners, waits = [], []
    for index, bond in enumerate(bonds.values()):
        peers = [f"peer{index}{i}" for i in range(len(bond.slaves))]
        scenario["bonds"].append({
            "name": bond.name, "mode": bond.mode,
            "options": {k: (v.split(",") if k == "arp_ip_target" else v)
                        for k, v in bond.options.items()},
            "slaves": [{"name": s, "peer": p} for s, p in zip(bond.slaves, peers, strict=True)],
        })
        if bond.mode == "802.3ad" and peers:
            partners.append({"name": f"switch{index}", "mode": "802.3ad",
                             "options": {"miimon": "100", "lacp_rate": "fast"},
                             "slaves": [{"name": p} for p in peers]})
            # 63: the partner's ports are in sync, collecting and distributing (fast rate).
            waits.append({"wait": {"path": f"{bond.slaves[0]}/bonding_slave/"
                                           "ad_partner_oper_port_state",
                                   "equals": "63", "timeout": 20}})
    scenario["bonds"] += partners
    first = next(iter(bonds.values()))
    if host is None:
        failover = [{"ip": ["link", "set", "peer00", "down"]},
                    {"wait": {"path": f"{first.slaves[0]}/bonding_slave/mii_status",
                              "equals": "down"}}]
        workdir = None
    else:
        fleet, workdir = fleet_step("demo", fleet_plan(host, bonds, "peer00"))
        failover = [fleet]
    # Every slave's link judged up by the driver before anything is applied over it.
    waits += [{"wait": {"path": f"{slave['name']}/bonding_slave/mii_status", "equals": "up"}}
              for bond in scenario["bonds"] for slave in bond["slaves"]]
    scenario["steps"] = [
        *waits,
        *live_steps(pillar, bonds),
        {"id": "status", "salt": ["bond.status"]},
        {"id": "health", "salt": ["bond.health"]},
        *failover,
        {"id": "health-after", "salt": ["bond.health"]},
    ]
    return scenario, first.slaves[0] if first.slaves else None, workdir


def status_in_uml(salt, host, fleet=True):
    pillar, bonds = host_pillar(salt)
    scenario, first_slave, workdir = uml_scenario(bonds, pillar, host if fleet else None)
    heading("live status: the real bonding driver in a user-mode-linux kernel")
    print("Booting user-mode-linux and building this host's bonds over veth pairs "
          "(an 802.3ad bond's switch is played by a partner bond, switchN)"
          + (f"; before the peer of {first_slave} goes down, a salt-master and a salt-minion "
             f"({host}, bond beacon on) start in the same kernel" if fleet else "")
          + " ...", flush=True)
    run = uml_harness.Uml(tempfile.mkdtemp(prefix="bond-demo-")).run(
        [scenario], minion_opts={"bond.pause_file": PAUSE_FILE})
    result = run["demo"]
    report = failed = None
    if fleet:
        try:
            report = fleet_report(result, workdir)
        except AssertionError as exc:  # the salt-call parts are still worth showing
            failed = str(exc)
        else:
            missing = [what for step, what in AWAITED.items()
                       if report["steps"].get(step, {}).get("rc") != 0]
            if missing:
                failed = "waited for, never seen: " + "; ".join(missing)
    killed, fired = result.step("live-killed"), result.step("timer-fired")
    if killed.get("rc") != -9 or fired.get("rc") != 0:
        failed = ("the run to kill: " + (killed.get("stderr") or "").strip()
                  if killed.get("rc") != -9 else
                  f"the rollback timer to put the host back: {fired.get('stderr')}")
        print(f"\nwaited for, never seen: {failed}", file=sys.stderr)
        return 1
    for step, title in LIVE_TITLES:
        states, retcode = result.salt(step)
        (state,) = states.values()
        heading(f"{title}   (salt-call exit code {retcode})")
        show_yaml({"result": state["result"], "comment": state["comment"],
                   "live": state["changes"].get("live", {})})
    for step, title in (("status", "bond.status"), ("health", "bond.health"),
                        ("health-after", f"bond.health after the peer of {first_slave} "
                                         "went down")):
        value, retcode = result.salt(step)
        heading(f"{title}   (salt-call exit code {retcode})")
        show_yaml(value)
    if failed:
        print(f"\nthe salt-master and salt-minion part failed: {failed}", file=sys.stderr)
        return 1
    if report is not None:
        show_master_events(report, host, first_slave)
    return 0


def show_master_events(report, host, slave):
    """The bond beacon's events on the master's bus, as ``salt-run state.event`` shows
    them: tag, then the payload (its ``_stamp``: when the master got it)."""
    down = report["clock"]["down"]
    events = [e for e in report["events"] if e["tag"].startswith(f"salt/beacon/{host}/bond/")]
    heading(f"the master's event bus: the bond beacon's events after the peer of {slave} "
            f"went down   (salt-run state.event; {len(events)} events)")
    for event in events:
        print(f"{event['tag']}   (received {event['received'] - down:.1f} s after "
              "the link went down)")
        show_yaml(event["data"])


def status_from(salt, procfs, sysfs, what):
    heading(f"live status: {what}")
    salt.configure(**{"bond.procfs": str(procfs), "bond.sysfs": str(sysfs)})
    for function in ("bond.status", "bond.health"):
        rc, value = salt.run(function)
        heading(f"{function}   (salt-call exit code {rc})")
        show_yaml(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("host", nargs="?", default="web1", help="example minion id")
    parser.add_argument("--sandbox", type=Path, default=DEFAULT_SANDBOX,
                        help="directory standing in for the minion's /etc (wiped first: a "
                             "new or empty one, or one the demo made; default ./sandbox)")
    parser.add_argument("--no-master", dest="fleet", action="store_false",
                        help="in the user-mode-linux kernel, no salt-master and salt-minion "
                             "(saves a minute or two; no beacon events at the end)")
    args = parser.parse_args()
    problem = sandbox_problem(args.sandbox)
    if problem:
        print(f"demo: --sandbox {problem}", file=sys.stderr)
        return 2
    salt, rc = apply_pillar(args.host, args.sandbox.resolve())
    if rc != 0:
        print(f"\nstate.apply failed (exit code {rc})", file=sys.stderr)
        return rc
    if not nothing_lost_when_renamed(salt, args.host):
        return 1
    for label, name, grains, option, directory, written in ELSEWHERE:
        if not same_pillar_elsewhere(args.host, args.sandbox.resolve(), label, name, grains,
                                     option, directory, written):
            return 1
    if not slave_settings_by_networkmanager(args.sandbox.resolve()):
        return 1
    if HOST_PROCFS.is_dir() and any(HOST_PROCFS.iterdir()):
        status_from(salt, HOST_PROCFS, "/sys/class/net", "this machine's own bonds")
    elif uml_harness.unavailable_reason() is None:
        return status_in_uml(salt, args.host, args.fleet)
    else:
        reason = uml_harness.unavailable_reason()
        status_from(salt, FALLBACK_CAPTURE / "proc/net/bonding",
                    FALLBACK_CAPTURE / "sys/class/net",
                    f"a real-kernel capture kept in {FALLBACK_CAPTURE.relative_to(REPO)} "
                    f"(no bonds here and user-mode-linux cannot run: {reason})")
    return 0


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
