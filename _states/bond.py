"""Bonded interfaces as RHEL ifcfg files or NetworkManager keyfiles, and the modprobe
alias, from pillar.

.. code-block:: yaml

    # bonding/init.sls: every bond in pillar['bonding'] for this minion
    bonding:
      bond.reconciled: []

    # one bond, given in the state itself
    bond0:
      bond.managed:
        - mode: active-backup
        - slaves: [eth0, eth1]
        - miimon: 100
        - ipaddr: 192.0.2.10
        - prefix: 24

    bond9:
      bond.absent: []

Which files, and who reads them, follows the minion (RHEL 6/7: ifcfg files for
network-scripts; RHEL 8: ifcfg files NetworkManager reads, unless it runs
network-scripts; RHEL 9 and later, Fedora: keyfiles; Debian and Ubuntu:
netplan where it is installed, else ifupdown with ifenslave) unless pillar
``format`` (``auto``, ``ifcfg``, ``keyfile``, ``ifupdown``, ``netplan``) and
``networkmanager`` (``managed``, ``unmanaged``, ``disabled``) say otherwise; the
comment says which and why. Files go to the minion options ``bond.ifcfg_dir``
(default ``/etc/sysconfig/network-scripts``), ``bond.keyfile_dir`` (default
``/etc/NetworkManager/system-connections``), ``bond.interfaces_dir`` (default
``/etc/network/interfaces.d``; ``bond.interfaces_file``, default
``/etc/network/interfaces``, gets a ``source`` line for it where it has none),
``bond.netplan_dir`` (default ``/etc/netplan``) and ``bond.modprobe_conf``
(default ``/etc/modprobe.d/bonding.conf``). A running NetworkManager is made to load
the files it reads (``nmcli connection load``, nothing activated) and checked;
other profiles for the same devices are named, and beaten by our
``autoconnect-priority`` or refused. The whole input is validated before
anything is read or written; the files of one run are written atomically and
all or nothing; files are removed only when they carry this module's mark,
and only by the state that wrote them (the mark names it), so
``bond.reconciled`` and ``bond.managed`` can share a host; a bond given to two
states is refused. Runs on one host take turns on a lock in the minion's
cache directory, ``bond.lock`` (minion option ``bond.lock_timeout``, default
120 s).
The logic lives in the ``salt_bonding`` package (``_utils/salt_bonding/``: the run
start to end in ``transaction/``, over ``plan.py`` and ``activate/``); this module only
wires it to Salt (commands, backups, services, the master, the pillar).
"""

import os
import threading

import salt.channel.client
import salt.exceptions
import salt.utils.data
import salt.utils.files
import salt.utils.path

try:  # synced: Salt puts extmods/utils on sys.path while it loads this module
    import salt_bonding

    salt_bonding = salt_bonding.current()  # not an older copy from before a sync
    from salt_bonding import errors as _errors
    from salt_bonding import plan as _plan
    from salt_bonding import render as _render
    from salt_bonding import transaction as _transaction
    from salt_bonding.host import copies as _copies
    from salt_bonding.host import platform as _platform
except ImportError as _exc:
    _IMPORT_ERROR = _exc
else:
    _IMPORT_ERROR = None

__virtualname__ = "bond"
# Where the core comes from: synced from the master (file server), or the extension.
_GET_IT = "saltutil.sync_all from a master serving _utils/, or pip install salt-bonding"


def __virtual__():
    if _IMPORT_ERROR is not None:
        return (False, f"The bond state needs the salt_bonding package ({_GET_IT}): "
                       f"{_IMPORT_ERROR}")
    if "bond.status" not in __salt__:
        return (False, "The bond state needs the bond execution module (Linux only).")
    return __virtualname__


def _locations():
    """Where each format goes on this minion, from the minion options; the run's format
    (pillar ``format``, default ``auto``: from the grains) picks one."""
    return _render.Locations.from_options(__salt__["config.get"])


def _grains():
    return _platform.os_grains(__grains__)


def _stack():
    return _platform.stack_from_grains(__grains__)


def _run(name, holder, make_plan, done_comment, networkmanager_service=False):
    """The shared path of every state: ``salt_bonding.transaction.run`` with this minion."""
    warnings = []
    twice = _copies.twice(__file__, __opts__.get("extension_modules"), salt_bonding.__file__)
    if twice:
        warnings.append(twice)
    return _transaction.run(name, holder, make_plan, done_comment, _host(), __opts__["test"],
                            __context__.setdefault("bond.claims", {}), warnings,
                            networkmanager_service)


def _host():
    """This minion as the transaction sees it (``transaction.Host``)."""
    masterless = (__opts__.get("file_client") == "local"
                  or __opts__.get("master_type") == "disable")
    return _transaction.Host(
        run=_run_command, which=salt.utils.path.which, backup=_backup,
        cachedir=__opts__["cachedir"], backup_root=_backup_root(),
        services=_Services() if "service.available" in __salt__ else _transaction.NoServices,
        master=None if masterless else __opts__.get("master_ip"),
        master_answer=None if masterless else _master_request(),
        pause_file=__salt__["config.get"]("bond.pause_file", None),
        lock_timeout=float(__salt__["config.get"]("bond.lock_timeout",
                                                  _transaction.DEFAULT_LOCK_TIMEOUT)))


def _run_command(argv):
    result = __salt__["cmd.run_all"](argv, python_shell=False, ignore_retcode=True,
                                     output_loglevel="debug")
    return result["retcode"], result["stdout"], result["stderr"]


def _backup_root():
    return os.path.join(__opts__["cachedir"], "file_backup")


def _backup(path):
    """A copy of ``path`` as ``file.managed`` keeps one with ``backup: minion``
    (``salt-call file.list_backups <path>`` lists them)."""
    salt.utils.files.backup_minion(path, _backup_root())


