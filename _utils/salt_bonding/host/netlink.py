"""The kernel's links, addresses and routes over rtnetlink, in-process.

Reading (:func:`read`, :func:`route_device`): what ``ip -j -d addr show``,
``ip -j route show default`` (both families) and ``ip -j route get`` print,
in the same shapes (the fields ``links`` reads: ``ifname``, ``mtu``,
``master``, ``link``, ``linkinfo``, ``addr_info``; ``dst``, ``gateway``,
``dev``). Changing (:func:`set_link_up` ... :func:`change_default_route`, one
function per change activation makes): what the ``ip`` commands activation would run
do, made as ``ip`` makes them. No ``ip`` process: activation reads the kernel
before and after every change, and a process costs more than a one-slave
change itself. The kernel tier checks this against the real ``ip`` on the
same kernel. Pure Python (``socket``, ``struct``); Linux only.
"""

import errno
import ipaddress
import os
import socket
import struct

from ..config.ports import TABLE as PORT_TABLE

# <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
# Set on the messages of a dump during which the table changed: it may be inconsistent.
NLM_F_DUMP_INTR = 0x10
DUMP_TRIES = 5  # dumps taken again while the kernel's tables keep changing under them
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE = 0x100, 0x200, 0x400
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
IFF_UP = 0x1
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER = 1, 3, 4, 5, 10
IFLA_LINKINFO, IFLA_LINK_NETNSID = 18, 37
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 4, 5
IFLA_VLAN_ID = 1
IFLA_BOND_NS_IP6_TARGET = 31
NLA_F_NESTED = 0x8000
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8
IFA_F_PERMANENT = 0x80
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE = 1, 4, 5, 15
RT_TABLE_MAIN = 254
RTN_UNSPEC, RTN_UNICAST = 0, 1
RTPROT_BOOT = 3  # what ``ip route add`` marks its routes with
RT_SCOPE_UNIVERSE, RT_SCOPE_NOWHERE = 0, 255
NLA_TYPE_MASK = 0x3FFF  # without the nested / byte-order flags

NLMSGHDR = struct.Struct("=IHHII")
IFINFOMSG = struct.Struct("=BxHiII")
IFADDRMSG = struct.Struct("=BBBBI")
RTMSG = struct.Struct("=BBBBBBBBI")
RTATTR = struct.Struct("=HH")

FAMILIES = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}


class NetlinkError(OSError):
    """The kernel refused a request."""


def _align(length):
    return (length + 3) & ~3


def attributes(data, offset=0):
    """``{type: payload}`` of the rtattrs in ``data`` from ``offset`` (the last of a type
    wins, as iproute2's parse_rtattr)."""
    found = {}
    while offset + RTATTR.size <= len(data):
        length, kind = RTATTR.unpack_from(data, offset)
        if length < RTATTR.size:
            break
        found[kind & NLA_TYPE_MASK] = data[offset + RTATTR.size:offset + length]
        offset += _align(length)
    return found


def _u32(payload):
    return struct.unpack("=I", payload[:4])[0]


def _text(payload):
    return payload.split(b"\0", 1)[0].decode("utf-8", "replace")


def _address(payload):
    return str(ipaddress.ip_address(bytes(payload)))


class Socket:
    """One NETLINK_ROUTE socket: requests and their answers (dumps read to the end)."""

    def __init__(self):
        self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self._sock.bind((0, 0))
        self._seq = 0

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, kind, flags, body):
        """``[(type, payload)]`` of the kernel's answers to one request. A dump the kernel
        marks interrupted (a link or address changed while it was taken: it may miss or
        repeat entries) is taken again, up to :data:`DUMP_TRIES` times."""
        for _ in range(DUMP_TRIES if flags & NLM_F_DUMP else 1):
            answers, interrupted = self._request_once(kind, flags, body)
            if not interrupted:
                return answers
        raise NetlinkError(errno.EAGAIN, f"the kernel's tables changed during each of "
                                         f"{DUMP_TRIES} dumps")

    def _request_once(self, kind, flags, body):
        """``(answers, whether the kernel marked the dump interrupted)``."""
        self._seq += 1
        self._sock.send(NLMSGHDR.pack(NLMSGHDR.size + len(body), kind, NLM_F_REQUEST | flags,
                                      self._seq, 0) + body)
        answers, interrupted = [], False
        while True:
            data = self._sock.recv(1 << 18)
            offset = 0
            while offset + NLMSGHDR.size <= len(data):
                length, kind_, message_flags, seq, _ = NLMSGHDR.unpack_from(data, offset)
                payload = data[offset + NLMSGHDR.size:offset + length]
                offset += _align(length)
                if seq != self._seq:
                    continue
                interrupted = interrupted or bool(message_flags & NLM_F_DUMP_INTR)
                if kind_ == NLMSG_DONE:
                    return answers, interrupted
                if kind_ == NLMSG_ERROR:
                    code = struct.unpack_from("=i", payload)[0]
                    if code == 0:  # an acknowledgement
                        return answers, interrupted
                    raise NetlinkError(-code, os.strerror(-code))
                answers.append((kind_, payload))
                if not flags & NLM_F_DUMP:
                    return answers, interrupted


