"""The fleet path: one real salt-master, three real salt-minions (issue 5).

``salt '*' saltutil.sync_all`` ships the modules from the master's file root,
``salt '*' state.apply bonding`` reconciles each minion from its own pillar,
``salt '*' bond.status`` / ``bond.health`` report each minion's own bonds (a
different real-kernel capture per minion, see ``conftest.py``).

The tests share the daemons and run in file order; a test that edits a host's
pillar restores it (and re-applies) when it ends.
"""

import copy
import json
import re

import pytest
from salt_bonding.config.modes import MODES
from salt_bonding.config.modes import PROCFS_MODE_NAMES as PROC_MODE_TEXT  # "Bonding Mode:" text
from salt_bonding.config.options import parse_mode

pytestmark = pytest.mark.integration

STATE_ID = "bond_|-bonding_|-bonding_|-reconciled"
MASKED = "**********"  # salt.utils.secret.REDACT_PLACEHOLDER


# -- what each minion should have, from its pillar and its capture -------------
def host_bonds(fleet, minion_id):
    return fleet.host_pillar(minion_id)["bonding"]["bonds"]


def expected_files(bonds):
    """The ifcfg-* file names that a host's bonds call for."""
    names = set()
    for bond, spec in bonds.items():
        names.add(f"ifcfg-{bond}")
        names.update(f"ifcfg-{slave}" for slave in spec["slaves"])
        names.update(f"ifcfg-{bond}.{vid}" for vid in spec.get("vlans") or {})
    return names


IP_KEYS = {"ipaddr": "IPADDR", "prefix": "PREFIX", "netmask": "NETMASK",
           "gateway": "GATEWAY", "mtu": "MTU"}
OPTION_KEYS = ("miimon", "updelay", "downdelay", "primary", "lacp_rate", "xmit_hash_policy",
               "arp_interval", "primary_reselect", "fail_over_mac", "ad_select")


def check_ifcfg(files, bonds, minion_id):
    """Every file says what the pillar asked for, as bash reads it."""
    for bond, spec in bonds.items():
        master = files[f"ifcfg-{bond}"]
        assert master["DEVICE"] == bond, (minion_id, master)
        assert master["TYPE"] == "Bond", (minion_id, master)
        assert master["BONDING_MASTER"] == "yes", (minion_id, master)
        assert master["NM_CONTROLLED"] == "no", (minion_id, master)
        opts = dict(word.split("=", 1) for word in master["BONDING_OPTS"].split())
        assert parse_mode(opts["mode"]) == parse_mode(spec["mode"]), (minion_id, opts)
        for option in OPTION_KEYS:
            if option in spec:
                assert opts.get(option) == str(spec[option]), (minion_id, option, opts)
        for key, variable in IP_KEYS.items():
            if key in spec:
                assert master.get(variable) == str(spec[key]), (minion_id, variable, master)
            elif key in ("ipaddr", "gateway"):
                assert variable not in master, (minion_id, variable, master)
        if spec.get("bootproto"):
            assert master["BOOTPROTO"] == spec["bootproto"], (minion_id, master)
        onboot = "yes" if spec.get("onboot", True) else "no"
        assert master["ONBOOT"] == onboot, (minion_id, master)
        for key, value in (spec.get("ifcfg") or {}).items():
            assert master[key] == value, (minion_id, key, master)
        for slave in spec["slaves"]:
            text = files[f"ifcfg-{slave}"]
            assert text["DEVICE"] == slave, (minion_id, text)
            assert text["MASTER"] == bond, (minion_id, text)
            assert text["SLAVE"] == "yes", (minion_id, text)
            assert text.get("BOOTPROTO", "none") == "none", (minion_id, text)
            assert "IPADDR" not in text, (minion_id, text)
        for vid, vlan in (spec.get("vlans") or {}).items():
            text = files[f"ifcfg-{bond}.{vid}"]
            assert text["DEVICE"] == f"{bond}.{vid}", (minion_id, text)
            assert text["VLAN"] == "yes", (minion_id, text)
            for key, variable in IP_KEYS.items():
                if key in vlan:
                    assert text.get(variable) == str(vlan[key]), (minion_id, variable, text)


