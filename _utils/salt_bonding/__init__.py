"""salt_bonding: the pure core of the Salt bonding modules (no Salt imports, no dunders).

Where things are, by concern (each subpackage's docstring lists its modules)::

    config/         what the pillar may say and what it means: schema.py (pillar ->
                    model.Config, every error with its pillar path; addressing.py,
                    bond_settings.py and checks.py its parts), model.py, options.py (the
                    option table: data) with option_types.py, ports.py (per-slave
                    settings), choices.py, modes.py, names.py, values.py, nm_versions.py
    render/         one renderer per file format (ifcfg.py with shell.py quoting and
                    ifcfg_keys.py; keyfile.py for NetworkManager; ifupdown.py and
                    netplan.py for Debian and Ubuntu), and modprobe.py, the alias file
                    every format writes
    plan.py         one state run's files: validate, render, plan against the disk
    transaction/    one state run start to end (files, NetworkManager, live.py: what
                    goes live and its rollback) over a small Host the state module
                    builds from Salt
    activate/       activators (bringing changes live) behind one interface (base.py):
                    kernel.py, ifup.py, ifupdown.py (Debian's ifup), netplan.py (the
                    refusal), nmcli.py; operations.py (a dataclass per kind
                    of step), kernel_plan.py and running.py the in-place plan and its
                    run (one table of how each kind of step is made), verify.py,
                    lifelines.py (what a plan would cut), timer.py (the rollback
                    timer outside the minion)
    observe/        reading and judging running bonds: status.py (proc.py the
                    /proc/net/bonding text), health.py,
                    compare.py (desired against live), drift.py (bond.verify), watch.py
                    (the beacon), grains.py, metrics.py
    host/           the minion: platform.py (which files it reads), competing.py,
                    networkmanager.py, netlink.py, links.py, files.py (atomic.py its
                    writes), regular.py,
                    lock.py, copies.py
    fleet/          the bond runner's decisions on the master: report.py (the rows and
                    verdicts), rollout.py (the waves and the stop), arguments.py,
                    text.py (the table), page.py (the HTML page)
    errors.py       UserError (the user must act), SystemFailure (the system failed)

A new renderer goes in render/, an activator in activate/, an observer in observe/, a
probe of the minion in host/, a pillar key or bonding option in config/.

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