def _links(sock):
    """``[{ifindex, ifname, mtu, master?, link?, linkinfo?}]`` in index order, names of
    masters and parents resolved as ``ip`` does."""
    raw = []
    for kind, payload in sock.request(RTM_GETLINK, NLM_F_DUMP, IFINFOMSG.pack(0, 0, 0, 0, 0)):
        if kind != RTM_NEWLINK:
            continue
        _, _, index, _, _ = IFINFOMSG.unpack_from(payload)
        raw.append((index, attributes(payload, IFINFOMSG.size)))
    names = {index: _text(attrs[IFLA_IFNAME]) for index, attrs in raw if IFLA_IFNAME in attrs}
    found = []
    for index, attrs in raw:
        link = {"ifindex": index, "ifname": names.get(index, "")}
        if IFLA_MTU in attrs:
            link["mtu"] = _u32(attrs[IFLA_MTU])
        if IFLA_MASTER in attrs and _u32(attrs[IFLA_MASTER]) in names:
            link["master"] = names[_u32(attrs[IFLA_MASTER])]
        parent = _u32(attrs[IFLA_LINK]) if IFLA_LINK in attrs else index
        # A parent in another namespace (a veth's peer) has no name here.
        if parent != index and IFLA_LINK_NETNSID not in attrs and parent in names:
            link["link"] = names[parent]
        if IFLA_LINKINFO in attrs:
            link["linkinfo"] = _linkinfo(attributes(attrs[IFLA_LINKINFO]))
        found.append(link)
    return found


def _linkinfo(info):
    found = {}
    if IFLA_INFO_SLAVE_KIND in info:
        found["info_slave_kind"] = _text(info[IFLA_INFO_SLAVE_KIND])
        if found["info_slave_kind"] == "bond":
            # A bond slave's own settings (config/ports.py), under ip -d -j's names.
            data = attributes(info.get(IFLA_INFO_SLAVE_DATA, b""))
            found["info_slave_data"] = {
                option.name: struct.unpack(option.netlink_format, data[option.netlink][
                    :struct.calcsize(option.netlink_format)])[0]
                for option in PORT_TABLE if option.netlink in data}
    if IFLA_INFO_KIND in info:
        found["info_kind"] = _text(info[IFLA_INFO_KIND])
        data = attributes(info.get(IFLA_INFO_DATA, b""))
        if found["info_kind"] == "vlan" and IFLA_VLAN_ID in data:
            found["info_data"] = {"id": struct.unpack("=H", data[IFLA_VLAN_ID][:2])[0]}
        # A bond's NS targets (the 6.1 driver shows them nowhere else but /proc, and there
        # only with the ARP monitor on); the kernel leaves the attribute out when none.
        targets = data.get(IFLA_BOND_NS_IP6_TARGET & NLA_TYPE_MASK)
        if found["info_kind"] == "bond" and targets:
            found["info_data"] = {"ns_ip6_target": [
                str(ipaddress.IPv6Address(payload[:16]))
                for payload in attributes(targets).values()]}
    return found


def _addresses(sock):
    """``{ifindex: [addr_info]}`` in the kernel's order, as ``ip -j addr`` gives them."""
    found = {}
    for kind, payload in sock.request(RTM_GETADDR, NLM_F_DUMP, IFADDRMSG.pack(0, 0, 0, 0, 0)):
        if kind != RTM_NEWADDR:
            continue
        family, prefixlen, flags, scope, index = IFADDRMSG.unpack_from(payload)
        attrs = attributes(payload, IFADDRMSG.size)
        local = attrs.get(IFA_LOCAL, attrs.get(IFA_ADDRESS))
        if family not in FAMILIES or local is None:
            continue
        flags = _u32(attrs[IFA_FLAGS]) if IFA_FLAGS in attrs else flags
        info = {"family": FAMILIES[family], "local": _address(local),
                "prefixlen": prefixlen, "scope": SCOPES.get(scope, str(scope))}
        if not flags & IFA_F_PERMANENT:
            info["dynamic"] = True
        found.setdefault(index, []).append(info)
    return found