def modprobe_aliases(minion):
    text = minion.modprobe_conf.read_text()
    return sorted(line.split() for line in text.splitlines() if line.startswith("alias "))


def addresses(bonds):
    """Every IPv4 address a host's pillar gives its bonds and VLANs."""
    found = set()
    for spec in bonds.values():
        found.update(str(spec[k]) for k in ("ipaddr", "gateway") if k in spec)
        for vlan in (spec.get("vlans") or {}).values():
            found.update(str(vlan[k]) for k in ("ipaddr", "gateway") if k in vlan)
    return found


def capture_truth(minion):
    """What the kernel said in this minion's capture, read straight from the text."""
    truth = {}
    for path in sorted(minion.procfs.iterdir()):
        text = path.read_text()
        mode = re.search(r"^Bonding Mode: (.*?)(?: \(fail_over_mac.*\))?$", text, re.M)[1]
        active = re.search(r"^Currently Active Slave: (\S+)", text, re.M)
        slaves = dict(re.findall(r"^Slave Interface: (\S+)\nMII Status: (.+)$", text, re.M))
        truth[path.name] = {
            "mode": PROC_MODE_TEXT[mode],
            "active_slave": active[1] if active else None,
            "slaves": slaves,
        }
    return truth


# -- salt returns ---------------------------------------------------------------
def state_return(data, minion_id):
    """The single bond.reconciled result of ``state.apply bonding`` on one minion."""
    ret = data[minion_id]
    assert isinstance(ret, dict), f"{minion_id}: state.apply did not run: {ret}"
    assert list(ret) == [STATE_ID], f"{minion_id}: unexpected states {list(ret)}"
    return ret[STATE_ID]


def apply(fleet, *args, fails=False):
    """``salt '*' state.apply bonding``: each minion's result; the exit code says ``fails``."""
    ret = fleet.salt("state.apply", "bonding", *args)
    assert set(ret.data or {}) == set(fleet.minions), ret
    # Salt 3008 hands a master's pillar to the minion as MaskedDict/MaskedList, whose
    # str() is "**********": a comment or diff built from them would say nothing.
    assert MASKED not in json.dumps(ret.data), ret.data
    assert (ret.returncode != 0) == fails, ret
    return {minion_id: state_return(ret.data, minion_id) for minion_id in fleet.minions}


def mtimes(fleet):
    return {minion_id: minion.files() for minion_id, minion in fleet.minions.items()}


def diff_lines(changes):
    """Every line of every unified diff in a state's ``changes`` (any nesting)."""
    lines = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            lines.extend(value.splitlines())

    walk(changes)
    return lines


# -- fixtures -------------------------------------------------------------------
@pytest.fixture(scope="module")
def synced(fleet):
    """``salt '*' saltutil.sync_all`` once, from clean sandboxes."""
    for minion in fleet.minions.values():
        minion.clear()
    ret = fleet.salt("saltutil.sync_all")
    assert ret.returncode == 0, ret
    return ret.data


@pytest.fixture(scope="module")
def applied(fleet, synced):
    """The first ``salt '*' state.apply bonding``: its results and the files' mtimes."""
    results = apply(fleet)
    return results, mtimes(fleet)


# -- tests ----------------------------------------------------------------------
def test_every_minion_answers(fleet):
    ret = fleet.salt("test.ping")
    assert ret.returncode == 0, ret
    assert ret.data == {minion_id: True for minion_id in fleet.minions}


def test_each_minion_gets_its_own_pillar(fleet):
    ret = fleet.salt("pillar.get", "bonding", "unmask=True")
    assert ret.returncode == 0, ret
    for minion_id in fleet.minions:
        # Through msgpack and JSON, the VLAN ids (ints in YAML) arrive as strings.
        expected = json.loads(json.dumps(host_bonds(fleet, minion_id)))
        assert ret.data[minion_id]["bonds"] == expected, minion_id
        # The example leaves format and networkmanager to each minion's platform.
        assert "networkmanager" not in ret.data[minion_id]
        assert ret.data[minion_id]["modprobe_options"] is False


