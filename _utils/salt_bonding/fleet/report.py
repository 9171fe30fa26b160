"""``bond.report``: one row per minion from what ``bond.health`` and ``bond.verify`` returned.

Both functions go to the minions in one job (Salt's multi-function job: the
minion runs them one after the other and returns ``{function: return}``, or a
list in that order with ``multifunc_ordered``); :func:`split` takes one
minion's return apart. :func:`build` takes the minions the target expects and
the returns that came back (``{minion: {"ret": value, "retcode": n}}``, as
Salt's LocalClient gives them); a minion with no return is ``no answer``. Each row has
the minion's status, its bonds (each with its health, its problems, the drift
``bond.verify`` found, its mode and slaves when ``bond.health detail=True``
gave them) and minion-level problems. Rows are ordered worst first, then by
minion id; bonds within a row likewise.

A return of the wrong shape (a string, an error, a list, a status nobody
defined) is that minion's ``unknown`` row with the reason. Text taken from
returns is kept as text (capped in length); escaping it is the renderers' job.
"""

import reprlib

from ..observe import health as _health

OK = _health.OK
DRIFTED = "drifted"
DEGRADED = _health.DEGRADED
UNKNOWN = _health.UNKNOWN
NO_ANSWER = "no answer"
DOWN = _health.DOWN
# Worst first: a bond that is down is an outage; a minion that does not answer may be
# one (or only its salt-minion); unknown: it answered, but nothing could be judged;
# degraded: redundancy lost now; drifted: works, but not as pillar says.
STATUSES = (DOWN, NO_ANSWER, UNKNOWN, DEGRADED, DRIFTED, OK)
HEALTH_STATUSES = _health.SEVERITY  # what bond.health may say of a bond

# Caps on what one minion's return can put in the report (a broken or hostile minion
# could return megabytes): longer text is cut, further items are counted, not listed.
MAX_TEXT = 400
MAX_BONDS = 256
MAX_ITEMS = 64


FUNCTIONS = ("bond.health", "bond.verify")
TRACEBACK = "Traceback (most recent call last):"


class Malformed(ValueError):
    """A return that is not what the function returns: the reason, for the row."""


def split(entry):
    """``(bond.health entry, bond.verify entry)`` of one minion's return of the job that
    ran both; each ``{"ret": ...}``. A return that is not one of both functions gives
    both that return, so each says what came back."""
    ret = entry.get("ret") if isinstance(entry, dict) else None
    if isinstance(ret, list) and len(ret) == len(FUNCTIONS):  # multifunc_ordered
        ret = dict(zip(FUNCTIONS, ret, strict=True))
    if isinstance(ret, dict) and set(FUNCTIONS) <= set(ret):
        return tuple({"ret": ret[function]} for function in FUNCTIONS)
    return entry, entry


def error_text(value):
    """What an error a minion returned says: of a traceback (a multi-function job returns
    one for an exception), the exception's message without its class."""
    value = value.strip()
    if not value.startswith(TRACEBACK):
        return value
    lines = value.splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith(" ")]
    message = "\n".join(lines[frames[-1] + 1 if frames else 1:]).strip()
    head, colon, rest = message.partition(": ")
    if colon and head.replace(".", "").replace("_", "").isalnum() and " " not in head:
        message = rest
    return message or lines[-1]


def severity(status):
    """Sort key: the worst status first."""
    return STATUSES.index(status)


def worst(statuses, default=OK):
    return min(statuses, key=severity, default=default)


# A value that is not text is shown as Python would show it, but bounded: a return
# nested a thousand levels deep or a list of a million items costs no more to show.
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, MAX_TEXT, MAX_TEXT
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8


def text(value, limit=MAX_TEXT):
    """``value`` as one piece of text of at most ``limit`` characters (cut with ``...``):
    text as it is, anything else as :func:`shown` shows it."""
    value = value if isinstance(value, str) else _REPR.repr(value)
    return value if len(value) <= limit else value[:limit - 3] + "..."


