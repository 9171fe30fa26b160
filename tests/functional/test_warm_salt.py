"""The warm Salt caller (tests/harness/warm_salt.py) answers as salt-call does.

The kernel tier calls Salt through it (one per boot: Salt's start-up paid once), so
what it returns must be what ``salt-call --local --out=json`` returns for the same
minion config: the same JSON, the same exit code, a pillar changed on disk seen by
the next call. Checked here on the Salt this pytest runs on, call by call, against
real salt-call processes.
"""

import json
import subprocess
import sys

import pytest

from tests.harness import warm_salt
from tests.harness.saltcall import REPO, SaltCall

pytestmark = pytest.mark.functional

CAPTURE = REPO / "tests" / "captures" / "active-backup-failed-over"
BOND0 = {"mode": "active-backup", "slaves": ["eth0", "eth1"], "miimon": 100}
VOLATILE = ("start_time", "duration", "__pub_pid", "__pub_jid")


class Warm:
    def __init__(self, config_dir):
        self.proc = subprocess.Popen(
            [sys.executable, warm_salt.__file__, str(config_dir)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.proc.stdout.readline())
        assert ready["ready"] is True

    def call(self, *argv):
        self.proc.stdin.write(json.dumps({"argv": list(argv), "timeout": 120}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        return answer["rc"], _stable(answer["stdout"])

    def close(self):
        self.proc.stdin.close()
        assert self.proc.wait(timeout=60) == 0


def _stable(text):
    """The JSON salt-call printed, without the fields that differ from run to run."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    local = value.get("local")
    for ret in local.values() if isinstance(local, dict) else ():
        if isinstance(ret, dict):  # a state's return, or test.arg's kwargs
            for key in VOLATILE:
                ret.pop(key, None)
    return value


@pytest.fixture
def sandbox(tmp_path):
    salt = SaltCall(tmp_path, **{"bond.procfs": str(CAPTURE / "proc/net/bonding"),
                                 "bond.sysfs": str(CAPTURE / "sys/class/net")})
    salt.set_pillar({"bonding": {"bonds": {"bond0": BOND0}}})
    warm = Warm(salt.config_dir)
    yield salt, warm
    warm.close()


def real(salt, *argv):
    proc = subprocess.run(salt.argv(*argv), capture_output=True, text=True, timeout=300)
    return proc.returncode, _stable(proc.stdout)


CALLS = [
    ("bond.status",),
    ("bond.health",),                       # degraded: exit code 1
    ("bond.status", "bond9"),               # an error
    ("state.apply", "bonding", "test=True"),
    ("state.high", json.dumps({"live": {"bond": ["reconciled"]}}), "test=True"),  # refused
    ("test.arg", "1", "two", "three=3", "four={'a': 1}"),
]


@pytest.mark.parametrize("argv", CALLS, ids=lambda argv: " ".join(argv)[:40])
def test_each_call_returns_what_salt_call_returns(sandbox, argv):
    salt, warm = sandbox
    assert warm.call(*argv) == real(salt, *argv)


def test_a_pillar_changed_on_disk_is_seen_by_the_next_call(sandbox):
    salt, warm = sandbox
    rc, applied = warm.call("state.apply", "bonding")
    assert rc == 0, applied
    salt.set_pillar({"bonding": {"bonds": {"bond0": {**BOND0, "miimon": 200}}}})
    rc, after = warm.call("state.apply", "bonding", "test=True")
    assert (rc, after) == real(salt, "state.apply", "bonding", "test=True")
    (ret,) = after["local"].values()
    assert "miimon=200" in json.dumps(ret["changes"]), ret


def test_a_pillar_key_removed_from_the_files_is_gone_for_the_next_call(sandbox):
    salt, warm = sandbox
    assert warm.call("config.get", "bonding:bonds:bond0:miimon") == (0, {"local": 100})
    salt.set_pillar({})
    assert warm.call("config.get", "bonding:bonds:bond0:miimon") == (0, {"local": ""})
    assert real(salt, "config.get", "bonding:bonds:bond0:miimon") == (0, {"local": ""})


def test_one_calls_context_never_reaches_the_next(sandbox):
    """Each call runs in a fork of the warm process: what a call leaves in
    ``__context__`` or opts is gone for the next, as between salt-call processes."""
    _, warm = sandbox
    rc, first = warm.call("state.apply", "bonding")
    assert rc == 0, first
    rc, again = warm.call("state.apply", "bonding")
    (ret,) = again["local"].values()
    assert (rc, ret["changes"]) == (0, {}), again
