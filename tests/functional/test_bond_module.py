"""``salt-call --local bond.*`` on the host, with the roots pointed at captured and broken trees."""

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import salt.utils.platform
from salt_bonding.observe import health
from salt_bonding.observe.status import read_status

from tests.harness.saltcall import SaltCall

pytestmark = pytest.mark.functional

REPO = Path(__file__).resolve().parents[2]
CAPTURES = REPO / "tests" / "captures"


def capture_roots(capture):
    base = CAPTURES / capture
    return {"bond.procfs": str(base / "proc/net/bonding"),
            "bond.sysfs": str(base / "sys/class/net")}


def sandbox(tmp_path, **roots):
    return SaltCall(tmp_path / "salt-sandbox", **roots)


def salt_call_raw(salt, *args, out="json"):
    """salt-call with stdout and stderr apart (errors are printed on stderr)."""
    return subprocess.run(salt.argv(*args, out=out), capture_output=True, text=True,
                          timeout=300)


def test_status_is_what_the_parser_reads(tmp_path):
    """The module adds nothing and loses nothing on the way through Salt's loader and JSON."""
    roots = capture_roots("802.3ad-lacp-partner")
    salt = sandbox(tmp_path, **roots)
    assert salt.run("bond.list") == (0, ["bond1", "bond2"])
    rc, status = salt.run("bond.status")
    assert rc == 0
    assert status == health.judge(read_status(roots["bond.procfs"], roots["bond.sysfs"]))
    assert status["bond1"]["ad"]["num_ports"] == 2
    rc, one = salt.run("bond.status", "bond2")
    assert (rc, list(one)) == (0, ["bond2"])


def test_health_exit_code_follows_the_verdict(tmp_path):
    healthy = sandbox(tmp_path / "a", **capture_roots("active-backup-healthy"))
    assert healthy.run("bond.health") == (
        0, {"status": "ok", "bonds": {"bond0": {"status": "ok", "problems": []}}})
    failed_over = sandbox(tmp_path / "b", **capture_roots("active-backup-failed-over"))
    rc, health = failed_over.run("bond.health")
    assert rc == 1
    assert health == {"status": "degraded", "bonds": {"bond0": {
        "status": "degraded", "problems": ["slave va is down (link failures: 1)"]}}}
    rc, health = failed_over.run("bond.health", "bond0")
    assert (rc, health["status"]) == (1, "degraded")


def test_health_in_detail_adds_the_mode_and_slaves_the_fleet_report_shows(tmp_path):
    salt = sandbox(tmp_path, **capture_roots("active-backup-failed-over"))
    salt.set_pillar({"bonding": {"bonds": {"bond0": {}, "bond1": {}}}})
    rc, health = salt.run("bond.health", "detail=True")
    assert rc == 1
    assert health == {"status": "down", "bonds": {
        "bond0": {"status": "degraded", "problems": ["slave va is down (link failures: 1)"],
                  "mode": "active-backup", "active_slave": "vb",
                  "slaves": {"va": "down", "vb": "up"}},
        "bond1": {"status": "down", "problems": [
            "not in the kernel, but pillar 'bonding' gives it (is the bonding driver loaded? "
            "was the bond brought up?)"], "mode": None, "active_slave": None, "slaves": {}}}}
    # Without detail the verdicts are exactly what they were.
    rc, plain = salt.run("bond.health")
    assert plain == {"status": "down", "bonds": {
        name: {"status": bond["status"], "problems": bond["problems"]}
        for name, bond in health["bonds"].items()}}


@pytest.mark.parametrize("function", ["bond.status", "bond.health"])
def test_unknown_bond_is_a_clear_error(tmp_path, function):
    salt = sandbox(tmp_path, **capture_roots("802.3ad-lacp-partner"))
    proc = salt_call_raw(salt, function, "nosuchbond")
    assert proc.returncode != 0
    assert proc.stderr.strip() == (f"Error running '{function}': no bond named 'nosuchbond' "
                                   "on this host (bonds: bond1, bond2)")
    assert "Traceback" not in proc.stdout + proc.stderr


