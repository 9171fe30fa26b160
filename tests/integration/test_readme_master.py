"""The README's "Using it with a Salt master", run as a newcomer would type it (issue 15).

One real salt-master and two real salt-minions (``db1`` and ``web1``,
pillar.example's database and web servers: the rollout's canary and the host its
failure keeps untouched). The section's blocks run in order, as written, with one
mechanical substitution (the table in :func:`paths`, and the commands below):

- a shell block (no language): each line is a command. ``salt`` and
  ``salt-run`` are this virtualenv's scripts with ``--config-dir`` of the
  test's master; ``systemctl restart salt-master`` / ``salt-minion`` restart
  the test's daemons; anything else (``mkdir``, ``cp``, ``test``, ``sed``) runs in
  bash from the repository's top directory, as the README's prerequisites say.
  Every command must exit 0, but one whose comment says ``exit code N`` must exit N
  (a rollout stopped by design), and ``salt-run bond.report`` exits 1 here (see
  :data:`DRIFTED_HERE`);
  ``salt-run state.event`` (until Ctrl-C) must show an event fired on the
  master's bus (``salt-run event.send``) while it runs, within the deadline of
  :data:`UNTIL_INTERRUPTED`, and is stopped then;
- a YAML block whose first line is ``# <file>``: written to that file (a file in
  ``/etc/salt/minion.d``: in each minion's, with that minion's paths);
- a block right after ``<!-- readme-test: not run (why) -->``: shown only. One that
  shows "the output of" a command (:data:`SHOWN_OUTPUTS`) must be what that command
  printed.

Paths move to temporary directories: ``/srv``, ``/etc/salt/{master,minion}.d``
(the daemons' own config directories), the files each minion writes and reads.
The minions claim to be CentOS 7 (grains, as the fleet tests' minions do) and
read the real-kernel capture ``active-backup-healthy`` as their kernel; their
sandboxes have the directories a CentOS 7 host has (``network-scripts``,
``modprobe.d``). The master starts with Salt's default roots (``/srv/salt``,
``/srv/pillar``, moved) absent, as on a fresh master.
"""

import contextlib
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
MINIONS = ("db1", "web1")  # db1 first in minion-id order: the rollout's canary
SECTION = "## Using it with a Salt master"
NOT_RUN = re.compile(r"<!-- readme-test: not run \((.+)\) -->")
# Commands that run until interrupted: checked to be running after this many seconds.
UNTIL_INTERRUPTED = {("salt-run", "state.event"): 120}  # deadline: an event seen
SHELL_COMMANDS = {"mkdir", "cp", "test", "sed"}  # what the README may run outside Salt
EXIT_CODE = re.compile(r"#.*\bexit code (\d+)")
# The report exits 1 here, where it would exit 0 on a healthy fleet: the minions read one
# captured active-backup bond0 over va and vb, which bond.verify compares with the example
# pillar's bond0 (other slaves, and on db1 802.3ad): drifted.
# test_the_fleet_report_and_its_page checks that this drift is all it found.
DRIFTED_HERE = ("salt-run bond.report",)
# Shown blocks that are a command's output: the marker's reason -> that command.
SHOWN_OUTPUTS = {
    "the output of the first report above": "salt-run bond.report html=/srv/www/bonds.html",
    "the output of the first rollout above":
        "salt-run bond.rollout tgt='*' canary=1 batch=10% timeout=120",
}


def sandbox_of(tmp, minion_id):
    """The directory standing in for a minion's /etc and its files."""
    return tmp / ("minion-files" if minion_id == MINION else f"minion-files-{minion_id}")


