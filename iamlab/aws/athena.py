"""Athena over the organization trail: the CloudTrail table, running a query, its cost.

- ``table_ddl`` / ``setup_table``: AWS's CloudTrail table (aws-facts 3.4) with
  partition projection over the organization-trail layout
  ``<prefix>/AWSLogs/<o-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/``;
  account and Region values are read from the bucket. Creating it is the one
  write iamlab makes (``readonly.metadata_client``), only when it is missing.
- ``run_query``: start, poll with backoff up to a bounded wait, page through
  the results; a query that fails or is still running at the deadline raises
  ``AwsError`` (the running one is stopped first).
- ``estimate``: bytes a query will scan (partitions touched x the partition
  size, measured in S3 or given) and its price at ``PRICE_PER_TB``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from iamlab.aws.failures import as_aws_error
from iamlab.aws.readonly import client as ro_client
from iamlab.aws.readonly import metadata_client
from iamlab.errors import AwsError, InputError
from iamlab.escape import printable

# Athena's published price for SQL queries: $5.00 per TB scanned, rounded up to the
# megabyte, 10 MB minimum per query (https://aws.amazon.com/athena/pricing/; the
# stored pages on it agree). Bytes, as Athena bills them: compressed as stored.
PRICE_PER_TB = 5.00
TB = 10**12
MIN_BILLED = 10 * 10**6
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PREFIX = re.compile(r"^[A-Za-z0-9!_.*()/-]{0,900}$")  # no quote, backslash or control char
ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
GLUE_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
WORKGROUP = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


# --- the table ---------------------------------------------------------------------------------

# AWS's documented CloudTrail table (aws-facts 3.4, [ATHENA-PP]): nested blobs are
# STRING, userIdentity, resources and tlsDetails are structs.
COLUMNS = """\
    eventversion STRING,
    useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING,
        invokedby: STRING, accesskeyid: STRING, username: STRING,
        onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
        sessioncontext: STRUCT<attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
            sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING,
                accountid: STRING, username: STRING>,
            ec2roledelivery: STRING, sourceidentity: STRING>>,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    vpcendpointaccountid STRING,
    eventcategory STRING,
    tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>"""


@dataclass(frozen=True)
class TrailLayout:
    """Where an organization trail's files are: s3://bucket/prefix/AWSLogs/<org_id>/."""

    bucket: str
    prefix: str
    org_id: str | None = None

    def __post_init__(self) -> None:
        if not BUCKET.match(self.bucket or ""):
            raise InputError(f"--bucket {self.bucket!r} is not an S3 bucket name")
        if not PREFIX.match(self.prefix or ""):
            raise InputError(
                f"--prefix {self.prefix!r} holds characters a trail prefix "
                "cannot (quotes, backslashes, control characters)"
            )
        if self.org_id is not None and not ORG_ID.match(self.org_id):
            raise InputError(f"--org-id {self.org_id!r} is not an organization id (o-...)")

    @property
    def root_key(self) -> str:
        """The key prefix that holds one folder per account."""
        head = self.prefix.strip("/")
        parts = [p for p in (head, "AWSLogs", self.org_id) if p]
        return "/".join(parts) + "/"

    @property
    def root(self) -> str:
        return f"s3://{self.bucket}/{self.root_key}"

    def template(self) -> str:
        return self.root + "${account}/CloudTrail/${region}/${timestamp}"


