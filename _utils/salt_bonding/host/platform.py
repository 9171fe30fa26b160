"""What reads network files on a minion, and so which files a run writes.

From Red Hat's release notes and NetworkManager's spec file (see
../shared/KERNEL.md in the development tree):

- RHEL 6 and 7: ifcfg files, brought up by network-scripts (the classic
  recipe: ``NM_CONTROLLED=no``, NetworkManager out of the way).
- RHEL 8: ifcfg files. NetworkManager (the default) reads them with its
  ifcfg-rh plugin unless they say ``NM_CONTROLLED=no``; network-scripts are
  deprecated and installed only on request.
- RHEL 9: no network-scripts; NetworkManager still reads ifcfg files (not
  ``NM_CONTROLLED=no`` ones), and keyfiles are the default: keyfile.
- RHEL 10 and Fedora 41+: the ifcfg-rh plugin is not built, ifcfg files are
  ignored entirely: keyfile only. Older Fedora: keyfile.
- Any other OS the grains name (Debian, Ubuntu, SUSE, ...): nothing there reads
  RHEL's ifcfg files (ifupdown reads /etc/network/interfaces, netplan its YAML,
  wicked SUSE's own ifcfg format; NetworkManager is built without its ifcfg-rh
  plugin outside the Red Hat family), unless Red Hat's network-scripts are
  installed: ifcfg files only then, for them; keyfiles where pillar asks for
  them (NetworkManager reads keyfiles everywhere). Anything else is refused with
  the way out. Grains that name no OS at all: the classic recipe, as before.

``choose`` turns pillar ``format`` and ``networkmanager`` (either left out:
from the platform) into a :class:`Choice`, or refuses a choice that cannot
work on the minion, naming the pillar key and what would work; where
NetworkManager reads the files, the Choice carries its version (installed, or
assumed from the release: ``nm_versions``), which decides the bond options it
keeps. ``probe`` reads the facts grains do not carry (is NetworkManager
installed, enabled, which version; are network-scripts installed).
"""

import os
from dataclasses import dataclass, field

from ..config import nm_versions
from ..config.choices import CHOICES
from ..config.values import DECIMAL, describe, is_int
from ..errors import UserError

FORMATS = CHOICES["format"]
NETWORKMANAGER_CHOICES = CHOICES["networkmanager"]

NETWORKMANAGER_BINARIES = nm_versions.BINARIES
NETWORKMANAGER_ENABLED = (  # systemd's wants link; SysV runlevel 3 (RHEL 6)
    "etc/systemd/system/multi-user.target.wants/NetworkManager.service",
    "etc/rc.d/rc3.d/S23NetworkManager",
)
# network-scripts' ifup for Ethernet, bonds and VLANs; RHEL 9's ifup (a wrapper
# around nmcli) comes without it.
NETWORK_SCRIPTS = "etc/sysconfig/network-scripts/ifup-eth"
# Debian's ifupdown (ifquery is its alone: RHEL's ifup is initscripts' or nmcli's), the
# ifenslave hook that brings its bonds up, and netplan (Ubuntu's default); /sbin before
# the /usr merge, /usr/sbin after.
IFUPDOWN = ("usr/sbin/ifquery", "sbin/ifquery")
IFENSLAVE = ("etc/network/if-pre-up.d/ifenslave",)
NETPLAN = ("usr/sbin/netplan", "usr/share/netplan/netplan.script")


