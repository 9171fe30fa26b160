"""The rollout's decisions (salt_bonding.fleet.rollout) and the runner's argument checks
(fleet.arguments): waves, the verdict on a state.apply return, the stop, the preview."""

import pytest
from salt_bonding.fleet import arguments, rollout

pytestmark = pytest.mark.unit

STATE = "bond_|-bonding_|-bonding_|-reconciled"


def state(result=True, comment="Files: ifcfg files.", changes=None, number=0):
    return {"result": result, "comment": comment, "changes": changes or {},
            "__run_num__": number, "name": "bonding"}


def entry(*states, retcode=0, keys=None):
    keys = keys or [STATE] + [f"file_|-extra{i}_|-/etc/x{i}_|-managed" for i in range(9)]
    return {"ret": dict(zip(keys[:len(states)], states, strict=True)), "retcode": retcode}


FILES = {"/etc/sysconfig/network-scripts/ifcfg-bond0": {"action": "updated", "diff": "-a\n+b"},
         "/etc/modprobe.d/bonding.conf": {"action": "created", "diff": "+alias"}}


@pytest.mark.parametrize("minions, canary, batch, expected", [
    (["c", "a", "e", "b", "d"], 1, 2, [["a"], ["b", "c"], ["d", "e"]]),
    (["c", "a", "e", "b", "d"], 0, 2, [["a", "b"], ["c", "d"], ["e"]]),
    (["c", "a", "e", "b", "d"], 2, "50%", [["a", "b"], ["c", "d", "e"]]),
    ([f"m{i:02d}" for i in range(20)], 1, "10%", [["m00"]] + [
        [f"m{i:02d}", f"m{i + 1:02d}"] for i in range(1, 19, 2)] + [["m19"]]),
    (["a", "b"], 5, 1, [["a", "b"]]),
    (["a"], 1, "1%", [["a"]]),
    ([], 1, 1, []),
])
def test_waves_go_in_minion_id_order_canary_first(minions, canary, batch, expected):
    planned = rollout.waves(minions, canary, batch)
    assert [w.minions for w in planned] == expected
    assert [w.canary for w in planned] == [bool(canary) and i == 0 for i in range(len(expected))]


def test_a_wave_size_in_percent_is_rounded_up_and_at_least_one():
    assert rollout.wave_size("10%", 2000) == 200
    assert rollout.wave_size("10%", 15) == 2
    assert rollout.wave_size("0.5%", 10) == 1
    assert rollout.wave_size(7, 3) == 7


def fake_wave(returns, published):
    def apply_wave(wave):
        published.append(list(wave.minions))
        return {m: returns[m] for m in wave.minions if m in returns}, f"jid{len(published)}"
    return apply_wave


def test_the_rollout_stops_after_the_first_failing_wave_and_starts_no_later_one():
    ok = entry(state(changes=FILES))
    refused = entry(state(False, "No files changed. bonding:bonds:bond0: unknown option "
                                 "'miimonn' in bonding:bonds:bond0; did you mean 'miimon'?"),
                    retcode=2)
    returns = {"a": ok, "b": ok, "c": refused, "d": ok, "e": ok}
    published = []
    result = rollout.run(rollout.waves(list(returns), 1, 2), fake_wave(returns, published), 60)
    assert published == [["a"], ["b", "c"]]
    assert result.stopped
    assert result.applied == {"a": {"files": 2, "live": 0}, "b": {"files": 2, "live": 0}}
    assert result.failed == {"c": "bond.reconciled bonding: No files changed. bonding:bonds:"
                                   "bond0: unknown option 'miimonn' in bonding:bonds:bond0; "
                                   "did you mean 'miimon'?"}
    assert result.never_started == ["d", "e"]
    found = rollout.as_dict(result, {"tgt": "*", "tgt_type": "glob"})
    assert found["retcode"] == 1 and found["stopped"] is True
    assert [(w["minions"], w["outcome"], w["jid"]) for w in found["waves"]] == [
        (["a"], "applied", "jid1"), (["b", "c"], "failed", "jid2"),
        (["d", "e"], "never started", None)]


def test_a_minion_that_returns_nothing_fails_its_wave():
    published = []
    returns = {"a": entry(state()), "c": entry(state())}  # b never returns
    result = rollout.run(rollout.waves(["a", "b", "c"], 1, 1), fake_wave(returns, published), 45)
    assert published == [["a"], ["b"]]
    assert result.failed == {"b": "did not return within 45 s (salt-run jobs.lookup_jid jid2 "
                                  "shows it if it returns later)"}
    assert result.never_started == ["c"]


def test_a_rollout_where_everything_succeeds_exits_0():
    returns = {m: entry(state()) for m in "abc"}
    result = rollout.run(rollout.waves(list("abc"), 1, "50%"), fake_wave(returns, []), 60)
    found = rollout.as_dict(result, {})
    assert (found["retcode"], found["stopped"], found["never_started"]) == (0, False, [])
    assert list(found["applied"]) == ["a", "b", "c"]


@pytest.mark.parametrize("ret, why", [
    ("ERROR: 'state.apply' is not available.", "ERROR: 'state.apply' is not available."),
    (["No matching sls found for 'bonding' in env 'base'"],
     "No matching sls found for 'bonding' in env 'base'"),
    ({}, "no state ran"),
    (42, "state.apply returned 42, expected state returns"),
    ({STATE: "oops"}, "bond.reconciled bonding: returned 'oops', expected a state return"),
])
def test_a_return_that_is_no_state_run_is_a_failure_saying_what_came_back(ret, why):
    outcome = rollout.judge({"ret": ret, "retcode": 1}, 60)
    assert not outcome.ok and why in outcome.why, outcome


