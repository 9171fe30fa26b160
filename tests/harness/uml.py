"""Run scenarios against the real Linux bonding driver in a user-mode-linux kernel.

The host kernel has no bonding driver; Debian's ``user-mode-linux`` package
has one. One call to :meth:`Uml.run` boots that kernel once (about 5 s) with
the host's root filesystem as its root, builds each scenario in turn (bonds
over veth pairs or dummies, VLANs, a bridged neighbour in a namespace), runs
its steps (``ip`` commands, waits, ``salt-call --local`` with this project's
modules, file reads, captures of /proc and sysfs), tears it down, and brings
the results back as :class:`ScenarioResult` objects.

A scenario is data::

    {
        "name": "ab-failover",
        "bonds": [{
            "name": "bond0", "mode": "active-backup",
            "options": {"miimon": 100, "primary": "va"},   # sysfs names/values
            "slaves": [{"name": "va", "peer": "pa"},         # a veth pair
                       {"name": "vb", "peer": "pb"}],
            # {"name": "d0", "kind": "dummy"}                 # no peer at all
            # {"name": "pa"}                                  # an existing link
        }],
        "vlans": [{"name": "bond0.100", "link": "bond0", "id": 100}],
        "neighbour": {"peers": ["pa", "pb"], "addresses": ["192.0.2.1/24"]},
        "addresses": [{"dev": "bond0", "address": "192.0.2.10/24"}],
        "steps": [
            {"wait": {"path": "bond0/bonding/active_slave", "equals": "va"}},
            {"ip": ["link", "set", "pa", "down"]},   # `ns` runs ip in the neighbour
            {"wait": {"path": "va/bonding_slave/mii_status", "equals": "down"}},
            {"id": "status", "salt": ["bond.status"]},  # as salt-call --out=json (warm_salt.py)
            {"id": "status-nobody", "salt": ["bond.status"], "user": 65534},
            {"pillar": {"bonding": {...}}},           # the minion's pillar from now on
            {"id": "proc", "read": "/proc/net/bonding/bond0"},
            {"id": "cap", "capture": "ab-failover"},  # /proc + sysfs -> capture dir
            {"id": "ping", "run": ["ping", "-c1", "-W1", "192.0.2.1"]},
        ],
    }

There is no "sleep" step: a step that needs the kernel, NetworkManager or Salt in
some state waits for that state (``wait`` on a sysfs file, or until it is
``absent``; ``{"nm": "settle"}``), with a deadline, and says what it waited for.
``salt`` steps go to one warm Salt caller per boot and user (``warm_salt.py``:
Salt's start-up paid once, each call a fork running what salt-call runs);
``"process": true`` runs a real ``salt-call`` process instead.

More of the same: ``"veths": [["va", "pa"]]`` makes bare veth pairs (for bonds
that something else builds); ``"neighbours": [...]`` takes several neighbours,
each in its own ``netns``, with ``"vlans": [{"id": 100, "addresses": [...]}]``
on it, or with ``"bond": {"mode": "802.3ad", "options": {...}}`` to enslave the
far ends to a bond there (an LACP partner) instead of a bridge. ``nm`` and
``nmcli`` steps run the real NetworkManager inside the kernel (see
``agent.NetworkManager``; :func:`networkmanager_unavailable_reason`).
``"initscripts": true`` puts Red Hat's real network-scripts (vendored under
``tests/vendor``) where RHEL has them, on overlays of /etc and /usr in that
kernel only (``agent.Initscripts``; :func:`initscripts_unavailable_reason`).

Why the odd launch: see ``noxstate.py`` (hosts with AMX) and the
GLIBC_TUNABLES below.
"""

import fcntl
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from tests.harness.saltcall import minion_config

REPO = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).resolve().parent
UML_BINARY = Path("/usr/bin/linux.uml")
# One kernel per slot at a time. scripts/test gives the kernel tier's second part
# slot 1 (SALT_BONDING_UML_SLOT) once the tiers beside it have ended; anything else,
# a developer's pytest included, queues on slot 0.
UML_SLOT = int(os.environ.get("SALT_BONDING_UML_SLOT", "0"))
BOOT_LOCK = Path(tempfile.gettempdir()) / (
    "salt-bonding-uml.lock" if UML_SLOT == 0 else f"salt-bonding-uml-{UML_SLOT}.lock")
