"""``bond.rollout``: waves, the verdict on each minion's ``state.apply``, when to stop.

:func:`waves` splits the targeted minions, in minion-id order, into the canary
wave (``canary`` minions alone) and waves of ``batch``. :func:`run` applies one
wave at a time through a callable the runner gives (publish, gather within the
timeout) and stops after the first wave in which any minion failed: no later
wave is touched. :func:`judge` says whether one minion's return is a success:
every state ``result: True`` (in test mode ``None``, "would change", too), and
every bond brought live said to be verified; a minion that returned nothing
failed ("did not return within N s"). :func:`preview` reads a test-mode run of
the whole fleet: per minion, how many files and live operations would change.

The returns are data from machines that may be broken: anything that is not a
mapping of state returns is a failure, with what came back as the reason.
"""

import math
import re
from dataclasses import dataclass, field

from .report import shown, text

APPLIED = "applied"
FAILED = "failed"
NOT_STARTED = "never started"
CANARY = "canary"


@dataclass
class Outcome:
    """One minion's ``state.apply``: ``ok``, why not, what changed (or would)."""

    ok: bool
    why: str | None = None
    files: int = 0
    live: int = 0

    def counts(self):
        return {"files": self.files, "live": self.live}


@dataclass
class Wave:
    minions: list
    canary: bool = False
    outcome: str = NOT_STARTED
    jid: str | None = None


@dataclass
class Result:
    """What a rollout did, wave by wave."""

    waves: list = field(default_factory=list)
    applied: dict = field(default_factory=dict)  # minion -> counts
    failed: dict = field(default_factory=dict)  # minion -> why

    @property
    def stopped(self):
        return bool(self.failed)

    @property
    def never_started(self):
        return [m for wave in self.waves if wave.outcome == NOT_STARTED for m in wave.minions]


def as_dict(result, target):
    """A rollout's return (stable keys, for ``--out=json``); ``retcode`` 1 when it stopped."""
    return {
        "target": target,
        "test": False,
        "stopped": result.stopped,
        "retcode": 1 if result.stopped else 0,
        "waves": [{"minions": list(w.minions), "canary": w.canary, "outcome": w.outcome,
                   "jid": w.jid} for w in result.waves],
        "applied": dict(sorted(result.applied.items())),
        "failed": dict(sorted(result.failed.items())),
        "never_started": result.never_started,
    }


def preview_dict(would, failed, target, jid):
    """A ``test=True`` preview's return; ``retcode`` 1 when any minion would fail."""
    return {"target": target, "test": True, "retcode": 1 if failed else 0, "jid": jid,
            "preview": would, "failed": failed}


def wave_size(batch, total):
    """Minions per wave for ``batch`` (an int, or ``n%`` of ``total``, rounded up; at
    least 1). ``batch`` is already checked (``arguments.batch``)."""
    if isinstance(batch, str) and batch.endswith("%"):
        return max(1, math.ceil(total * float(batch[:-1]) / 100))
    return int(batch)


def waves(minions, canary, batch):
    """``[Wave]``: the first ``canary`` minions (sorted by id) alone, then waves of
    ``batch`` (see :func:`wave_size`) of the rest."""
    ordered = sorted(minions)
    found = []
    if canary and ordered:
        found.append(Wave(ordered[:canary], canary=True))
    rest = ordered[canary:]
    size = wave_size(batch, len(ordered))
    found += [Wave(rest[start:start + size]) for start in range(0, len(rest), size)]
    return found


def run(planned, apply_wave, timeout):
    """Apply ``planned`` (``[Wave]``) in order: ``apply_wave(wave)`` publishes the wave
    and returns ``({minion: return entry}, jid)`` (a minion missing from it did not
    return within ``timeout``). Stops after the first wave with a failure."""
    result = Result(waves=planned)
    for wave in planned:
        returns, wave.jid = apply_wave(wave)
        for minion in wave.minions:
            outcome = judge(returns.get(minion), timeout, test=False, jid=wave.jid)
            if outcome.ok:
                result.applied[minion] = outcome.counts()
            else:
                result.failed[minion] = outcome.why
        wave.outcome = FAILED if any(m in result.failed for m in wave.minions) else APPLIED
        if wave.outcome == FAILED:
            break
    return result


