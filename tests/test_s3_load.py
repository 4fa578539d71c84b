"""Loading s3://bucket/prefix against moto: pruned listing, parallel fetch, ETag cache, failures."""

from __future__ import annotations

import gzip
import json

import boto3
import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from conftest import make_record, utc
from moto import mock_aws

from iamlab.errors import AwsError
from iamlab.escape import printable

BUCKET = "trail-bucket"
A, B = "111122223333", "444455556666"


@pytest.fixture
def aws(monkeypatch):
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


class Calls:
    """Records the S3 operations a boto3 session makes (a botocore event hook)."""

    def __init__(self, session: boto3.Session) -> None:
        self.gets: list[str] = []
        self.lists: list[str] = []
        session.events.register("provide-client-params.s3.GetObject", self._get)
        session.events.register("provide-client-params.s3.ListObjectsV2", self._list)

    def _get(self, params, **_):
        self.gets.append(params["Key"])

    def _list(self, params, **_):
        self.lists.append(params.get("Prefix", ""))


def put_log(s3, account, region, day, n=2, org=None, prefix="logs/", minute=30):
    key = (
        f"{prefix}AWSLogs/{org + '/' if org else ''}{account}/CloudTrail/{region}/"
        f"{day:%Y/%m/%d}/{account}_CloudTrail_{region}_{day:%Y%m%d}T10{minute:02d}Z_abcdEFGH{minute:08d}.json.gz"
    )
    records = [make_record(day.replace(hour=10, minute=i), account, region) for i in range(n)]
    s3.put_object(
        Bucket=BUCKET, Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode())
    )
    return key, records


def session():
    return boto3.Session(region_name="us-east-1")


def test_listing_is_pruned_by_account_region_and_date_before_download(aws, workspace):
    keys = {}
    for acct in (A, B):
        for region in ("us-east-1", "eu-west-1"):
            for d in (1, 5, 9):
                keys[(acct, region, d)] = put_log(aws, acct, region, utc(2026, 3, d))[0]
    put_log(aws, A, "us-east-1", utc(2026, 3, 5), org="o-abcdefghij")
    sess = session()
    calls = Calls(sess)
    report = workspace.load(
        f"s3://{BUCKET}/logs/",
        accounts=[A],
        regions=["us-east-1"],
        since="2026-03-05T00:00:00Z",
        until="2026-03-05T23:59:59Z",
        session=sess,
        progress=False,
    )
    # day 1 and day 9 are more than a day of slack away from the window
    expected = {
        keys[(A, "us-east-1", 5)],
        f"logs/AWSLogs/o-abcdefghij/{A}/CloudTrail/us-east-1/2026/03/05/"
        f"{A}_CloudTrail_us-east-1_20260305T1030Z_abcdEFGH00000030.json.gz",
    }
    assert set(calls.gets) == expected
    assert not any(B in p for p in calls.lists)  # account B's folder was never listed into
    assert not any("eu-west-1" in p for p in calls.lists)
    assert report.loaded == 4 and report.downloaded == 2 and report.reconciles
    sources = set(workspace.sql("SELECT DISTINCT source FROM events").source)
    assert sources == {f"s3://{BUCKET}/{k}" for k in expected}


def test_second_run_downloads_nothing_and_a_changed_object_is_fetched_again(aws, workspace):
    k1, recs1 = put_log(aws, A, "us-east-1", utc(2026, 3, 1))
    k2, _ = put_log(aws, A, "us-east-1", utc(2026, 3, 2))
    sess = session()
    calls = Calls(sess)
    first = workspace.load(f"s3://{BUCKET}/logs", session=sess, progress=False)
    assert first.downloaded == 2 and first.loaded == 4
    assert (workspace.path / "evidence" / "s3" / BUCKET / k1).is_file()
    # the raw record is re-read from the workspace's cached copy, not from S3
    calls.gets.clear()
    assert workspace.raw(recs1[1]["eventID"]) == recs1[1] and calls.gets == []
    calls.gets.clear()
    second = workspace.load(f"s3://{BUCKET}/logs", session=sess, progress=False)
    assert calls.gets == [] and second.downloaded == 0
    assert (second.loaded, second.duplicates) == (0, 4)
    # a new version of k2 (new ETag) is downloaded again, k1 is not
    aws.put_object(
        Bucket=BUCKET,
        Key=k2,
        Body=gzip.compress(json.dumps({"Records": [make_record(utc(2026, 3, 2, 12))]}).encode()),
    )
    third = workspace.load(f"s3://{BUCKET}/logs", session=sess, progress=False)
    assert calls.gets == [k2] and third.downloaded == 1 and third.loaded == 1


