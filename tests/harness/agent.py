"""Runs inside the user-mode-linux kernel: builds each scenario, runs its steps.

Started by the init script that ``uml.py`` writes, as root, with /proc, /sys,
/run and /dev/shm mounted and the bonding, veth, dummy, 8021q and bridge
modules loaded. Reads the job (JSON) written by the host, writes the results
(JSON) after every scenario, so a crash still leaves what ran.

The real NetworkManager can run inside too (``nm`` and ``nmcli`` steps, see
:class:`NetworkManager`): on a D-Bus system bus of its own, with every file it
reads or writes under /run (a tmpfs of this kernel) or in tmpfs mounts of its
own mount namespace, never on the host's filesystem.

Red Hat's real network-scripts can run inside too (scenario option
``"initscripts": true``, see :class:`Initscripts`): the vendored initscripts
at the paths RHEL has them, on overlays of /etc and /usr whose writable layers
live under /run; and Debian's own ifupdown and ifenslave, installed on the host
(``"ifupdown": true``, :class:`Ifupdown`), with /etc on an overlay.

Only the standard library: this runs with the host's Python, but before any
assumption about the virtualenv holds.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback

SYS_NET = "/sys/class/net"
PROC_BONDING = "/proc/net/bonding"
NM_RUN = "/run/bond-agent-nm"  # the private bus, config and logs of NetworkManager (tmpfs)
NM_DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""
NM_CONF = """[main]
plugins=keyfile
auth-polkit=false
dhcp=internal
dns=none
rc-manager=unmanaged
no-auto-default=*
hostname-mode=none

[keyfile]
path={keyfile_dir}

