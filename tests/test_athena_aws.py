"""Athena against moto (S3, Glue, Athena) and botocore's Stubber: setup, the search, the guards.

moto runs no SQL: a test queues the rows a query returns (moto's documented
``query_results_queue``; its HTTP twin is /moto-api/static/athena/query-results),
here the rows the DuckDB twin of the same query returns over the bundled
sample, so what lands in a new workspace can be compared with the sample's
own denials.
"""

from __future__ import annotations

import json

import boto3
import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from botocore.stub import Stubber
from conftest import SAMPLE_DATA
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID

from iamlab.aws import athena as aws_athena
from iamlab.aws.readonly import client, metadata_client
from iamlab.denials import remote
from iamlab.denials.pushdown import denial_query, scope, twin_table
from iamlab.errors import AwsError, InputError, ReadOnlyViolation
from iamlab.workspace import Workspace

REGION = "eu-west-1"
ORG = "o-abcdef1234"
ACCOUNTS = ("111122223333", "264830159726")
LAYOUT = aws_athena.TrailLayout("org-trail", "cloudtrail", ORG)


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(
            Bucket="org-trail", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        for account in ACCOUNTS:
            for region in ("eu-west-1", "us-east-1"):
                for day in ("10", "11"):
                    key = (
                        f"cloudtrail/AWSLogs/{ORG}/{account}/CloudTrail/{region}/2026/03/"
                        f"{day}/{account}_CloudTrail_{region}_202603{day}T0000Z_x.json.gz"
                    )
                    s3.put_object(Bucket="org-trail", Key=key, Body=b"x" * 1000)
        boto3.client("athena", region_name=REGION).create_work_group(Name="analysts")
        yield aws_athena.clients(None, None, REGION)


def _backend():
    return athena_backends[DEFAULT_ACCOUNT_ID][REGION]


def _queries():
    return [e.query for e in _backend().executions.values()]


def test_setup_shows_the_ddl_and_writes_nothing_without_confirmation(aws):
    setup = aws_athena.setup_table(LAYOUT, "trail", "cloudtrail_logs", "analysts", given=aws)
    assert (setup.accounts, setup.regions) == (list(ACCOUNTS), ["eu-west-1", "us-east-1"])
    assert "'projection.account.values'='111122223333,264830159726'" in setup.ddl
    assert (
        "'storage.location.template'='s3://org-trail/cloudtrail/AWSLogs/o-abcdef1234/"
        "${account}/CloudTrail/${region}/${timestamp}'"
    ) in setup.ddl
    assert not setup.created and _queries() == []


def test_setup_with_confirmation_creates_the_database_and_the_table(aws):
    aws["athena-ddl"] = metadata_client("athena", region=REGION)
    setup = aws_athena.setup_table(
        LAYOUT,
        "trail",
        "cloudtrail_logs",
        "analysts",
        confirm=True,
        given=aws,
        sleep=lambda s: None,
    )
    assert setup.created and len(setup.query_ids) == 2
    assert _queries()[0] == "CREATE DATABASE IF NOT EXISTS `trail`"
    assert _queries()[1].startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `trail`.`cloudtrail_logs`")


def test_setup_reuses_a_table_with_the_same_location_and_refuses_another(aws):
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "trail"})
    glue.create_table(
        DatabaseName="trail",
        TableInput={
            "Name": "cloudtrail_logs",
            "Parameters": {"storage.location.template": LAYOUT.template()},
        },
    )
    glue.create_table(
        DatabaseName="trail",
        TableInput={
            "Name": "other",
            "Parameters": {"storage.location.template": "s3://elsewhere/x"},
        },
    )
    setup = aws_athena.setup_table(
        LAYOUT, "trail", "cloudtrail_logs", "analysts", confirm=True, given=aws
    )
    assert setup.existed and not setup.created and _queries() == []
    with pytest.raises(InputError, match="exists with another location"):
        aws_athena.setup_table(LAYOUT, "trail", "other", "analysts", confirm=True, given=aws)


def test_a_bucket_without_the_trail_layout_is_one_clear_error(aws):
    wrong = aws_athena.TrailLayout("org-trail", "not-here", ORG)
    with pytest.raises(InputError, match="no CloudTrail layout under s3://org-trail/not-here/"):
        aws_athena.setup_table(wrong, "trail", "cloudtrail_logs", "analysts", given=aws)


