"""activate: what every back-end shares. ``verify.reach_problem``'s route and retry
rules, and ``bring_live``'s order on failure (files back before the bonds are restored,
only the bonds touched restored), over a recording stand-in for ``Running`` (the real
kernel runs these in tests/kernel/test_activate_kernel.py)."""

import dataclasses
import os

import pytest
from salt_bonding import activate
from salt_bonding.activate import bring_live, kernel, verify
from salt_bonding.activate import plan as activate_plan
from salt_bonding.activate.base import BondPlan
from salt_bonding.activate.operations import Command
from salt_bonding.config import model, schema
from salt_bonding.errors import SystemFailure, UserError

pytestmark = pytest.mark.unit


def bond(**settings):
    settings = {"mode": "active-backup", "slaves": ["eth0"], "miimon": 100, **settings}
    return schema.validate_bond("bond0", settings)


class Clock:
    """Time that passes only when someone sleeps."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Host:
    """Records what is run; routes and answers as told."""

    def __init__(self, route="bond0", answers_after=0, fail_on=None):
        self.route, self.answers_after, self.fail_on = route, answers_after, fail_on
        self.pings, self.log = 0, []

    def route_device(self, address):
        return self.route

    def answers(self, address):
        self.pings += 1
        return self.pings > self.answers_after

    def run(self, op):
        self.log.append(op.says)
        if op.says == self.fail_on:
            raise SystemFailure(f"{op.says}: refused")

    def snapshot(self, names):
        self.log.append(f"snapshot {','.join(names)}")
        return dict.fromkeys(names)


def reach(host, **verify_settings):
    clock = Clock()
    desired = bond(verify={"ping": "192.0.2.1", **verify_settings},
                   vlans={100: {"ipaddr": "198.51.100.10", "prefix": 24}})
    return verify.reach_problem(host, desired, clock, clock.sleep), clock.now


def test_an_address_that_answers_through_the_bond_verifies():
    assert reach(Host()) == (None, 0.0)


def test_an_address_that_answers_late_is_retried_until_it_does():
    assert reach(Host(answers_after=3)) == (None, 3 * verify.INTERVAL)


def test_an_address_reached_through_a_vlan_of_the_bond_counts():
    assert reach(Host(route="bond0.100"))[0] is None


def test_an_address_that_never_answers_fails_after_its_timeout():
    problem, waited = reach(Host(answers_after=10**6), timeout=2)
    assert problem == "192.0.2.1 unreachable through bond0 after 2 s"
    assert waited == pytest.approx(2.0)


@pytest.mark.parametrize("route, said", [("eth9", "routed through eth9"), (None, "no route")])
def test_an_address_that_answers_another_way_does_not_count(route, said):
    host = Host(route=route)
    problem, _ = reach(host, timeout=1)
    assert problem == f"192.0.2.1 unreachable through bond0 after 1 s ({said})"
    assert host.pings == 0


def op(says):
    return Command(bond="bond", says=says, argv=())


def bond_plan(name, *says):
    return BondPlan(name, None, None, [op(s) for s in says], False, kernel.Kernel())


def test_a_failing_step_puts_the_files_back_then_every_bond_of_the_run():
    host = Host(fail_on="b2")
    plans = [bond_plan("bond0", "a1", "a2"), bond_plan("bond1", "b1", "b2", "b3"),
             bond_plan("bond2", "c1")]

    def put_files_back():
        host.log.append("files back")
        return "rolled back 4 file(s)"

    outcome = bring_live(host, plans, put_files_back)
    assert outcome.failed == "b2: refused"
    assert outcome.done == {"bond0": ["a1", "a2"], "bond1": ["b1"]}
    # bond2's plan never ran, but it is read again and restored too (a bond of the run
    # may have lost a slave to another); here it had nothing to undo.
    assert host.log == ["a1", "a2", "b1", "b2", "files back", "snapshot bond2,bond1,bond0"]
    assert outcome.rolled_back == ["bond1", "bond0"] and outcome.files == "rolled back 4 file(s)"


def moving(name, before, after):
    return BondPlan(name, bond(slaves=after) if after else None,
                    bond(slaves=before) if before else None, [op(name)], False, kernel.Kernel())


def test_a_bond_giving_up_a_slave_runs_before_the_bond_taking_it():
    from salt_bonding.activate import handing_over_first

    takes = moving("bond0", ["eth0"], ["eth0", "eth2"])
    gives = moving("bond1", ["eth2", "eth3"], ["eth3"])
    other = moving("bond2", ["eth4"], ["eth4", "eth5"])
    assert [p.name for p in handing_over_first([takes, gives, other])] == [
        "bond1", "bond0", "bond2"]
    removed = moving("bond3", ["eth6"], None)  # a bond removed gives up all its slaves
    taker = moving("bond0", ["eth0"], ["eth0", "eth6"])
    assert [p.name for p in handing_over_first([taker, removed])] == ["bond3", "bond0"]
    # Trading slaves both ways: no order works, the given one is kept.
    one, two = moving("bond0", ["eth0"], ["eth1"]), moving("bond1", ["eth1"], ["eth0"])
    assert handing_over_first([one, two]) == [one, two]


class Kernel(Host):
    """Bonds whose slaves follow the sysfs writes and removals run on it; ``fail_on``
    an operation's words."""

    def __init__(self, bonds, fail_on=None):
        super().__init__(fail_on=fail_on)
        self.bonds = dict(bonds)

    def run(self, op):
        super().run(op)
        if op.kind == "sysfs" and op.args[0].endswith("/bonding/slaves"):
            bond, value = op.args[0].split("/")[0], op.args[1]
            slaves, slave = list(self.bonds[bond].slaves), value[1:]
            if value[0] == "+":
                held = [b for b, running in self.bonds.items() if slave in running.slaves]
                if held:
                    raise SystemFailure(f"{op.says}: Device or resource busy")
                slaves.append(slave)
            else:
                slaves.remove(slave)
            self.bonds[bond] = dataclasses.replace(self.bonds[bond], slaves=slaves)

    def snapshot(self, names):
        return {name: self.bonds.get(name) for name in names}

    def holders(self):
        return {s: name for name, running in self.bonds.items() for s in running.slaves}


