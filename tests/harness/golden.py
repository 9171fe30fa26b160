"""The files each pillar.example host gets, rendered in process (no Salt).

Golden copies live in tests/golden/<host>/ (scripts/update_golden.py writes
them); tests/unit/test_golden.py keeps rendering byte-identical to them.
"""

import tempfile
from pathlib import Path

import yaml
from salt_bonding.plan import plan_reconciled
from salt_bonding.render import Destination

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
EXAMPLE = REPO / "pillar.example" / "bonding"
HOSTS = ("web1", "db1", "app1")
# The Debian and Ubuntu hosts (issue #28): their ifupdown and netplan files are read back
# by Debian's own readers (tests/unit/test_render_ifupdown.py, test_render_netplan.py).
DEBIAN_HOSTS = ("deb1", "ubu1")


def host_pillar(host, **top):
    """The merged ``bonding`` pillar value of an example host (defaults, then the host)."""
    value = dict(yaml.safe_load((EXAMPLE / "defaults.sls").read_text())["bonding"])
    value.update(yaml.safe_load((EXAMPLE / "hosts" / f"{host}.sls").read_text())["bonding"])
    value.update(top)
    return value


def render_host(host, **top):
    """``{file name: text}`` that a first run for ``host`` writes (ifcfg files, modprobe)."""
    with tempfile.TemporaryDirectory() as root:
        destination = Destination("ifcfg", str(Path(root) / "network-scripts"),
                                  str(Path(root) / "modprobe.d" / "bonding.conf"))
        plan = plan_reconciled(host_pillar(host, **top), "bonding", destination)
        return {Path(path).name: change.new for path, change in plan.changes.items()}
