"""The beacon's change detector on pairs of real-kernel captures, its reader and its memory."""

import os
import re
import shutil
from pathlib import Path

import pytest
from salt_bonding import errors
from salt_bonding.observe import health, watch
from salt_bonding.observe import status as bond_status

pytestmark = pytest.mark.unit

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
ALL_CAPTURES = sorted(p.name for p in CAPTURES.iterdir() if (p / "proc").is_dir())


def roots(base):
    return str(base / "proc" / "net" / "bonding"), str(base / "sys" / "class" / "net")


def snapshot(capture):
    """``{bond: status with health}`` of a capture, as ``bond.status`` reads it."""
    return health.judge(bond_status.read_status(*roots(CAPTURES / capture)))


def named(events):
    return [(event.bond, event.name) for event in events]


def only(events, name):
    [event] = [e for e in events if e.name == name]
    return event.data


def partnerless_bond1(tmp_path):
    """The 802.3ad-no-partner capture (dummies d0, d1: nothing answers LACP) as bond1 over
    va and vb, the names of the 802.3ad-lacp-partner capture's bond1: the same bond before
    and after its partner went away. Procfs only: the dummies' sysfs is not bond1's."""
    text = (CAPTURES / "802.3ad-no-partner/proc/net/bonding/bond0").read_text()
    text = re.sub(r"^Slave Interface: d([01])$",
                  lambda m: "Slave Interface: " + ("va", "vb")[int(m[1])], text, flags=re.M)
    procfs = tmp_path / "no-partner" / "proc" / "net" / "bonding"
    procfs.mkdir(parents=True)
    (procfs / "bond1").write_text(text)
    return health.judge(bond_status.read_status(str(procfs), str(tmp_path / "no-sysfs")))


def copy_capture(capture, tmp_path):
    target = tmp_path / capture
    shutil.copytree(CAPTURES / capture, target, symlinks=True)
    return target


def edit_proc(base, bond, old, new):
    path = base / "proc" / "net" / "bonding" / bond
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))  # the first: a slave's, in kernel order


# -- pairs of real-kernel reads ---------------------------------------------------------
def test_failover_names_both_slaves_and_the_failed_one():
    events = watch.changes(snapshot("active-backup-healthy"),
                           snapshot("active-backup-failed-over"))
    assert named(events) == [("bond0", "failover"), ("bond0", "slave_down"), ("bond0", "health")]
    assert only(events, "failover") == {"bond": "bond0", "active_slave": "vb",
                                        "previous_active_slave": "va"}
    assert only(events, "slave_down") == {
        "bond": "bond0", "interface": "va", "status": 0, "mii_status": "down",
        "previous_mii_status": "up", "failures": 1, "slaves": 2, "active": 1}
    assert only(events, "health") == {"bond": "bond0", "health": "degraded",
                                      "previous_health": "ok",
                                      "problems": ["slave va is down (link failures: 1)"]}


def test_recovery_is_the_failover_undone():
    """The failed-over read, then the healthy one: the primary back up and active again.
    (Read in this order the failure count falls, 1 -> 0, which says nothing: no event.)"""
    events = watch.changes(snapshot("active-backup-failed-over"),
                           snapshot("active-backup-healthy"))
    assert named(events) == [("bond0", "failover"), ("bond0", "slave_up"), ("bond0", "health")]
    assert only(events, "failover")["active_slave"] == "va"
    assert only(events, "slave_up")["interface"] == "va"
    assert only(events, "slave_up")["active"] == 2
    assert (only(events, "health")["health"], only(events, "health")["problems"]) == ("ok", [])


def test_a_flap_between_two_reads_shows_only_in_the_failure_count(tmp_path):
    """Two reads of a healthy bond whose primary went down and came back in between:
    the kernel counted the failures, the MII status and the active slave are as before."""
    base = copy_capture("active-backup-healthy", tmp_path)
    before = health.judge(bond_status.read_status(*roots(base)))
    text = (base / "proc/net/bonding/bond0").read_text()
    va_block = text.split("Slave Interface: va")[1].split("Slave Interface: vb")[0]
    (base / "proc/net/bonding/bond0").write_text(text.replace(
        va_block, va_block.replace("Link Failure Count: 0", "Link Failure Count: 2")))
    events = watch.changes(before, health.judge(bond_status.read_status(*roots(base))))
    assert named(events) == [("bond0", "link_failures")]
    assert events[0].data == {"bond": "bond0", "interface": "va", "failures": 2,
                              "previous_failures": 0, "unseen_failures": 2, "mii_status": "up"}