def table_ddl(
    database: str, table: str, layout: TrailLayout, accounts: list[str], regions: list[str]
) -> str:
    """The CREATE EXTERNAL TABLE statement, with projection over account, region and day."""
    for name in (database, table):
        if not GLUE_NAME.match(name or ""):
            raise InputError(f"{name!r} is not a Glue name (lower-case letters, digits, _)")
    if not accounts or not all(_ACCOUNT.match(a) for a in accounts):
        raise InputError(f"account folders must be 12-digit ids, got {accounts[:3]!r}")
    if not regions or not all(_REGION.match(r) for r in regions):
        raise InputError(f"Region folders must be Region names, got {regions[:3]!r}")
    props = {
        "projection.enabled": "true",
        "projection.account.type": "enum",
        "projection.account.values": ",".join(accounts),
        "projection.region.type": "enum",
        "projection.region.values": ",".join(regions),
        "projection.timestamp.type": "date",
        "projection.timestamp.format": "yyyy/MM/dd",
        "projection.timestamp.interval": "1",
        "projection.timestamp.interval.unit": "DAYS",
        "projection.timestamp.range": "2013/11/01,NOW",
        "storage.location.template": layout.template(),
    }
    tbl = ",\n    ".join(f"'{k}'='{v}'" for k, v in props.items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}` (\n{COLUMNS}\n)\n"
        "COMMENT 'CloudTrail (organization trail) for iamlab, partition projection'\n"
        "PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)\n"
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        f"LOCATION '{layout.root}'\n"
        f"TBLPROPERTIES (\n    {tbl}\n)"
    )


def _folders(s3: Any, bucket: str, prefix: str) -> list[str]:
    """The immediate sub-folders of ``prefix`` (one ListObjectsV2 walk with a delimiter)."""
    names, token = [], None
    while True:
        params = {
            "Bucket": bucket,
            "Prefix": prefix,
            "Delimiter": "/",
            **({"ContinuationToken": token} if token else {}),
        }
        page = _call(lambda p=params: s3.list_objects_v2(**p), "listing the trail bucket")
        names += [c["Prefix"][len(prefix) :].rstrip("/") for c in page.get("CommonPrefixes", [])]
        token = page.get("NextContinuationToken")
        if not token:
            return names


def discover_layout(s3: Any, layout: TrailLayout) -> tuple[list[str], list[str]]:
    """The account and Region folders of the trail; InputError when the layout is not there."""
    accounts = sorted(a for a in _folders(s3, layout.bucket, layout.root_key) if _ACCOUNT.match(a))
    regions: set[str] = set()
    for account in accounts:
        found = _folders(s3, layout.bucket, f"{layout.root_key}{account}/CloudTrail/")
        regions |= {r for r in found if _REGION.match(r)}
    if not accounts or not regions:
        raise InputError(
            f"no CloudTrail layout under {printable(layout.root)} (looked for "
            "<account>/CloudTrail/<region>/YYYY/MM/DD/); check --bucket, --prefix and --org-id"
        )
    return accounts, sorted(regions)


def check_workgroup(athena: Any, workgroup: str) -> dict[str, Any]:
    """The workgroup's description; AwsError naming it when it does not exist."""
    if not WORKGROUP.match(workgroup or ""):
        raise InputError(f"--workgroup {workgroup!r} is not a workgroup name")
    missing = AwsError(
        f"Athena workgroup {workgroup!r} does not exist in "
        f"{athena.meta.region_name}; `aws athena list-work-groups` lists them"
    )
    try:
        found = athena.get_work_group(WorkGroup=workgroup).get("WorkGroup")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidRequestException":
            raise missing from exc
        raise as_aws_error(exc, f"reading workgroup {workgroup}") from exc
    if not found:
        raise missing
    return found


@dataclass
class Setup:
    """What ``setup_table`` found or did."""

    ddl: str
    accounts: list[str]
    regions: list[str]
    existed: bool = False
    created: bool = False
    query_ids: list[str] = field(default_factory=list)


def setup_table(
    layout: TrailLayout,
    database: str,
    table: str,
    workgroup: str,
    *,
    confirm: bool = False,
    region: str | None = None,
    profile: str | None = None,
    session: Any = None,
    given: dict[str, Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Setup:
    """Create (or reuse) the CloudTrail table; without ``confirm`` only return its DDL.

    Reads the bucket's account and Region folders, checks the workgroup, and
    looks the table up in Glue: an existing table with the same location
    template is reused; one with another location is an InputError (iamlab
    never alters or drops a table). ``given``: ready-made ``s3``, ``athena``,
    ``glue`` and ``athena-ddl`` clients (tests).
    """
    c = given or clients(session, profile, region, ddl=confirm)
    accounts, regions = discover_layout(c["s3"], layout)
    ddl = table_ddl(database, table, layout, accounts, regions)
    result = Setup(ddl, accounts, regions)
    check_workgroup(c["athena"], workgroup)
    existing = glue_table(c["glue"], database, table)
    if existing is not None:
        where = (existing.get("Parameters") or {}).get("storage.location.template")
        if where != layout.template():
            raise InputError(
                f"table {database}.{table} exists with another location "
                f"({printable(str(where))}); pass another --table (iamlab never "
                "alters or drops a table)"
            )
        result.existed = True
        return result
    if not confirm:
        return result
    ddl_client = c.get("athena-ddl") or metadata_client("athena", session=session, region=region)
    if _glue_database(c["glue"], database) is None:
        result.query_ids.append(
            run_query(
                f"CREATE DATABASE IF NOT EXISTS `{database}`",
                workgroup,
                client=ddl_client,
                sleep=sleep,
            ).query_id
        )
    result.query_ids.append(
        run_query(ddl, workgroup, database=database, client=ddl_client, sleep=sleep).query_id
    )
    result.created = True
    return result


def glue_table(glue: Any, database: str, table: str) -> dict[str, Any] | None:
    try:
        return glue.get_table(DatabaseName=database, Name=table)["Table"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "EntityNotFoundException":
            return None
        raise as_aws_error(exc, f"looking up table {database}.{table} in Glue") from exc


def _glue_database(glue: Any, database: str) -> dict[str, Any] | None:
    try:
        return glue.get_database(Name=database)["Database"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "EntityNotFoundException":
            return None
        raise as_aws_error(exc, f"looking up database {database} in Glue") from exc


def clients(session: Any, profile: str | None, region: str | None, ddl: bool = False):
    """Read-only s3, athena and glue clients (and, with ``ddl``, the metadata client)."""
    from iamlab.aws.readonly import session as ro_session

    sess = session if session is not None else ro_session(profile, region)
    out = {name: ro_client(name, session=sess, region=region) for name in ("s3", "athena", "glue")}
    if ddl:
        out["athena-ddl"] = metadata_client("athena", session=sess, region=region)
    return out


# --- running a query ---------------------------------------------------------------------------


@dataclass
class AthenaResult:
    """One finished query: its id, state, statistics and every row (column -> text or None)."""

    query_id: str
    sql: str
    rows: list[dict[str, str | None]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    bytes_scanned: int = 0
    polls: int = 0
    pages: int = 0

    @property
    def cost(self) -> float:
        """Dollars at ``PRICE_PER_TB`` for the bytes Athena says it scanned."""
        return price(self.bytes_scanned)


def price(nbytes: int) -> float:
    """Athena's price for scanning ``nbytes`` (10 MB minimum, whole megabytes)."""
    billed = max(MIN_BILLED, -(-int(nbytes) // 10**6) * 10**6)
    return billed / TB * PRICE_PER_TB


def _call(call: Callable[[], Any], doing: str) -> Any:
    try:
        return call()
    except (ClientError, BotoCoreError) as exc:
        raise as_aws_error(exc, doing) from exc


def run_query(
    sql: str,
    workgroup: str,
    *,
    database: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    session: Any = None,
    client: Any = None,
    first_poll: float = 1.0,
    max_poll: float = 15.0,
    timeout: float = 900.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> AthenaResult:
    """Run ``sql`` in ``workgroup`` and return every result row.

    Polls GetQueryExecution from ``first_poll`` seconds, 1.5x longer each time up
    to ``max_poll``; past ``timeout`` the query is stopped and AwsError says
    so. FAILED or CANCELLED raise AwsError with Athena's reason.
    """
    athena = client or ro_client("athena", session=session, profile=profile, region=region)
    params: dict[str, Any] = {"QueryString": sql, "WorkGroup": workgroup}
    if database:
        params["QueryExecutionContext"] = {"Database": database}
    qid = _call(lambda: athena.start_query_execution(**params), "starting an Athena query")[
        "QueryExecutionId"
    ]
    shown = printable(qid)
    deadline, wait, polls = clock() + timeout, first_poll, 0
    while True:
        execution = _call(
            lambda: athena.get_query_execution(QueryExecutionId=qid), "waiting for an Athena query"
        )["QueryExecution"]
        polls += 1
        status = execution.get("Status") or {}
        state = status.get("State")
        if state in TERMINAL:
            break
        if clock() + wait > deadline:
            _call(
                lambda: athena.stop_query_execution(QueryExecutionId=qid),
                "stopping an Athena query",
            )
            raise AwsError(
                f"Athena query {shown} still {printable(str(state))} after "
                f"{timeout:.0f}s; stopped it (pass a longer wait, or a smaller "
                "window)"
            )
        sleep(wait)
        wait = min(wait * 1.5, max_poll)
    if state != "SUCCEEDED":
        reason = status.get("StateChangeReason") or "no reason given"
        raise AwsError(f"Athena query {shown} {state}: {printable(reason)}")
    scanned = int((execution.get("Statistics") or {}).get("DataScannedInBytes") or 0)
    result = AthenaResult(qid, sql, bytes_scanned=scanned, polls=polls)
    _fetch(athena, result, ddl=execution.get("StatementType") == "DDL")
    return result


def _fetch(athena: Any, result: AthenaResult, ddl: bool) -> None:
    """Page through GetQueryResults; a SELECT's first row repeats the column names."""
    token = None
    while True:
        params = {
            "QueryExecutionId": result.query_id,
            "MaxResults": 1000,
            **({"NextToken": token} if token else {}),
        }
        page = _call(lambda p=params: athena.get_query_results(**p), "reading Athena results")
        result.pages += 1
        rs = page.get("ResultSet") or {}
        if not result.columns:
            info = (rs.get("ResultSetMetadata") or {}).get("ColumnInfo") or []
            result.columns = [c.get("Name") or c.get("Label") for c in info]
        rows = rs.get("Rows") or []
        if result.pages == 1 and rows and not ddl:
            rows = rows[1:]  # the header row
        for row in rows:
            cells = [d.get("VarCharValue") for d in row.get("Data") or []]
            result.rows.append(dict(zip(result.columns, cells, strict=False)))
        token = page.get("NextToken")
        if not token:
            return


# --- what a query will scan ---------------------------------------------------------------------


@dataclass
class Estimate:
    """Bytes a query is expected to scan, and how that was found."""

    partitions: int
    bytes: int
    how: str

    @property
    def cost(self) -> float:
        return price(self.bytes)


SAMPLED_PARTITIONS = 24  # partitions listed in S3 to measure (the rest are scaled from them)


def estimate(
    partitions: list[tuple[str, str, str]],
    *,
    partition_bytes: int | None = None,
    layout: TrailLayout | None = None,
    s3: Any = None,
) -> Estimate:
    """Partitions touched x their size: given (``partition_bytes``) or measured in S3.

    Measured: the objects under up to ``SAMPLED_PARTITIONS`` of the partitions
    (spread evenly) are listed and their sizes (compressed, as Athena bills)
    scaled to all of them.
    """
    n = len(partitions)
    if partition_bytes is not None:
        if partition_bytes < 0:
            raise InputError(f"--partition-bytes must be 0 or more (got {partition_bytes})")
        return Estimate(
            n, n * partition_bytes, f"{n} partitions x {partition_bytes:,} bytes (given)"
        )
    if layout is None or s3 is None:
        raise InputError(
            "no partition size to estimate with: pass --partition-bytes N "
            "(typical bytes of one account-Region-day), or credentials to measure"
        )
    if n == 0:
        return Estimate(0, 0, "no partition touched")
    step = max(1, n // SAMPLED_PARTITIONS)
    sample = partitions[::step][:SAMPLED_PARTITIONS]
    total = 0
    for account, region, day in sample:
        prefix = f"{layout.root_key}{account}/CloudTrail/{region}/{day}/"
        token = None
        while True:
            params = {
                "Bucket": layout.bucket,
                "Prefix": prefix,
                **({"ContinuationToken": token} if token else {}),
            }
            page = _call(lambda p=params: s3.list_objects_v2(**p), "measuring the trail")
            total += sum(int(o.get("Size") or 0) for o in page.get("Contents", []))
            token = page.get("NextContinuationToken")
            if not token:
                break
    scaled = total * n // len(sample)
    return Estimate(
        n, scaled, f"{n} partitions, {len(sample)} measured in S3 ({total:,} bytes), scaled"
    )