def test_a_workgroup_that_does_not_exist_is_one_clear_error(aws):
    with pytest.raises(AwsError, match="workgroup 'nobody' does not exist in eu-west-1"):
        aws_athena.setup_table(LAYOUT, "trail", "cloudtrail_logs", "nobody", given=aws)


# --- the search --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("athena-sample") / "ws")
    ws.load(SAMPLE_DATA / "cloudtrail", progress=False)
    yield ws
    ws.close()


def _athena_rows(ws, sql):
    """What Athena would return for ``sql``: the DuckDB twin's rows, as VarCharValue cells."""
    with ws._db.write("test", True) as con:
        twin_table(con, "cloudtrail_logs")
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()

    def cell(v):
        return {} if v is None else {"VarCharValue": v if isinstance(v, str) else json.dumps(v)}

    header = {"Data": [{"VarCharValue": n} for n in names]}
    return QueryResults(
        [header] + [{"Data": [cell(v) for v in row]} for row in rows],
        [{"Name": n, "Type": "varchar"} for n in names],
    )


def _glue_table(accounts=("264830159726",), regions=("eu-west-1", "us-east-1")):
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "trail"})
    glue.create_table(
        DatabaseName="trail",
        TableInput={
            "Name": "cloudtrail_logs",
            "Parameters": {
                "storage.location.template": LAYOUT.template(),
                "projection.account.values": ",".join(accounts),
                "projection.region.values": ",".join(regions),
            },
        },
    )


def test_the_search_loads_exactly_the_sample_denials_with_provenance(aws, sample, tmp_path):
    _glue_table(accounts=("264830159726", "318406572044", "483927105616"))
    sc = scope("2026-03-01", "2026-04-01")
    twin = denial_query("duckdb", "cloudtrail_logs", sc).duckdb
    _backend().query_results_queue.append(_athena_rows(sample, twin))
    ws = Workspace(tmp_path / "ws")
    search, report = ws.load_from_athena(
        "trail",
        "cloudtrail_logs",
        "analysts",
        "2026-03-01",
        "2026-04-01",
        clients=aws,
        sleep=lambda s: None,
    )
    expected = sorted(sample.denials(since="2026-03-01", until="2026-04-01")["event_id"])
    assert sorted(ws.denials()["event_id"]) == expected
    assert report.loaded == len(expected) and report.reconciles
    assert sum(search.causes.values()) == len(expected)
    assert search.causes["org-policy"] == (sample.denials(cause="org-policy").shape[0])
    options = json.loads(ws.sql("SELECT options FROM loads").iloc[0, 0])
    assert options["queries"][0]["query_id"] == search.queries[0].query_id
    assert options["queries"][0]["sql"].startswith("WITH events AS")
    assert "'2026/03/01'" in options["queries"][0]["sql"]  # the partitions it pruned to
    # the same rows again add nothing
    _backend().query_results_queue.append(_athena_rows(sample, twin))
    _, again = ws.load_from_athena(
        "trail",
        "cloudtrail_logs",
        "analysts",
        "2026-03-01",
        "2026-04-01",
        clients=aws,
        sleep=lambda s: None,
    )
    assert (again.loaded, again.duplicates) == (0, len(expected))
    ws.close()


def test_a_scan_above_the_guard_is_refused_before_any_query(aws, tmp_path):
    _glue_table()
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(InputError, match="above --max-scan 1,000; narrow"):
        ws.load_from_athena(
            "trail",
            "cloudtrail_logs",
            "analysts",
            "2026-03-10",
            "2026-03-12",
            ["264830159726"],
            clients=aws,
            max_scan=1000,
        )
    assert _queries() == []
    assert ws.sql("SELECT count(*) AS n FROM loads").n[0] == 0
    ws.close()


def test_the_estimate_measures_the_partitions_in_s3(aws):
    _glue_table()
    search = remote.athena_search(
        "trail",
        "cloudtrail_logs",
        "analysts",
        "2026-03-10",
        "2026-03-12",
        ["264830159726"],
        dry_run=True,
        clients=aws,
    )
    est = search.queries[0].estimate
    assert (est.partitions, est.bytes) == (4, 4 * 1000)  # 1 account x 2 regions x 2 days
    assert _queries() == []


