"""What users read: sys.doc / sys.state_doc through Salt, and the README's generated table."""

import importlib.util
import os
import re
import shlex

import pytest
import yaml
from salt_bonding import health, schema, watch

from tests.conftest import REPO
from tests.harness.saltcall import SaltCall

pytestmark = pytest.mark.functional


def test_every_execution_function_has_a_cli_example(salt_call):
    _, docs = salt_call.run("sys.doc", "bond")
    assert set(docs) == {"bond.list", "bond.status", "bond.health", "bond.metrics",
                         "bond.verify"}
    for function, doc in docs.items():
        assert "CLI Example:" in doc, function
        assert f"salt '*' {function}" in doc, function


def test_every_state_is_documented_with_an_example(salt_call):
    _, docs = salt_call.run("sys.state_doc", "bond")
    states = {name for name in docs if name.startswith("bond.")}
    assert states == {"bond.managed", "bond.absent", "bond.reconciled"}
    for state in states:
        assert f"{state}:" in docs[state], state  # an SLS example using it
    assert "bond.ifcfg_dir" in docs["bond"]  # the module doc names its settings


def test_readme_option_table_is_generated_from_the_option_table():
    spec = importlib.util.spec_from_file_location("update_docs", REPO / "scripts/update_docs.py")
    update_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(update_docs)
    text = (REPO / "README.md").read_text()
    assert update_docs.rendered(text) == text, "run .venv/bin/python scripts/update_docs.py"
    assert "| `lacp_rate` |" in text
    assert "| RHEL 9 | 9.0: 1.36.0, " in text  # the NetworkManager each release ships


# -- the README's and the docstrings' examples run (issue 15) --------------------
YAML_BLOCK = re.compile(r"^(?P<indent> *)```yaml\n(?P<body>.*?)^(?P=indent)```$", re.S | re.M)


def readme_yaml_blocks():
    """``[(section, parsed YAML)]`` of every YAML block in the README (section: the ``## ``
    heading it is under)."""
    text = (REPO / "README.md").read_text()
    blocks = []
    for match in YAML_BLOCK.finditer(text):
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        headings = re.findall(r"^## (.+)$", text[:match.start()], re.M)
        blocks.append((headings[-1], yaml.safe_load(body)))
    return blocks


def test_every_pillar_block_in_the_readme_validates():
    """A block with a top-level ``bonding`` key is pillar: the schema takes it (a fragment
    without ``bonds``, such as ``activate: kernel`` alone, with ``bonds: {}``); a
    ``bonding_beacon`` or ``beacons: bond:`` block is the beacon's configuration."""
    validated = {"pillar": 0, "beacon": 0}
    for section, data in readme_yaml_blocks():
        if isinstance(data, dict) and "bonding" in data:
            schema.validate({"bonds": {}, **data["bonding"]})
            validated["pillar"] += 1
        elif isinstance(data, dict) and ("bonding_beacon" in data or "beacons" in data):
            config = data.get("bonding_beacon") or data["beacons"]["bond"]
            options, problem = watch.options_of(config)
            assert problem is None and not watch.config_problems(options), (config, problem)
            validated["beacon"] += 1
        else:
            assert section != "Pillar reference", f"not pillar in the pillar reference: {data}"
    assert validated["pillar"] >= 2 and validated["beacon"] >= 2, validated


def test_the_pillar_reference_example_applies_on_the_generation_it_names(tmp_path):
    """The full example under "Pillar reference" was refused on every minion
    (``networkmanager: managed`` with ``activate: kernel``) though it validated (issue 26).
    Its first line names the minion it is for (``RHEL <n>``); on a minion with those grains
    it applies as shown: ``test=True``, which plans everything a real run does, the kernel
    activation included, writing nothing (a real run would change this machine's kernel)."""
    (section, example), *_ = [(section, data) for section, data in readme_yaml_blocks()
                              if section == "Pillar reference" and "bonding" in data
                              and "bonds" in data["bonding"]]  # the first: the full one
    text = (REPO / "README.md").read_text()
    first = text[text.index("## Pillar reference"):].split("```yaml\n", 1)[1].split("\n")[0]
    generation = re.search(r"\bRHEL (\d+)\b", first)
    assert first.startswith("#") and generation, first
    minion = SaltCall(tmp_path / "minion", grains={
        "os": "RedHat", "os_family": "RedHat", "osmajorrelease": int(generation[1])})
    minion.set_pillar(example)
    rc, result = minion.run("state.apply", "bonding", "test=True")
    (state,) = result.values()
    assert rc == 0 and state["result"] is None, state["comment"]
    assert "warnings" not in state, state["warnings"]
    assert sorted(os.path.basename(path) for path in state["changes"] if path != "live") == [
        "bonding.conf", *sorted(f"ifcfg-{name}" for name in ("bond0", "bond0.100", "eth0",
                                                            "eth1"))], state["changes"]
    assert "bond0 created" in state["changes"]["live"]["bond0"], state["changes"]