@dataclass(frozen=True)
class Stack:
    """What can read network files on the minion (see :func:`probe`).

    ``networkmanager``: ``enabled``, ``installed`` (not enabled) or ``absent``;
    ``network_scripts``: whether initscripts' ifup for bonds is installed;
    ``networkmanager_version``: what the installed NetworkManager says it is
    ("1.46.0"), None when it is not installed or does not say; ``ifupdown``: Debian's
    ifupdown is installed, ``ifenslave``: with the ifenslave hook that brings its bonds up;
    ``netplan``: netplan is installed (Ubuntu's default).
    """

    networkmanager: str = "absent"
    network_scripts: bool = False
    networkmanager_version: str | None = None
    ifupdown: bool = False
    ifenslave: bool = False
    netplan: bool = False

    @classmethod
    def from_grain(cls, value):
        """A Stack from the ``bonding_stack`` grain (a mapping), None when it is not one."""
        if not isinstance(value, dict):
            return None
        networkmanager = value.get("networkmanager")
        if networkmanager not in ("enabled", "installed", "absent"):
            return None
        version = value.get("networkmanager_version")
        version = version if nm_versions.parse(version) else None  # older grains: none
        return cls(networkmanager, bool(value.get("network_scripts")), version,
                   *(value.get(key) is True for key in ("ifupdown", "ifenslave", "netplan")))

    def as_grain(self):
        return {"networkmanager": self.networkmanager, "network_scripts": self.network_scripts,
                "networkmanager_version": self.networkmanager_version,
                "ifupdown": self.ifupdown, "ifenslave": self.ifenslave, "netplan": self.netplan}


# What choose() reads of the grains (osrelease: the minor release, for the NetworkManager
# version a release ships).
OS_GRAINS = ("os", "os_family", "osmajorrelease", "osrelease")


def os_grains(grains):
    """The grains :func:`choose` reads, from a minion's grains."""
    return {key: grains.get(key) for key in OS_GRAINS}


def stack_from_grains(grains):
    """What reads network files on the minion: its ``bonding_stack`` grain
    (``_grains/bond.py``), or the same probe when that grain is not synced."""
    return Stack.from_grain(grains.get("bonding_stack")) or probe()


def probe(root="/", run=None):
    """The minion's :class:`Stack`, from the files its packages install under ``root``, and
    the version the installed NetworkManager prints (``run``: how to run it, for tests)."""
    def there(relative):
        return os.path.lexists(os.path.join(root, relative))

    if any(there(path) for path in NETWORKMANAGER_ENABLED):
        networkmanager = "enabled"
    elif any(there(path) for path in NETWORKMANAGER_BINARIES):
        networkmanager = "installed"
    else:
        networkmanager = "absent"
    version = None
    if networkmanager != "absent":
        version = nm_versions.installed(root, run)
    return Stack(networkmanager, there(NETWORK_SCRIPTS), version,
                 any(map(there, IFUPDOWN)), any(map(there, IFENSLAVE)), any(map(there, NETPLAN)))


@dataclass(frozen=True)
class Choice:
    """What a run writes: ``format`` (ifcfg, keyfile), read by NetworkManager or not
    (``networkmanager``: managed, unmanaged, disabled), and why, in words."""

    format: str
    networkmanager: str
    reason: str
    warnings: list = field(default_factory=list)
    networkmanager_reads_ifcfg: bool = False  # its ifcfg-rh plugin is there (RHEL 7-9)
    network_scripts: bool = False  # initscripts' ifup can bring bonds up from ifcfg files
    # The version of the NetworkManager that reads the files (nm_versions.Known), when
    # NetworkManager reads them: it decides which bond options they may carry.
    networkmanager_version: nm_versions.Known = None

    @property
    def read_by_networkmanager(self):
        return self.networkmanager == "managed"

    def describe(self):
        """What the files are, for the comment: ``ifcfg files for network-scripts``..."""
        if self.format in DESCRIBED:
            return DESCRIBED[self.format]
        if self.read_by_networkmanager:
            return "ifcfg files for NetworkManager (NM_CONTROLLED=yes)"
        return "ifcfg files for network-scripts (NM_CONTROLLED=no)"


# What the files of a format are, in words (ifcfg: by who reads them, in Choice.describe).
DESCRIBED = {"keyfile": "NetworkManager keyfiles",
             "ifupdown": "ifupdown files (ifenslave brings the bonds up)",
             "netplan": "netplan files (systemd-networkd brings the bonds up)"}
