"""netlink.Socket.request: a dump the kernel marks interrupted (NLM_F_DUMP_INTR: a table
changed while it was taken) is taken again. The kernel cannot be made to interrupt a
dump on demand, so the socket's answers are given here as the kernel frames them."""

import errno

import pytest
from salt_bonding.host import netlink

pytestmark = pytest.mark.unit


class Answers:
    """Stands in for the kernel's socket: each request gets the next dump, one message
    (``payload``, flagged interrupted or not) and NLMSG_DONE."""

    def __init__(self, dumps):
        self.dumps = list(dumps)
        self.sent = []

    def send(self, data):
        self.sent.append(netlink.NLMSGHDR.unpack_from(data)[3])  # its sequence number

    def recv(self, size):
        payload, interrupted = self.dumps.pop(0)
        seq = self.sent[-1]
        flags = netlink.NLM_F_DUMP_INTR if interrupted else 0
        message = netlink.NLMSGHDR.pack(netlink.NLMSGHDR.size + len(payload),
                                        netlink.RTM_NEWLINK, flags | 0x2, seq, 0) + payload
        done = netlink.NLMSGHDR.pack(netlink.NLMSGHDR.size + 4, netlink.NLMSG_DONE, flags | 0x2,
                                     seq, 0) + b"\0\0\0\0"
        return message + done

    def close(self):
        pass


def socket_with(dumps):
    sock = netlink.Socket.__new__(netlink.Socket)
    sock._sock, sock._seq = Answers(dumps), 0
    return sock


def test_an_interrupted_dump_is_taken_again():
    sock = socket_with([(b"old!", True), (b"new!", False)])
    answers = sock.request(netlink.RTM_GETLINK, netlink.NLM_F_DUMP, b"")
    assert answers == [(netlink.RTM_NEWLINK, b"new!")]
    assert sock._sock.sent == [1, 2]


def test_a_dump_interrupted_every_time_fails_saying_so():
    sock = socket_with([(b"x" * 4, True)] * netlink.DUMP_TRIES)
    with pytest.raises(netlink.NetlinkError) as failed:
        sock.request(netlink.RTM_GETLINK, netlink.NLM_F_DUMP, b"")
    assert failed.value.errno == errno.EAGAIN
    assert f"changed during each of {netlink.DUMP_TRIES} dumps" in str(failed.value)
    assert len(sock._sock.sent) == netlink.DUMP_TRIES
