"""Fetch CloudTrail files from ``s3://bucket/prefix``, listing only what can match.

The listing walks the AWSLogs key layout one folder level at a time (S3
``Delimiter='/'``) and does not descend into accounts, regions or days the
filter rules out, so a narrow load lists and downloads little. Objects are
fetched in parallel into ``<workspace>/evidence/s3/<bucket>/<key>`` and
remembered with their ETag in the ``s3_objects`` table: a rerun downloads
nothing that did not change. Key names are written by whoever can put an
object in the bucket, so ``cache_path`` refuses any key that would not land
exactly at ``<bucket>/<key>`` inside the cache (a ``rejected`` row, nothing
written). The client comes from ``iamlab.aws.readonly``, the one door to
AWS: only its allow-listed reads can be sent.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from iamlab.errors import AwsError, InputError
from iamlab.escape import printable
from iamlab.trail.discover import EVIDENCE_SUFFIXES, Discovered, classify
from iamlab.trail.layout import Filter, path_may_match, skip_reason_for_name

WORKERS = 8


NAME_MAX = 255  # bytes per path component on Linux, macOS and Windows file systems
# S3 bucket names: 3-63 of [a-z0-9.-] today; older us-east-1 buckets may also hold
# upper case and "_" and run to 255 characters. The first character is never a dot.
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix); InputError for anything else."""
    if not url.startswith("s3://") or len(url) <= 5 or url[5] == "/":
        raise InputError(
            f"Not an S3 URL: '{printable(url)}'; write s3://bucket or s3://bucket/prefix/"
        )
    bucket, _, prefix = url[5:].partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise InputError(
            f"Not an S3 bucket name: '{printable(bucket)}' in '{printable(url)}'; a bucket "
            "name holds letters, digits, '.', '-' and '_' and starts with a letter or digit"
        )
    return bucket, prefix


def _key_problem(key: str) -> str | None:
    """Why ``key`` cannot be stored as ``<bucket>/<key>`` verbatim, or None if it can."""
    if not key:
        return "the key is empty"
    if "\\" in key:
        return "it holds a backslash (a folder separator on Windows)"
    if not key.isprintable():  # shown in reports and kept as events.source: printable only
        return (
            "it holds a control character or another unprintable one (NUL, newline, ESC, "
            "a bidirectional override, ...)"
        )
    if key.startswith("/"):
        return "it starts with '/' (an absolute path)"
    for part in key.split("/"):
        if part in (".", ".."):
            return f"it has a {part!r} segment, which would move out of its folder"
        if part == "":
            return "it has an empty segment ('//'), which a file path would merge away"
        if len(part.encode("utf-8", "surrogatepass")) > NAME_MAX:
            return f"a segment is longer than {NAME_MAX} bytes, the file system's name limit"
    return None


def cache_path(root: Path, bucket: str, key: str) -> Path:
    """Return where S3 object ``bucket``/``key`` is kept under ``root``; InputError if unsafe.

    The path is ``root / bucket / key`` exactly, never a normalised form: a
    key that would need normalising (``..``, ``.``, ``//``, a leading ``/``),
    that a file system would read differently (backslash, NUL and other
    control characters), that a terminal would act on (any unprintable
    character) or that a file system could not store (a segment over 255
    bytes) is refused, so two different keys never share a file, no key
    leaves ``root``, and every cached key prints as it is. A symbolic link
    already inside ``root`` that points out of it is refused too.

    Example: ``cache_path(Path("ws/evidence/s3"), "trail", "AWSLogs/1/x.json.gz")``.
    """
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise InputError(f"refused S3 bucket name '{printable(bucket)}': not a bucket name")
    problem = _key_problem(key)
    if problem:
        raise InputError(
            f"refused S3 key '{printable(key)}': {problem}; nothing was written for it"
        )
    path = root / bucket / key
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
        raise InputError(
            f"refused S3 key '{printable(key)}': a symbolic link in {root} leads out of it; "
            "nothing was written for it"
        )
    return path


def make_client(session: Any = None, profile: str | None = None, region: str | None = None) -> Any:
    """An S3 client from ``iamlab.aws``'s read-only factory (``session``, ``profile`` or the chain).

    The factory's allow-list is the only one: listing and downloading are the
    S3 operations it allows here, anything else is refused before it is sent.
    """
    from iamlab.aws.readonly import client

    return client("s3", session=session, profile=profile, region=region)


def _denied(exc: Any) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in ("AccessDenied", "AllAccessDisabled", "403", "Forbidden")


