"""Other profiles for the interfaces a run configures: found, said, and beaten or refused.

At boot NetworkManager activates, per device, one of the profiles allowed to
autoconnect on it: the highest ``autoconnect-priority`` wins, a tie goes to
the most recently used one (not deterministic). network-scripts bring up
every ``ONBOOT=yes`` ifcfg file, in turn. So a profile this module did not
write for a device it configures (the installer's ``eth0`` profile, an ifcfg
file and a keyfile for one device) competes with ours:

- NetworkManager reads ours: every profile of ours carries
  ``networkmanager.AUTOCONNECT_PRIORITY``; a competitor below it loses at
  every boot, and a warning names it. One at or above it is refused with the
  way out, and so is an ifcfg file NetworkManager reads that says
  ``NM_CONTROLLED=no`` for the device (NetworkManager would leave the device
  alone: our profile would never come up).
- network-scripts read ours: another ``ONBOOT=yes`` ifcfg file for the same
  device is refused (both would be brought up).
- ifupdown reads ours (Debian): another stanza for the same device that
  ifupdown brings up at boot (``auto``, ``allow-hotplug``: the installer's
  ``allow-hotplug eth0`` / ``iface eth0 inet dhcp`` in /etc/network/interfaces)
  is refused, in /etc/network/interfaces and the other files of its directory.

Files are read leniently (an installer's file is not ours to validate); names
NetworkManager and initscripts skip (``*.bak``, ``*~``, hidden, ...) are
skipped here too. Pure Python, no Salt.
"""

import os
from dataclasses import dataclass

from ..render import ifcfg, keyfile
from .networkmanager import AUTOCONNECT_PRIORITY
from .regular import read_regular

# What NetworkManager's plugins and initscripts never read (nm_keyfile_utils_ignore_filename,
# ifcfg-rh's utils_should_ignore_file, initscripts' network-functions).
IGNORED_SUFFIXES = ("~", ".bak", ".orig", ".rej", ".rpmnew", ".rpmorig", ".rpmsave",
                    ".augnew", ".augtmp", ".swp", ".tmp")
_SIZE_LIMIT = 1 << 20
_FALSE = ("false", "no", "0", "off", "n")


@dataclass(frozen=True)
class Profile:
    """What another profile says about the one device it binds."""

    path: str
    device: str
    autoconnect: bool
    priority: int
    unmanaged: bool = False  # an ifcfg file saying NM_CONTROLLED=no


def _int(text, default=0):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def read_ifcfg(path, text):
    """The Profile of a foreign ifcfg file (DEVICE, else its name's suffix)."""
    values = ifcfg.read_lenient(text)
    device = values.get("DEVICE") or os.path.basename(path)[len("ifcfg-"):]
    return Profile(path, device, values.get("ONBOOT", "yes").lower() not in _FALSE,
                   _int(values.get("AUTOCONNECT_PRIORITY")),
                   values.get("NM_CONTROLLED", "yes").lower() in _FALSE)


def read_keyfile(path, text):
    """The Profile of a foreign keyfile (its ``interface-name``), None when it binds none."""
    values = keyfile.read_lenient(text).get("connection", {})
    device = values.get("interface-name")
    if not device:
        return None
    return Profile(path, device, values.get("autoconnect", "true").lower() not in _FALSE,
                   _int(values.get("autoconnect-priority")))


def read_ifupdown(path, text):
    """The Profiles of a foreign interfaces(5) file: one per ``iface`` stanza, brought up at
    boot when an ``auto`` or ``allow-hotplug`` line names its interface (``ifup -a`` and
    udev's hotplug bring those up). Lines continued with a backslash are joined first."""
    words = [line.split() for line in text.replace("\\\n", " ").split("\n")]
    at_boot = {name for line in words if line and line[0] in ("auto", "allow-auto",
                                                              "allow-hotplug")
               for name in line[1:]}
    return [Profile(path, line[1], line[1] in at_boot, 0) for line in words
            if len(line) >= 2 and line[0] == "iface"]


READERS = {"ifcfg": read_ifcfg, "keyfile": read_keyfile, "ifupdown": read_ifupdown}


