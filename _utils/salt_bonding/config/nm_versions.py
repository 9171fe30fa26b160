"""Which NetworkManager reads a minion's files: its version decides which bond options it keeps.

NetworkManager drops a bond option it does not know from the profiles it reads
with a log line only and loads the profile anyway (measured with ``nmcli
--offline``: 1.42.4 drops ``lacp_active`` and ``arp_missed_max``, 1.52.1 keeps
them), so the option table says since which version it keeps each option
(``options.BondOption.networkmanager_since``) and the files are checked against
the version of the minion (:func:`decide`):

- the installed version, when it is known: what ``NetworkManager --version``
  prints (:func:`installed`), carried by the ``bonding_stack`` grain as
  ``networkmanager_version``;
- else the version the minion's OS release ships (:data:`SHIPPED`); a minor
  release the table lacks (RHEL 8.10, 10.1) is taken as the nearest earlier one
  it has (a release never ships an older NetworkManager than the one before
  it), a major release whose minor the grains do not give as its first;
- else unknown: the oldest version the table has a release shipping
  (:data:`FLOOR`), so nothing is written that some NetworkManager would drop.

Pure Python, no Salt.
"""

import os
import re
import subprocess
from dataclasses import dataclass

from .values import DECIMAL, describe, is_int

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")

# What each release ships, (family, major, minor) -> version; minor None: every minor
# release (Fedora, Debian). Sources:
# - RHEL 8.0-8.10: Red Hat's release notes for each minor release ("NetworkManager
#   rebased to version ..."); not re-checked here. 8.7 and later stay on 1.40.
# - RHEL 9.0 1.36, 9.2 1.42, 9.4 1.46, RHEL 10.0 1.52: ../shared/KERNEL.md of the
#   development tree ("check each figure against Red Hat's package lists"); RHEL 9.2's
#   release notes say 1.42.2 (docs.redhat.com, 9.2_release_notes, networking). 9.1
#   1.40, 9.3 1.44, 9.5 1.48, 9.6 1.52: Red Hat's release notes, not re-checked here.
#   CentOS Stream 9 had 1.45.91 (1.46-rc) in February 2024, before 9.4
#   (gitlab.com/redhat/centos-stream/rpms/NetworkManager, merge request 104).
# - Fedora 38 1.42, 39 1.44, 40 1.46, 41 1.50, 42 1.52, 43 1.54:
#   packages.fedoraproject.org (NetworkManager-libnm per release and its changelog).
# - Debian 12 1.42.4 and Debian 13 1.52.1: measured here (the installed package, and
#   the Debian 13 tree scripts/setup builds).
# Rebuilds of RHEL (CentOS, Rocky, AlmaLinux, Oracle Linux) ship RHEL's packages.
SHIPPED = {
    ("rhel", 8, 0): (1, 14, 0),
    ("rhel", 8, 1): (1, 20, 0),
    ("rhel", 8, 2): (1, 22, 8),
    ("rhel", 8, 3): (1, 26, 0),
    ("rhel", 8, 4): (1, 30, 0),
    ("rhel", 8, 5): (1, 32, 10),
    ("rhel", 8, 6): (1, 36, 0),
    ("rhel", 8, 7): (1, 40, 0),
    ("rhel", 9, 0): (1, 36, 0),
    ("rhel", 9, 1): (1, 40, 0),
    ("rhel", 9, 2): (1, 42, 2),
    ("rhel", 9, 3): (1, 44, 0),
    ("rhel", 9, 4): (1, 46, 0),
    ("rhel", 9, 5): (1, 48, 10),
    ("rhel", 9, 6): (1, 52, 0),
    ("rhel", 10, 0): (1, 52, 0),
    ("fedora", 38, None): (1, 42, 0),
    ("fedora", 39, None): (1, 44, 0),
    ("fedora", 40, None): (1, 46, 0),
    ("fedora", 41, None): (1, 50, 0),
    ("fedora", 42, None): (1, 52, 0),
    ("fedora", 43, None): (1, 54, 0),
    ("debian", 12, None): (1, 42, 4),
    ("debian", 13, None): (1, 52, 1),
}
FAMILY_NAMES = {"rhel": "RHEL", "fedora": "Fedora", "debian": "Debian"}
# The version assumed when nothing says which: the oldest the table has a release ship.
FLOOR_KEY = min(SHIPPED, key=SHIPPED.get)
FLOOR = SHIPPED[FLOOR_KEY]

# Where the daemon is (the ones platform.probe looks for), and how long its
# --version may take before the version counts as unknown (a grain must not hang).
BINARIES = ("usr/sbin/NetworkManager", "usr/bin/NetworkManager")
VERSION_TIMEOUT = 10


def parse(value):
    """``(major, minor, micro)`` from a version's text ("1.46.0", "1.46.0-3.el9_4",
    "1.42"), or None when it does not start with one."""
    if not isinstance(value, str):
        return None
    match = _VERSION.match(value.strip())
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def text(version):
    """``"1.46.0"`` for ``(1, 46, 0)``."""
    return ".".join(str(part) for part in version)


