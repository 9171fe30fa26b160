"""Renderers: a validated bond -> the files of one configuration format.

Each format is one sibling module with one :class:`Renderer` subclass
(``ifcfg``, ``keyfile``, ``ifupdown``, ``netplan``); adding a format is adding a file and a line in
:data:`RENDERERS`, never an ``if format == ...`` elsewhere. The modprobe
alias file is written in every format (``modprobe.py``).

A renderer answers, for its format: which files a bond becomes
(:meth:`Renderer.render`), with which file mode; which files in its
directory may be ours (:meth:`Renderer.is_candidate`) and which bond and
state a file of ours belongs to (:meth:`Renderer.read_mark`); what a file of
ours says (:meth:`Renderer.read`); and what this format cannot express
(:meth:`Renderer.refusals`).

:class:`Destination` is where one run writes: the format and its directory,
and the modprobe file, chosen once per run by the state module.
"""

import os
from dataclasses import dataclass

from ..config import nm_versions, ports
from ..config.options import OPTIONS
from . import ifcfg, ifupdown, keyfile, modprobe, netplan


class Renderer:
    """The interface every format implements (see the module docstring)."""

    format = None  # the pillar's name for the format
    file_mode = 0o644  # the mode every file of this format is written with

    def render(self, bond, state, for_networkmanager):
        """``{file name: text}`` for one :class:`~salt_bonding.config.model.Bond`, marked as
        written by ``state`` (see ``plan.state_id``); ``for_networkmanager``: whether
        NetworkManager is what reads them (``networkmanager: managed``)."""
        raise NotImplementedError

    def is_candidate(self, file_name):
        """Whether a file of this name in the format's directory may be one of ours."""
        raise NotImplementedError

    def read_mark(self, text):
        """The :class:`~salt_bonding.config.model.Mark` at the start of ``text``; None: not ours."""
        raise NotImplementedError

    def read(self, text):
        """The settings in a file of ours, ``{key: value}``."""
        raise NotImplementedError

    def keys(self, text):
        """The setting names in any file of this format, ours or not (read leniently)."""
        raise NotImplementedError

    def refusals(self, config, choice, path):
        """``[(pillar path, message)]``: what ``config`` asks that this format cannot write.

        ``choice``: the run's ``platform.Choice``; ``path``: the pillar path of the
        bonds (``bonding:bonds``). Called before anything is read or written; any
        refusal fails the run. In every format NetworkManager reads, a bond option
        the minion's NetworkManager would drop (with a log line only, loading the
        profile anyway) is refused, naming its version: never a silent loss.
        """
        known = choice.networkmanager_version if choice.read_by_networkmanager else None
        if known is None:
            return []
        return [(f"{path}:{name}:{option}", self._dropped(option, known))
                for name, bond in config.bonds.items() for option in bond.options
                if not known.keeps(OPTIONS[option])] + [
            (f"{path}:{name}:slaves:{slave}:{setting}",
             self._dropped(setting, known, what="slave setting", table=ports.OPTIONS))
            for name, bond in config.bonds.items() for slave, given in bond.ports.items()
            for setting in given if not known.keeps(ports.OPTIONS[setting])]

    def _dropped(self, option, known, what="bond option", table=OPTIONS):
        """Why NetworkManager ``known`` (nm_versions.Known) loses ``option`` (a bond option,
        or ``what`` of ``table``), and the ways out."""
        since = nm_versions.since_text(table[option].networkmanager_since)
        ways = [f"upgrade NetworkManager to {since} or later"]
        if not known.installed:
            ways.append("sync the grains (saltutil.sync_grains) so that the minion's "
                        "bonding_stack grain says which it has")
        if not getattr(table[option], "netlink_only", True):  # network-scripts lose those
            ways.append("or write ifcfg files for network-scripts (networkmanager: "
                        "unmanaged, where they are installed)")
        return (f"NetworkManager before {since} drops {what} {option} from the "
                f"{self.format} files it reads, with a log line only, and this minion's is "
                f"{known.describe()}: leave it out, {', '.join(ways)}")

    def warnings(self, config, path):
        """Warnings about ``config`` in this format (what it writes differently, or not)."""
        return []

    def render_shared(self, existing, destination):
        """The text of ``destination.shared`` (a host file this format needs lines in, such
        as ifupdown's /etc/network/interfaces) after this run, given ``existing`` (None:
        absent); None: leave it absent. Formats without such a file are never asked."""
        raise NotImplementedError

    def owns_shared(self, text):
        """Whether the shared file holding ``text`` carries lines of ours."""
        return False

    def read_at_boot(self, destination):
        """``[(format, directory or file, reader)]`` where other profiles for our devices are
        read at boot (``competing.find``); None: as NetworkManager or network-scripts read
        them (``plan._read_at_boot``)."""
        return None

    def render_all(self, config, state):
        """``{file name: text}`` of every bond of ``config``, sorted by file name."""
        files = {}
        for bond_name in sorted(config.bonds):
            for file_name, text in self.render(
                    config.bonds[bond_name], state, config.networkmanager == "managed").items():
                if file_name in files:
                    raise ValueError(f"{file_name} would be written for two bonds ({bond_name}"
                                     f" and {self.read_mark(files[file_name]).bond})")
                files[file_name] = text
        return dict(sorted(files.items()))