def swap(*slaves_after):
    """bond0 over eth0, bond1 over eth1, bond2 over eth2, and their plans to
    ``slaves_after``: a swap or a cycle."""
    before = {f"bond{i}": named(f"bond{i}", [f"eth{i}"]) for i in range(len(slaves_after))}
    wanted = {f"bond{i}": named(f"bond{i}", slaves) for i, slaves in enumerate(slaves_after)}
    return before, wanted


def named(name, slaves):
    return schema.validate_bond(name, {"mode": "active-backup", "slaves": slaves,
                                       "miimon": 100})


@pytest.mark.parametrize("after", [(["eth1"], ["eth0"]), (["eth1"], ["eth2"], ["eth0"])])
def test_slaves_trading_places_are_released_everywhere_before_any_is_enslaved(
        after, monkeypatch):
    monkeypatch.setattr(verify, "problems", lambda *args, **kwargs: [])  # the kernel tier's
    before, wanted = swap(*after)
    host = Kernel(before)
    outcome = bring_live(host, plan(host, wanted), lambda: "files")
    released = [i for i, says in enumerate(host.log) if says.endswith("released")]
    enslaved = [i for i, says in enumerate(host.log) if says.endswith(" enslaved")
                and "to be" not in says]
    assert max(released) < min(enslaved) and len(enslaved) == len(after)
    assert {name: running.slaves for name, running in host.bonds.items()} == {
        f"bond{i}": slaves for i, slaves in enumerate(after)}
    assert outcome.failed is None


