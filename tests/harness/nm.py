"""The real NetworkManager as the oracle for keyfiles, without a daemon.

``nmcli --offline connection modify`` (NetworkManager 1.40+, Debian's 1.42
here) reads a keyfile on stdin, validates it as the daemon would and prints
the profile it would store: what it keeps is what NetworkManager understood.
"""

import shutil
import subprocess

NMCLI = shutil.which("nmcli")


def normalise(text):
    """(exit code, NetworkManager's keyfile for ``text``, stderr)."""
    # A modification is required; this one sets a property to its default (never printed,
    # and never written by the renderers).
    proc = subprocess.run([NMCLI, "--offline", "connection", "modify",
                           "connection.lldp", "default"],
                          input=text, capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


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