def test_listing_follows_pagination_past_1000_objects(aws, workspace):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    body = gzip.compress(json.dumps({"Records": []}).encode())
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]  # straight into moto: 1,005 PUTs are slow
    for i in range(1005):
        key = (
            f"AWSLogs/{A}/CloudTrail/us-east-1/2026/03/01/"
            f"{A}_CloudTrail_us-east-1_20260301T1000Z_{i:016d}.json.gz"
        )
        backend.put_object(BUCKET, key, body)
    last_key, records = put_log(aws, A, "us-east-1", utc(2026, 3, 1), n=3, prefix="", minute=59)
    sess = session()
    calls = Calls(sess)
    report = workspace.load(f"s3://{BUCKET}", session=sess, progress=False)
    assert len(calls.lists) >= 2  # the paginator asked for a second page
    assert len(calls.gets) == 1006 and last_key in calls.gets
    assert report.loaded == 3 and report.sources[0].files == 1006 and report.reconciles


def test_object_that_vanishes_between_list_and_get_is_rejected_and_others_load(aws, workspace):
    gone, _ = put_log(aws, A, "us-east-1", utc(2026, 3, 1))
    kept, records = put_log(aws, A, "us-east-1", utc(2026, 3, 2))
    sess = session()

    def delete_first(params, **_):
        if params["Key"] == gone:
            aws.delete_object(Bucket=BUCKET, Key=gone)  # someone else's lifecycle rule, say

    sess.events.register("provide-client-params.s3.GetObject", delete_first)
    report = workspace.load(f"s3://{BUCKET}/logs/", session=sess, progress=False)
    rej = workspace.sql("SELECT * FROM rejected")
    assert list(rej.source) == [f"s3://{BUCKET}/{gone}"]
    assert "vanished" in rej.reason[0] and "NoSuchKey" in rej.reason[0]
    assert report.loaded == 2 and report.rejected_count == 1 and report.reconciles
    assert set(workspace.sql("SELECT event_id FROM events").event_id) == {
        r["eventID"] for r in records
    }


class _Denied:
    status_code = 403


