"""The README's main job (scripts/demo.py) end to end: pillar -> files -> real bonds -> health."""

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.kernel


def test_demo_applies_db1_and_reports_real_lacp_bonds(uml, tmp_path):
    sandbox = tmp_path / "sandbox"
    proc = subprocess.run([sys.executable, str(REPO / "scripts/demo.py"), "db1",
                           "--sandbox", str(sandbox)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
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
    health, after = out.split("=== bond.health   (salt-call exit code 0) ===")[1].split(
        "=== bond.health after the peer of ens1f0 went down   (salt-call exit code 1) ===")
    assert health.lstrip().startswith("status: ok")
    assert after.lstrip().startswith("status: degraded")
    assert "slave ens1f0 is down" in after
