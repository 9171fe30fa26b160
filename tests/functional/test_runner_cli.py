"""The ``bond`` runner through the real ``salt-run`` of the Salt this pytest runs on (3008
from ``.venv``, 3006 from ``.venv-3006``): its documentation, its refusals and its exit
codes, which need no running master (a master config whose ``runner_dirs``,
``outputter_dirs`` and ``utils_dirs`` are this repository's directories, and no accepted
key: nothing is published). ``tests/integration/test_runner.py`` runs it against real
daemons.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.harness import warm_salt

pytestmark = pytest.mark.functional

SALT_RUN = Path(sys.executable).parent / "salt-run"


@pytest.fixture(scope="module")
def master_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("master")
    (root / "cache" / "proc").mkdir(parents=True)  # a started master makes it
    conf = root / "conf"
    conf.mkdir()
    (conf / "master").write_text(json.dumps({
        "root_dir": str(root), "pki_dir": str(root / "pki"), "cachedir": str(root / "cache"),
        "sock_dir": str(root / "sock"), "log_file": str(root / "master.log"), "user": "root",
        "runner_dirs": [str(REPO / "_runners")], "outputter_dirs": [str(REPO / "_output")],
        "utils_dirs": [str(REPO / "_utils")],
    }))
    return conf


def salt_run(conf, *args):
    proc = subprocess.run([str(SALT_RUN), f"--config-dir={conf}", "--log-level=quiet", *args],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stdout + proc.stderr, proc
    return proc


def test_every_runner_function_is_documented_with_a_cli_example(master_config):
    docs = salt_run(master_config, "-d", "bond").stdout
    parts = re.split(r"^(bond\.\w+):$", docs, flags=re.M)[1:]
    documented = dict(zip(parts[::2], parts[1::2], strict=True))
    assert list(documented) == ["bond.report", "bond.rollout"], docs
    for function, doc in documented.items():
        assert "CLI Example:" in doc, function
        assert f"salt-run {function}" in doc.split("CLI Example:")[1], function


@pytest.mark.parametrize("args, said", [
    (["bond.rollout"], "bond.rollout: tgt: required: the minions to roll out to"),
    (["bond.rollout", "tgt=*", "batch=0"], "bond.rollout: batch: 0 is not a wave size; give a "
                                           "number of minions (1 or more, such as 10) or a "
                                           "percentage of them (such as 10%)"),
    (["bond.rollout", "tgt=*", "canary=-1"], "bond.rollout: canary: -1 is not allowed"),
    (["bond.rollout", "tgt=*", "timeout=soon"], "bond.rollout: timeout: 'soon' is not a "
                                                "number of seconds"),
    (["bond.rollout", "tgt=*", "test=maybe"], "bond.rollout: test: 'maybe' is not allowed; "
                                              "give True or False"),
    (["bond.rollout", "tgt=*", "batchsize=3"], "bond.rollout: unknown argument 'batchsize'; "
                                               "this function takes tgt, tgt_type, batch"),
    (["bond.rollout", "tgt=*"], "bond.rollout: tgt: '*' (glob) matches no minion whose key "
                                "the master has accepted"),
    (["bond.report", "tgt_type=blob"], "bond.report: tgt_type: 'blob' is not a target type; "
                                       "one of glob, pcre, list"),
    (["bond.report", "html=/nonexistent/x.html"], "bond.report: html: cannot write "
                                                  "/nonexistent/x.html: /nonexistent is not a "
                                                  "directory"),
    (["bond.report", "gather_job_timeout=0"], "bond.report: gather_job_timeout: 0 is not a "
                                              "number of seconds"),
])
def test_bad_input_is_refused_naming_the_argument_with_exit_code_1(master_config, args, said):
    table = salt_run(master_config, *args)
    assert table.returncode == 1 and table.stdout.strip().startswith(said), table


def test_a_refusal_as_json_carries_the_error_and_the_exit_code(master_config):
    as_json = salt_run(master_config, "bond.rollout", "tgt=*", "batch=0", "--out=json")
    assert as_json.returncode == 1, as_json
    data = json.loads(as_json.stdout)
    assert data == {"error": "bond.rollout: batch: 0 is not a wave size; give a number of "
                             "minions (1 or more, such as 10) or a percentage of them (such "
                             "as 10%)", "retcode": 1}


def test_a_master_that_is_not_running_is_said_not_a_traceback(master_config):
    """A key accepted (so the target names a minion) and no master daemon: the publish
    fails, the report says so, the rollout fails its first wave saying so."""
    pki = Path(json.loads((master_config / "master").read_text())["pki_dir"])
    (pki / "minions").mkdir(parents=True, exist_ok=True)
    (pki / "minions" / "web1").write_text("not a key: check_minions reads names\n")
    try:
        report = salt_run(master_config, "bond.report")
        assert report.returncode == 1, report
        assert report.stdout.strip() == (
            "bond.report: the master did not publish bond.health and bond.verify: The salt "
            "master could not be contacted. Is master running?"), report
        rollout = salt_run(master_config, "bond.rollout", "tgt=web1", "--out=json")
        data = json.loads(rollout.stdout)
        assert rollout.returncode == 1 and data["never_started"] == [], data
        assert data["failed"] == {"web1": "the master did not publish state.apply: The salt "
                                          "master could not be contacted. Is master running?"}
    finally:
        (pki / "minions" / "web1").unlink()


def test_a_report_on_no_minion_fails_the_check(master_config):
    proc = salt_run(master_config, "bond.report")
    assert (proc.returncode, proc.stdout.strip()) == (1, "no minion matched the target"), proc
    proc = salt_run(master_config, "bond.report", "--out=json")
    data = json.loads(proc.stdout)
    assert (proc.returncode, data["retcode"], data["minions"]) == (1, 1, []), proc


@pytest.fixture(scope="module")
def warm_cli():
    """The warm ``salt`` command of the kernel tier (``warm_salt.py --cli``), which also
    serves its ``salt_run`` steps."""
    proc = subprocess.Popen([sys.executable, warm_salt.__file__, "--cli"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert json.loads(proc.stdout.readline())["ready"] is True
    yield proc
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0


@pytest.mark.parametrize("args", [
    ("-d", "bond"),
    ("bond.rollout", "tgt=*", "batch=0", "--out=json"),
    ("bond.rollout", "tgt=*", "canary=-1"),
    ("bond.report",),
], ids=lambda args: " ".join(args))
def test_the_warm_salt_run_answers_as_salt_run_does(master_config, warm_cli, args):
    argv = [f"--config-dir={master_config}", "--log-level=quiet", *args]
    warm_cli.stdin.write(json.dumps({"argv": argv, "timeout": 120, "command": "salt-run"})
                         + "\n")
    warm_cli.stdin.flush()
    answer = json.loads(warm_cli.stdout.readline())
    proc = salt_run(master_config, *args)
    assert (answer["rc"], answer["stdout"]) == (proc.returncode, proc.stdout), answer