def test_a_dry_run_with_the_layout_given_needs_no_credentials():
    search = remote.athena_search(
        "trail",
        "cloudtrail_logs",
        "analysts",
        "2026-03-10",
        "2026-03-17",
        ["111122223333", "264830159726"],
        ["eu-west-1", "us-east-1", "eu-central-1"],
        dry_run=True,
        partition_bytes=2 * 10**9,
    )
    est = search.queries[0].estimate
    assert est.partitions == 2 * 3 * 7
    assert est.bytes == 42 * 2 * 10**9 and est.cost == pytest.approx(0.42)


def _stubbed(responses):
    athena = client(
        "athena", region=REGION, aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake"
    )
    stub = Stubber(athena)
    for method, response in responses:
        stub.add_response(method, response)
    return athena, stub


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_a_failed_query_is_one_clear_error_and_loads_nothing(tmp_path):
    athena, stub = _stubbed(
        [
            ("get_work_group", {"WorkGroup": {"Name": "analysts"}}),
            ("start_query_execution", {"QueryExecutionId": "q-1"}),
            ("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}}),
            (
                "get_query_execution",
                {
                    "QueryExecution": {
                        "Status": {
                            "State": "FAILED",
                            "StateChangeReason": "HIVE_BAD_DATA: line 1\x1b[31m",
                        }
                    }
                },
            ),
        ]
    )
    ws = Workspace(tmp_path / "ws")
    clock = Clock()
    with stub, pytest.raises(AwsError) as err:
        ws.load_from_athena(
            "trail",
            "t",
            "analysts",
            "2026-03-10",
            "2026-03-11",
            ["111122223333"],
            ["eu-west-1"],
            partition_bytes=1,
            clients={"athena": athena},
            sleep=clock.sleep,
            clock=clock,
        )
    assert str(err.value) == "Athena query q-1 FAILED: HIVE_BAD_DATA: line 1\\x1b[31m"
    counts = ws.sql("SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM loads) AS n")
    assert counts.n[0] == 0
    ws.close()


def test_a_query_past_the_wait_is_stopped_and_loads_nothing(tmp_path):
    running = {"QueryExecution": {"Status": {"State": "RUNNING"}}}
    athena, stub = _stubbed(
        [
            ("get_work_group", {"WorkGroup": {"Name": "analysts"}}),
            ("start_query_execution", {"QueryExecutionId": "q-2"}),
        ]
        + [("get_query_execution", running)] * 4
        + [("stop_query_execution", {})]
    )
    ws = Workspace(tmp_path / "ws")
    clock = Clock()
    with stub, pytest.raises(AwsError, match=r"q-2 still RUNNING after 5s; stopped it"):
        ws.load_from_athena(
            "trail",
            "t",
            "analysts",
            "2026-03-10",
            "2026-03-11",
            ["111122223333"],
            ["eu-west-1"],
            partition_bytes=1,
            timeout=5,
            clients={"athena": athena},
            sleep=clock.sleep,
            clock=clock,
        )
    stub.assert_no_pending_responses()
    assert ws.sql("SELECT count(*) AS n FROM events").n[0] == 0
    ws.close()


def test_polling_backs_off_and_pages_through_results():
    header = {"Data": [{"VarCharValue": "eventid"}]}
    athena, stub = _stubbed(
        [("start_query_execution", {"QueryExecutionId": "q-3"})]
        + [("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})] * 3
        + [
            (
                "get_query_execution",
                {
                    "QueryExecution": {
                        "Status": {"State": "SUCCEEDED"},
                        "Statistics": {"DataScannedInBytes": 3 * 10**9},
                    }
                },
            ),
            (
                "get_query_results",
                {
                    "ResultSet": {
                        "Rows": [header, {"Data": [{"VarCharValue": "a"}]}],
                        "ResultSetMetadata": {
                            "ColumnInfo": [{"Name": "eventid", "Type": "varchar"}]
                        },
                    },
                    "NextToken": "t2",
                },
            ),
            ("get_query_results", {"ResultSet": {"Rows": [{"Data": [{}]}]}}),
        ]
    )
    clock = Clock()
    waits = []

    def sleep(s):
        waits.append(s)
        clock.sleep(s)

    with stub:
        result = aws_athena.run_query(
            "SELECT eventid FROM t", "analysts", client=athena, sleep=sleep, clock=clock
        )
    assert waits == [1.0, 1.5, 2.25]
    assert result.rows == [{"eventid": "a"}, {"eventid": None}] and result.pages == 2
    assert result.cost == pytest.approx(3 * 10**9 / 10**12 * 5.00)


# --- the guards --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE trail.cloudtrail_logs",
        "CREATE EXTERNAL TABLE IF NOT EXISTS x (a string) LOCATION 's3://b/'",
        "INSERT INTO t SELECT 1",
        "UNLOAD (SELECT 1) TO 's3://b/' WITH (format = 'JSON')",
        "CREATE TABLE t AS SELECT 1",
    ],
)
def test_the_read_only_client_sends_only_queries_that_read(statement):
    athena = client(
        "athena", region=REGION, aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake"
    )
    with pytest.raises(ReadOnlyViolation, match="refused athena:StartQueryExecution"):
        athena.start_query_execution(QueryString=statement, WorkGroup="w")


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE trail.cloudtrail_logs",
        "ALTER TABLE t SET TBLPROPERTIES ('a'='b')",
        "CREATE EXTERNAL TABLE IF NOT EXISTS x (a string); DROP TABLE y",
        "CREATE EXTERNAL TABLE x (a string)",  # without IF NOT EXISTS it could fail over an old one
    ],
)
def test_the_metadata_client_sends_only_create_if_not_exists(statement):
    athena = metadata_client(
        "athena", region=REGION, aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake"
    )
    with pytest.raises(ReadOnlyViolation, match="refused athena:StartQueryExecution"):
        athena.start_query_execution(QueryString=statement, WorkGroup="w")