def test_a_failed_swap_puts_back_the_bond_whose_plan_never_ran():
    before, wanted = swap(["eth1"], ["eth0"])
    host = Kernel(before, fail_on="bond1: eth0 enslaved")
    outcome = bring_live(host, plan(host, wanted), lambda: "files")
    assert outcome.failed == "bond1: eth0 enslaved: refused"
    assert {name: running.slaves for name, running in host.bonds.items()} == {
        "bond0": ["eth0"], "bond1": ["eth1"]}
    assert sorted(outcome.rolled_back) == ["bond0", "bond1"] and not outcome.rollback_errors


def test_a_slave_held_by_a_bond_outside_the_run_is_refused_before_anything_runs():
    host = Kernel({"bond0": named("bond0", ["eth0"]), "bond9": named("bond9", ["eth5"])})
    with pytest.raises(UserError) as refused:
        plan(host, {"bond0": named("bond0", ["eth0", "eth5"])})
    (where, message), = refused.value.errors
    assert where == "bonding:bonds:bond0:slaves"
    assert message.startswith("eth5 is a slave of bond9, which this run does not change")
    assert "ip link set eth5 nomaster" in message
    assert host.log == []


def plan(host, wanted):
    host.check = None
    return activate_plan(host, {"kernel": wanted})


# -- activate: nmcli plans ---------------------------------------------------------
def nmcli_plan(desired, before):
    from salt_bonding.activate.nmcli import Nmcli

    operations, bounced = Nmcli().plan_one("bond0", desired, before)
    return [" ".join(op.args[3:]) for op in operations], bounced


def uuid(interface):
    from salt_bonding.render.keyfile import profile_uuid

    return profile_uuid(interface)


def running(desired):
    """``desired`` as the kernel reads it back: every option in its mode."""
    from salt_bonding.activate.kernel_plan import option_values

    return model.Bond(name=desired.name, mode=desired.mode, options=option_values(desired),
                             slaves=list(desired.slaves), vlans=dict(desired.vlans))


def test_nmcli_brings_a_new_bond_up_with_its_ports_and_vlans():
    desired = bond(slaves=["eth0", "eth1"], vlans={100: {}})
    assert nmcli_plan(desired, None) == ([
        f"connection up uuid {uuid('bond0')}", f"connection up uuid {uuid('eth0')}",
        f"connection up uuid {uuid('eth1')}", f"connection up uuid {uuid('bond0.100')}"],
        False)


def test_nmcli_reapplies_what_networkmanager_changes_live():
    before = bond(slaves=["eth0"], vlans={100: {}})
    desired = bond(slaves=["eth0", "eth1"], miimon=200, vlans={100: {}, 200: {}})
    assert nmcli_plan(desired, running(before)) == ([
        "device reapply bond0", f"connection up uuid {uuid('eth1')}",
        "device reapply bond0.100", f"connection up uuid {uuid('bond0.200')}"], False)


@pytest.mark.parametrize("change", [{"mode": "balance-xor"}, {"fail_over_mac": "active"}])
def test_nmcli_reactivates_for_what_networkmanager_cannot_reapply(change):
    before = bond()
    ops, bounced = nmcli_plan(bond(**change), running(before))
    assert bounced and ops == ["device delete bond0",  # options left out: the default
                               f"connection up uuid {uuid('bond0')}",
                               f"connection up uuid {uuid('eth0')}"]


def test_nmcli_attaches_again_the_ports_whose_own_settings_changed():
    """NetworkManager sets a port's queue_id and prio when it attaches the port
    (commit_port_options, nm-device-bond.c), not on the bond's reapply."""
    before = bond(slaves={"eth0": {"prio": 5}, "eth1": None, "eth2": {"prio": 1}})
    desired = bond(slaves={"eth0": {"prio": 6}, "eth1": {"prio": 0}, "eth2": None})
    kernel = dataclasses.replace(running(before), ports=before.ports)
    assert nmcli_plan(desired, kernel) == ([
        "device reapply bond0", f"connection up uuid {uuid('eth0')}",
        f"connection up uuid {uuid('eth2')}"], False)
    assert nmcli_plan(before, kernel) == (["device reapply bond0"], False)