[device-managed]
match-device=*
managed=1
"""
# Run in a mount namespace of NetworkManager's own: a read-only /sys (so it does
# without udev: with a writable /sys it waits for udev and manages nothing) with
# /sys/devices writable (bonding options, MTU), and tmpfs over its state and
# configuration directories (nothing of the host's read, nothing written there).
NM_NAMESPACE_SCRIPT = """set -e
mount --bind /sys/devices /sys/devices
mount -o remount,bind,ro /sys
mount -t tmpfs -o mode=755 tmpfs /var/lib/NetworkManager
mount -t tmpfs -o mode=755 tmpfs /etc/NetworkManager
cp -a "$1/." /var/lib/NetworkManager/
shift
exec "$@"
"""
# The vendored network-scripts (their README.md: where from, which tag).
INITSCRIPTS_SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                  "vendor", "initscripts-10.00.19")
INITSCRIPTS_RUN = "/run/bond-agent-initscripts"  # the overlays' writable layers (tmpfs)
NETWORK_SCRIPTS = "/etc/sysconfig/network-scripts"
# Where RHEL has them, and what the scripts call by these absolute paths (through
# Debian 12's merged /usr: /sbin is /usr/sbin, /bin is /usr/bin): /sbin/ifup (the
# slaves, from ifup-eth), /bin/ipcalc (RHEL's, Debian's ipcalc-ng), /sbin/arping;
# /bin/sh is bash as on RHEL (ifdown-post and ifdown-ipv6 say #!/bin/sh and source
# functions, which dash cannot parse); the UML modules where plain modprobe looks
# (install_bonding_driver runs it).
INITSCRIPTS_LINKS = {
    "/usr/bin/sh": "bash",
    "/usr/sbin/ifup": f"{NETWORK_SCRIPTS}/ifup",
    "/usr/sbin/ifdown": f"{NETWORK_SCRIPTS}/ifdown",
    "/usr/bin/ipcalc": "/usr/bin/ipcalc-ng",
    "/usr/sbin/arping": "/usr/bin/arping",
    f"/usr/lib/modules/{os.uname().release}": f"/usr/lib/uml/modules/{os.uname().release}",
}
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
        self.links_before = set(os.listdir(SYS_NET))
        self.nm = NetworkManager()
        self.initscripts = Initscripts(self.name)
        self.ifupdown = Ifupdown(self.name)
        self.result = {"name": self.name, "steps": {}, "error": None}

    # -- building -----------------------------------------------------------
    def build(self):
        if self.spec.get("initscripts"):
            self.initscripts.start()
        elif self.spec.get("ifupdown"):
            self.ifupdown.start()
        for name, peer in self.spec.get("veths", []):  # pairs for steps (or NetworkManager)
            ip("link", "add", name, "type", "veth", "peer", "name", peer)
            self.created += [name, peer]
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
        for neighbour in [self.spec.get("neighbour"), *self.spec.get("neighbours", [])]:
            self._neighbour(neighbour)
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

        That gives the bond a neighbour that answers ARP and ping. With
        ``"bond": {"mode": ..., "options": {...}}`` the far ends are enslaved to
        a bond there instead (an 802.3ad partner that negotiates LACP); ``vlans``
        (``[{"id": 100, "addresses": [...]}]``) adds VLANs on that device.
        """
        if not spec:
            return
        ns = spec.get("netns", "peer")
        ip("netns", "add", ns)
        self.netns.append(ns)
        bond = spec.get("bond")
        device = spec.get("device", "nbond0" if bond else "br0")
        if bond:
            options = [str(word) for key, value in (bond.get("options") or {}).items()
                       for word in (key, value)]
            ip("-n", ns, "link", "add", device, "type", "bond", "mode", bond["mode"], *options)
        else:
            ip("-n", ns, "link", "add", device, "type", "bridge")
        for peer in spec["peers"]:
            ip("link", "set", peer, "netns", ns)
            self.created.remove(peer)
            ip("-n", ns, "link", "set", peer, "down")
            ip("-n", ns, "link", "set", peer, "master", device)
            ip("-n", ns, "link", "set", peer, "up")
        ip("-n", ns, "link", "set", device, "up")
        _add_addresses(ns, device, spec.get("addresses", []))
        for vlan in spec.get("vlans", []):
            name = f"{device}.{vlan['id']}"
            ip("-n", ns, "link", "add", "link", device, "name", name, "type", "vlan",
               "id", str(vlan["id"]))
            ip("-n", ns, "link", "set", name, "up")
            _add_addresses(ns, name, vlan.get("addresses", []))
        ip("-n", ns, "link", "set", "lo", "up")

    def teardown(self):
        self.nm.stop()
        for ns in self.netns:
            ip("netns", "del", ns, check=False)
        for name in reversed(self.created):
            if os.path.exists(os.path.join(SYS_NET, name)):
                ip("link", "del", name, check=False)
        if self.nm.used or self.initscripts.used or self.ifupdown.used:  # the links they made
            for name in sorted(set(os.listdir(SYS_NET)) - self.links_before, reverse=True):
                if os.path.exists(os.path.join(SYS_NET, name)):
                    ip("link", "del", name, check=False)
        self.initscripts.stop()
        self.ifupdown.stop()

    # -- steps --------------------------------------------------------------
    def run_steps(self):
        for index, step in enumerate(self.spec.get("steps", [])):
            step_id = step.get("id", f"step{index}")
            began = time.monotonic()
            result = self._step(step)
            result["seconds"] = round(time.monotonic() - began, 3)
            self.result["steps"][step_id] = result

    def _step(self, step):
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
        if "pillar" in step:  # the minion's pillar from now on (it is compiled each call)
            with open(self.job["pillar_file"], "w") as f:
                json.dump(step["pillar"], f)
            return {"rc": 0}
        if "nm" in step:
            return self.nm.step(step)
        if "nmcli" in step:
            return _proc_result(sh(["nmcli", *step["nmcli"]], check=False, env=self.nm.env(),
                                   timeout=step.get("timeout", 60)))
        if "run" in step:
            return _proc_result(sh(step["run"], check=False, user=step.get("user"),
                                   timeout=step.get("timeout", 300)))
        raise ValueError(f"unknown step {step!r}")

    def _salt(self, step):
        user = step.get("user")
        config_dir = self.job["salt_config"][str(user) if user is not None else "root"]
        # hostfs refuses non-root file creation in the host's /tmp: use a tmpfs. The rest
        # of the environment is the agent's now (DBUS_SYSTEM_BUS_ADDRESS while the
        # scenario's NetworkManager runs), for a warm call as for a process.
        env = dict(os.environ, HOME=self.job["home"], TMPDIR="/dev/shm")
        timeout = step.get("timeout", 300)
        if "kill_when" in step:
            return self._salt_killed(step, config_dir, user, env, timeout)
        if not step.get("process", self.job.get("salt_process", False)):
            return WARM_SALT.call(self.job, config_dir, user, step["salt"], env, timeout)
        argv = [self.job["salt_call"], "--local", f"--config-dir={config_dir}",
                "--out=json", "--log-level=quiet", *step["salt"]]
        return _proc_result(sh(argv, check=False, user=user, env=env, timeout=timeout))

    def _salt_killed(self, step, config_dir, user, env, timeout):
        """A salt-call process killed with SIGKILL (it and its process group, as a crash
        or an out-of-memory kill ends it) once the file ``kill_when`` exists: rc -9, or
        rc 1 when that file never came within ``timeout``."""
        argv = [self.job["salt_call"], "--local", f"--config-dir={config_dir}",
                "--out=json", "--log-level=quiet", *step["salt"]]
        if user is not None:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, env=env, start_new_session=True)
        came = wait_sysfs({"path": step["kill_when"], "exists": True, "timeout": timeout})
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        if came["rc"] != 0:
            return {"rc": 1, "stdout": "", "stderr": f"{came['stderr']}; salt-call said: "
                                                     f"{stderr[-2000:]}"}
        return {"rc": proc.returncode, "stdout": "", "stderr": stderr[-2000:]}


