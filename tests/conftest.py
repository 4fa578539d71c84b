"""Shared fixtures: the third-party corpus, a fresh workspace, the sample's trail in a workspace,
and CloudTrail file writers."""

from __future__ import annotations

import gzip
import itertools
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "cloudtrail"
SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"

_ids = itertools.count(1)


@pytest.fixture
def corpus() -> Path:
    """The read-only corpus of real CloudTrail files (``../shared/corpus/cloudtrail``).

    It lives beside the repository, not in it: a clone without it skips these
    tests, but CI (``CI`` set) always has it, so there its absence fails.
    """
    if not CORPUS.is_dir():
        message = f"corpus not found at {CORPUS}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run with ../shared beside the checkout)")
        pytest.skip(message)
    return CORPUS


@pytest.fixture
def workspace(tmp_path):
    """A fresh ``Workspace`` in a temporary folder, closed after the test."""
    from iamlab.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    yield ws
    ws.close()


def sample_trail_workspace(path: Path) -> Path:
    """Load the bundled sample's S3-layout trail into a new workspace at ``path``; return it.

    Module-scoped fixtures call it once per file (diagnosing then writes to that workspace).
    """
    from iamlab.workspace import Workspace

    with Workspace(path) as ws:
        ws.load(str(SAMPLE_DATA / "cloudtrail"), progress=False)
    return path


def make_record(
    when: datetime | str = "2026-03-02T10:00:00Z",
    account: str = "111122223333",
    region: str = "us-east-1",
    **fields,
) -> dict:
    """A plausible CloudTrail record with a fresh eventID; ``fields`` override keys."""
    n = next(_ids)
    if isinstance(when, datetime):
        when = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:alice",
            "arn": f"arn:aws:sts::{account}:assumed-role/dev/alice",
            "accountId": account,
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": f"arn:aws:iam::{account}:role/dev",
                    "accountId": account,
                    "userName": "dev",
                },
                "attributes": {"creationDate": "2026-03-01T00:00:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": when,
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"bucketName": "reports", "key": f"q{n}.csv"},
        "responseElements": None,
        "requestID": f"req-{n:08d}",
        "eventID": f"00000000-0000-4000-8000-{n:012d}",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": account,
        "eventCategory": "Data",
    }
    record.update(fields)
    return record


def trail_path(
    root: Path,
    account: str,
    region: str,
    delivered: datetime,
    org: str | None = None,
    suffix: str = ".json.gz",
    unique: str | None = None,
) -> Path:
    """The S3 export path of a log file delivered at ``delivered`` (aws-facts.md 3.1)."""
    unique = unique or f"U{next(_ids):015d}"
    parts = (
        [root, "AWSLogs"]
        + ([org] if org else [])
        + [account, "CloudTrail", region, f"{delivered:%Y}", f"{delivered:%m}", f"{delivered:%d}"]
    )
    folder = Path(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{unique}{suffix}"


def write_trail_file(path: Path, records: list[dict]) -> Path:
    """Write ``{"Records": records}`` to ``path``, gzipped when it ends with .gz."""
    data = json.dumps({"Records": records}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def write_day(
    root: Path, account: str, region: str, day: datetime, n: int = 3, **kw
) -> tuple[Path, list[dict]]:
    """One log file for ``day`` (records at 10:00 + i min), delivered at 10:30.

    Returns (path, records).
    """
    records = [make_record(day.replace(hour=10, minute=i), account, region, **kw) for i in range(n)]
    path = trail_path(root, account, region, day.replace(hour=10, minute=30))
    return write_trail_file(path, records), records


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


__all__ = ["make_record", "trail_path", "write_trail_file", "write_day", "utc", "timedelta"]