def test_a_slave_waiting_out_updelay_is_down_and_its_failure_was_seen():
    """vb went down and came back (``going back``, counted once): down, no hidden flap."""
    events = watch.changes(snapshot("mode-active-backup"), snapshot("updelay-going-back"))
    assert named(events) == [("bond0", "slave_down"), ("bond0", "health")]
    assert only(events, "slave_down")["mii_status"] == "going back"
    assert only(events, "slave_down")["failures"] == 1


def test_partner_lost_splits_the_aggregator(tmp_path):
    before = {"bond1": snapshot("802.3ad-lacp-partner")["bond1"]}
    after = partnerless_bond1(tmp_path)
    events = watch.changes(before, after)
    assert named(events) == [("bond1", "partner_lost"), ("bond1", "aggregator_split"),
                             ("bond1", "health")]
    assert only(events, "partner_lost") == {
        "bond": "bond1", "partner_mac": "00:00:00:00:00:00",
        "previous_partner_mac": before["bond1"]["ad"]["partner_mac"]}
    assert only(events, "aggregator_split") == {
        "bond": "bond1", "interface": "vb", "aggregator_id": 2, "active_aggregator_id": 1,
        "mii_status": "up"}
    assert only(events, "health")["previous_health"] == "ok"
    assert only(events, "health")["health"] == "degraded"


def test_partner_found_again_rejoins_without_a_split_event(tmp_path):
    before = partnerless_bond1(tmp_path)
    after = {"bond1": snapshot("802.3ad-lacp-partner")["bond1"]}
    events = watch.changes(before, after)
    assert named(events) == [("bond1", "partner_found"), ("bond1", "health")]
    assert only(events, "partner_found")["partner_mac"] == after["bond1"]["ad"]["partner_mac"]
    assert only(events, "partner_found")["previous_partner_mac"] == "00:00:00:00:00:00"
    assert only(events, "health")["health"] == "ok"


def test_an_unknown_partner_is_neither_lost_nor_found():
    """A non-root read hides the partner (None): not a change of partner."""
    root = snapshot("802.3ad-lacp-partner")["bond1"]
    hidden = health.judge(bond_status.read_status(
        str(CAPTURES / "802.3ad-lacp-partner-nonroot/proc/net/bonding"), None))["bond1"]
    assert hidden["ad"]["partner_mac"] is None
    for pair in ((root, hidden), (hidden, root)):
        names = [event.name for event in watch.bond_changes("bond1", *pair)]
        assert "partner_lost" not in names and "partner_found" not in names


def test_bond_down_and_up_again():
    up, down = snapshot("mode-balance-rr"), snapshot("no-slaves")
    events = watch.changes(up, down)
    assert named(events) == [("bond0", "down"), ("bond0", "slave_down"), ("bond0", "slave_down"),
                             ("bond0", "health")]
    assert events[0].data == {"bond": "bond0", "status": 0, "mii_status": "down",
                              "previous_mii_status": "up", "slaves": 0, "active": 0}
    assert [e.data["mii_status"] for e in events[1:3]] == [None, None]  # released
    events = watch.changes(down, up)
    assert named(events) == [("bond0", "up"), ("bond0", "slave_up"), ("bond0", "slave_up"),
                             ("bond0", "health")]
    assert events[0].data["active"] == 2


def test_nothing_changed_is_no_event():
    for capture in ALL_CAPTURES:
        assert watch.changes(snapshot(capture), snapshot(capture)) == [], capture


def test_bonds_that_appear_and_disappear():
    current = snapshot("802.3ad-no-partner")
    events = watch.changes({}, current)
    assert named(events) == [("bond0", "up"), ("bond0", "health")]
    assert events[0].data["previous_mii_status"] is None
    assert events[1].data["previous_health"] is None
    assert events[1].data["health"] == "degraded"
    gone = watch.changes(current, {})
    assert named(gone) == [("bond0", "down")]
    assert (gone[0].data["mii_status"], gone[0].data["slaves"]) == (None, 0)


def test_an_unreadable_bond_changes_only_its_health():
    readable = snapshot("active-backup-healthy")
    unreadable = health.judge({"bond0": {"error": "cannot read /proc/net/bonding/bond0"}})
    events = watch.changes(readable, unreadable)
    assert named(events) == [("bond0", "health")]
    assert events[0].data["health"] == "unknown"
    assert events[0].data["problems"] == ["cannot read /proc/net/bonding/bond0"]
    assert named(watch.changes(unreadable, snapshot("active-backup-failed-over"))) == [
        ("bond0", "health")]


