"""The README's main job (scripts/demo.py) end to end: pillar -> files -> real bonds -> health."""

import subprocess
import sys
import time

import pytest
import yaml

from tests.conftest import REPO

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def demo(uml, tmp_path_factory):
    """One run of the demo for db1; its output and sandbox."""
    sandbox = tmp_path_factory.mktemp("demo") / "sandbox"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(REPO / "scripts/demo.py"), "db1",
                           "--sandbox", str(sandbox)],
                          capture_output=True, text=True, timeout=1500)
    (sandbox.parent / "demo.out").write_text(proc.stdout)  # to read it afterwards
    print(f"demo db1: {time.monotonic() - started:.0f} s (with any wait for another UML boot)")
    print(*(line for line in proc.stdout.splitlines() if "timings inside UML" in line))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc.sandbox = sandbox
    return proc


def test_demo_applies_db1_and_reports_real_lacp_bonds(demo):
    sandbox, out = demo.sandbox, demo.stdout
    written = sorted(p.name for p in (sandbox / "etc/sysconfig/network-scripts").iterdir())
    assert written == ["ifcfg-bond0", "ifcfg-bond0.100", "ifcfg-bond0.200", "ifcfg-ens1f0",
                       "ifcfg-ens1f1", "ifcfg-ens2f0", "ifcfg-ens2f1"]
    assert f"--- {sandbox}/etc/sysconfig/network-scripts/ifcfg-bond0" in out
    renamed = out.split("=== the same machine as minion db1-renamed")[1]
    assert "bonding: no pillar data" in renamed and "set bonds: {}" in renamed
    assert "exit code 1; the 7 files written above are all still there, unchanged" in renamed
    rhel9 = out.split("=== the same pillar on a RHEL 9 minion")[1].split("=== live status")[0]
    assert "Files: NetworkManager keyfiles; why: RedHat 9, format: auto, NetworkManager " \
        "reads keyfiles." in rhel9
    keyfiles = sandbox / "as-rhel9/etc/NetworkManager/system-connections"
    assert sorted(p.name for p in keyfiles.iterdir()) == sorted(
        f"{name}.nmconnection" for name in ("bond0", "bond0.100", "bond0.200", "ens1f0",
                                             "ens1f1", "ens2f0", "ens2f1"))
    assert f"--- {keyfiles}/bond0.nmconnection" in rhel9 and "[bond]\nmode=802.3ad" in rhel9
    # ...and as ifupdown and netplan files on Debian and Ubuntu (issue #28).
    debian = out.split("=== the same pillar on a Debian 12 minion")[1].split("\n=== the ")[0]
    assert "Files: ifupdown files (ifenslave brings the bonds up); why: Debian 12, format: " \
        "auto, ifupdown brings the bonds up with ifenslave." in debian
    stanzas = sandbox / "as-debian12/etc/network/interfaces.d"
    assert sorted(p.name for p in stanzas.iterdir()) == ["bond0"]
    assert "iface bond0 inet manual\n    bond-slaves ens1f0 ens1f1 ens2f0 ens2f1\n" \
        "    bond-mode 802.3ad\n" in debian
    ubuntu = out.split("=== the same pillar on a Ubuntu 24.04 minion")[1].split(
        "=== live status")[0]
    netplan = sandbox / "as-ubuntu24/etc/netplan"
    assert sorted(p.name for p in netplan.iterdir()) == ["90-salt-bond-bond0.yaml"]
    assert "      parameters:\n        mode: \"802.3ad\"\n" in ubuntu
    settings = "=== slave settings (prio, queue_id) and the bond's MAC on a RHEL"
    newer, older = out.split(f"{settings} 9.4")[1].split(f"{settings} 9.0")
    older = older.split("=== live status")[0]
    assert "cloned-mac-address=02:00:00:00:00:10" in newer
    assert "[bond-port]\nqueue-id=1\nprio=100" in newer and "[bond-port]\nprio=50" in newer
    assert "exit code 0; 3 keyfile(s) written" in newer
    assert ("drops slave setting prio from the keyfile files it reads, with a log line only, "
            "and this minion's is 1.36.0 (assumed: RHEL 9.0 ships it)") in older
    assert "exit code 1; 0 keyfile(s) written" in older
    assert "Files: ifcfg files for network-scripts (NM_CONTROLLED=no); why: CentOS 7" in \
        out.split("=== files written")[0]
    assert "user-mode-linux kernel" in out  # says which bonds it shows
    live = out.split("=== state.apply with activate: kernel")[1].split("\n=== ")[0]
    assert "(salt-call exit code 0)" in live and "result: true" in live
    assert "bond0 is live and verified." in live
    for done in ("bond0: MTU 9000", "bond0.100 created (VLAN 100 on bond0)",
                 "bond0.100: address 198.51.100.20/24 added",
                 "bond0.200: address 203.0.113.20/24 added"):
        assert f"- '{done}'" in live or f"- {done}" in live, live
    change = out.split("=== miimon of the first bond raised")[1].split("\n=== ")[0]
    assert "result: true" in change and "bond0: miimon 100 -> 200" in change
    broken = out.split("=== a slave that does not exist added")[1].split("\n=== ")[0]
    assert "(salt-call exit code 1)" in broken and "result: false" in broken
    assert "rolled back the kernel (bond0)" in broken
    heading, drift = shown(out, "=== its miimon put back by hand in sysfs")
    assert "(salt-call exit code 0)" in heading and drift["result"] is True, drift
    assert ("bond0 is live (the kernel had drifted from its files: bond0: miimon 100 -> 200) "
            "and verified.") in drift["comment"]
    heading, after_kill = shown(out, "=== a VLAN 999 added by a salt-call killed (SIGKILL)")
    assert "(salt-call exit code 0)" in heading and after_kill["result"] is True, after_kill
    assert after_kill["live"] == {}, after_kill  # the timer had put files and kernel back
    comment = after_kill["comment"]
    assert comment.startswith("Bond files already match pillar 'live'"), comment
    assert "Warning: An earlier run (armed " in comment, comment
    assert "did not finish: its rollback timer fired at " in comment, comment
    assert comment.rstrip().endswith("and put back 1 file(s) and bond0."), comment
    heading, removal = shown(out, "=== every bond removed from pillar")
    assert "(salt-call exit code 1)" in heading and removal["result"] is False, removal
    assert removal["comment"].startswith(
        "No files changed. live:bonds: removing bond0 would cut the default route (IPv4) "
        "(through bond0.100 now), and the host with it; if that is meant, set "
        "live:allow_cutoff: true"), removal
    health, after = out.split("=== bond.health   (salt-call exit code 0) ===")[1].split(
        "=== bond.health after the peer of ens1f0 went down   (salt-call exit code 1) ===")
    assert health.lstrip().startswith("status: ok")
    assert after.lstrip().startswith("status: degraded")
    assert "slave ens1f0 is down" in after


