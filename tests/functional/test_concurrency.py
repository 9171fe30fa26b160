"""Concurrent runs on one host never lose an update: parallel states, simultaneous salt-calls.

Each of these failed on the code before the host lock: the last writer of the
modprobe file won, and one to three ``alias netdev-bondN bonding`` lines went
missing while every state said ``result: True``.
"""

import fcntl
import os
import subprocess

import pytest

from tests.harness.saltcall import SaltCall, formula_root

pytestmark = pytest.mark.functional

BONDS = [f"bond{n}" for n in range(6)]
PARALLEL_SLS = "".join(f"""
{bond}:
  bond.managed:
    - mode: active-backup
    - slaves: [eth{2 * n}, eth{2 * n + 1}]
    - miimon: 100
    - parallel: True
""" for n, bond in enumerate(BONDS))


def state_tree(tmp_path, text):
    tree = tmp_path / "states"
    tree.mkdir(exist_ok=True)
    (tree / "many.sls").write_text(text)
    return {"base": [str(tree), str(formula_root(tmp_path))]}


def aliases(salt):
    return sorted(line.split()[1] for line in salt.modprobe_conf.read_text().splitlines()
                  if line.startswith("alias netdev-"))


@pytest.mark.parametrize("attempt", range(4))
def test_parallel_managed_states_keep_every_line_and_then_settle(tmp_path, attempt):
    salt = SaltCall(tmp_path / "host", file_roots=state_tree(tmp_path, PARALLEL_SLS))
    rc, first = salt.run("state.apply", "many")
    assert rc == 0 and all(s["result"] is True for s in first.values()), first
    assert aliases(salt) == [f"netdev-{bond}" for bond in BONDS]
    assert len(list(salt.ifcfg_dir.iterdir())) == 3 * len(BONDS)
    rc, second = salt.run("state.apply", "many")
    assert rc == 0 and [s["changes"] for s in second.values()] == [{}] * len(BONDS), second


def lock_of(salt):
    """The host lock: in the minion's cache directory (Salt's default under its root_dir)."""
    return salt.root / "salt" / "var" / "cache" / "salt" / "minion" / "bond.lock"


@pytest.mark.parametrize("attempt", range(3))
def test_two_salt_calls_at_once_each_with_its_own_bonds(tmp_path, attempt):
    """A run from the master and one an administrator started by hand (concurrent=True) on
    one host: one minion root (its cache directory holds the lock), two pillar keys."""
    shared = {"bond.ifcfg_dir": str(tmp_path / "network-scripts"),
              "bond.modprobe_conf": str(tmp_path / "modprobe.d" / "bonding.conf"),
              "root_dir": str(tmp_path / "salt-root")}
    (tmp_path / "network-scripts").mkdir()
    (tmp_path / "modprobe.d").mkdir()
    runs = {}
    for key, bonds in (("bonding", BONDS[:3]), ("storage", BONDS[3:])):
        (tmp_path / key).mkdir()
        tree = state_tree(tmp_path / key, f"{key}:\n  bond.reconciled: []\n")
        salt = SaltCall(tmp_path / key, file_roots=tree, **shared)
        salt.set_pillar({key: {"bonds": {
            bond: {"mode": 1, "miimon": 100, "slaves": [f"eth{n}"]}
            for n, bond in enumerate(bonds, start=len(runs) * 10)}}})
        runs[key] = salt
    # The minion root exists, as on a host whose minion runs: Salt 3006 makes its directories
    # without exist_ok, and two first salt-calls making them at once fail ("File exists").
    runs["bonding"].run("test.true", check=True)
    # concurrent=True: one minion root, so Salt itself would refuse the second state run
    # while the first runs (its own check, on the jobs in the cache directory).
    argv = {key: salt.argv("state.apply", "many", "concurrent=True")
            for key, salt in runs.items()}
    procs = {key: subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True) for key, args in argv.items()}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, (key, out, err)
    salt = runs["bonding"]
    assert aliases(salt) == [f"netdev-{bond}" for bond in BONDS]
    assert len(list(salt.ifcfg_dir.iterdir())) == 2 * len(BONDS)
    for key, salt in runs.items():
        rc, again = salt.run("state.single", "bond.reconciled", key)
        (state,) = again.values()
        assert rc == 0 and state["changes"] == {}, (key, state)


def test_a_lock_held_too_long_fails_the_run_naming_its_holder(tmp_path):
    salt = SaltCall(tmp_path / "host", **{"bond.lock_timeout": 0.5})
    salt.set_pillar({"bonding": {"bonds": {"bond0": {"mode": 1, "miimon": 100,
                                                      "slaves": ["eth0"]}}}})
    lock = lock_of(salt)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"bond.reconciled bonding, pid 777, since a while\n")
        rc, ret = salt.run("state.apply", "bonding")
        (state,) = ret.values()
        assert rc != 0 and state["result"] is False and state["changes"] == {}, state
        assert state["comment"] == (
            f"another run of the bond states holds {lock} (held by bond.reconciled bonding, "
            "pid 777, since a while); waited 0.5 s (minion option bond.lock_timeout). "
            "Nothing changed.")
        assert list(salt.ifcfg_dir.iterdir()) == [] and not salt.modprobe_conf.exists()
        rc, ret = salt.run("state.apply", "bonding", "test=True")  # writes nothing: no wait
        (state,) = ret.values()
        assert state["result"] is None and len(state["changes"]) == 3, state
    finally:
        os.close(fd)
    rc, ret = salt.run("state.apply", "bonding")
    (state,) = ret.values()
    assert rc == 0 and state["result"] is True, state
    # Nothing of the run's own beside the files it writes (run-time state out of /etc).
    assert [p.name for p in salt.modprobe_conf.parent.iterdir()] == ["bonding.conf"]