@pytest.mark.parametrize("was, now, before, after, unseen", [
    ("up", "up", 0, 0, 0),
    ("up", "up", 0, 1, 1),       # down and up again between the reads
    ("up", "down", 0, 1, 0),     # the read saw it go down
    ("up", "down", 0, 3, 2),     # ... after two flaps it did not see
    ("up", "going back", 3, 4, 0),
    ("going down", "down", 0, 1, 0),
    ("down", "up", 1, 1, 0),     # came back: nothing more to count
    ("down", "up", 1, 2, 1),     # came back, failed and came back again
    ("up", "up", 5, 0, 0),       # released and enslaved again: the count restarted
    ("up", "up", None, 3, 0),    # unknown before: nothing to compare
])
def test_unseen_failures(was, now, before, after, unseen):
    slave = {"mii_status": was, "link_failure_count": before}
    assert watch.unseen_failures(slave, {"mii_status": now, "link_failure_count": after}) == unseen


# -- the reader ---------------------------------------------------------------------
@pytest.mark.parametrize("capture", ALL_CAPTURES)
def test_reader_reads_what_bond_status_reads(capture):
    procfs, sysfs = roots(CAPTURES / capture)
    reader = watch.Reader()
    expected = health.judge(bond_status.read_status(procfs, sysfs))
    assert reader.read(procfs, sysfs) == expected
    assert reader.read(procfs, sysfs) == expected  # the second read, from what it kept


def test_reader_parses_only_what_changed(tmp_path):
    base = copy_capture("802.3ad-lacp-partner", tmp_path)
    reader = watch.Reader()
    first = reader.read(*roots(base))
    second = reader.read(*roots(base))
    assert second["bond1"] is first["bond1"] and second["bond2"] is first["bond2"]
    edit_proc(base, "bond2", "Partner Mac Address: a6:ef:7d:c3:5e:5f",
              "Partner Mac Address: 00:00:00:00:00:00")
    third = reader.read(*roots(base))
    assert third["bond1"] is first["bond1"]
    assert third["bond2"] is not first["bond2"]
    assert third["bond2"]["ad"]["partner_mac"] == "00:00:00:00:00:00"
    assert named(watch.changes(second, third)) == [("bond2", "partner_lost"),
                                                   ("bond2", "health")]


def test_reader_rereads_in_full_what_procfs_leaves_to_sysfs(tmp_path):
    """The dummies' speed is Unknown in procfs: every read asks sysfs again, so a change
    there is seen though the procfs text is the same."""
    base = copy_capture("802.3ad-no-partner", tmp_path)
    status = bond_status.status_from_proc((base / "proc/net/bonding/bond0").read_text())
    assert not watch.procfs_complete(status)
    assert watch.procfs_complete(bond_status.status_from_proc(
        (CAPTURES / "802.3ad-lacp-partner/proc/net/bonding/bond1").read_text()))
    reader = watch.Reader()
    first = reader.read(*roots(base))
    for slave in ("d0", "d1"):
        (base / "sys/class/net" / slave / "speed").write_text("1000\n")
    second = reader.read(*roots(base))
    assert second["bond0"] is not first["bond0"]
    assert second["bond0"]["slaves"]["d0"]["speed_mbps"] == 1000


@pytest.mark.parametrize("breakage", ["garbage", "fifo", "directory", "not utf-8", "truncated"])
def test_reader_turns_a_broken_file_into_an_unknown_bond(tmp_path, breakage):
    base = copy_capture("802.3ad-lacp-partner", tmp_path)
    path = base / "proc/net/bonding/bond2"
    text = path.read_text()
    path.unlink()
    if breakage == "garbage":
        path.write_text("this is not a bonding status\n")
    elif breakage == "fifo":
        os.mkfifo(path)
    elif breakage == "directory":
        path.mkdir()
    elif breakage == "not utf-8":
        path.write_bytes(b"Bonding Mode: \xff\n")
    else:
        path.write_text(text[: text.index("Slave Interface: pb") + 30])
    reader = watch.Reader()
    for _ in range(2):
        snapshot_ = reader.read(*roots(base))
        assert snapshot_["bond2"]["health"]["status"] == "unknown"
        assert "error" in snapshot_["bond2"]
        assert snapshot_["bond1"]["health"]["status"] == "ok"


# -- one beacon instance between passes ------------------------------------------------
def test_the_first_pass_is_a_silent_baseline(tmp_path):
    base = copy_capture("active-backup-healthy", tmp_path)
    procfs, sysfs = roots(base)
    watcher = watch.Watch()
    edit_proc(base, "bond0", "MII Status: up\nSpeed", "MII Status: down\nSpeed")  # va down
    assert watcher.poll(procfs, sysfs) == []
    assert watcher.poll(procfs, sysfs) == []
    edit_proc(base, "bond0", "MII Status: down\nSpeed", "MII Status: up\nSpeed")
    assert named(watcher.poll(procfs, sysfs)) == [("bond0", "slave_up"), ("bond0", "health")]


