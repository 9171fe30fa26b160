"""Beacon ``bond``: an event when a bond fails over, loses or regains a slave, ...

Each pass reads ``/proc/net/bonding`` as ``bond.status`` does (no command;
the minion options ``bond.procfs`` and ``bond.sysfs`` move the roots) and
fires an event only for what changed since the previous pass. The first
pass after the minion starts, or after the instance's configuration changed
or it was stopped a while (deleted, disabled), is a silent baseline, unless
``emitatstartup`` is true. A refresh of the minion's modules or pillar
(``saltutil.sync_all``, ``saltutil.refresh_pillar``) is no new start: what
changed across it is reported.

.. code-block:: yaml

    beacons:
      bond:
        - interval: 5                 # seconds between passes: a number greater than 0
        - bonds: [bond0, bond1]       # default: every bond
        - events: [failover, health]  # default: every event
        - emitatstartup: false        # true: the first pass reports each bond's state

Tags: ``salt/beacon/<minion>/<beacon name>/<bond>/<event>``, the events
``failover``, ``slave_down``, ``slave_up``, ``link_failures``,
``partner_lost``, ``partner_found``, ``aggregator_split``, ``down``, ``up``,
``health``; the payloads are described in ``salt_bonding/observe/watch.py``. Several
instances (``beacon_module: bond`` under other names) each keep their own
state.

The logic is in the ``salt_bonding`` package (``_utils/salt_bonding/observe/watch.py``).
"""

import logging
import os
import sys
import time
import types

import salt.loader
import salt.utils.platform

log = logging.getLogger(__name__)

__virtualname__ = "bond"
# Where the core comes from: synced from the master (file server), or the extension.
_GET_IT = "saltutil.sync_all from a master serving _utils/, or pip install salt-bonding"
CONTEXT_KEY = "bond.watch"  # __context__[CONTEXT_KEY][beacon name] -> that instance's state
CARRIED_MODULE = "salt_bonding_beacon_passes"  # see _carried

_errors = _status = _watch = None  # salt_bonding's modules, imported by __virtual__


def _import_core(opts):
    """``(errors, status, watch)`` of the ``salt_bonding`` package.

    Salt's loader puts the utils directories (``extmods/utils``, ``utils_dirs``)
    on ``sys.path`` while it loads execution modules and grains, but not while
    it loads beacons (``salt.loader.beacons`` gives no ``extra_module_dirs``,
    3006 and 3008). Reading the minion config adds ``utils_dirs`` for good,
    but only those that existed then: a minion started before its first
    ``saltutil.sync_all`` cannot import the synced package here. So the
    beacon asks Salt for the list its loader uses
    (``salt.loader.utils(opts).module_dirs``) and appends the directories
    holding the package to ``sys.path`` while it imports, as the loader does.
    """
    added = []
    try:
        for directory in salt.loader.utils(opts).module_dirs:
            if directory not in sys.path and _holds_package(directory):
                sys.path.append(directory)
                added.append(directory)
    except Exception as exc:  # noqa: BLE001 (an installed package still imports without it)
        log.debug("bond beacon: cannot list the utils directories: %s", exc)
    try:
        import salt_bonding

        salt_bonding.current()  # not an older copy from before a sync
        from salt_bonding import errors
        from salt_bonding.observe import status, watch
    finally:
        for directory in added:
            sys.path.remove(directory)
    return errors, status, watch


def _holds_package(directory):
    return os.path.isfile(os.path.join(directory, "salt_bonding", "__init__.py"))


def __virtual__():
    global _errors, _status, _watch
    if not salt.utils.platform.is_linux():
        return (False, "The bond beacon is only available on Linux systems.")
    try:
        _errors, _status, _watch = _import_core(__opts__)
    except ImportError as exc:
        return (False, f"The bond beacon needs the salt_bonding package ({_GET_IT}): {exc}")
    return __virtualname__


def validate(config):
    """
    Whether ``config`` is a valid ``bond`` beacon configuration: ``(bool, message)``,
    the message naming each bad key and what it allows. ``interval`` too: Salt reads
    it itself but does not check it, and a string there makes its beacon loop raise on
    every pass (the beacons after this one would not run); refused here, Salt skips
    this instance alone and logs why.

    CLI Example:

    .. code-block:: bash

        salt '*' beacons.add bond "[{interval: 5}, {events: [failover, health]}]" test=True
    """
    options, problem = _watch.options_of(config)
    problems = [problem] if problem else _watch.config_problems(options)
    if problems:
        return False, "bond beacon: " + "; ".join(problems)
    return True, "Valid beacon configuration"


def _instance(name, options):
    """This instance's state in ``__context__``; a new baseline when its configuration
    changed (``beacons.modify`` keeps the loader, and its context). After a refresh of
    the minion's modules (a new loader, an empty context) it goes on from the pass
    before (:func:`_carried`), so a change in between is still reported."""
    key = _watch.config_key(options)
    instances = __context__.setdefault(CONTEXT_KEY, {})
    state = instances.get(name)
    if state is None or state["key"] != key:
        watch = _watch.watch_for(options, _carried().get(name), time.monotonic())
        if watch.previous is not None:
            log.debug("bond beacon %s: going on from the pass before the refresh", name)
        state = instances[name] = {"key": key, "watch": watch, "error": None}
    return state


def _carried():
    """``{beacon name: watch.Carried}`` for the minion process's life: an entry in
    ``sys.modules``, as the loader's refreshes re-execute this module (and the
    ``salt_bonding`` package is imported afresh when a sync changed it)."""
    registry = sys.modules.get(CARRIED_MODULE)
    if registry is None:
        registry = sys.modules[CARRIED_MODULE] = types.ModuleType(CARRIED_MODULE)
        registry.passes = {}
    return registry.passes


def _report(name, state, exc):
    """Log a failed pass: once at error level while the reason stays the same."""
    message = f"{type(exc).__name__}: {exc}"
    if state is not None and state["error"] == message:
        log.debug("bond beacon %s: %s", name, message)
        return
    if state is not None:
        state["error"] = message
    log.error("bond beacon %s: cannot read the bonds, no events this pass: %s", name, message,
              exc_info=not isinstance(exc, (OSError, ValueError, _errors.BondingError)))


def beacon(config):
    """
    The events of what changed in the bonds since the previous pass, each a
    dict with ``tag`` ``<bond>/<event>`` and the event's payload.

    Never raises: Salt would turn an exception into an error event on every
    pass. A pass that cannot read the bonds (a ``bond.procfs`` that is not a
    directory) logs why, once while the reason stays the same, and keeps the
    previous read as the baseline.

    CLI Example:

    .. code-block:: bash

        salt '*' beacons.add bond "[{interval: 5}]"
    """
    name, state = __virtualname__, None
    try:
        options, problem = _watch.options_of(config)
        if problem:
            raise ValueError(problem)
        name = str(options.get("_beacon_name", __virtualname__))
        state = _instance(name, options)
        procfs, sysfs = _status.configured_roots(lambda option: __salt__["config.get"](option, ""))
        first = state["watch"].previous is None
        events = state["watch"].poll(procfs, sysfs)
        _carried()[name] = _watch.Carried(state["key"], state["watch"].previous,
                                          time.monotonic())
        if first:  # what the operator (and a test) can see: the watch has begun
            log.info("bond beacon %s: first pass done, watching %s", name,
                     ", ".join(sorted(state["watch"].previous)) or "no bonds yet")
    except Exception as exc:  # noqa: BLE001 (see the docstring)
        _report(name, state, exc)
        return []
    state["error"] = None
    return [dict(event.data, tag=f"{event.bond}/{event.name}") for event in events]
