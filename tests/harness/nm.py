"""Real NetworkManagers as the oracles for keyfiles, without a daemon: two versions.

``nmcli --offline connection modify`` (NetworkManager 1.40+) reads a keyfile on
stdin, validates it as the daemon would and prints the profile it would store:
what it keeps is what NetworkManager understood. Which bond options it keeps
depends on its version, so every keyfile is read back by two (:data:`ORACLES`):

- the one installed on this machine (Debian 12's 1.42, ``network-manager``);
- Debian 13's (1.52), in the minimal Debian 13 tree ``scripts/setup --tests``
  builds in the repository (``.debian-13``, ignored by git), run with ``chroot``
  (root only; it needs no mounts).

Each oracle also says its version (``nmcli --version``) and gives the
``platform.Stack`` of a minion that has it installed, so a test plans for exactly
the NetworkManager that reads the files back.
"""

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from salt_bonding.host.platform import Stack

DEBIAN_13 = Path(__file__).resolve().parents[2] / ".debian-13"


@dataclass(frozen=True)
class Oracle:
    """One real NetworkManager's nmcli: ``name`` for test ids, ``argv`` what runs it."""

    name: str
    argv: tuple
    how_to_get: str  # what installs it, for the message when it is missing

    def normalise(self, text):
        """(exit code, NetworkManager's keyfile for ``text``, stderr)."""
        # A modification is required; this one sets a property to its default (never
        # printed, and never written by the renderers).
        proc = subprocess.run([*self.argv, "--offline", "connection", "modify",
                               "connection.lldp", "default"],
                              input=text, capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout, proc.stderr

    @functools.cached_property
    def version(self):
        """What it says it is ("1.42.4"), or None when it does not run here."""
        try:
            proc = subprocess.run([*self.argv, "--version"], capture_output=True, text=True,
                                  timeout=60)
        except OSError:
            return None
        words = proc.stdout.split()
        return words[-1] if proc.returncode == 0 and words else None

    @property
    def stack(self):
        """The ``platform.Stack`` of a minion running this NetworkManager."""
        return Stack("enabled", False, self.version)

    def __str__(self):
        return self.name


ORACLES = (
    Oracle("installed", (shutil.which("nmcli") or "nmcli",),
           "scripts/setup installs network-manager"),
    Oracle("debian-13", ("chroot", str(DEBIAN_13), "/usr/bin/nmcli"),
           "scripts/setup --tests builds .debian-13, as root"),
)


def missing():
    """Why an oracle cannot run here ("" when every one can)."""
    return "; ".join(f"the {oracle} nmcli does not run ({oracle.how_to_get})"
                     for oracle in ORACLES if oracle.version is None)


def require():
    """Fail (in CI) or skip (elsewhere) the calling test module when an oracle is missing."""
    problem = missing()
    if problem:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(problem)


def settings(text):
    """``{"section.key": raw value}`` of a keyfile's text (comments and blanks skipped)."""
    found, section = {}, ""
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        found[f"{section}.{key}"] = value
    return found


# Keys 1.46 renamed (the old names still read): {new: old, as we write them}.
RENAMED = {"connection.controller": "connection.master",
           "connection.port-type": "connection.slave-type"}


def properties(text):
    """:func:`settings`, each property under one name whichever version wrote it: a
    gateway under its own key (``addressN=a,gw`` is ``addressN=a`` and ``gateway=gw``:
    1.42 writes the first, 1.52 the second), the port's keys as 1.42 names them
    (1.52 writes ``controller=`` and ``port-type=`` for ``master=`` and ``slave-type=``)."""
    found = {}
    for key, value in settings(text).items():
        section, _, name = key.partition(".")
        if section in ("ipv4", "ipv6") and name.startswith("address") and "," in value:
            value, found[f"{section}.gateway"] = value.split(",", 1)
        found[RENAMED.get(key, key)] = value
    return found


_ESCAPED = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def decode(raw):
    """A GKeyFile string value as NetworkManager reads it (``\\s \\n \\t \\r \\\\``)."""
    out, i = [], 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in _ESCAPED:
            out.append(_ESCAPED[raw[i + 1]])
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)