def since_text(version):
    """A version as NetworkManager's NEWS names a release: ``1.44``, or ``1.32.4``."""
    return text(version[:2] if version[2:] in ((), (0,)) else version)


def installed(root="/", run=None):
    """The installed NetworkManager's version as it prints it (``NetworkManager
    --version``: "1.42.4"), or None: not installed under ``root``, or it does not run.
    ``run``: ``subprocess.run`` unless given (tests run another tree's with chroot).
    Never raises."""
    run = run or subprocess.run
    for relative in BINARIES:
        binary = os.path.join(root, relative)
        if not os.access(binary, os.X_OK):
            continue
        try:
            proc = run([binary, "--version"], capture_output=True, text=True,
                       timeout=VERSION_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        printed = proc.stdout.strip()
        return printed if proc.returncode == 0 and parse(printed) else None
    return None


@dataclass(frozen=True)
class Known:
    """The version of the NetworkManager that reads the files, and how it is known:
    ``installed`` True (the minion said), else ``assumed`` says why."""

    version: tuple
    installed: bool
    assumed: str = ""

    def __str__(self):
        return text(self.version)

    def keeps(self, option):
        """Whether this NetworkManager keeps bond option ``option`` (a BondOption)."""
        return option.networkmanager_since <= self.version

    def describe(self):
        """``1.42.4 (installed)`` or ``1.36.0 (assumed: RHEL 9.0 ships it ...)``."""
        return f"{self} (installed)" if self.installed else f"{self} (assumed: {self.assumed})"


def _family(grains):
    if grains.get("os") == "Fedora":
        return "fedora"
    if grains.get("os_family") == "RedHat":
        return "rhel"
    if grains.get("os") == "Debian":
        return "debian"
    return None


def _release(grains):
    """``(major, minor or None)`` from the grains ``osrelease`` ("9.4") and
    ``osmajorrelease`` (9), or None when neither names a release."""
    full = str(grains.get("osrelease") or "").strip()
    if re.fullmatch(r"\d+\.\d+(\.\d+)*", full):
        major, minor = full.split(".")[:2]
        return int(major), int(minor)
    major = grains.get("osmajorrelease")
    if is_int(major):
        return int(major), None
    major = str(major if major is not None else full).strip()
    return (int(major), None) if DECIMAL.fullmatch(major) else None


def shipped(grains):
    """``(version, why)``: what the OS release of ``grains`` ships, and why that one ("RHEL
    9.4 ships it"): the nearest earlier minor release the table has when it lacks this
    one, the first when the grains give none; None when the table has nothing for it."""
    family, release = _family(grains or {}), _release(grains or {})
    if family is None or release is None:
        return None
    name = FAMILY_NAMES[family]
    major, minor = release
    if (family, major, None) in SHIPPED:
        return SHIPPED[(family, major, None)], f"{name} {major} ships it"
    minors = sorted(m for f, a, m in SHIPPED if f == family and a == major and m is not None)
    if not minors:
        return None
    if minor is None:
        return (SHIPPED[(family, major, minors[0])],
                f"{name} {major}.{minors[0]} ships it, and the grains do not give the minor "
                "release: taken as the first")
    nearest = max((m for m in minors if m <= minor), default=None)
    if nearest is None:
        return None
    why = f"{name} {major}.{nearest} ships it"
    if nearest != minor:
        why += f", the nearest release before {major}.{minor} this module knows"
    return SHIPPED[(family, major, nearest)], why


def decide(grains, installed_version):
    """The :class:`Known` NetworkManager version of a minion: ``installed_version`` (the
    grain's text, or None), else what its release ships, else :data:`FLOOR`."""
    version = parse(installed_version)
    if version is not None:
        return Known(version, True)
    found = shipped(grains)
    if found is not None:
        version, why = found
        return Known(version, False, why)
    what = describe(grains.get("os")) if grains and grains.get("os") else "this OS"
    family, major, minor = FLOOR_KEY
    return Known(FLOOR, False, f"the oldest any release this module knows ships, "
                               f"{FAMILY_NAMES[family]} {major}.{minor}'s: it does not know "
                               f"what {what} ships")


def markdown_table():
    """:data:`SHIPPED` as Markdown (a row per RHEL major release, one per other OS), for
    the README."""
    rows = {}
    for (family, major, minor), version in SHIPPED.items():
        release = f"{major}.{minor}" if minor is not None else str(major)
        row = f"{FAMILY_NAMES[family]} {major}" if minor is not None else FAMILY_NAMES[family]
        rows.setdefault(row, []).append(f"{release}: {text(version)}")
    lines = ["| Release | NetworkManager it ships (assumed when the minion does not say) |",
             "| --- | --- |"]
    lines += [f"| {row} | {', '.join(cells)} |" for row, cells in rows.items()]
    return "\n".join(lines) + "\n"
