"""Collect resource-based policies: S3 buckets, KMS keys, Lambda functions, SQS
queues, SNS topics, Secrets Manager secrets, DynamoDB tables and streams and ECR
repositories, one file each, with their tags.

Each file is ``{"Arn", "Policy", "Source", "Tags", "TagsSource"}``; ``Policy``
is the document as a JSON object, or null when the resource has none (that is
evidence too: a cross-account call to a bucket without a policy is denied).
DynamoDB and ECR answer "no policy" with an error, and such a resource gets no
file: the manifest's ``resource_policy_services`` says the service was read.
``Tags`` is the tag call's own output (``TagsSource`` names it), so that
``aws:ResourceTag/*`` conditions evaluate; it is absent when that call failed
(the failure is in the manifest).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore import xform_name

from iamlab.aws._calls import NO_POLICY_CODES, Recorder, safe_name, write_json

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
    (``NoSuchTagSet``): then ``empty`` is its output. Paged tag calls (KMS,
    DynamoDB) are read to the end and their ``Tags`` lists merged.
    """
    service = client.meta.service_model.service_name
    got: dict[str, Any] | None
    if client.can_paginate(xform_name(op)):
        before = len(rec.failed)
        pages = list(rec.pages(client, op, account, **params))
        got = {"Tags": [t for page in pages for t in page.get("Tags", [])]}
        ok = len(rec.failed) == before
    else:
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


@dataclass(frozen=True)
class Found:
    """One resource a list call returned: its file name, ARN and how to ask for its policy."""

    name: str
    arn: str
    params: dict[str, Any]  # the policy call's parameters
    tag_params: dict[str, Any] | None = None  # the tag call's parameters (None: no tag call)
    tags: dict[str, Any] | None = None  # tags the list call already gave, with their source


Lister = Callable[[Recorder, Any, str], Iterator[Found]]


@dataclass(frozen=True)
class PolicyReader:
    """How one service's resource policies are read: list the resources, get each policy.

    An error of the policy call in ``null_if`` means "this resource has no policy"
    and its file says ``"Policy": null``; one in ``none_if`` means the same, and
    no file is written (a reader gives one of the two). Any other error is a
    failed call in the manifest.
    """

    service: str  # botocore's name, the ARN's service prefix and the folder name
    lister: Lister
    get_op: str
    policy_at: str  # where the policy call's answer holds it: "Policy", "Attributes.Policy"
    tags: tuple[str, dict[str, Any]] | None = None  # the tag call, its answer for "no tags"
    null_if: frozenset = frozenset()
    none_if: frozenset = frozenset()
    arn_at: str | None = None  # where the answer holds the ARN, when it does


def _at(answer: dict[str, Any] | None, path: str | None) -> Any:
    """Return the value at a dotted ``path`` of a call's answer (None when absent)."""
    if not path:
        return None
    value: Any = answer
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# The ARN parameter of each listed service's tag call (Secrets Manager lists its tags).
TAG_PARAMETER = {"lambda": "Resource", "sns": "ResourceArn", "ecr": "resourceArn"}


def _listed(op: str, key: str, arn: str, name: str | None, get_arn: str | None = None) -> Lister:
    """A lister paging through ``op``: each item under ``key`` is a resource.

    ``arn``/``name``: the item's fields (no name: the ARN's last part). The policy
    call takes ``{name: <name>}``, or ``{get_arn: <ARN>}``. The item's own ``Tags``
    are its tags when it lists them (ListSecrets); else ``TAG_PARAMETER`` names the
    tag call's ARN parameter.
    """

    def lister(rec: Recorder, client: Any, account: str) -> Iterator[Found]:
        service = client.meta.service_model.service_name
        for page in rec.pages(client, op, account):
            for item in page.get(key, []):
                resource_arn = item[arn]
                label = item[name] if name else resource_arn.rsplit(":", 1)[-1]
                tag_by = TAG_PARAMETER.get(service)
                yield Found(
                    label,
                    resource_arn,
                    {get_arn: resource_arn} if get_arn else {str(name): label},
                    {tag_by: resource_arn} if tag_by else None,
                    # absent from the item when the resource has no tags
                    None
                    if tag_by
                    else {"Tags": {"Tags": item.get("Tags", [])}, "TagsSource": f"{service}:{op}"},
                )

    return lister


