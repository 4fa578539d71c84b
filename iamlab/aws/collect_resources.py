"""Collect resource-based policies: S3 buckets, KMS keys, Lambda functions, SQS
queues, SNS topics and Secrets Manager secrets, one file each, with their tags.

Each file is ``{"Arn", "Policy", "Source", "Tags", "TagsSource"}``; ``Policy``
is the document as a JSON object, or null when the resource has none (that is
evidence too: a cross-account call to a bucket without a policy is denied).
``Tags`` is the tag call's own output (``TagsSource`` names it), so that
``aws:ResourceTag/*`` conditions evaluate; it is absent when that call failed
(the failure is in the manifest).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iamlab.aws._calls import NO_POLICY_CODES, Recorder, safe_name, write_json

SERVICES = ("s3", "kms", "lambda", "sqs", "sns", "secretsmanager")
# S3 answers GetBucketTagging on a bucket without tags with this error: no tags, no failure.
NO_TAG_CODES = NO_POLICY_CODES | {"NoSuchTagSet"}


def _document(text: Any) -> Any:
    """Return a policy string parsed as JSON (kept as text if it is not JSON)."""
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _save(
    base: Path,
    service: str,
    name: str,
    arn: str,
    policy: Any,
    source: str,
    extra: dict[str, Any] | None = None,
) -> None:
    body = {"Arn": arn, "Policy": _document(policy), "Source": source, **(extra or {})}
    path = base / service / f"{safe_name(name)}.json"
    if path.exists() and json.loads(path.read_text(encoding="utf-8")).get("Arn") != arn:
        region = arn.split(":")[3] or "global"  # same name in another Region
        path = path.with_name(f"{path.stem}@{region}.json")
    write_json(path, body)


def _fetch(
    rec: Recorder,
    client: Any,
    op: str,
    account: str,
    quiet: frozenset = NO_POLICY_CODES,
    **params: Any,
) -> tuple[dict[str, Any] | None, bool]:
    """Return (response or None, whether the call worked or just found no policy)."""
    before = len(rec.failed)
    got = rec.call(client, op, account, quiet=quiet, **params)
    return got, len(rec.failed) == before


def _tags(
    rec: Recorder, client: Any, op: str, account: str, empty: dict[str, Any], **params: Any
) -> dict[str, Any]:
    """Return ``{"Tags": <op's output>, "TagsSource"}``, or {} when the call failed.

    A resource without tags answers some tag calls with an error
    (``NoSuchTagSet``): then ``empty`` is its output.
    """
    service = client.meta.service_model.service_name
    got, ok = _fetch(rec, client, op, account, NO_TAG_CODES, **params)
    if not ok:
        return {}
    return {"Tags": got or empty, "TagsSource": f"{service}:{op}"}  # write_json drops metadata


def collect_s3(rec: Recorder, make: Callable[..., Any], account: str, base: Path) -> int:
    """Write every bucket's policy and tags (S3 is listed once per account, not per Region)."""
    s3 = make("s3", None)
    count = 0
    for page in rec.pages(s3, "ListBuckets", account):
        for bucket in page.get("Buckets", []):
            name = bucket["Name"]
            got, ok = _fetch(rec, s3, "GetBucketPolicy", account, Bucket=name)
            if ok:
                tags = _tags(rec, s3, "GetBucketTagging", account, {"TagSet": []}, Bucket=name)
                _save(
                    base,
                    "s3",
                    name,
                    f"arn:aws:s3:::{name}",
                    (got or {}).get("Policy"),
                    "s3:GetBucketPolicy",
                    tags,
                )
                count += 1
    return count


def collect_kms(rec: Recorder, client: Any, account: str, base: Path) -> int:
    """Write each customer key's ``default`` key policy, with its aliases."""
    aliases: dict[str, list[str]] = {}
    for page in rec.pages(client, "ListAliases", account):
        for alias in page.get("Aliases", []):
            if alias.get("TargetKeyId"):
                aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasArn"])
    count = 0
    for page in rec.pages(client, "ListKeys", account):
        for key in page.get("Keys", []):
            got = rec.call(
                client, "GetKeyPolicy", account, KeyId=key["KeyId"], PolicyName="default"
            )
            if got is not None:
                tags = _tags(
                    rec, client, "ListResourceTags", account, {"Tags": []}, KeyId=key["KeyId"]
                )
                _save(
                    base,
                    "kms",
                    key["KeyId"],
                    key["KeyArn"],
                    got.get("Policy"),
                    "kms:GetKeyPolicy",
                    {"Aliases": aliases.get(key["KeyId"], []), **tags},
                )
                count += 1
    return count


def collect_lambda(rec: Recorder, client: Any, account: str, base: Path) -> int:
    """Write each function's resource policy (null when it has none)."""
    count = 0
    for page in rec.pages(client, "ListFunctions", account):
        for fn in page.get("Functions", []):
            got, ok = _fetch(rec, client, "GetPolicy", account, FunctionName=fn["FunctionName"])
            if not ok:
                continue
            tags = _tags(rec, client, "ListTags", account, {"Tags": {}}, Resource=fn["FunctionArn"])
            _save(
                base,
                "lambda",
                fn["FunctionName"],
                fn["FunctionArn"],
                (got or {}).get("Policy"),
                "lambda:GetPolicy",
                tags,
            )
            count += 1
    return count


def collect_sqs(rec: Recorder, client: Any, account: str, base: Path) -> int:
    """Write each queue's policy attribute (null when it has none)."""
    count = 0
    for page in rec.pages(client, "ListQueues", account):
        for url in page.get("QueueUrls", []):
            got = rec.call(
                client,
                "GetQueueAttributes",
                account,
                QueueUrl=url,
                AttributeNames=["Policy", "QueueArn"],
            )
            if got is None:
                continue
            attrs = got.get("Attributes", {})
            name = url.rstrip("/").rsplit("/", 1)[-1]
            arn = attrs.get("QueueArn") or (
                f"arn:aws:sqs:{client.meta.region_name}:{account}:{name}"
            )
            tags = _tags(rec, client, "ListQueueTags", account, {"Tags": {}}, QueueUrl=url)
            _save(base, "sqs", name, arn, attrs.get("Policy"), "sqs:GetQueueAttributes", tags)
            count += 1
    return count


def collect_sns(rec: Recorder, client: Any, account: str, base: Path) -> int:
    """Write each topic's access policy."""
    count = 0
    for page in rec.pages(client, "ListTopics", account):
        for topic in page.get("Topics", []):
            arn = topic["TopicArn"]
            got = rec.call(client, "GetTopicAttributes", account, TopicArn=arn)
            if got is None:
                continue
            tags = _tags(rec, client, "ListTagsForResource", account, {"Tags": []}, ResourceArn=arn)
            _save(
                base,
                "sns",
                arn.rsplit(":", 1)[-1],
                arn,
                got.get("Attributes", {}).get("Policy"),
                "sns:GetTopicAttributes",
                tags,
            )
            count += 1
    return count


def collect_secrets(rec: Recorder, client: Any, account: str, base: Path) -> int:
    """Write each secret's resource policy (never its value: GetSecretValue is refused)."""
    count = 0
    for page in rec.pages(client, "ListSecrets", account):
        for secret in page.get("SecretList", []):
            got = rec.call(client, "GetResourcePolicy", account, SecretId=secret["ARN"])
            if got is None:
                continue
            # ListSecrets already lists each secret's tags (absent when it has none)
            tags = {
                "Tags": {"Tags": secret.get("Tags", [])},
                "TagsSource": "secretsmanager:ListSecrets",
            }
            _save(
                base,
                "secretsmanager",
                secret["Name"],
                secret["ARN"],
                got.get("ResourcePolicy"),
                "secretsmanager:GetResourcePolicy",
                tags,
            )
            count += 1
    return count


_REGIONAL = {
    "kms": collect_kms,
    "lambda": collect_lambda,
    "sqs": collect_sqs,
    "sns": collect_sns,
    "secretsmanager": collect_secrets,
}


def collect_resource_policies(
    rec: Recorder,
    make: Callable[..., Any],
    account: str,
    regions: list[str],
    base: Path,
    tick: Callable[[], None] = lambda: None,
) -> int:
    """Write every resource policy of one account; return how many files were written.

    ``make(service, region)`` returns a read-only client for this account.
    """
    count = collect_s3(rec, make, account, base)
    tick()
    for region in regions:
        for service, collector in _REGIONAL.items():
            count += collector(rec, make(service, region), account, base)
            tick()
    return count