def test_sync_all_ships_the_modules_from_the_master(synced, fleet):
    for minion_id in fleet.minions:
        got = synced[minion_id]
        assert "modules.bond" in got["modules"], (minion_id, got)
        assert "states.bond" in got["states"], (minion_id, got)
        utils = set(got["utils"])
        for name in ("__init__", "config.schema", "render.ifcfg", "observe.status",
                     "observe.health"):
            assert f"utils.salt_bonding.{name}" in utils, (minion_id, got)


def test_apply_succeeds_everywhere_with_changes(applied, fleet):
    results, _ = applied
    for minion_id, result in results.items():
        assert result["result"] is True, (minion_id, result)
        assert result["changes"], (minion_id, result)


def test_each_minion_has_exactly_its_own_files(applied, fleet):
    for minion_id, minion in fleet.minions.items():
        bonds = host_bonds(fleet, minion_id)
        files = minion.ifcfg()
        assert set(files) == expected_files(bonds), minion_id
        check_ifcfg(files, bonds, minion_id)
        assert modprobe_aliases(minion) == sorted(
            ["alias", f"netdev-{bond}", "bonding"] for bond in bonds), minion_id


def test_nobody_gets_another_hosts_addresses(applied, fleet):
    for minion_id, minion in fleet.minions.items():
        own = addresses(host_bonds(fleet, minion_id))
        others = set().union(*(addresses(host_bonds(fleet, other))
                               for other in fleet.minions if other != minion_id))
        text = "\n".join(path.read_text() for path in minion.files())
        assert all(address in text for address in own), minion_id
        leaked = {address for address in others - own if address in text}
        assert not leaked, (minion_id, leaked)


def test_second_apply_changes_nothing_anywhere(applied, fleet):
    _, before = applied
    results = apply(fleet)
    for minion_id, result in results.items():
        assert result["result"] is True, (minion_id, result)
        assert result["changes"] == {}, (minion_id, result)
    assert mtimes(fleet) == before


def db1_with_a_changed_and_a_new_vlan(fleet):
    pillar = copy.deepcopy(fleet.host_pillar("db1"))
    vlans = pillar["bonding"]["bonds"]["bond0"]["vlans"]
    assert vlans[100]["ipaddr"] == "198.51.100.20"  # the example the edit starts from
    vlans[100]["ipaddr"] = "198.51.100.21"
    vlans[300] = {"ipaddr": "192.0.2.220", "prefix": 24}
    return pillar


def test_pillar_change_reaches_only_that_minion(applied, fleet):
    db1 = fleet.minions["db1"]
    with fleet.edited_pillar("db1", db1_with_a_changed_and_a_new_vlan(fleet)):
        before = mtimes(fleet)

        # test=True: only db1 would change, with diffs; nothing is written.
        results = apply(fleet, "test=True")
        assert results["db1"]["result"] is None, results["db1"]
        assert results["db1"]["changes"], results["db1"]
        lines = diff_lines(results["db1"]["changes"])
        assert "-IPADDR=198.51.100.20" in lines, lines
        assert "+IPADDR=198.51.100.21" in lines, lines
        assert "+IPADDR=192.0.2.220" in lines, lines
        assert any(line.startswith("+++") and "ifcfg-bond0.300" in line for line in lines), lines
        for minion_id in ("web1", "app1"):
            assert results[minion_id]["result"] is True, results[minion_id]
            assert results[minion_id]["changes"] == {}, results[minion_id]
        assert mtimes(fleet) == before
        assert not (db1.ifcfg_dir / "ifcfg-bond0.300").exists()

        # For real: db1's files follow its new pillar; the others are untouched.
        results = apply(fleet)
        assert results["db1"]["result"] is True, results["db1"]
        assert results["db1"]["changes"], results["db1"]
        files = db1.ifcfg()
        assert files["ifcfg-bond0.100"]["IPADDR"] == "198.51.100.21"
        assert files["ifcfg-bond0.300"]["IPADDR"] == "192.0.2.220"
        assert files["ifcfg-bond0.300"]["VLAN"] == "yes"
        after = mtimes(fleet)
        for minion_id in ("web1", "app1"):
            assert results[minion_id]["changes"] == {}, results[minion_id]
            assert after[minion_id] == before[minion_id], minion_id

        # Again: nothing to do anywhere, nothing written.
        results = apply(fleet)
        for minion_id, result in results.items():
            assert result["result"] is True, (minion_id, result)
            assert result["changes"] == {}, (minion_id, result)
        assert mtimes(fleet) == after

    # The pillar is back: reconciled removed the VLAN it no longer lists.
    assert not (db1.ifcfg_dir / "ifcfg-bond0.300").exists()
    assert db1.ifcfg()["ifcfg-bond0.100"]["IPADDR"] == "198.51.100.20"


