"""The bond state through Salt's real loader: salt-call --local state.apply / state.single.

Files are read back the way initscripts read them: bash sources them.
"""

import copy
import os

import pytest

from tests.harness import nm
from tests.harness.saltcall import REPO, RHEL7_GRAINS, SaltCall, apply, formula_root
from tests.harness.shell import source_with_bash

pytestmark = pytest.mark.functional

MARK = ("# Managed by Salt (bond state, {}; owner bond.reconciled:bonding)."
        " Local changes will be overwritten.")

DB_PILLAR = {
    "bonding": {
        "bonds": {
            "bond0": {
                "mode": "802.3ad",
                "slaves": ["ens1f0", "ens1f1", "ens2f0", "ens2f1"],
                "miimon": "100",  # a string number: Salt's network.managed crashes on it
                "lacp_rate": 1,  # a number for an enum: rejected by network.managed
                "xmit_hash_policy": "Layer3+4",
                "mtu": 9000,
                "ifcfg": {"ETHTOOL_OPTS": "-K bond0 gro off"},
                "vlans": {
                    100: {"ipaddr": "198.51.100.20", "prefix": 24, "gateway": "198.51.100.1"},
                    "200": {"ipaddr": "203.0.113.20", "netmask": "255.255.255.0"},
                },
            },
            "bond1": {
                "mode": "Active-Backup",
                "slaves": ["eno1", "eno2"],
                "miimon": 100,
                "primary": "eno1",
                "ipaddr": "192.0.2.30",
                "prefix": 24,  # no gateway: bond0's VLAN 100 has the default route
            },
        }
    }
}


def sourced(salt):
    """``{filename: {VAR: value}}`` for every file in the ifcfg dir, as bash reads it."""
    run_dir = salt.root / "bash-cwd"
    run_dir.mkdir(exist_ok=True)
    files = {p.name: source_with_bash(p, run_dir) for p in sorted(salt.ifcfg_dir.iterdir())}
    assert list(run_dir.iterdir()) == [], "sourcing a written file created files"
    return files


def snapshot(salt):
    """``{path: (mtime_ns, text)}`` of every file the state may touch."""
    paths = [*salt.ifcfg_dir.iterdir(), salt.modprobe_conf]
    return {str(p): (p.stat().st_mtime_ns, p.read_text()) for p in paths if p.is_file()}


@pytest.fixture
def db(salt_call):
    salt_call.set_pillar(DB_PILLAR)
    return salt_call


def test_files_say_what_pillar_says_as_bash_reads_them(db):
    rc, state = apply(db)
    assert rc == 0 and state["result"] is True, state
    files = sourced(db)
    assert sorted(files) == [
        "ifcfg-bond0", "ifcfg-bond0.100", "ifcfg-bond0.200", "ifcfg-bond1",
        "ifcfg-eno1", "ifcfg-eno2", "ifcfg-ens1f0", "ifcfg-ens1f1", "ifcfg-ens2f0",
        "ifcfg-ens2f1",
    ]
    assert files["ifcfg-bond0"] == {
        "DEVICE": "bond0", "NAME": "bond0", "TYPE": "Bond", "BONDING_MASTER": "yes",
        "BONDING_OPTS": "mode=802.3ad miimon=100 xmit_hash_policy=layer3+4 lacp_rate=fast",
        "ONBOOT": "yes", "BOOTPROTO": "none", "MTU": "9000", "NM_CONTROLLED": "no",
        "ETHTOOL_OPTS": "-K bond0 gro off",
    }
    assert files["ifcfg-bond1"] == {
        "DEVICE": "bond1", "NAME": "bond1", "TYPE": "Bond", "BONDING_MASTER": "yes",
        "BONDING_OPTS": "mode=active-backup miimon=100 primary=eno1",
        "ONBOOT": "yes", "BOOTPROTO": "static", "IPADDR": "192.0.2.30", "PREFIX": "24",
        "NM_CONTROLLED": "no",
    }
    for slave, master in (("ens1f0", "bond0"), ("ens2f1", "bond0"), ("eno2", "bond1")):
        assert files[f"ifcfg-{slave}"] == {
            "DEVICE": slave, "NAME": slave, "TYPE": "Ethernet", "MASTER": master,
            "SLAVE": "yes", "BOOTPROTO": "none", "ONBOOT": "yes", "NM_CONTROLLED": "no",
        }
    vlan100 = files["ifcfg-bond0.100"]
    assert vlan100["DEVICE"] == "bond0.100" and vlan100["VLAN"] == "yes"
    assert (vlan100["IPADDR"], vlan100["PREFIX"], vlan100["GATEWAY"]) == (
        "198.51.100.20", "24", "198.51.100.1")
    assert files["ifcfg-bond0.200"]["NETMASK"] == "255.255.255.0"
    assert "PREFIX" not in files["ifcfg-bond0.200"]
    for name in files:
        owner = name.split("-", 1)[1].split(".")[0]
        owner = "bond1" if owner in ("eno1", "eno2") else "bond0" if owner != "bond1" else owner
        first = (db.ifcfg_dir / name).read_text().splitlines()[0]
        assert first == MARK.format(owner)
        assert oct((db.ifcfg_dir / name).stat().st_mode & 0o777) == "0o644"
    modprobe = db.modprobe_conf.read_text().splitlines()
    assert modprobe[0].startswith("# Partly managed by Salt")
    assert [ln for ln in modprobe if not ln.startswith("#")] == [
        "alias netdev-bond0 bonding", "alias netdev-bond1 bonding"]


def test_test_mode_writes_nothing_and_shows_diffs(db):
    rc, state = apply(db, "test=True")
    assert state["result"] is None, state
    assert list(db.ifcfg_dir.iterdir()) == [] and not db.modprobe_conf.exists()
    bond_file = str(db.ifcfg_dir / "ifcfg-bond0")
    assert state["changes"][bond_file]["action"] == "created"
    assert "+BONDING_OPTS=\"mode=802.3ad miimon=100" in state["changes"][bond_file]["diff"]
    assert len(state["changes"]) == 11  # ten ifcfg files and the modprobe file
    assert "would be written" in state["comment"]


def test_test_mode_reports_the_same_changes_as_the_real_run(db):
    _, dry = apply(db, "test=True")
    _, real = apply(db)
    assert dry["changes"] == real["changes"]


def test_second_run_changes_nothing_and_writes_nothing(db):
    apply(db)
    before = snapshot(db)
    rc, state = apply(db)
    assert rc == 0 and state["result"] is True
    assert state["changes"] == {}
    assert "already match" in state["comment"]
    assert snapshot(db) == before  # same bytes and same mtimes
    _, dry = apply(db, "test=True")
    assert dry["result"] is True and dry["changes"] == {}


