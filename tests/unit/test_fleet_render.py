"""What the operator sees of a report and a rollout (salt_bonding.fleet.text, .page): the
table in a terminal and the HTML page, with hostile text from a minion shown as text."""

from html.parser import HTMLParser

import pytest
from salt_bonding.fleet import page, report, rollout, text

pytestmark = pytest.mark.unit

HOSTILE = '<img src=x onerror="document.title=1">\x1b]0;owned\x07\u202eevil\n'
WHY = "no return within the timeout (5 s, gather_job_timeout 10 s)"


def both(bonds, verify=None):
    worst = min((b["status"] for b in bonds.values()), key=report.STATUSES.index, default="ok")
    return {"ret": {"bond.health": {"status": worst, "bonds": bonds},
                    "bond.verify": verify or {"drifted": False, "bonds": {}, "host": [],
                                              "unknown": []}}}


def bond(status="ok", problems=(), slaves=None, mode="active-backup", active="va"):
    return {"status": status, "problems": list(problems), "mode": mode, "active_slave": active,
            "slaves": slaves if slaves is not None else {"va": "up", "vb": "up"}}


@pytest.fixture
def fleet():
    returns = {
        "web1": both({"bond0": bond()}),
        "app1": both({"bond0": bond("degraded", ["slave va is down (link failures: 1)"],
                                    {"va": "down", "vb": "up"}, active="vb"),
                      "bond1": bond()}),
        "evil": both({HOSTILE: bond("degraded", [HOSTILE], {HOSTILE: "up"}, mode=HOSTILE)},
                     {"drifted": True, "bonds": {}, "host": ["<script>x</script>"],
                      "unknown": []}),
    }
    return report.build(["web1", "app1", "evil", "mail1"], returns, WHY,
                        {"tgt": "*", "tgt_type": "glob"})


def cells(line, header, labels):
    """A table line cut where the header's columns start."""
    starts, at = [], 0
    for label in labels:
        at = header.index(label, at)
        starts.append(at)
        at += len(label)
    ends = [*starts[1:], None]
    return [line[start:end].strip() for start, end in zip(starts, ends, strict=True)]


def test_the_table_lists_each_minion_worst_first_with_the_bonds_that_are_not_ok(fleet):
    shown = text.report(fleet).splitlines()
    assert shown[0] == "4 minions: 1 no answer, 2 degraded, 1 ok"
    labels = ["MINION", "STATUS", "BOND", "BOND STATUS", "PROBLEMS"]
    assert cells(shown[2], shown[2], labels) == labels
    rows = [cells(line, shown[2], labels) for line in shown[3:]]
    assert rows == [
        ["mail1", "no answer", "-", "", WHY],
        ["app1", "degraded", "bond0", "degraded", "slave va is down (link failures: 1)"],
        ["", "", "bond1", "ok", ""],  # the bonds that are fine, on one line
        ["evil", "degraded", "-", "", "drift: <script>x</script>"],
        ["", "", text.safe(HOSTILE), "degraded", text.safe(HOSTILE)],
        ["web1", "ok", "bond0", "ok", ""],
    ]


def test_the_table_escapes_control_characters_so_a_minion_cannot_drive_the_terminal(fleet):
    shown = text.report(fleet)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\x1b]0;owned\\x07\\u202eevil\\x0a" in shown
    assert len(shown.splitlines()) == len(text.report_lines(fleet)) + 3  # no forged rows


def test_safe_escapes_what_is_not_printable_and_keeps_the_rest():
    assert text.safe("bond0") == "bond0"
    assert text.safe("a\tb\r\n\x00\x9b\u200b\U000e0041é") == (
        "a\\x09b\\x0d\\x0a\\x00\\x9b\\u200b\\U000e0041é")
    assert text.safe(7) == "7"


def test_the_rollout_text_says_where_it_stopped_and_what_never_started():
    result = rollout.Result(waves=[rollout.Wave(["a"], True, rollout.APPLIED, "1"),
                                   rollout.Wave(["b", "c"], False, rollout.FAILED, "2"),
                                   rollout.Wave(["d"])],
                            applied={"a": {"files": 3, "live": 1}, "c": {"files": 1, "live": 0}},
                            failed={"b": "did not return within 60 s"})
    shown = text.rollout(rollout.as_dict(result, {"tgt": "*", "tgt_type": "glob"})).splitlines()
    assert shown[0] == ("bond.rollout '*' (glob): stopped at wave 2 of 3: 1 failed, 1 never "
                        "started")
    labels = ["WAVE", "RESULT", "MINIONS"]
    assert [cells(line, shown[2], labels) for line in shown[3:]] == [
        ["wave 1 (canary)", "applied", "a (3 files, 1 live operation)"],
        ["wave 2", "failed", "b: did not return within 60 s"],
        ["", "applied", "c (1 file)"],
        ["wave 3", "never started", "d"]]


def test_the_preview_text_counts_per_minion():
    found = rollout.preview_dict({"web1": {"files": 2, "live": 3}, "db1": {"files": 0, "live": 0}},
                                 {"app1": "bond.reconciled bonding: refused"},
                                 {"tgt": "*", "tgt_type": "glob"}, "j")
    shown = text.rollout(found).splitlines()
    assert shown[0] == ("bond.rollout '*' (glob) test=True: 3 minions, 1 would change, 1 would "
                        "fail")
    assert [line.split(None, 1)[0] for line in shown[3:]] == ["app1", "web1", "db1"]
    assert shown[4].endswith("2 files, 3 live operations")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.data = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.data.append(data)


PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p",
             "main", "ul", "li", "span", "section", "table", "thead", "tbody", "tr", "th", "td",
             "b"}


def test_the_page_is_self_contained_and_hostile_text_is_only_text(fleet):
    html = page.render(fleet, "2025-01-01 00:00:00 UTC")
    parsed = Elements()
    parsed.feed(html)
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= PAGE_TAGS, tags - PAGE_TAGS  # no script, img, link, iframe, ...
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    assert "http://" not in html and "https://" not in html
    assert ('content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:"'
            in html)
    shown = "".join(parsed.data)
    assert text.safe(HOSTILE) in shown  # the name, the mode, the slave and the problem
    assert shown.count(text.safe(HOSTILE)) == 4
    assert "<script>x</script>" in shown  # the host drift line, as text


def test_the_page_shows_the_worst_host_first_and_each_bond_with_its_slaves(fleet):
    parsed = Elements()
    parsed.feed(page.render(fleet, "now"))
    hosts = [(a["data-minion"], a["data-status"]) for tag, a in parsed.tags
             if tag == "section"]
    assert hosts == [("mail1", "no answer"), ("app1", "degraded"),
                     ("evil", "degraded"), ("web1", "ok")]
    html = page.render(fleet, "now")
    app1 = html[html.index('data-minion="app1"'):html.index('data-minion="evil"')]
    assert app1.index(">bond0<") < app1.index(">bond1<")
    assert "va <b style=\"color:#b3261e\">down</b>" in app1
    assert "slave va is down (link failures: 1)" in app1
    assert "<title>Bonds: 4 minions: 1 no answer, 2 degraded, 1 ok</title>" in html