class WarmSalt:
    """The warm Salt callers of this boot (``warm_salt.py``), one per minion config,
    started at the first ``salt`` step that needs it, running as that step's user."""

    def __init__(self):
        self.callers = {}
        self.start_seconds = {}

    def call(self, job, config_dir, user, argv, env, timeout):
        proc = self.callers.get(config_dir)
        if proc is None or proc.poll() is not None:
            proc = self._start(job, config_dir, user, env)
        proc.stdin.write(json.dumps({"argv": [str(a) for a in argv], "env": env,
                                     "timeout": timeout}) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            self.callers.pop(config_dir, None)
            return {"rc": 1, "stdout": "", "stderr": "the warm Salt caller died: "
                    + _read(self._err_path(user))}
        return json.loads(line)

    def _start(self, job, config_dir, user, env):
        python = os.path.join(os.path.dirname(job["salt_call"]), "python")
        argv = [python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "warm_salt.py"),
                config_dir]
        if user is not None:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + argv
        began = time.monotonic()
        err = open(self._err_path(user), "w")
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=err, text=True, env=dict(os.environ, **env))
        ready = proc.stdout.readline()
        if not ready:
            proc.wait()
            raise RuntimeError(f"the warm Salt caller for {config_dir} did not start: "
                               + _read(err.name))
        self.start_seconds[config_dir] = round(time.monotonic() - began, 2)
        self.callers[config_dir] = proc
        return proc

    @staticmethod
    def _err_path(user):
        return os.path.join("/dev/shm", f"warm_salt-{user}.err")

    def stop(self):
        for proc in self.callers.values():
            proc.stdin.close()
            proc.wait(timeout=60)
        self.callers = {}


WARM_SALT = WarmSalt()


def _add_addresses(ns, device, addresses):
    for address in addresses:
        # IPv6: no duplicate address detection, the neighbour answers at once.
        ip("-n", ns, "addr", "add", address, "dev", device, *(["nodad"] if ":" in address else []))