class _Services:
    """Salt's service module for the transaction; SystemFailure when it cannot ask."""

    def __getattr__(self, name):
        function = {"available": "service.available", "running": "service.status",
                    "enabled": "service.enabled", "stop": "service.stop",
                    "disable": "service.disable"}[name]

        def call(service):
            try:
                return __salt__[function](service)
            except salt.exceptions.CommandExecutionError as exc:  # systemd not running
                raise _errors.SystemFailure(str(exc).strip()) from exc

        return call


def _master_request():
    """``answer(seconds)`` for ``verify: {master: true}``: one real, authenticated request
    to this minion's Salt master (its file server's environments), None when it completed,
    else why not."""
    opts = __opts__.value() if hasattr(__opts__, "value") else __opts__

    def request(seconds, said):
        try:
            with salt.channel.client.ReqChannel.factory(opts) as channel:
                channel.send({"cmd": "_file_envs", "id": opts["id"]}, tries=1,
                             timeout=seconds)
            said.append(None)
        except Exception as exc:  # noqa: BLE001 (any failure to reach it is the answer)
            said.append(str(exc).strip() or type(exc).__name__)

    def answer(seconds):
        # In a thread of its own: signing in again may retry without a bound of its own.
        said = []
        thread = threading.Thread(target=request, args=(seconds, said), daemon=True)
        thread.start()
        thread.join(seconds + 5)
        return said[0] if said else f"no answer within {seconds + 5:g} s"

    return answer


def reconciled(name="bonding"):
    """
    Make this minion's bond files say exactly what ``pillar[name]`` says.

    Every bond under ``pillar[name]['bonds']`` gets ``ifcfg-<bond>``,
    ``ifcfg-<slave>`` per slave, ``ifcfg-<bond>.<vid>`` per VLAN (or the
    ``<interface>.nmconnection`` keyfiles, see ``format``) and an
    ``alias netdev-<bond> bonding`` line in the modprobe file. Files this
    module wrote for bonds that are no longer in pillar are removed, and their
    aliases dropped. With ``activate: kernel`` in pillar, the bonds whose files
    changed are also brought live in the running kernel, verified, and rolled
    back (kernel and files) when that fails; ``test=True`` lists the operations.
    Before it changes anything, such a run arms a rollback timer outside the
    minion (pillar ``rollback_after``, default 120 s) that puts files and kernel
    back should the run die before it disarms it.
    A missing pillar key is an error, not "no bonds": to remove every bond, set
    ``bonds: {}``.

    name
        The pillar key (default ``bonding``): the state ID in the formula.

    .. code-block:: yaml

        bonding:
          bond.reconciled: []
    """
    destination = _locations()
    pillar_value = salt.utils.data.traverse_dict_and_list(__pillar__, name, None)

    def make_plan():
        return _plan.plan_reconciled(pillar_value, name, destination, grains=_grains(),
                                     stack=_stack())

    def done(plan):
        bonds = ", ".join(plan.bonds) or "none"
        return f"Bond files already match pillar '{name}' (bonds: {bonds})."

    return _run(name, f"bond.reconciled {name}", make_plan, done,
                networkmanager_service=True)


def managed(name, mode, slaves, **settings):
    """
    One bond ``name`` with its slaves, options and addresses, as ifcfg files.

    Other bonds' files are left alone. Files this module wrote earlier for
    this bond and that the new settings no longer produce (a slave or VLAN
    taken out) are removed.

    name
        The bond device, e.g. ``bond0``.
    mode
        Kernel name or number 0-6, any case (``active-backup``, ``4``, ...).
    slaves
        List of the slave interfaces.
    settings
        Any kernel bonding option by its kernel name (``miimon``, ``primary``,
        ``lacp_rate``, ...), and ``onboot``, ``bootproto``, ``ipaddr``,
        ``prefix``/``netmask``, ``gateway``, ``mtu``, ``ifcfg`` (extra keys),
        ``vlans`` — the same keys as a bond in pillar; and ``format``,
        ``networkmanager`` as the pillar's top-level keys (default: from the
        minion).

    .. code-block:: yaml

        bond0:
          bond.managed:
            - mode: 802.3ad
            - slaves: [eth0, eth1]
            - miimon: 100
            - lacp_rate: fast
    """
    destination = _locations()
    bond_settings = {k: v for k, v in settings.items() if not k.startswith("__")}
    bond_settings.update(mode=mode, slaves=slaves)
    file_format = bond_settings.pop("format", "auto")
    networkmanager = bond_settings.pop("networkmanager", None)

    def make_plan():
        return _plan.plan_managed(name, bond_settings, destination, path=f"{name}:bond.managed",
                                  file_format=file_format, grains=_grains(), stack=_stack(),
                                  networkmanager=networkmanager)

    return _run(name, f"bond.managed {name}", make_plan,
                lambda plan: f"Bond {name} files are already as stated.")


def absent(name, force=False, format="auto"):  # noqa: A002 (the state argument's name)
    """
    Remove bond ``name``: its ifcfg files (only those carrying this module's
    mark) and its modprobe alias.

    name
        The bond device.
    force
        Also remove files that another state of this module wrote for the bond
        (a ``bond.reconciled`` whose pillar still has it would write them
        again): for when that state is gone. Default ``False``: refused, with
        the way out.

    .. code-block:: yaml

        bond9:
          bond.absent: []
    """
    destination = _locations()
    file_format = format

    def make_plan():
        return _plan.plan_absent(name, destination, force=bool(force), file_format=file_format,
                                 grains=_grains(), stack=_stack())

    return _run(name, f"bond.absent {name}", make_plan,
                lambda plan: f"Bond {name} has no files to remove.")