def test_nmcli_deletes_a_removed_bond_only_when_it_runs():
    assert nmcli_plan(None, running(bond())) == (["device delete bond0"], False)
    assert nmcli_plan(None, None) == ([], False)


# -- activate: ifup plans ----------------------------------------------------------
def ifup_plan(desired, before):
    from salt_bonding.activate.ifup import Ifup

    operations, bounced = Ifup().plan_one("bond0", desired, before)
    return [op.says for op in operations], bounced


def test_ifup_brings_a_new_bond_and_its_vlans_up():
    assert ifup_plan(bond(vlans={100: {}}), None) == (
        ["bond0: ifup", "bond0.100: ifup"], False)


def test_ifup_takes_a_running_bond_down_and_deletes_it_first():
    assert ifup_plan(bond(miimon=200), running(bond())) == (
        ["bond0: ifdown", "bond0 deleted", "bond0: ifup"], True)


def test_ifup_leaves_a_removed_bond_to_the_kernel_planner():
    assert ifup_plan(None, running(bond())) == (["bond0 removed"], False)


@pytest.fixture
def initscripts(tmp_path, monkeypatch):
    """A network-scripts directory and a PATH of its own: ``(scripts, bin)``."""
    from salt_bonding.activate import ifup

    scripts, path = tmp_path / "network-scripts", tmp_path / "bin"
    scripts.mkdir()
    path.mkdir()
    monkeypatch.setattr(ifup, "INITSCRIPTS", str(scripts))
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.setattr("salt_bonding.activate.running.SBIN", ())
    return scripts, path


def executable(path):
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("layout", ["rhel7", "rhel8"])
def test_ifup_runs_where_ifup_is_initscripts_own(initscripts, layout):
    from salt_bonding.activate import Running
    from salt_bonding.activate.ifup import Ifup

    scripts, path = initscripts
    for name in ("ifup", "ifdown"):
        if layout == "rhel7":  # the script in /usr/sbin, linked from network-scripts
            (scripts / name).symlink_to(executable(path / name))
        else:  # RHEL 8's network-scripts: the other way round (through alternatives)
            (path / name).symlink_to(executable(scripts / name))
    Ifup().check(Running(lambda argv: (0, "", "")))


@pytest.mark.parametrize("theirs, said", [
    (False, "activate: ifup, but {found} is not initscripts' ifup ({scripts}/ifup): Debian's "
            "ifupdown reads /etc/network/interfaces and RHEL 9's wraps nmcli, neither reads "
            "these ifcfg files (install network-scripts, or use activate: kernel)"),
    (True, "activate: ifup, but {found} is not initscripts' ifup"),
])
def test_ifup_refuses_an_ifup_that_is_not_initscripts(initscripts, theirs, said):
    """Debian's ifupdown (or RHEL 9's nmcli wrapper) is an ``ifup`` too: it would act on
    other files than ours. Refused, with network-scripts copied beside it or not."""
    from salt_bonding.activate import Running
    from salt_bonding.activate.ifup import Ifup

    scripts, path = initscripts
    for name in ("ifup", "ifdown"):
        executable(path / name)
        if theirs:
            executable(scripts / name)
    with pytest.raises(SystemFailure) as caught:
        Ifup().check(Running(lambda argv: (0, "", "")))
    assert str(caught.value).startswith(said.format(found=path / "ifup", scripts=scripts))


def test_ifup_without_any_ifup_says_which_is_missing(initscripts):
    from salt_bonding.activate import Running
    from salt_bonding.activate.ifup import Ifup

    with pytest.raises(SystemFailure) as caught:
        Ifup().check(Running(lambda argv: (0, "", "")))
    assert str(caught.value) == ("activate: ifup, but initscripts' ifup is not on this minion "
                                 "(install network-scripts, or use activate: kernel)")


