"""The HTML report: self-contained, rendered offline in Chromium, hostile text inert, masking."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser import launch, need_chromium
from conftest import SAMPLE_DATA

from iamlab.cli import main
from iamlab.escape import html_text
from iamlab.face.detail import finding_html
from iamlab.face.mask import Masker
from iamlab.workspace import Workspace

HOSTILE_IDS = json.loads((SAMPLE_DATA / "labels.json").read_text("utf-8"))["hostile_event_ids"]


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("face") / "ws"
    with Workspace(path) as ws:
        ws.load(SAMPLE_DATA / "cloudtrail", SAMPLE_DATA / "lookup-events", SAMPLE_DATA / "lake",
                progress=False)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def report(sample_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    status = main(["report", "--workspace", str(sample_ws), "--snapshot",
                   str(SAMPLE_DATA / "snapshot"), "--out", str(out)])  # fmt: skip
    assert status == 0
    return out


@pytest.fixture(scope="module")
def masked(sample_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "masked.html"
    assert main(["report", "--workspace", str(sample_ws), "--out", str(out), "--mask"]) == 0
    return out


@pytest.fixture(scope="module")
def browser():
    sync_api = need_chromium()
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def open_offline(browser, path: Path, screenshot: Path | None = None):
    """Open ``path`` with every non-file request aborted; return (page, facts)."""
    page = browser.new_page(viewport={"width": 1300, "height": 1800})
    facts = {"requests": [], "dialogs": [], "errors": []}
    page.add_init_script("window.__ran = []; window.alert = (m) => window.__ran.push(String(m));")
    page.on("dialog", lambda d: (facts["dialogs"].append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: facts["errors"].append(str(e)))
    # a Content-Security-Policy refusal shows as a console error
    page.on("console", lambda m: facts["errors"].append(m.text) if m.type == "error" else None)

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            facts["requests"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    if screenshot:
        page.screenshot(path=str(screenshot))
    return page, facts


def test_the_report_is_one_file_with_plotly_embedded_and_no_remote_script(report):
    html = report.read_text("utf-8")
    assert "plotly.js v" in html  # the bundle itself, not a CDN tag
    assert not re.search(r"<script[^>]+src=", html)
    assert "Content-Security-Policy" in html and "connect-src 'none'" in html


def test_the_report_opens_offline_in_chromium_and_draws_its_charts(browser, report):
    page, facts = open_offline(browser, report, report.parent / "report.png")
    assert page.locator(".js-plotly-plot").count() >= 2
    assert page.locator(".js-plotly-plot g.trace.bars path").count() > 10  # bars as SVG paths
    legend = page.locator(".js-plotly-plot").first.locator(".legendtext").all_text_contents()
    assert "org-policy" in legend and "missing-action" in legend
    assert facts["requests"] == [] and facts["errors"] == []
    assert (report.parent / "report.png").stat().st_size > 10_000
    page.close()


def test_the_coverage_section_lists_the_dark_account_and_region_and_draws_the_heatmap(
    browser, report
):
    html = report.read_text("utf-8")
    section = html[html.index("<h2>Is the evidence complete?</h2>") : html.index("<h2>Findings")]
    table = section[section.index('<table class="coverage">') : section.index("</table>")]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", table)
    assert rows == [
        ("account without evidence", "583016249871", ""),
        ("dark Region", "264830159726", "eu-north-1"),
        ("dark Region", "480152067923", "eu-north-1"),
        ("dark Region", "731926485017", "eu-north-1"),
    ]
    assert "5 accounts: 4 gaps." in section and "organization's accounts are unknown" not in section
    assert "plotly.js v" not in section  # the figure uses the bundle inlined above it
    assert not re.search(r"<script[^>]+src=", section)
    assert html_text("FROM events WHERE event_time >= $since") in html  # queries: provenance
    page, facts = open_offline(browser, report)
    heatmap = page.locator(".js-plotly-plot").nth(2)  # after the cause and principal charts
    heatmap.locator("g.hm image").wait_for(timeout=30_000)
    labels = heatmap.locator("g.ytick").all_text_contents()
    assert "583016249871" in labels and len(labels) == 5
    assert facts["requests"] == [] and facts["errors"] == []
    page.close()


def test_without_a_snapshot_the_coverage_section_says_the_organizations_accounts_are_unknown(
    masked, sample_ws, tmp_path
):
    out = tmp_path / "plain.html"
    assert main(["report", "--workspace", str(sample_ws), "--out", str(out)]) == 0
    html = out.read_text("utf-8")
    section = html[html.index("<h2>Is the evidence complete?</h2>") : html.index("<h2>Findings")]
    assert "Without a snapshot the organization's accounts are unknown" in section
    assert "583016249871" not in section and section.count("eu-north-1") == 3
    hidden = masked.read_text("utf-8")
    section = hidden[hidden.index("<h2>Is the evidence complete?</h2>") :]
    section = section[: section.index("<h2>Findings")]
    pseudonyms = re.findall(r"<td>(acct-[0-9a-f]{8})</td><td>eu-north-1</td>", section)
    assert len(set(pseudonyms)) == 3 and "264830159726" not in section
    rest = hidden.replace(section, "")
    assert all(p in rest for p in pseudonyms)  # one key: the same pseudonyms as the findings


def test_a_workspace_without_events_is_not_called_complete(workspace):
    from iamlab.face.report import coverage_html, evidence

    cov, matrix = evidence(workspace)
    html = coverage_html(cov, snapshot=False)
    assert matrix.empty and "no gap found" not in html
    assert html.startswith("<p>No CloudTrail event in this window: the evidence covers nothing.")
    assert "organization's accounts are unknown" in html


def test_hostile_event_text_shows_literally_and_runs_nothing(browser, report, sample_ws):
    with Workspace(sample_ws, read_only=True) as ws:
        messages = ws.sql("SELECT error_message FROM denials WHERE list_contains($ids, event_id)",
                          {"ids": HOSTILE_IDS})["error_message"].tolist()  # fmt: skip
    html = report.read_text("utf-8")
    shown = [m for m in messages if html_text(m) in html]
    assert shown, "no hostile denial made it into the report"
    assert "<img src=x" not in html and "<script>alert" not in html
    page, facts = open_offline(browser, report)
    text = page.inner_text("body")
    assert any(m.replace("\n", "\\n") in text for m in shown)  # shown as text, newline visible
    assert page.evaluate("window.__ran") == [] and facts["dialogs"] == []
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 5  # plotly.js and one per figure, no more
    page.close()


def test_the_report_names_its_evidence_with_hashes_and_its_queries(report, sample_ws):
    html = report.read_text("utf-8")
    with Workspace(sample_ws, read_only=True) as ws:
        some = ws.sql("SELECT source FROM events LIMIT 1").iloc[0, 0]
        first = ws.sql("SELECT min(event_time) FROM denials").iloc[0, 0]
    assert f"the denials run from {first:%Y-%m-%d %H:%M}" in html
    import hashlib

    assert hashlib.sha256(Path(some).read_bytes()).hexdigest() in html
    assert "taken 2026-03-12T18:00:00Z" in html
    assert "FROM denials d JOIN events e" in html
    assert "plotly " in html and "duckdb " in html


def test_masking_leaves_no_account_ip_or_key_id_of_the_sample(masked, sample_ws, browser):
    with Workspace(sample_ws, read_only=True) as ws:
        accounts = set(ws.sql("SELECT DISTINCT account_id AS v FROM events "
                              "UNION SELECT DISTINCT recipient_account_id FROM events")["v"]
                       .dropna())  # fmt: skip
        ips = set(
            ws.sql(
                "SELECT DISTINCT source_ip AS v FROM events WHERE "
                "regexp_full_match(source_ip, '[0-9.]+|[0-9a-fA-F:]+')"
            )["v"]
        )
        keys = set(ws.sql("SELECT DISTINCT access_key_id AS v FROM events")["v"].dropna())
        names = set(ws.sql("SELECT DISTINCT user_name AS v FROM events WHERE length(user_name) > 5")
                    ["v"].dropna())  # fmt: skip
    assert len(accounts) >= 4 and ips and len(keys) > 10
    html = masked.read_text("utf-8")
    leaked = [v for v in accounts | ips | keys if v and v in html]
    assert leaked == []
    assert [n for n in names if f"/{n}" in html] == []  # names inside ARNs
    assert "acct-" in html and "ip-" in html
    page, facts = open_offline(browser, masked)
    assert page.locator(".js-plotly-plot").count() >= 2 and facts["requests"] == []
    page.close()


def test_pseudonyms_are_consistent_within_a_key_and_differ_across_keys():
    text = "arn:aws:iam::111122223333:user/alice from 203.0.113.9 and 111122223333"
    one, same, other = Masker(b"k1"), Masker(b"k1"), Masker(b"k2")
    masked = one.text(text)
    assert masked == same.text(text) != other.text(text)
    account = one.pseudonym("acct", "111122223333")
    assert masked.count(account) == 2
    assert "alice" not in masked and "203.0.113.9" not in masked
    assert one.text("bucket alice-data, user alice").count("alice") == 1  # learned from the ARN
    assert one.text("at 10:12:03, policy arn:aws:iam::aws:policy/ReadOnlyAccess") == (
        "at 10:12:03, policy arn:aws:iam::aws:policy/ReadOnlyAccess"
    )


def test_a_finding_panel_quotes_the_deciding_statement_and_the_proven_fix():
    row = {
        "event_id": "e1",
        "event_time": None,
        "action": "s3:GetObject",
        "cause": "undetailed",
        "error_code": "AccessDenied",
        "error_message": "Access Denied <b>x</b>",
    }
    diagnosis = {
        "verdict": "differs", "cause": "resource-arn", "layer": "identity",
        "deciding": json.dumps({"policy": "arn:aws:iam::1:policy/P", "sid": "ReadReports"}),
        "missing_keys": "[]",
        "fix": json.dumps({"summary": "add arn:aws:s3:::b/* to ReadReports", "verified": True,
                           "before": {"Resource": "arn:aws:s3:::a/*"},
                           "after": {"Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]},
                           "new_access": [{"principal": "p", "action": "s3:GetObject",
                                           "resource": "arn:aws:s3:::b/<i>"}]}),
    }  # fmt: skip
    html = finding_html(row, diagnosis, {"Sid": "ReadReports", "Effect": "Allow"})
    assert "proven" in html and "ReadReports" in html and "&quot;Effect&quot;: &quot;Allow" in html
    assert "arn:aws:s3:::b/&lt;i&gt;" in html and "<b>x</b>" not in html
    assert "Not diagnosed" in finding_html(row) and "Not diagnosed" not in html


def test_report_errors_name_the_bad_value(sample_ws, tmp_path, capsys):
    assert main(["report", "--workspace", str(sample_ws), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    out = tmp_path / "r.html"
    assert main(["report", "--workspace", str(sample_ws), "--out", str(out),
                 "--since", "yesterday"]) == 2  # fmt: skip
    assert "since='yesterday'" in capsys.readouterr().err and not out.exists()


def test_a_diagnosed_workspace_reports_deciding_statements_and_proven_fixes(tmp_path):
    """Runs where iamlab.diagnose is merged (Workspace.diagnose): the real replay, no stand-in."""
    from iamlab.face import charts, query

    if not hasattr(Workspace, "diagnose"):
        pytest.skip("Workspace.diagnose is not in this tree yet (branch diagnose)")
    with Workspace(tmp_path / "ws") as ws:
        ws.load(SAMPLE_DATA / "cloudtrail", progress=False)
        ws.diagnose(SAMPLE_DATA / "snapshot")
        frame = query.denial_events(ws)
        diagnoses = query.diagnoses(ws, list(frame["event_id"]))
        verified = ws.sql("SELECT count(*) FROM diagnoses WHERE fix->>'verified' = 'true'")
    assert len(diagnoses) == len(frame)
    assert charts.kpis(frame, diagnoses)["fixes verified"] == verified.iloc[0, 0]
    fig = charts.reported_vs_diagnosed(diagnoses)
    expected = ((diagnoses["reported_cause"] == "missing-action")
                & (diagnoses["cause"] == "resource-arn")).sum()  # fmt: skip
    bars = {t.name: dict(zip(t.x, t.y, strict=True)) for t in fig.data}
    assert bars.get("resource-arn", {}).get("missing-action", 0) == expected > 0
    out = tmp_path / "diagnosed.html"
    assert main(["report", "--workspace", str(tmp_path / "ws"), "--snapshot",
                 str(SAMPLE_DATA / "snapshot"), "--out", str(out)]) == 0  # fmt: skip
    html = out.read_text("utf-8")
    assert "Not diagnosed" not in html and "Fix (proven" in html
    assert '<blockquote class="statement">' in html and "DenyIdentityChanges" in html
