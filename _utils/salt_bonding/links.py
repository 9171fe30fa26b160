"""A running bond as a :class:`~salt_bonding.model.Bond`: the current side of activation.

The bonding options come from sysfs (``status.read_options``); the rest from
iproute2's JSON (``ip -j -d addr show``, ``ip -j route show default`` for
each family), which this module parses: MTU, static addresses (not the
link-local or autoconfigured ones), the default gateway through the bond,
and the VLANs on it. Pure Python: the caller runs the commands.
"""

import json

from . import model

# Links and addresses in one call: with -d, ``addr show`` has every field of ``link show``
# read here (linkinfo, master, link, mtu). Activation reads the kernel before and after.
LINK_ADDR_ARGV = ("ip", "-j", "-d", "addr", "show")
ROUTE_ARGV = ("ip", "-j", "route", "show", "default")
ROUTE6_ARGV = ("ip", "-6", "-j", "route", "show", "default")


def _load(text):
    value = json.loads(text or "[]")
    return value if isinstance(value, list) else []


def _addressing(device, addrs, routes):
    """``{field: value}`` of model.Interface for ``device``: addresses, gateway, MTU."""
    fields = {"ipv6addr": []}
    for entry in addrs:
        if entry.get("ifname") != device:
            continue
        fields["mtu"] = entry.get("mtu")
        for info in entry.get("addr_info", []):
            if info.get("scope") != "global" or info.get("dynamic"):
                continue  # link-local, SLAAC or DHCP: not static configuration
            cidr = f"{info['local']}/{info['prefixlen']}"
            if info.get("family") == "inet" and "ipaddr" not in fields:
                fields.update(ipaddr=info["local"], prefix=info["prefixlen"],
                              bootproto="static")
            elif info.get("family") == "inet6":
                fields["ipv6addr"].append(cidr)
    fields["ipv6init"] = bool(fields["ipv6addr"])
    for route in routes:
        if route.get("dev") == device and route.get("gateway") and ":" not in route["gateway"]:
            fields["gateway"] = route["gateway"]
            break
    for route in routes:
        if route.get("dev") == device and route.get("gateway") and ":" in route["gateway"]:
            fields["ipv6_defaultgw"] = route["gateway"]
            break
    return fields


def current_bond(name, options, link_json, addr_json, route_json):
    """The running bond ``name`` (None when there is none): ``options`` from
    ``status.read_options`` (mode included), the three JSON texts from iproute2 (the
    routes of both families concatenated as one JSON list or given as one text each)."""
    links, addrs = _load(link_json), _load(addr_json)
    routes = []
    for text in (route_json if isinstance(route_json, (list, tuple)) else [route_json]):
        routes += _load(text)
    if not any(link.get("ifname") == name for link in links) or "mode" not in options:
        return None
    slaves = [link["ifname"] for link in links if link.get("master") == name]
    vlans = {}
    for link in links:
        info = link.get("linkinfo") or {}
        if info.get("info_kind") == "vlan" and link.get("link") == name:
            vid = int(info["info_data"]["id"])
            vlans[vid] = model.Vlan(vid=vid, device=link["ifname"],
                                    **_addressing(link["ifname"], addrs, routes))
    others = {key: value for key, value in options.items() if key != "mode"}
    return model.Bond(name=name, mode=options["mode"], options=others, slaves=slaves,
                      vlans=dict(sorted(vlans.items())), **_addressing(name, addrs, routes))