def test_ifup_where_no_network_scripts_bring_bonds_up_is_refused():
    from salt_bonding.activate import refusals
    from salt_bonding.config.model import Config
    from salt_bonding.host.platform import Choice

    config = Config(activate="ifup", bonds={"bond0": bond()})
    without = Choice("ifcfg", "unmanaged", "why", network_scripts=False)
    assert refusals(config, without, "bonding:bonds") == [("bonding:activate", (
        "ifup, but no initscripts are installed here to bring bond0 up from its ifcfg files "
        "(install network-scripts, or use activate: kernel)"))]
    with_them = Choice("ifcfg", "unmanaged", "why", network_scripts=True)
    assert refusals(config, with_them, "bonding:bonds") == []


def test_kernel_activation_runs_no_dhcpv6_client_either():
    from salt_bonding.activate import refusals
    from salt_bonding.config.model import Config
    from salt_bonding.host.platform import Choice

    config = Config(activate="kernel", bonds={"bond0": bond(
        ipv6addr="2001:db8::10/64", vlans={10: {"dhcpv6c": True, "ipv6_autoconf": False}})})
    choice = Choice("ifcfg", "unmanaged", "why")
    assert refusals(config, choice, "bonding:bonds") == [("bonding:activate", (
        "kernel cannot bring bond0 live: it takes its address from DHCP, and the kernel "
        "back-end runs no DHCP client (use activate: none)"))]


def test_a_link_local_address_is_pinged_through_the_interface_it_names():
    clock = Clock()
    host = Host(route="eth9")  # the kernel's route lookup would not say which link
    desired = bond(vlans={100: {}}, verify={"ping": "fe80::1%bond0.100"})
    assert verify.reach_problem(host, desired, clock, clock.sleep) is None
    assert host.pings == 1


def test_a_removal_that_fails_because_the_device_went_first_is_done(tmp_path):
    from salt_bonding.activate import Running

    def refuses(argv):
        return 10, "", "Error: not all devices found."

    running = Running(refuses, sysfs_root=str(tmp_path))
    removal = Command(bond="bond0", says="bond0 removed",
                      argv=("nmcli", "device", "delete", "bond0"), removes="bond0")
    running.run(removal)  # no bond0 under sysfs: gone already
    (tmp_path / "bond0").mkdir()
    with pytest.raises(SystemFailure, match="bond0 removed: nmcli device delete bond0: "
                                            "Error: not all devices found."):
        running.run(removal)


# -- converging the kernel to files in place --------------------------------------------
def test_a_bond_whose_kernel_drifted_from_its_files_is_planned_with_why():
    running = named("bond0", ["eth0", "eth1"])
    host = Kernel({"bond0": running, "bond1": named("bond1", ["eth2"])})
    converge = {"kernel": {"bond0": named("bond0", ["eth0"]), "bond1": named("bond1", ["eth2"])}}
    host.check = None
    plans = activate_plan(host, {}, converge=converge)
    assert [(p.name, p.drift, p.says()) for p in plans] == [
        ("bond0", ["bond0: eth1 released"], ["bond0: eth1 released"])]


def test_a_bond_not_brought_up_at_boot_is_no_drift():
    quiet = schema.validate_bond("bond0", {"mode": 1, "slaves": ["eth0"], "miimon": 100,
                                           "onboot": False})
    assert activate.drifted({"kernel": {"bond0": quiet}}, {"bond0": None}) == {}
    assert activate.drifted({"kernel": {"bond0": named("bond0", ["eth0"])}},
                            {"bond0": None})["bond0"][0] == "bond0 created"


