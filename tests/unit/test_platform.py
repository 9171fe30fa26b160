"""platform: which files each RHEL generation gets, read by what; impossible choices refused."""

import os

import pytest
from salt_bonding import errors
from salt_bonding.host import platform
from salt_bonding.host.platform import Stack

pytestmark = pytest.mark.unit

RHEL = {"os": "RedHat", "os_family": "RedHat"}
NM_ONLY = Stack("enabled", False)  # RHEL 8's default install
SCRIPTS_ONLY = Stack("absent", True)  # RHEL 8 with network-scripts, NetworkManager removed
BOTH_NM_OFF = Stack("installed", True)  # network-scripts installed, NetworkManager disabled


@pytest.mark.parametrize("grains, default, readable", [
    ({**RHEL, "osmajorrelease": 7}, "ifcfg", ("ifcfg", "keyfile")),
    ({**RHEL, "osmajorrelease": 8}, "ifcfg", ("ifcfg", "keyfile")),
    ({"os": "Rocky", "os_family": "RedHat", "osmajorrelease": "9"}, "keyfile",
     ("keyfile", "ifcfg")),
    ({**RHEL, "osmajorrelease": 10}, "keyfile", ("keyfile",)),
    ({"os": "Fedora", "os_family": "RedHat", "osmajorrelease": 40}, "keyfile",
     ("keyfile", "ifcfg")),
    ({"os": "Fedora", "os_family": "RedHat", "osmajorrelease": 41}, "keyfile", ("keyfile",)),
    ({"os": "SUSE", "os_family": "Suse", "osmajorrelease": 15}, "ifcfg", ("ifcfg", "keyfile")),
    ({}, "ifcfg", ("ifcfg", "keyfile")),
])
def test_each_generation_gets_what_it_reads(grains, default, readable):
    assert platform.reads(grains) == (default, readable)
    assert platform.resolve("auto", grains, "bonding:format") == default


# (grains, stack) -> what `auto` writes: the table, one row per generation.
@pytest.mark.parametrize("grains, stack, file_format, networkmanager", [
    ({**RHEL, "osmajorrelease": 6}, NM_ONLY, "ifcfg", "unmanaged"),
    ({**RHEL, "osmajorrelease": 7}, NM_ONLY, "ifcfg", "unmanaged"),
    ({"os": "CentOS", "os_family": "RedHat", "osmajorrelease": 7}, SCRIPTS_ONLY, "ifcfg",
     "unmanaged"),
    ({**RHEL, "osmajorrelease": 8}, NM_ONLY, "ifcfg", "managed"),
    ({**RHEL, "osmajorrelease": 8}, SCRIPTS_ONLY, "ifcfg", "unmanaged"),
    ({**RHEL, "osmajorrelease": 8}, BOTH_NM_OFF, "ifcfg", "unmanaged"),
    ({**RHEL, "osmajorrelease": 8}, Stack("enabled", True), "ifcfg", "managed"),
    ({**RHEL, "osmajorrelease": 9}, NM_ONLY, "keyfile", "managed"),
    ({**RHEL, "osmajorrelease": 10}, NM_ONLY, "keyfile", "managed"),
    ({"os": "Fedora", "os_family": "RedHat", "osmajorrelease": 41}, NM_ONLY, "keyfile",
     "managed"),
    ({"os": "Debian", "os_family": "Debian", "osmajorrelease": 12}, Stack("installed", True),
     "ifcfg", "unmanaged"),
])
def test_auto_follows_the_platform(grains, stack, file_format, networkmanager):
    choice = platform.choose("auto", None, grains, stack, "bonding")
    assert (choice.format, choice.networkmanager) == (file_format, networkmanager)
    assert choice.reason.startswith(f"{grains['os']} {grains['osmajorrelease']}, format: auto")


