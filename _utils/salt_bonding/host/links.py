"""A running bond as a :class:`~salt_bonding.config.model.Bond`: the current side of activation.

The bonding options come from sysfs (``status.read_options``); the rest from
the links, addresses and default routes in iproute2's JSON shapes (``ip -j -d
addr show``, ``ip -j route show default`` for each family), as
``netlink.read`` gives them: MTU, static addresses (not the link-local or
autoconfigured ones), the default gateway through the bond, and the VLANs on
it. Pure Python: the caller reads the kernel.
"""

from ..config import model
from ..config.ports import TABLE as PORT_TABLE


def slave_settings(links, slaves):
    """``{slave: {setting: int}}`` of the slaves' own settings that are not the kernel's
    default (config/ports.py), as netlink shows them (``info_slave_data``)."""
    found = {}
    for link in links:
        if link.get("ifname") not in slaves:
            continue
        data = (link.get("linkinfo") or {}).get("info_slave_data") or {}
        given = {option.name: data[option.name] for option in PORT_TABLE
                 if data.get(option.name, option.default) != option.default}
        if given:
            found[link["ifname"]] = given
    return found


def _addressing(device, links, routes):
    """``{field: value}`` of model.Interface for ``device``: addresses, gateway, MTU."""
    fields = {"ipv6addr": []}
    for entry in links:
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


def current_bond(name, options, links, routes, macaddr=None):
    """The running bond ``name`` (None when there is none): ``options`` from
    ``status.read_options`` (mode included); ``links`` (with their ``addr_info``) and
    the default ``routes`` of both families as ``netlink.read`` returns them; ``macaddr``
    its MAC address (``status.read_address``)."""
    if not any(link.get("ifname") == name for link in links) or "mode" not in options:
        return None
    slaves = [link["ifname"] for link in links if link.get("master") == name]
    vlans = {}
    for link in links:
        info = link.get("linkinfo") or {}
        if info.get("info_kind") == "vlan" and link.get("link") == name:
            vid = int(info["info_data"]["id"])
            vlans[vid] = model.Vlan(vid=vid, device=link["ifname"],
                                    **_addressing(link["ifname"], links, routes))
    others = {key: value for key, value in options.items() if key != "mode"}
    if "ns_ip6_target" not in others:  # no sysfs file for it (6.1): what netlink says
        info = next(link.get("linkinfo") or {} for link in links if link.get("ifname") == name)
        others["ns_ip6_target"] = ",".join((info.get("info_data") or {}).get(
            "ns_ip6_target", []))
    return model.Bond(name=name, mode=options["mode"], options=others, slaves=slaves,
                      ports=slave_settings(links, slaves), macaddr=macaddr,
                      vlans=dict(sorted(vlans.items())),
                      **_addressing(name, links, routes))
