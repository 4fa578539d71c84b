"""Every guided notebook runs top to bottom on the bundled sample, with default parameters and
with an injected principal and time window; the tests read what the notebooks displayed."""

from __future__ import annotations

import json
import re

import pytest
from conftest import SAMPLE_DATA
from notebook_runs import code_cells, figure, html, outputs_of, run_notebook, totals

from iamlab.denials.grammar import CAUSES
from iamlab.escape import html_text
from iamlab.notebook import NAMES, NOTEBOOKS
from iamlab.workspace import Workspace

pytest.importorskip("papermill")

LABELS = json.loads((SAMPLE_DATA / "labels.json").read_text("utf-8"))
TOM = "arn:aws:iam::264830159726:user/people/tom.reyes"
WINDOW = {"since": "2026-03-10T00:00:00Z", "until": "2026-03-11T00:00:00Z"}
INJECTED = {"principal": TOM, **WINDOW}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample loaded once; notebooks open it read-only."""
    path = tmp_path_factory.mktemp("nb") / "workspace"
    with Workspace(path) as ws:
        ws.load(*(SAMPLE_DATA / n for n in ("cloudtrail", "lookup-events", "lake")),
                progress=False)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def run(sample, tmp_path_factory):
    """run(name, injected=False, **more) -> the executed notebook, each run once per module."""
    done: dict = {}

    def run(name: str, injected: bool = False, **more):
        key = (name, injected, json.dumps(more, sort_keys=True))
        if key not in done:
            params = {"workspace": str(sample), **(INJECTED if injected else {}), **more}
            folder = tmp_path_factory.mktemp(name)
            done[key] = (run_notebook(name, folder, params), folder)
        return done[key][0]

    run.folder = lambda name, injected=False, **more: done[
        (name, injected, json.dumps(more, sort_keys=True))
    ][1]
    return run


def denial_count(sample, **scope) -> int:
    with Workspace(sample, read_only=True) as ws:
        return len(ws.denials(**scope))


# --- the notebooks as files ---------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_is_committed_without_outputs_and_opens_with_purpose_parameters_setup(name):
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text("utf-8"))
    cells = nb["cells"]
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in cells if c["cell_type"] == "code")  # fmt: skip
    purpose = "".join(cells[0]["source"]).split("\n\n", 1)[1]
    assert cells[0]["cell_type"] == "markdown" and len(purpose.strip().splitlines()) == 2
    params = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1
    for name_ in ("workspace", "snapshot", "principal", "since", "until"):
        assert re.search(rf"^{name_} = ", "".join(params[0]["source"]), re.M)
    setup = [c for c in code_cells(nb) if "nb.setup(" in "".join(c["source"])]
    assert len(setup) == 1 and nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_every_cell_after_the_parameters_is_one_library_call(name):
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text("utf-8"))
    calls = [c for c in code_cells(nb) if "parameters" not in c["metadata"].get("tags", [])]
    for cell in calls[1:]:  # after the setup cell
        lines = [line for line in "".join(cell["source"]).splitlines() if line.strip()]
        assert len(lines) == 1 and re.match(r"^(nb|inv)\.[\w.]+[(\[]", lines[0]), lines


# --- 00: start here -----------------------------------------------------------------------------


def test_start_here_charts_every_denial_by_cause(run, sample):
    nb = run("00-start-here")
    fig = figure(nb, 'inv.figures["over time"]')
    sums = totals(fig)
    assert set(sums) <= set(CAUSES) and "org-policy" in sums and "missing-action" in sums
    assert sum(sums.values()) == denial_count(sample) == 61
    loaded = html(nb, "nb.loaded(ws)")
    assert "15134" in loaded and "<td>61</td>" in loaded
    # plotly.js written once, inline, by the setup cell (no CDN script)
    setup = "".join(
        html(nb, s)
        for s in [
            "import iamlab.notebook as nb\n\nws, inv = "
            "nb.setup(workspace, snapshot, principal, since, until)"
        ]
    )
    assert setup.count("plotly.js v") == 1
    assert not re.search(r"<script[^>]*\bsrc=[\"']?https?:", json.dumps(nb))


def test_start_here_with_a_principal_and_window_charts_only_those_denials(run, sample):
    nb = run("00-start-here", injected=True)
    sums = totals(figure(nb, 'inv.figures["over time"]'))
    expected = denial_count(sample, principal=TOM, **WINDOW)
    assert 0 < sum(sums.values()) == expected < 61
    # Tom on 10 March: invoice-render's config, CreateUser, and the prod-deployer trust policy
    assert set(sums) == {"missing-action", "explicit-deny", "session-or-trust"}


# --- 01: who am I -------------------------------------------------------------------------------


def test_who_am_i_without_credentials_reads_the_evidence_instead(run):
    nb = run("01-who-am-i")
    ident = html(nb, "nb.identity()")
    assert "none" in ident and "no AWS credentials found" in ident
    assert "tom.reyes" in html(nb, "nb.principals(inv)")
    keys = html(nb, "nb.access_keys(inv)")
    assert "long-term (user)" in keys and "temporary (STS)" in keys
    assert re.findall(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", json.dumps(nb)) == []  # shortened
    assert "AWSReservedSSO_DataEngineer" in html(nb, "nb.sessions(inv)")


def test_who_am_i_for_one_principal_lists_only_its_keys(run):
    nb = run("01-who-am-i", injected=True)
    keys = html(nb, "nb.access_keys(inv)")
    assert "tom.reyes" in keys and "dana.kim" not in keys


# --- 02: find the denial ------------------------------------------------------------------------


def test_find_the_denial_lists_every_denial_and_shows_hostile_text_literally(run, sample):
    nb = run("02-find-the-denial")
    table = html(nb, "nb.denial_table(inv)")
    assert "<p>61 denials in scope.</p>" in table
    with Workspace(sample, read_only=True) as ws:
        hostile = ws.sql("SELECT error_message, user_agent FROM events "
                         "WHERE list_contains($ids, event_id)",
                         {"ids": LABELS["hostile_event_ids"]})  # fmt: skip
    shown = [html_text(v) for v in hostile.stack() if v and html_text(v) in table]
    assert shown and any("&lt;" in s for s in shown)
    assert table.count("<script>alert") == table.count("<img src=x") == 0
    assert sum(totals(figure(nb, 'inv.figures["by principal"]')).values()) > 0


def test_find_the_denial_shows_where_the_evidence_is_dark_as_a_table_and_a_heatmap(run, sample):
    nb = run("02-find-the-denial")
    outputs = outputs_of(nb, "nb.evidence_coverage(inv)")
    table = "".join(outputs[0]["data"]["text/html"])  # the table first, then the heatmap
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", table)
    assert ("account without evidence", "583016249871", "") in rows
    assert {a for kind, a, r in rows if kind == "dark Region" and r == "eu-north-1"} == {
        "264830159726", "480152067923", "731926485017"
    }  # fmt: skip
    (heatmap,) = figure(nb, "nb.evidence_coverage(inv)")["data"]
    assert heatmap["type"] == "heatmap" and "583016249871" in heatmap["y"]
    assert heatmap["z"][heatmap["y"].index("583016249871")] == [0, 0, 0, 0]
    with Workspace(sample, read_only=True) as ws:
        events = ws.sql("SELECT count(*) FROM events "
                        "WHERE coalesce(recipient_account_id, account_id) IS NOT NULL")  # fmt: skip
    assert sum(sum(row) for row in heatmap["z"]) == events.iloc[0, 0]


def test_find_the_denial_for_one_principal_draws_its_timeline(run, sample):
    nb = run("02-find-the-denial", injected=True)
    table = html(nb, "nb.denial_table(inv)")
    expected = denial_count(sample, principal=TOM, **WINDOW)
    assert f"<p>{expected} denials in scope.</p>" in table and "dana.kim" not in table
    names = {t.get("name") for t in figure(nb, 'inv.figures["timeline"]')["data"]}
    assert {"missing-action", "explicit-deny"} <= names
    (heatmap,) = figure(nb, "nb.evidence_coverage(inv)")["data"]
    assert heatmap["x"] == ["2026-03-10"]  # coverage of the parameters' window
    assert "Window 2026-03-10 00:00 to 2026-03-11 00:00 UTC" in html(
        nb, "nb.evidence_coverage(inv)"
    )


# --- 03: root causes ----------------------------------------------------------------------------


def test_root_causes_has_one_section_per_cause_each_showing_its_denials(run, sample):
    nb = run("03-root-causes")
    with Workspace(sample, read_only=True) as ws:
        reported = set(ws.denials()["cause"])
    assert "resource-arn" not in reported  # only a replay finds it: the section says none
    assert "No <code>resource-arn</code>" in html(nb, 'nb.what_to_fix(inv, "resource-arn")')
    for cause in sorted(reported):
        shown = html(nb, f'nb.what_to_fix(inv, "{cause}")')
        assert f"<code>{cause}</code> denials in scope" in shown
        assert f'class="cause cause-{cause}"' in shown  # a panel for a denial of that cause
        assert "iamlab diagnose" in shown or "Fix (" in shown  # what to fix, or how to get it


def test_root_causes_for_one_principal_says_which_causes_it_never_hit(run):
    nb = run("03-root-causes", injected=True)
    assert "No <code>vpc-endpoint</code> denials in scope." in html(
        nb, 'nb.what_to_fix(inv, "vpc-endpoint")'
    )
    assert "lambda:UpdateFunctionConfiguration" in html(nb, 'nb.what_to_fix(inv, "missing-action")')


# --- 04: post-incident review -------------------------------------------------------------------


def test_post_incident_review_ends_with_a_report_of_its_window(run, sample):
    nb = run("04-post-incident-review", injected=True)
    folder = run.folder("04-post-incident-review", injected=True)
    report = folder / "post-incident-review.html"
    assert "post-incident-review.html" in html(
        nb, 'nb.export_report(inv, "post-incident-review.html")'
    )
    text = report.read_text("utf-8")
    assert [text.count(s) > 0 for s in ("plotly.js v", "tom.reyes", "2026-03-10 00:00")] == [
        True,
        True,
        True,
    ]
    kpis = figure(nb, 'inv.figures["kpis"]')
    assert kpis["data"][0]["value"] == denial_count(sample, principal=TOM, **WINDOW)


def test_post_incident_review_with_defaults_lists_fixes_by_cause(run):
    nb = run("04-post-incident-review")
    fixes = html(nb, "nb.fixes(inv)")
    assert all(f"<h3>{cause}</h3>" in fixes for cause in ("missing-action", "org-policy"))
    assert (run.folder("04-post-incident-review") / "post-incident-review.html").is_file()


# --- 05: the training lab -----------------------------------------------------------------------


def _checked(nb: dict, qid: str) -> bool | None:
    shown = html(nb, f'nb.check("{qid}", answers.get("{qid}"))')
    if "not answered yet" in shown:
        return None
    return 'data-correct="true"' in shown


def test_the_lab_shows_questions_but_not_their_answers(run):
    nb = run("05-training-lab")
    text = json.dumps(nb)
    assert all(_checked(nb, f"q{i}") is None for i in range(1, 7))
    scenario = next(s for s in LABELS["scenarios"] if s["id"] == "org-policy-scp-region")
    assert text.count(scenario["decisive"]["policy_name"]) == 0
    assert "labels.json" not in "".join("".join(c["source"]) for c in nb["cells"])
    assert "Which root cause" in html(nb, "nb.questions()")


def test_the_lab_checks_injected_answers_against_the_labels(run):
    by_id = {s["id"]: s for s in LABELS["scenarios"]}
    answers = {
        "q1": by_id["missing-action-lambda-config"]["cause"],
        "q2": "missing-action",  # wrong: the replay tells it is resource-arn
        "q3": by_id["org-policy-scp-region"]["decisive"]["policy_name"].upper(),
        "q5": by_id["undetailed-s3-partner"]["diagnosed_cause"],
    }
    nb = run("05-training-lab", answers=answers)
    assert [_checked(nb, f"q{i}") for i in range(1, 7)] == [True, False, True, None, True, None]
    assert "hint:" in html(nb, 'nb.check("q2", answers.get("q2"))')
    assert "hint:" not in html(nb, 'nb.check("q1", answers.get("q1"))')


def test_the_lab_notebook_with_a_window_still_checks(run):
    nb = run("05-training-lab", injected=True, answers={"q4": "permissions-boundary"})
    assert _checked(nb, "q4") is True


def test_outputs_of_helper_finds_one_cell():
    with pytest.raises(AssertionError):
        outputs_of({"cells": []}, "nb.loaded(ws)")
