"""salt_bonding: the pure core of the Salt bonding modules (no Salt imports, no dunders).

Where things are::

    model.py        the validated configuration as dataclasses (Config, Bond, Vlan)
    schema.py       pillar -> model.Config, every error with its pillar path
    choices.py      the top-level choices (format, networkmanager, activate): one table
    options.py      the bonding option table (data): validation, rendering, docs
    modes.py        the modes and the mode sets (ARP, active slave, LACP)
    names.py        interface names;  values.py: numbers, addresses, MACs, switches
    render/         one renderer per file format (ifcfg.py with shell.py quoting and
                    ifcfg_keys.py; keyfile.py for NetworkManager), and modprobe.py,
                    the alias file every format writes
    platform.py     which format a minion's RHEL generation reads
    nm_versions.py  which NetworkManager reads them (installed, or what the release ships)
    competing.py    other profiles for our interfaces: named, beaten or refused
    networkmanager.py  making a running NetworkManager load changed files, and the check
    transaction/    one state run start to end (files, NetworkManager, live, rollback)
                    over a small Host the state module builds from Salt
    lock.py         one run of the bond states at a time per host (in the minion's cache)
    copies.py       the modules both synced and installed as the extension: said
    regular.py      reading only regular files, never blocking
    files.py        plan against the disk, diff, atomic all-or-nothing apply, rollback
    plan.py         one state run: validate, render, plan, report
    activate/       activators (bringing changes live): the interface; verify.py,
                    lifelines.py (what a plan would cut), timer.py (the rollback
                    timer outside the minion)
    netlink.py      the kernel over rtnetlink in-process;  links.py: a running bond
                    as a model.Bond
    status.py       reading /proc/net/bonding and sysfs;  health.py: judging it
    compare.py      desired (model.Bond) against live (status): verify, drift
    drift.py        bond.verify: pillar against the files and the kernel (or a tree)
    watch.py        the beacon's events;  grains.py: the bonds grain
    metrics.py      Prometheus text for node_exporter's textfile collector
    fleet/          the bond runner's decisions on the master: the report's rows and
                    verdicts, the rollout's waves and stop, the table, the HTML page
    errors.py       UserError (the user must act), SystemFailure (the system failed)

The Salt modules (``_modules/bond.py``, ``_states/bond.py``, ``_runners/bond.py``
...) import this package by name: when synced from the master it sits in the
minion's (or, for the runner, the master's) ``extmods/utils``, which Salt's loader
puts on ``sys.path`` while it loads execution, state and runner modules; when
installed, it is on ``sys.path`` anyway.
"""

__version__ = "0.2.0"

import importlib
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _fingerprint():
    """(file, mtime, size) of every module of this package, as it is on disk now."""
    found = []
    for directory, _, file_names in os.walk(_HERE):
        for file_name in file_names:
            if file_name.endswith(".py"):
                path = os.path.join(directory, file_name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                found.append((os.path.relpath(path, _HERE), info.st_mtime_ns, info.st_size))
    return sorted(found)


_IMPORTED_AS = _fingerprint()


def current():
    """This package, imported afresh when its files changed on disk since it was imported.

    A minion process lives on across ``saltutil.sync_all``: Salt's loader
    reloads the modules it loads, but a package they import stays in
    ``sys.modules``, so new modules would run on the old core. The Salt
    modules call this once as they load (while the loader has the synced
    directory on ``sys.path``) and use what it returns.
    """
    if _fingerprint() == _IMPORTED_AS:
        return sys.modules[__name__]
    for name in [n for n in sys.modules if n == __name__ or n.startswith(__name__ + ".")]:
        del sys.modules[name]
    return importlib.import_module(__name__)
