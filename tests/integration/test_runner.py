"""``salt-run bond.report`` and ``salt-run bond.rollout`` on a real master with five real
minions (issue 24).

One salt-master (pytest-salt-factories) serving the formula's directories, ``_runners``
and ``_output`` among them, and five salt-minions, each with its own sandbox for the
files the state writes and its own kernel tree read as ``/proc/net/bonding`` and sysfs:

- ``app1``: a real capture of an active-backup bond whose active slave's peer went
  down (degraded), and a pillar that gives that bond;
- ``db1``: a real capture of two 802.3ad bonds with their LACP partner (healthy), and
  a pillar that gives both, without their ``lacp_rate fast``. ``bond.verify``
  compares the pillar with that tree, so db1 is ``drifted``;
- ``evil``: a broken or compromised host: its one bond is called
  :data:`HOSTILE` (markup, an attribute that would run a script, a terminal
  escape), healthy, in no pillar (``bonds: {}``): drifted;
- ``mail1`` and ``web1``: no bonds, ``bonds: {}``: ok. mail1 is stopped for the last
  tests (``no answer``).

The runner is served to the master as users serve it (``salt-run saltutil.sync_all``
from the file root), and run as users run it: the ``salt-run`` command, its exit code,
its JSON (``--out=json``) and its default output (the table). The report's HTML page
is opened in a real headless Chromium. Tests share the daemons and run in file order;
the rollout tests edit pillars and put them back.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.harness import browser
from tests.harness.saltcall import RHEL7_GRAINS
from tests.harness.saltdaemons import formula_root

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CAPTURES = REPO / "tests" / "captures"
# A bond name no driver would make but a broken or hostile minion can return (a file of
# that name in its procfs directory): markup, a handler that would run a script, an
# ANSI escape that would turn the operator's terminal red.
HOSTILE = "<img src=x onerror=document.title='pwned'>\x1b[31m"
MINIONS = ("app1", "db1", "evil", "mail1", "web1")
DEGRADED = {"status": "degraded", "problems": ["slave va is down (link failures: 1)"]}
STATE_ID = "bond_|-bonding_|-bonding_|-reconciled"

PILLARS = {
    "app1": {"bond0": {"mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100,
                       "ipaddr": "192.0.2.31", "prefix": 24}},
    "db1": {"bond1": {"mode": "802.3ad", "slaves": ["va", "vb"], "miimon": 100},
            "bond2": {"mode": "802.3ad", "slaves": ["pa", "pb"], "miimon": 100}},
    "evil": {},
    "mail1": {},
    "web1": {},
}
# A pillar change that writes files where it is applied: to tell a minion that was never
# started from one that was.
NEW_BOND = {"bond7": {"mode": "active-backup", "slaves": ["eth7", "eth8"], "miimon": 100}}


def kernel_trees(root):
    """Each minion's kernel: (procfs, sysfs) directories."""
    trees = {}
    for minion, capture in (("app1", "active-backup-failed-over"),
                            ("db1", "802.3ad-lacp-partner")):
        trees[minion] = (CAPTURES / capture / "proc/net/bonding",
                         CAPTURES / capture / "sys/class/net")
    evil = root / "evil-kernel"
    shutil.copytree(CAPTURES / "active-backup-healthy", evil, symlinks=True)
    (evil / "proc/net/bonding/bond0").rename(evil / "proc/net/bonding" / HOSTILE)
    trees["evil"] = (evil / "proc/net/bonding", evil / "sys/class/net")
    for minion in ("mail1", "web1"):
        empty = root / f"{minion}-kernel"
        (empty / "proc/net/bonding").mkdir(parents=True)
        (empty / "sys/class/net").mkdir(parents=True)
        trees[minion] = (empty / "proc/net/bonding", empty / "sys/class/net")
    return trees


