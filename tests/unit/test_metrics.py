"""Prometheus text from real-kernel captures: parseable, node_exporter's numbers, and more."""

from pathlib import Path

import pytest
from salt_bonding.observe import health, metrics
from salt_bonding.observe import status as bond_status

pytestmark = pytest.mark.unit

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
WITH_SYSFS = sorted(p.name for p in CAPTURES.iterdir() if (p / "sys").is_dir())


def snapshot(capture, sysfs=True):
    base = CAPTURES / capture
    return health.judge(bond_status.read_status(
        str(base / "proc/net/bonding"), str(base / "sys/class/net") if sysfs else None))


def samples(text):
    """``{(name, frozenset(labels)): value}`` as Prometheus' own parser reads ``text``."""
    parser = pytest.importorskip("prometheus_client.parser")
    found = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in found, key
            found[key] = sample.value
    return found


def value(found, name, **labels):
    return found[(name, frozenset(labels.items()))]


def node_exporter_counts(sysfs):
    """What node_exporter's bonding collector reports for a sysfs tree (readBondingStats):
    per master in ``bonding_masters``, its ``bonding/slaves``, and those of them whose
    ``lower_<slave>/bonding_slave/mii_status`` says ``up``."""
    counts = {}
    for master in (sysfs / "bonding_masters").read_text().split():
        slaves = (sysfs / master / "bonding" / "slaves").read_text().split()
        up = [s for s in slaves if (sysfs / master / f"lower_{s}" / "bonding_slave" /
                                    "mii_status").read_text().strip() == "up"]
        counts[master] = (len(slaves), len(up))
    return counts


@pytest.mark.parametrize("capture", WITH_SYSFS)
def test_slaves_and_active_are_node_exporters(capture):
    found = samples(metrics.render(snapshot(capture)))
    counts = node_exporter_counts(CAPTURES / capture / "sys/class/net")
    assert counts
    for master, (slaves, active) in counts.items():
        assert value(found, "node_bonding_slaves", master=master) == slaves
        assert value(found, "node_bonding_active", master=master) == active


def test_failed_over_bond():
    found = samples(metrics.render(snapshot("active-backup-failed-over")))
    assert value(found, "node_bonding_up", master="bond0") == 1
    assert value(found, "node_bonding_slave_up", master="bond0", device="va") == 0
    assert value(found, "node_bonding_slave_up", master="bond0", device="vb") == 1
    assert value(found, "node_bonding_slave_active", master="bond0", device="vb") == 1
    assert value(found, "node_bonding_slave_active", master="bond0", device="va") == 0
    assert value(found, "node_bonding_slave_link_failures_total", master="bond0",
                 device="va") == 1
    verdicts = {status: value(found, "node_bonding_health", master="bond0", status=status)
                for status in health.SEVERITY}
    assert verdicts == {"ok": 0, "degraded": 1, "unknown": 0, "down": 0}
    assert not any(name.startswith("node_bonding_partner") for name, _ in found)


@pytest.mark.parametrize("capture, bond, partner, split", [
    ("802.3ad-lacp-partner", "bond1", 1, 0),
    ("802.3ad-no-partner", "bond0", 0, 1),
])
def test_what_node_exporter_lacks_for_802_3ad(capture, bond, partner, split):
    found = samples(metrics.render(snapshot(capture)))
    assert value(found, "node_bonding_partner_mac_present", master=bond) == partner
    assert value(found, "node_bonding_aggregator_split", master=bond) == split
    assert not any(name == "node_bonding_slave_active" for name, _ in found)  # none in 802.3ad


def test_what_the_kernel_did_not_show_has_no_series():
    """A non-root read hides the 802.3ad partner and aggregator: absent, not 0."""
    found = samples(metrics.render(snapshot("802.3ad-lacp-partner-nonroot", sysfs=False)))
    names = {name for name, _ in found}
    assert "node_bonding_partner_mac_present" not in names
    assert "node_bonding_aggregator_split" not in names
    assert value(found, "node_bonding_slaves", master="bond1") == 2


def test_an_unreadable_bond_is_only_its_unknown_health():
    text = metrics.render(health.judge({"bond9": {"error": "cannot read it"}}))
    found = samples(text)
    assert {name for name, _ in found} == {"node_bonding_health"}
    assert value(found, "node_bonding_health", master="bond9", status="unknown") == 1
    assert value(found, "node_bonding_health", master="bond9", status="ok") == 0


def test_families_are_whole_and_typed_once():
    statuses = {**snapshot("802.3ad-lacp-partner"), **snapshot("active-backup-failed-over")}
    lines = metrics.render(statuses).splitlines()
    order = [line.split("{")[0] for line in lines if not line.startswith("#")]
    families = [name for i, name in enumerate(order) if i == 0 or order[i - 1] != name]
    assert len(families) == len(set(families))  # each family's series together
    for name in families:
        assert lines.count(f"# TYPE {name} "
                           f"{'counter' if name.endswith('_total') else 'gauge'}") == 1
    assert order.index("node_bonding_slaves") == 0
    by_bond = [line for line in lines if line.startswith("node_bonding_slaves{")]
    assert by_bond == sorted(by_bond)


def test_same_state_same_text_and_no_bonds_no_text():
    assert metrics.render(snapshot("802.3ad-lacp-partner")) == metrics.render(
        snapshot("802.3ad-lacp-partner"))
    assert metrics.render({}) == ""


def test_prefix():
    found = samples(metrics.render(snapshot("mode-balance-rr"), prefix="salt_bonding"))
    assert value(found, "salt_bonding_slaves", master="bond0") == 2
    assert all(name.startswith("salt_bonding_") for name, _ in found)
    for bad in ("", "9bonding", "bond-ing", "a b", None):
        with pytest.raises(ValueError, match="cannot begin a Prometheus metric name"):
            metrics.render({}, prefix=bad)


def test_label_values_are_escaped():
    status = snapshot("mode-balance-rr")["bond0"]
    text = metrics.render({'we"ird\\bond\nx': status})
    assert 'master="we\\"ird\\\\bond\\nx"' in text
    found = samples(text)
    assert value(found, "node_bonding_slaves", master='we"ird\\bond\nx') == 2


def test_one_sample_per_line_value_last():
    """What the text format's line parsers (node_exporter's expfmt among them) rely on."""
    text = metrics.render(snapshot("active-backup-healthy"))
    assert text.endswith("\n")
    for line in text.splitlines():
        if not line.startswith("#"):
            name_labels, number = line.rsplit(" ", 1)
            assert name_labels.endswith("}") and number.isdigit()


def test_the_textfile_is_replaced_whole_readable_and_leaves_no_temporary(tmp_path):
    from salt_bonding.errors import SystemFailure

    target = tmp_path / "bonding.prom"
    target.write_text("old\n")
    metrics.write(metrics.check_path(str(target)), "# HELP new\n")
    assert target.read_text() == "# HELP new\n"
    assert (target.stat().st_mode & 0o777) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bonding.prom"]
    with pytest.raises(ValueError, match="must be an absolute path ending in .prom"):
        metrics.check_path("bonding.prom")
    with pytest.raises(SystemFailure, match="is not a directory"):
        metrics.check_path(str(tmp_path / "gone" / "bonding.prom"))
    target.unlink()
    target.mkdir()  # a directory where the file goes: the rename fails, nothing is left
    with pytest.raises(SystemFailure, match=f"cannot write {target}"):
        metrics.write(str(target), "x\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bonding.prom"]
