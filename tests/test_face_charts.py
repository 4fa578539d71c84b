"""Charts read back by their data: traces named by cause, fixed colours, counts, escaping."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from conftest import SAMPLE_DATA, make_record, trail_path, utc, write_trail_file

from iamlab.denials import CAUSES
from iamlab.face import charts, query
from iamlab.face.query import Scope
from iamlab.workspace import Workspace

HOSTILE_UA = "<img src=x onerror=alert(1)>"
HOSTILE_IDS = json.loads((SAMPLE_DATA / "labels.json").read_text("utf-8"))["hostile_event_ids"]


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory):
    """The bundled sample loaded in all three formats."""
    ws = Workspace(tmp_path_factory.mktemp("face") / "ws")
    ws.load(SAMPLE_DATA / "cloudtrail", SAMPLE_DATA / "lookup-events", SAMPLE_DATA / "lake",
            progress=False)  # fmt: skip
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def sample_denials(sample_ws):
    return query.denial_events(sample_ws)


def _denied(when, arn, **fields):
    identity = {"type": "IAMUser", "arn": arn, "accountId": "111122223333",
                "principalId": "AIDAEXAMPLE", "userName": arn.rsplit("/", 1)[-1]}  # fmt: skip
    message = (f"User: {arn} is not authorized to perform: s3:GetObject on resource: "
               "arn:aws:s3:::reports/q1.csv because no identity-based policy allows the "
               "s3:GetObject action")  # fmt: skip
    return make_record(when, userIdentity=identity, errorCode="AccessDenied",
                       errorMessage=message, **fields)  # fmt: skip


@pytest.fixture
def small_ws(tmp_path):
    """Two denials by alice (one with a hostile user agent), a policy change, a failed one."""
    alice = "arn:aws:iam::111122223333:user/alice"
    records = [
        _denied(utc(2026, 3, 2, 10, 0), alice, userAgent=HOSTILE_UA),
        _denied(utc(2026, 3, 2, 11, 0), alice),
        make_record(utc(2026, 3, 2, 10, 30), eventSource="iam.amazonaws.com",
                    eventName="PutRolePolicy", userAgent="<b>bold</b>",
                    requestParameters={"roleName": "dev", "policyName": "<script>x</script>"}),
        make_record(utc(2026, 3, 2, 10, 40), eventSource="iam.amazonaws.com",
                    eventName="AttachRolePolicy", errorCode="AccessDenied",
                    errorMessage="not authorized"),
    ]  # fmt: skip
    root = tmp_path / "logs"
    write_trail_file(trail_path(root, "111122223333", "us-east-1", utc(2026, 3, 2, 12)), records)
    ws = Workspace(tmp_path / "ws")
    ws.load(root, progress=False)
    yield ws
    ws.close()


def _strings(value):
    """Every string inside a figure's dict."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) == 1:
        for v in list(value):
            yield from _strings(v)


def test_every_cause_has_its_own_colour():
    assert list(charts.COLORS) == list(CAUSES)
    colours = [*charts.COLORS.values(), *charts.OUTCOME_COLORS.values()]
    assert len(set(colours)) == len(colours)


def test_denials_over_time_has_one_trace_per_cause_with_the_summary_counts(
    sample_ws, sample_denials
):
    fig = charts.denials_over_time(sample_denials)
    expected = sample_ws.denial_summary(by="cause").set_index("cause")["denials"].to_dict()
    assert charts.trace_totals(fig) == {c: float(n) for c, n in expected.items()}
    for trace in fig.data:
        assert trace.marker.color == charts.COLORS[trace.name]
    assert fig.layout.barmode == "stack"
    assert fig.layout.xaxis.rangeslider.visible is True
    assert "per hour" in fig.layout.title.text


def test_denials_over_time_bins_by_day_for_a_month_and_by_hour_for_a_week():
    start = utc(2026, 3, 1)
    assert charts.choose_bin(start, start + timedelta(days=7)) == "h"
    assert charts.choose_bin(start, start + timedelta(days=30)) == "D"
    frame = pd.DataFrame({
        "event_time": pd.to_datetime(["2026-03-01T10:00Z", "2026-03-20T09:00Z"]),
        "cause": ["org-policy", "org-policy"], "who": ["a", "b"],
    })  # fmt: skip
    fig = charts.denials_over_time(frame)
    assert "per day" in fig.layout.title.text
    assert [str(x)[:10] for x in fig.data[0].x] == ["2026-03-01", "2026-03-20"]


