"""How fast ``state.apply bonding`` is, against a floor, beside Salt's ``network.managed``.

Every number is the wall time of one ``salt-call --local state.apply <sls>``
process, as users run it; the machine is shared and noisy, so the kinds of run
alternate within each repetition and the report gives medians and the ratio of
medians to a floor measured in the same run:

* floor: an SLS of N ``test.succeed_without_changes`` states, same sandbox
  config (same pillar) as the measured run;
* ours: ``state.apply bonding`` (``bond.reconciled``) on pillars of 1, 8 and 64
  bonds (active-backup, 802.3ad with VLANs, balance-alb; 2-4 slaves each), the
  first run into an empty directory and the no-change (second) run; floor: N
  states for N bonds;
* network.managed: the same bonds as Salt's documentation writes them (one
  ``type: bond`` state, one ``type: slave`` state per slave, one ``type: vlan``
  state per VLAN), first and no-change run, against a floor of its own state
  count and of one state per bond. ``rh_ip`` only loads on RedHat-family grains
  and writes to the hard-coded ``/etc/sysconfig/network-scripts``, so this part
  runs in a child process inside ``unshare --mount --propagation private
  --net``: ``/etc`` is an overlay whose upper layer is a temporary directory
  (the machine's /etc is never written), the grains are overridden in the
  minion config, no-op ``ifup``/``ifdown`` come first on PATH (Debian has
  none), and the network namespace is the child's own. Two cases: "present"
  (every bond, slave and VLAN name is an up veth end in that namespace, and a
  tmpfs over ``/sys/class/net``, in that mount namespace only, holds each
  bond's ``bonding/slaves``) and "absent" (no such interfaces: each state then
  calls ``saltutil.refresh_grains``, whose ``event.fire`` spends about 1 s on
  a minion event bus that does not exist under ``--local``).

Run: ``.venv/bin/python benchmarks/bench_state.py [--repeat N] [--quick]``
(root is needed for the network.managed part; ``--no-nm`` skips it).
``--profile`` adds a cProfile of the in-process no-change plan at 64 bonds.
Prints a table and writes ``benchmarks/results/bench_state.json``.
"""

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
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

from tests.harness.saltcall import SALT_CALL, SaltCall  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
SIZES = (1, 8, 64)
TARGET_RATIO = 1.2  # the target for our no-change run at 64 bonds
RH_GRAINS = {  # what rh_ip's __virtual__ and build_interface read
    "os_family": "RedHat", "os": "CentOS", "osrelease": "7.9.2009",
    "osmajorrelease": 7, "osfinger": "CentOS Linux-7", "oscodename": "CentOS Linux 7 (Core)",
}


# ---------------------------------------------------------------- the bonds

def bonds(count):
    """``count`` bonds in three shapes, the way a fleet's pillar looks."""
    out = {}
    for i in range(count):
        name, kind = f"bond{i}", i % 3
        if kind == 0:
            slaves = [f"b{i}s{j}" for j in range(2)]
            out[name] = {"mode": "active-backup", "slaves": slaves, "miimon": 100,
                         "updelay": 200, "downdelay": 200, "primary": slaves[0],
                         "fail_over_mac": "active", "num_grat_arp": 3,
                         "bootproto": "static", "ipaddr": f"10.{i}.0.10", "prefix": 24,
                         "gateway": f"10.{i}.0.1", "onboot": True}
        elif kind == 1:
            slaves = [f"b{i}s{j}" for j in range(4)]
            out[name] = {"mode": "802.3ad", "slaves": slaves, "miimon": 100,
                         "lacp_rate": "fast", "xmit_hash_policy": "layer3+4", "min_links": 2,
                         "mtu": 9000, "bootproto": "none",
                         "ifcfg": {"ETHTOOL_OPTS": f"-K {name} gro off"},
                         "vlans": {"100": {"ipaddr": f"10.{i}.100.10", "prefix": 24,
                                           "gateway": f"10.{i}.100.1"},
                                   "200": {"ipaddr": f"10.{i}.200.10", "prefix": 24,
                                           "mtu": 9000}}}
        else:
            slaves = [f"b{i}s{j}" for j in range(3)]
            out[name] = {"mode": "balance-alb", "slaves": slaves, "miimon": 100,
                         "bootproto": "dhcp"}
    return out


def pillar(count):
    return {"bonding": {"networkmanager": "unmanaged", "modprobe_options": False,
                        "bonds": bonds(count)}}


def floor_sls(states):
    return {f"noop{i}": {"test.succeed_without_changes": []} for i in range(states)}


