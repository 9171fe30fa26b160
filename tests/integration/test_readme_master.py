"""The README's "Using it with a Salt master", run as a newcomer would type it (issue 15).

One real salt-master and one real salt-minion (``web1``, pillar.example's web
server). The section's blocks run in order, as written, with one mechanical
substitution (the table in :func:`paths`, and the commands below):

- a shell block (no language): each line is a command. ``salt`` and
  ``salt-run`` are this virtualenv's scripts with ``--config-dir`` of the
  test's master; ``systemctl restart salt-master`` / ``salt-minion`` restart
  the test's daemon; anything else (``mkdir``, ``cp``, ``test``) runs in bash
  from the repository's top directory, as the README's prerequisites say;
  ``salt-run state.event`` (until Ctrl-C) must show an event fired on the
  master's bus (``salt-run event.send``) while it runs, within the deadline of
  :data:`UNTIL_INTERRUPTED`, and is stopped then;
- a YAML block whose first line is ``# <file>``: written to that file;
- a block right after ``<!-- readme-test: not run (why) -->``: shown only.

Paths move to temporary directories: ``/srv``, ``/etc/salt/{master,minion}.d``
(the daemons' own config directories), the files the minion writes and reads.
The minion claims to be CentOS 7 (grains, as the fleet tests' minions do) and
reads the real-kernel capture ``active-backup-healthy`` as its kernel; its
sandbox has the directories a CentOS 7 host has (``network-scripts``,
``modprobe.d``). The master starts with Salt's default roots (``/srv/salt``,
``/srv/pillar``, moved) absent, as on a fresh master.
"""

import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.harness.saltcall import RHEL7_GRAINS

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CAPTURE = REPO / "tests" / "captures" / "active-backup-healthy"
MINION = "web1"
SECTION = "## Using it with a Salt master"
NOT_RUN = re.compile(r"<!-- readme-test: not run \((.+)\) -->")
# Commands that run until interrupted: checked to be running after this many seconds.
UNTIL_INTERRUPTED = {("salt-run", "state.event"): 120}  # deadline: an event seen
SHELL_COMMANDS = {"mkdir", "cp", "test"}  # what the README may run outside Salt


def paths(tmp, master, minion):
    """README path -> the test's path (the longest prefix is replaced first)."""
    sandbox = tmp / "minion-files"
    return {
        "/srv/salt": str(tmp / "srv" / "salt"),
        "/srv/pillar": str(tmp / "srv" / "pillar"),
        "/etc/salt/master.d": str(Path(master.config_dir) / "master.d"),
        "/etc/salt/minion.d": str(Path(minion.config_dir) / "minion.d"),
        "/etc/sysconfig/network-scripts": str(sandbox / "network-scripts"),
        "/etc/NetworkManager/system-connections": str(sandbox / "system-connections"),
        "/etc/modprobe.d/bonding.conf": str(sandbox / "modprobe.d" / "bonding.conf"),
        "/proc/net/bonding": str(CAPTURE / "proc" / "net" / "bonding"),
        "/sys/class/net": str(CAPTURE / "sys" / "class" / "net"),
    }


def substitute(text, table):
    for readme_path in sorted(table, key=len, reverse=True):
        text = re.sub(rf"{re.escape(readme_path)}(?=[/\s'\":]|$)", table[readme_path], text,
                      flags=re.M)
    return text