def shown(out, heading):
    """``(the rest of the heading line, the YAML under it)`` of the demo's section that
    starts with ``heading``."""
    line, _, rest = out.split(heading)[1].partition("\n")
    return line, yaml.safe_load(rest.split("\n=== ")[0])


def master_events(section):
    """``[(tag, payload)]`` of the demo's last section: a line with the tag and when it
    arrived, then the payload in YAML."""
    events = []
    for line in section.splitlines(keepends=True)[1:]:
        if line.startswith("salt/"):
            events.append((line.split()[0], []))
        else:
            events[-1][1].append(line)
    return [(tag, yaml.safe_load("".join(lines))) for tag, lines in events]


def test_demo_ends_with_the_beacon_events_the_master_saw(demo):
    out = demo.stdout
    after, bus = out.split("=== bond.health after the peer of ens1f0 went down")[1].split(
        "\n=== the master's event bus: the bond beacon's events after the peer of ens1f0 "
        "went down   (salt-run state.event; ")
    assert "status: degraded" in after
    assert "\n=== " not in bus  # the last section
    events = master_events(bus)
    assert bus.startswith(f"{len(events)} events) ===\n")
    # db1's bond0 is 802.3ad: no active slave to fail over; one slave down, health degraded.
    # The partner bond standing in for the switch (switch0) is not watched.
    assert sorted(tag for tag, _ in events) == ["salt/beacon/db1/bond/bond0/health",
                                                "salt/beacon/db1/bond/bond0/slave_down"], bus
    payloads = {tag.rsplit("/", 1)[1]: payload for tag, payload in events}
    down = payloads["slave_down"]
    assert {key: down[key] for key in ("bond", "interface", "status", "mii_status",
                                       "previous_mii_status", "slaves", "active", "id")} == {
        "bond": "bond0", "interface": "ens1f0", "status": 0, "mii_status": "down",
        "previous_mii_status": "up", "slaves": 4, "active": 3, "id": "db1"}, down
    health = payloads["health"]
    assert (health["previous_health"], health["health"]) == ("ok", "degraded"), health
    assert [p for p in health["problems"] if p.startswith("slave ens1f0 is down")], health
    assert "_stamp" in health  # the master's time of arrival, as state.event shows it