def _code(exc: Any) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def list_objects(client: Any, bucket: str, prefix: str, flt: Filter, out: Discovered) -> list[dict]:
    """Objects under ``prefix`` that may hold matching records (pruned by the key layout)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from iamlab.aws.failures import as_aws_error

    found: list[dict] = []
    paginator = client.get_paginator("list_objects_v2")

    def walk(pfx: str) -> None:
        delimiter = "" if flt.empty else "/"
        kwargs = {"Bucket": bucket, "Prefix": pfx}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        for page in paginator.paginate(**kwargs):
            for obj in page.get("Contents", []):
                found.append(obj)
            for cp in page.get("CommonPrefixes", []):
                sub = cp["Prefix"]
                parts = [bucket, *[p for p in sub.split("/") if p]]
                reason = skip_reason_for_name([*parts, ""])
                if reason:
                    out.skipped.append((f"s3://{bucket}/{printable(sub)}", reason))
                elif path_may_match(parts, flt):
                    walk(sub)
                else:
                    out.pruned += 1

    where = f"s3://{bucket}/{printable(prefix)}"
    try:
        walk(prefix)
    except ClientError as exc:
        code = _code(exc)
        if _denied(exc):
            raise AwsError(
                f"Access denied listing {where}: your credentials need "
                f"s3:ListBucket on arn:aws:s3:::{bucket} (and s3:GetObject on its objects); "
                "ask for read access or use --profile with a role that has it"
            ) from exc
        if code == "NoSuchBucket":
            raise InputError(f"No such S3 bucket: {bucket!r}; check the name in {where}") from exc
        raise as_aws_error(exc, f"listing {where}") from exc
    except BotoCoreError as exc:
        raise as_aws_error(exc, f"listing {where}") from exc
    return found


def fetch(
    url: str,
    arg: int,
    flt: Filter,
    cache_dir: Path,
    con: duckdb.DuckDBPyConnection,
    client: Any,
) -> tuple[Discovered, int]:
    """List, prune and download ``url``; return the local files and how many were downloaded.

    Objects that fail individually (vanished between list and get, denied by a
    key policy) become ``out.rejects``; AwsError when every object is denied.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from iamlab.aws.failures import describe

    bucket, prefix = parse_url(url)
    out = Discovered()
    objects = list_objects(client, bucket, prefix, flt, out)
    wanted: list[dict] = []
    for obj in objects:
        key = obj["Key"]
        if key.endswith("/") or not key.lower().endswith(EVIDENCE_SUFFIXES):
            continue
        try:
            local = cache_path(cache_dir, bucket, key)
        except InputError as exc:
            out.rejects.append((f"s3://{bucket}/{printable(key)}", "object", str(exc)))
            continue
        source = f"s3://{bucket}/{key}"
        before = len(out.files)
        classify(str(local), source, int(obj.get("Size", 0)), arg, out, flt)
        if len(out.files) > before:
            wanted.append(obj)
    cached = {
        key: (etag, path)
        for key, etag, path in con.execute(
            "SELECT key, etag, local_path FROM s3_objects WHERE bucket = $b", {"b": bucket}
        ).fetchall()
    }
    lock = threading.Lock()
    done: list[tuple[str, str, int, str]] = []
    errors: dict[str, tuple[str, bool]] = {}

    def get(obj: dict) -> None:
        key, etag = obj["Key"], obj.get("ETag", "")
        local = cache_path(cache_dir, bucket, key)  # checked when listed
        hit = cached.get(key)
        if hit and hit[0] == etag and local.exists():
            return
        try:
            resp = client.get_object(Bucket=bucket, Key=key)
            local.parent.mkdir(parents=True, exist_ok=True)
            # a short unique name beside the target: a key's own name may be 255 bytes
            fd, tmp = tempfile.mkstemp(prefix=".part-", dir=local.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    for chunk in resp["Body"].iter_chunks(1 << 20):
                        f.write(chunk)
                os.replace(tmp, local)
            except BaseException:
                os.unlink(tmp)
                raise
            with lock:
                done.append((key, resp.get("ETag", etag), local.stat().st_size, str(local)))
        except ClientError as exc:
            code = _code(exc)
            if code in ("NoSuchKey", "404"):
                reason = "object vanished between listing and download (NoSuchKey)"
            elif _denied(exc):
                reason = (
                    f"access denied: s3:GetObject on arn:aws:s3:::{bucket}/"
                    f"{printable(key)} ({printable(code)})"
                )
            else:
                reason = f"download failed: {printable(code) if code else describe(exc)}"
            with lock:
                errors[key] = (reason, _denied(exc))
        except (BotoCoreError, OSError) as exc:
            with lock:
                errors[key] = (f"download failed: {describe(exc)}", False)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(get, wanted))
    if wanted and len(errors) == len(wanted) and all(d for _, d in errors.values()):
        raise AwsError(
            f"Access denied reading objects in s3://{bucket}/{printable(prefix)}: your "
            "credentials can list "
            f"the bucket but need s3:GetObject on arn:aws:s3:::{bucket}/* (and kms:Decrypt if "
            "the trail uses SSE-KMS)"
        )
    if done:
        fetched = pa.table(
            {
                "bucket": [bucket] * len(done),
                "key": [d[0] for d in done],
                "etag": [d[1] for d in done],
                "size": [d[2] for d in done],
                "local_path": [d[3] for d in done],
                "fetched_at": pa.array(
                    [datetime.now(timezone.utc)] * len(done), pa.timestamp("us", "UTC")
                ),
            }
        )
        con.register("fetched_objects", fetched)
        try:
            con.execute("INSERT OR REPLACE INTO s3_objects SELECT * FROM fetched_objects")
        finally:
            con.unregister("fetched_objects")
    keep = []
    for item in out.files:
        key = item.source[len(f"s3://{bucket}/") :]
        if key in errors:
            out.rejects.append((item.source, "object", errors[key][0]))
            continue
        item.size = os.path.getsize(item.path)
        keep.append(item)
    out.files = keep
    return out, len(done)