# -- the README ------------------------------------------------------------------
BLOCK = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)\n(?P<body>.*?)^(?P=indent)```$",
                   re.S | re.M)


def section_blocks(text=None):
    """``[(kind, body, why)]`` of the section's blocks in order: kind ``shell``, ``file``
    (body starts with ``# <file>``) or ``shown`` (``why``: the marker's reason)."""
    text = (REPO / "README.md").read_text() if text is None else text
    start = text.index(SECTION + "\n")
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:] if end < 0 else text[start:end]
    blocks = []
    for match in BLOCK.finditer(section):
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        before = section[:match.start()].rstrip().splitlines()[-1].strip()
        marker = NOT_RUN.fullmatch(before)
        if marker:
            blocks.append(("shown", body, marker[1]))
        elif match["lang"] in ("", "sh"):
            blocks.append(("shell", body, None))
        elif match["lang"] == "yaml" and re.match(r"# /\S+\n", body):
            blocks.append(("file", body, None))
        else:
            raise AssertionError(f"README block neither run nor marked not run:\n{body}")
    return blocks


def test_the_section_is_what_the_walkthrough_runs():
    blocks = section_blocks()
    kinds = [kind for kind, _, _ in blocks]
    assert kinds.count("shell") >= 8 and kinds.count("file") >= 2, kinds
    assert all(why for kind, _, why in blocks if kind == "shown")
    commands = [line for kind, body, _ in blocks if kind == "shell"
                for line in body.splitlines() if line.strip()]
    # A fresh master has no /srv/salt or /srv/pillar: each is made before it is copied into.
    assert commands.index("mkdir -p /srv/salt") < min(
        i for i, c in enumerate(commands) if c.startswith("cp ") and "/srv/salt" in c)
    assert commands.index("mkdir -p /srv/pillar") < min(
        i for i, c in enumerate(commands) if c.startswith("cp ") and "/srv/pillar" in c)
    # A top.sls of the user's own is never overwritten.
    for command in commands:
        if "top.sls" in command and command.startswith("cp "):
            pytest.fail(f"{command!r} overwrites an existing top.sls")


# -- the daemons -----------------------------------------------------------------
class Walkthrough:
    def __init__(self, tmp, master, minion):
        self.tmp = tmp
        self.master = master
        self.minion = minion
        self.paths = paths(tmp, master, minion)
        self.transcript = []  # (command, returncode, output)
        self.minion_configured = False

    def salt_argv(self, argv):
        return [str(BIN / argv[0]), f"--config-dir={self.master.config_dir}", *argv[1:]]

    def run_line(self, line):
        line = substitute(line, self.paths)
        argv = shlex.split(line, comments=True)
        if not argv:
            return
        if argv[:2] == ["systemctl", "restart"]:
            self.restart(argv[2])
            self.transcript.append((line, 0, "restarted"))
            return
        if argv[0] in ("salt", "salt-run"):
            touches_bonds = any(word.startswith(("bond.", "state.apply")) for word in argv)
            assert self.minion_configured or not touches_bonds, (
                f"{line!r} runs before the minion options point it at the sandbox")
            wait = UNTIL_INTERRUPTED.get(tuple(argv[:2]))
            if wait:
                self.run_until_interrupted(line, self.salt_argv(argv), wait)
                return
            proc = subprocess.run(self.salt_argv(argv), capture_output=True, text=True,
                                  timeout=300, cwd=REPO)
        else:
            assert argv[0] in SHELL_COMMANDS, f"unexpected command in the README: {line!r}"
            proc = subprocess.run(["bash", "-c", line], capture_output=True, text=True,
                                  timeout=60, cwd=REPO)
        output = proc.stdout + proc.stderr
        self.transcript.append((line, proc.returncode, output))
        assert proc.returncode == 0, self.report()
        assert "Traceback" not in output and "No minions matched" not in output, self.report()

    def run_until_interrupted(self, line, argv, timeout):
        """A command that runs until interrupted (``salt-run state.event``): it must show
        an event fired on the master's bus after it started, then it is stopped."""
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, cwd=REPO, start_new_session=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        marker = "readme-test/state-event-seen"
        deadline = time.monotonic() + timeout
        try:
            while not any(marker in text for text in lines) and time.monotonic() < deadline \
                    and proc.poll() is None:
                subprocess.run(self.salt_argv(["salt-run", "event.send", marker]),
                               capture_output=True, timeout=120)
            seen, running = any(marker in text for text in lines), proc.poll() is None
        finally:
            proc.kill()
            proc.wait()
            reader.join(timeout=30)
        self.transcript.append((line, "running" if running else proc.returncode,
                                "".join(lines)))
        assert running and seen, self.report()

    def write_file(self, body):
        first, _, rest = body.partition("\n")
        path = Path(substitute(first[2:].strip(), self.paths))
        text = substitute(body, self.paths)
        assert yaml.safe_load(text), body
        assert str(path) != first[2:].strip(), f"{path}: a path paths() does not move"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if path.parent.name == "minion.d":
            self.minion_configured = True
        self.transcript.append((f"write {path}", 0, text))

    def restart(self, daemon):
        factory = {"salt-master": self.master, "salt-minion": self.minion}[daemon]
        factory.terminate()
        factory.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the minion is back in touch with the master
            proc = subprocess.run(self.salt_argv(["salt", MINION, "test.ping", "--out=json",
                                                  "--timeout=10"]),
                                  capture_output=True, text=True, timeout=120)
            if proc.returncode == 0 and "true" in proc.stdout:
                return
            time.sleep(1)
        pytest.fail(f"{MINION} did not answer after restarting {daemon}")

    def run(self, blocks):
        for kind, body, _ in blocks:
            if kind == "shell":
                for line in body.splitlines():
                    self.run_line(line)
            elif kind == "file":
                self.write_file(body)

    def output(self, command_start):
        """The outputs of every command that starts with ``command_start`` (README form)."""
        start = substitute(command_start, self.paths)
        return [output for line, _, output in self.transcript if line.startswith(start)]

    def report(self):
        return "\n".join(f"$ {line}  [{rc}]\n{output[-3000:]}" for line, rc, output in
                         self.transcript)


@pytest.fixture(scope="module")
def walked(salt_factories, tmp_path_factory):
    """The section run once against a fresh master and minion; the :class:`Walkthrough`."""
    tmp = tmp_path_factory.mktemp("readme")
    master = salt_factories.salt_master_daemon("readme-master", overrides={
        # Salt's defaults (/srv/salt, /srv/pillar), moved by PATHS.
        "file_roots": {"base": [str(tmp / "srv" / "salt")]},
        "pillar_roots": {"base": [str(tmp / "srv" / "pillar")]},
        "log_level_logfile": "info",
    })
    minion = master.salt_minion_daemon(MINION, overrides={
        "grains": dict(RHEL7_GRAINS),
        "grains_cache": False,
        "enable_fqdns_grains": False,
        "log_level_logfile": "info",
    })
    with master.started(), minion.started():
        # salt-factories makes the roots; a fresh master has neither.
        shutil.rmtree(tmp / "srv")
        for directory in ("network-scripts", "modprobe.d"):  # there on any CentOS 7 host
            (tmp / "minion-files" / directory).mkdir(parents=True)
        walkthrough = Walkthrough(tmp, master, minion)
        walkthrough.run(section_blocks())
        yield walkthrough


def test_every_command_runs_on_a_fresh_master(walked):
    assert len(walked.transcript) >= 20, walked.report()


def test_the_minion_wrote_its_files_where_its_options_say(walked):
    sandbox = walked.tmp / "minion-files"
    written = sorted(path.name for path in (sandbox / "network-scripts").iterdir())
    assert written == ["ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1"], walked.report()
    assert "alias netdev-bond0 bonding" in (sandbox / "modprobe.d" / "bonding.conf").read_text()
    assert not (sandbox / "system-connections").exists()  # CentOS 7: ifcfg files


def test_test_true_showed_a_diff_and_the_second_apply_changed_nothing(walked):
    dry, first, second = walked.output("salt '*' state.apply bonding")[:3]
    assert "+DEVICE=bond0" in dry and "Result: None" in dry, dry
    assert "changed=1" in first, first
    assert "changed=" not in second and "Succeeded: 1" in second, second


def test_the_pillar_came_from_the_example_and_the_docs_are_there(walked):
    pillar = walked.output("salt '*' pillar.get bonding unmask=True")[0]
    assert "bond0" in pillar and "192.0.2.10" in pillar, pillar
    state_doc = walked.output("salt '*' sys.state_doc bond")[0]
    assert "bond.reconciled" in state_doc and "bond.managed" in state_doc, state_doc
    assert "bond.health" in walked.output("salt '*' sys.doc bond")[0]


def test_status_health_and_grain_targeting(walked):
    status = json.loads(walked.output("salt '*' bond.status --out=json")[0])[MINION]
    assert (status["bond0"]["mode"], status["bond0"]["active_slave"]) == ("active-backup", "va")
    health = walked.output("salt '*' bond.health")[0]
    assert re.search(r"^    status:\n        ok$", health, re.M), health
    assert MINION in walked.output("salt -G 'bonds:bond0:mode:active-backup' test.ping")[0]


def test_the_top_file_lines_shown_are_the_examples(walked):
    shown = [yaml.safe_load(body) for kind, body, _ in section_blocks()
             if kind == "shown" and body.startswith("base:")]
    example = yaml.safe_load((REPO / "pillar.example" / "top.sls").read_text())
    assert shown and all(block["base"].items() <= example["base"].items() for block in shown)


def test_the_master_serves_the_formula_and_nothing_else_of_the_clone(walked):
    proc = subprocess.run(walked.salt_argv(["salt-run", "fileserver.file_list", "--out=json"]),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc
    served = set(yaml.safe_load(proc.stdout))
    assert {"bonding/init.sls", "_modules/bond.py", "_utils/salt_bonding/status.py"} <= served
    tops = {name.split("/")[0] for name in served}
    assert tops <= {"_modules", "_states", "_beacons", "_grains", "_utils", "bonding"}, tops
    assert not any(name.startswith(("tests/", ".git", "README")) for name in served)


def test_the_reactor_is_mapped_after_the_restart(walked):
    proc = subprocess.run(walked.salt_argv(["salt-run", "config.get", "reactor", "--out=json"]),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc
    reactor = yaml.safe_load(proc.stdout)
    assert {"salt/beacon/*/bond/*/failover": ["salt://bonding/reactor/bond_health.sls"]} in \
        reactor, reactor
