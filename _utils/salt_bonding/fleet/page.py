"""The report as one self-contained HTML page: no script, no external asset.

A summary line, the counts per status, then one section per minion, worst
first: its status, its own problems, and a table of its bonds (status, mode,
active slave, each slave with its MII status, problems and drift).

Every value from a minion is escaped (:func:`esc`: characters that are not
printable shown as their escapes, as in the terminal, then HTML-escaped for
text and attribute values alike), and the page forbids itself scripts and
loads from anywhere (``Content-Security-Policy: default-src 'none'``), so a
hostile bond name is text and nothing else.
"""

import html

from .report import STATUSES, summary_line
from .text import safe

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
COLOURS = {  # status -> (badge background, text)
    "down": ("#b3261e", "#fff"),
    "no answer": ("#5f3dc4", "#fff"),
    "unknown": ("#6b7280", "#fff"),
    "degraded": ("#e8590c", "#fff"),
    "drifted": ("#f2c94c", "#222"),
    "ok": ("#2b8a3e", "#fff"),
}
MII_COLOURS = {"up": "#2b8a3e", "down": "#b3261e"}

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0; background: #f4f5f7; color: #1f2328; }
header { background: #1f2328; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 2px 0; color: #d0d7de; }
main { padding: 18px 28px 40px; max-width: 1200px; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 18px; padding: 0; }
.counts li { list-style: none; }
.badge { display: inline-block; border-radius: 12px; padding: 1px 10px; font-weight: 600;
         font-size: 13px; white-space: nowrap; }
section.host { background: #fff; border: 1px solid #d0d7de; border-left-width: 8px;
               border-radius: 6px; margin: 0 0 14px; padding: 12px 16px; }
section.host h2 { margin: 0 0 8px; font-size: 18px; display: flex; gap: 10px;
                  align-items: center; }
.name { font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px;
         border-top: 1px solid #eaeef2; overflow-wrap: anywhere; }
td.name { min-width: 5em; max-width: 16em; }
th { font-size: 12px; text-transform: uppercase; color: #57606a; border-top: 0; }
td ul, section.host > ul { margin: 0; padding-left: 18px; }
.slave { display: inline-block; margin: 0 6px 2px 0; padding: 0 6px; border-radius: 4px;
         max-width: 100%; overflow-wrap: anywhere;
         border: 1px solid #d0d7de; font-family: ui-monospace, "DejaVu Sans Mono", monospace;
         font-size: 13px; }
.drift { color: #7d4e00; }
.quiet { color: #57606a; }
"""


def esc(value):
    """``value`` as HTML text or attribute content: never markup."""
    return html.escape(safe("" if value is None else value), quote=True)


def _badge(status):
    background, colour = COLOURS.get(status, ("#6b7280", "#fff"))
    return (f'<span class="badge status" style="background:{background};color:{colour}">'
            f"{esc(status)}</span>")


def _slaves(slaves):
    if not slaves:
        return '<span class="quiet">-</span>'
    chips = []
    for slave in slaves:
        colour = MII_COLOURS.get(slave["mii_status"], "#6b7280")
        chips.append(f'<span class="slave" style="border-color:{colour}">{esc(slave["name"])}'
                     f' <b style="color:{colour}">{esc(slave["mii_status"] or "?")}</b></span>')
    return "".join(chips)


def _problems(bond):
    items = [f"<li>{esc(problem)}</li>" for problem in bond["problems"]]
    items += [f'<li class="drift">drift: {esc(line)}</li>' for line in bond["drift"]]
    return f"<ul>{''.join(items)}</ul>" if items else '<span class="quiet">none</span>'


def _host(index, found):
    status = found["status"]
    border = COLOURS.get(status, ("#6b7280",))[0]
    parts = [f'<section class="host" id="host-{index}" data-minion="{esc(found["minion"])}" '
             f'data-status="{esc(status)}" style="border-left-color:{border}">',
             f'<h2><span class="name minion">{esc(found["minion"])}</span>{_badge(status)}</h2>']
    if found["problems"]:
        parts.append('<ul class="problems">' + "".join(f"<li>{esc(p)}</li>"
                                                        for p in found["problems"]) + "</ul>")
    if found["bonds"]:
        parts.append("<table><thead><tr><th>Bond</th><th>Status</th><th>Mode</th>"
                     "<th>Active slave</th><th>Slaves</th><th>Problems</th></tr></thead><tbody>")
        for bond in found["bonds"]:
            parts.append(
                f'<tr class="bond" data-status="{esc(bond["status"])}">'
                f'<td class="name">{esc(bond["bond"])}</td><td>{_badge(bond["status"])}</td>'
                f'<td>{esc(bond["mode"] or "-")}</td><td class="name">'
                f'{esc(bond["active_slave"] or "-")}</td><td>{_slaves(bond["slaves"])}</td>'
                f"<td>{_problems(bond)}</td></tr>")
        parts.append("</tbody></table>")
    elif status not in ("no answer", "unknown"):
        parts.append('<p class="quiet">no bonds</p>')
    parts.append("</section>")
    return "\n".join(parts)


def render(report, generated):
    """The whole page for ``report`` (``report.build``'s), ``generated`` the time to show."""
    line = summary_line(report)
    target = report.get("target") or {}
    counts = "".join(f"<li>{_badge(status)} {report['summary'][status]}</li>"
                     for status in STATUSES if report["summary"].get(status))
    hosts = "\n".join(_host(index, found) for index, found in enumerate(report["minions"], 1))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bonds: {esc(line)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Bonds across the fleet</h1>
<p id="summary">{esc(line)}</p>
<p>target {esc(target.get("tgt", ""))} ({esc(target.get("tgt_type", ""))}), \
generated {esc(generated)} by salt-run bond.report</p>
</header>
<main>
<ul class="counts">{counts}</ul>
{hosts}
</main>
</body>
</html>
"""