def test_invalid_pillar_fails_that_minion_only(applied, fleet):
    pillar = copy.deepcopy(fleet.host_pillar("app1"))
    bond0 = pillar["bonding"]["bonds"]["bond0"]
    bond0["miimonn"] = bond0.pop("miimon")  # a typo an administrator makes
    with fleet.edited_pillar("app1", pillar):
        before = mtimes(fleet)
        results = apply(fleet, fails=True)  # the salt command exits non-zero
        app1 = results["app1"]
        assert app1["result"] is False, app1
        assert app1["changes"] == {}, app1
        assert "bonding:bonds:bond0" in app1["comment"], app1["comment"]
        assert "miimonn" in app1["comment"], app1["comment"]
        assert "miimon'" in app1["comment"].replace("miimonn", ""), app1["comment"]
        for minion_id in ("web1", "db1"):
            assert results[minion_id]["result"] is True, results[minion_id]
            assert results[minion_id]["changes"] == {}, results[minion_id]
        assert mtimes(fleet) == before


def test_bond_status_reports_each_minions_own_bonds(synced, fleet):
    ret = fleet.salt("bond.status", "--out=json")
    assert ret.returncode == 0, ret
    assert set(ret.data) == set(fleet.minions), ret
    for minion_id, minion in fleet.minions.items():
        status = ret.data[minion_id]
        truth = capture_truth(minion)
        assert set(status) == set(truth), (minion_id, sorted(status))
        for bond, expected in truth.items():
            got = status[bond]
            assert "error" not in got, (minion_id, bond, got)
            assert got["mode"] == expected["mode"], (minion_id, bond)
            assert got["mode_id"] == MODES.index(expected["mode"]), (minion_id, bond)
            assert got["active_slave"] == expected["active_slave"], (minion_id, bond)
            assert {name: slave["mii_status"] for name, slave in got["slaves"].items()} \
                == expected["slaves"], (minion_id, bond)
        if status and next(iter(status.values()))["mode"] == "802.3ad":
            for bond, got in status.items():
                assert got["ad"]["partner_mac"] != "00:00:00:00:00:00", (minion_id, bond)


def test_bond_health_gives_each_minion_its_own_verdict(synced, fleet):
    ret = fleet.salt("bond.health", "--out=json")
    assert set(ret.data) == set(fleet.minions), ret
    assert ret.returncode != 0, ret  # app1 and db1 are not ok: monitoring sees a failure
    verdicts = {minion_id: ret.data[minion_id]["status"] for minion_id in fleet.minions}
    # Each minion reads a capture as its kernel. web1's holds its pillar's bond0, healthy.
    # db1's holds two healthy 802.3ad bonds, but not the bond0 its pillar gives: down.
    # app1's bond0 lost its active slave's link, and its pillar's bond1 is not there.
    assert verdicts == {"web1": "ok", "db1": "down", "app1": "down"}, \
        json.dumps(ret.data, indent=1)
    assert set(ret.data["db1"]["bonds"]) == {"bond0", "bond1", "bond2"}
    missing = {"status": "down", "problems": [
        "not in the kernel, but pillar 'bonding' gives it (is the bonding driver loaded? was "
        "the bond brought up?)"]}
    assert ret.data["db1"]["bonds"]["bond0"] == missing
    assert ret.data["app1"]["bonds"]["bond1"] == missing
    app1 = ret.data["app1"]["bonds"]["bond0"]
    assert app1["status"] == "degraded"
    assert any("va" in problem for problem in app1["problems"]), app1
    for minion_id, bonds in (("web1", ["bond0"]), ("db1", ["bond1", "bond2"])):
        for bond in bonds:
            health = ret.data[minion_id]["bonds"][bond]
            assert health == {"status": "ok", "problems": []}, (minion_id, bond, health)