_NM_RENAME = {"xmit_hash_policy": "hashing-algorithm", "bootproto": "proto"}


def nm_sls(count):
    """The same bonds as ``network.managed`` states, written as Salt's docs show.

    Options rh_ip does not know (fail_over_mac, num_grat_arp, min_links) are
    passed as given: rh_ip drops them silently, which is part of what is compared.
    """
    sls = {}
    for name, bond in bonds(count).items():
        for slave in bond["slaves"]:
            sls[slave] = {"network.managed": [{"enabled": True}, {"type": "slave"},
                                              {"master": name}]}
        args = [{"enabled": True}, {"type": "bond"}, {"slaves": " ".join(bond["slaves"])},
                {"require": [{"network": s} for s in bond["slaves"]]}]
        for key, value in bond.items():
            if key in ("slaves", "vlans", "ifcfg", "onboot"):
                continue
            if key == "bootproto" and value == "static":
                value = "none"  # rh_ip's proto: none|bootp|dhcp; an address makes it static
            args.append({_NM_RENAME.get(key, key): value})
        if "ifcfg" in bond:  # ETHTOOL_OPTS -K gro off, in rh_ip's words
            args.append({"gro": "off"})
        sls[name] = {"network.managed": args}
        for vid, vlan in bond.get("vlans", {}).items():
            vargs = [{"enabled": True}, {"type": "vlan"}, {"proto": "none"},
                     {"use": [{"network": name}]}, {"require": [{"network": name}]}]
            vargs += [{k: v} for k, v in vlan.items()]
            sls[f"{name}.{vid}"] = {"network.managed": vargs}
    return sls


def interface_names(count):
    """Every device name the network.managed states manage (bonds, slaves, VLANs)."""
    names = []
    for name, bond in bonds(count).items():
        names += [name, *bond["slaves"], *(f"{name}.{vid}" for vid in bond.get("vlans", {}))]
    return names


# ---------------------------------------------------------------- running salt-call

def salt_apply(salt, sls):
    """Wall seconds of one ``salt-call --local state.apply sls``, and its state returns."""
    start = time.perf_counter()
    proc = subprocess.run(salt.argv("state.apply", sls), capture_output=True, text=True,
                          timeout=900)
    elapsed = time.perf_counter() - start
    try:
        states = json.loads(proc.stdout)["local"]
    except (ValueError, KeyError):
        raise SystemExit(f"state.apply {sls}: no JSON (rc {proc.returncode}):\n"
                         f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}") from None
    if proc.returncode != 0 or not isinstance(states, dict):
        raise SystemExit(f"state.apply {sls} failed (rc {proc.returncode}): "
                         f"{json.dumps(states)[:3000]}")
    return elapsed, states


def check(states, sls, expect_states, changed, file_key=None):
    """The run did what it should: all states True; changes on a first run only.

    ``file_key``: only this key of ``changes`` means a file changed (network.managed
    also reports ifup and enslaving as changes on every run when the interfaces are
    absent). Returns the sorted change keys seen.
    """
    bad = {k: v.get("comment") for k, v in states.items() if v.get("result") is not True}
    if bad:
        raise SystemExit(f"{sls}: states failed: {json.dumps(bad)[:3000]}")
    if len(states) != expect_states:
        raise SystemExit(f"{sls}: {len(states)} states ran, expected {expect_states}")
    keys = sorted({k for v in states.values() for k in (v.get("changes") or {})})
    with_changes = sum(1 for v in states.values() if (v.get("changes") or {})
                       and (file_key is None or file_key in v["changes"]))
    if changed and not with_changes:
        raise SystemExit(f"{sls}: a first run reported no changes")
    if not changed and with_changes:
        raise SystemExit(f"{sls}: a no-change run reported changes in {with_changes} states")
    return keys


def summarize(times):
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "runs": [round(t, 4) for t in times]}


def make_salt(root, sls_dir, **overrides):
    return SaltCall(root, file_roots={"base": [str(REPO), str(sls_dir)]}, **overrides)


def write_sls(sls_dir, name, data):
    (sls_dir / f"{name}.sls").write_text(json.dumps(data))


def clear(directory):
    for entry in Path(directory).iterdir():
        entry.unlink()


# ---------------------------------------------------------------- ours