def _default_routes(sock, family, names):
    """``[{dst: "default", gateway?, dev?}]``: the main table's default unicast routes of
    ``family``, as ``ip -j route show default``."""
    found = []
    for kind, payload in sock.request(RTM_GETROUTE, NLM_F_DUMP,
                                      RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)):
        if kind != RTM_NEWROUTE:
            continue
        family_, dst_len, _, _, table, _, _, rtype, _ = RTMSG.unpack_from(payload)
        attrs = attributes(payload, RTMSG.size)
        table = _u32(attrs[RTA_TABLE]) if RTA_TABLE in attrs else table
        if family_ != family or dst_len != 0 or table != RT_TABLE_MAIN or rtype != RTN_UNICAST:
            continue
        route = {"dst": "default"}
        if RTA_GATEWAY in attrs:
            route["gateway"] = _address(attrs[RTA_GATEWAY])
        if RTA_OIF in attrs and _u32(attrs[RTA_OIF]) in names:
            route["dev"] = names[_u32(attrs[RTA_OIF])]
        found.append(route)
    return found


def read():
    """``(links with their addresses, default routes of both families)``: what
    ``ip -j -d addr show`` and the two ``ip -j route show default`` give, parsed."""
    with Socket() as sock:
        found = _links(sock)
        addresses = _addresses(sock)
        names = {link["ifindex"]: link["ifname"] for link in found}
        routes = (_default_routes(sock, socket.AF_INET, names)
                  + _default_routes(sock, socket.AF_INET6, names))
    for link in found:
        link["addr_info"] = addresses.get(link["ifindex"], [])
    return found, routes


def read_links():
    """The links alone (no addresses, no routes), as :func:`read` gives them: what
    ``bond.status`` needs of a bond's slaves, in one dump."""
    with Socket() as sock:
        return _links(sock)


def default_route_devices():
    """``{"IPv4": [device], "IPv6": [device]}``: where the main table's default routes of
    each family go out."""
    with Socket() as sock:
        names = {link["ifindex"]: link["ifname"] for link in _links(sock)}
        return {label: [route["dev"] for route in _default_routes(sock, family, names)
                        if "dev" in route]
                for label, family in (("IPv4", socket.AF_INET), ("IPv6", socket.AF_INET6))}


def route_device(address):
    """The device the kernel would send to ``address`` through (``ip route get``); None
    when it has no route."""
    target = ipaddress.ip_address(address)
    family = socket.AF_INET if target.version == 4 else socket.AF_INET6
    destination = target.packed
    attr = RTATTR.pack(RTATTR.size + len(destination), RTA_DST) + destination
    body = RTMSG.pack(family, len(destination) * 8, 0, 0, 0, 0, 0, 0, 0) + attr
    with Socket() as sock:
        try:
            answers = sock.request(RTM_GETROUTE, 0, body)
        except NetlinkError as exc:
            if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EINVAL):
                return None
            raise
    for kind, payload in answers:
        attrs = attributes(payload, RTMSG.size)
        if kind == RTM_NEWROUTE and RTA_OIF in attrs:
            try:
                return socket.if_indextoname(_u32(attrs[RTA_OIF]))
            except OSError:
                return None  # gone since
    return None


# -- changing ---------------------------------------------------------------------------
def _attr(kind, payload):
    length = RTATTR.size + len(payload)
    return RTATTR.pack(length, kind) + payload + b"\0" * (_align(length) - length)


def _name(text):
    return text.encode() + b"\0"


def _index(device):
    try:
        return socket.if_nametoindex(device)
    except OSError:
        raise NetlinkError(errno.ENODEV, f'Cannot find device "{device}"') from None


def _set_link(sock, device, flags=0, change=0, attrs=b""):
    body = IFINFOMSG.pack(0, 0, _index(device), flags, change) + attrs
    sock.request(RTM_NEWLINK, NLM_F_ACK, body)


def _add_link(sock, name, kind, parent=None, data=b""):
    info = _attr(IFLA_INFO_KIND, _name(kind)) + (_attr(IFLA_INFO_DATA, data) if data else b"")
    attrs = (_attr(IFLA_IFNAME, _name(name))
             + (_attr(IFLA_LINK, struct.pack("=I", _index(parent))) if parent else b"")
             + _attr(IFLA_LINKINFO, info))
    sock.request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
                 IFINFOMSG.pack(0, 0, 0, 0, 0) + attrs)