@pytest.mark.parametrize(
    "service, call, kwargs",
    [
        ("athena", "delete_work_group", {"WorkGroup": "w"}),
        ("athena", "update_work_group", {"WorkGroup": "w"}),
        ("glue", "delete_table", {"DatabaseName": "d", "Name": "t"}),
        ("glue", "create_table", {"DatabaseName": "d", "TableInput": {"Name": "t"}}),
        (
            "athena",
            "start_query_execution",
            {
                "QueryString": "SELECT 1",
                "WorkGroup": "w",
                "ResultConfiguration": {"OutputLocation": "s3://b/"},
            },
        ),
    ],
)
@pytest.mark.parametrize("make", [client, metadata_client])
def test_both_clients_refuse_everything_off_the_athena_and_glue_lists(service, call, kwargs, make):
    made = make(service, region=REGION, aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake")
    with pytest.raises(ReadOnlyViolation, match="nothing was sent"):
        getattr(made, call)(**kwargs)


def test_the_search_with_context_loads_the_principals_calls_and_issuing_events(
    aws, sample, tmp_path
):
    from iamlab.denials.pushdown import context_query
    from iamlab.trail.athena import record_of

    _glue_table(
        accounts=("264830159726", "318406572044", "483927105616"),
        regions=("eu-west-1", "us-east-1"),
    )
    sc = scope(
        "2026-03-10",
        "2026-03-11",
        ("264830159726", "318406572044", "483927105616"),
        ("eu-west-1", "us-east-1"),
    )
    first = _athena_rows(sample, denial_query("duckdb", "cloudtrail_logs", sc).duckdb)
    names = [c["Name"] for c in first.column_info]
    denials = [
        record_of(
            dict(zip(names, [d.get("VarCharValue") for d in row["Data"]], strict=True)),
            ("cause", "action", "resource", "policy_type", "deny", "policy_arn"),
        )
        for row in first.rows[1:]
    ]
    ctx = context_query("duckdb", "cloudtrail_logs", sc, denials, 10)
    second = _athena_rows(sample, ctx.duckdb)
    _backend().query_results_queue.extend([first, second])
    ws = Workspace(tmp_path / "ws")
    search, report = ws.load_from_athena(
        "trail",
        "cloudtrail_logs",
        "analysts",
        "2026-03-10",
        "2026-03-11",
        context_minutes=10,
        clients=aws,
        sleep=lambda s: None,
    )
    assert [q.what for q in search.queries] == ["denials", "context"]
    assert "assumerole" in search.queries[1].sql.lower()
    loaded = set(ws.sql("SELECT event_id FROM events").event_id)
    assert {r["eventID"] for r in denials} <= loaded
    column = names.index("eventid")
    returned = {row["Data"][column]["VarCharValue"] for r in (first, second) for row in r.rows[1:]}
    assert loaded == returned
    assert len(loaded) > len(denials)
    assert ws.sql("SELECT count(*) AS n FROM events WHERE event_name = 'AssumeRole'").n[0] > 0
    ws.close()
