"""Live status and health of the Linux bonds on a minion.

Reads ``/proc/net/bonding/<bond>`` (enough on its own) and fills what it
lacks from ``/sys/class/net``. Both roots are minion options, so a captured
tree can stand in for the running kernel::

    bond.procfs: /proc/net/bonding
    bond.sysfs: /sys/class/net

The parsing and the health rules live in the ``salt_bonding`` package
(``_utils/salt_bonding/observe/status.py`` and ``health.py``); this module only wires
them to Salt.
"""


import salt.utils.data
import salt.utils.platform
from salt.exceptions import CommandExecutionError, SaltInvocationError

try:  # synced: Salt puts extmods/utils on sys.path while it loads this module
    import salt_bonding

    salt_bonding = salt_bonding.current()  # not an older copy from before a sync
    # What bond.status, health, list and metrics need; bond.verify imports the planning
    # and rendering core when it runs (a tenth of a second that status does not pay).
    from salt_bonding import errors as _errors
    from salt_bonding.observe import health as _health
    from salt_bonding.observe import metrics as _metrics
    from salt_bonding.observe import status as _status
except ImportError as _exc:
    _IMPORT_ERROR = _exc
else:
    _IMPORT_ERROR = None

__virtualname__ = "bond"
# Where the core comes from: synced from the master (file server), or the extension.
_GET_IT = "saltutil.sync_all from a master serving _utils/, or pip install salt-bonding"
__func_alias__ = {"list_": "list"}


def __virtual__():
    if not salt.utils.platform.is_linux():
        return (False, "The bond execution module is only available on Linux systems.")
    if _IMPORT_ERROR is not None:
        return (False, f"The bond execution module needs the salt_bonding package ({_GET_IT}): "
                       f"{_IMPORT_ERROR}")
    return __virtualname__


def _call(function, *args):
    """A ``salt_bonding.observe.status`` function on the configured roots; its errors as Salt's.

    A root set in the minion config must be there: a monitoring check pointed
    at nothing would otherwise report "no bonds, all ok".
    """
    try:
        procfs, sysfs = _status.configured_roots(lambda option: __salt__["config.get"](option, ""))
        return function(procfs, sysfs, *args)
    except _errors.BondingError as exc:
        raise CommandExecutionError(str(exc)) from None


def _read(name):
    """Every bond's status (or bond ``name``'s) with its health."""
    # The CLI turns a name like "0" into an int: bond names are strings.
    return _health.judge(_call(_status.read_status, None if name is None else str(name)))


def list_():
    """
    Sorted names of the bonds on this minion (empty without the bonding driver).

    CLI Example:

    .. code-block:: bash

        salt '*' bond.list
    """
    return _call(_status.list_bonds)


def status(name=None):
    """
    What the running kernel says about each bond: mode, monitoring, the active
    slave, 802.3ad aggregator and partner, every slave, and the bond's health.

    A bond whose status file cannot be read or parsed carries ``error`` (the
    file and why) instead; the other bonds are still reported, and
    ``salt-call`` exits non-zero.

    It reads ``/proc/net/bonding/<bond>`` and fills gaps from
    ``/sys/class/net``; the minion options ``bond.procfs`` and ``bond.sysfs``
    point it at other directories (a captured tree). A directory set there
    that does not exist is an error, not "no bonds".

    name
        Only this bond. An unknown name is an error listing the bonds there are.

    CLI Example:

    .. code-block:: bash

        salt '*' bond.status
        salt '*' bond.status bond0
        salt-call --out=json bond.status
    """
    statuses = _read(name)
    if any("error" in entry for entry in statuses.values()):
        __context__["retcode"] = 1
    return statuses


def _pillar_bonds(key):
    """The bond names this minion's pillar gives under ``key`` (nothing when it gives none)."""
    value = salt.utils.data.traverse_dict_and_list(__pillar__, key, None)
    bonds = value.get("bonds") if isinstance(value, dict) else None
    return sorted(str(name) for name in bonds) if isinstance(bonds, dict) else []


def health(name=None, key="bonding", detail=False):
    """
    ``ok``, ``degraded``, ``unknown`` or ``down`` for each bond with the
    reasons, and the worst of them as ``status``. ``salt-call`` exits non-zero
    unless every bond is ok, so this can drive a monitoring check.

    A bond that this minion's pillar gives (under ``key``) but the kernel does
    not have is ``down``: with no bonding driver loaded at all, a host that
    should have bonds is not "ok". A host whose pillar gives none, and that has
    none, is ok.

    name
        Only this bond. An unknown name is an error listing the bonds there are.
    key
        The pillar key of this minion's bonds (default ``bonding``, as for
        ``bond.reconciled``).
    detail
        ``True``: each bond also has its ``mode``, ``active_slave`` and ``slaves``
        (each slave's MII status), as ``salt-run bond.report`` shows them.

    CLI Example:

    .. code-block:: bash

        salt '*' bond.health
        salt-call bond.health bond0 || echo "bond trouble"
        salt '*' bond.health key=storage
        salt '*' bond.health detail=True
    """
    expected = _pillar_bonds(key)
    if name is not None and str(name) in expected and str(name) not in list_():
        healths = _health.missing([str(name)], key)
        statuses = {}
    else:
        statuses = _read(name)
        healths = {bond: entry["health"] for bond, entry in statuses.items()}
        if name is None:
            healths.update(_health.missing(
                [bond for bond in expected if bond not in healths], key))
    if detail is True:
        healths = {bond: _health.with_detail(verdict, statuses.get(bond))
                   for bond, verdict in healths.items()}
    verdict = _health.overall(dict(sorted(healths.items())))
    if verdict["status"] != "ok":
        __context__["retcode"] = 1
    return verdict