def test_misconfigured_root_and_numeric_name_are_clear_errors(tmp_path):
    root = tmp_path / "bonding"
    root.write_text("a file, not the directory\n")
    misconfigured = sandbox(tmp_path / "a", **{"bond.procfs": str(root)})
    proc = salt_call_raw(misconfigured, "bond.list")
    assert proc.returncode != 0
    assert proc.stderr.strip() == (
        f"Error running 'bond.list': minion option bond.procfs is '{root}', which is not a "
        "directory; it must be the /proc/net/bonding directory (a file per bond)")
    # salt-call parses "0" as an int; it is still just a name that is not there.
    numeric = sandbox(tmp_path / "b", **capture_roots("no-slaves"))
    proc = salt_call_raw(numeric, "bond.status", "0")
    assert proc.stderr.strip() == (
        "Error running 'bond.status': no bond named '0' on this host (bonds: bond0)")
    assert "Traceback" not in proc.stdout + proc.stderr


def test_no_bonds_is_ok_only_where_pillar_gives_none(tmp_path):
    procfs = tmp_path / "proc" / "net" / "bonding"
    procfs.mkdir(parents=True)
    (tmp_path / "sys").mkdir()
    salt = sandbox(tmp_path, **{"bond.procfs": str(procfs), "bond.sysfs": str(tmp_path / "sys")})
    assert salt.run("bond.list") == (0, [])
    assert salt.run("bond.status") == (0, {})
    assert salt.run("bond.health") == (0, {"status": "ok", "bonds": {}})
    # The same empty kernel on a host whose pillar gives it bonds: the worst failure.
    salt.set_pillar({"bonding": {"bonds": {"bond0": {}, "bond1": {}}},
                     "storage": {"bonds": {"bond7": {}}}})
    down = {"status": "down", "problems": [
        "not in the kernel, but pillar 'bonding' gives it (is the bonding driver loaded? was "
        "the bond brought up?)"]}
    assert salt.run("bond.health") == (1, {"status": "down",
                                           "bonds": {"bond0": down, "bond1": down}})
    assert salt.run("bond.health", "bond1") == (1, {"status": "down", "bonds": {"bond1": down}})
    rc, other = salt.run("bond.health", "key=storage")
    assert (rc, list(other["bonds"]), other["status"]) == (1, ["bond7"], "down")
    assert "pillar 'storage'" in other["bonds"]["bond7"]["problems"][0]


@pytest.mark.parametrize("option", ["bond.procfs", "bond.sysfs"])
@pytest.mark.parametrize("problem", ["does not exist", "is not a directory"])
def test_a_configured_root_that_is_not_there_is_an_error(tmp_path, option, problem):
    roots = capture_roots("active-backup-healthy")
    wrong = tmp_path / "wrong"
    if problem == "is not a directory":
        wrong.write_text("")
    roots[option] = str(wrong)
    salt = sandbox(tmp_path, **roots)
    for function in ("bond.list", "bond.status", "bond.health"):
        proc = salt_call_raw(salt, function)
        assert proc.returncode != 0, (function, proc.stdout)
        assert f"minion option {option} is '{wrong}', which {problem}; it must be the " in (
            proc.stderr), proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr


def test_fifos_in_the_tree_never_hang_a_check(tmp_path):
    """A FIFO where a status file should be: reported, not read (a read would block forever)."""
    base = CAPTURES / "active-backup-healthy"
    procfs, sysfs = tmp_path / "proc", tmp_path / "sys"
    shutil.copytree(base / "proc/net/bonding", procfs)
    shutil.copytree(base / "sys/class/net", sysfs, symlinks=True)
    os.mkfifo(procfs / "bond9")
    miimon = sysfs / "bond0" / "bonding" / "miimon"
    text = (procfs / "bond0").read_text()
    (procfs / "bond0").write_text(text.replace("MII Polling Interval (ms): 100\n", ""))
    miimon.unlink()
    os.mkfifo(miimon)
    salt = sandbox(tmp_path, **{"bond.procfs": str(procfs), "bond.sysfs": str(sysfs)})
    rc, status = salt.run("bond.status")
    assert rc == 1
    assert status["bond9"]["error"] == f"cannot read {procfs}/bond9: is a FIFO, not a regular file"
    assert status["bond0"]["miimon"] is None
    assert f"{miimon}: is a FIFO, not a regular file" in status["bond0"]["warnings"]
    rc, verdict = salt.run("bond.health")
    assert (rc, verdict["status"], verdict["bonds"]["bond0"]["status"]) == (1, "unknown", "ok")