def test_a_changed_option_rewrites_only_that_file(db):
    apply(db)
    before = snapshot(db)
    pillar = copy.deepcopy(DB_PILLAR)
    pillar["bonding"]["bonds"]["bond1"]["miimon"] = 200
    db.set_pillar(pillar)
    _, state = apply(db)
    bond1 = str(db.ifcfg_dir / "ifcfg-bond1")
    assert list(state["changes"]) == [bond1]
    assert "-BONDING_OPTS=\"mode=active-backup miimon=100" in state["changes"][bond1]["diff"]
    after = snapshot(db)
    assert {p for p in after if after[p] != before[p]} == {bond1}


def test_bonds_gone_from_pillar_are_removed_unmanaged_files_kept(db):
    # The administrator's own files: an unmarked ifcfg, and lines in the modprobe file.
    own_ifcfg = db.ifcfg_dir / "ifcfg-eth9"
    own_ifcfg.write_text("DEVICE=eth9\nONBOOT=yes\n")
    db.modprobe_conf.write_text("# local\noptions bonding max_bonds=0\n")
    apply(db)
    pillar = copy.deepcopy(DB_PILLAR)
    del pillar["bonding"]["bonds"]["bond0"]
    db.set_pillar(pillar)
    _, state = apply(db)
    assert state["result"] is True
    removed = {os.path.basename(p) for p, c in state["changes"].items() if c["action"] == "removed"}
    assert removed == {"ifcfg-bond0", "ifcfg-bond0.100", "ifcfg-bond0.200", "ifcfg-ens1f0",
                       "ifcfg-ens1f1", "ifcfg-ens2f0", "ifcfg-ens2f1"}
    assert sorted(p.name for p in db.ifcfg_dir.iterdir()) == [
        "ifcfg-bond1", "ifcfg-eno1", "ifcfg-eno2", "ifcfg-eth9"]
    assert own_ifcfg.read_text() == "DEVICE=eth9\nONBOOT=yes\n"
    modprobe = db.modprobe_conf.read_text()
    assert "options bonding max_bonds=0\n" in modprobe and "# local\n" in modprobe
    assert "alias netdev-bond1 bonding" in modprobe and "netdev-bond0" not in modprobe
    # bonds: {} removes everything this module wrote, and only that.
    db.set_pillar({"bonding": {"bonds": {}}})
    _, state = apply(db)
    assert state["result"] is True
    assert [p.name for p in db.ifcfg_dir.iterdir()] == ["ifcfg-eth9"]
    assert "netdev-" not in db.modprobe_conf.read_text()
    assert "options bonding max_bonds=0" in db.modprobe_conf.read_text()


def test_missing_pillar_key_is_an_error_not_a_wipe(db):
    apply(db)
    before = snapshot(db)
    db.set_pillar({})
    rc, state = apply(db)
    assert rc != 0 and state["result"] is False
    assert "bonding" in state["comment"] and "bonds: {}" in state["comment"]
    assert snapshot(db) == before


EXAMPLE_PILLAR = REPO / "pillar.example"


@pytest.mark.parametrize("test_mode", [False, True])
def test_a_minion_matching_no_host_in_the_example_tree_keeps_its_bonds(tmp_path, test_mode):
    """The shipped layout: a renamed minion gets no bonding pillar, so nothing is removed."""
    salt = SaltCall(tmp_path / "web1", minion_id="web1",
                    pillar_roots={"base": [str(EXAMPLE_PILLAR)]})
    rc, state = apply(salt)
    assert rc == 0 and state["result"] is True, state
    assert len(list(salt.ifcfg_dir.iterdir())) == 3
    before = snapshot(salt)
    salt.configure(id="web9")  # renamed, or a typo in top.sls
    rc, state = apply(salt, *(["test=True"] if test_mode else []))
    assert rc != 0 and state["result"] is False, state
    assert state["comment"].startswith("No files changed. bonding: no pillar data"), state
    assert "set bonds: {}" in state["comment"]
    assert state["changes"] == {}
    assert snapshot(salt) == before


def test_all_bonds_commented_out_is_an_error_not_a_wipe(db, tmp_path):
    apply(db)
    before = snapshot(db)
    # What a host file looks like once every bond under `bonds:` is commented out.
    pillar_dir = tmp_path / "commented"
    pillar_dir.mkdir()
    (pillar_dir / "top.sls").write_text("base:\n  '*':\n    - host\n")
    (pillar_dir / "host.sls").write_text(
        "bonding:\n  networkmanager: unmanaged\n  bonds:\n#   bond0:\n#     mode: 1\n")
    db.configure(pillar_roots={"base": [str(pillar_dir)]})
    for extra in ((), ("test=True",)):
        rc, state = apply(db, *extra)
        assert rc != 0 and state["result"] is False, state
        assert "bonding:bonds: is null (were all its bonds commented out?)" in state["comment"]
        assert snapshot(db) == before


@pytest.mark.parametrize(
    "change, path, words",
    [
        ({"miimonn": 100}, "bonding:bonds:bond1", ["miimonn", "did you mean 'miimon'"]),
        ({"mode": "active-standby"}, "bonding:bonds:bond1:mode", ["active-backup (1)"]),
        ({"arp_interval": 100, "arp_ip_target": ["192.0.2.1"]}, "bonding:bonds:bond1",
         ["miimon", "arp_interval"]),
        ({"primary": "eth7"}, "bonding:bonds:bond1:primary", ["eno1", "eno2"]),
        ({"updelay": 150}, "bonding:bonds:bond1:updelay", ["multiple", "100"]),
        ({"lacp_rate": "fast"}, "bonding:bonds:bond1:lacp_rate", ["802.3ad"]),
        ({"slaves": ["eno1", "ens1f0"]}, "ens1f0", ["bond0", "bond1"]),
        ({"slaves": ["eno1", "bond0"]}, "bond0", ["bond"]),
        ({"slaves": ["eno1", "eth0/../../x"]}, "bonding:bonds:bond1:slaves", ["/"]),
        ({"ipaddr": "192.0.2.300"}, "bonding:bonds:bond1:ipaddr", ["IPv4"]),
        ({"prefix": 33}, "bonding:bonds:bond1:prefix", ["0-32"]),
        ({"mtu": 67}, "bonding:bonds:bond1:mtu", ["68-65535"]),
        ({"vlans": {4095: {}}}, "bonding:bonds:bond1:vlans", ["1-4094"]),
        ({"ifcfg": {"lower": "x"}}, "bonding:bonds:bond1:ifcfg", ["[A-Z][A-Z0-9_]*"]),
        ({"arp_ip_target": ["192.0.2.1"]}, "bonding:bonds:bond1", ["arp_interval"]),
    ],
)
def test_bad_pillar_fails_naming_the_key_and_writes_nothing(db, change, path, words):
    apply(db)
    before = snapshot(db)
    pillar = copy.deepcopy(DB_PILLAR)
    pillar["bonding"]["bonds"]["bond1"].update(change)
    db.set_pillar(pillar)
    rc, state = apply(db)
    assert rc != 0 and state["result"] is False
    assert state["changes"] == {}
    assert path in state["comment"], state["comment"]
    for word in words:
        assert word in state["comment"], state["comment"]
    assert "Traceback" not in state["comment"]
    assert snapshot(db) == before


