"""The pushed-down denial search: its DuckDB twin finds exactly the workspace's denials,
its Trino SQL parses back, and bad scopes are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlglot
from conftest import SAMPLE_DATA

from iamlab.denials.pushdown import (
    PARSED_COLUMNS,
    context_query,
    denial_query,
    scope,
    twin_table,
)
from iamlab.errors import InputError
from iamlab.times import parse_time
from iamlab.trail.athena import record_of

SINCE, UNTIL = "2026-03-01", "2026-04-01"


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory):
    from iamlab.workspace import Workspace

    ws = Workspace(tmp_path_factory.mktemp("pushdown") / "ws")
    ws.load(SAMPLE_DATA / "cloudtrail", progress=False)
    yield ws
    ws.close()


def _twin_rows(ws, query):
    with ws._db.write("test", True) as con:  # TEMP views need a connection of their own
        twin_table(con)
        cur = con.execute(query.duckdb)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_the_twin_of_the_denial_query_returns_exactly_the_workspaces_denials(sample_ws):
    expected = sample_ws.denials(since=SINCE, until=UNTIL)
    rows = _twin_rows(sample_ws, denial_query("duckdb", "cloudtrail_twin", scope(SINCE, UNTIL)))
    assert len(expected) > 50
    assert sorted(r["eventid"] for r in rows) == sorted(expected["event_id"])
    by_id = expected.set_index("event_id")
    for row in rows:
        for column in PARSED_COLUMNS:
            want = by_id.loc[row["eventid"], column]
            assert row[column] == (None if want is None or want != want else want), column


def test_the_twin_with_accounts_regions_and_a_principal_matches_the_filtered_denials(sample_ws):
    every = sample_ws.denials(since=SINCE, until=UNTIL)
    principal = every["principal_arn"].dropna().value_counts().index[0]
    account = every.loc[every["principal_arn"] == principal, "recipient_account_id"].iloc[0]
    region = every.loc[every["principal_arn"] == principal, "aws_region"].iloc[0]
    sc = scope(SINCE, UNTIL, [account], [region], [principal])
    rows = _twin_rows(sample_ws, denial_query("duckdb", "cloudtrail_twin", sc))
    expected = every[
        ((every["principal_arn"] == principal) | (every["principal"] == principal))
        & (every["recipient_account_id"] == account)
        & (every["aws_region"] == region)
    ]
    assert len(expected) > 0
    assert sorted(r["eventid"] for r in rows) == sorted(expected["event_id"])


def test_the_context_twin_returns_the_principals_calls_near_each_denial(sample_ws):
    denials = _twin_rows(
        sample_ws, denial_query("duckdb", "cloudtrail_twin", scope("2026-03-10", "2026-03-11"))
    )
    records = [
        record_of(
            {k: v if v is None or isinstance(v, str) else str(v) for k, v in row.items()},
            PARSED_COLUMNS,
        )
        for row in denials
    ]
    ctx = context_query("duckdb", "cloudtrail_twin", scope("2026-03-10", "2026-03-11"), records, 5)
    rows = _twin_rows(sample_ws, ctx)
    # expected, computed independently: every event of a denied principal within 5 minutes
    # of one of its denials, plus the issuing events of the denials' session keys
    events = sample_ws.sql(
        "SELECT event_id, event_time, principal_arn, event_name, "
        "response_elements->>'$.credentials.accessKeyId' AS issued, "
        "access_key_id FROM events"
    )
    times: dict[str, list] = {}
    keys = set()
    for record in records:
        ident = record["userIdentity"]
        if ident.get("arn"):
            times.setdefault(ident["arn"], []).append(parse_time(record["eventTime"], "t"))
        if (ident.get("accessKeyId") or "").startswith("ASIA"):
            keys.add(ident["accessKeyId"])
    pad = timedelta(minutes=5)
    expected = set()
    for e in events.itertuples():
        t = e.event_time.to_pydatetime()
        if any(d - pad <= t < d + pad for d in times.get(e.principal_arn, [])):
            expected.add(e.event_id)
        if e.issued in keys and e.event_name in (
            "AssumeRole",
            "AssumeRoleWithSAML",
            "AssumeRoleWithWebIdentity",
            "GetFederationToken",
        ):
            expected.add(e.event_id)
    got = {r["eventid"] for r in rows}
    assert len(expected) > len(denials)
    assert got == expected


@pytest.mark.parametrize("engine", ["athena", "lake"])
def test_the_trino_sql_parses_back_and_keeps_no_duckdb_only_function(engine):
    query = denial_query(
        engine,
        "cloudtrail_logs" if engine == "athena" else "abcd-1234",
        scope(SINCE, UNTIL, ["111122223333"], ["eu-west-1"]),
    )
    text = query.sql.replace("abcd-1234", "abcd_1234")  # Lake's ids are not Trino names
    tree = sqlglot.parse_one(text, read="trino")
    assert tree.sql("trino", pretty=True, comments=False) == text
    names = {
        f.sql_name().upper() if not isinstance(f, sqlglot.exp.Anonymous) else f.name.upper()
        for f in tree.find_all(sqlglot.exp.Func)
    }
    assert not names & {"CONTAINS", "STRLEN", "ENDS_WITH", "REGEXP_FULL_MATCH"}
    assert "MATERIALIZED" not in query.sql
    assert "SPLIT_PART" not in query.sql.upper()


def test_athena_sql_prunes_partitions_and_lake_sql_reads_the_store():
    sc = scope("2026-03-10", "2026-03-12", ["111122223333"], ["eu-west-1", "us-east-1"])
    athena = denial_query("athena", "cloudtrail_logs", sc)
    assert "\"timestamp\" IN ('2026/03/10', '2026/03/11')" in athena.sql
    assert len(athena.partitions) == 1 * 2 * 2
    lake = denial_query("lake", "abcd-1234", sc)
    assert "eventtime >= CAST('2026-03-10 00:00:00' AS TIMESTAMP)" in lake.sql
    assert "eventjson" in lake.sql and 'timestamp" IN' not in lake.sql


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"accounts": ["1111"]}, "not an account id: '1111'"),
        ({"regions": ["eu-west-1' OR 1=1 --"]}, "not an Region"),
        ({"principals": ["arn:aws:iam::111122223333:user/x' OR '1'='1"]}, "not an principal ARN"),
    ],
)
def test_a_value_not_in_its_aws_form_is_refused_before_any_sql(kwargs, fragment):
    with pytest.raises(InputError, match=fragment):
        scope(SINCE, UNTIL, **kwargs)


def test_an_unbounded_window_is_refused():
    with pytest.raises(InputError, match="needs both since and until"):
        scope(SINCE, None)


@pytest.mark.parametrize("engine", ["athena", "lake"])
def test_the_context_query_parses_back_and_reads_the_session_key(engine):
    denial = {
        "eventTime": "2026-03-10T12:00:00Z",
        "userIdentity": {
            "arn": "arn:aws:sts::111122223333:assumed-role/dev/alice",
            "accessKeyId": "ASIAEXAMPLEKEY123456",
            "sessionContext": {"sessionIssuer": {"accountId": "111122223333"}},
        },
    }
    table = "cloudtrail_logs" if engine == "athena" else "abcd-1234"
    ctx = context_query(
        engine,
        table,
        scope("2026-03-10", "2026-03-11", ["111122223333"], ["eu-west-1"]),
        [denial],
        15,
    )
    text = ctx.sql.replace("abcd-1234", "abcd_1234")
    assert sqlglot.parse_one(text, read="trino").sql("trino", pretty=True) == text
    assert "JSON_EXTRACT_SCALAR" in text and "'ASIAEXAMPLEKEY123456'" in text
    assert "'2026-03-10T11:45:00Z'" in text or "2026-03-10 11:45:00" in text
    if engine == "athena":  # sessions issued up to 36 h before, and in us-east-1
        assert "'2026/03/08'" in text and "'us-east-1'" in text


def test_a_denial_record_with_a_hostile_arn_adds_no_sql():
    denial = {
        "eventTime": "2026-03-10T12:00:00Z",
        "userIdentity": {
            "arn": "arn:aws:iam::111122223333:user/x' OR '1'='1",
            "accessKeyId": "ASIA' OR 1=1 --",
        },
    }
    assert context_query("athena", "t", scope("2026-03-10", "2026-03-11"), [denial], 5) is None