def test_policy_changes_in_the_evidence_are_marked_on_the_chart(small_ws):
    changes = query.policy_changes(small_ws)
    assert list(changes["event_name"]) == ["PutRolePolicy"]  # the failed attach is no change
    fig = charts.denials_over_time(query.denial_events(small_ws), changes)
    assert charts.trace_totals(fig)["policy-change"] == 1
    assert len(fig.layout.shapes) == 1
    hover = [t for t in fig.data if t.name == "policy-change"][0].hovertext[0]
    assert "&lt;script&gt;x&lt;/script&gt;" in hover and "<script>" not in hover


def test_a_hostile_user_agent_is_escaped_in_the_figure_json(small_ws):
    alice = "arn:aws:iam::111122223333:user/alice"
    fig = charts.principal_timeline(query.principal_calls(small_ws, alice), alice)
    text = fig.to_json()
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<img" not in text and "\\u003cimg" not in text
    assert not any("<img" in s for s in _strings(fig.to_dict()))


def test_the_samples_hostile_events_show_escaped_in_every_chart(sample_ws):
    hostile = sample_ws.sql("SELECT principal_arn FROM events WHERE event_id = $id",
                            {"id": HOSTILE_IDS[0]}).iloc[0, 0]  # fmt: skip
    frame = query.denial_events(sample_ws)
    figures = [
        charts.denials_over_time(frame),
        charts.denials_by_principal(frame, top=50),
        charts.principal_action_heatmap(frame, 50, 50),
        charts.principal_timeline(query.principal_calls(sample_ws, hostile), hostile),
    ]
    strings = [s for fig in figures for s in _strings(fig.to_dict())]
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in s for s in strings)
    for s in strings:
        assert "<script" not in s and "<img" not in s and "<td" not in s


def test_denials_by_principal_keeps_the_top_n_split_by_cause(sample_denials):
    fig = charts.denials_by_principal(sample_denials, top=3)
    labels = {y for trace in fig.data for y in trace.y}
    assert len(labels) == 3
    top3 = sample_denials.groupby("who").size().sort_values(ascending=False).head(3)
    assert sum(charts.trace_totals(fig).values()) == top3.sum()
    assert set(charts.trace_totals(fig)) <= set(CAUSES)


def test_heatmap_counts_every_denial_when_the_limits_cover_them(sample_denials):
    fig = charts.principal_action_heatmap(sample_denials, 100, 100)
    assert charts.trace_totals(fig) == {"denials": float(len(sample_denials))}
    assert len(fig.data[0].y) == sample_denials["who"].nunique()


def test_principal_timeline_marks_the_principals_denials_by_cause(sample_ws):
    who = "arn:aws:iam::264830159726:user/people/tom.reyes"
    calls = query.principal_calls(sample_ws, who)
    fig = charts.principal_timeline(calls, who)
    totals = charts.trace_totals(fig)
    own = query.denial_events(sample_ws, Scope.of(principal=who))
    assert totals.pop("not denied") == len(calls) - len(own)
    assert totals == {c: float(n) for c, n in own.groupby("cause").size().items()}


def test_reported_versus_diagnosed_counts_what_undetailed_turned_out_to_be():
    diagnoses = pd.DataFrame({
        "reported_cause": ["undetailed", "undetailed", "missing-action", "undetailed"],
        "cause": ["resource-arn", "resource-policy", "resource-arn", None],
        "verdict": ["differs", "differs", "differs", "allowed-now"],
    })  # fmt: skip
    fig = charts.reported_vs_diagnosed(diagnoses)
    bars = {t.name: dict(zip(t.x, t.y, strict=True)) for t in fig.data}
    assert bars["resource-arn"] == {"missing-action": 1, "undetailed": 1}
    assert bars["resource-policy"]["undetailed"] == 1
    assert bars["allowed-now"]["undetailed"] == 1


def test_kpis_count_denials_principals_causes_and_verified_fixes(sample_ws, sample_denials):
    expected = sample_ws.sql("SELECT count(*) AS n, count(DISTINCT cause) AS c FROM denials").iloc[
        0
    ]
    values = charts.kpis(sample_denials)
    assert values["denials"] == expected["n"] and values["causes"] == expected["c"]
    assert values["fixes verified"] is None  # no diagnoses: not zero, unknown
    fixes = pd.DataFrame({"fix": [json.dumps({"verified": True}), None, {"verified": False}]})
    assert charts.kpis(sample_denials, fixes)["fixes verified"] == 1
    fig = charts.kpi_cards(values)
    assert [t.name for t in fig.data] == list(values)
    assert '<div class="kpi-value">-</div>' in charts.kpi_html(values)


@pytest.mark.parametrize("draw", [
    lambda f: charts.denials_over_time(f),
    lambda f: charts.denials_by_principal(f),
    lambda f: charts.principal_action_heatmap(f),
    lambda f: charts.principal_timeline(f.assign(cause=None)),
    lambda f: charts.reported_vs_diagnosed(f.assign(reported_cause=None, verdict=None)),
])  # fmt: skip
def test_empty_data_gives_an_empty_figure_that_says_so(sample_denials, draw):
    fig = draw(sample_denials.iloc[:0])
    assert len(fig.data) == 0
    assert "no " in fig.layout.title.text