def test_the_reason_says_why_in_words():
    choice = platform.choose("auto", None, {**RHEL, "osmajorrelease": 8}, NM_ONLY, "bonding")
    assert choice.describe() == "ifcfg files for NetworkManager (NM_CONTROLLED=yes)"
    assert choice.reason == ("RedHat 8, format: auto, no network-scripts are installed, "
                             "NetworkManager reads ifcfg files")
    choice = platform.choose("auto", None, {**RHEL, "osmajorrelease": 7}, NM_ONLY, "bonding")
    assert choice.describe() == "ifcfg files for network-scripts (NM_CONTROLLED=no)"
    assert choice.warnings == []
    choice = platform.choose("keyfile", "managed", {**RHEL, "osmajorrelease": 9}, NM_ONLY, "b")
    assert choice.describe() == "NetworkManager keyfiles"
    assert choice.reason == "RedHat 9, pillar format: keyfile, pillar networkmanager"


DEBIAN = {"os": "Debian", "os_family": "Debian", "osmajorrelease": 12}
UBUNTU = {"os": "Ubuntu", "os_family": "Debian", "osmajorrelease": 22}
SUSE = {"os": "SUSE", "os_family": "Suse", "osmajorrelease": 15}


@pytest.mark.parametrize("grains", [DEBIAN, UBUNTU, SUSE])
@pytest.mark.parametrize("requested", ["auto", "ifcfg"])
@pytest.mark.parametrize("stack, way", [
    (Stack("enabled", False), "use format: keyfile (NetworkManager is installed here and "
                              "reads keyfiles)"),
    (Stack("absent", False), "use format: keyfile once NetworkManager is installed"),
])
def test_outside_rhel_ifcfg_files_nothing_reads_are_refused_with_the_way_out(
        grains, requested, stack, way):
    debian = grains["os_family"] == "Debian"
    with pytest.raises(errors.UserError) as caught:
        platform.choose(requested, None, grains, stack, "bonding")
    ((path, message),) = caught.value.errors
    name = f"{grains['os']} {grains['osmajorrelease']}"
    assert path == "bonding:format"
    if debian and requested == "auto":  # Debian and Ubuntu: their own stacks first
        keyfile = (", or format: keyfile (NetworkManager is installed here and reads keyfiles)"
                   if stack.networkmanager != "absent" else "")
        assert message == (
            f"{name} has neither netplan nor ifupdown with ifenslave to bring bonds up: "
            "install netplan.io (format: netplan) or ifupdown and ifenslave (format: "
            f"ifupdown), then sync the grains (saltutil.sync_grains){keyfile}")
    else:
        assert message == (
            f"{name} reads no ifcfg files: Red Hat's network-scripts are not installed and "
            "its NetworkManager is built without the ifcfg-rh plugin (ifupdown reads "
            "/etc/network/interfaces, netplan its own files, SUSE's wicked its own ifcfg "
            f"format); {way}" + (", or format: ifupdown or netplan (what Debian and Ubuntu "
                                 "read)" if debian else ""))
    # The way out works: keyfiles, for NetworkManager.
    choice = platform.choose("keyfile", None, grains, stack, "bonding")
    assert (choice.format, choice.networkmanager) == ("keyfile", "managed")
    assert choice.warnings == ([] if stack.networkmanager != "absent" else [
        "NetworkManager is not installed on this minion: nothing reads these files until "
        "it is (bonding:networkmanager)"])


# Debian and Ubuntu (issue #28): auto follows what the minion runs, netplan first.
@pytest.mark.parametrize("grains", [DEBIAN, UBUNTU])
@pytest.mark.parametrize("stack, file_format", [
    (Stack("absent", netplan=True, ifupdown=True, ifenslave=True), "netplan"),
    (Stack("enabled", netplan=True), "netplan"),
    (Stack("absent", ifupdown=True, ifenslave=True), "ifupdown"),
    (Stack("enabled", False, "1.42.4", ifupdown=True, ifenslave=True), "ifupdown"),
    (Stack("absent", True, ifupdown=True), "ifcfg"),  # Red Hat's network-scripts, no ifenslave
])
def test_on_debian_and_ubuntu_auto_writes_what_the_minion_runs(grains, stack, file_format):
    choice = platform.choose("auto", None, grains, stack, "bonding")
    assert (choice.format, choice.networkmanager) == (file_format, "unmanaged")
    assert choice.read_by_networkmanager is False and choice.networkmanager_version is None
    if file_format != "ifcfg":
        assert choice.warnings == []
        assert choice.reason == (f"{grains['os']} {grains['osmajorrelease']}, format: auto, "
                                 + platform.DEBIAN_FORMATS[file_format])
        assert choice.describe() == platform.DESCRIBED[file_format]


