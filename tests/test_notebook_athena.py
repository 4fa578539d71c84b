"""Notebook 02's Athena section: the dry run of the pushed-down denial search on the bundled
sample (Trino SQL that parses, partitions x size, the DuckDB twin's rows equal the
workspace's denials), with no AWS at all, and the notebook still runs top to bottom."""

from __future__ import annotations

import pytest
import sqlglot
from conftest import SAMPLE_DATA
from notebook_runs import html, run_notebook

import iamlab.notebook as nb
from iamlab.errors import InputError
from iamlab.face import Investigation
from iamlab.workspace import Workspace

TOM = "arn:aws:iam::264830159726:user/people/tom.reyes"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("nb-athena") / "workspace"
    with Workspace(path) as ws:
        ws.load(*(SAMPLE_DATA / n for n in nb.SAMPLE_EVIDENCE), progress=False)
    return path


@pytest.fixture
def ws(sample):
    with Workspace(sample, read_only=True) as ws:
        yield ws


def test_the_plan_with_defaults_covers_the_whole_sample_and_its_twin_finds_every_denial(ws):
    plan = nb.athena_plan(Investigation(ws))
    assert plan.source == "athena://primary/trail.cloudtrail_logs"
    assert plan.twin_rows == len(ws.denials()) == 61
    accounts = set(ws.sql("SELECT DISTINCT recipient_account_id AS a FROM events")["a"].dropna())
    regions = set(ws.sql("SELECT DISTINCT aws_region AS r FROM events")["r"].dropna())
    assert {a for a, _, _ in plan.partitions} == accounts
    assert {r for _, r, _ in plan.partitions} == regions
    days = sorted({d for _, _, d in plan.partitions})
    assert len(plan.partitions) == len(accounts) * len(regions) * len(days)
    assert days[0] == "2026/03/09" and days[-1] == "2026/03/12"
    assert plan.estimate_bytes == len(plan.partitions) * nb.ASSUMED_PARTITION_BYTES
    assert "assumed size" in plan.how


def test_the_plans_sql_parses_as_trino_and_reads_only_the_named_table(ws):
    plan = nb.athena_plan(Investigation(ws), "case42", workgroup="analysts")
    assert plan.source == "athena://analysts/case42.cloudtrail_logs"
    tree = sqlglot.parse_one(plan.sql, read="trino")
    tables = {t.sql("trino") for t in tree.find_all(sqlglot.exp.Table)}
    ctes = {c.alias for c in tree.find_all(sqlglot.exp.CTE)}
    assert "events" in ctes and "denials" in ctes
    assert tables - ctes == {"case42.cloudtrail_logs"}  # the only table read is the trail's
    assert "regexp_like" in plan.sql.lower()  # transpiled: DuckDB's regexp_full_match is gone
    assert "regexp_full_match" not in plan.sql.lower()


def test_a_scoped_plan_touches_only_its_partitions_and_its_twin_equals_the_scoped_denials(ws):
    inv = Investigation(ws, principal=TOM, since="2026-03-10", until="2026-03-11")
    plan = nb.athena_plan(
        inv, accounts=["264830159726"], regions=["us-east-1"], partition_bytes=123_456_789
    )
    assert plan.partitions == [("264830159726", "us-east-1", "2026/03/10")]
    assert plan.estimate_bytes == 123_456_789 and "assumed" not in plan.how
    every = ws.denials(principal=TOM, since="2026-03-10", until="2026-03-11")
    expected = every[
        (every["recipient_account_id"] == "264830159726") & (every["aws_region"] == "us-east-1")
    ]
    assert plan.twin_rows == len(expected) > 0
    assert TOM in plan.sql


def test_a_window_given_as_text_overrides_the_investigations(ws):
    plan = nb.athena_plan(Investigation(ws), since="2026-03-11", until="2026-03-12T00:00:00Z")
    assert {d for _, _, d in plan.partitions} == {"2026/03/11"}
    assert plan.twin_rows == len(ws.denials(since="2026-03-11", until="2026-03-12")) > 0


def test_the_plan_shows_its_sql_with_event_text_escaped_and_line_breaks_kept(ws):
    plan = nb.athena_plan(Investigation(ws))
    shown = plan._repr_html_()
    assert "nothing was sent to AWS" in shown and f"{plan.estimate_bytes:,} bytes" in shown
    assert "WITH events AS (\n" in shown
    assert shown.count("\n") == plan.sql.count("\n")  # each line of the SQL, a line shown
    assert "&#x27;" in shown or "&#39;" in shown  # the SQL's quotes, escaped for HTML


def test_a_window_with_no_events_is_refused_with_what_to_do(ws):
    with pytest.raises(InputError, match="No events in the window"):
        nb.athena_plan(Investigation(ws, since="2020-01-01", until="2020-01-02"))


def test_a_bad_account_is_refused_naming_it(ws):
    with pytest.raises(InputError, match="not an account id: '12345'"):
        nb.athena_plan(Investigation(ws), accounts=["12345"])


def test_notebook_02_runs_top_to_bottom_with_its_athena_section_and_no_aws(sample, tmp_path):
    pytest.importorskip("papermill")
    ran = run_notebook("02-find-the-denial", tmp_path / "run", {"workspace": str(sample)})
    shown = html(ran, "nb.athena_plan(inv, athena_database)")
    assert "athena://primary/trail.cloudtrail_logs" in shown
    assert "returns 61 denials on this workspace" in shown
    assert "nothing was sent to AWS" in shown
