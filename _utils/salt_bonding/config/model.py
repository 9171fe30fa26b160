"""The validated configuration as typed values: what every stage after validation reads.

``schema.validate`` builds a :class:`Config` (``schema.validate_bond`` one
:class:`Bond`); renderers, activators and the desired-vs-live comparison take
these, never raw pillar. Values are already canonical: option values in the
kernel's text (``"100"``, ``"802.3ad"``), addresses as strings, numbers as int.
"""

from dataclasses import dataclass, field

# How an interface gets its IPv6 configuration (NetworkManager's ipv6.method names).
IPV6_METHODS = ("ignore", "auto", "dhcp", "manual", "link-local")


def ipv6_method(ipv6init, ipv6addr, ipv6_autoconf, dhcpv6c):
    """The one IPv6 method a pillar means, for every reader.

    ``ignore``: pillar says nothing of IPv6 (the kernel's own defaults stand);
    ``dhcp``: DHCPv6 without autoconfiguration; ``auto``: autoconfiguration
    (SLAAC), static addresses beside it; ``manual``: the static addresses
    only; ``link-local``: IPv6 on, no address but the kernel's fe80::.
    ``ipv6_autoconf`` left out means autoconfiguration only where neither a
    static address nor DHCPv6 is given (initscripts and NetworkManager's
    ifcfg-rh would turn it on beside them, its keyfiles would not: the files
    say which, explicitly). Both on is refused by validation: NetworkManager
    runs DHCPv6 beside autoconfiguration only when the router asks for it.
    """
    if not ipv6init:
        return "ignore"
    if dhcpv6c:
        return "dhcp"
    slaac = ipv6_autoconf if ipv6_autoconf is not None else not ipv6addr
    if slaac:
        return "auto"
    return "manual" if ipv6addr else "link-local"


@dataclass(frozen=True, kw_only=True)
class Interface:
    """The settings a bond shares with its VLANs: addressing, MTU, boot, extra keys."""

    onboot: bool = True
    bootproto: str = "none"  # none | static | dhcp
    ipaddr: str | None = None
    prefix: int | None = None
    netmask: str | None = None  # only when no prefix was given
    gateway: str | None = None
    mtu: int | None = None
    ipv6init: bool = False  # IPv6 configured at all (true when any IPv6 key is given)
    ipv6addr: list = field(default_factory=list)  # "address/prefix", the first is primary
    ipv6_defaultgw: str | None = None
    ipv6_autoconf: bool | None = None  # SLAAC; None: not said
    dhcpv6c: bool | None = None
    dns: list = field(default_factory=list)  # IPv4 or IPv6 servers, at most 3
    domain: list = field(default_factory=list)  # search domains
    ifcfg: dict = field(default_factory=dict)  # extra ifcfg keys -> text
    ifcfg_site: dict = field(default_factory=dict)  # site keys (read by your own scripts)

    @property
    def ipv6_method(self):
        """How IPv6 is configured (:data:`IPV6_METHODS`, see :func:`ipv6_method`)."""
        return ipv6_method(self.ipv6init, self.ipv6addr, self.ipv6_autoconf, self.dhcpv6c)


@dataclass(frozen=True, kw_only=True)
class Vlan(Interface):
    """A VLAN on a bond: device ``<bond>.<vid>``."""

    vid: int
    device: str


@dataclass(frozen=True)
class Verify:
    """After activation: ``ping`` (None: no address) must answer through the bond within
    ``timeout`` seconds, and with ``master`` the minion must complete a request to its
    Salt master within the same time."""

    ping: str | None
    timeout: float
    master: bool = False


@dataclass(frozen=True, kw_only=True)
class Bond(Interface):
    """One bond: its mode, the options given (table order), slaves (pillar order), VLANs."""

    name: str
    mode: str
    options: dict = field(default_factory=dict)  # option name -> kernel text, without mode
    slaves: list = field(default_factory=list)
    # Per-slave settings (config/ports.py), only for slaves given some: slave ->
    # {setting: int}; a setting left out is the kernel's default (0).
    ports: dict = field(default_factory=dict)
    # The bond's own MAC address (lowercase), kept across reboots; None: the kernel's
    # choice (the first slave's).
    macaddr: str | None = None
    vlans: dict = field(default_factory=dict)  # vid -> Vlan, sorted by vid
    activate: str | None = None  # none | kernel; None: the Config's
    verify: Verify | None = None
    rollback_after: int | None = None  # seconds; None: the Config's


@dataclass(frozen=True)
class Mark:
    """What the first line of a file we wrote says: its bond, and the state that wrote it.

    ``state`` is ``bond.reconciled:<pillar key>`` or ``bond.managed:<bond>``;
    None for files written before owners were recorded (any state may take
    those over).
    """

    bond: str
    state: str | None = None


@dataclass(frozen=True, kw_only=True)
class Config:
    """A whole run's configuration: every bond (sorted by name) and the host-wide choices."""

    format: str = "auto"  # auto | ifcfg | keyfile (platform.resolve makes it concrete)
    networkmanager: str | None = None  # managed | unmanaged | disabled; None: platform
    modprobe_options: bool = False
    activate: str = "none"  # how changed bonds go live: none (files only) | kernel
    allow_cutoff: bool = False  # activation may cut what the host is reached through
    rollback_after: int | None = None  # seconds until the rollback timer fires; None: default
    bonds: dict = field(default_factory=dict)  # name -> Bond
    warnings: list = field(default_factory=list)
