"""Debian's own readers of network files, as oracles: ifupdown's ``ifquery`` and netplan.

- ``ifquery -i FILE IFACE`` (package ``ifupdown``) parses an interfaces(5) file
  as ``ifup`` does and prints the options of the interface's stanzas, one
  ``key: value`` a line, in file order (``address a/24`` comes back as
  ``address: a`` and ``netmask: 255.255.255.0``, as ifup passes them on).
- ``netplan generate --root-dir DIR`` (package ``netplan.io``) reads every YAML
  file in ``DIR/etc/netplan`` as ``netplan apply`` does and writes the
  systemd-networkd files it would give networkd into ``DIR/run/systemd/network``
  (``10-netplan-<iface>.netdev`` / ``.network``); it refuses unknown keys and
  wrong values with exit 1.

Both are Debian 12 packages ``scripts/setup`` installs (ifupdown, ifenslave,
netplan.io); neither starts a service here.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SBIN = os.pathsep.join(("/usr/sbin", "/sbin", os.environ.get("PATH", "")))
TOOLS = {"ifquery": "ifupdown", "netplan": "netplan.io"}


def which(tool):
    return shutil.which(tool, path=SBIN)


def require(*tools):
    """Fail (in CI) or skip (elsewhere) the calling test module when a reader is missing."""
    missing = [f"{tool} (Debian package {TOOLS[tool]})" for tool in tools if not which(tool)]
    if missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"not installed: {', '.join(missing)}; run scripts/setup --tests")


def ifquery(path, interfaces):
    """``{interface: [(key, value)]}``: what ifupdown reads for each of ``interfaces`` in
    the interfaces(5) file ``path`` (one shell, one ``ifquery`` per interface). A value
    given on several lines (``address`` twice) comes back as several pairs."""
    script = 'for i in "$@"; do echo "=== $i"; "$IFQUERY" -i "$FILE" "$i" || echo "!!! $?"; done'
    run = subprocess.run(["sh", "-c", script, "sh", *interfaces], capture_output=True,
                         text=True, check=True,
                         env={"IFQUERY": which("ifquery"), "FILE": str(path), "PATH": SBIN})
    found, current, last = {}, None, None
    for line in run.stdout.split("\n"):
        if line.startswith("=== "):
            current = found.setdefault(line[4:], [])
        elif line.startswith("!!! "):
            raise AssertionError(f"ifquery failed for {interfaces}: {run.stderr}")
        elif ": " in line or line.endswith(":"):
            key, _, value = line.partition(":")
            last = key
            current.append((key, value.strip()))
        elif line:  # a further value of the key above
            current.append((last, line.strip()))
    return found


def netplan_generate(root, files):
    """``(exit code, stderr, {networkd file name: text})``: ``files`` ({name: YAML text})
    put in ``root/etc/netplan`` (mode 0600, as netplan wants), read by ``netplan generate``."""
    root = Path(root)
    directory = root / "etc" / "netplan"
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
        (directory / name).chmod(0o600)
    run = subprocess.run([which("netplan"), "generate", "--root-dir", str(root)],
                         capture_output=True, text=True, env={"PATH": SBIN})
    networkd = root / "run" / "systemd" / "network"
    out = {p.name: p.read_text() for p in sorted(networkd.iterdir())} if networkd.exists() else {}
    return run.returncode, run.stderr, out


def sections(text):
    """``{section: [(key, value)]}`` of a systemd unit-style file (networkd's)."""
    found, section = {}, None
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = found.setdefault(line[1:-1], [])
        elif "=" in line:
            key, _, value = line.partition("=")
            section.append((key, value))
    return found