def _ns_targets(targets):
    """IFLA_BOND_NS_IP6_TARGET for ``targets`` (comma-separated; "" clears them): the
    kernel clears the list and adds each, as ``ip link set <bond> type bond
    ns_ip6_target`` does."""
    listed = b"".join(_attr(index, ipaddress.IPv6Address(target).packed)
                      for index, target in enumerate(filter(None, targets.split(","))))
    return _attr(IFLA_BOND_NS_IP6_TARGET | NLA_F_NESTED, listed)


# The bond options set over netlink (those the option table marks netlink_only): how
# each value goes in IFLA_INFO_DATA.
BOND_OPTION_DATA = {"ns_ip6_target": _ns_targets}


def set_link_up(device, up):
    """``ip link set <device> up|down``."""
    with Socket() as sock:
        _set_link(sock, device, IFF_UP if up else 0, IFF_UP)


def set_link_address(device, mac):
    """``ip link set <device> address <mac>``."""
    with Socket() as sock:
        _set_link(sock, device, attrs=_attr(IFLA_ADDRESS, bytes.fromhex(mac.replace(":", ""))))


def set_link_mtu(device, mtu):
    """``ip link set <device> mtu <mtu>``."""
    with Socket() as sock:
        _set_link(sock, device, attrs=_attr(IFLA_MTU, struct.pack("=I", int(mtu))))


def set_bond_option(device, option, value):
    """``ip link set <device> type bond <option> <value>``, for the options of
    :data:`BOND_OPTION_DATA`."""
    info = _attr(IFLA_INFO_KIND, _name("bond")) + _attr(IFLA_INFO_DATA,
                                                        BOND_OPTION_DATA[option](value))
    with Socket() as sock:
        _set_link(sock, device, attrs=_attr(IFLA_LINKINFO, info))


def set_bond_slave_option(device, setting, value):
    """``ip link set <device> type bond_slave <setting> <value>``: a bond slave's own
    setting (config/ports.py), in IFLA_INFO_SLAVE_DATA under its attribute."""
    option = next(option for option in PORT_TABLE if option.name == setting)
    data = _attr(option.netlink, struct.pack(option.netlink_format, int(value)))
    info = _attr(IFLA_INFO_SLAVE_KIND, _name("bond")) + _attr(IFLA_INFO_SLAVE_DATA, data)
    with Socket() as sock:
        _set_link(sock, device, attrs=_attr(IFLA_LINKINFO, info))


def add_bond(name):
    """``ip link add <name> type bond``."""
    with Socket() as sock:
        _add_link(sock, name, "bond")


def add_vlan(parent, name, vid):
    """``ip link add link <parent> name <name> type vlan id <vid>``."""
    with Socket() as sock:
        _add_link(sock, name, "vlan", parent, _attr(IFLA_VLAN_ID, struct.pack("=H", int(vid))))


def delete_link(device):
    """``ip link del <device>``."""
    with Socket() as sock:
        sock.request(RTM_DELLINK, NLM_F_ACK, IFINFOMSG.pack(0, 0, _index(device), 0, 0))


def change_address(add, cidr, device):
    """``ip addr add|del <cidr> dev <device>`` (either family)."""
    network = ipaddress.ip_interface(cidr)
    family = socket.AF_INET if network.version == 4 else socket.AF_INET6
    packed = network.ip.packed
    body = (IFADDRMSG.pack(family, network.network.prefixlen, 0, RT_SCOPE_UNIVERSE,
                           _index(device))
            + _attr(IFA_LOCAL, packed) + _attr(IFA_ADDRESS, packed))
    with Socket() as sock:
        if add:
            sock.request(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body)
        else:
            sock.request(RTM_DELADDR, NLM_F_ACK, body)


def change_default_route(replace, gateway, device):
    """``ip -4|-6 route replace|del default via <gateway> dev <device>``."""
    via = ipaddress.ip_address(gateway)
    family = socket.AF_INET if via.version == 4 else socket.AF_INET6
    attrs = _attr(RTA_GATEWAY, via.packed) + _attr(RTA_OIF, struct.pack("=I", _index(device)))
    with Socket() as sock:
        if replace:
            body = RTMSG.pack(family, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE,
                              RTN_UNICAST, 0)
            sock.request(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, body + attrs)
        else:
            body = RTMSG.pack(family, 0, 0, 0, RT_TABLE_MAIN, 0, RT_SCOPE_NOWHERE, RTN_UNSPEC,
                              0)
            sock.request(RTM_DELROUTE, NLM_F_ACK, body + attrs)
