"""Making a running NetworkManager read the files a run changed, and checking it did.

NetworkManager does not watch its directories: a profile written or removed
is news to it only after ``nmcli connection load <file>...``, which loads
without activating anything itself (a new profile that may autoconnect on a
free device is activated by NetworkManager, as at boot). That command exits 0
even when NetworkManager refused a file (it prints ``Could not load file``,
and keeps the profile it had), so the result is read back: ``nmcli -t -f
FILENAME connection show`` must list every written file and none of the
removed ones, and no file may be named as refused.

Pure Python, no Salt: the state module runs the argv lists given here with
``cmd.run_all`` and hands the outputs back.
"""

import os

NMCLI = "nmcli"
# Every profile this module writes for NetworkManager carries this autoconnect
# priority (NetworkManager's default is 0): when another profile for the same
# device exists (an installer's "Wired connection 1"), ours is the one
# NetworkManager activates at boot. A competitor at or above it is refused
# (``competing.py``).
AUTOCONNECT_PRIORITY = 100
RUNNING_ARGV = [NMCLI, "-t", "-f", "RUNNING", "general"]
SHOW_ARGV = [NMCLI, "-t", "-f", "FILENAME", "connection", "show"]


def changed_files(plan):
    """``(written, removed)`` paths of a plan that NetworkManager reads: every profile of a
    run whose files it reads (``networkmanager: managed``), and the ones swept from the
    other format (an upgrade from ifcfg files to keyfiles leaves no stale profile)."""
    if plan.choice is None or not plan.choice.read_by_networkmanager:
        return [], []
    written, removed = [], []
    for path, change in sorted(plan.changes.items()):
        if path in plan.destination.host_files:
            continue
        (removed if change.new is None else written).append(path)
    return written, removed


def _names(paths):
    return ", ".join(os.path.basename(path) for path in paths)


def said(how, written, removed):
    """The comment's sentence on what NetworkManager makes of a run's ``written`` and
    ``removed`` files: ``how`` is ``"no nmcli"``, ``"not running"`` (it reads the written
    ones when it starts; the removed ones it will not see), ``"would load"`` (test=True) or
    ``"loaded"``."""
    if how in ("no nmcli", "not running"):
        head = ("NetworkManager: no nmcli on this minion" if how == "no nmcli"
                else "NetworkManager is not running")
        if not written:
            return f"{head}; {_names(removed)}: removed, it will not see them when it starts."
        gone = f" ({_names(removed)}: removed, it will not see them)" if removed else ""
        return f"{head}; it reads {_names(written)} when it starts{gone}."
    verb, drop = (("would load", "drop") if how == "would load" else ("loaded", "dropped"))
    parts = [f"{verb} {_names(written)}"] if written else []
    if removed:
        parts.append(f"{drop} the profiles of {_names(removed)} (removed)")
    return f"NetworkManager {' and '.join(parts)}."


def is_running(returncode, stdout):
    """Whether ``nmcli -t -f RUNNING general`` said NetworkManager runs."""
    return returncode == 0 and stdout.strip() == "running"


def load_argv(paths):
    return [NMCLI, "connection", "load", *paths]


def _unescape_terse(line):
    """A value of ``nmcli -t`` output: ``\\:`` and ``\\\\`` are escaped."""
    return line.replace("\\:", ":").replace("\\\\", "\\")


def loaded_files(show_stdout):
    """The set of profile files NetworkManager has, from ``SHOW_ARGV``'s output."""
    return {os.path.normpath(_unescape_terse(line))
            for line in show_stdout.splitlines() if line.strip()}


def refused_by_load(load_stderr):
    """The paths ``nmcli connection load`` printed ``Could not load file '<path>'`` for
    (it exits 0 all the same): an insecure mode, a profile NetworkManager rejects, a file
    outside its directories."""
    refused = []
    for line in load_stderr.splitlines():
        head, _, rest = line.partition("Could not load file '")
        if rest.endswith("'"):
            refused.append(os.path.normpath(rest[:-1]))
    return refused


def not_loaded(written, removed, show_stdout, load_stderr=""):
    """``[(path, what is wrong)]`` after a load: written files NetworkManager refused or
    does not have, removed files whose profile it still has."""
    have = loaded_files(show_stdout) - set(refused_by_load(load_stderr))
    problems = [(path, "NetworkManager did not load it (its log says why)")
                for path in written if os.path.normpath(path) not in have]
    problems += [(path, "removed, but NetworkManager still has its profile")
                 for path in removed if os.path.normpath(path) in have]
    return problems