def test_emit_at_startup_reports_every_bond_first(tmp_path):
    procfs, sysfs = roots(CAPTURES / "802.3ad-lacp-partner")
    watcher = watch.Watch(emit_at_startup=True)
    assert named(watcher.poll(procfs, sysfs)) == [("bond1", "up"), ("bond1", "health"),
                                                 ("bond2", "up"), ("bond2", "health")]
    assert watcher.poll(procfs, sysfs) == []


def test_bonds_and_events_filter(tmp_path):
    base = copy_capture("802.3ad-lacp-partner", tmp_path)
    procfs, sysfs = roots(base)
    only_bond2_health = watch.Watch(bonds=["bond2"], events=["health"])
    only_bond1 = watch.Watch(bonds=["bond1"])
    for watcher in (only_bond2_health, only_bond1):
        assert watcher.poll(procfs, sysfs) == []
    edit_proc(base, "bond2", "Partner Mac Address: a6:ef:7d:c3:5e:5f",
              "Partner Mac Address: 00:00:00:00:00:00")
    assert named(only_bond2_health.poll(procfs, sysfs)) == [("bond2", "health")]
    assert only_bond1.poll(procfs, sysfs) == []
    assert set(only_bond1.previous) == {"bond1"}


def test_a_failed_pass_keeps_the_baseline(tmp_path):
    base = copy_capture("active-backup-healthy", tmp_path)
    procfs, sysfs = roots(base)
    watcher = watch.Watch()
    assert watcher.poll(procfs, sysfs) == []
    moved = str(base / "bonding-moved")
    os.rename(procfs, moved)
    Path(procfs).write_text("a file where the directory was\n")
    with pytest.raises(errors.TreeError):
        watcher.poll(procfs, sysfs)
    os.unlink(procfs)
    os.rename(moved, procfs)
    shutil.copy(CAPTURES / "active-backup-failed-over/proc/net/bonding/bond0",
                Path(procfs) / "bond0")
    assert named(watcher.poll(procfs, sysfs)) == [
        ("bond0", "failover"), ("bond0", "slave_down"), ("bond0", "health")]


def test_no_bonding_driver_is_no_bonds_and_no_events(tmp_path):
    watcher = watch.Watch(emit_at_startup=True)
    assert watcher.poll(str(tmp_path / "absent"), str(tmp_path / "absent-too")) == []
    assert watcher.previous == {}


# -- configuration ----------------------------------------------------------------------
@pytest.mark.parametrize("options", [
    {},
    {"interval": 5},
    {"bonds": ["bond0", "bond1"], "events": ["failover", "health"], "emitatstartup": True,
     "beacon_module": "bond", "_beacon_name": "bond_core", "enabled": True},
    {"interval": 0.5},
    {"bonds": ["bond.storage"]},  # a name with '.' (not made by the state; the kernel takes it)
])
def test_valid_configurations(options):
    assert watch.config_problems(options) == []


# (given, its problem, the same key fixed)
@pytest.mark.parametrize("options, problem, fixed", [
    ({"bond": ["bond0"]},
     "unknown option 'bond'; valid: bonds, events, emitatstartup (and Salt's own interval, "
     "enabled, beacon_module, run_once, disable_during_state_run)", {"bonds": ["bond0"]}),
    ({"bonds": "bond0"}, "bonds must be a list of bond names (default: every bond), got 'bond0'",
     {"bonds": ["bond0"]}),
    ({"bonds": []}, "bonds must be a list of bond names (default: every bond), got []",
     {"bonds": ["bond1"]}),
    ({"bonds": ["bond0", "bad/name"]},
     "bonds: interface name 'bad/name' may contain only letters, digits, '_', '.' and '-' and "
     "cannot start with '.' or '-'", {"bonds": ["bond0", "bad_name"]}),
    ({"events": ["failover", "flap"]},
     "events: unknown event 'flap'; valid: failover, slave_down, slave_up, link_failures, "
     "partner_lost, partner_found, aggregator_split, down, up, health",
     {"events": ["failover", "link_failures"]}),
    ({"emitatstartup": "yes"},
     "emitatstartup must be true or false (default false: the first read is a silent "
     "baseline), got 'yes'", {"emitatstartup": True}),
    # Salt's beacon loop compares interval with a number: "5" raised there on every pass,
    # and the other beacons beside it stopped emitting (issue 26).
    ({"interval": "5"}, "interval must be a number of seconds greater than 0, got '5' (a "
     "string: write the number without quotes)", {"interval": 5}),
    ({"interval": "five"}, "interval must be a number of seconds greater than 0, got 'five'",
     {"interval": 5}),
    ({"interval": 0}, "interval must be a number of seconds greater than 0, got 0",
     {"interval": 1}),
    ({"interval": -5}, "interval must be a number of seconds greater than 0, got -5",
     {"interval": 5}),
    ({"interval": True}, "interval must be a number of seconds greater than 0, got True",
     {"interval": 1}),
])
def test_each_invalid_key_is_named_with_what_it_allows(options, problem, fixed):
    assert watch.config_problems(options) == [problem]
    assert watch.config_problems(fixed) == []


