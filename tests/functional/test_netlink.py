"""``netlink.read`` against the real ``ip`` on the machine running the tests.

The kernel tier compares the two with bonds, VLANs and routes in the
user-mode-linux kernel; this is the same comparison on whatever kernel and
interfaces the test machine has.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.functional

COMPARE = Path(__file__).resolve().parents[1] / "harness" / "iproute_compare.py"


def test_netlink_reads_this_kernel_as_ip_does():
    seen = json.loads(subprocess.run(
        [sys.executable, str(COMPARE), "127.0.0.1", "::1", "192.0.2.1"], check=True,
        capture_output=True, text=True).stdout)
    assert seen["netlink"] == seen["ip"]
    assert any(link["ifname"] == "lo" and {"family": "inet", "local": "127.0.0.1",
                                           "prefixlen": 8, "scope": "host"}
               in link["addr_info"] for link in seen["netlink"]["links"])
    for address, devices in seen["route_get"].items():
        assert devices["netlink"] == devices["ip"], address
    assert seen["route_get"]["127.0.0.1"]["netlink"] == "lo"