def test_the_master_is_asked_until_it_answers_within_the_longest_timeout():
    clock, asked = Clock(), []

    def answer(seconds):
        asked.append(seconds)
        clock.now += seconds
        return None if len(asked) == 3 else "Message timed out"

    assert verify.master_problem(answer, 30, clock, clock.sleep) is None
    assert len(asked) == 3
    clock, asked = Clock(), []
    assert verify.master_problem(lambda s: asked.append(s) or clock.sleep(s) or "refused", 5,
                                 clock, clock.sleep) == (
        "the Salt master did not answer a request after 5 s (refused)")
    plans = [BondPlan("bond0", bond(verify={"master": True, "timeout": 20}), None, [], False),
             BondPlan("bond1", bond(verify={"ping": "192.0.2.1"}), None, [], False),
             BondPlan("bond2", None, None, [], False)]
    assert verify.master_timeout(plans) == 20
    assert verify.master_timeout(plans[1:]) is None


def test_a_master_that_does_not_answer_fails_the_run_and_puts_it_back(monkeypatch):
    monkeypatch.setattr(verify, "problems", lambda *args, **kwargs: [])  # kernel and pings
    monkeypatch.setattr(verify, "master_problem", lambda answer, timeout: answer(timeout))
    host = Kernel({"bond0": named("bond0", ["eth0"])})
    wanted = {"bond0": schema.validate_bond("bond0", {
        "mode": "active-backup", "slaves": ["eth1"], "miimon": 100,
        "verify": {"master": True}})}
    outcome = bring_live(host, plan(host, wanted), lambda: "files",
                         master=lambda seconds: "no route to host")
    assert outcome.failed == "verification failed: no route to host"
    assert host.bonds["bond0"].slaves == ["eth0"] and outcome.files == "files"


def test_the_pause_hook_waits_after_the_first_operation_while_its_file_exists(tmp_path):
    path = tmp_path / "pause"
    checks = []

    def exists(p):
        checks.append(p)
        return len(checks) < 4

    between = activate.pause_while(str(path), exists=exists, sleep=lambda s: None)
    between(2)
    assert checks == [] and not (tmp_path / "pause.paused").exists()
    between(1)
    assert (tmp_path / "pause.paused").read_text() == f"{os.getpid()}\n"
    assert len(checks) == 4  # armed, then waited while it was there
    unarmed = activate.pause_while(str(path))
    unarmed(1)  # no file: no pause
    assert activate.pause_while(None) is None


# -- activate: ifup on Debian (ifupdown files) -----------------------------------------
def ifupdown_plan(desired, before):
    from salt_bonding.activate.ifupdown import IfupdownIfup

    operations, bounced = IfupdownIfup().plan_one("bond0", desired, before)
    return [(op.says, op.args) for op in operations], bounced


def test_ifupdown_brings_a_new_bond_and_its_vlans_up():
    assert ifupdown_plan(bond(vlans={100: {}}), None) == (
        [("bond0: ifup", ("ifup", "bond0")), ("bond0.100: ifup", ("ifup", "bond0.100"))], False)


def test_ifupdown_takes_a_running_bond_down_deletes_it_and_forgets_what_pillar_dropped():
    """``ifdown`` first: ifupdown skips what it remembers bringing up (``--force`` only for a
    VLAN whose stanza is gone: it forgets it), then the bond deleted (ifenslave's hook
    deletes it on ifdown; the kernel's, or someone's, would stay)."""
    before = running(bond(vlans={100: {}, 200: {}}))
    assert ifupdown_plan(bond(miimon=200, vlans={100: {}}), before) == (
        [("bond0.100: ifdown", ("ifdown", "bond0.100")),
         ("bond0.200: ifdown", ("ifdown", "--force", "bond0.200")),
         ("bond0: ifdown", ("ifdown", "bond0")),
         ("bond0 deleted", ("link", "del", "bond0")),
         ("bond0: ifup", ("ifup", "bond0")), ("bond0.100: ifup", ("ifup", "bond0.100"))], True)
    removed, bounced = ifupdown_plan(None, running(bond()))
    assert (removed, bounced) == ([("bond0: ifdown", ("ifdown", "--force", "bond0")),
                                   ("bond0 removed", removed[-1][1])], False)