def paths(tmp, master, minion):
    """README path -> the test's path (the longest prefix is replaced first); the
    minion's paths are ``minion``'s."""
    sandbox = sandbox_of(tmp, minion.id)
    return {
        "/srv/salt": str(tmp / "srv" / "salt"),
        "/srv/pillar": str(tmp / "srv" / "pillar"),
        "/srv/www": str(tmp / "srv" / "www"),
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
        body = "".join(line[indent:] if line.strip() else "\n"
                       for line in match["body"].splitlines(keepends=True))
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
    def __init__(self, tmp, master, minions):
        self.tmp = tmp
        self.master = master
        self.minions = minions  # id -> salt-factories minion
        self.minion = minions[MINION]
        self.paths = paths(tmp, master, self.minion)
        self.transcript = []  # (command, returncode, output)
        self.stdouts = []  # (command, its standard output alone)
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
        self.stdouts.append((line, proc.stdout))
        said = EXIT_CODE.search(line)
        expected = int(said[1]) if said else 1 if line.startswith(DRIFTED_HERE) else 0
        assert proc.returncode == expected, self.report()
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
        tables = [self.paths]
        if first[2:].strip().startswith("/etc/salt/minion.d/"):  # each minion's own
            tables = [paths(self.tmp, self.master, m) for m in self.minions.values()]
        for table in tables:
            path = Path(substitute(first[2:].strip(), table))
            text = substitute(body, table)
            assert yaml.safe_load(text), body
            assert str(path) != first[2:].strip(), f"{path}: a path paths() does not move"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            if path.parent.name == "minion.d":
                self.minion_configured = True
            self.transcript.append((f"write {path}", 0, text))

    def restart(self, daemon):
        factories = [self.master] if daemon == "salt-master" else list(self.minions.values())
        for factory in factories:
            factory.terminate()
            factory.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the minions are back in touch with the master
            proc = subprocess.run(self.salt_argv(["salt", "*", "test.ping", "--out=json",
                                                  "--static", "--timeout=10"]),
                                  capture_output=True, text=True, timeout=120)
            answered = json.loads(proc.stdout or "{}") if proc.returncode == 0 else {}
            if all(answered.get(minion) is True for minion in MINIONS):
                return
            time.sleep(1)
        pytest.fail(f"{', '.join(MINIONS)} did not all answer after restarting {daemon}")

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

    def stdout(self, command_start):
        """The standard output of every command that starts with ``command_start``."""
        start = substitute(command_start, self.paths)
        return [stdout for line, stdout in self.stdouts if line.startswith(start)]

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
    minions = {minion_id: master.salt_minion_daemon(minion_id, overrides={
        "grains": dict(RHEL7_GRAINS),
        "grains_cache": False,
        "enable_fqdns_grains": False,
        "log_level_logfile": "info",
    }) for minion_id in MINIONS}
    with master.started(), contextlib.ExitStack() as stack:
        for minion in minions.values():
            stack.enter_context(minion.started())
        # salt-factories makes the roots; a fresh master has neither.
        shutil.rmtree(tmp / "srv")
        for minion_id in MINIONS:
            for directory in ("network-scripts", "modprobe.d"):  # there on any CentOS 7 host
                (sandbox_of(tmp, minion_id) / directory).mkdir(parents=True)
        walkthrough = Walkthrough(tmp, master, minions)
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


def json_documents(text):
    """The JSON documents ``salt --out=json`` prints (one per minion), merged."""
    decoder, merged, at = json.JSONDecoder(), {}, 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        document, at = decoder.raw_decode(text, at)
        merged.update(document)
    return merged


def test_status_health_and_grain_targeting(walked):
    status = json_documents(walked.stdout("salt '*' bond.status --out=json")[0])[MINION]
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
    assert {"bonding/init.sls", "_modules/bond.py",
            "_utils/salt_bonding/observe/status.py"} <= served
    tops = {name.split("/")[0] for name in served}
    assert tops <= {"_modules", "_states", "_beacons", "_grains", "_runners", "_output", "_utils",
                    "bonding"}, tops
    assert not any(name.startswith(("tests/", ".git", "README")) for name in served)


def test_the_reactor_is_mapped_after_the_restart(walked):
    proc = subprocess.run(walked.salt_argv(["salt-run", "config.get", "reactor", "--out=json"]),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc
    reactor = yaml.safe_load(proc.stdout)
    assert {"salt/beacon/*/bond/*/failover": ["salt://bonding/reactor/bond_health.sls"]} in \
        reactor, reactor


def test_the_runner_was_served_to_the_master(walked):
    output = walked.output("salt-run saltutil.sync_all")[0]
    assert "runners.bond" in output and "output.bond" in output, output


def test_the_fleet_report_and_its_page(walked):
    table = walked.output("salt-run bond.report html=/srv/www/bonds.html")[0]
    assert table.splitlines()[0] == "2 minions: 2 drifted", table
    report = json.loads(walked.stdout("salt-run bond.report tgt='*' tgt_type=glob --out=json")[0])
    assert [(row["minion"], row["status"]) for row in report["minions"]] == [
        ("db1", "drifted"), ("web1", "drifted")], report
    for row in report["minions"]:
        # The only difference: the captured kernel is not the example pillar's bond0 (see
        # DRIFTED_HERE); the files are as the state wrote them.
        (bond0,) = row["bonds"]
        assert (bond0["health"], row["problems"]) == ("ok", []), row
        assert bond0["drift"] and all(line.startswith("bond0") and "ifcfg" not in line
                                      for line in bond0["drift"]), row
        assert any(line.startswith("bond0 slaves va,vb, desired ") for line in bond0["drift"])
        assert bond0["slaves"] == [{"name": "va", "mii_status": "up"},
                                   {"name": "vb", "mii_status": "up"}]
    page = walked.tmp / "srv" / "www" / "bonds.html"
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    assert html.index('data-minion="db1"') < html.index('data-minion="web1"')


def test_the_failed_canary_stopped_the_rollout_and_the_fix_rolled_it_out(walked):
    preview = walked.output("salt-run bond.rollout tgt='*' test=True")[0]
    assert "2 minions, 1 would change, 1 would fail" in preview, preview
    stopped, done = walked.output("salt-run bond.rollout tgt='*' canary=1 batch=10% "
                                  "timeout=120")
    assert "stopped at wave 1 of 2: 1 failed, 1 never started" in stopped, stopped
    assert re.search(r"^wave 2 +never started +web1$", stopped, re.M), stopped
    assert done.splitlines()[0] == "bond.rollout '*' (glob): applied to 2 minions in 2 waves"
    for minion_id in MINIONS:
        ifcfg = (sandbox_of(walked.tmp, minion_id) / "network-scripts" / "ifcfg-bond0")
        assert "miimon=200" in ifcfg.read_text(), minion_id


def test_the_outputs_the_readme_shows_are_what_the_commands_printed(walked):
    shown = {why: body for kind, body, why in section_blocks() if kind == "shown"}
    assert set(SHOWN_OUTPUTS) <= set(shown), sorted(shown)
    for why, command in SHOWN_OUTPUTS.items():
        printed = walked.stdout(command)[0]
        assert printed.strip() == substitute(shown[why], walked.paths).strip(), (
            f"README block '{why}' is not what {command} printed:\n{printed}")