class NetworkManager:
    """The real NetworkManager (``/usr/sbin/NetworkManager``) for one scenario.

    Steps::

        {"nm": "start", "keyfile_dir": "/run/x",   # [keyfile] path: the profiles
         "config": "[section]\\nkey=value\\n",      # appended to NetworkManager.conf
         "state_files": {"timestamps": "..."},      # into /var/lib/NetworkManager
         "timeout": 60}
        {"id": "dev", "nmcli": ["-t", "device"]}     # nmcli on its bus
        {"id": "log", "nm": "log"}                   # its log so far (stdout)
        {"nm": "settle", "timeout": 60}              # until its activations are over
        {"id": "stop", "nm": "stop"}                 # SIGTERM; stdout: the whole log

    ``start`` starts a private ``dbus-daemon`` (a system bus under /run) and
    NetworkManager on it, each with a private configuration, then waits until
    nmcli gets an answer and NetworkManager reports its startup complete (the
    profiles that autoconnect have been activated, or have failed). Its stdout
    is ``nmcli general``; ``seconds`` how long the start took. While it runs,
    ``DBUS_SYSTEM_BUS_ADDRESS`` is set for every step (``run`` steps with nmcli).
    The scenario's teardown stops it and deletes the links it created.
    """

    def __init__(self):
        self.used = False
        self.dbus = None
        self.daemon = None
        self.log_path = None

    @property
    def bus(self):
        return f"unix:path={NM_RUN}/system_bus_socket"

    def env(self):
        return dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus)

    def step(self, step):
        action = step["nm"]
        if action == "start":
            return self.start(step)
        if action == "settle":
            return self.settle(float(step.get("timeout", 60)))
        if action == "stop":
            return {"rc": 0, "stdout": self.stop()}
        if action == "log":
            return {"rc": 0, "stdout": self.log()}
        raise ValueError(f"unknown nm action {action!r}")

    def start(self, step):
        if self.daemon is not None:
            raise RuntimeError("NetworkManager is already running in this scenario")
        self.used = True
        began = time.monotonic()
        if os.path.exists(NM_RUN):
            shutil.rmtree(NM_RUN)
        state_dir = os.path.join(NM_RUN, "var-lib")
        empty = os.path.join(NM_RUN, "empty")
        for path in (state_dir, empty):
            os.makedirs(path)
        for name, text in (step.get("state_files") or {}).items():
            with open(os.path.join(state_dir, name), "w") as f:
                f.write(text)
        conf = os.path.join(NM_RUN, "NetworkManager.conf")
        with open(conf, "w") as f:
            f.write(NM_CONF.format(keyfile_dir=step["keyfile_dir"]) + step.get("config", ""))
        dbus_conf = os.path.join(NM_RUN, "dbus.conf")
        socket = self.bus.split("=", 1)[1]
        with open(dbus_conf, "w") as f:
            f.write(NM_DBUS_CONF.format(socket=socket))
        self.log_path = os.path.join(NM_RUN, "NetworkManager.log")
        with open(os.path.join(NM_RUN, "dbus.log"), "w") as log:
            self.dbus = subprocess.Popen(["dbus-daemon", f"--config-file={dbus_conf}", "--nofork"],
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = began + float(step.get("timeout", 60))
        while not os.path.exists(socket):
            if self.dbus.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dbus-daemon did not start: {_read(NM_RUN + '/dbus.log')}")
            time.sleep(0.05)
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                NM_NAMESPACE_SCRIPT, "-", state_dir,
                "NetworkManager", "--no-daemon", "--debug",
                f"--log-level={step.get('log_level', 'INFO')}",
                f"--config={conf}", f"--config-dir={empty}", f"--system-config-dir={empty}",
                f"--intern-config={NM_RUN}/NetworkManager-intern.conf",
                f"--state-file={NM_RUN}/NetworkManager.state",
                f"--pid-file={NM_RUN}/NetworkManager.pid"]
        with open(self.log_path, "w") as log:
            self.daemon = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                           env=self.env())
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus
        while True:
            general = sh(["nmcli", "-t", "general"], check=False, env=self.env(), timeout=30)
            if general.returncode == 0:
                break
            if self.daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"NetworkManager did not answer (exit {self.daemon.poll()}):\n"
                                   f"{self.log()[-3000:]}")
            time.sleep(0.1)
        remaining = max(1, int(deadline - time.monotonic()))
        online = sh(["nm-online", "--wait-for-startup", "--quiet", f"--timeout={remaining}"],
                    check=False, env=self.env(), timeout=remaining + 10)
        general = sh(["nmcli", "-t", "general"], check=False, env=self.env(), timeout=30)
        return {"rc": online.returncode, "stdout": general.stdout,
                "stderr": online.stderr, "seconds": round(time.monotonic() - began, 2)}

    def settle(self, timeout):
        """Wait until NetworkManager has finished what it was doing: no device between
        states (``connecting (...)`` short of waiting for an address, ``deactivating``)
        in three listings in a row, each the same. Its answer to a load, an up or a
        start is activations it schedules on its own; the listing is how it says they
        are over. stdout: the last listing."""
        deadline = time.monotonic() + timeout
        calm, previous = 0, None
        while True:
            listing = sh(["nmcli", "-t", "-f", "DEVICE,STATE,CONNECTION", "device"],
                         check=False, env=self.env(), timeout=30).stdout
            states = [line.split(":")[1] for line in listing.splitlines() if ":" in line]
            # Between states, except waiting for an address (DHCP, or no carrier on a
            # bond without ports): a device can stay there for as long as it likes.
            busy = any(s.startswith(("connecting", "deactivating"))
                       and s != "connecting (getting IP configuration)" for s in states)
            calm = calm + 1 if not busy and listing == previous else 0
            previous = listing
            if calm >= 2:  # three equal, calm listings
                return {"rc": 0, "stdout": listing}
            if time.monotonic() > deadline:
                return {"rc": 1, "stdout": listing,
                        "stderr": f"NetworkManager still busy after {timeout} s"}
            time.sleep(0.1)

    def log(self):
        return _read(self.log_path) if self.log_path else ""

    def stop(self):
        """Stop NetworkManager and its bus (if running); NetworkManager's log."""
        os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        for attr in ("daemon", "dbus"):
            proc = getattr(self, attr)
            if proc is None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            setattr(self, attr, None)
        return self.log()