def test_warnings_do_not_fail_the_run(salt_call):
    salt_call.set_pillar({"bonding": {"modprobe_options": True, "bonds": {
        "bond0": {"mode": "balance-rr", "slaves": ["eth0", "eth1"], "miimon": 100,
                  "vlans": {10: {"ipaddr": "192.0.2.5", "prefix": 24}}},
        "bond1": {"mode": "active-backup", "slaves": ["eth2", "eth3"], "miimon": 100}}}})
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True
    assert "active-backup" in state["comment"]  # the VLAN-over-balance-rr advice
    assert "every bond" in state["comment"]  # module options apply to every bond
    # Salt's own place for them, which its outputters highlight:
    assert sorted(w.split(": ", 1)[0] for w in state["warnings"]) == [
        "bonding:bonds:bond0:vlans", "bonding:modprobe_options"], state
    rc, text = salt_call.run("state.apply", "bonding", out="highstate")
    assert "    Warnings: bonding:" in text and "\nWarnings:  1\n" in text, text


def test_managed_names_its_arguments_once_and_takes_yes_for_true(salt_call):
    _, ret = salt_call.run("state.single", "bond.managed", "name=bond0", "mode=1",
                           'slaves=["eth0"]', "miimon=x", "onboot=yes")
    (state,) = ret.values()
    assert state["result"] is False
    assert "bond0:bond.managed:miimon: invalid value 'x'" in state["comment"], state
    assert "bond.managed:bond0" not in state["comment"]
    assert "onboot" not in state["comment"]


def test_a_misspelt_format_fails_the_run_and_any_case_is_taken_alike(salt_call):
    """``format: ifupdown`` was accepted and ignored (issue 26): a misspelt format is
    refused now, with the pillar path and the allowed values, nothing written; the state
    arguments read the same table, in any case, as pillar does."""
    salt_call.set_pillar({"bonding": {"format": "interfaces", **BOND0}})
    rc, state = apply(salt_call)
    assert rc != 0 and state["result"] is False and state["changes"] == {}, state
    assert state["comment"] == ("No files changed. bonding:format: invalid value 'interfaces': "
                                "expected one of auto, ifcfg, keyfile, ifupdown, netplan"), \
        state["comment"]
    assert "Traceback" not in state["comment"]
    assert list(salt_call.ifcfg_dir.iterdir()) == [] and not salt_call.modprobe_conf.exists()
    _, ret = salt_call.run("state.single", "bond.managed", "name=bond0", "mode=1",
                           'slaves=["eth0"]', "miimon=100", "format=IFCFG",
                           "networkmanager=Unmanaged")
    (state,) = ret.values()
    assert state["result"] is True and "ifcfg-bond0" in state["comment"], state
    _, ret = salt_call.run("state.single", "bond.managed", "name=bond0", "mode=1",
                           'slaves=["eth0"]', "miimon=100", "format=ifcfgg")
    (state,) = ret.values()
    assert state["result"] is False and state["comment"] == (
        "No files changed. bond0:bond.managed:format: invalid value 'ifcfgg': expected one of "
        "auto, ifcfg, keyfile, ifupdown, netplan; did you mean 'ifcfg'?"), state


def test_networkmanager_disabled_is_reported_where_there_is_none(salt_call):
    pillar = copy.deepcopy(DB_PILLAR)
    pillar["bonding"]["networkmanager"] = "Disabled"
    salt_call.set_pillar(pillar)
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True
    # The sandbox says RHEL 7 (systemd) where systemd does not run: Salt's service module
    # raises; the state says so instead of a traceback.
    assert state["warnings"] == [
        "NetworkManager was not disabled: the service manager cannot be asked (Cannot run in "
        "offline mode. Failed to get information on unit 'NetworkManager')"], state
    assert "NetworkManager" not in state["changes"]
    pillar["bonding"]["networkmanager"] = "off"
    salt_call.set_pillar(pillar)
    _, state = apply(salt_call)
    assert state["result"] is False
    assert "bonding:networkmanager" in state["comment"] and "unmanaged" in state["comment"]


# -- all or nothing, symlinks -------------------------------------------------------
def test_one_failing_write_changes_nothing(db):
    apply(db)
    before = snapshot(db)
    pillar = copy.deepcopy(DB_PILLAR)
    pillar["bonding"]["bonds"]["bond1"]["miimon"] = 300
    pillar["bonding"]["bonds"]["bond1"]["slaves"] = ["eno1", "eno2", "eno3"]
    db.set_pillar(pillar)
    blocker = db.ifcfg_dir / "ifcfg-eno3"
    blocker.mkdir()  # a directory where the new slave file must go: that write fails
    rc, state = apply(db)
    assert rc != 0 and state["result"] is False
    assert str(blocker) in state["comment"]
    assert state["changes"] == {}
    blocker.rmdir()
    restored = {path: text for path, (_, text) in snapshot(db).items()}
    assert restored == {path: text for path, (_, text) in before.items()}