def test_every_state_must_succeed_and_the_first_failure_by_run_order_comes_first():
    states = entry(state(number=2), state(False, "second", number=1), state(False, "first",
                                                                            number=0))
    outcome = rollout.judge(states, 60)
    assert outcome.why == ("file.managed extra1: first; file.managed extra0: second")


def test_a_bond_brought_live_must_be_said_verified():
    live = {**FILES, "live": {"bond0": {"done": ["bond0: miimon 100 -> 200"],
                                        "bounced": False},
                              "bond1": {"done": ["ip link add bond1", "enslave va", "x"],
                                        "bounced": True}}}
    verified = ("2 file(s) written: ifcfg-bond0, bonding.conf\nFiles: ifcfg files; why: x.\n"
                "bond0 is live and verified.\nbond1 is live (bounced) and verified.")
    outcome = rollout.judge(entry(state(changes=live, comment=verified)), 60)
    assert outcome.ok and outcome.counts() == {"files": 2, "live": 4}, outcome
    unverified = verified.replace("bond1 is live (bounced) and verified.", "")
    outcome = rollout.judge(entry(state(changes=live, comment=unverified)), 60)
    assert not outcome.ok and "bond1 went live but is not said to be verified" in outcome.why


def test_all_states_true_with_a_non_zero_exit_code_is_a_failure():
    outcome = rollout.judge(entry(state(), retcode=5), 60)
    assert not outcome.ok and outcome.why == "state.apply exited 5"


def test_the_preview_counts_files_and_live_operations_and_lists_failures():
    would = {**FILES, "live": {"bond0": ["bond0: miimon 100 -> 200", "bond0: mtu 1500 -> 9000"]}}
    returns = {
        "web1": entry(state(None, "2 file(s) would be written", changes=would), retcode=0),
        "db1": entry(state(True, "nothing to do")),
        "app1": entry(state(False, "No files changed. bonding:bonds: bad"), retcode=2),
    }
    changes, failed = rollout.preview(["web1", "db1", "app1", "mail1"], returns, 30, "jid9")
    assert changes == {"db1": {"files": 0, "live": 0}, "web1": {"files": 2, "live": 2}}
    assert failed == {"app1": "bond.reconciled bonding: No files changed. bonding:bonds: bad",
                      "mail1": "did not return within 30 s (salt-run jobs.lookup_jid jid9 "
                               "shows it if it returns later)"}
    found = rollout.preview_dict(changes, failed, {"tgt": "*"}, "jid9")
    assert found["retcode"] == 1 and found["test"] is True


# -- arguments --------------------------------------------------------------------
@pytest.mark.parametrize("check, value, message", [
    (arguments.batch, 0, "batch: 0 is not a wave size; give a number of minions (1 or more"),
    (arguments.batch, "0%", "batch: '0%' is not a wave size"),
    (arguments.batch, "150%", "batch: '150%' is not a wave size"),
    (arguments.batch, "ten", "batch: 'ten' is not a wave size"),
    (arguments.batch, True, "batch: True is not a wave size"),
    (arguments.tgt_type, "blob", "tgt_type: 'blob' is not a target type; one of glob, pcre"),
    (lambda v: arguments.count("canary", v, 0), -1, "canary: -1 is not allowed; give a whole "
                                                     "number, 0 or more"),
    (lambda v: arguments.count("canary", v, 0), "x", "canary: 'x' is not allowed"),
    (lambda v: arguments.seconds("timeout", v), 0, "timeout: 0 is not a number of seconds"),
    (lambda v: arguments.seconds("timeout", v), "soon", "timeout: 'soon' is not a number"),
    (lambda v: arguments.switch("test", v), "maybe", "test: 'maybe' is not allowed; give True "
                                                     "or False"),
    (lambda v: arguments.tgt(v, required=True), None, "tgt: required"),
    (arguments.tgt, {"a": 1}, "tgt: {'a': 1} is not a target"),
    (arguments.html_path, "/nonexistent-dir/x.html", "html: cannot write "
                                                      "/nonexistent-dir/x.html: /nonexistent-dir "
                                                      "is not a directory"),
    (arguments.html_path, "/tmp", "html: /tmp is a directory"),
    (arguments.html_path, 5, "html: 5 is not a path"),
    (lambda v: arguments.unknown(v, ("tgt", "batch")), {"batchsize": 3, "__pub_user": "x"},
     "unknown argument 'batchsize'; this function takes tgt, batch"),
])
def test_a_bad_argument_is_refused_naming_it_and_what_is_allowed(check, value, message):
    with pytest.raises(arguments.ArgumentError) as error:
        check(value)
    assert str(error.value).startswith(message), str(error.value)


def test_good_arguments_come_back_normalised():
    assert arguments.batch("10") == 10 and arguments.batch(" 25% ") == "25%"
    assert arguments.seconds("timeout", "2.5") == 2.5 and arguments.seconds("t", 60.0) == 60
    assert arguments.seconds("timeout", None, 300) == 300
    assert arguments.count("canary", "0", 0) == 0
    assert arguments.switch("test", "True") is True and arguments.switch("test", False) is False
    assert arguments.tgt(None) == "*" and arguments.tgt(["a", "b"]) == ["a", "b"]
    assert arguments.tgt(101) == "101"
    arguments.unknown({"__pub_fun": "x"}, ())