def metrics(path=None, prefix="node_bonding"):
    """
    Every bond's status in the Prometheus text format, for node_exporter's
    textfile collector.

    ``<prefix>_slaves`` and ``<prefix>_active`` (label ``master``) are what
    node_exporter's bonding collector calls ``node_bonding_slaves`` and
    ``node_bonding_active``; added: ``_up``, ``_health`` (one series per
    verdict), ``_partner_mac_present`` and ``_aggregator_split`` (802.3ad),
    and per slave (label ``device``) ``_slave_up``, ``_slave_active`` and
    ``_slave_link_failures_total``. Where node_exporter's own bonding
    collector also runs (it does by default), give another ``prefix`` or
    start it with ``--no-collector.bonding``: the same series from two
    collectors make its scrapes fail.

    path
        Write the text to this file instead of returning it, and return the
        path: an absolute path ending in ``.prom`` in the collector's
        ``--collector.textfile.directory``. The file is replaced atomically
        (written beside it under a name the collector does not read, then
        renamed), so node_exporter never reads half of it.
    prefix
        The metric names' prefix (default ``node_bonding``).

    CLI Example:

    .. code-block:: bash

        salt '*' bond.metrics
        salt '*' bond.metrics path=/var/lib/node_exporter/textfile/bonding.prom
        salt '*' bond.metrics prefix=salt_bonding
    """
    try:
        _metrics.check_prefix(prefix)
        if path is not None:
            path = _metrics.check_path(path)
    except ValueError as exc:
        raise SaltInvocationError(str(exc)) from None
    except _errors.SystemFailure as exc:
        raise CommandExecutionError(str(exc)) from None
    text = _metrics.render(_read(None), prefix)
    if path is None:
        return text
    try:
        _metrics.write(path, text)
    except _errors.SystemFailure as exc:
        raise CommandExecutionError(str(exc)) from None
    return path


def _run_command(argv):
    result = __salt__["cmd.run_all"](argv, python_shell=False, ignore_retcode=True,
                                     output_loglevel="debug")
    return result["retcode"], result["stdout"], result["stderr"]


def verify(name="bonding"):
    """
    Drift: the pillar against the files on disk and the running kernel.

    Per bond of ``pillar[name]`` (the same key as the ``bond.reconciled``
    state): ``files``, the files that state would create (missing), change
    (changed by hand) or remove (left over); ``kernel``, what the running
    kernel does not do of the pillar (mode, options, slaves, MII, an active
    slave; MTU, addresses, default routes, VLANs), read as ``bond.status``
    and activation read it. ``host``: the modprobe file; ``unknown``: bonds
    the kernel runs that no state of this module writes files for (neither
    this pillar key nor another ``bond.reconciled`` key or ``bond.managed``).
    ``drifted`` is true, and ``salt-call`` exits 1, when anything differs.
    Nothing is written.

    With the minion options ``bond.procfs`` and ``bond.sysfs`` moved to a
    captured tree, the kernel side is that tree, as for ``bond.status``; what
    a tree cannot show (addresses, routes, VLANs; options or the MTU a tree
    without sysfs lacks) is listed under ``not_checked``, not as drift.

    name
        The pillar key (default ``bonding``).

    CLI Example:

    .. code-block:: bash

        salt '*' bond.verify
        salt-call bond.verify || echo "bonds drifted from pillar"
        salt '*' bond.verify name=storage --out=json
    """
    from salt_bonding import plan as _plan
    from salt_bonding import render as _render
    from salt_bonding.host import platform as _platform
    from salt_bonding.observe import drift as _drift  # here, not at the top: see the imports there

    pillar_value = salt.utils.data.traverse_dict_and_list(__pillar__, name, None)
    try:
        plan = _plan.plan_reconciled(
            pillar_value, name, _render.Locations.from_options(__salt__["config.get"]),
            grains=_platform.os_grains(__grains__),
            stack=_platform.stack_from_grains(__grains__))
        procfs, sysfs = _status.configured_roots(
            lambda option: __salt__["config.get"](option, ""))
        found = _drift.verify(plan, procfs, sysfs, _run_command)
    except _errors.BondingError as exc:
        raise CommandExecutionError(str(exc)) from None
    if found["drifted"]:
        __context__["retcode"] = 1
    return found