class Overlays:
    """Overlays of host directories for one scenario, in this kernel only: their writable
    layers are under /run (a tmpfs of this kernel), so whatever is written there never
    reaches the host. The scenario's teardown unmounts them."""

    lowers = ("/etc",)

    def __init__(self, scenario):
        self.run = os.path.join(INITSCRIPTS_RUN, scenario)
        self.mounted = []

    @property
    def used(self):
        return bool(self.mounted)

    def start(self):
        for lower in self.lowers:
            upper = os.path.join(self.run, lower.strip("/"), "upper")
            work = os.path.join(self.run, lower.strip("/"), "work")
            os.makedirs(upper)
            os.makedirs(work)
            sh(["mount", "-t", "overlay", "overlay", "-o",
                f"lowerdir={lower},upperdir={upper},workdir={work}", lower])
            self.mounted.append(lower)

    def stop(self):
        # Lazily: a process started from /usr (a ping left running) keeps it busy.
        for mountpoint in reversed(self.mounted):
            sh(["umount", "-l", mountpoint], check=False)
        self.mounted = []


class Ifupdown(Overlays):
    """Debian's own ifupdown and ifenslave, as installed on the host, for one scenario
    (option ``"ifupdown": true``): /etc on an overlay, so the stanza files the state
    writes to /etc/network/interfaces.d (and the source line in /etc/network/interfaces)
    stay in this kernel; /run/network, where ifupdown records what it brought up, as a
    booted Debian has it."""

    def start(self):
        super().start()
        os.makedirs("/run/network", exist_ok=True)


class Initscripts(Overlays):
    """Red Hat's network-scripts (``tests/vendor/initscripts-10.00.19``) for one scenario.

    The host's /etc and /usr get an overlay each (:class:`Overlays`): whatever is
    written there, by this class or by the scripts (``ifup-post`` may rewrite
    /etc/resolv.conf), never reaches the host. On them: the scripts in
    /etc/sysconfig/network-scripts (where the state writes its ifcfg files, minion
    option ``bond.ifcfg_dir``; initscripts read no other directory),
    /etc/sysconfig/network (``NETWORKING=yes``), /etc/init.d/functions, and
    :data:`INITSCRIPTS_LINKS`. The scenario's teardown deletes the links they made,
    then unmounts the overlays.
    """

    lowers = ("/etc", "/usr")

    def start(self):
        super().start()
        shutil.copytree(os.path.join(INITSCRIPTS_SOURCE, "network-scripts"), NETWORK_SCRIPTS,
                        dirs_exist_ok=True)  # with their modes: the scripts executable
        with open("/etc/sysconfig/network", "w") as f:
            f.write("NETWORKING=yes\n")
        os.makedirs("/etc/init.d", exist_ok=True)
        shutil.copy(os.path.join(INITSCRIPTS_SOURCE, "etc", "rc.d", "init.d", "functions"),
                    "/etc/init.d/functions")
        for path, target in INITSCRIPTS_LINKS.items():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.lexists(path):  # a host's own (Debian's ifupdown): hidden, not changed
                os.unlink(path)
            os.symlink(target, path)


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError as exc:
        return str(exc)


def wait_sysfs(spec):
    """Poll a sysfs file under /sys/class/net until it reads as expected (``equals``),
    until it is gone (``"absent": true``: a link deleted) or until it is there
    (``"exists": true``). An absolute ``path`` is any file."""
    path = os.path.join(SYS_NET, spec["path"])
    deadline = time.monotonic() + float(spec.get("timeout", 10))
    value = None
    while time.monotonic() < deadline:
        if spec.get("absent") or spec.get("exists"):
            if os.path.lexists(path) == bool(spec.get("exists")):
                return {"rc": 0, "stdout": None}
        else:
            try:
                with open(path) as f:
                    value = f.read().strip()
            except OSError:
                value = None
            if value == spec["equals"]:
                return {"rc": 0, "stdout": value}
        time.sleep(0.05)
    wanted = ("to be gone" if spec.get("absent") else "to be there" if spec.get("exists")
              else f"to read {spec['equals']!r}")
    return {"rc": 1, "stdout": value,
            "stderr": f"timed out after {spec.get('timeout', 10)} s waiting for {path} {wanted}"}


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
        began = time.monotonic()
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
        scenario.result["seconds"] = round(time.monotonic() - began, 2)
        results["scenarios"][scenario.name] = scenario.result
        save()
    WARM_SALT.stop()
    results["warm_salt_start_seconds"] = WARM_SALT.start_seconds
    results["complete"] = True
    save()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