UML_MODULES = Path("/usr/lib/uml/modules")
NEEDED_COMMANDS = ("ip", "modprobe", "setpriv", "ping")
# For ``nm`` steps: the daemon, its client, a D-Bus daemon for its bus, and the
# mount namespace it runs in (over these directories it gets tmpfs mounts).
NM_COMMANDS = ("NetworkManager", "nmcli", "nm-online", "dbus-daemon", "unshare")
NM_DIRECTORIES = ("/var/lib/NetworkManager", "/etc/NetworkManager")
# For "initscripts": the commands the scripts need beyond the above (Debian packages
# ipcalc-ng, iputils-arping); overlay (a module) for /etc and /usr.
INITSCRIPTS_COMMANDS = ("ipcalc-ng", "arping", "hostname", "mount")
KERNEL_MODULES = ("veth", "dummy", "8021q", "bridge", "overlay")
NOBODY = 65534

# UML's fallback FPU save (see noxstate.py) keeps only the SSE registers, so
# programs inside must not rely on AVX registers surviving a context switch.
GLIBC_TUNABLES = (
    "glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,"
    "-AVX_Fast_Unaligned_Load,-AVX512VBMI,-AVX512VBMI2,-FMA,-EVEX"
)


class UmlError(RuntimeError):
    """The kernel could not be booted or the agent did not finish."""


def unavailable_reason():
    """Why the real-kernel harness cannot run here, or None when it can."""
    if not UML_BINARY.exists():
        return f"{UML_BINARY} missing (Debian package user-mode-linux)"
    if not UML_MODULES.is_dir() or not any(UML_MODULES.iterdir()):
        return f"no kernel modules under {UML_MODULES}"
    for command in NEEDED_COMMANDS:
        if shutil.which(command) is None:
            return f"command {command!r} missing (Debian packages kmod, iproute2, iputils-ping)"
    if os.geteuid() != 0:
        return "the harness runs as root (it shares the host filesystem read-write)"
    return None