# The formats of Debian's own network stacks: what reads them, for the reason and messages.
DEBIAN_FORMATS = {"netplan": "netplan hands the bonds to systemd-networkd",
                  "ifupdown": "ifupdown brings the bonds up with ifenslave"}


def release(grains):
    """``(major release, None)`` from the grain ``osmajorrelease`` (Salt gives an int), or
    ``(what was assumed, why)`` when it is not a whole number: "9.4" is taken as 9;
    missing or text as 0, a release before 9, whose files follow what is installed."""
    value = grains.get("osmajorrelease")
    if is_int(value) or (isinstance(value, float) and value.is_integer()):
        return int(value), None
    text = value.strip() if isinstance(value, str) else ""
    if DECIMAL.fullmatch(text):
        return int(text), None
    head = text.split(".")[0]
    if DECIMAL.fullmatch(head) and all(DECIMAL.fullmatch(part) for part in text.split(".")):
        return int(head), f"grain osmajorrelease is {describe(value)}, not a whole number: " \
                          f"taken as {int(head)}"
    what = "missing" if value in (None, "") else f"{describe(value)}, not a number"
    return 0, (f"grain osmajorrelease is {what}: the release is unknown, taken as one before "
               "9 (ifcfg files, read by what is installed, as on RHEL 8)")


def _major(grains):
    return release(grains)[0]


def _describe(grains):
    major, assumed = release(grains)
    if not _redhat(grains) and not major:  # the release decides nothing there
        return grains.get("os") or "this OS"
    number = "(release unknown)" if assumed and not major else major
    return f"{grains.get('os') or 'this OS'} {number}"


def _redhat(grains):
    return grains.get("os_family") == "RedHat" or grains.get("os") == "Fedora"


def _debian(grains):
    """Debian, Ubuntu and their family: ifupdown and netplan are at home there."""
    return grains.get("os_family") == "Debian" or grains.get("os") in ("Debian", "Ubuntu")


def _other(grains):
    """An OS the grains name that is not of the Red Hat family (Debian, Ubuntu, SUSE...)."""
    return bool(grains.get("os_family") or grains.get("os")) and not _redhat(grains)


def reads(grains):
    """``(default format, formats its network stack reads)`` for a minion's grains."""
    grains = grains or {}
    major, is_fedora = _major(grains), grains.get("os") == "Fedora"
    if is_fedora:
        return "keyfile", ("keyfile",) if major >= 41 else ("keyfile", "ifcfg")
    if _debian(grains):  # auto follows what is installed (_debian_auto)
        return None, ("ifupdown", "netplan", "keyfile", "ifcfg")
    if not _redhat(grains):
        return "ifcfg", ("ifcfg", "keyfile")
    if major >= 10:
        return "keyfile", ("keyfile",)
    if major == 9:  # ifcfg only through NetworkManager (no network-scripts)
        return "keyfile", ("keyfile", "ifcfg")
    return "ifcfg", ("ifcfg", "keyfile")


def _debian_auto(grains, stack, path):
    """``format: auto`` on Debian and Ubuntu: netplan where it is installed (Ubuntu's default),
    else ifupdown where ifenslave is there to bring its bonds up, else the Red Hat
    network-scripts where they are installed; else refused, with the ways out."""
    if stack.netplan:
        return "netplan"
    if stack.ifupdown and stack.ifenslave:
        return "ifupdown"
    if stack.network_scripts:
        return "ifcfg"
    where = _describe(grains)
    if stack.ifupdown:
        raise UserError([(path, (
            f"ifupdown is installed on {where} but not ifenslave, which brings its bonds up: "
            "install ifenslave (or netplan.io), then sync the grains "
            "(saltutil.sync_grains); or set the format"))])
    keyfile = (", or format: keyfile (NetworkManager is installed here and reads keyfiles)"
               if stack.networkmanager != "absent" else "")
    raise UserError([(path, (
        f"{where} has neither netplan nor ifupdown with ifenslave to bring bonds up: install "
        "netplan.io (format: netplan) or ifupdown and ifenslave (format: ifupdown), then sync "
        f"the grains (saltutil.sync_grains){keyfile}"))])