def test_every_cli_example_names_a_function_and_runs(salt_call, tmp_path):
    """Each ``salt '*' bond.<fn>`` / ``salt-call`` line of ``sys.doc bond`` parses, names a
    function the module has, and runs on a minion reading a real-kernel capture (paths given
    in an example are moved to a temporary directory)."""
    _, docs = salt_call.run("sys.doc", "bond")
    capture = REPO / "tests" / "captures" / "active-backup-healthy"
    minion = SaltCall(tmp_path / "minion", **{
        "bond.procfs": str(capture / "proc/net/bonding"),
        "bond.sysfs": str(capture / "sys/class/net")})
    minion.set_pillar({"bonding": {"bonds": {"bond0": {"mode": "active-backup",
                                                       "miimon": 100,
                                                       "slaves": ["va", "vb"]}}},
                       "storage": {"bonds": {}}})
    ran = []
    for doc in docs.values():
        for line in doc.split("CLI Example:", 1)[1].splitlines():
            line = line.strip()
            if not line.startswith(("salt '*' ", "salt-call ")):
                continue
            argv = shlex.split(line)
            argv = argv[:argv.index("||")] if "||" in argv else argv
            argv = argv[2:] if argv[0] == "salt" else argv[1:]
            options = [word for word in argv if word.startswith("--")]
            function, *args = [word for word in argv if not word.startswith("--")]
            assert function in docs, line
            args = [f"path={tmp_path / 'metrics.prom'}" if arg.startswith("path=") else arg
                    for arg in args]
            out = options[0].split("=", 1)[1] if options else "json"
            rc, value = minion.run(function, *args, out=out)
            assert rc in (0, 1) and value not in (None, ""), (line, rc, value)
            assert "Error running" not in str(value) and "Traceback" not in str(value), line
            ran.append(function)
    assert set(ran) == set(docs) and len(ran) >= 12, ran
    assert (tmp_path / "metrics.prom").read_text().startswith("# HELP")


def test_the_readme_lists_every_health_verdict_best_first():
    text = " ".join((REPO / "README.md").read_text().split())
    answers = text[text.index("`bond.health` answers one of these per bond"):]
    answers = answers[:answers.index("Anything but `ok`")]
    listed = re.findall(r"`(ok|degraded|unknown|down)`;?", answers)
    assert listed[:len(health.SEVERITY)] == list(health.SEVERITY), listed


def test_the_readme_reads_in_the_order_an_administrator_needs():
    """What it does, the two commands, then installing, the master walkthrough, the pillar
    reference, watching, what was measured; the module map and the harness (a contributor's)
    in CONTRIBUTING.md, which the README links (issue 26: they came first, Installing and
    the walkthrough at lines 573 and 625 of 819)."""
    text = (REPO / "README.md").read_text()
    assert re.findall(r"^## (.+)$", text, re.M) == [
        "The two commands", "Installing", "Using it with a Salt master", "Pillar reference",
        "Watching the bonds (drift, beacon, grains, metrics)", "What was measured",
        "Contributing"]
    assert "](CONTRIBUTING.md)" in text
    contributing = (REPO / "CONTRIBUTING.md").read_text()
    for moved in ("## How the pieces fit", "## Tests against the real bonding driver",
                  "_utils/salt_bonding/   the pure core"):
        assert moved in contributing and moved.lstrip("# ") not in text, moved
    assert "--sandbox DIR" in text  # scripts/demo's option, and what it refuses