def test_ifupdown_without_ifenslave_is_refused_with_the_way_out():
    with pytest.raises(errors.UserError) as caught:
        platform.choose("auto", None, DEBIAN, Stack(ifupdown=True), "bonding")
    assert caught.value.errors == [("bonding:format", (
        "ifupdown is installed on Debian 12 but not ifenslave, which brings its bonds up: "
        "install ifenslave (or netplan.io), then sync the grains (saltutil.sync_grains); or "
        "set the format"))]


@pytest.mark.parametrize("file_format, package", [("ifupdown", "ifupdown and ifenslave"),
                                                  ("netplan", "netplan.io")])
def test_debian_formats_asked_for_are_written_with_a_word_when_nothing_reads_them(
        file_format, package):
    choice = platform.choose(file_format, None, UBUNTU, Stack(), "bonding")
    assert (choice.format, choice.networkmanager) == (file_format, "unmanaged")
    assert choice.warnings == [f"{package} not installed on this minion (its bonding_stack "
                               f"grain): nothing reads these {file_format} files until it is"]
    # ...never for NetworkManager, which brings no bonds up from them...
    with pytest.raises(errors.UserError) as caught:
        platform.choose(file_format, "managed", UBUNTU, Stack(), "bonding")
    ((path, message),) = caught.value.errors
    assert path == "bonding:networkmanager"
    assert message.startswith(f"managed, but NetworkManager does not bring bonds up from "
                              f"{file_format} files")
    # ...and never on RHEL, where nothing reads them at all.
    with pytest.raises(errors.UserError) as caught:
        platform.choose(file_format, None, {**RHEL, "osmajorrelease": 9}, NM_ONLY, "bonding")
    assert caught.value.errors == [("bonding:format", (
        f"{file_format} files do nothing on RedHat 9: its network stack reads only keyfile, "
        "ifcfg (use format: auto, or keyfile)"))]