def test_real_policy_changes_in_the_shared_corpus_are_marked(workspace, corpus):
    workspace.load(corpus, progress=False)
    changes = query.policy_changes(workspace)
    expected = workspace.sql(
        "SELECT count(*) FROM events WHERE list_contains($n, event_name) AND error_code IS NULL",
        {"n": list(query.POLICY_CHANGE_EVENTS)},
    ).iloc[0, 0]
    assert len(changes) == expected > 0
    assert {"PutBucketPolicy", "PutUserPolicy"} <= set(changes["event_name"])
    frame = query.denial_events(workspace)
    fig = charts.denials_over_time(frame, changes)
    assert charts.trace_totals(fig)["policy-change"] == expected
    assert sum(v for k, v in charts.trace_totals(fig).items() if k in CAUSES) == len(frame)


# --- evidence coverage --------------------------------------------------------------------------


def test_the_coverage_heatmap_holds_account_days_and_the_dark_accounts_row_is_all_zeros(
    sample_ws,
):
    from iamlab.prevent import account_days, coverage
    from iamlab.snapshot import load

    with sample_ws.connect() as con:
        cov = coverage(con, load(SAMPLE_DATA / "snapshot"))
        matrix = account_days(con, cov.since, cov.until, cov.accounts)
    fig = charts.coverage_heatmap(matrix)
    (trace,) = fig.data
    assert trace.type == "heatmap" and list(trace.y) == list(matrix.index)
    assert list(trace.x) == ["2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"]
    assert [list(row) for row in trace.z] == matrix.to_numpy().tolist()
    dark = list(trace.y).index("583016249871")  # larkspur-sandbox: in the organization, no events
    assert list(trace.z[dark]) == [0, 0, 0, 0]
    assert all(n > 0 for i, row in enumerate(trace.z) if i != dark for n in row)
    with_account = sample_ws.sql(
        "SELECT count(*) FROM events WHERE coalesce(recipient_account_id, account_id) IS NOT NULL"
    ).iloc[0, 0]
    assert charts.trace_totals(fig)["events"] == with_account == matrix.to_numpy().sum()
    assert trace.hovertext[dark][1] == "account 583016249871<br>2026-03-10: no events (dark)"
    row = list(trace.y).index("264830159726")
    assert (
        trace.hovertext[row][0] == f"account 264830159726<br>2026-03-09: {trace.z[row][0]:,} events"
    )


def test_a_cell_without_events_has_its_own_colour_even_beside_one_event():
    days = pd.date_range("2026-03-01", periods=2, freq="D")
    matrix = pd.DataFrame([[0, 1], [5000, 20]], index=["111122223333", "444455556666"],
                          columns=days)  # fmt: skip
    trace = charts.coverage_heatmap(matrix).data[0]
    scale = [(stop, colour) for stop, colour in trace.colorscale]
    dark = [stop for stop, colour in scale if colour == charts.DARK_COLOR]
    assert trace.zmin == 0 and trace.zmax == 5000
    assert min(dark) == 0 and max(dark) * trace.zmax < 1  # 1 event is already past the dark step
    assert all(colour != charts.DARK_COLOR for stop, colour in scale if stop > max(dark))


def test_a_hostile_account_in_the_evidence_is_escaped_in_the_coverage_heatmap(tmp_path):
    from iamlab.prevent import account_days

    record = make_record(utc(2026, 3, 2, 10, 0), recipientAccountId=HOSTILE_UA)
    write_trail_file(trail_path(tmp_path / "logs", "111122223333", "us-east-1",
                                utc(2026, 3, 2, 12)), [record])  # fmt: skip
    with Workspace(tmp_path / "ws") as ws:
        ws.load(tmp_path / "logs", progress=False)
        with ws.connect() as con:
            matrix = account_days(con)
    assert list(matrix.index) == [HOSTILE_UA]
    fig = charts.coverage_heatmap(matrix)
    shown = list(_strings(fig.to_plotly_json()))
    assert "&lt;img src=x onerror=alert(1)&gt;" in fig.data[0].y
    assert [s for s in shown if "<img" in s] == []
    assert fig.data[0].hovertext[0][0].startswith("account &lt;img src=x")


def test_an_empty_account_day_matrix_gives_an_empty_figure_that_says_so():
    fig = charts.coverage_heatmap(pd.DataFrame())
    assert len(fig.data) == 0 and "no accounts or days" in fig.layout.title.text
