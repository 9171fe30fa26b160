"""How fast bond status is: the parser in-process, and salt-call against its floor.

(a) ``salt_bonding.observe.status.read_status`` and ``health.judge`` over a
    synthetic tree of 64 bonds x 4 slaves,
    built from the real-kernel 802.3ad capture (the longest text: aggregator
    and LACP PDU blocks). Target: under 10 ms.
(b) ``salt-call --local bond.status`` on that tree against
    ``salt-call --local test.ping`` with the same sandbox config, alternating,
    as a ratio of medians. Target: 1.1 or less.

Run: ``.venv/bin/python benchmarks/bench_status.py [--parse-runs N] [--salt-runs N]``.
Prints a table and writes JSON to ``benchmarks/results/``.
"""

import argparse
import json
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "_utils"))
sys.path.insert(0, str(REPO))

from salt_bonding.observe import health, status  # noqa: E402

from tests.harness.saltcall import SaltCall  # noqa: E402

SOURCE = REPO / "tests" / "captures" / "802.3ad-lacp-partner"
SOURCE_BOND, SOURCE_SLAVE = "bond1", "va"
BONDS, SLAVES = 64, 4
RESULTS = REPO / "benchmarks" / "results"


def build_tree(root, bonds=BONDS, slaves=SLAVES):
    """procfs + sysfs for ``bonds`` copies of the captured bond, each with ``slaves`` slaves."""
    text = (SOURCE / "proc/net/bonding" / SOURCE_BOND).read_text()
    head, _, rest = text.partition("\nSlave Interface: ")
    slave_block = "Slave Interface: " + rest.split("\nSlave Interface: ")[0].rstrip("\n")
    head = re.sub(r"Number of ports: \d+", f"Number of ports: {slaves}", head)
    sys_src = SOURCE / "sys/class/net"
    procfs, sysfs = root / "proc/net/bonding", root / "sys/class/net"
    procfs.mkdir(parents=True)
    sysfs.mkdir(parents=True)
    for b in range(bonds):
        bond = f"bond{b}"
        names = [f"b{b}s{s}" for s in range(slaves)]
        blocks = [slave_block.replace(f"Slave Interface: {SOURCE_SLAVE}",
                                      f"Slave Interface: {name}") for name in names]
        (procfs / bond).write_text(head + "\n" + "\n\n".join(blocks) + "\n")
        shutil.copytree(sys_src / SOURCE_BOND / "bonding", sysfs / bond / "bonding")
        for name in names:
            shutil.copytree(sys_src / SOURCE_SLAVE, sysfs / name)
    return str(procfs), str(sysfs)


def bench_parse(procfs, sysfs, runs):
    result = health.judge(status.read_status(procfs, sysfs))
    assert len(result) == BONDS and all(len(s["slaves"]) == SLAVES for s in result.values())
    assert all("error" not in s for s in result.values())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        health.judge(status.read_status(procfs, sysfs))
        times.append((time.perf_counter() - start) * 1000)
    return {"runs": runs, "median_ms": statistics.median(times), "min_ms": min(times),
            "max_ms": max(times), "target_ms": 10.0}


def salt_call_seconds(salt, function):
    start = time.perf_counter()
    proc = subprocess.run(salt.argv(function), capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{function} failed ({proc.returncode}): {proc.stderr}")
    return elapsed


def bench_salt_call(root, procfs, sysfs, runs):
    salt = SaltCall(root / "salt", **{"bond.procfs": procfs, "bond.sysfs": sysfs})
    for function in ("test.ping", "bond.status"):  # warm caches and the loader once
        salt_call_seconds(salt, function)
    floor, status = [], []
    for _ in range(runs):  # alternate so drifting machine load hits both alike
        floor.append(salt_call_seconds(salt, "test.ping"))
        status.append(salt_call_seconds(salt, "bond.status"))
    floor_median, status_median = statistics.median(floor), statistics.median(status)
    return {"runs": runs, "test_ping_median_s": floor_median,
            "bond_status_median_s": status_median,
            "ratio": status_median / floor_median, "target_ratio": 1.1}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parse-runs", type=int, default=200)
    parser.add_argument("--salt-runs", type=int, default=10)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bond-bench-"))
    try:
        procfs, sysfs = build_tree(root)
        parse = bench_parse(procfs, sysfs, args.parse_runs)
        salt = bench_salt_call(root, procfs, sysfs, args.salt_runs)
    finally:
        shutil.rmtree(root)
    rows = [
        ("parse 64 bonds x 4 slaves (median)", f"{parse['median_ms']:.2f} ms",
         f"< {parse['target_ms']:.0f} ms", parse["median_ms"] < parse["target_ms"]),
        ("salt-call test.ping (median)", f"{salt['test_ping_median_s']:.3f} s", "floor", None),
        ("salt-call bond.status (median)", f"{salt['bond_status_median_s']:.3f} s", "", None),
        ("bond.status / test.ping", f"{salt['ratio']:.3f}",
         f"<= {salt['target_ratio']}", salt["ratio"] <= salt["target_ratio"]),
    ]
    print(f"{'measure':38} {'value':>10}  {'target':>8}  met")
    for name, value, target, met in rows:
        verdict = "" if met is None else "yes" if met else "NO"
        print(f"{name:38} {value:>10}  {target:>8}  {verdict}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {"benchmark": "bench_status", "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "python": platform.python_version(), "machine": platform.machine(),
              "tree": {"bonds": BONDS, "slaves": SLAVES, "source": str(SOURCE.relative_to(REPO))},
              "parse": parse, "salt_call": salt}
    out = RESULTS / f"bench_status-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"results: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