def _queues(rec: Recorder, client: Any, account: str) -> Iterator[Found]:
    """Each queue: ListQueues gives URLs only (GetQueueAttributes gives the ARN)."""
    for page in rec.pages(client, "ListQueues", account):
        for url in page.get("QueueUrls", []):
            name = url.rstrip("/").rsplit("/", 1)[-1]
            yield Found(
                name,
                f"arn:aws:sqs:{client.meta.region_name}:{account}:{name}",
                {"QueueUrl": url, "AttributeNames": ["Policy", "QueueArn"]},
                {"QueueUrl": url},
            )


def _dynamodb_tables(rec: Recorder, client: Any, account: str) -> Iterator[Found]:
    """Each table, and its latest stream (a stream's policy is its own, not the table's)."""
    for page in rec.pages(client, "ListTables", account):
        for name in page.get("TableNames", []):
            got = rec.call(client, "DescribeTable", account, TableName=name)
            table = (got or {}).get("Table") or {}
            if not table.get("TableArn"):
                continue  # the failure is in the manifest: dynamodb policies are unknown
            arn = table["TableArn"]
            yield Found(name, arn, {"ResourceArn": arn}, {"ResourceArn": arn})
            stream = table.get("LatestStreamArn")
            if stream:
                label = stream.rsplit("/", 1)[-1]
                yield Found(f"{name}-stream-{label}", stream, {"ResourceArn": stream})


READERS = (
    PolicyReader(
        "lambda",
        _listed("ListFunctions", "Functions", "FunctionArn", "FunctionName"),
        "GetPolicy",
        "Policy",
        ("ListTags", {"Tags": {}}),
        null_if=NO_POLICY_CODES,
    ),
    PolicyReader(
        "sqs",
        _queues,
        "GetQueueAttributes",
        "Attributes.Policy",
        ("ListQueueTags", {"Tags": {}}),
        arn_at="Attributes.QueueArn",
    ),
    PolicyReader(
        "sns",
        _listed("ListTopics", "Topics", "TopicArn", None, "TopicArn"),
        "GetTopicAttributes",
        "Attributes.Policy",
        ("ListTagsForResource", {"Tags": []}),
    ),
    # the policy only: GetSecretValue is refused by the read-only guard
    PolicyReader(
        "secretsmanager",
        _listed("ListSecrets", "SecretList", "ARN", "Name", "SecretId"),
        "GetResourcePolicy",
        "ResourcePolicy",
    ),
    PolicyReader(
        "dynamodb",
        _dynamodb_tables,
        "GetResourcePolicy",
        "Policy",
        ("ListTagsOfResource", {"Tags": []}),
        none_if=frozenset({"PolicyNotFoundException", "ResourceNotFoundException"}),
    ),
    # the caller's own registry (the account collected): no registryId needed
    PolicyReader(
        "ecr",
        _listed("DescribeRepositories", "repositories", "repositoryArn", "repositoryName"),
        "GetRepositoryPolicy",
        "policyText",
        ("ListTagsForResource", {"tags": []}),
        none_if=frozenset({"RepositoryPolicyNotFoundException", "RepositoryNotFoundException"}),
    ),
)
# Every service whose resource policies a collection reads (manifest "resource_policy_services").
SERVICES = tuple(sorted({"s3", "kms", *(reader.service for reader in READERS)}))


def collect_policies(
    rec: Recorder, client: Any, account: str, base: Path, reader: PolicyReader
) -> int:
    """Write the policy (and tags) of each resource ``reader`` lists; return how many files."""
    count = 0
    quiet = reader.null_if | reader.none_if
    for found in reader.lister(rec, client, account):
        got, ok = _fetch(rec, client, reader.get_op, account, quiet, **found.params)
        if not ok or (got is None and reader.none_if):
            continue
        tags = found.tags
        if tags is None and reader.tags and found.tag_params is not None:
            op, empty = reader.tags
            tags = _tags(rec, client, op, account, empty, **found.tag_params)
        arn = _at(got, reader.arn_at) or found.arn
        policy = _at(got, reader.policy_at)
        _save(
            base, reader.service, found.name, arn, policy, f"{reader.service}:{reader.get_op}", tags
        )
        count += 1
    return count


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
        count += collect_kms(rec, make("kms", region), account, base)
        tick()
        for reader in READERS:
            count += collect_policies(rec, make(reader.service, region), account, base, reader)
            tick()
    return count