def _missing_command(commands, packages):
    """Why one of ``commands`` cannot be found (also in the sbin directories), or None."""
    for command in commands:
        if shutil.which(command, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            return f"command {command!r} missing (Debian packages {packages})"
    return None


def networkmanager_unavailable_reason():
    """Why ``nm`` steps cannot run here (or the kernel itself cannot), or None."""
    reason = unavailable_reason() or _missing_command(
        NM_COMMANDS, "network-manager, dbus-daemon, util-linux")
    if reason:
        return reason
    for directory in NM_DIRECTORIES:
        if not os.path.isdir(directory):
            return f"{directory} missing (Debian package network-manager)"
    return None


def initscripts_unavailable_reason():
    """Why ``"initscripts"`` scenarios cannot run here (or the kernel cannot), or None."""
    reason = unavailable_reason() or _missing_command(
        INITSCRIPTS_COMMANDS, "ipcalc-ng, iputils-arping")
    if reason:
        return reason
    if not any(UML_MODULES.glob("*/kernel/fs/overlayfs/overlay.ko*")):
        return f"no overlay module under {UML_MODULES}"
    return None


def link_failures(proc_text):
    """``{slave: "Link Failure Count"}`` from a /proc/net/bonding/<bond> text."""
    return dict(re.findall(r"Slave Interface: (\S+)\n(?:.*\n)*?Link Failure Count: (\d+)",
                           proc_text))


def host_has_amx():
    try:
        with open("/proc/cpuinfo") as f:
            return " amx_tile" in f.read()
    except OSError:
        return False


class ScenarioResult:
    """What one scenario produced: step outputs by id, and its capture dir."""

    def __init__(self, name, data, capture_root):
        self.name = name
        self.data = data
        self.capture_root = capture_root

    @property
    def error(self):
        return self.data.get("error")

    def step(self, step_id):
        if self.error:
            raise UmlError(f"scenario {self.name} failed inside the kernel:\n{self.error}")
        try:
            return self.data["steps"][step_id]
        except KeyError:
            raise UmlError(f"scenario {self.name} has no step {step_id!r}") from None

    def stdout(self, step_id):
        return self.step(step_id).get("stdout", "")

    def salt(self, step_id):
        """The return of a ``salt`` step (salt-call --out=json), and its exit code."""
        step = self.step(step_id)
        try:
            parsed = json.loads(step["stdout"])
        except (KeyError, ValueError):
            raise UmlError(
                f"scenario {self.name} step {step_id}: salt-call printed no JSON "
                f"(rc {step.get('rc')}):\n{step.get('stdout')}\n{step.get('stderr')}"
            ) from None
        return parsed["local"], step["rc"]

    def stdout_ok(self, step_id):
        """The stdout of a step that must have exited 0 (AssertionError with its output)."""
        step = self.step(step_id)
        if step.get("rc") != 0:
            raise AssertionError(f"{self.name} step {step_id} exited {step.get('rc')}:\n"
                                 f"{step.get('stdout')}\n{step.get('stderr')}")
        return step.get("stdout", "")

    def state(self, step_id, rc=0):
        """The return of the one state a ``salt`` step applied (``state.high``), its
        salt-call exit code asserted to be ``rc``."""
        states, retcode = self.salt(step_id)
        assert retcode == rc, (step_id, states)
        (only,) = states.values()
        return only

    def salt_ok(self, step_id):
        """The return of a ``salt`` step that must have exited 0."""
        value, rc = self.salt(step_id)
        if rc != 0:
            raise AssertionError(f"{self.name} step {step_id}: salt-call exited {rc}: {value}")
        return value

    def capture(self, name):
        return Path(self.capture_root) / name


class UmlRun:
    def __init__(self, results, capture_root, workdir):
        self.raw = results
        self.capture_root = capture_root
        self.workdir = workdir

    def __getitem__(self, name):
        try:
            data = self.raw["scenarios"][name]
        except KeyError:
            raise UmlError(f"scenario {name!r} did not run; see {self.workdir}") from None
        return ScenarioResult(name, data, self.capture_root)


class Uml:
    """Boots the UML kernel for a batch of scenarios.

    ``workdir`` holds the job, results, logs, Salt sandboxes and captures.
    ``minion_opts`` are merged into the Salt minion config used by ``salt`` steps;
    ``pillar`` (a mapping) is served as that minion's pillar.
    """

    def __init__(self, workdir, python=None, mem="768M", timeout=900):
        self.workdir = Path(workdir)
        self.python = Path(python or sys.executable)
        self.mem = mem
        self.timeout = timeout

    def run(self, scenarios, *, minion_opts=None, pillar=None, capture_root=None):
        reason = unavailable_reason()
        if reason:
            raise UmlError(reason)
        work = self.workdir / f"boot-{int(time.time() * 1000)}"
        work.mkdir(parents=True)
        capture_root = Path(capture_root or work / "captures")
        capture_root.mkdir(parents=True, exist_ok=True)
        (work / "home").mkdir()
        job = {
            "scenarios": scenarios,
            "capture_root": str(capture_root),
            "salt_call": str(self.python.parent / "salt-call"),
            "salt_config": self._salt_configs(work, minion_opts or {}, pillar or {}),
            "pillar_file": str(work / "pillar" / "uml.sls"),  # "pillar" steps rewrite it
            "home": str(work / "home"),
        }
        (work / "job.json").write_text(json.dumps(job, indent=1))
        results_path = work / "results.json"
        self._boot(work, results_path, [capture_root])
        try:
            results = json.loads(results_path.read_text())
        except (OSError, ValueError):
            raise UmlError(self._diagnose(work, "the agent wrote no results")) from None
        if not results.get("complete"):
            raise UmlError(self._diagnose(work, "the agent did not finish"))
        return UmlRun(results, capture_root, work)

    # -- pieces ---------------------------------------------------------------
    def _salt_configs(self, work, minion_opts, pillar):
        """One salt-call config dir for root, one for nobody (non-root reads)."""
        pillar_dir = work / "pillar"
        pillar_dir.mkdir()
        (pillar_dir / "top.sls").write_text("base:\n  '*':\n    - uml\n")
        (pillar_dir / "uml.sls").write_text(json.dumps(pillar))
        configs = {}
        for user in ("root", str(NOBODY)):
            base = work / f"salt-{user}"
            conf = minion_config(base, "uml", **{
                "user": "root" if user == "root" else pwd.getpwuid(NOBODY).pw_name,
                # hostfs lets only root create files: nobody's Salt state lives in tmpfs.
                "root_dir": str(base / "root") if user == "root" else "/dev/shm/salt-nobody",
                "pillar_roots": {"base": [str(pillar_dir)]},
                "log_level_logfile": "warning",
                **minion_opts,
            })
            (base / "conf").mkdir(parents=True)
            (base / "network-scripts").mkdir()
            (base / "modprobe.d").mkdir()
            (base / "conf" / "minion").write_text(json.dumps(conf, indent=1))
            if user != "root":
                for path in [base, *base.rglob("*")]:
                    os.chown(path, NOBODY, NOBODY)
            configs[user] = str(base / "conf")
        # nobody must reach its config through the work dir.
        for path in (work, work / "home", pillar_dir):
            path.chmod(0o755)
        return configs

    def _unhide_lines(self, work, extra_paths):
        """Shell lines that let ``nobody`` reach the paths the agent needs.

        Python may live under a private directory (pyenv under /root, mode
        0700). Inside UML only, such a directory is covered by a world-readable
        tmpfs with the one needed child bind-mounted back; the host's
        permissions are never changed.
        """
        # Anything the agent writes outside ``work`` (captures) must be reachable
        # too, or it would land in the covering tmpfs and vanish at halt.
        needed = [Path(sys.base_prefix), self.python.parent, REPO, work, *extra_paths]
        lines = []
        covered = set()
        for path in needed:
            path = path.resolve()
            for depth in range(1, len(path.parts) - 1):
                ancestor = Path(*path.parts[:depth + 1])
                if ancestor.stat().st_mode & 0o001:
                    continue
                child = Path(*path.parts[:depth + 2])
                if ancestor not in covered:
                    lines.append(f"mount -t tmpfs -o mode=755 tmpfs '{ancestor}'")
                    covered.add(ancestor)
                if child not in covered:
                    lines.append(f"mkdir -p '{child}' && mount --bind '/run/orig{child}' '{child}'")
                    covered.add(child)
                break
        if lines:
            lines.insert(0, "mkdir -p /run/orig && mount --bind / /run/orig")
        return "\n".join(lines)

    def _init_script(self, work, results_path, extra_paths):
        version = sorted(p.name for p in UML_MODULES.iterdir())[-1]
        modroot = work / "modroot"
        (modroot / "lib" / "modules").mkdir(parents=True)
        (modroot / "lib" / "modules" / version).symlink_to(UML_MODULES / version)
        script = work / "init.sh"
        extra = " ".join(KERNEL_MODULES)
        script.write_text(textwrap.dedent(f"""\
            #!/bin/bash
            export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
            export GLIBC_TUNABLES='{GLIBC_TUNABLES}'
            exec >'{work}/init.log' 2>&1
            mount -t proc proc /proc
            mount -t sysfs sysfs /sys
            mount -t tmpfs tmpfs /run
            mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
            {{unhide}}
            ip link set lo up
            modprobe -d '{modroot}' bonding max_bonds=0 || echo 'modprobe bonding failed'
            for m in {extra}; do modprobe -d '{modroot}' $m || echo "modprobe $m failed"; done
            '{self.python}' '{HARNESS / "agent.py"}' '{work / "job.json"}' '{results_path}'
            echo "agent exited $?"
            sync
            halt -f -d  # -d: no shutdown record in the host's /var/log/wtmp
            """).replace("{unhide}", self._unhide_lines(work, extra_paths)))
        script.chmod(0o755)
        return script

    def _boot(self, work, results_path, extra_paths):
        # One boot per slot (two cores: a kernel per core at most, or kernels starve
        # each other's timers, and the tests measure link monitors), whoever started it.
        with open(BOOT_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._boot_locked(work, results_path, extra_paths)

    def _boot_locked(self, work, results_path, extra_paths):
        script = self._init_script(work, results_path, extra_paths)
        argv = [
            str(UML_BINARY), f"mem={self.mem}", "rootfstype=hostfs", "rw",
            f"init={script}", "con=null", "con0=fd:0,fd:1",
            f"GLIBC_TUNABLES={GLIBC_TUNABLES}",
        ]
        if host_has_amx():
            argv = [sys.executable, str(HARNESS / "noxstate.py")] + argv
        env = dict(os.environ, TMPDIR=str(work))  # UML's memory file
        with open(work / "console.log", "wb") as console:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=console,
                                    stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)
            try:
                proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise UmlError(self._diagnose(work, f"timed out after {self.timeout} s")) from None
            finally:
                if proc.stdin:
                    proc.stdin.close()
        # UML leaves helper processes in its session when it halts.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    @staticmethod
    def _diagnose(work, what):
        parts = [f"user-mode-linux run in {work}: {what}"]
        for name in ("init.log", "console.log"):
            path = work / name
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()
                lines = [ln for ln in lines if not ln.lstrip().startswith("[<")]
                parts.append(f"--- {name} (last 30 lines) ---\n" + "\n".join(lines[-30:]))
        return "\n".join(parts)
