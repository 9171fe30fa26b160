"""What the fleet path costs as the fleet grows: 1, 3 and 8 minions on one master.

One real salt-master and eight real salt-minions (plain daemons, see
``tests/harness/saltdaemons.py``) on this machine; each minion has its own
sandbox and reads one of the real-kernel captures as its kernel, and its pillar
is one of the example hosts (web1, db1, app1 in turn). For each fleet size N
the first N minions are targeted (``salt -L``; the others stay idle) and, per
repetition, timed as the user runs them:

* ``state.apply bonding``, first run (sandboxes emptied before) and no-change run;
* the no-change run again, one minion at a time (``apply-nochange-serial``:
  wall is the sum of N single-minion commands);
* ``bond.status``;
* ``test.ping``: the floor, Salt's own publish and return for N minions.

Reported per size and kind: the median wall time of the ``salt`` command, that
divided by N, and the median of the minions' own ``bond.reconciled`` state
``duration``. That duration is wall time inside the minion: when N minions run
at once on a machine with fewer cores it grows by their sharing the CPU, so
the serial row is the per-minion work that must stay flat as N grows.

Run: ``.venv/bin/python benchmarks/bench_fleet.py [--sizes 1,3,8] [--repeat 3]``.
Prints a table and writes ``benchmarks/results/bench_fleet.json``.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.harness.saltdaemons import SaltDaemons  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
CAPTURES = REPO / "tests" / "captures"
HOSTS = (("web1", "active-backup-healthy"), ("db1", "802.3ad-lacp-partner"),
         ("app1", "active-backup-failed-over"))
STATE_ID = "bond_|-bonding_|-bonding_|-reconciled"


def build(root, count):
    """Pillar tree and daemons for ``count`` minions m01..mNN."""
    pillar = root / "pillar"
    shutil.copytree(REPO / "pillar.example" / "bonding", pillar / "bonding")
    daemons = SaltDaemons(root / "state", root / "logs", pillar)
    (root / "logs").mkdir()
    top = ["base:", "  '*':", "    - bonding.defaults"]
    sandboxes = {}
    for index in range(count):
        minion_id = f"m{index + 1:02d}"
        host, capture = HOSTS[index % len(HOSTS)]
        top += [f"  '{minion_id}':", f"    - bonding.hosts.{host}"]
        sandbox = root / "sandbox" / minion_id
        (sandbox / "network-scripts").mkdir(parents=True)
        (sandbox / "modprobe.d").mkdir()
        daemons.add_minion(minion_id, **{
            "bond.ifcfg_dir": str(sandbox / "network-scripts"),
            "bond.modprobe_conf": str(sandbox / "modprobe.d" / "bonding.conf"),
            "bond.procfs": str(CAPTURES / capture / "proc" / "net" / "bonding"),
            "bond.sysfs": str(CAPTURES / capture / "sys" / "class" / "net"),
        })
        sandboxes[minion_id] = sandbox
    (pillar / "top.sls").write_text("\n".join(top) + "\n")
    return daemons, sandboxes


def checked(ret, targets, what):
    data = ret["data"] or {}
    if set(data) != set(targets):
        raise SystemExit(f"{what}: answers from {sorted(data)}, expected {targets}:\n{ret}")
    return data


def state_durations(data, what, want_changes):
    """Each minion's bond.reconciled duration (ms); checks result and changes."""
    durations = []
    for minion_id, ret in data.items():
        state = ret.get(STATE_ID) if isinstance(ret, dict) else None
        if not state or state["result"] is not True or bool(state["changes"]) != want_changes:
            raise SystemExit(f"{what} on {minion_id}: unexpected return {ret}")
        durations.append(state["duration"])
    return durations


def clear(sandbox):
    for path in (sandbox / "network-scripts").iterdir():
        path.unlink()
    (sandbox / "modprobe.d" / "bonding.conf").unlink(missing_ok=True)


def measure(daemons, sandboxes, sizes, repeat):
    rows = []
    for size in sizes:
        targets = sorted(sandboxes)[:size]
        samples = {kind: {"wall": [], "work": []}
                   for kind in ("apply-first", "apply-nochange", "apply-nochange-serial",
                                "bond.status", "test.ping")}
        for _ in range(repeat):
            for minion_id in targets:
                clear(sandboxes[minion_id])
            runs = (("apply-first", ["state.apply", "bonding"], True),
                    ("apply-nochange", ["state.apply", "bonding"], False),
                    ("bond.status", ["bond.status"], None),
                    ("test.ping", ["test.ping"], None))
            for kind, args, changes in runs:
                ret = daemons.salt(targets, args)
                data = checked(ret, targets, f"{kind} x{size}")
                samples[kind]["wall"].append(ret["seconds"])
                if changes is not None:
                    samples[kind]["work"] += state_durations(data, f"{kind} x{size}", changes)
            # One minion at a time: the per-minion work without N minions sharing the cores.
            wall = 0.0
            for minion_id in targets:
                ret = daemons.salt([minion_id], ["state.apply", "bonding"])
                data = checked(ret, [minion_id], f"serial apply on {minion_id}")
                samples["apply-nochange-serial"]["work"] += state_durations(
                    data, f"serial apply on {minion_id}", False)
                wall += ret["seconds"]
            samples["apply-nochange-serial"]["wall"].append(wall)
        for kind, sample in samples.items():
            wall = statistics.median(sample["wall"])
            rows.append({
                "minions": size, "kind": kind, "runs": repeat,
                "wall_s": round(wall, 3), "wall_per_minion_s": round(wall / size, 3),
                "state_duration_ms_median": (round(statistics.median(sample["work"]), 1)
                                             if sample["work"] else None),
                "wall_samples_s": [round(s, 3) for s in sample["wall"]],
            })
    return rows


def print_table(rows, start_s):
    print(f"\nmaster + {max(r['minions'] for r in rows)} minions started in {start_s:.1f} s")
    print(f"{'minions':>7}  {'command':<22} {'wall s':>8} {'wall/minion s':>14} "
          f"{'state ms/minion':>16}")
    for row in rows:
        work = row["state_duration_ms_median"]
        print(f"{row['minions']:>7}  {row['kind']:<22} {row['wall_s']:>8.2f} "
              f"{row['wall_per_minion_s']:>14.3f} {'' if work is None else f'{work:.1f}':>16}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,3,8")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    root = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    daemons, sandboxes = build(root, max(sizes))
    try:
        started = time.monotonic()
        daemons.start()
        start_s = time.monotonic() - started
        checked(daemons.salt(sorted(sandboxes), ["saltutil.sync_all"]), sorted(sandboxes),
                "saltutil.sync_all")
        rows = measure(daemons, sandboxes, sizes, args.repeat)
    finally:
        daemons.stop()
    print_table(rows, start_s)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_fleet.json"
    out.write_text(json.dumps({
        "benchmark": "bench_fleet",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "start_s": round(start_s, 1),
        "rows": rows,
    }, indent=1))
    print(f"\nwrote {out.relative_to(REPO)}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