def _deny(operation: str):
    def handler(**_):
        return _Denied(), {
            "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    return handler


def test_access_denied_listing_names_the_bucket_and_s3_listbucket(aws, workspace):
    put_log(aws, A, "us-east-1", utc(2026, 3, 1))
    sess = session()
    # botocore's before-call hook answers instead of the service: the client
    # raises the same ClientError a real 403 would produce
    sess.events.register("before-call.s3.ListObjectsV2", _deny("ListObjectsV2"))
    with pytest.raises(AwsError) as err:
        workspace.load(f"s3://{BUCKET}/logs/", session=sess, progress=False)
    assert BUCKET in str(err.value) and "s3:ListBucket" in str(err.value)


def test_access_denied_on_every_object_names_s3_getobject(aws, workspace):
    put_log(aws, A, "us-east-1", utc(2026, 3, 1))
    sess = session()
    sess.events.register("before-call.s3.GetObject", _deny("GetObject"))
    with pytest.raises(AwsError) as err:
        workspace.load(f"s3://{BUCKET}/logs/", session=sess, progress=False)
    assert BUCKET in str(err.value) and "s3:GetObject" in str(err.value)


def test_only_read_operations_can_be_sent(aws):
    from iamlab.errors import ReadOnlyViolation
    from iamlab.trail.s3 import make_client

    client = make_client(session=session())
    with pytest.raises(ReadOnlyViolation):
        client.delete_object(Bucket=BUCKET, Key="anything")


# --- key names are written by whoever can put an object in the bucket --------------------------

GOOD = (
    f"AWSLogs/{A}/CloudTrail/us-east-1/2026/03/01/{A}_CloudTrail_us-east-1_20260301T1000Z_g.json.gz"
)
HOSTILE = {
    "../../../../victim.json.gz": "'..' segment",
    f"AWSLogs/{A}/../../../../../outside.json.gz": "'..' segment",
    "/etc/cron.d/x.json.gz": "starts with '/'",
    "a\\..\\..\\..\\..\\win.json.gz": "backslash",
    "nul\x00byte.json.gz": "control character",
    "osc\x1b]0;pwned\x07.json.gz": "control character",
    "bidi/\u202egz.nosj.json.gz": "unprintable",
    f"AWSLogs/{A}//merged.json.gz": "empty segment",
    f"AWSLogs/{A}/./merged.json.gz": "'.' segment",
    "long/" + "x" * 300 + ".json.gz": "longer than 255 bytes",
}


def _body(n: int = 1) -> bytes:
    records = [make_record(utc(2026, 3, 1, 10, i)) for i in range(n)]
    return gzip.compress(json.dumps({"Records": records}).encode())


def _files(folder) -> set:
    return {p for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


@pytest.mark.parametrize("key,why", list(HOSTILE.items()))
def test_cache_path_refuses_a_key_that_would_leave_or_merge_its_folder(tmp_path, key, why):
    from iamlab.errors import InputError
    from iamlab.trail.s3 import cache_path

    with pytest.raises(InputError) as err:
        cache_path(tmp_path, "trail-bucket", key)
    message = str(err.value)
    assert why in message and "nothing was written" in message
    assert "\x00" not in message and "\x1b" not in message  # the key is shown escaped


def test_cache_path_keeps_ordinary_and_odd_but_harmless_keys_verbatim_inside_the_root(tmp_path):
    from iamlab.trail.s3 import cache_path

    for key in (
        GOOD,
        "%2e%2e/%2E%2E/pct.json.gz",
        "..json.gz",
        "a/...json.gz",
        "ünïcode/ключ.json.gz",
        "x" * 255,
    ):
        path = cache_path(tmp_path, "trail-bucket", key)
        assert path == tmp_path / "trail-bucket" / key  # no normalising: one key, one file
        assert path.resolve().is_relative_to(tmp_path.resolve())


@pytest.mark.parametrize("bucket", ["..", ".", "a/b", "../x", "", "b\x00", "-dash", "a..b"])
def test_bucket_names_that_are_not_bucket_names_are_refused(tmp_path, bucket):
    from iamlab.errors import InputError
    from iamlab.trail.s3 import cache_path, parse_url

    with pytest.raises(InputError):
        cache_path(tmp_path, bucket, GOOD)
    if "/" not in bucket and bucket:
        with pytest.raises(InputError, match="Not an S3 bucket name"):
            parse_url(f"s3://{bucket}/logs/")


def test_hostile_keys_are_rejected_by_name_and_nothing_is_written_outside_the_workspace(
    aws, tmp_path
):
    from iamlab.workspace import Workspace

    victim = tmp_path / "victim.json.gz"
    victim.write_bytes(b"the analyst's own file")
    aws.put_object(Bucket=BUCKET, Key=GOOD, Body=_body(2))
    aws.put_object(Bucket=BUCKET, Key="%2e%2e/%2e%2e/pct.json.gz", Body=_body(1))
    for key in HOSTILE:
        aws.put_object(Bucket=BUCKET, Key=key, Body=_body(1))
    before = _files(tmp_path)
    with Workspace(tmp_path / "ws") as ws:
        report = ws.load(f"s3://{BUCKET}", session=session(), progress=False)
        rejected = ws.sql("SELECT source, reason FROM rejected ORDER BY source")
    new = _files(tmp_path) - before
    assert new and all(p.is_relative_to(tmp_path / "ws") for p in new)
    assert victim.read_bytes() == b"the analyst's own file"
    cache = tmp_path / "ws" / "evidence" / "s3" / BUCKET
    assert _files(cache) == {cache / GOOD, cache / "%2e%2e/%2e%2e/pct.json.gz"}
    # every hostile key is one rejected row that names it (escaped) and says why
    assert len(rejected) == len(HOSTILE)
    for key, why in HOSTILE.items():
        (reason,) = [r for r in rejected.reason if printable(key) in r]
        assert why in reason
    assert not any("\x00" in s or "\x1b" in s for s in [*rejected.source, *rejected.reason])
    assert (report.loaded, report.rejected_count, report.downloaded) == (3, len(HOSTILE), 2)
    assert report.reconciles
    assert "\x1b" not in str(report)


def test_a_symlink_in_the_cache_that_leads_outside_is_not_followed(aws, tmp_path):
    from iamlab.workspace import Workspace

    outside = tmp_path / "outside"
    outside.mkdir()
    cache = tmp_path / "ws" / "evidence" / "s3" / BUCKET
    cache.mkdir(parents=True)
    (cache / "AWSLogs").symlink_to(outside, target_is_directory=True)
    aws.put_object(Bucket=BUCKET, Key=GOOD, Body=_body(1))
    with Workspace(tmp_path / "ws") as ws:
        report = ws.load(f"s3://{BUCKET}", session=session(), progress=False)
        (reason,) = ws.sql("SELECT reason FROM rejected").reason
    assert list(outside.iterdir()) == []
    assert "symbolic link" in reason and report.loaded == 0 and report.reconciles


def test_a_key_with_a_255_byte_name_is_downloaded_and_loaded(aws, workspace):
    key = f"AWSLogs/{A}/CloudTrail/us-east-1/2026/03/01/" + "n" * 247 + ".json.gz"  # 255 bytes
    aws.put_object(Bucket=BUCKET, Key=key, Body=_body(2))
    report = workspace.load(f"s3://{BUCKET}", session=session(), progress=False)
    assert (report.loaded, report.rejected_count) == (2, 0)
    assert (workspace.path / "evidence" / "s3" / BUCKET / key).is_file()