def resolve(requested, grains, path, stack=None):
    """The concrete format for ``requested`` (a value of FORMATS) on this minion, or UserError."""
    default, readable = reads(grains)
    if requested == "auto":
        return default or _debian_auto(grains, stack or Stack(), path)
    if requested not in readable:
        raise UserError([(path, (
            f"{requested} files do nothing on {_describe(grains)}: its network stack reads "
            f"only {', '.join(readable)} (use format: auto, or {readable[0]})"))])
    return requested


def _has_network_scripts(grains, stack):
    """Whether network-scripts can bring bonds up: always on RHEL 6 and 7 (initscripts is
    part of the base system), never on RHEL 9+ or Fedora 41+, else as probed."""
    major, is_fedora = _major(grains), grains.get("os") == "Fedora"
    if _other(grains):
        return stack.network_scripts
    if is_fedora:
        return major < 41 and stack.network_scripts
    if 0 < major <= 7:
        return True
    return major < 9 and stack.network_scripts


def _default_networkmanager(file_format, grains, stack):
    """``(choice, why)`` when pillar leaves ``networkmanager`` out."""
    if file_format == "keyfile":
        return "managed", "NetworkManager reads keyfiles"
    if file_format in DEBIAN_FORMATS:
        return "unmanaged", DEBIAN_FORMATS[file_format]
    if _other(grains):
        return "unmanaged", "the Red Hat network-scripts installed here bring bonds up"
    if not _redhat(grains):
        return "unmanaged", "the classic recipe"
    major = _major(grains)
    if major and major <= 7 and grains.get("os") != "Fedora":
        return "unmanaged", "network-scripts bring bonds up there"
    if not _has_network_scripts(grains, stack):
        return "managed", "no network-scripts are installed, NetworkManager reads ifcfg files"
    if stack.networkmanager == "enabled":
        return "managed", "NetworkManager is enabled and reads ifcfg files"
    return "unmanaged", "network-scripts are installed and NetworkManager is not enabled"


