"""Bond statuses in the Prometheus text format, for node_exporter's textfile collector.

Pure Python, no Salt: ``bond.metrics`` reads and writes. Names extend
node_exporter's bonding collector: ``<prefix>_slaves`` and ``<prefix>_active``
(label ``master``) mean what ``node_bonding_slaves`` and
``node_bonding_active`` mean (configured slaves; slaves whose MII status is
``up``), so its dashboards and alerts keep working; the rest is what it
lacks. Per-slave series carry ``device``, the label of node_exporter's
``node_network_*`` series, so they join on it.

Absent is not zero: a value the kernel did not show (a non-root read hides
the 802.3ad partner) has no series at all. Output is sorted by bond and
slave, so the same state renders the same text.
"""

import os
import re
import tempfile

from ..config.modes import ACTIVE_SLAVE_MODES
from ..errors import SystemFailure
from . import health

PREFIX = "node_bonding"
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")

# (name after the prefix, type, help), in output order.
FAMILIES = (
    ("slaves", "gauge", "Number of configured slaves per bonding interface."),
    ("active", "gauge", "Number of active slaves per bonding interface."),
    ("up", "gauge", "Whether the bond's MII status is up (1) or not (0)."),
    ("health", "gauge", "The bond's health verdict: 1 for its status (ok, degraded, unknown, "
                        "down), 0 for the others."),
    ("partner_mac_present", "gauge", "Whether the 802.3ad active aggregator has a partner "
                                     "(a partner MAC that is not all zero)."),
    ("aggregator_split", "gauge", "Number of 802.3ad slaves outside the active aggregator."),
    ("slave_up", "gauge", "Whether the slave's MII status is up (1) or not (0)."),
    ("slave_active", "gauge", "Whether the slave is the bond's active slave (modes with one)."),
    ("slave_link_failures_total", "counter", "Link failures the bonding driver counted for "
                                             "the slave."),
)


def check_path(path):
    """``path`` when node_exporter's textfile collector would read it (an absolute path
    ending in ``.prom``, in an existing directory); ValueError, or SystemFailure when its
    directory is not there, saying why not."""
    path = str(path)
    if not os.path.isabs(path) or not path.endswith(".prom"):
        raise ValueError(f"path {path!r} must be an absolute path ending in .prom "
                        "(node_exporter's textfile collector reads only *.prom files)")
    if not os.path.isdir(os.path.dirname(path)):
        raise SystemFailure(f"cannot write {path}: {os.path.dirname(path)} is not a "
                            "directory")
    return path


def write(path, text):
    """Replace ``path`` with ``text`` atomically: written beside it under a name the
    collector does not read (``.<name>.*.tmp``), synced, mode 0644, renamed over it, so
    node_exporter never reads half of it. SystemFailure saying why it could not."""
    directory, name = os.path.split(path)
    temporary = None
    try:
        with tempfile.NamedTemporaryFile("w", dir=directory, prefix=f".{name}.",
                                         suffix=".tmp", delete=False,
                                         encoding="utf-8") as handle:
            temporary = handle.name
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise SystemFailure(f"cannot write {path}: {exc.strerror or exc}") from exc


def check_prefix(prefix):
    """``prefix`` when it can begin a Prometheus metric name; ValueError saying why not."""
    if not isinstance(prefix, str) or not _METRIC_NAME.fullmatch(prefix):
        raise ValueError(f"prefix {prefix!r} cannot begin a Prometheus metric name: letters, "
                         "digits, '_' and ':', not starting with a digit (default "
                         f"{PREFIX})")
    return prefix


def _escape(value):
    return str(value).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _labels(**labels):
    return ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items())


def _bond_samples(bond, entry):
    """``(family, labels, value)`` of one bond."""
    master = _labels(master=bond)
    verdict = entry["health"]["status"]
    samples = [("health", _labels(master=bond, status=status), int(status == verdict))
               for status in health.SEVERITY]
    if "error" in entry:
        return samples
    slaves = entry["slaves"]
    samples += [
        ("slaves", master, len(slaves)),
        ("active", master, sum(1 for s in slaves.values() if s["mii_status"] == "up")),
        ("up", master, int(entry["mii_status"] == "up")),
    ]
    ad = entry["ad"]
    if ad is not None and ad["partner_mac"] is not None:
        samples.append(("partner_mac_present", master, int(health.has_partner(ad["partner_mac"]))))
    if ad is not None and ad["aggregator_id"] is not None:
        samples.append(("aggregator_split", master,
                        len(health.outside_active_aggregator(entry))))
    for name, slave in sorted(slaves.items()):
        device = _labels(master=bond, device=name)
        samples.append(("slave_up", device, int(slave["mii_status"] == "up")))
        if entry["mode"] in ACTIVE_SLAVE_MODES:
            samples.append(("slave_active", device, int(name == entry["active_slave"])))
        if slave["link_failure_count"] is not None:
            samples.append(("slave_link_failures_total", device, slave["link_failure_count"]))
    return samples


def render(statuses, prefix=PREFIX):
    """The text of ``statuses`` (``{bond: status with health}``, as ``health.judge`` gives),
    every family's series together under its ``# HELP`` and ``# TYPE``; empty for no bonds."""
    check_prefix(prefix)
    by_family = {family: [] for family, _, _ in FAMILIES}
    for bond, entry in sorted(statuses.items()):
        for family, labels, value in _bond_samples(bond, entry):
            by_family[family].append((labels, value))
    lines = []
    for family, kind, help_text in FAMILIES:
        if not by_family[family]:
            continue
        name = f"{prefix}_{family}"
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        lines += [f"{name}{{{labels}}} {value}" for labels, value in by_family[family]]
    return "".join(line + "\n" for line in lines)