def test_broken_tree_reports_each_bond_and_never_a_traceback(tmp_path):
    good = (CAPTURES / "active-backup-healthy" / "proc/net/bonding/bond0").read_text()
    procfs = tmp_path / "proc"
    procfs.mkdir()
    (procfs / "bond0").write_text(good)
    (procfs / "truncated").write_text(good[:good.index("Slave Interface: vb") + 25])
    (procfs / "garbled").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (procfs / "unreadable").mkdir()  # we are root: a directory is what cannot be read
    (tmp_path / "empty-sysfs").mkdir()
    salt = sandbox(tmp_path, **{"bond.procfs": str(procfs),
                                "bond.sysfs": str(tmp_path / "empty-sysfs")})
    proc = salt_call_raw(salt, "bond.status")
    assert proc.returncode == 1, proc.stderr  # bonds carry errors: scripts must see it
    assert "Traceback" not in proc.stdout + proc.stderr
    status = json.loads(proc.stdout)["local"]
    assert sorted(status) == ["bond0", "garbled", "truncated", "unreadable"]
    assert status["bond0"]["active_slave"] == "va"
    assert status["bond0"]["health"]["status"] == "ok"
    assert status["truncated"]["error"] == (
        f"{procfs}/truncated: slave vb has no 'MII Status' line (truncated?)")
    assert status["garbled"]["error"] == f"{procfs}/garbled is not text (byte 0 is not UTF-8)"
    assert status["unreadable"]["error"] == f"cannot read {procfs}/unreadable: Is a directory"
    rc, health = salt.run("bond.health")
    assert rc == 1
    assert health["status"] == "unknown"
    assert health["bonds"]["bond0"]["status"] == "ok"
    assert health["bonds"]["garbled"] == {"status": "unknown",
                                          "problems": [status["garbled"]["error"]]}


def test_procfs_alone_gives_the_full_status(tmp_path):
    """A capture's procfs with no sysfs at all: every root-read field is still there, but
    the bond's own MAC address (sysfs alone shows it)."""
    roots = capture_roots("802.3ad-lacp-partner")
    with_sysfs = health.judge(read_status(roots["bond.procfs"], roots["bond.sysfs"]))
    for bond in with_sysfs.values():
        assert bond.pop("macaddr")
        bond["macaddr"] = None
    (tmp_path / "no-sysfs").mkdir()
    salt = sandbox(tmp_path, **{"bond.procfs": roots["bond.procfs"],
                                "bond.sysfs": str(tmp_path / "no-sysfs")})
    assert salt.run("bond.status") == (0, with_sysfs)


def test_defaults_read_the_hosts_own_proc(tmp_path):
    """No roots configured: the real /proc/net/bonding (absent on hosts without the driver)."""
    salt = sandbox(tmp_path)
    host = Path("/proc/net/bonding")
    expected = sorted(p.name for p in host.iterdir()) if host.is_dir() else []
    assert salt.run("bond.list") == (0, expected)