def bench_ours(root, sizes, repeat):
    sls_dir = root / "sls"
    sls_dir.mkdir(parents=True)
    salts = {}
    for n in sizes:
        write_sls(sls_dir, f"bench_floor_{n}", floor_sls(n))
        salt = make_salt(root / f"ours{n}", sls_dir)
        salt.set_pillar(pillar(n))
        salts[n] = salt

    def first(n):
        clear(salts[n].ifcfg_dir)
        salts[n].modprobe_conf.unlink(missing_ok=True)
        t, states = salt_apply(salts[n], "bonding")
        check(states, "bonding", 1, changed=True)
        return t

    def nochange(n):
        t, states = salt_apply(salts[n], "bonding")
        check(states, "bonding", 1, changed=False)
        return t

    def floor(n):
        t, states = salt_apply(salts[n], f"bench_floor_{n}")
        check(states, "floor", n, changed=False)
        return t

    for n in sizes:  # warm the caches once, untimed
        floor(n), first(n), nochange(n)
    files = {n: len(list(salts[n].ifcfg_dir.iterdir())) for n in sizes}
    times = {n: {"floor": [], "first": [], "nochange": []} for n in sizes}
    kinds = {"floor": floor, "first": first, "nochange": nochange}
    for rep in range(repeat):
        for n in sizes:  # alternate the order so drift hits every kind alike
            order = ("floor", "first", "nochange") if rep % 2 == 0 else (
                "first", "nochange", "floor")
            for kind in order:
                times[n][kind].append(kinds[kind](n))
    out = {}
    for n in sizes:
        fl = statistics.median(times[n]["floor"])
        out[str(n)] = {
            "bonds": n, "states": 1, "floor_states": n, "ifcfg_files": files[n],
            "floor": summarize(times[n]["floor"]),
            **{kind: {**summarize(times[n][kind]),
                      "ratio": statistics.median(times[n][kind]) / fl,
                      "ratio_min": min(times[n][kind]) / min(times[n]["floor"])}
               for kind in ("first", "nochange")},
        }
    return out


# ---------------------------------------------------------------- network.managed