class Fleet:
    def __init__(self, master, daemons, pillar_root, sandboxes, tmp):
        self.master = master
        self.daemons = daemons
        self.pillar_root = pillar_root
        self.sandboxes = sandboxes
        self.tmp = tmp

    def write_pillar(self, minion, bonds):
        (self.pillar_root / f"{minion}.sls").write_text(
            yaml.safe_dump({"bonding": {"bonds": bonds}}))

    def argv(self, command, *args):
        return [str(BIN / command), f"--config-dir={self.master.config_dir}",
                "--log-level=quiet", *args]

    def run(self, *args, out="json", timeout=300):
        """``salt-run`` as a user types it: (exit code, data or text, stdout)."""
        argv = self.argv("salt-run", *args, *([f"--out={out}"] if out else []))
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        assert "Traceback" not in proc.stdout + proc.stderr, proc
        data = json.loads(proc.stdout) if out == "json" else proc.stdout
        return proc.returncode, data, proc.stdout

    def salt(self, target, *args, timeout=120):
        proc = subprocess.run(self.argv("salt", target, *args, "--out=json", "--static",
                                        f"--timeout={timeout}"),
                              capture_output=True, text=True, timeout=timeout + 60)
        return proc.returncode, json.loads(proc.stdout or "{}")

    def files(self, minion):
        """{name: (inode, mtime_ns)} of every file the state wrote for ``minion``."""
        found = {}
        for path in sorted(self.sandboxes[minion].rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                info = path.stat()
                found[path.name] = (info.st_ino, info.st_mtime_ns)
        return found

    def ifcfg(self, minion, name):
        return (self.sandboxes[minion] / "network-scripts" / name).read_text()


@pytest.fixture(scope="module")
def fleet(salt_factories, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("runner")
    pillar_root = tmp / "pillar"
    pillar_root.mkdir()
    (pillar_root / "top.sls").write_text(yaml.safe_dump(
        {"base": {minion: [minion] for minion in MINIONS}}))
    master = salt_factories.salt_master_daemon("runner-master", overrides={
        "file_roots": {"base": [str(formula_root(tmp / "file_root"))]},
        "pillar_roots": {"base": [str(pillar_root)]},
        "log_level_logfile": "info",
        "fileserver_list_cache_time": 300,
    })
    trees = kernel_trees(tmp)
    sandboxes, daemons = {}, {}
    with master.started():
        for minion in MINIONS:
            sandbox = tmp / "sandbox" / minion
            (sandbox / "network-scripts").mkdir(parents=True)
            (sandbox / "modprobe.d").mkdir()
            procfs, sysfs = trees[minion]
            daemons[minion] = master.salt_minion_daemon(minion, overrides={
                "bond.ifcfg_dir": str(sandbox / "network-scripts"),
                "bond.modprobe_conf": str(sandbox / "modprobe.d" / "bonding.conf"),
                "bond.procfs": str(procfs), "bond.sysfs": str(sysfs),
                "grains": dict(RHEL7_GRAINS), "grains_cache": False,
                "enable_fqdns_grains": False, "log_level_logfile": "info",
            })
            sandboxes[minion] = sandbox
        fleet = Fleet(master, daemons, pillar_root, sandboxes, tmp)
        for minion, bonds in PILLARS.items():
            fleet.write_pillar(minion, bonds)
        for daemon in daemons.values():
            daemon.start()
        try:
            rc, synced = fleet.salt("*", "saltutil.sync_all")
            assert rc == 0 and set(synced) == set(MINIONS), synced
            # The runner, its outputter and the core, from the file root to the master.
            rc, synced, _ = fleet.run("saltutil.sync_all")
            assert rc == 0 and "runners.bond" in synced["runners"], synced
            assert "output.bond" in synced["output"], synced
            yield fleet
        finally:
            for daemon in daemons.values():
                daemon.terminate()


def test_the_preview_counts_what_would_change_and_writes_nothing(fleet):
    rc, preview, _ = fleet.run("bond.rollout", "tgt=*", "test=True")
    assert rc == 0, preview
    assert preview["test"] is True and preview["failed"] == {}, preview
    # app1: ifcfg-bond0, -va, -vb and the modprobe alias; db1: two bonds, four slaves, alias.
    assert preview["preview"] == {"app1": {"files": 4, "live": 0},
                                  "db1": {"files": 7, "live": 0},
                                  "evil": {"files": 0, "live": 0},
                                  "mail1": {"files": 0, "live": 0},
                                  "web1": {"files": 0, "live": 0}}, preview
    assert all(fleet.files(minion) == {} for minion in MINIONS)
    rc, table, _ = fleet.run("bond.rollout", "tgt=*", "test=True", out=None)
    assert table.splitlines()[0] == ("bond.rollout '*' (glob) test=True: 5 minions, 2 would "
                                     "change, 0 would fail"), table


def test_a_rollout_applies_wave_by_wave_in_minion_id_order(fleet):
    rc, result, _ = fleet.run("bond.rollout", "tgt=*", "batch=2", "timeout=120")
    assert rc == 0, result
    assert [(w["minions"], w["canary"], w["outcome"]) for w in result["waves"]] == [
        (["app1"], True, "applied"), (["db1", "evil"], False, "applied"),
        (["mail1", "web1"], False, "applied")], result
    assert result["applied"]["db1"] == {"files": 7, "live": 0}
    assert (result["failed"], result["never_started"], result["stopped"]) == ({}, [], False)
    assert "miimon=100" in fleet.ifcfg("app1", "ifcfg-bond0")
    # Each wave is a job of its own, to exactly its minions.
    for wave in result["waves"]:
        rc, job, _ = fleet.run("jobs.list_job", wave["jid"])
        assert sorted(job["Minions"]) == wave["minions"], job


@pytest.fixture(scope="module")
def report(fleet):
    """``salt-run bond.report html=...`` once everything is applied: (rc, data, page)."""
    page = fleet.tmp / "www" / "bonds.html"
    page.parent.mkdir()
    rc, data, _ = fleet.run("bond.report", f"html={page}")
    return rc, data, page


def test_the_report_lists_every_minion_worst_first(report):
    rc, data, page = report
    assert rc == 1, data  # not all ok: a fleet check fails
    assert [(row["minion"], row["status"]) for row in data["minions"]] == [
        ("app1", "degraded"), ("db1", "drifted"), ("evil", "drifted"), ("mail1", "ok"),
        ("web1", "ok")], data
    assert data["summary"] == {"minions": 5, "down": 0, "no answer": 0, "unknown": 0,
                               "degraded": 1, "drifted": 2, "ok": 2}
    app1 = data["minions"][0]
    (bond0,) = app1["bonds"]
    assert {k: bond0[k] for k in ("bond", "health", "problems", "mode", "active_slave")} == {
        "bond": "bond0", "health": "degraded", "problems": DEGRADED["problems"],
        "mode": "active-backup", "active_slave": "vb"}
    assert bond0["slaves"] == [{"name": "va", "mii_status": "down"},
                               {"name": "vb", "mii_status": "up"}]
    db1 = {bond["bond"]: bond for bond in data["minions"][1]["bonds"]}
    # The files are as the rollout wrote them; the captured kernel runs lacp_rate fast,
    # which the pillar does not give.
    drift = db1["bond1"]["drift"]
    assert "bond1: still to do: bond1: lacp_rate fast -> slow" in drift, db1
    assert all(line.startswith("bond1: still to do: ") for line in drift), db1
    (evil,) = data["minions"][2]["bonds"]
    assert evil["bond"] == HOSTILE and evil["health"] == "ok"
    assert evil["drift"] == ["running, but pillar 'bonding' does not give it"]
    assert data["html"] == str(page)


def test_the_report_table_is_readable_and_escapes_what_a_minion_sent(fleet, report):
    rc, table, _ = fleet.run("bond.report", out=None)
    assert rc == 1
    lines = table.splitlines()
    assert lines[0] == "5 minions: 1 degraded, 2 drifted, 2 ok", table
    assert re.match(r"MINION +STATUS +BOND +BOND STATUS +PROBLEMS$", lines[2]), table
    firsts = [line.split()[0] for line in lines[3:] if line and not line.startswith(" ")]
    assert firsts == ["app1", "db1", "evil", "mail1", "web1"], table
    assert "slave va is down (link failures: 1)" in lines[3], table
    assert "\x1b" not in table
    assert "<img src=x onerror=document.title='pwned'>\\x1b[31m" in table


def test_the_html_page_renders_in_chromium_degraded_host_first_hostile_name_as_text(report):
    reason = browser.unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    _, _, page = report
    html = page.read_text()
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")
    dom = browser.dump_dom(page)
    hosts = re.findall(r'<section class="host" id="host-\d+" data-minion="([^"]*)" '
                       r'data-status="([^"]*)"', dom)
    assert hosts == [("app1", "degraded"), ("db1", "drifted"),
                     ("evil", "drifted"), ("mail1", "ok"), ("web1", "ok")], dom
    # The hostile name is text in the page: escaped markup, no element made of it.
    assert "&lt;img src=x onerror=document.title='pwned'&gt;\\x1b[31m" in dom, dom
    assert "<img" not in dom
    title = re.search(r"<title>(.*?)</title>", dom)[1]
    assert title == "Bonds: 5 minions: 1 degraded, 2 drifted, 2 ok", title  # no script ran
    png = browser.screenshot(page, page.with_suffix(".png"))
    image = browser.Png(png)
    assert (image.width, image.height) == (1280, 900)
    assert image.distinct_rows > 100, image.distinct_rows  # text, tables: not a blank page
    # Down the hosts' left borders (main's padding, 28 px): the degraded host's orange
    # comes first, then the drifted hosts' yellow, then the ok hosts' green.
    borders = [colour for colour, _ in image.column(31)]
    degraded, drifted, ok = (232, 89, 12), (242, 201, 76), (43, 138, 62)
    assert {degraded, drifted, ok} <= set(borders), borders[:20]
    assert borders.index(degraded) < borders.index(drifted) < borders.index(ok), borders[:20]


def test_a_refused_pillar_stops_the_rollout_and_later_minions_are_untouched(fleet):
    before = {minion: fleet.files(minion) for minion in MINIONS}
    typo = {"bond1": {**PILLARS["db1"]["bond1"]}, "bond2": PILLARS["db1"]["bond2"]}
    typo["bond1"]["miimonn"] = typo["bond1"].pop("miimon")
    changed = {"app1": {"bond0": {**PILLARS["app1"]["bond0"], "miimon": 200}}, "db1": typo,
               "evil": NEW_BOND, "mail1": NEW_BOND, "web1": NEW_BOND}
    try:
        for minion, bonds in changed.items():
            fleet.write_pillar(minion, bonds)
        rc, result, _ = fleet.run("bond.rollout", "tgt=*", "canary=1", "batch=1")
        assert rc == 1 and result["stopped"] is True, result
        assert list(result["applied"]) == ["app1"], result
        assert list(result["failed"]) == ["db1"], result
        assert result["failed"]["db1"].startswith(
            "bond.reconciled bonding: No files changed. bonding:bonds:bond1:miimonn: unknown "
            "option 'miimonn'"), result["failed"]
        assert result["never_started"] == ["evil", "mail1", "web1"]
        assert [w["outcome"] for w in result["waves"]] == [
            "applied", "failed", "never started", "never started", "never started"]
        assert "miimon=200" in fleet.ifcfg("app1", "ifcfg-bond0")
        for minion in ("db1", "evil", "mail1", "web1"):
            assert fleet.files(minion) == before[minion], minion
        # And as the operator reads it.
        rc, table, _ = fleet.run("bond.rollout", "tgt=*", "canary=1", "batch=1", out=None)
        assert rc == 1
        assert table.splitlines()[0] == ("bond.rollout '*' (glob): stopped at wave 2 of 5: 1 "
                                         "failed, 3 never started"), table
        assert re.search(r"^wave 2 +failed +db1: bond.reconciled bonding: No files changed",
                         table, re.M), table
        assert re.search(r"^wave 5 +never started +web1$", table, re.M), table
    finally:
        for minion, bonds in PILLARS.items():
            fleet.write_pillar(minion, bonds)
    rc, result, _ = fleet.run("bond.rollout", "tgt=*", "batch=100%")
    assert rc == 0 and "miimon=100" in fleet.ifcfg("app1", "ifcfg-bond0"), result


def test_a_minion_that_does_not_answer_stops_the_rollout_and_is_no_answer(fleet):
    fleet.daemons["mail1"].terminate()
    try:
        fleet.write_pillar("web1", NEW_BOND)
        started = time.monotonic()
        rc, result, _ = fleet.run("bond.rollout", "tgt=*", "canary=1", "batch=1", "timeout=15")
        assert rc == 1, result
        assert list(result["applied"]) == ["app1", "db1", "evil"], result
        jid = result["waves"][3]["jid"]
        assert result["failed"] == {"mail1": "did not return within 15 s (salt-run "
                                             f"jobs.lookup_jid {jid} shows it if it returns "
                                             "later)"}, result
        assert result["never_started"] == ["web1"]
        assert time.monotonic() - started >= 15  # it did wait the whole timeout for mail1
        assert fleet.files("web1") == {}  # its new bond7 was never applied
        fleet.write_pillar("web1", PILLARS["web1"])
        rc, data, _ = fleet.run("bond.report", "timeout=5", "gather_job_timeout=5")
        assert rc == 1
        assert [(row["minion"], row["status"]) for row in data["minions"]] == [
            ("mail1", "no answer"), ("app1", "degraded"), ("db1", "drifted"),
            ("evil", "drifted"), ("web1", "ok")], data
        assert data["minions"][0]["problems"] == [
            "no return within the timeout (5 s, gather_job_timeout 5 s)"]
    finally:
        fleet.write_pillar("web1", PILLARS["web1"])
        fleet.daemons["mail1"].start()


def test_bad_arguments_are_refused_naming_them_with_exit_code_1(fleet):
    for args, said in (
            (["bond.rollout"], "bond.rollout: tgt: required"),
            (["bond.rollout", "tgt=*", "batch=0"], "bond.rollout: batch: 0 is not a wave size"),
            (["bond.rollout", "tgt=nosuch*"], "bond.rollout: tgt: 'nosuch*' (glob) matches no "
                                              "minion"),
            (["bond.report", "tgt_type=blob"], "bond.report: tgt_type: 'blob' is not a target "
                                               "type"),
            (["bond.report", "html=/nonexistent/x.html"], "bond.report: html: cannot write"),
            (["bond.report", "colour=red"], "bond.report: unknown argument 'colour'")):
        rc, text, _ = fleet.run(*args, out=None)
        assert rc == 1 and text.startswith(said), (args, text)
        rc, data, _ = fleet.run(*args)
        assert rc == 1 and data["error"].startswith(said) and data["retcode"] == 1, data


def test_every_cli_example_of_the_runner_runs_on_this_fleet(fleet):
    """Each ``salt-run bond.*`` line of ``salt-run -d bond`` runs here (a path given in an
    example is moved to a temporary directory) and exits 0 or 1, never with an error."""
    docs = subprocess.run(fleet.argv("salt-run", "-d", "bond"), capture_output=True, text=True,
                          timeout=120).stdout
    examples = [line.strip() for line in docs.splitlines()
                if line.strip().startswith("salt-run bond.")]
    assert len(examples) >= 6, docs
    results = {}
    for example in examples:
        args = [f"html={fleet.tmp / 'example.html'}" if arg.startswith("html=") else arg
                for arg in shlex.split(example)[1:]]
        out = None if not any(arg.startswith("--out=") for arg in args) else "json"
        args = [arg for arg in args if not arg.startswith("--out=")]
        rc, said, stdout = fleet.run(*args, out=out)
        assert rc in (0, 1) and "error" not in (said if out else {}), (example, stdout)
        assert not re.match(r"bond\.\w+: ", stdout), (example, stdout)  # not a refusal
        results[example] = (rc, stdout)
    compound = next(e for e in examples if "tgt_type=compound" in e)
    assert results[compound][0] == 0, results[compound]
    assert "applied to 5 minions" in results[compound][1], results[compound]
    assert (fleet.tmp / "example.html").read_text().startswith("<!DOCTYPE html>")
