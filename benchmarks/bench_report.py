"""What ``salt-run bond.report`` costs against a bare ``salt '*' bond.health``.

One real salt-master and N real salt-minions (plain daemons, ``tests/harness/
saltdaemons.py``), each reading a real-kernel capture as its kernel and with one of
the example hosts' pillars, the formula applied (so ``bond.verify`` compares real
files). Per repetition, alternating which goes first:

* ``salt '*' bond.health --out=json``: the floor, what a user runs without the runner;
* ``salt-run bond.report --out=json``: the report (``bond.health detail=True`` and
  ``bond.verify`` in one job, the rows, the worst-first order).

Both are whole commands as a user times them (process start, publish, returns,
output). The goal (issue 24): the report within 1.2x the bare health check, as the
ratio of the medians measured in this run.

Then, in one process (no command start-up), the publishing choices themselves with
Salt's LocalClient, to show why the report runs one job: ``bond.health`` alone; both
functions in one job (what the report does); the same two functions as two jobs
gathered together.

Run: ``.venv/bin/python benchmarks/bench_report.py [--minions 3] [--repeat 7]``.
Prints a table and writes ``benchmarks/results/bench_report.json``.
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
GRAINS = {"os": "CentOS", "os_family": "RedHat", "osmajorrelease": 7}


def build(root, count):
    """Pillar tree and daemons for ``count`` minions m01..mNN."""
    pillar = root / "pillar"
    shutil.copytree(REPO / "pillar.example" / "bonding", pillar / "bonding")
    (root / "logs").mkdir()
    daemons = SaltDaemons(root / "state", root / "logs", pillar)
    top = ["base:"]
    for index in range(count):
        minion_id = f"m{index + 1:02d}"
        host, capture = HOSTS[index % len(HOSTS)]
        top += [f"  '{minion_id}':", f"    - bonding.hosts.{host}"]
        sandbox = root / "sandbox" / minion_id
        (sandbox / "network-scripts").mkdir(parents=True)
        (sandbox / "modprobe.d").mkdir()
        daemons.add_minion(minion_id, grains=GRAINS, **{
            "bond.ifcfg_dir": str(sandbox / "network-scripts"),
            "bond.modprobe_conf": str(sandbox / "modprobe.d" / "bonding.conf"),
            "bond.procfs": str(CAPTURES / capture / "proc" / "net" / "bonding"),
            "bond.sysfs": str(CAPTURES / capture / "sys" / "class" / "net"),
        })
    (pillar / "top.sls").write_text("\n".join(top) + "\n")
    return daemons


def commands(daemons, minions, repeat):
    """Wall seconds of each command per repetition, alternating the order."""
    samples = {"salt '*' bond.health": [], "salt-run bond.report": []}
    for index in range(repeat):
        runs = list(samples)
        for kind in runs if index % 2 == 0 else reversed(runs):
            if kind.startswith("salt-run"):
                ret = daemons.salt_run(["bond.report"])
                rows = (ret["data"] or {}).get("minions") or []
                if [row["minion"] for row in rows] and len(rows) != len(minions):
                    raise SystemExit(f"bond.report: {len(rows)} rows, expected {len(minions)}")
                if not rows or any(row["status"] == "no answer" for row in rows):
                    raise SystemExit(f"bond.report did not hear every minion: {ret}")
            else:
                ret = daemons.salt("*", ["bond.health"])
                if set(ret["data"] or {}) != set(minions):
                    raise SystemExit(f"bond.health: answers from {sorted(ret['data'] or {})}")
            samples[kind].append(ret["seconds"])
    return samples


def in_process(daemons, minions, repeat):
    """The publishing choices through one LocalClient: wall seconds per repetition."""
    import salt.client
    import salt.config

    opts = salt.config.master_config(str(daemons.master_dir / "master"))
    both = [["bond.health", "bond.verify"], [[{"detail": True, "__kwarg__": True}], []]]
    samples = {"bond.health, one job": [], "both in one job (the report)": [],
               "both as two jobs": []}
    with salt.client.get_local_client(mopts=opts) as local:
        def gather(pub):
            found = {}
            for item in local.get_iter_returns(pub["jid"], set(pub["minions"]), timeout=60):
                found.update(item or {})
            if set(found) != set(minions):
                raise SystemExit(f"job {pub['jid']}: answers from {sorted(found)}")

        for index in range(repeat):
            order = list(samples) if index % 2 == 0 else list(reversed(samples))
            for kind in order:
                started = time.monotonic()
                if kind == "bond.health, one job":
                    gather(local.run_job("*", "bond.health", listen=True))
                elif kind == "both in one job (the report)":
                    gather(local.run_job("*", both[0], arg=both[1], listen=True))
                else:
                    pubs = [local.run_job("*", "bond.health", kwarg={"detail": True},
                                          listen=True),
                            local.run_job("*", "bond.verify", listen=True)]
                    for pub in pubs:
                        gather(pub)
                samples[kind].append(time.monotonic() - started)
    return samples


def table(samples, floor):
    rows = []
    base, base_min = statistics.median(samples[floor]), min(samples[floor])
    for kind, values in samples.items():
        median = statistics.median(values)
        rows.append({"kind": kind, "runs": len(values), "median_s": round(median, 3),
                     "min_s": round(min(values), 3), "ratio_median": round(median / base, 2),
                     "ratio_min": round(min(values) / base_min, 2),
                     "samples_s": [round(v, 3) for v in values]})
    return rows


def show(title, rows):
    print(f"\n{title}")
    print(f"{'':<30} {'median s':>9} {'min s':>7} {'x floor':>8} {'x floor (min)':>14}")
    for row in rows:
        print(f"{row['kind']:<30} {row['median_s']:>9.3f} {row['min_s']:>7.3f} "
              f"{row['ratio_median']:>8.2f} {row['ratio_min']:>14.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minions", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-report-"))
    daemons = build(root, args.minions)
    minions = list(daemons.minion_ids)
    try:
        daemons.start()
        for what, ret in (("saltutil.sync_all", daemons.salt("*", ["saltutil.sync_all"])),
                          ("state.apply bonding", daemons.salt("*", ["state.apply", "bonding"])),
                          ("salt-run saltutil.sync_all", daemons.salt_run(["saltutil.sync_all"]))):
            if ret["rc"] != 0:
                raise SystemExit(f"{what} failed: {ret}")
        daemons.salt_run(["bond.report"])  # warm both paths once
        daemons.salt("*", ["bond.health"])
        command_rows = table(commands(daemons, minions, args.repeat), "salt '*' bond.health")
        job_rows = table(in_process(daemons, minions, args.repeat), "bond.health, one job")
    finally:
        daemons.stop()
    show(f"Whole commands, {len(minions)} minions, {args.repeat} runs each "
         "(floor: salt '*' bond.health)", command_rows)
    show("Publishing in one process (floor: bond.health, one job)", job_rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_report.json"
    out.write_text(json.dumps({
        "benchmark": "bench_report",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average": os.getloadavg()},
        "minions": len(minions), "commands": command_rows, "jobs": job_rows,
    }, indent=1))
    print(f"\nwrote {out.relative_to(REPO)}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
