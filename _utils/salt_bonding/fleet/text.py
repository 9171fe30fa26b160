"""What a terminal shows of a report or a rollout: plain text, aligned columns.

Every value from a minion goes through :func:`safe` first: a control character
(an ANSI escape that would recolour or clear the operator's terminal, a carriage
return that would overwrite a line, a newline that would forge a row) or an
invisible formatting character (a bidirectional override) is shown as its
escape (``\\x1b``, ``\\u202e``), never sent to the terminal.
"""

from .report import OK, summary_line
from .rollout import APPLIED, FAILED, NOT_STARTED


def safe(value):
    """``value`` as text with every character that is not printable escaped."""
    value = value if isinstance(value, str) else str(value)
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in value)


def _escape(ch):
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def table(header, rows):
    """Rows of cells as aligned columns (the last column is not padded)."""
    rows = [[safe(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return "\n".join(lines)


def report_lines(report):
    """Per minion, worst first: one line per bond that is not ok (and one per further
    problem), its ok bonds together on one line, its own problems under ``-``."""
    rows = []
    for found in report["minions"]:
        items = [("-", "", problem) for problem in found["problems"]]
        fine = []
        for bond in found["bonds"]:
            said = bond["problems"] + [f"drift: {line}" for line in bond["drift"]]
            if bond["status"] == OK and not said:
                fine.append(bond["bond"])
                continue
            items += [(bond["bond"] if i == 0 else "", bond["status"] if i == 0 else "", line)
                      for i, line in enumerate(said or [""])]
        if fine:
            items.append((" ".join(fine), OK, ""))
        if not items:
            items.append(("", "", "no bonds"))
        for index, (bond, status, problem) in enumerate(items):
            first = index == 0
            rows.append([found["minion"] if first else "", found["status"] if first else "",
                         bond, status, problem])
    return rows


def report(report_data):
    """The report as a terminal shows it: the summary line, then the table."""
    if report_data.get("error"):
        return safe(report_data["error"])
    lines = [summary_line(report_data)]
    if report_data["minions"]:
        lines += ["", table(["MINION", "STATUS", "BOND", "BOND STATUS", "PROBLEMS"],
                            report_lines(report_data))]
    if report_data.get("html"):
        lines += ["", f"HTML page: {safe(report_data['html'])}"]
    return "\n".join(lines)


def _counts(counts):
    files, live = counts["files"], counts["live"]
    said = [f"{files} file{'s' if files != 1 else ''}"]
    if live:
        said.append(f"{live} live operation{'s' if live != 1 else ''}")
    return ", ".join(said)


def rollout(result):
    """A rollout (or its ``test=True`` preview) as a terminal shows it."""
    if result.get("error"):
        return safe(result["error"])
    target = result["target"]
    head = f"bond.rollout {safe(target['tgt'])!r} ({target['tgt_type']})"
    if result["test"]:
        would, failed = result["preview"], result["failed"]
        changing = sum(1 for counts in would.values() if counts["files"] or counts["live"])
        lines = [f"{head} test=True: {len(would) + len(failed)} minions, {changing} would "
                 f"change, {len(failed)} would fail"]
        rows = [[minion, "would fail", why] for minion, why in failed.items()]
        rows += [[minion, "would change" if counts["files"] or counts["live"] else "no change",
                  _counts(counts)] for minion, counts in would.items()]
        return "\n".join([*lines, "", table(["MINION", "RESULT", "CHANGES"], rows)])
    waves = result["waves"]
    if result["stopped"]:
        failed_at = next(i for i, wave in enumerate(waves, 1) if wave["outcome"] == FAILED)
        status = (f"stopped at wave {failed_at} of {len(waves)}: "
                  f"{len(result['failed'])} failed, {len(result['never_started'])} never "
                  "started")
    else:
        status = f"applied to {len(result['applied'])} minions in {len(waves)} waves"
    rows = []
    for number, wave in enumerate(waves, 1):
        label = f"wave {number}{' (canary)' if wave['canary'] else ''}"
        if wave["outcome"] == NOT_STARTED:
            rows.append([label, NOT_STARTED, ", ".join(wave["minions"])])
            continue
        for index, minion in enumerate(wave["minions"]):
            if minion in result["failed"]:
                rows.append([label if index == 0 else "", FAILED,
                             f"{minion}: {result['failed'][minion]}"])
            else:
                rows.append([label if index == 0 else "", APPLIED,
                             f"{minion} ({_counts(result['applied'][minion])})"])
    return "\n".join([f"{head}: {status}", "", table(["WAVE", "RESULT", "MINIONS"], rows)])