def test_the_stack_grain_carries_debians_readers_and_older_grains_have_none(tmp_path):
    for relative in ("usr/sbin/ifquery", "etc/network/if-pre-up.d/ifenslave",
                     "usr/sbin/netplan"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    stack = platform.probe(str(tmp_path))
    assert (stack.ifupdown, stack.ifenslave, stack.netplan) == (True, True, True)
    assert platform.Stack.from_grain(stack.as_grain()) == stack
    older = {"networkmanager": "absent", "network_scripts": False}
    assert platform.Stack.from_grain(older) == Stack()
    (tmp_path / "usr/sbin/netplan").unlink()
    assert platform.probe(str(tmp_path)).netplan is False


def test_outside_rhel_ifcfg_files_go_to_the_network_scripts_installed_there():
    stack = Stack("enabled", True)  # Red Hat's network-scripts installed on Debian
    choice = platform.choose("auto", None, DEBIAN, stack, "bonding")
    assert (choice.format, choice.networkmanager, choice.network_scripts) == (
        "ifcfg", "unmanaged", True)
    assert choice.warnings == ["Debian 12 is not RHEL-family: writing ifcfg files for the Red "
                               "Hat network-scripts installed here (set bonding:format to "
                               "choose)"]
    assert platform.choose("ifcfg", None, DEBIAN, stack, "bonding").warnings == []
    # NetworkManager there reads no ifcfg files at all.
    with pytest.raises(errors.UserError) as caught:
        platform.choose("ifcfg", "managed", DEBIAN, stack, "bonding")
    ((path, message),) = caught.value.errors
    assert path == "bonding:networkmanager"
    assert message.startswith("managed, but NetworkManager on Debian 12 is built without the "
                              "ifcfg-rh plugin: it reads no ifcfg files (use networkmanager: "
                              "unmanaged for the network-scripts installed here")


def test_grains_that_name_no_os_keep_the_classic_files_and_say_so():
    choice = platform.choose("auto", None, {}, Stack(), "bonding")
    assert (choice.format, choice.networkmanager) == ("ifcfg", "unmanaged")
    assert choice.warnings == ["this OS is not RHEL-family: writing the classic recipe's "
                               "ifcfg files (set bonding:format to choose)"]


@pytest.mark.parametrize("grains, stack, expected", [
    ({**RHEL, "osmajorrelease": 7}, Stack(), True),  # initscripts is part of RHEL 7
    ({**RHEL, "osmajorrelease": 8}, SCRIPTS_ONLY, True),
    ({**RHEL, "osmajorrelease": 8}, NM_ONLY, False),
    (DEBIAN, Stack("absent", True), True),
])
def test_the_choice_says_whether_network_scripts_bring_the_bonds_up(grains, stack, expected):
    networkmanager = "unmanaged" if expected else "managed"
    choice = platform.choose("ifcfg", networkmanager, grains, stack, "bonding")
    assert choice.network_scripts is expected
    assert platform.choose("keyfile", None, grains, stack, "bonding").network_scripts is False


def test_a_format_the_minion_does_not_read_is_refused_with_the_way_out():
    with pytest.raises(errors.UserError) as caught:
        platform.choose("ifcfg", None, {**RHEL, "osmajorrelease": 10}, NM_ONLY, "bonding")
    assert caught.value.errors == [("bonding:format", (
        "ifcfg files do nothing on RedHat 10: its network stack reads only keyfile (use "
        "format: auto, or keyfile)"))]
    assert platform.resolve("keyfile", {**RHEL, "osmajorrelease": 7}, "x") == "keyfile"


@pytest.mark.parametrize("networkmanager", ["unmanaged", "disabled"])
@pytest.mark.parametrize("major", [9, 10])
def test_keeping_networkmanager_off_where_it_reads_the_keyfiles_is_refused(major,
                                                                            networkmanager):
    with pytest.raises(errors.UserError) as caught:
        platform.choose("auto", networkmanager, {**RHEL, "osmajorrelease": major}, NM_ONLY,
                        "bonding")
    assert caught.value.errors == [("bonding:networkmanager", (
        f"{networkmanager}, but this minion gets NetworkManager keyfiles and NetworkManager "
        "is what reads them: nothing would bring the bonds up (use networkmanager: managed, "
        "or leave it out)"))]


@pytest.mark.parametrize("grains, stack", [
    ({**RHEL, "osmajorrelease": 8}, NM_ONLY),  # network-scripts not installed
    ({**RHEL, "osmajorrelease": 9}, Stack("enabled", True)),  # RHEL 9 ships none at all
])
def test_network_scripts_output_where_none_are_installed_is_refused(grains, stack):
    with pytest.raises(errors.UserError) as caught:
        platform.choose("ifcfg", "unmanaged", grains, stack, "bonding")
    (path, message), = caught.value.errors
    assert path == "bonding:networkmanager"
    assert message.startswith(f"unmanaged means network-scripts bring the bonds up, and "
                              f"RedHat {grains['osmajorrelease']} has none")
    assert "use networkmanager: managed" in message
    # What works instead does work:
    choice = platform.choose("ifcfg", "managed", grains, stack, "bonding")
    assert (choice.format, choice.networkmanager) == ("ifcfg", "managed")


def test_network_scripts_output_on_rhel_8_with_network_scripts_is_fine():
    choice = platform.choose("auto", "disabled", {**RHEL, "osmajorrelease": 8},
                             Stack("enabled", True), "bonding")
    assert (choice.format, choice.networkmanager) == ("ifcfg", "disabled")


def test_files_for_networkmanager_where_it_is_not_installed_are_written_with_a_warning():
    choice = platform.choose("auto", None, {**RHEL, "osmajorrelease": 9}, Stack(), "bonding")
    assert choice.format == "keyfile"
    assert choice.warnings == ["NetworkManager is not installed on this minion: nothing reads "
                               "these files until it is (bonding:networkmanager)"]


@pytest.mark.parametrize("files, stack", [
    ([], Stack("absent", False)),
    (["usr/sbin/NetworkManager"], Stack("installed", False)),
    (["usr/sbin/NetworkManager",
      "etc/systemd/system/multi-user.target.wants/NetworkManager.service",
      "etc/sysconfig/network-scripts/ifup-eth"], Stack("enabled", True)),
    (["etc/sysconfig/network-scripts/ifup-eth"], Stack("absent", True)),
])
def test_probe_reads_what_the_packages_install(tmp_path, files, stack):
    for relative in files:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    assert platform.probe(str(tmp_path)) == stack
    assert Stack.from_grain(stack.as_grain()) == stack


def test_an_enabled_unit_is_a_symlink_that_may_dangle(tmp_path):
    link = tmp_path / "etc/systemd/system/multi-user.target.wants/NetworkManager.service"
    link.parent.mkdir(parents=True)
    os.symlink("/nonexistent/NetworkManager.service", link)
    assert platform.probe(str(tmp_path)).networkmanager == "enabled"


@pytest.mark.parametrize("junk", [None, "enabled", {"networkmanager": "on"}, {}])
def test_a_grain_that_is_not_ours_is_ignored(junk):
    assert Stack.from_grain(junk) is None


def test_the_plan_carries_the_choice_and_writes_nothing_when_refused(tmp_path):
    from salt_bonding import plan
    from salt_bonding.render import Locations

    where = Locations({"ifcfg": str(tmp_path / "ifcfg"), "keyfile": str(tmp_path / "nm")},
                      str(tmp_path / "bonding.conf"))
    pillar = {"networkmanager": "disabled",
              "bonds": {"bond0": {"mode": 1, "miimon": 100, "slaves": ["eth0"]}}}
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled(pillar, "bonding", where, {**RHEL, "osmajorrelease": 9}, NM_ONLY)
    assert caught.value.errors[0][0] == "bonding:networkmanager"
    rhel7 = plan.plan_reconciled(pillar, "bonding", where, {**RHEL, "osmajorrelease": 7},
                                 NM_ONLY)
    assert rhel7.networkmanager == "disabled" and rhel7.destination.format == "ifcfg"
    rhel8 = plan.plan_reconciled({"bonds": pillar["bonds"]}, "bonding", where,
                                 {**RHEL, "osmajorrelease": 8}, NM_ONLY)
    assert rhel8.choice.networkmanager == "managed"
    texts = {os.path.basename(p): c.new for p, c in rhel8.changes.items()}
    assert "NM_CONTROLLED=yes" in texts["ifcfg-bond0"] and "NM_CONTROLLED=yes" in texts[
        "ifcfg-eth0"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("release, file_format, said", [
    (None, "ifcfg", "grain osmajorrelease is missing: the release is unknown, taken as one "
                    "before 9 (ifcfg files, read by what is installed, as on RHEL 8)"),
    ("nine", "ifcfg", "grain osmajorrelease is 'nine', not a number: the release is unknown, "
                      "taken as one before 9 (ifcfg files, read by what is installed, as on "
                      "RHEL 8)"),
    ("9.4", "keyfile", "grain osmajorrelease is '9.4', not a whole number: taken as 9"),
])
def test_a_release_grain_that_is_no_number_is_said_with_what_was_assumed(release, file_format,
                                                                          said):
    """Taken as release 0 without a word before (issue 26)."""
    grains = {**RHEL, "osmajorrelease": release}
    choice = platform.choose("auto", None, grains, NM_ONLY, "bonding")
    assert choice.format == file_format
    assert choice.warnings == [f"{said}; set bonding:format and bonding:networkmanager to "
                               "choose"], choice.warnings
    for usable in (9, "9", 9.0):  # what Salt's grains give, and YAML's spellings of it
        assert platform.choose("auto", None, {**RHEL, "osmajorrelease": usable}, NM_ONLY,
                               "bonding").warnings == []
    debian = {"os": "Debian", "os_family": "Debian", "osmajorrelease": release}
    assert all("osmajorrelease" not in warning for warning in platform.choose(
        "auto", None, debian, BOTH_NM_OFF, "bonding").warnings)  # the release decides nothing there
    with pytest.raises(errors.UserError) as refused:  # nothing reads ifcfg files there (issue #22)
        platform.choose("auto", None, debian, NM_ONLY, "bonding")
    assert "osmajorrelease" not in str(refused.value) and "release" not in str(refused.value)