def test_a_symlink_at_a_target_is_replaced_not_followed(db, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    (db.ifcfg_dir / "ifcfg-eno1").symlink_to(outside)
    _, state = apply(db)
    assert state["result"] is True
    assert outside.read_text() == "precious\n"
    target = db.ifcfg_dir / "ifcfg-eno1"
    assert not target.is_symlink() and "MASTER=bond1" in target.read_text()


# -- injection ---------------------------------------------------------------------
PAYLOADS = ['"; touch pwned; "', "$(touch pwned)", "`touch pwned`", "x\ntouch pwned",
            "'; touch pwned; '", "\\\"; touch pwned; #", "${IFS}touch${IFS}pwned"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_free_text_are_inert_and_read_back_exactly(db, payload):
    pillar = copy.deepcopy(DB_PILLAR)
    pillar["bonding"]["bonds"]["bond0"]["ifcfg"]["ETHTOOL_OPTS"] = payload
    pillar["bonding"]["bonds"]["bond0"]["vlans"][100]["ifcfg"] = {"ZONE": payload}
    db.set_pillar(pillar)
    _, state = apply(db)
    assert state["result"] is True, state
    files = sourced(db)  # asserts that sourcing created no file
    assert files["ifcfg-bond0"]["ETHTOOL_OPTS"] == payload
    assert files["ifcfg-bond0.100"]["ZONE"] == payload


@pytest.mark.parametrize("field", ["primary", "ipaddr", "gateway", "slave", "bond", "option",
                                   "netmask", "vlan"])
@pytest.mark.parametrize("payload", PAYLOADS[:4])
def test_payloads_in_structured_fields_are_refused(db, field, payload):
    pillar = copy.deepcopy(DB_PILLAR)
    bond1 = pillar["bonding"]["bonds"]["bond1"]
    if field == "slave":
        bond1["slaves"] = ["eno1", payload]
    elif field == "bond":
        pillar["bonding"]["bonds"][payload] = pillar["bonding"]["bonds"].pop("bond1")
    elif field == "option":
        bond1["primary_reselect"] = payload
    elif field == "vlan":
        bond1["vlans"] = {payload: {}}
    else:
        bond1[field] = payload
    db.set_pillar(pillar)
    rc, state = apply(db)
    assert state["result"] is False, state
    assert list(db.ifcfg_dir.iterdir()) == []
    assert not (db.root / "pwned").exists()


# -- bond.managed and bond.absent ----------------------------------------------------
def test_managed_and_absent_leave_other_bonds_alone(db):
    apply(db)
    rc, ret = db.run("state.single", "bond.managed", "name=bond7", "mode=1",
                     'slaves=["eth5", "eth6"]', "miimon=200", "primary=eth6")
    (state,) = ret.values()
    assert state["result"] is True, state
    files = sourced(db)
    assert files["ifcfg-bond7"]["BONDING_OPTS"] == "mode=active-backup miimon=200 primary=eth6"
    assert files["ifcfg-eth5"]["MASTER"] == "bond7"
    assert "alias netdev-bond7 bonding" in db.modprobe_conf.read_text()
    assert "alias netdev-bond0 bonding" in db.modprobe_conf.read_text()

    # bond0's files were written by the formula's bond.reconciled: refused, with the way out.
    _, ret = db.run("state.single", "bond.absent", "name=bond0")
    (state,) = ret.values()
    assert state["result"] is False and state["changes"] == {}, state
    assert "bond.absent with force: true removes its files" in state["comment"]
    _, ret = db.run("state.single", "bond.absent", "name=bond0", "force=True")
    (state,) = ret.values()
    assert state["result"] is True
    names = sorted(p.name for p in db.ifcfg_dir.iterdir())
    assert names == ["ifcfg-bond1", "ifcfg-bond7", "ifcfg-eno1", "ifcfg-eno2", "ifcfg-eth5",
                     "ifcfg-eth6"]
    modprobe = db.modprobe_conf.read_text()
    assert "netdev-bond0" not in modprobe and "alias netdev-bond7 bonding" in modprobe

    _, ret = db.run("state.single", "bond.absent", "name=bond0")
    (state,) = ret.values()
    assert state["result"] is True and state["changes"] == {}


def test_managed_rejects_bad_arguments_naming_them(salt_call):
    _, ret = salt_call.run("state.single", "bond.managed", "name=bond0", "mode=9",
                           'slaves=["eth0"]')
    (state,) = ret.values()
    assert state["result"] is False
    assert "mode" in state["comment"] and "balance-rr (0)" in state["comment"]
    assert list(salt_call.ifcfg_dir.iterdir()) == []


def sls_tree(salt, tmp_path, text):
    """A state tree with ``both.sls`` holding ``text``, ahead of the formula's."""
    tree = tmp_path / "states"
    tree.mkdir(exist_ok=True)
    (tree / "both.sls").write_text(text)
    salt.configure(file_roots={"base": [str(tree), str(formula_root(tmp_path))]})


BOTH_SLS = """
bonding:
  bond.reconciled: []

bond7:
  bond.managed:
    - mode: active-backup
    - slaves: [eth7]
    - miimon: 100
"""


def test_reconciled_beside_managed_converges(db, tmp_path):
    """The state module's docstring shows both side by side: the second run changes nothing."""
    sls_tree(db, tmp_path, BOTH_SLS)
    rc, first = db.run("state.apply", "both")
    assert rc == 0 and all(s["result"] is True for s in first.values()), first
    before = snapshot(db)
    rc, second = db.run("state.apply", "both")
    assert rc == 0, second
    assert [s["changes"] for s in second.values()] == [{}, {}], second
    assert snapshot(db) == before
    assert "alias netdev-bond7 bonding" in db.modprobe_conf.read_text()


@pytest.mark.parametrize("test_mode", [False, True])
def test_a_bond_in_two_states_is_refused_at_the_first_run(db, tmp_path, test_mode):
    sls_tree(db, tmp_path, BOTH_SLS.replace("bond7", "bond0").replace("eth7", "eth0"))
    rc, ret = db.run("state.apply", "both", *(["test=True"] if test_mode else []))
    assert rc != 0, ret
    states = {s["__id__"]: s for s in ret.values()}
    assert states["bonding"]["result"] is (None if test_mode else True), states
    refused = states["bond0"]
    assert refused["result"] is False and refused["changes"] == {}, refused
    # Said from this run's claims (test mode: nothing on disk yet) or from the marks
    # the first state just wrote; the way out either way.
    said = ("bond bond0 is also handled by bond.reconciled:bonding in this run" if test_mode
            else "belongs to bond bond0, written by bond.reconciled:bonding")
    assert said in refused["comment"], refused
    assert "remove bond0 from pillar 'bonding', or that state, first" in refused["comment"]
    if not test_mode:  # and on the next run, from the marks on disk
        before = snapshot(db)
        rc, again = db.run("state.apply", "both")
        refused = {s["__id__"]: s for s in again.values()}["bond0"]
        assert refused["result"] is False and "written by bond.reconciled:bonding" in (
            refused["comment"])
        assert snapshot(db) == before


@pytest.mark.parametrize("layout, reason", [
    ("directory at a target", "it is a directory, not a file"),
    ("ifcfg dir is a file", "is not a directory"),
    # A directory the minion config names is made with its parents (issue 26), unless one
    # of them is a file.
    ("a parent is a file", "plainfile is not a directory"),
])
def test_test_mode_fails_where_the_real_run_would(db, tmp_path, layout, reason):
    if layout == "directory at a target":
        (db.ifcfg_dir / "ifcfg-eno1").mkdir()
    elif layout == "ifcfg dir is a file":
        db.ifcfg_dir.rmdir()
        db.ifcfg_dir.write_text("not a directory\n")
    else:
        (tmp_path / "plainfile").write_text("a file\n")
        db.configure(**{"bond.ifcfg_dir": str(tmp_path / "plainfile" / "no" / "such")})
    before = snapshot(db) if db.ifcfg_dir.is_dir() else None
    rc, predicted = apply(db, "test=True")
    rc_real, real = apply(db)
    assert rc != 0 and rc_real != 0
    assert predicted["result"] is False and real["result"] is False, (predicted, real)
    assert predicted["comment"] == real["comment"], (predicted, real)
    assert reason in real["comment"] and "nothing had been changed" in real["comment"]
    assert predicted["changes"] == real["changes"] == {}
    if before is not None:
        assert snapshot(db) == before
    assert not db.modprobe_conf.exists()


INSTALLERS_SLAVE = """# Created by anaconda
TYPE=Ethernet
BOOTPROTO=none
DEFROUTE=yes
NAME=ens1f0
DEVICE=ens1f0
ONBOOT=yes
IPADDR=192.0.2.77
PREFIX=24
DNS1=192.0.2.53
"""


def test_taking_over_an_installers_file_says_what_it_drops_and_keeps_a_backup(db):
    theirs = db.ifcfg_dir / "ifcfg-ens1f0"
    theirs.write_text(INSTALLERS_SLAVE)
    theirs.chmod(0o600)
    db.modprobe_conf.write_text("blacklist bonding\ninstall bonding /bin/true\n"
                                "alias netdev-bond1 e1000e\noptions dummy numdummies=0\n")
    backups = db.root / "salt" / "var" / "cache" / "salt" / "minion" / "file_backup"
    for extra in (("test=True",), ()):
        rc, state = apply(db, *extra)
        assert rc == 0, state
        warnings = "\n".join(state["warnings"])
        assert (f"{theirs}: not written by Salt; taking it over drops DEFROUTE, DNS1, IPADDR, "
                "PREFIX") in warnings, warnings
        assert f"{db.modprobe_conf}: 'blacklist bonding': modprobe will not load the driver" in (
            warnings)
        assert "'install bonding /bin/true': modprobe runs that command instead" in warnings
        assert ("'alias netdev-bond1 e1000e' outside Salt's block: a second alias for bond1"
                in warnings)
        if extra:
            assert theirs.read_text() == INSTALLERS_SLAVE and not backups.exists()
    assert "Backed up before replacing them: " + str(theirs) in state["comment"]
    [backup] = (backups / str(db.ifcfg_dir)[1:]).iterdir()
    assert backup.name.startswith("ifcfg-ens1f0_") and backup.read_text() == INSTALLERS_SLAVE
    assert oct(theirs.stat().st_mode & 0o777) == "0o600"  # it was stricter: it stays so
    assert "MASTER=bond0" in theirs.read_text()
    rc, listed = db.run("file.list_backups", str(theirs))
    assert rc == 0 and len(listed) == 1, listed


def test_names_and_keys_that_cannot_work_are_refused_through_salt(salt_call):
    salt_call.set_pillar({"bonding": {"bonds": {
        "bond0": {"mode": 1, "miimon": 100, "slaves": ["eth0", "lo"],
                  "ifcfg": {"EXECIGNORE": "*", "ETHTOOL_OPT": "-K bond0 gro off"},
                  "vlans": {100: {"ifcfg": {"FUNCNEST": 1}}}},
        "lo": {"mode": 1, "miimon": 100, "slaves": ["eth9"]}}}})
    rc, state = apply(salt_call)
    assert rc != 0 and state["result"] is False
    for said in (
        "bonding:bonds:bond0:slaves:1: 'lo' is the loopback interface; it cannot be a bond's "
        "slave",
        "bonding:bonds:lo: 'lo' is the loopback interface, never a bond",
        "bonding:bonds:bond0:ifcfg:EXECIGNORE: EXECIGNORE is not an ifcfg key: it would change "
        "the shell that sources the file",
        "bonding:bonds:bond0:vlans:100:ifcfg:FUNCNEST: FUNCNEST is not an ifcfg key",
        "did you mean 'ETHTOOL_OPTS'?",
    ):
        assert said in state["comment"], state["comment"]
    assert list(salt_call.ifcfg_dir.iterdir()) == [] and not salt_call.modprobe_conf.exists()


@pytest.mark.parametrize("os_name, major, written", [
    ("RedHat", 7, ["ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1"]),
    ("RedHat", 9, ["bond0.nmconnection", "eth0.nmconnection", "eth1.nmconnection"]),
    ("RedHat", 10, ["bond0.nmconnection", "eth0.nmconnection", "eth1.nmconnection"]),
    ("Fedora", 41, ["bond0.nmconnection", "eth0.nmconnection", "eth1.nmconnection"]),
])
def test_the_minions_rhel_generation_decides_the_files(salt_call, tmp_path, os_name, major,
                                                       written):
    keyfiles = tmp_path / "system-connections"
    keyfiles.mkdir()
    salt_call.configure(grains={"os": os_name, "os_family": "RedHat", "osmajorrelease": major},
                        **{"bond.keyfile_dir": str(keyfiles)})
    salt_call.set_pillar({"bonding": {"bonds": {"bond0": {
        "mode": "active-backup", "miimon": 100, "slaves": ["eth0", "eth1"]}}}})
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True, state
    found = sorted(p.name for p in [*salt_call.ifcfg_dir.iterdir(), *keyfiles.iterdir()])
    assert found == written
    for path in keyfiles.iterdir():
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert "alias netdev-bond0 bonding" in salt_call.modprobe_conf.read_text()
    if major >= 9:  # nmcli is installed here, NetworkManager not running: said, not failed
        assert ("NetworkManager is not running; it reads bond0.nmconnection, eth0.nmconnection, "
                "eth1.nmconnection when it starts.") in state["comment"], state["comment"]
    rc, state = apply(salt_call)
    assert state["changes"] == {}, state
    if major >= 10:  # and the choice that cannot work there is refused, nothing written
        salt_call.set_pillar({"bonding": {"format": "ifcfg", "bonds": {"bond0": {
            "mode": "active-backup", "miimon": 100, "slaves": ["eth0", "eth1"]}}}})
        rc, state = apply(salt_call)
        assert rc != 0 and state["result"] is False
        assert (f"bonding:format: ifcfg files do nothing on {os_name} {major}: its network "
                "stack reads only keyfile") in state["comment"]
        assert list(salt_call.ifcfg_dir.iterdir()) == []


RHEL8 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 8}
BOND0 = {"bonds": {"bond0": {"mode": "active-backup", "miimon": 100, "slaves": ["eth0"]}}}


@pytest.mark.parametrize("grains, stack, nm_controlled, why", [
    (RHEL8, {"networkmanager": "enabled", "network_scripts": False}, "yes",
     "RedHat 8, format: auto, no network-scripts are installed, NetworkManager reads ifcfg "
     "files"),
    (RHEL8, {"networkmanager": "installed", "network_scripts": True}, "no",
     "RedHat 8, format: auto, network-scripts are installed and NetworkManager is not enabled"),
    ({**RHEL8, "osmajorrelease": 7}, {"networkmanager": "enabled", "network_scripts": True},
     "no", "RedHat 7, format: auto, network-scripts bring bonds up there"),
])
def test_ifcfg_files_say_who_reads_them_and_the_comment_says_why(salt_call, grains, stack,
                                                                   nm_controlled, why):
    salt_call.configure(grains={**grains, "bonding_stack": stack})
    salt_call.set_pillar({"bonding": BOND0})
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True, state
    reader = "NetworkManager" if nm_controlled == "yes" else "network-scripts"
    assert (f"Files: ifcfg files for {reader} (NM_CONTROLLED={nm_controlled}); why: {why}."
            in state["comment"]), state["comment"]
    for name in ("ifcfg-bond0", "ifcfg-eth0"):
        variables = source_with_bash(salt_call.ifcfg_dir / name, salt_call.root)
        assert variables["NM_CONTROLLED"] == nm_controlled
    assert "warnings" not in state
    rc, again = apply(salt_call)
    assert again["changes"] == {} and why in again["comment"]


def test_network_scripts_files_where_none_are_installed_are_refused(salt_call):
    salt_call.configure(grains={**RHEL8, "bonding_stack": {"networkmanager": "enabled",
                                                           "network_scripts": False}})
    salt_call.set_pillar({"bonding": {"networkmanager": "unmanaged", **BOND0}})
    rc, state = apply(salt_call)
    assert rc != 0 and state["result"] is False
    assert ("bonding:networkmanager: unmanaged means network-scripts bring the bonds up, and "
            "RedHat 8 has none") in state["comment"]
    assert list(salt_call.ifcfg_dir.iterdir()) == [] and not salt_call.modprobe_conf.exists()


def test_outside_rhel_files_nothing_reads_are_refused_with_the_way_out(salt_call, tmp_path):
    """Debian and Ubuntu read no RHEL ifcfg files (issue #22): refused, nothing written, and
    the way out (keyfiles, for the NetworkManager installed there) works."""
    keyfiles = tmp_path / "system-connections"
    keyfiles.mkdir()
    salt_call.configure(grains={"os": "Debian", "os_family": "Debian", "osmajorrelease": 12,
                                "bonding_stack": {"networkmanager": "enabled",
                                                  "network_scripts": False}},
                        **{"bond.keyfile_dir": str(keyfiles)})
    for pillar, start in (
            (BOND0, "Debian 12 has neither netplan nor ifupdown with ifenslave to bring bonds "
                    "up"),  # (issue #28: Debian's own stacks first)
            ({"format": "ifcfg", **BOND0}, "Debian 12 reads no ifcfg files: Red Hat's "
                                           "network-scripts are not installed")):
        salt_call.set_pillar({"bonding": pillar})
        rc, state = apply(salt_call)
        assert rc != 0 and state["result"] is False, state
        assert state["comment"].startswith(f"No files changed. bonding:format: {start}"), \
            state["comment"]
        assert "format: keyfile (NetworkManager is installed here and reads keyfiles)" in \
            state["comment"], state["comment"]
        assert list(salt_call.ifcfg_dir.iterdir()) == [] and not salt_call.modprobe_conf.exists()
    salt_call.set_pillar({"bonding": {"format": "keyfile", **BOND0}})
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True, state
    assert sorted(p.name for p in keyfiles.iterdir()) == ["bond0.nmconnection",
                                                          "eth0.nmconnection"]
    assert list(salt_call.ifcfg_dir.iterdir()) == []


def test_outside_rhel_network_scripts_installed_there_get_ifcfg_files(salt_call):
    salt_call.configure(grains={"os": "Debian", "os_family": "Debian", "osmajorrelease": 12,
                                "bonding_stack": {"networkmanager": "absent",
                                                  "network_scripts": True}})
    salt_call.set_pillar({"bonding": BOND0})
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True, state
    assert state["warnings"] == ["Debian 12 is not RHEL-family: writing ifcfg files for the "
                                 "Red Hat network-scripts installed here (set bonding:format "
                                 "to choose)"]
    assert source_with_bash(salt_call.ifcfg_dir / "ifcfg-bond0",
                            salt_call.root)["NM_CONTROLLED"] == "no"


def test_grains_without_a_usable_release_say_what_was_assumed(salt_call):
    """No ``osmajorrelease`` (a grain Salt could not read) was taken as release 0 without a
    word (issue 26): the state's warnings say what was assumed, and the files follow it."""
    salt_call.configure(grains={**RHEL8, "osmajorrelease": None,
                                "bonding_stack": {"networkmanager": "enabled",
                                                  "network_scripts": False}})
    salt_call.set_pillar({"bonding": BOND0})
    rc, state = apply(salt_call, "test=True")
    assert rc == 0 and state["result"] is None, state
    assert state["warnings"] == [
        "grain osmajorrelease is missing: the release is unknown, taken as one before 9 "
        "(ifcfg files, read by what is installed, as on RHEL 8); set bonding:format and "
        "bonding:networkmanager to choose"], state
    assert "Files: ifcfg files for NetworkManager (NM_CONTROLLED=yes); why: RedHat (release " \
           "unknown), format: auto" in state["comment"], state["comment"]


@pytest.mark.parametrize("grains, option", [(RHEL7_GRAINS, "bond.ifcfg_dir"),
                                            ({**RHEL8, "osmajorrelease": 9}, "bond.keyfile_dir")])
def test_a_directory_set_in_the_minion_config_is_made_with_its_parents(salt_call, tmp_path,
                                                                        grains, option):
    """The first run failed when bond.ifcfg_dir or bond.keyfile_dir named a directory whose
    parent was missing ("could not write", in test=True too) (issue 26)."""
    named = tmp_path / "srv" / "bonding" / option.split(".")[1]
    salt_call.configure(grains=grains, **{option: str(named)})
    salt_call.set_pillar({"bonding": BOND0})
    rc, state = apply(salt_call, "test=True")
    assert rc == 0 and state["result"] is None and "could not" not in state["comment"], state
    assert not (tmp_path / "srv").exists()
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True, state
    assert sorted(p.name for p in named.iterdir()) in (
        ["ifcfg-bond0", "ifcfg-eth0"], ["bond0.nmconnection", "eth0.nmconnection"])


def test_an_upgrade_from_rhel_8_to_9_changes_the_files_over_in_one_run(salt_call, tmp_path):
    keyfiles = tmp_path / "system-connections"
    keyfiles.mkdir()
    rhel = {"os": "RedHat", "os_family": "RedHat"}
    salt_call.configure(grains={**rhel, "osmajorrelease": 8},
                        **{"bond.keyfile_dir": str(keyfiles)})
    salt_call.set_pillar({"bonding": {"bonds": {"bond0": {
        "mode": "active-backup", "miimon": 100, "slaves": ["eth0", "eth1"]}}}})
    (salt_call.ifcfg_dir / "ifcfg-eth9").write_text("DEVICE=eth9\n")  # the administrator's
    apply(salt_call)
    assert sorted(p.name for p in salt_call.ifcfg_dir.iterdir()) == [
        "ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1", "ifcfg-eth9"]
    salt_call.configure(grains={**rhel, "osmajorrelease": 9})
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True, state
    actions = {os.path.basename(path): change["action"]
               for path, change in state["changes"].items()}
    assert actions == {"ifcfg-bond0": "removed", "ifcfg-eth0": "removed", "ifcfg-eth1": "removed",
                       "bond0.nmconnection": "created", "eth0.nmconnection": "created",
                       "eth1.nmconnection": "created"}, actions
    assert [p.name for p in salt_call.ifcfg_dir.iterdir()] == ["ifcfg-eth9"]
    assert "alias netdev-bond0 bonding" in salt_call.modprobe_conf.read_text()
    # nmcli is installed here, NetworkManager not running: what it reads when it starts
    # are the keyfiles, never the ifcfg files this run removed (issue 26).
    assert ("NetworkManager is not running; it reads bond0.nmconnection, eth0.nmconnection, "
            "eth1.nmconnection when it starts (ifcfg-bond0, ifcfg-eth0, ifcfg-eth1: removed, "
            "it will not see them).") in state["comment"], state["comment"]
    rc, state = apply(salt_call)
    assert state["changes"] == {}, state


LACP_PASSIVE = {"bonds": {"bond0": {"mode": "802.3ad", "miimon": 100, "lacp_active": "off",
                                    "slaves": ["eth0", "eth1"]}}}


@pytest.mark.parametrize("oracle", nm.ORACLES, ids=str)
def test_the_minions_networkmanager_version_decides_which_bond_options_are_written(
        salt_call, tmp_path, oracle):
    """lacp_active came with NetworkManager 1.44: refused for a minion whose grain says 1.42
    (naming the option, its pillar path and both versions, nothing written), written for
    one with 1.52, and read back whole by that NetworkManager (issue #27)."""
    nm.require()
    keyfiles = tmp_path / "system-connections"
    keyfiles.mkdir()
    stack = oracle.stack.as_grain()
    salt_call.configure(grains={**RHEL8, "osmajorrelease": 9, "osrelease": "9.6",
                                "bonding_stack": stack},
                        **{"bond.keyfile_dir": str(keyfiles)})
    salt_call.set_pillar({"bonding": LACP_PASSIVE})
    rc, state = apply(salt_call)
    if oracle.version.startswith("1.42."):
        assert rc != 0 and state["result"] is False, state
        assert (f"bonding:bonds:bond0:lacp_active: NetworkManager before 1.44 drops bond "
                f"option lacp_active from the keyfile files it reads, with a log line only, "
                f"and this minion's is {oracle.version} (installed): leave it out, upgrade "
                "NetworkManager to 1.44 or later") in state["comment"], state["comment"]
        assert list(keyfiles.iterdir()) == [] and not salt_call.modprobe_conf.exists()
        return
    assert rc == 0 and state["result"] is True, state
    text = (keyfiles / "bond0.nmconnection").read_text()
    assert "\nlacp_active=0\n" in text
    rc, normalised, stderr = oracle.normalise(text)
    assert rc == 0 and "\nlacp_active=0\n" in normalised, stderr


def test_without_the_installed_version_the_release_decides_and_the_refusal_says_so(
        salt_call, tmp_path):
    """A grain from before the version (or no NetworkManager to ask): what the release
    ships, the first minor release when the grains give none; said in the refusal."""
    keyfiles = tmp_path / "system-connections"
    keyfiles.mkdir()
    older_grain = {"networkmanager": "enabled", "network_scripts": False}
    salt_call.configure(grains={**RHEL8, "osmajorrelease": 9, "osrelease": "9",
                                "bonding_stack": older_grain},
                        **{"bond.keyfile_dir": str(keyfiles)})
    salt_call.set_pillar({"bonding": LACP_PASSIVE})
    rc, state = apply(salt_call, "test=True")
    assert rc != 0 and state["result"] is False, state
    assert ("this minion's is 1.36.0 (assumed: RHEL 9.0 ships it, and the grains do not give "
            "the minor release: taken as the first): leave it out, upgrade NetworkManager to "
            "1.44 or later, sync the grains (saltutil.sync_grains) so that the minion's "
            "bonding_stack grain says which it has, or write") in state["comment"], state
    salt_call.configure(grains={**RHEL8, "osmajorrelease": 9, "osrelease": "9.4",
                                "bonding_stack": older_grain})
    rc, state = apply(salt_call, "test=True")
    assert rc == 0 and state["result"] is None, state
    assert "bond0.nmconnection" in " ".join(state["changes"]), state


def test_an_installers_profile_is_named_and_beaten_or_refused(salt_call, tmp_path):
    keyfiles = tmp_path / "system-connections"
    keyfiles.mkdir()
    salt_call.configure(grains={**RHEL8, "osmajorrelease": 9},
                        **{"bond.keyfile_dir": str(keyfiles)})
    wired = keyfiles / "Wired connection 1.nmconnection"
    wired.write_text("[connection]\nid=Wired connection 1\ntype=ethernet\n"
                     "interface-name=eth0\n")
    salt_call.set_pillar({"bonding": BOND0})
    rc, state = apply(salt_call, "test=True")
    assert rc == 0 and state["result"] is None
    rival = (f"other profiles for eth0 compete with ours at boot: {wired} (autoconnect-priority "
             "0); ours have autoconnect-priority 100 and win (remove them to leave no doubt)")
    assert state["warnings"] == [rival]
    rc, state = apply(salt_call)
    assert rc == 0 and state["result"] is True and state["warnings"] == [rival]
    assert "autoconnect-priority=100" in (keyfiles / "eth0.nmconnection").read_text()
    wired.write_text(wired.read_text() + "autoconnect-priority=500\n")
    before = {p.name: p.read_text() for p in keyfiles.iterdir()}
    salt_call.set_pillar({"bonding": {"bonds": {"bond0": {**BOND0["bonds"]["bond0"],
                                                          "miimon": 200}}}})
    rc, state = apply(salt_call)
    assert rc != 0 and state["result"] is False
    assert "bonding:bonds:bond0: " in state["comment"]
    assert "autoconnect-priority 500, not below ours (100)" in state["comment"]
    assert {p.name: p.read_text() for p in keyfiles.iterdir()} == before


def test_activation_in_test_mode_lists_the_kernel_operations(salt_call):
    """``activate: kernel`` with test=True: the host's real ``ip`` and sysfs are read (no
    bond0 here), the operations listed per bond, nothing run or written. The slave is
    not the host's eth0: enslaving the device of the default route would be refused."""
    salt_call.set_pillar({"bonding": {"activate": "kernel", "bonds": {"bond0": {
        "mode": "active-backup", "miimon": 100, "slaves": ["eth7"],
        "ipaddr": "192.0.2.10", "prefix": 24}}}})
    rc, state = apply(salt_call, "test=True")
    assert rc == 0 and state["result"] is None, state
    assert state["changes"]["live"] == {"bond0": [
        "bond0 created", "bond0: mode unset -> active-backup", "bond0: miimon 0 -> 100",
        "bond0 up", "bond0: eth7 down to be enslaved", "bond0: eth7 enslaved",
        "bond0: address 192.0.2.10/24 added"]}
    assert "Would bring bond0 live." in state["comment"]
    assert list(salt_call.ifcfg_dir.iterdir()) == []


def test_nmcli_activation_without_a_running_networkmanager_changes_nothing(salt_call,
                                                                          tmp_path):
    """``activate: nmcli`` on a RHEL 9 minion whose NetworkManager does not run (this host:
    nmcli is installed, no daemon): refused before any file is written, test=True too."""
    keyfiles = tmp_path / "system-connections"
    keyfiles.mkdir()
    salt_call.configure(grains={**RHEL8, "osmajorrelease": 9},
                        **{"bond.keyfile_dir": str(keyfiles)})
    salt_call.set_pillar({"bonding": {"activate": "nmcli", "bonds": {"bond0": {
        "mode": "active-backup", "miimon": 100, "slaves": ["eth0"]}}}})
    for extra in ("test=True",), ():
        rc, state = apply(salt_call, *extra)
        assert rc != 0 and state["result"] is False, state
        assert state["comment"].startswith(
            "No files changed. activate: nmcli, but NetworkManager is not running here"), state
        assert state["changes"] == {}
        assert list(keyfiles.iterdir()) == [] and not salt_call.modprobe_conf.exists()


def test_a_run_first_puts_back_what_a_dead_run_left_and_says_so(db):
    """A run that died mid-change left its rollback journal (its timer has not fired):
    the next run fires it under the host lock before it plans, and warns."""
    from salt_bonding.activate import timer
    from salt_bonding.host import files

    apply(db)
    bond0 = db.ifcfg_dir / "ifcfg-bond0"
    good = bond0.read_text()
    half = good.replace("miimon=100", "miimon=250")
    change = files.Change(str(bond0), good, half, "", "file", 0o644, None,
                          (os.getuid(), os.getgid()))
    cachedir = db.root / "salt" / "var" / "cache" / "salt" / "minion"
    timer.write_journal(str(cachedir / timer.DIRECTORY), {str(bond0): change}, [], None,
                        str(cachedir / "bond.lock"), 120)
    bond0.write_text(half)  # what the dead run had written
    rc, state = apply(db)
    assert rc == 0 and state["result"] is True, state
    assert state["changes"] == {}, state["changes"]  # put back before the plan was made
    assert bond0.read_text() == good
    (warning,) = state["warnings"]
    assert warning.startswith("An earlier run (armed ") and warning.endswith(
        "put back 1 file(s) and no bond."), warning
    assert f"Warning: {warning}" in state["comment"]
    assert timer.pending(str(cachedir / timer.DIRECTORY)) == []
    _, again = apply(db)  # said once
    assert "warnings" not in again, again


def test_slave_settings_through_salt_where_networkmanager_keeps_them_and_refused_elsewhere(
        salt_call, tmp_path):
    """``slaves`` as a mapping (issue #27), through Salt's loader: a RHEL 9 minion whose
    NetworkManager is 1.52 gets them in the ports' keyfiles; one with 1.42.4 is refused prio
    naming its version; RHEL 7's network-scripts are refused them; nothing written when
    refused."""
    keyfiles = tmp_path / "system-connections"
    keyfiles.mkdir()
    pillar = {"bonding": {"bonds": {"bond0": {
        "mode": "active-backup", "miimon": 100,
        "slaves": {"eth0": {"queue_id": 2, "prio": 9}, "eth1": None}}}}}
    rhel9 = {"os": "RedHat", "os_family": "RedHat", "osmajorrelease": 9}
    for version, refused in (("1.42.4", "bonding:bonds:bond0:slaves:eth0:prio: NetworkManager "
                                        "before 1.42.8 drops slave setting prio"),
                             ("1.52.1", None)):
        salt_call.configure(grains={**rhel9, "bonding_stack": {
            "networkmanager": "enabled", "network_scripts": False,
            "networkmanager_version": version}}, **{"bond.keyfile_dir": str(keyfiles)})
        salt_call.set_pillar(pillar)
        rc, state = apply(salt_call)
        if refused:
            assert rc != 0 and state["result"] is False and refused in state["comment"], state
            assert list(keyfiles.iterdir()) == []
            continue
        assert rc == 0 and state["result"] is True, state
        assert "[bond-port]\nqueue-id=2\nprio=9\n" in (keyfiles / "eth0.nmconnection").read_text()
        assert "[bond-port]" not in (keyfiles / "eth1.nmconnection").read_text()
    salt_call.configure(grains={**rhel9, "osmajorrelease": 7, "bonding_stack": {
        "networkmanager": "installed", "network_scripts": True}})
    salt_call.set_pillar({"bonding": {"bonds": {"bond1": {
        "mode": "active-backup", "miimon": 100, "slaves": {"eth2": {"prio": 1}}}}}})
    rc, state = apply(salt_call)
    assert rc != 0 and state["result"] is False
    assert ("bonding:bonds:bond1:slaves:eth2:prio: initscripts' network-scripts have no "
            "per-slave setting") in state["comment"], state["comment"]
    assert not any(path.name.endswith("bond1") for path in salt_call.ifcfg_dir.iterdir())
