"""``netlink.read`` and ``netlink.route_device`` beside what the real ``ip`` prints.

Run where the kernel to compare is (inside the user-mode-linux kernel, or on
the test machine): ``python iproute_compare.py [--change 'ip args' ...]
[address ...]`` first makes each change as activation makes it (``Running.run`` of
the typed operation ``ip_ops.operation`` gives for ``ip <args>``), then prints one
JSON object: ``netlink`` and ``ip`` (links with their addresses, default routes of
both families: iproute2's JSON cut down to the fields ``netlink`` gives), and
``route_get``: per address, the device each says the kernel routes it through.
"""

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_utils"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ip_ops  # noqa: E402
from salt_bonding.activate.running import Running  # noqa: E402
from salt_bonding.config import ports  # noqa: E402
from salt_bonding.host import netlink  # noqa: E402

LINK_FIELDS = ("ifindex", "ifname", "mtu", "master", "link")
ADDR_FIELDS = ("family", "local", "prefixlen", "scope", "dynamic")
SLAVE_SETTINGS = tuple(option.name for option in ports.TABLE)


def _ip(*argv):
    return json.loads(subprocess.run(["ip", "-j", *argv], check=True, capture_output=True,
                                     text=True).stdout or "[]")


def ip_read():
    """``(links, routes)`` from ``ip -j``, in ``netlink.read``'s shapes."""
    links = []
    for entry in _ip("-d", "addr", "show"):
        link = {key: entry[key] for key in LINK_FIELDS if key in entry}
        info = entry.get("linkinfo") or {}
        if "info_slave_kind" in info:  # a bond slave: its own settings (config/ports.py)
            link["linkinfo"] = {"info_slave_kind": info["info_slave_kind"]}
            if info["info_slave_kind"] == "bond":
                link["linkinfo"]["info_slave_data"] = {
                    key: value for key, value in info.get("info_slave_data", {}).items()
                    if key in SLAVE_SETTINGS}
        if "info_kind" in info:
            link["linkinfo"] = {**link.get("linkinfo", {}), "info_kind": info["info_kind"]}
            if info["info_kind"] == "vlan":
                link["linkinfo"]["info_data"] = {"id": info["info_data"]["id"]}
            if info["info_kind"] == "bond" and info.get("info_data", {}).get("ns_ip6_target"):
                link["linkinfo"]["info_data"] = {
                    "ns_ip6_target": info["info_data"]["ns_ip6_target"]}
        link["addr_info"] = [{key: addr[key] for key in ADDR_FIELDS if key in addr}
                             for addr in entry.get("addr_info", [])]
        links.append(link)
    routes = [{key: route[key] for key in ("dst", "gateway", "dev") if key in route}
              for route in _ip("route", "show", "default") + _ip("-6", "route", "show",
                                                                 "default")]
    return links, routes


def ip_route_device(address):
    proc = subprocess.run(["ip", "-j", "route", "get", address], capture_output=True,
                          text=True)
    routes = json.loads(proc.stdout or "[]") if proc.returncode == 0 else []
    return routes[0].get("dev") if routes else None


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--change", action="append", default=[])
    parser.add_argument("addresses", nargs="*")
    args = parser.parse_args(argv)
    for change in args.change:
        Running(run_command=None).run(ip_ops.operation(shlex.split(change)))
    addresses = args.addresses
    links, routes = netlink.read()
    ip_links, ip_routes = ip_read()
    print(json.dumps({
        "netlink": {"links": links, "routes": routes},
        "ip": {"links": ip_links, "routes": ip_routes},
        "route_get": {address: {"netlink": netlink.route_device(address),
                                "ip": ip_route_device(address)} for address in addresses},
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