@pytest.mark.parametrize("layout, said", [
    ("ifupdown", None),
    ("initscripts", "activate: ifup, but {path}/ifup is not ifupdown's (Debian's ifup is also "
                    "its ifquery): nothing here brings up these ifupdown files (install "
                    "ifupdown and ifenslave, or use activate: kernel)"),
    ("no-ifenslave", "activate: ifup, but ifenslave is not installed ({hook}): ifupdown would "
                     "create no bond (install ifupdown and ifenslave, or use activate: "
                     "kernel)"),
])
def test_ifupdown_runs_only_where_ifup_is_ifupdowns_with_ifenslave(tmp_path, monkeypatch,
                                                                   layout, said):
    from salt_bonding.activate import Running, ifupdown

    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.setattr("salt_bonding.activate.running.SBIN", ())
    hook = tmp_path / "ifenslave"
    monkeypatch.setattr(ifupdown, "IFENSLAVE_HOOK", str(hook))
    executable(path / "ifup")
    if layout == "initscripts":
        executable(path / "ifquery")  # a program of its own: not ifupdown's ifup
    else:
        (path / "ifquery").symlink_to("ifup")
    if layout != "no-ifenslave":
        executable(hook)
    check = ifupdown.IfupdownIfup().check
    if said is None:
        check(Running(lambda argv: (0, "", "")))
        return
    with pytest.raises(SystemFailure) as caught:
        check(Running(lambda argv: (0, "", "")))
    assert str(caught.value) == said.format(path=path, hook=hook)


@pytest.mark.parametrize("name, file_format, key", [
    ("ifup", "ifcfg", "ifup"), ("ifup", "ifupdown", "ifup@ifupdown"), ("kernel", "ifupdown",
                                                                         "kernel"),
    ("kernel", "netplan", "kernel@netplan"), ("ifup", "netplan", "ifup@netplan"),
    ("nmcli", "netplan", "nmcli@netplan"), ("nmcli", "keyfile", "nmcli")])
def test_the_back_end_of_an_activate_follows_the_files(name, file_format, key):
    from salt_bonding import activate

    assert activate.backend(name, file_format) == key
    assert activate.ACTIVATORS[key].name == name


@pytest.mark.parametrize("activate_as", ["kernel", "ifup", "nmcli"])
def test_netplan_files_are_never_brought_live_here_and_the_way_out_is_named(tmp_path,
                                                                            activate_as):
    from salt_bonding import errors, plan
    from salt_bonding.host.platform import Stack
    from salt_bonding.render import Destination

    destination = Destination("netplan", str(tmp_path / "netplan"), str(tmp_path / "b.conf"))
    pillar = {"activate": activate_as,
              "bonds": {"bond0": {"mode": "active-backup", "miimon": 100, "slaves": ["eth0"]}}}
    ubuntu = {"os": "Ubuntu", "os_family": "Debian", "osmajorrelease": 24}
    with pytest.raises(errors.UserError) as caught:
        plan.plan_reconciled(pillar, "bonding", destination, ubuntu, Stack(netplan=True))
    assert caught.value.errors == [("bonding:activate", (
        f"{activate_as}, but netplan brings bond0 up on this minion (netplan files "
        "(systemd-networkd brings the bonds up)), and only netplan apply brings netplan files "
        "live: it reconfigures the whole host, not this bond alone, and cannot be rolled back "
        "bond by bond, so this module does not run it (use activate: none, then netplan "
        "generate and netplan apply when the host can take it; or format: ifupdown with "
        "activate: ifup where ifupdown is installed)"))]
    assert list(tmp_path.iterdir()) == []
    # The files alone are written.
    written = plan.plan_reconciled({**pillar, "activate": "none"}, "bonding", destination,
                                   ubuntu, Stack(netplan=True))
    assert str(tmp_path / "netplan" / "90-salt-bond-bond0.yaml") in written.changes