def shown(value, limit=MAX_TEXT):
    """``value`` as Python shows it (text in quotes), bounded, at most ``limit`` long."""
    return text(_REPR.repr(value), limit)


def _capped(items, what):
    """The first :data:`MAX_ITEMS` of ``items`` as text, and a line saying how many more."""
    items = list(items)
    shown = [text(item) for item in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        shown.append(f"... and {len(items) - MAX_ITEMS} more {what}")
    return shown


def _failure(function, entry):
    """Why a return is not the function's data, or None when it may be."""
    ret = entry.get("ret") if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or "ret" not in entry:
        return f"{function}: the return has no data ({text(entry, 80)})"
    if isinstance(ret, str):  # an error Salt made of an exception, or a missing function
        return f"{function}: {text(error_text(ret))}"
    if not isinstance(ret, dict):
        return f"{function} returned {type(ret).__name__} {text(ret, 80)}, expected a mapping"
    return None


def _text_list(value, where):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Malformed(f"{where} is {shown(value, 80)}, expected a list of text")
    return value


def read_health(entry):
    """``{bond: {"status", "problems", "mode", "active_slave", "slaves"}}`` from one
    ``bond.health`` return; :class:`Malformed` with the reason when it is not one."""
    failure = _failure("bond.health", entry)
    if failure:
        raise Malformed(failure)
    ret = entry["ret"]
    bonds = ret.get("bonds")
    if not isinstance(bonds, dict) or ret.get("status") not in HEALTH_STATUSES:
        raise Malformed(f"bond.health returned {text(ret, 120)}, expected its status and "
                        "bonds")
    found = {}
    for name, bond in bonds.items():
        where = f"bond.health: bond {text(name, 80)!r}"
        if not isinstance(bond, dict) or bond.get("status") not in HEALTH_STATUSES:
            status = bond.get("status") if isinstance(bond, dict) else bond
            raise Malformed(f"{where} has status {text(status, 80)!r}, expected one of "
                            f"{', '.join(HEALTH_STATUSES)}")
        slaves = bond.get("slaves") or {}
        if not isinstance(slaves, dict) or not all(
                isinstance(mii, (str, type(None))) for mii in slaves.values()):
            raise Malformed(f"{where}: slaves {text(slaves, 80)}, expected "
                            "{slave: MII status}")
        found[text(name)] = {
            "status": bond["status"],
            "problems": _capped(_text_list(bond.get("problems", []), f"{where}: problems"),
                                "problems"),
            "mode": _optional_text(bond.get("mode"), f"{where}: mode"),
            "active_slave": _optional_text(bond.get("active_slave"), f"{where}: active_slave"),
            "slaves": [{"name": text(slave), "mii_status": mii}
                       for slave, mii in sorted(slaves.items(), key=lambda i: str(i[0]))],
        }
    return found


def _optional_text(value, where):
    if value is not None and not isinstance(value, str):
        raise Malformed(f"{where} is {shown(value, 80)}, expected text")
    return None if value is None else text(value)


def read_verify(entry):
    """``(drift per bond {bond: [line]}, drift of the host [line], bonds pillar does not
    give [name])`` from one ``bond.verify`` return; :class:`Malformed` when it is not one."""
    failure = _failure("bond.verify", entry)
    if failure:
        raise Malformed(failure)
    ret = entry["ret"]
    bonds = ret.get("bonds")
    if not isinstance(bonds, dict) or not isinstance(ret.get("drifted"), bool):
        raise Malformed(f"bond.verify returned {text(ret, 120)}, expected drifted and bonds")
    drift = {}
    for name, bond in bonds.items():
        where = f"bond.verify: bond {text(name, 80)!r}"
        if not isinstance(bond, dict):
            raise Malformed(f"{where} is {text(bond, 80)}, expected files and kernel")
        lines = (_text_list(bond.get("files", []), f"{where}: files")
                 + _text_list(bond.get("kernel", []), f"{where}: kernel"))
        drift[text(name)] = lines
    host = _text_list(ret.get("host", []), "bond.verify: host")
    unknown = _text_list(ret.get("unknown", []), "bond.verify: unknown")
    return drift, host, [text(name) for name in unknown]


def row(minion, health_entry, verify_entry, no_answer_why, pillar_key="bonding"):
    """One minion's row. ``health_entry``/``verify_entry``: its returns, None when it did
    not return; ``no_answer_why``: what to say of a minion that returned neither."""
    found = {"minion": text(minion), "status": OK, "problems": [], "bonds": []}
    if health_entry is None and verify_entry is None:
        found.update(status=NO_ANSWER, problems=[no_answer_why])
        return found
    statuses = []
    try:
        if health_entry is None:
            raise Malformed(f"bond.health: no answer ({no_answer_why})")
        bonds = read_health(health_entry)
    except Malformed as exc:
        found.update(status=UNKNOWN, problems=[str(exc)])
        return found
    if len(bonds) > MAX_BONDS:
        found["problems"].append(f"{len(bonds) - MAX_BONDS} more bonds not shown")
        bonds = dict(sorted(bonds.items())[:MAX_BONDS])
    try:
        if verify_entry is None:
            raise Malformed(f"bond.verify: no answer ({no_answer_why})")
        drift, host, unknown = read_verify(verify_entry)
    except Malformed as exc:
        found["problems"].append(f"drift not checked: {exc}")
        statuses.append(UNKNOWN)
        drift, host, unknown = {}, [], []
    for name in unknown:
        drift.setdefault(name, []).append(
            f"running, but pillar {pillar_key!r} does not give it")
    for name, lines in drift.items():
        if lines and name not in bonds:  # bond.verify knows a bond bond.health did not list
            found["problems"] += _capped((f"drift: {name}: {line}" for line in lines), "lines")
            statuses.append(DRIFTED)
    if host:
        found["problems"] += _capped((f"drift: {line}" for line in host), "lines")
        statuses.append(DRIFTED)
    for name, bond in bonds.items():
        lines = _capped(drift.get(name, []), "lines")
        status = DRIFTED if bond["status"] == OK and lines else bond["status"]
        found["bonds"].append({"bond": name, "status": status, "health": bond["status"],
                               "problems": bond["problems"], "drift": lines,
                               "mode": bond["mode"], "active_slave": bond["active_slave"],
                               "slaves": bond["slaves"]})
        statuses.append(status)
    found["bonds"].sort(key=lambda b: (severity(b["status"]), b["bond"]))
    found["status"] = worst(statuses)
    return found


def build(expected, returns, no_answer_why, target=None, pillar_key="bonding"):
    """The report: ``{"status", "retcode", "target", "summary", "minions": [row]}``.

    ``expected``: the minion ids the target expects; ``returns``: per minion id, its
    return of the job that ran both functions (see :func:`split`). A minion that
    returned without being expected (its key accepted since) is reported too.
    ``retcode`` is 1 when any minion is not ok, or none was targeted.
    """
    minions = sorted(set(expected) | set(returns), key=str)
    rows = [row(minion, *(split(returns[minion]) if minion in returns else (None, None)),
                no_answer_why, pillar_key)
            for minion in minions]
    rows.sort(key=lambda r: (severity(r["status"]), r["minion"]))
    counts = {status: 0 for status in STATUSES}
    for found in rows:
        counts[found["status"]] += 1
    overall = worst((r["status"] for r in rows), default=OK)
    return {
        "status": overall if rows else NO_ANSWER,
        "retcode": 0 if rows and overall == OK else 1,
        "target": target or {},
        "summary": {"minions": len(rows), **counts},
        "minions": rows,
    }


def summary_line(report):
    """``3 minions: 1 degraded, 1 no answer, 1 ok``: the counts that are not zero,
    worst first."""
    summary = report["summary"]
    total = summary["minions"]
    if not total:
        return "no minion matched the target"
    counts = ", ".join(f"{summary[status]} {status}" for status in STATUSES
                       if summary.get(status))
    return f"{total} minion{'s' if total != 1 else ''}: {counts}"
