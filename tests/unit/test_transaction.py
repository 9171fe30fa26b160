"""transaction: one state run start to end, reached directly (the state module only
wires Salt to it). Real files in a temporary tree and the real lock; the minion's
commands (nmcli) and service manager answer as each test says (what the real
NetworkManager and Salt make of them is the functional and kernel tiers')."""

import os

import pytest
from salt_bonding import plan, transaction
from salt_bonding.activate import timer
from salt_bonding.errors import SystemFailure
from salt_bonding.host import lock
from salt_bonding.host.platform import Stack
from salt_bonding.render import Locations

pytestmark = pytest.mark.unit

RHEL7 = {"os": "CentOS", "os_family": "RedHat", "osmajorrelease": 7}
NETWORK_SCRIPTS = Stack("absent", True)
RHEL9 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 9, "osrelease": "9.4"}
BOND = {"mode": "active-backup", "slaves": ["eth0", "eth1"], "miimon": 100}


class Minion:
    """The commands of a minion: nmcli, if ``nmcli`` says it is installed, answers
    ``running`` and lists the files it loaded (``refuses``: those it does not)."""

    def __init__(self, nmcli=False, refuses=()):
        self.nmcli, self.refuses, self.ran = nmcli, set(refuses), []
        self.loaded = set()

    def run(self, argv):
        self.ran.append(list(argv))
        if argv[:3] == ["nmcli", "connection", "load"]:
            self.loaded |= {p for p in argv[3:] if os.path.exists(p)} - self.refuses
            return 0, "", ""
        if argv == ["nmcli", "-t", "-f", "RUNNING", "general"]:
            return 0, "running\n", ""
        if argv == ["nmcli", "-t", "-f", "FILENAME", "connection", "show"]:
            return 0, "".join(f"{p}\n" for p in sorted(self.loaded)), ""
        return 127, "", f"{argv[0]}: not here"

    def which(self, name):
        return f"/usr/bin/{name}" if name == "nmcli" and self.nmcli else None


class Services:
    def __init__(self, running=True, enabled=True, fails=False):
        self.state = {"running": running, "enabled": enabled}
        self.fails = fails

    def available(self, name):
        if self.fails:
            raise SystemFailure("System has not been booted with systemd")
        return True

    def running(self, name):
        return self.state["running"]

    def enabled(self, name):
        return self.state["enabled"]

    def stop(self, name):
        self.state["running"] = False
        return True

    def disable(self, name):
        self.state["enabled"] = False
        return True


def host(tmp_path, minion=None, **settings):
    minion = minion or Minion()
    backups = tmp_path / "backups"
    return transaction.Host(
        run=minion.run, which=minion.which,
        backup=lambda path: backups.mkdir(exist_ok=True) or (
            backups / os.path.basename(path)).write_bytes(open(path, "rb").read()),
        cachedir=str(tmp_path / "cache"), backup_root=str(backups), **settings)


def where(tmp_path):
    return Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                     str(tmp_path / "modprobe.d" / "bonding.conf"))


def run(tmp_path, pillar, the_host, test=False, grains=RHEL7, stack=NETWORK_SCRIPTS):
    (tmp_path / "cache").mkdir(exist_ok=True)
    (tmp_path / "modprobe.d").mkdir(exist_ok=True)

    def make_plan():
        return plan.plan_reconciled(pillar, "bonding", where(tmp_path), grains, stack)

    return transaction.run("bonding", "bond.reconciled bonding", make_plan,
                           lambda p: "Bond files already match.", the_host, test, {},
                           networkmanager_service=True)


def test_a_dry_run_writes_nothing_and_a_run_writes_then_changes_nothing(tmp_path):
    pillar = {"bonds": {"bond0": BOND}}
    dry = run(tmp_path, pillar, host(tmp_path), test=True)
    assert dry["result"] is None and "ifcfg-bond0" in " ".join(dry["changes"])
    assert not (tmp_path / "ifcfg").exists()
    done = run(tmp_path, pillar, host(tmp_path))
    assert done["result"] is True and (tmp_path / "ifcfg" / "ifcfg-bond0").exists()
    again = run(tmp_path, pillar, host(tmp_path))
    assert again["result"] is True and again["changes"] == {}
    assert again["comment"].startswith("Bond files already match.")