def test_text_output_for_people(tmp_path):
    salt = sandbox(tmp_path, **capture_roots("active-backup-failed-over"))
    proc = salt_call_raw(salt, "bond.health", out="nested")
    assert proc.returncode == 1
    assert "slave va is down (link failures: 1)" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_not_on_linux(monkeypatch):
    spec = importlib.util.spec_from_file_location("bond_module", REPO / "_modules" / "bond.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(salt.utils.platform, "is_linux", lambda: False)
    refused, reason = module.__virtual__()
    assert refused is False
    assert "only available on Linux" in reason
    monkeypatch.setattr(salt.utils.platform, "is_linux", lambda: True)
    assert module.__virtual__() == "bond"


def test_verify_reports_drift_from_pillar_and_exits_1(tmp_path):
    """``bond.verify`` through Salt's loader on this host (no bonding driver: the pillar's
    bond is not in the kernel): files missing, then written by the state and none
    missing, then one edited by hand; the capture's bonds pillar does not give are
    ``unknown``; a bad pillar is a clear error."""
    salt = sandbox(tmp_path, **capture_roots("802.3ad-lacp-partner"))
    salt.set_pillar({"bonding": {"bonds": {"bond0": {
        "mode": "active-backup", "slaves": ["eth0"], "miimon": 100}}}})
    rc, found = salt.run("bond.verify")
    assert rc == 1 and found["drifted"] is True, found
    assert found["bonds"]["bond0"] == {
        "files": [f"{salt.ifcfg_dir}/ifcfg-{name}: missing" for name in ("bond0", "eth0")],
        "kernel": ["bond0: not in the kernel"]}
    assert found["unknown"] == ["bond1", "bond2"]
    assert salt.run("state.apply", "bonding")[0] == 0
    rc, found = salt.run("bond.verify")
    assert rc == 1 and found["bonds"]["bond0"]["files"] == [] and found["host"] == []
    (salt.ifcfg_dir / "ifcfg-eth0").write_text("DEVICE=eth0\n")
    rc, found = salt.run("bond.verify")
    assert found["bonds"]["bond0"]["files"] == [
        f"{salt.ifcfg_dir}/ifcfg-eth0: differs from pillar (changed by hand?)"]
    salt.set_pillar({"bonding": {"bonds": {"bond0": {"mode": "active-backup",
                                                     "slaves": ["eth0"], "miimon": "often"}}}})
    proc = salt_call_raw(salt, "bond.verify")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr + proc.stdout
    assert "bonding:bonds:bond0:miimon" in proc.stderr + proc.stdout


def test_verify_with_the_roots_moved_reads_the_tree_as_status_and_health_do(tmp_path):
    """Pointed at a capture, verify read the real kernel over netlink ("bond0: not in the
    kernel", drifted, exit 1) while bond.status and bond.health said ok (issue 26)."""
    roots = capture_roots("active-backup-healthy")
    salt = sandbox(tmp_path, **roots)
    salt.set_pillar({"bonding": {"bonds": {"bond0": {
        "mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100, "primary": "va",
        "ipaddr": "192.0.2.10", "prefix": 24}}}})
    assert salt.run("state.apply", "bonding")[0] == 0
    assert salt.run("bond.health")[1]["status"] == "ok"
    rc, found = salt.run("bond.verify")
    assert (rc, found["drifted"], found["bonds"]["bond0"]) == (
        0, False, {"files": [], "kernel": []}), found
    assert found["not_checked"] == [
        f"bond0: addresses, default routes and VLANs (not in the tree bond.procfs "
        f"{roots['bond.procfs']} and bond.sysfs {roots['bond.sysfs']} give)"]
    salt.set_pillar({"bonding": {"bonds": {"bond0": {
        "mode": "active-backup", "slaves": ["va", "vb"], "miimon": 200, "primary": "va",
        "ipaddr": "192.0.2.10", "prefix": 24}}}})
    rc, found = salt.run("bond.verify")
    assert rc == 1 and "bond0 miimon 100, desired 200" in found["bonds"]["bond0"]["kernel"]


def test_verify_of_one_pillar_key_knows_the_bonds_of_another(tmp_path):
    """Two bond.reconciled states under different pillar keys: ``bond.verify name=<key>``
    listed the other key's bonds as unknown, forever (issue 26)."""
    salt = sandbox(tmp_path, **capture_roots("802.3ad-lacp-partner"))
    lacp = {"mode": "802.3ad", "miimon": 100, "lacp_rate": "fast"}
    salt.set_pillar({"bonding": {"bonds": {"bond1": {**lacp, "slaves": ["va", "vb"]}}},
                     "storage": {"bonds": {"bond2": {**lacp, "slaves": ["pa", "pb"]}}}})
    for key in ("bonding", "storage"):
        rc, ret = salt.run("state.single", "bond.reconciled", key)
        assert rc == 0, ret
    for args in ((), ("name=storage",)):
        rc, found = salt.run("bond.verify", *args)
        assert (rc, found["unknown"], found["drifted"]) == (0, [], False), (args, found)
