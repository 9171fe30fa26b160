"""The modprobe file we render, read by the real modprobe inside the user-mode-linux kernel.

When something brings up ``bond0`` before the driver is loaded, the kernel runs
``modprobe netdev-bond0``. These tests ask kmod what it would do on that path
(``--show-depends``) for our rendered file and for the classic guide's
``options bond0`` form, then really load the driver through our file and read
the new bond's settings from sysfs.
"""

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from salt_bonding.config.model import Bond, Config
from salt_bonding.render import modprobe

from tests.harness import uml as uml_harness

pytestmark = pytest.mark.kernel

BOND0 = Bond(name="bond0", mode="active-backup",
             options={"miimon": "100", "updelay": "200", "primary": "eth0"},
             slaves=["eth0", "eth1"])
BOND1 = Bond(name="bond1", mode="balance-xor", slaves=["eth2"], options={
    "arp_interval": "1000", "arp_ip_target": "192.0.2.1,192.0.2.2", "arp_missed_max": "3"})
CONFIG = Config(modprobe_options=True, bonds={"bond0": BOND0, "bond1": BOND1})
ADMIN_LINES = "# the administrator's own line\noptions dummy numdummies=0\n"
# The classic setup guide's pair: modprobe asks for netdev-bond0 and ignores "options bond0".
CLASSIC = "alias netdev-bond0 bonding\noptions bond0 mode=active-backup miimon=1000\n"


@pytest.fixture(scope="module")
def files():
    base = Path(tempfile.mkdtemp(prefix="bond-modprobe-"))
    base.chmod(0o755)
    version = sorted(p.name for p in uml_harness.UML_MODULES.iterdir())[-1]
    modroot = base / "modroot"
    (modroot / "lib" / "modules").mkdir(parents=True)
    (modroot / "lib" / "modules" / version).symlink_to(uml_harness.UML_MODULES / version)
    ours, classic = base / "ours", base / "classic"
    ours.mkdir()
    classic.mkdir()
    rendered = modprobe.render_modprobe(ADMIN_LINES, CONFIG)
    (ours / "bonding.conf").write_text(rendered)
    (classic / "bonding.conf").write_text(CLASSIC)
    yield {"base": base, "modroot": modroot, "ours": ours, "classic": classic,
           "rendered": rendered}
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def result(uml, files):
    def modprobe(conf_dir, *args):
        return ["modprobe", "-C", str(conf_dir), "-d", str(files["modroot"]), *args]

    run = uml.run([{
        "name": "modprobe-conf",
        "steps": [
            {"id": "ours", "run": modprobe(files["ours"], "--show-depends", "netdev-bond0")},
            {"id": "ours-bond1",
             "run": modprobe(files["ours"], "--show-depends", "netdev-bond1")},
            {"id": "classic",
             "run": modprobe(files["classic"], "--show-depends", "netdev-bond0")},
            # The driver is loaded at boot (max_bonds=0): unload it, then load it the way
            # the kernel's auto-load does. Without max_bonds=0 it creates bond0 itself.
            {"id": "unload", "run": modprobe(files["ours"], "-r", "bonding")},
            {"id": "load", "run": modprobe(files["ours"], "netdev-bond0")},
            {"id": "mode", "read": "/sys/class/net/bond0/bonding/mode"},
            {"id": "miimon", "read": "/sys/class/net/bond0/bonding/miimon"},
            {"id": "updelay", "read": "/sys/class/net/bond0/bonding/updelay"},
            # sysfs shows primary only once a slave of that name is enslaved.
            {"id": "add-eth0", "ip": ["link", "add", "eth0", "type", "dummy"]},
            {"id": "enslave", "ip": ["link", "set", "eth0", "master", "bond0"]},
            {"id": "primary", "read": "/sys/class/net/bond0/bonding/primary"},
        ],
    }])
    return run["modprobe-conf"]


def insmod_line(stdout, module):
    lines = [ln for ln in stdout.splitlines() if re.search(rf"/{module}\.ko(\.\w+)?\b", ln)]
    assert len(lines) == 1, stdout
    return lines[0]


def test_rendered_file_has_the_options_under_the_requested_alias(files):
    assert ADMIN_LINES in files["rendered"]
    assert "options netdev-bond0 mode=active-backup miimon=100 updelay=200 primary=eth0\n" in (
        files["rendered"])


def test_our_options_apply_on_the_auto_load_path(result):
    step = result.step("ours")
    assert step["rc"] == 0, step
    line = insmod_line(step["stdout"], "bonding")
    assert line.startswith("insmod ")
    assert line.split()[2:] == ["mode=active-backup", "miimon=100", "updelay=200",
                                "primary=eth0"]


def test_each_bond_alias_carries_its_own_options(result):
    step = result.step("ours-bond1")
    assert step["rc"] == 0, step
    # arp_ip_target comma-joined, as the module parameter array takes it; arp_missed_max
    # is not a module parameter and stays out.
    assert insmod_line(step["stdout"], "bonding").split()[2:] == [
        "mode=balance-xor", "arp_interval=1000", "arp_ip_target=192.0.2.1,192.0.2.2"]


def test_classic_options_bond0_is_ignored_on_that_path(result):
    step = result.step("classic")
    assert step["rc"] == 0, step
    line = insmod_line(step["stdout"], "bonding")
    assert "mode=" not in line and "miimon=" not in line


def test_driver_loaded_through_our_file_creates_bond0_with_those_options(result):
    assert result.step("unload")["rc"] == 0, result.step("unload")
    assert result.step("load")["rc"] == 0, result.step("load")
    assert result.stdout("mode").split() == ["active-backup", "1"]
    assert result.stdout("miimon").strip() == "100"
    assert result.stdout("updelay").strip() == "200"
    assert result.step("enslave")["rc"] == 0, result.step("enslave")
    assert result.stdout("primary").strip() == "eth0"