class IfcfgRenderer(Renderer):
    """RHEL ``ifcfg-*`` files, read by initscripts' ifup and NetworkManager's ifcfg-rh."""

    format = "ifcfg"
    file_mode = 0o644

    def render(self, bond, state, for_networkmanager):
        return ifcfg.render_bond(bond, state, for_networkmanager)

    def is_candidate(self, file_name):
        return file_name.startswith(ifcfg.FILE_PREFIX)

    def read_mark(self, text):
        return ifcfg.read_mark(text)

    def read(self, text):
        return ifcfg.parse(text)

    def keys(self, text):
        return ifcfg.keys_of(text)

    def refusals(self, config, choice, path):
        if choice.read_by_networkmanager:
            return super().refusals(config, choice, path)
        return [(f"{path}:{name}:{option}", (
            f"initscripts' ifup writes each BONDING_OPTS option to the bond's sysfs file, and "
            f"the kernel takes {option} over netlink only (it has no sysfs file for it): "
            "the bond would come up without it at every boot; leave it out, or let "
            "NetworkManager read the files (networkmanager: managed, or keyfiles)"))
            for name, bond in config.bonds.items() for option in bond.options
            if OPTIONS[option].netlink_only] + [
            (f"{path}:{name}:slaves:{slave}:{setting}", (
                f"initscripts' network-scripts have no per-slave setting (ifup-eth sets only "
                f"primary after enslaving): the slave would come up without {setting} at every "
                "boot; leave it out, or let NetworkManager read the files (networkmanager: "
                "managed, ifcfg files it reads as BOND_PORT_* keys, or keyfiles)"))
            for name, bond in config.bonds.items() for slave, given in bond.ports.items()
            for setting in given]


class KeyfileRenderer(Renderer):
    """NetworkManager keyfiles (``*.nmconnection``), RHEL 9 and later."""

    format = "keyfile"
    file_mode = 0o600  # NetworkManager ignores group- or world-readable keyfiles

    def render(self, bond, state, for_networkmanager):
        return keyfile.render_bond(bond, state)  # NetworkManager is what reads keyfiles

    def is_candidate(self, file_name):
        return file_name.endswith(keyfile.FILE_SUFFIX)

    def read_mark(self, text):
        return keyfile.read_mark(text)

    def read(self, text):
        raise NotImplementedError("keyfiles are read back by NetworkManager itself")

    def keys(self, text):
        return keyfile.keys_of(text)

    def warnings(self, config, path):
        return keyfile.warnings(config, path)


class DebianRenderer(Renderer):
    """A format of Debian's and Ubuntu's own stacks (ifupdown, netplan): ``module`` renders,
    reads and refuses; NetworkManager never reads these files."""

    module = None  # the sibling module: render_bond, is_candidate, read_mark, read_lenient,
    # keys_of, refusals
    words = None  # what the files are, for the warnings

    def render(self, bond, state, for_networkmanager):
        return self.module.render_bond(bond, state)

    def is_candidate(self, file_name):
        return self.module.is_candidate(file_name)

    def read_mark(self, text):
        return self.module.read_mark(text)

    def read(self, text):
        return self.module.read_lenient(text)

    def keys(self, text):
        return self.module.keys_of(text)

    def refusals(self, config, choice, path):
        return super().refusals(config, choice, path) + self.module.refusals(config, path)

    def warnings(self, config, path):
        return ifcfg.unwritten_ifcfg_keys(config, path, self.words)

    def read_at_boot(self, destination):
        return []  # (other netplan files naming our devices: not looked for yet)


class IfupdownRenderer(DebianRenderer):
    """Debian's ifupdown stanza files (``interfaces.d/<bond>``), with ifenslave's keys; the
    ``source`` line /etc/network/interfaces needs for them, where it has none."""

    format = "ifupdown"
    file_mode = 0o644
    module = ifupdown
    words = "ifupdown files"

    def render_shared(self, existing, destination):
        return ifupdown.render_source(existing, destination.directory, destination.shared)

    def owns_shared(self, text):
        return ifupdown.has_source_block(text)

    def read_at_boot(self, destination):
        # ifupdown reads /etc/network/interfaces and the files it sources (ours among them).
        return [("ifupdown", path, "ifupdown")
                for path in (destination.shared, destination.directory) if path]


class NetplanRenderer(DebianRenderer):
    """netplan YAML (``/etc/netplan/90-salt-bond-<bond>.yaml``), for systemd-networkd."""

    format = "netplan"
    file_mode = 0o600  # netplan calls group- or world-readable files too open
    module = netplan
    words = "netplan files"