def bench_nm(root, sizes, repeat, present):
    """Run the network.managed part in a child in its own mount and network namespace."""
    params = {"root": str(root), "sizes": list(sizes), "repeat": repeat, "present": present,
              "parent_ns": {ns: os.readlink(f"/proc/self/ns/{ns}") for ns in ("mnt", "net")}}
    params_file = root / "params.json"
    root.mkdir(parents=True)
    params_file.write_text(json.dumps(params))
    argv = ["unshare", "--mount", "--propagation", "private", "--net",
            sys.executable, __file__, "--nm-inner", str(params_file)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    result_file = root / "result.json"
    if proc.returncode != 0 or not result_file.exists():
        return {"error": f"network.managed child failed (rc {proc.returncode}): "
                         f"{proc.stderr.strip()[-3000:]}"}
    return json.loads(result_file.read_text())


def nm_inner(params_file):
    """Inside the new namespaces: overlay /etc, optional veths, then time the runs."""
    params = json.loads(Path(params_file).read_text())
    for ns, parent in params["parent_ns"].items():
        if os.readlink(f"/proc/self/ns/{ns}") == parent:
            raise SystemExit(f"refusing to run: not in a new {ns} namespace")
    root = Path(params["root"])
    upper, work = root / "etc-upper", root / "etc-work"
    upper.mkdir()
    work.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir=/etc,upperdir={upper},workdir={work}", "/etc"], check=True)
    scripts = Path("/etc/sysconfig/network-scripts")  # inside the overlay only
    scripts.mkdir(parents=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    # Debian has no ifup/ifdown (initscripts); rh_ip calls them after each change.
    # No-op stand-ins: a real ifdown/ifup bounce would only add to network.managed's time.
    stubs = root / "bin"
    stubs.mkdir()
    for tool in ("ifup", "ifdown"):
        (stubs / tool).write_text("#!/bin/sh\nexit 0\n")
        (stubs / tool).chmod(0o755)
    os.environ["PATH"] = f"{stubs}:{os.environ['PATH']}"
    sizes, repeat = params["sizes"], params["repeat"]
    if params["present"]:
        names = interface_names(max(sizes))
        if len(names) % 2:
            names.append("pad0")
        batch = "".join(f"link add {a} type veth peer name {b}\nlink set {a} up\nlink set {b} up\n"
                        for a, b in zip(names[::2], names[1::2], strict=True))
        subprocess.run(["ip", "-batch", "-"], input=batch, text=True, check=True)
        # /sys here still shows the host's namespace, and a veth is no bond: give the
        # bond states the sysfs file they read (bonding/slaves), as on a host whose
        # bonds have their slaves. A tmpfs over /sys/class/net, in this mount namespace only.
        subprocess.run(["mount", "-t", "tmpfs", "bench-sysfs", "/sys/class/net"], check=True)
        for name, bond in bonds(max(sizes)).items():
            (Path("/sys/class/net") / name / "bonding").mkdir(parents=True)
            (Path("/sys/class/net") / name / "bonding" / "slaves").write_text(
                " ".join(bond["slaves"]) + "\n")

    sls_dir = root / "sls"
    sls_dir.mkdir()
    salt = make_salt(root / "salt", sls_dir, grains=RH_GRAINS)
    state_counts = {}
    for n in sizes:
        sls = nm_sls(n)
        state_counts[n] = len(sls)
        write_sls(sls_dir, f"bench_nm_{n}", sls)
        write_sls(sls_dir, f"bench_floor_{len(sls)}", floor_sls(len(sls)))
        write_sls(sls_dir, f"bench_floor_{n}", floor_sls(n))

    change_keys = {}
    state_ms = {n: {"first": [], "nochange": []} for n in sizes}

    def run(sls, states, changed):
        t, ret = salt_apply(salt, sls)
        keys = check(ret, sls, states, changed, file_key="interface")
        change_keys[f"{sls} {'first' if changed else 'nochange'}"] = keys
        if sls.startswith("bench_nm_"):  # Salt's own duration of each state, averaged
            durations = [v.get("duration", 0) for v in ret.values()]
            state_ms[int(sls.rsplit("_", 1)[1])]["first" if changed else "nochange"].append(
                sum(durations) / len(durations))
        return t

    def first(n):
        clear(scripts)
        return run(f"bench_nm_{n}", state_counts[n], True)

    def nochange(n):
        return run(f"bench_nm_{n}", state_counts[n], False)

    kinds = {"floor_states": lambda n: run(f"bench_floor_{state_counts[n]}", state_counts[n],
                                           False),
             "floor_bonds": lambda n: run(f"bench_floor_{n}", n, False),
             "first": first, "nochange": nochange}
    run("bench_floor_1", 1, False)  # warm the caches once, untimed
    times = {n: {k: [] for k in kinds} for n in sizes}
    for rep in range(repeat):
        for n in sizes:
            order = ["floor_states", "floor_bonds", "first", "nochange"]
            if rep % 2:
                order = ["first", "nochange", "floor_bonds", "floor_states"]
            for kind in order:
                times[n][kind].append(kinds[kind](n))
    files = len(list(scripts.iterdir()))
    out = {"present": params["present"], "grains": RH_GRAINS, "ifcfg_files_last_size": files,
           "change_keys": {k: v for k, v in change_keys.items() if k.startswith("bench_nm")}}
    for n in sizes:
        fs, fb = (statistics.median(times[n][k]) for k in ("floor_states", "floor_bonds"))
        out[str(n)] = {
            "bonds": n, "states": state_counts[n],
            "floor_states": summarize(times[n]["floor_states"]),
            "floor_bonds": summarize(times[n]["floor_bonds"]),
            **{kind: {**summarize(times[n][kind]),
                      "ratio_states": statistics.median(times[n][kind]) / fs,
                      "ratio_states_min": min(times[n][kind]) / min(times[n]["floor_states"]),
                      "ratio_bonds": statistics.median(times[n][kind]) / fb,
                      "state_ms_mean": statistics.mean(state_ms[n][kind])}
               for kind in ("first", "nochange")},
        }
    (root / "result.json").write_text(json.dumps(out))


# ---------------------------------------------------------------- in-process profile

def profile_plan(root, n=64, top=15):
    """cProfile of ``salt_bonding.plan.plan_reconciled`` on a no-change tree of ``n`` bonds."""
    from salt_bonding import plan as bond_plan
    from salt_bonding.config import schema
    from salt_bonding.host import files
    from salt_bonding.render import Destination

    ifcfg, modprobe = root / "network-scripts", root / "modprobe.d" / "bonding.conf"
    ifcfg.mkdir(parents=True)
    modprobe.parent.mkdir(parents=True)
    value = pillar(n)["bonding"]
    destination = Destination("ifcfg", str(ifcfg), str(modprobe))

    def plan():
        return bond_plan.plan_reconciled(value, "bonding", destination)

    bond_plan.apply(plan())
    assert not plan().changes
    runs = 50
    start = time.perf_counter()
    for _ in range(runs):
        plan()
    per_run_ms = (time.perf_counter() - start) * 1000 / runs
    config = schema.validate(value, "bonding")
    wanted = files.desired_files(config, destination)
    phases = {  # the steps of plan_reconciled, each timed alone
        "validate (schema.validate)": lambda: schema.validate(value, "bonding"),
        "render (renderer.render_all)": lambda: destination.renderer.render_all(config),
        "scan marks (files.find_managed)":
            lambda: files.find_managed(str(ifcfg), destination.renderer),
        "read + compare (files.plan_wanted)": lambda: files.plan_wanted(wanted, destination),
    }
    phase_ms = {}
    for label, step in phases.items():
        start = time.perf_counter()
        for _ in range(runs):
            step()
        phase_ms[label] = (time.perf_counter() - start) * 1000 / runs
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(runs):
        plan()
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(top)
    return {"bonds": n, "files": len(wanted.write), "runs": runs, "plan_ms": per_run_ms,
            "phase_ms": phase_ms, "top_tottime": text.getvalue()}


# ---------------------------------------------------------------- main

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 repetitions, absent case skipped")
    parser.add_argument("--no-nm", action="store_true", help="skip network.managed")
    parser.add_argument("--absent-sizes", default="1",
                        help="bond counts for network.managed with interfaces absent "
                             "(each state waits ~1 s; default 1)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the 64-bond no-change plan")
    parser.add_argument("--nm-inner", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.nm_inner:
        return nm_inner(args.nm_inner)
    repeat = 2 if args.quick else args.repeat
    absent_sizes = [] if args.quick else [int(s) for s in args.absent_sizes.split(",") if s]
    started = time.time()
    root = Path(tempfile.mkdtemp(prefix="bond-bench-state-"))
    report = {"benchmark": "bench_state", "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "python": platform.python_version(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "salt_call": str(SALT_CALL), "repeat": repeat,
              "target": {"bonds": 64, "run": "nochange", "ratio": TARGET_RATIO}}
    try:
        report["ours"] = bench_ours(root / "ours", SIZES, repeat)
        if args.no_nm:
            report["network_managed"] = {"skipped": "--no-nm"}
        elif os.geteuid() != 0 or not shutil.which("unshare"):
            report["network_managed"] = {"skipped": "needs root and unshare(1) for the sandbox"}
        else:
            report["network_managed"] = {
                "present": bench_nm(root / "nm-present", SIZES, repeat, present=True)}
            if absent_sizes:
                report["network_managed"]["absent"] = bench_nm(
                    root / "nm-absent", absent_sizes, min(repeat, 3), present=False)
        if args.profile:
            report["profile"] = profile_plan(root / "profile")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report["elapsed_s"] = time.time() - started
    print_table(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_state.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"results: {out.relative_to(REPO)} ({report['elapsed_s']:.0f} s)")


def print_table(report):
    print(f"{'what':28} {'bonds':>5} {'states':>6} {'run':9} {'median s':>9} "
          f"{'floor s':>8} {'ratio':>6} {'min-ratio':>9}  {'/bond floor':>11}")
    for n, row in report["ours"].items():
        for kind in ("first", "nochange"):
            r = row[kind]
            mark = ""
            if int(n) == report["target"]["bonds"] and kind == report["target"]["run"]:
                mark = "  target <= {:.1f}: {}".format(
                    TARGET_RATIO, "met" if r["ratio"] <= TARGET_RATIO else "NOT met")
            print(f"{'bond.reconciled':28} {n:>5} {row['states']:>6} {kind:9} "
                  f"{r['median_s']:9.3f} {row['floor']['median_s']:8.3f} {r['ratio']:6.2f} "
                  f"{r['ratio_min']:9.2f}  {'':>11}{mark}")
    nm = report.get("network_managed", {})
    for case in ("present", "absent"):
        part = nm.get(case)
        if not part:
            continue
        if "error" in part:
            print(f"network.managed ({case}): {part['error']}")
            continue
        for n, row in part.items():
            if not n.isdigit():
                continue
            for kind in ("first", "nochange"):
                r = row[kind]
                print(f"{'network.managed, ifs ' + case:28} {n:>5} {row['states']:>6} {kind:9} "
                      f"{r['median_s']:9.3f} {row['floor_states']['median_s']:8.3f} "
                      f"{r['ratio_states']:6.2f} {r['ratio_states_min']:9.2f}  "
                      f"{r['ratio_bonds']:11.2f}   {r['state_ms_mean']:.0f} ms/state")
    if "skipped" in nm:
        print(f"network.managed skipped: {nm['skipped']}")
    if "profile" in report:
        p = report["profile"]
        print(f"\nin-process plan_reconciled, {p['bonds']} bonds, no change: "
              f"{p['plan_ms']:.2f} ms per run ({p['files']} files)")
        for label, ms in p["phase_ms"].items():
            print(f"  {label:40} {ms:7.2f} ms")
        print(p["top_tottime"])


if __name__ == "__main__":
    main()