def _candidates(file_format, directory):
    if os.path.isfile(directory):  # one file: /etc/network/interfaces itself
        return [directory]
    try:
        names = sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return _named(file_format, directory, names)


def _named(file_format, directory, names):
    for name in names:
        if name.startswith(".") or name.endswith(IGNORED_SUFFIXES):
            continue
        if file_format == "ifcfg" and not name.startswith("ifcfg-"):
            continue
        yield os.path.join(directory, name)


def devices(config):
    """``{device: bond}`` of every interface ``config`` configures."""
    found = {}
    for name, bond in config.bonds.items():
        found[name] = name
        found.update((slave, name) for slave in bond.slaves)
        found.update((vlan.device or f"{name}.{vid}", name) for vid, vlan in bond.vlans.items())
    return found


def find(config, read, skip, path):
    """``(warnings, refusals)`` about other profiles for ``config``'s devices.

    ``read``: ``[(format, directory, reader)]`` of the directories (or single files)
    whose files something reads at boot, ``reader`` ``"networkmanager"``,
    ``"network-scripts"`` or ``"ifupdown"``; ``skip(path, text)``: whether a file is ours or
    this run replaces or removes it; ``path``: the pillar path of the bonds.
    Raises OSError when a directory or file cannot be read.
    """
    ours = devices(config)
    warnings, refusals, beaten = [], [], {}
    for file_format, directory, reader in read:
        for file_path in _candidates(file_format, directory):
            try:
                data = read_regular(file_path, limit=_SIZE_LIMIT, follow=True)
            except (FileNotFoundError, IsADirectoryError):
                continue
            except OSError as exc:
                if exc.filename is None:
                    exc.filename = file_path
                raise
            text = data.decode("utf-8", "replace")
            if skip(file_path, text):
                continue
            found = READERS[file_format](file_path, text)
            for profile in found if isinstance(found, list) else [found]:
                if profile is None or profile.device not in ours:
                    continue
                _judge(profile, ours[profile.device], reader, path, refusals, beaten)
    for device, profiles in sorted(beaten.items()):
        listed = ", ".join(f"{p.path} (autoconnect-priority {p.priority})" for p in profiles)
        warnings.append(f"other profiles for {device} compete with ours at boot: {listed}; "
                        f"ours have autoconnect-priority {AUTOCONNECT_PRIORITY} and win "
                        "(remove them to leave no doubt)")
    return warnings, refusals


# Readers that bring up every profile marked for boot, ours and the other alike.
BOTH_AT_BOOT = {
    "network-scripts": ("{path} also configures {device} with ONBOOT=yes, and network-scripts "
                        "bring up every such file at boot: remove it, or set ONBOOT=no in it"),
    "ifupdown": ("{path} also has a stanza for {device} that ifupdown brings up at boot (auto "
                 "or allow-hotplug) beside ours: remove that stanza, or its auto/allow-hotplug "
                 "line"),
}


def _judge(profile, bond, reader, path, refusals, beaten):
    """Refuse (into ``refusals``) or note (into ``beaten``) one other profile for one of
    our devices, by what reads it at boot."""
    file_path, where = profile.path, f"{path}:{bond}"
    if reader in BOTH_AT_BOOT:  # every profile brought up at boot is: refused
        if profile.autoconnect:
            refusals.append((where, BOTH_AT_BOOT[reader].format(path=file_path,
                                                                device=profile.device)))
    elif profile.unmanaged:
        refusals.append((where, (
            f"{file_path} says NM_CONTROLLED=no for {profile.device}: NetworkManager "
            f"would leave {profile.device} alone and never bring {bond} up (remove that "
            "file, or its NM_CONTROLLED line)")))
    elif profile.autoconnect and profile.priority >= AUTOCONNECT_PRIORITY:
        refusals.append((where, (
            f"{file_path} is another profile for {profile.device} with "
            f"autoconnect-priority {profile.priority}, not below ours "
            f"({AUTOCONNECT_PRIORITY}): NetworkManager may activate it instead at boot "
            "(remove it, or lower its priority)")))
    elif profile.autoconnect:
        beaten.setdefault(profile.device, []).append(profile)