def test_bad_input_changes_nothing_and_names_the_key(tmp_path):
    ret = run(tmp_path, {"bonds": {"bond0": {**BOND, "miimon": "often"}}}, host(tmp_path))
    assert ret["result"] is False and ret["changes"] == {}
    assert ret["comment"].startswith("No files changed. bonding:bonds:bond0:miimon")
    assert not (tmp_path / "ifcfg").exists()


def test_files_networkmanager_refuses_are_put_back_and_loaded_again(tmp_path):
    minion = Minion(nmcli=True, refuses={str(tmp_path / "nm" / "eth1.nmconnection")})
    ret = run(tmp_path, {"bonds": {"bond0": BOND}}, host(tmp_path, minion), grains=RHEL9,
              stack=Stack("enabled", False, "1.46.0"))
    assert ret["result"] is False and ret["changes"] == {}
    assert ret["comment"].startswith(f"NetworkManager refused the new files: "
                                     f"{tmp_path}/nm/eth1.nmconnection: ")
    assert ret["comment"].endswith("rolled back 4 file(s) and reloaded them.")
    assert not (tmp_path / "nm").exists()  # the directory the run made went with them
    loads = [argv for argv in minion.ran if argv[:3] == ["nmcli", "connection", "load"]]
    assert len(loads) == 2  # the new files, then the same paths again once put back


def test_a_file_that_cannot_be_backed_up_stops_the_run_before_any_write(tmp_path):
    (tmp_path / "ifcfg").mkdir()
    theirs = tmp_path / "ifcfg" / "ifcfg-eth0"
    theirs.write_text("DEVICE=eth0\nONBOOT=no\n")

    def refuse(path):
        raise PermissionError(13, "Permission denied")

    the_host = host(tmp_path)
    the_host.backup = refuse
    ret = run(tmp_path, {"bonds": {"bond0": BOND}}, the_host)
    assert ret["result"] is False and ret["changes"] == {}
    assert f"{theirs}" in ret["comment"] and "Permission denied" in ret["comment"]
    assert sorted(os.listdir(tmp_path / "ifcfg")) == ["ifcfg-eth0"]


def test_networkmanager_disabled_stops_it_says_what_it_would_and_warns_when_it_cannot(
        tmp_path):
    pillar = {"networkmanager": "disabled", "bonds": {"bond0": BOND}}
    services = Services()
    dry = run(tmp_path, pillar, host(tmp_path, services=services), test=True)
    assert "NetworkManager would be stopped and disabled." in dry["comment"]
    assert services.state == {"running": True, "enabled": True}
    done = run(tmp_path, pillar, host(tmp_path, services=services))
    assert done["changes"]["NetworkManager"]["new"] == {"running": False, "enabled": False}
    assert services.state == {"running": False, "enabled": False}
    chroot = run(tmp_path, pillar, host(tmp_path, services=Services(fails=True)))
    assert chroot["result"] is True and chroot["warnings"] == [
        "NetworkManager was not disabled: the service manager cannot be asked (System has "
        "not been booted with systemd)"]


def test_a_dead_runs_journal_is_fired_first_and_said(tmp_path):
    pillar = {"bonds": {"bond0": BOND}}
    run(tmp_path, pillar, host(tmp_path))
    bond0 = tmp_path / "ifcfg" / "ifcfg-bond0"
    good = bond0.read_text()
    change = plan.files.Change(str(bond0), good, "half\n", "", "file", 0o644, None,
                               (os.getuid(), os.getgid()))
    timer.write_journal(transaction.timer_dir(host(tmp_path)), {str(bond0): change}, [],
                        None, lock.lock_path(str(tmp_path / "cache")), 120)
    bond0.write_text("half\n")
    ret = run(tmp_path, pillar, host(tmp_path))
    assert ret["result"] is True and ret["changes"] == {} and bond0.read_text() == good
    (warning,) = ret["warnings"]
    assert "did not finish: its rollback timer fired at" in warning


def test_a_run_that_cannot_take_the_lock_changes_nothing_and_says_who_holds_it(tmp_path):
    (tmp_path / "cache").mkdir()
    with lock.HostLock(lock.lock_path(str(tmp_path / "cache")), "another run", 5):
        ret = run(tmp_path, {"bonds": {"bond0": BOND}}, host(tmp_path, lock_timeout=0.2))
    assert ret["result"] is False
    assert "held by another run" in ret["comment"] and "Nothing changed." in ret["comment"]
    assert not (tmp_path / "ifcfg").exists()
