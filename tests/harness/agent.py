"""Runs inside the user-mode-linux kernel: builds each scenario, runs its steps.

Started by the init script that ``uml.py`` writes, as root, with /proc, /sys,
/run and /dev/shm mounted and the bonding, veth, dummy, 8021q and bridge
modules loaded. Reads the job (JSON) written by the host, writes the results
(JSON) after every scenario, so a crash still leaves what ran.

Only the standard library: this runs with the host's Python, but before any
assumption about the virtualenv holds.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import traceback

SYS_NET = "/sys/class/net"
PROC_BONDING = "/proc/net/bonding"
# Options that the kernel accepts only while the bond is down or has no slaves.
EARLY_OPTIONS = ("mode",)


def sh(argv, check=True, user=None, env=None, timeout=300):
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + list(argv)
    proc = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, argv))} exited {proc.returncode}: {proc.stderr.strip()}"
        )
    return proc


def ip(*args, **kwargs):
    return sh(["ip", *args], **kwargs)


def write_sysfs(path, value):
    with open(path, "w") as f:
        f.write(str(value))


class Scenario:
    def __init__(self, spec, job):
        self.spec = spec
        self.job = job
        self.name = spec["name"]
        self.created = []  # links to delete at teardown, in creation order
        self.netns = []
        self.result = {"name": self.name, "steps": {}, "error": None}

    # -- building -----------------------------------------------------------
    def build(self):
        for bond in self.spec.get("bonds", []):
            self._add_bond(bond)
        for bond in self.spec.get("bonds", []):
            self._enslave(bond)
        for link in self.spec.get("vlans", []):
            ip("link", "add", "link", link["link"], "name", link["name"],
               "type", "vlan", "id", str(link["id"]))
            self.created.append(link["name"])
        for addr in self.spec.get("addresses", []):
            ip("addr", "add", addr["address"], "dev", addr["dev"])
        self._neighbour(self.spec.get("neighbour"))
        for name in self.created:
            if os.path.exists(os.path.join(SYS_NET, name)):
                ip("link", "set", name, "up")

    def _add_bond(self, bond):
        name = bond["name"]
        ip("link", "add", name, "type", "bond")
        self.created.append(name)
        opts = os.path.join(SYS_NET, name, "bonding")
        write_sysfs(os.path.join(opts, "mode"), bond.get("mode", "balance-rr"))
        # primary/active_slave name slaves: set them once the slaves exist.
        late = {}
        for key, value in (bond.get("options") or {}).items():
            if key in ("primary", "active_slave"):
                late[key] = value
            elif key == "arp_ip_target":
                for target in value:
                    write_sysfs(os.path.join(opts, key), f"+{target}")
            else:
                write_sysfs(os.path.join(opts, key), value)
        bond["_late"] = late

    def _enslave(self, bond):
        name = bond["name"]
        for slave in bond.get("slaves", []):
            sname = slave["name"]
            kind = slave.get("kind", "veth" if slave.get("peer") else "existing")
            if kind == "veth":
                ip("link", "add", sname, "type", "veth", "peer", "name", slave["peer"])
                self.created += [sname, slave["peer"]]
            elif kind == "dummy":
                ip("link", "add", sname, "type", "dummy")
                self.created.append(sname)
            ip("link", "set", sname, "down")
            ip("link", "set", sname, "master", name)
        opts = os.path.join(SYS_NET, name, "bonding")
        for key, value in bond.pop("_late", {}).items():
            write_sysfs(os.path.join(opts, key), value)

    def _neighbour(self, spec):
        """Move the far ends of veth pairs into a namespace, bridged, with an address.

        That gives the bond a neighbour that answers ARP and ping.
        """
        if not spec:
            return
        ns = spec.get("netns", "peer")
        ip("netns", "add", ns)
        self.netns.append(ns)
        ip("-n", ns, "link", "add", "br0", "type", "bridge")
        for peer in spec["peers"]:
            ip("link", "set", peer, "netns", ns)
            self.created.remove(peer)
            ip("-n", ns, "link", "set", peer, "master", "br0")
            ip("-n", ns, "link", "set", peer, "up")
        for address in spec.get("addresses", []):
            ip("-n", ns, "addr", "add", address, "dev", "br0")
        ip("-n", ns, "link", "set", "br0", "up")
        ip("-n", ns, "link", "set", "lo", "up")

    def teardown(self):
        for ns in self.netns:
            ip("netns", "del", ns, check=False)
        for name in reversed(self.created):
            if os.path.exists(os.path.join(SYS_NET, name)):
                ip("link", "del", name, check=False)

    # -- steps --------------------------------------------------------------
    def run_steps(self):
        for index, step in enumerate(self.spec.get("steps", [])):
            step_id = step.get("id", f"step{index}")
            self.result["steps"][step_id] = self._step(step)

    def _step(self, step):
        if "sleep" in step:
            time.sleep(float(step["sleep"]))
            return {"rc": 0}
        if "wait" in step:
            return wait_sysfs(step["wait"])
        if "ip" in step:
            return _proc_result(ip(*step["ip"], check=False))
        if "ns" in step:  # ip in the neighbour namespace
            ns = step.get("netns", "peer")
            return _proc_result(ip("-n", ns, *step["ns"], check=False))
        if "sysfs" in step:
            path, value = step["sysfs"]
            write_sysfs(os.path.join(SYS_NET, path), value)
            return {"rc": 0}
        if "read" in step:
            try:
                with open(step["read"]) as f:
                    return {"rc": 0, "stdout": f.read()}
            except OSError as exc:
                return {"rc": 1, "stderr": str(exc)}
        if "capture" in step:
            capture_tree(os.path.join(self.job["capture_root"], step["capture"]))
            return {"rc": 0}
        if "salt" in step:
            return self._salt(step)
        if "run" in step:
            return _proc_result(sh(step["run"], check=False, user=step.get("user"),
                                   timeout=step.get("timeout", 300)))
        raise ValueError(f"unknown step {step!r}")

    def _salt(self, step):
        user = step.get("user")
        config_dir = self.job["salt_config"][str(user) if user is not None else "root"]
        argv = [self.job["salt_call"], "--local", f"--config-dir={config_dir}",
                "--out=json", "--log-level=quiet", *step["salt"]]
        # hostfs refuses non-root file creation in the host's /tmp: use a tmpfs.
        env = dict(os.environ, HOME=self.job["home"], TMPDIR="/dev/shm")
        return _proc_result(sh(argv, check=False, user=user, env=env,
                               timeout=step.get("timeout", 300)))


def wait_sysfs(spec):
    """Poll a sysfs file under /sys/class/net until it reads as expected."""
    path = os.path.join(SYS_NET, spec["path"])
    deadline = time.monotonic() + float(spec.get("timeout", 10))
    value = None
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                value = f.read().strip()
        except OSError:
            value = None
        if value == spec["equals"]:
            return {"rc": 0, "stdout": value}
        time.sleep(0.05)
    return {"rc": 1, "stdout": value, "stderr": f"timed out waiting for {path}"}


def _proc_result(proc):
    return {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def _copy_file(src, dst):
    try:
        with open(src, "rb") as f:
            data = f.read()
    except OSError:
        return  # unreadable (e.g. an ad_* file needing CAP_NET_ADMIN): leave it out
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "wb") as f:
        f.write(data)


def capture_tree(dest):
    """Copy /proc/net/bonding and the bonding part of sysfs under ``dest``.

    Layout: dest/proc/net/bonding/<bond>, dest/sys/class/net/... so the roots
    are ``bond.procfs = dest/proc/net/bonding``, ``bond.sysfs = dest/sys/class/net``.
    """
    if os.path.exists(dest):
        shutil.rmtree(dest)
    proc_dst = os.path.join(dest, "proc", "net", "bonding")
    os.makedirs(proc_dst)
    sys_dst = os.path.join(dest, "sys", "class", "net")
    os.makedirs(sys_dst)
    bonds = sorted(os.listdir(PROC_BONDING)) if os.path.isdir(PROC_BONDING) else []
    for bond in bonds:
        _copy_file(os.path.join(PROC_BONDING, bond), os.path.join(proc_dst, bond))
    _copy_file(os.path.join(SYS_NET, "bonding_masters"), os.path.join(sys_dst, "bonding_masters"))
    for bond in bonds:
        src = os.path.join(SYS_NET, bond)
        for name in sorted(os.listdir(os.path.join(src, "bonding"))):
            _copy_file(os.path.join(src, "bonding", name),
                       os.path.join(sys_dst, bond, "bonding", name))
        for name in ("operstate", "mtu", "address", "carrier"):
            _copy_file(os.path.join(src, name), os.path.join(sys_dst, bond, name))
        for entry in sorted(os.listdir(src)):
            if entry.startswith(("lower_", "slave_")):
                os.symlink(os.path.join("..", entry.split("_", 1)[1]),
                           os.path.join(sys_dst, bond, entry))
    for slave in sorted(os.listdir(SYS_NET)):
        src = os.path.join(SYS_NET, slave, "bonding_slave")
        if not os.path.isdir(src):
            continue
        for name in sorted(os.listdir(src)):
            _copy_file(os.path.join(src, name), os.path.join(sys_dst, slave, "bonding_slave", name))
        for name in ("speed", "duplex", "operstate", "mtu", "address", "carrier"):
            _copy_file(os.path.join(SYS_NET, slave, name), os.path.join(sys_dst, slave, name))


def main(job_path, result_path):
    with open(job_path) as f:
        job = json.load(f)
    results = {"scenarios": {}, "uname": os.uname().release}

    def save():
        tmp = result_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(results, f, indent=1)
        os.replace(tmp, result_path)

    save()
    for spec in job["scenarios"]:
        scenario = Scenario(spec, job)
        try:
            scenario.build()
            scenario.run_steps()
        except Exception:  # reported to pytest, which fails the scenario's tests
            scenario.result["error"] = traceback.format_exc()
        finally:
            try:
                scenario.teardown()
            except Exception:
                scenario.result["teardown_error"] = traceback.format_exc()
        results["scenarios"][scenario.name] = scenario.result
        save()
    results["complete"] = True
    save()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