def choose(requested_format, requested_networkmanager, grains, stack, pillar_key):
    """The :class:`Choice` for pillar ``format`` (a value of FORMATS) and ``networkmanager``
    (one of NETWORKMANAGER_CHOICES, or None: from the platform) on a minion with ``grains``
    and ``stack``; UserError naming ``<pillar_key>:format`` or ``:networkmanager`` when the
    choice cannot work there."""
    grains = grains or {}
    stack = stack or Stack()
    format_path = f"{pillar_key}:format" if pillar_key else "format"
    nm_path = f"{pillar_key}:networkmanager" if pillar_key else "networkmanager"
    file_format = resolve(requested_format, grains, format_path, stack)
    where = _describe(grains)
    source = "format: auto" if requested_format == "auto" else f"pillar format: {file_format}"
    warnings = []
    if requested_networkmanager is None:
        networkmanager, why = _default_networkmanager(file_format, grains, stack)
    else:
        networkmanager, why = requested_networkmanager, "pillar networkmanager"
    if file_format == "keyfile" and networkmanager != "managed":
        raise UserError([(nm_path, (
            f"{networkmanager}, but this minion gets NetworkManager keyfiles and "
            "NetworkManager is what reads them: nothing would bring the bonds up (use "
            "networkmanager: managed, or leave it out)"))])
    if file_format in DEBIAN_FORMATS:
        warnings += _debian_warnings(file_format, networkmanager, stack, nm_path)
    if (file_format == "ifcfg" and networkmanager != "managed" and _redhat(grains)
            and not _has_network_scripts(grains, stack)):
        raise UserError([(nm_path, (
            f"{networkmanager} means network-scripts bring the bonds up, and {where} has "
            "none (RHEL 9 and later ship none; on RHEL 8 the network-scripts package "
            "installs them): nothing would read these files (use networkmanager: managed, "
            "or leave networkmanager and format out for what this minion reads)"))])
    if _other(grains) and file_format == "ifcfg":
        _refuse_ifcfg_elsewhere(where, networkmanager, requested_networkmanager, stack,
                                format_path, nm_path, _debian(grains))
    if networkmanager == "managed" and stack.networkmanager == "absent" \
            and (_redhat(grains) or _other(grains)):
        warnings.append(f"NetworkManager is not installed on this minion: nothing reads these "
                        f"files until it is ({nm_path})")
    assumed = release(grains)[1]
    if assumed and _redhat(grains):  # elsewhere the release decides nothing
        warnings.append(f"{assumed}; set {format_path} and {nm_path} to choose")
    if _other(grains) and requested_format == "auto" and file_format == "ifcfg":
        warnings.append(f"{where} is not RHEL-family: writing ifcfg files for the Red Hat "
                        f"network-scripts installed here (set {format_path} to choose)")
    elif not _redhat(grains) and not _other(grains) and requested_format == "auto":
        warnings.append(f"{where} is not RHEL-family: writing the classic recipe's ifcfg "
                        f"files (set {format_path} to choose)")
    reason = f"{where}, {source}, {why}"
    reads_ifcfg = _redhat(grains) and "ifcfg" in reads(grains)[1]
    version = (nm_versions.decide(grains, stack.networkmanager_version)
               if networkmanager == "managed" else None)
    return Choice(file_format, networkmanager, reason, warnings, reads_ifcfg,
                  file_format == "ifcfg" and _has_network_scripts(grains, stack), version)


def _debian_warnings(file_format, networkmanager, stack, nm_path):
    """Warnings for ifupdown or netplan files (UserError when NetworkManager is to read
    them: it does not bring bonds up from either)."""
    if networkmanager == "managed":
        raise UserError([(nm_path, (
            f"managed, but NetworkManager does not bring bonds up from {file_format} files "
            f"({DEBIAN_FORMATS[file_format]}): use format: keyfile for NetworkManager, or "
            "leave networkmanager out"))])
    installed = {"netplan": stack.netplan, "ifupdown": stack.ifupdown and stack.ifenslave}
    if installed[file_format]:
        return []
    package = {"netplan": "netplan.io", "ifupdown": "ifupdown and ifenslave"}[file_format]
    return [f"{package} not installed on this minion (its bonding_stack grain): nothing "
            f"reads these {file_format} files until it is"]


def _refuse_ifcfg_elsewhere(where, networkmanager, requested, stack, format_path, nm_path,
                            debian):
    """ifcfg files outside the Red Hat family: only for Red Hat's network-scripts, where
    they are installed (NetworkManager there reads no ifcfg files: it is built without
    its ifcfg-rh plugin); else refused, naming what does work there."""
    keyfile = ("format: keyfile (NetworkManager is installed here and reads keyfiles)"
               if stack.networkmanager != "absent" else
               "format: keyfile once NetworkManager is installed")
    debian = ", or format: ifupdown or netplan (what Debian and Ubuntu read)" if debian else ""
    if not stack.network_scripts:
        raise UserError([(format_path, (
            f"{where} reads no ifcfg files: Red Hat's network-scripts are not installed "
            "and its NetworkManager is built without the ifcfg-rh plugin (ifupdown reads "
            "/etc/network/interfaces, netplan its own files, SUSE's wicked its own ifcfg "
            f"format); use {keyfile}{debian}"))])
    if networkmanager == "managed":
        raise UserError([(nm_path if requested else format_path, (
            f"managed, but NetworkManager on {where} is built without the ifcfg-rh plugin: "
            "it reads no ifcfg files (use networkmanager: unmanaged for the network-scripts "
            f"installed here, or {keyfile})"))])