def judge(entry, timeout, test=False, jid=None):
    """The :class:`Outcome` of one minion's ``state.apply`` return entry
    (``{"ret": ..., "retcode": ...}``; None: it did not return within ``timeout``)."""
    if entry is None:
        later = f" (salt-run jobs.lookup_jid {jid} shows it if it returns later)" if jid else ""
        return Outcome(False, f"did not return within {_seconds(timeout)} s{later}")
    ret = entry.get("ret") if isinstance(entry, dict) else None
    if isinstance(ret, str):
        return Outcome(False, text(ret.strip()))
    if isinstance(ret, list):  # Salt's own refusals: the SLS not found, a render error
        return Outcome(False, text("; ".join(str(line).strip() for line in ret)))
    if not isinstance(ret, dict):
        return Outcome(False, f"state.apply returned {shown(ret, 120)}, expected state "
                              "returns")
    if not ret:
        return Outcome(False, "no state ran (is the formula's SLS empty for this minion?)")
    outcome = Outcome(True)
    failures = []
    for key in sorted(ret, key=lambda k: _order(ret[k])):
        state = ret[key]
        name = _state_name(key)
        if not isinstance(state, dict) or "result" not in state:
            failures.append(f"{name}: returned {shown(state, 120)}, expected a state "
                            "return")
            continue
        accepted = (True, None) if test else (True,)
        full_comment = _comment(state.get("comment"))
        comment = text(full_comment)
        if state["result"] not in accepted:
            failures.append(f"{name}: {comment}" if comment else f"{name}: result "
                            f"{text(state['result'], 40)}")
            continue
        changes = state.get("changes")
        if not isinstance(changes, dict):
            continue
        if key.startswith("bond_|-"):
            outcome.files += sum(1 for path in changes if path != "live")
            live = changes.get("live")
            if isinstance(live, dict):
                outcome.live += sum(_operations(ops) for ops in live.values())
                if not test:
                    failures += [f"{name}: {text(bond, 80)} went live but is not said to be "
                                 f"verified ({comment})"
                                 for bond in live if not _verified(str(bond), full_comment)]
    retcode = entry.get("retcode", 0) if isinstance(entry, dict) else 0
    if not failures and retcode not in (0, None):
        failures.append(f"state.apply exited {text(retcode, 40)}")
    if failures:
        return Outcome(False, "; ".join(failures), outcome.files, outcome.live)
    return outcome


def preview(minions, returns, timeout, jid=None):
    """``test=True`` across the fleet: ``({minion: counts}, {minion: why})``: what would
    change on each minion, and the minions whose run would fail or that did not return."""
    would, failed = {}, {}
    for minion in sorted(minions):
        outcome = judge(returns.get(minion), timeout, test=True, jid=jid)
        if outcome.ok:
            would[minion] = outcome.counts()
        else:
            failed[minion] = outcome.why
    return would, failed


def _operations(ops):
    """How many live operations one bond's ``changes: live`` entry lists (test mode: a
    list of operations; a real run: ``{"done": [...], "bounced": ...}``)."""
    if isinstance(ops, dict):
        ops = ops.get("done")
    return len(ops) if isinstance(ops, list) else 0


def _verified(bond, comment):
    return re.search(rf"(^|\n|\. ){re.escape(bond)} is live( \(bounced\))? and verified\.",
                     comment) is not None


def _comment(comment):
    if isinstance(comment, list):
        return "\n".join(str(line) for line in comment)
    return "" if comment is None else str(comment)


def _state_name(key):
    """``bond_|-bonding_|-bonding_|-reconciled`` -> ``bond.reconciled bonding``."""
    parts = str(key).split("_|-")
    if len(parts) == 4:
        return f"{parts[0]}.{parts[3]} {parts[1]}"
    return text(key, 120)


def _order(state):
    number = state.get("__run_num__") if isinstance(state, dict) else None
    return number if isinstance(number, int) else math.inf


def _seconds(value):
    return int(value) if float(value).is_integer() else value