def test_a_bond_whose_name_has_a_dot_is_watched(tmp_path):
    """``bonds: [bond.storage]`` was refused (issue 26): a bond the kernel runs under that name
    is watched like any other."""
    procfs = tmp_path / "bonding"
    procfs.mkdir()
    text = (CAPTURES / "active-backup-healthy/proc/net/bonding/bond0").read_text()
    (procfs / "bond.storage").write_text(text)
    (procfs / "bond0").write_text(text)
    options = {"bonds": ["bond.storage"], "emitatstartup": True}
    assert watch.config_problems(options) == []
    events = watch.watch_for(options).poll(str(procfs), None)
    assert [(event.bond, event.name) for event in events] == [("bond.storage", "up"),
                                                              ("bond.storage", "health")]


def test_every_problem_is_reported_at_once():
    problems = watch.config_problems({"events": ["nope"], "emitatstartup": 1, "x": 1})
    assert [p.split(" ")[0] for p in problems] == ["unknown", "events:", "emitatstartup"]


def test_watch_for_a_configuration():
    watcher = watch.watch_for({"bonds": ["bond1"], "events": ["up"], "emitatstartup": True,
                               "interval": 5})
    assert (watcher.bonds, watcher.events, watcher.emit_at_startup) == (
        frozenset({"bond1"}), frozenset({"up"}), True)
    default = watch.watch_for({})
    assert (default.bonds, default.events, default.emit_at_startup) == (
        None, frozenset(watch.EVENTS), False)


def test_a_new_watch_goes_on_from_the_pass_just_before_a_refresh(tmp_path):
    base = copy_capture("active-backup-healthy", tmp_path)
    procfs, sysfs = roots(base)
    options = {"bonds": ["bond0"], "interval": 5}
    before = watch.watch_for(options)
    before.poll(procfs, sysfs)
    carried = watch.Carried(watch.config_key(options), before.previous, 100.0)
    edit_proc(base, "bond0", "MII Status: up\nSpeed", "MII Status: down\nSpeed")  # va down
    after = watch.watch_for(options, carried, now=101.0)
    assert ("bond0", "slave_down") in named(after.poll(procfs, sysfs))


@pytest.mark.parametrize("options, age, resumes", [
    ({"interval": 5}, 3 * 5 + watch.CARRY_GRACE_SECONDS, True),
    ({"interval": 5}, 3 * 5 + watch.CARRY_GRACE_SECONDS + 0.1, False),  # stopped a while
    ({"interval": 5}, -1, False),                                        # another clock
    ({"interval": 5, "emitatstartup": True}, 1, False),                  # other config
    ({"interval": 60, "enabled": False}, 1, True),                       # Salt's keys: same
])
def test_which_carried_pass_a_new_watch_goes_on_from(options, age, resumes):
    carried = watch.Carried(watch.config_key({"interval": 5}), {"bond0": {}}, 1000.0)
    resumed = watch.watch_for(options, carried, now=1000.0 + age)
    assert (resumed.previous is not None) == resumes


class _Masked(list):
    """What Salt 3008 hands over for pillar lists: a list whose repr hides the values."""

    def __repr__(self):
        return "[**********]"


@pytest.mark.parametrize("config, merged", [
    ([{"interval": 5}, {"bonds": _Masked(["bond0"])}], {"interval": 5, "bonds": ["bond0"]}),
    ({"events": _Masked(["failover"])}, {"events": ["failover"]}),
])
def test_options_of_a_beacon_configuration_are_plain_data(config, merged):
    options, problem = watch.options_of(config)
    assert (options, problem) == (merged, None)
    assert all(type(value) is not _Masked for value in options.values())


def test_options_of_something_else_says_what_it_got():
    options, problem = watch.options_of(_Masked(["bond0"]))
    assert options is None
    assert problem.endswith("got ['bond0']"), problem