RENDERERS = {renderer.format: renderer
             for renderer in (IfcfgRenderer(), KeyfileRenderer(), IfupdownRenderer(),
                              NetplanRenderer())}


@dataclass(frozen=True)
class Locations:
    """Where each format goes on a minion (its options); ``choose`` makes a Destination."""

    directories: dict  # format -> directory
    modprobe_conf: str
    # Directories the minion config names: made with their parents when missing (the
    # defaults only under an existing parent: see files.py).
    made: tuple = ()
    shared: dict = None  # format -> the host file it needs lines in (SHARED_OPTIONS)
    fixed_format = None  # the format follows pillar and platform

    # The minion options, with their defaults: format -> (option, default directory).
    OPTIONS = {"ifcfg": ("bond.ifcfg_dir", "/etc/sysconfig/network-scripts"),
               "keyfile": ("bond.keyfile_dir", "/etc/NetworkManager/system-connections"),
               "ifupdown": ("bond.interfaces_dir", "/etc/network/interfaces.d"),
               "netplan": ("bond.netplan_dir", "/etc/netplan")}
    MODPROBE_OPTION = ("bond.modprobe_conf", "/etc/modprobe.d/bonding.conf")
    # A host file a format needs lines in: format -> (option, default path).
    SHARED_OPTIONS = {"ifupdown": ("bond.interfaces_file", "/etc/network/interfaces")}

    @classmethod
    def from_options(cls, get):
        """The minion's locations; ``get(option, default)`` reads its config (Salt's
        ``config.get``): an option left unset (or empty) is its default."""
        given = {fmt: get(option, "") for fmt, (option, _) in cls.OPTIONS.items()}
        directories = {fmt: given[fmt] or cls.OPTIONS[fmt][1] for fmt in cls.OPTIONS}
        modprobe_conf = get(cls.MODPROBE_OPTION[0], "")
        made = [directories[fmt] for fmt in cls.OPTIONS if given[fmt]]
        if modprobe_conf:
            made.append(os.path.dirname(modprobe_conf))
        shared = {fmt: get(option, "") or default
                  for fmt, (option, default) in cls.SHARED_OPTIONS.items()}
        return cls(directories, modprobe_conf or cls.MODPROBE_OPTION[1], tuple(made), shared)

    def choose(self, file_format):
        others = tuple((other, directory) for other, directory in self.directories.items()
                       if other != file_format)
        return Destination(file_format, self.directories[file_format], self.modprobe_conf,
                           sweep=others, made=self.made,
                           shared=(self.shared or {}).get(file_format))


@dataclass(frozen=True)
class Destination:
    """Where one run writes: ``format``'s files into ``directory``, and the modprobe file.

    ``sweep``: ``((format, directory), ...)`` of the other formats, whose files
    this run's state wrote earlier are removed (a host moved from ifcfg files
    to keyfiles by an upgrade from RHEL 8 to 9 changes over in one run).
    """

    format: str
    directory: str
    modprobe_conf: str
    sweep: tuple = ()
    made: tuple = ()  # directories the minion config names (Locations.made)
    shared: str | None = None  # the host file this format needs lines in (Renderer.render_shared)

    @property
    def host_files(self):
        """The files shared with the administrator (our lines only): modprobe, ``shared``."""
        return (self.modprobe_conf, self.shared) if self.shared else (self.modprobe_conf,)

    @property
    def renderer(self):
        return RENDERERS[self.format]

    def renderer_for(self, path):
        """The renderer of the format whose directory holds ``path``."""
        directory = os.path.dirname(path)
        for file_format, swept in self.sweep:
            if os.path.normpath(swept) == os.path.normpath(directory) != os.path.normpath(
                    self.directory):
                return RENDERERS[file_format]
        return self.renderer

    def path(self, file_name):
        return os.path.join(self.directory, file_name)

    def directory_of(self, file_format):
        """The directory of ``file_format``'s files (this run's, or one it sweeps), or None."""
        if file_format == self.format:
            return self.directory
        return dict(self.sweep).get(file_format)

    @property
    def fixed_format(self):
        """A Destination made by a caller (tests, tools) fixes the format of ``auto``."""
        return self.format

    def choose(self, file_format):
        """This destination: it was fixed by whoever made it (tests, tools)."""
        return self

    def owns(self, path, text):
        """Whether the file at ``path`` holding ``text`` carries our mark (may be removed)."""
        if path == self.modprobe_conf:
            return modprobe.is_managed(text)
        if path == self.shared:
            return self.renderer.owns_shared(text)
        return self.renderer_for(path).read_mark(text) is not None

    def mark(self, path, text):
        """The Mark of a file of ours (None: not ours, absent, or the shared modprobe file)."""
        if path in self.host_files or text is None:
            return None
        return self.renderer_for(path).read_mark(text)
