"""Resource policies of a snapshot, looked up by the ARN a request names.

Requests name resources more precisely than policies are stored: an S3
object belongs to its bucket's policy, a Lambda version or alias to its
function's policy, a KMS alias to its key, a DynamoDB index to its table (a
stream has a policy of its own), and
a Secrets Manager ARN may come with or without the random six-character suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamlab.errors import SnapshotError
from iamlab.policy.request import Policy
from iamlab.snapshot.files import decode_document, read_json
from iamlab.snapshot.principals import ArnParts

_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


@dataclass(frozen=True)
class ResourcePolicy:
    """One resource's policy (None when the resource has none) and its owning account.

    ``tags`` are the resource's tags when the file records them (``"Tags"``:
    the tag call's AWS CLI output), None when they were not collected.
    """

    arn: str
    account: str
    service: str
    policy: Policy | None
    source: Path
    tags: dict[str, str] | None = None


class ResourceIndex:
    """Every ``accounts/<id>/resource-policies/<service>/*.json`` of a snapshot."""

    def __init__(self, account_dirs: Iterable[tuple[str, Path]]) -> None:
        self.by_arn: dict[str, ResourcePolicy] = {}
        self.buckets: dict[str, ResourcePolicy] = {}
        self.secrets: dict[str, ResourcePolicy] = {}  # ARN without the random suffix
        self.kms_aliases: dict[str, str] = {}  # alias ARN -> key ARN
        self.endpoints: dict[str, ResourcePolicy] = {}  # VPC endpoint id -> its policy
        for account_id, account_dir in account_dirs:
            base = account_dir / "resource-policies"
            for path in sorted(base.glob("*/*.json")) if base.is_dir() else []:
                self._read(account_id, path.parent.name, path)

    def _read(self, account_id: str, service: str, path: Path) -> None:
        data = read_json(path)
        if isinstance(data, dict) and "Aliases" in data and "Policy" not in data:
            self._read_aliases(data["Aliases"], path)  # `aws kms list-aliases` output
            return
        if not isinstance(data, dict):
            raise SnapshotError(f'{path} must be an object {{"Arn", "Policy", "Source"}}')
        data = _from_cli_output(data)
        arn = data.get("Arn")
        if not arn and service == "s3":
            # `aws s3api get-bucket-policy` output saved as <bucket>.json
            arn = f"arn:aws:s3:::{path.stem}"
        if not isinstance(arn, str) or not arn.startswith("arn:"):
            raise SnapshotError(
                f'{path} has no "Arn"; resource policy files are '
                '{"Arn": "<resource ARN>", "Policy": <document or JSON text>, "Source": "..."}'
            )
        raw = data.get("Policy")
        policy = None
        if raw not in (None, "", {}):
            doc = decode_document(raw, f"{path} (Policy)")
            policy = Policy(document=doc, id=arn, name=_short_name(arn))
        tags = _tags(data["Tags"], path) if "Tags" in data else None
        record = ResourcePolicy(arn, account_id, service, policy, path, tags)
        parts = ArnParts.parse(arn)
        if parts is not None and parts.resource.startswith("vpc-endpoint/"):
            # an endpoint policy limits requests sent through it; it is not a resource policy
            self.endpoints[parts.resource.split("/", 1)[1]] = record
            return
        self.by_arn[arn] = record
        if parts is None:
            return
        if parts.service == "s3" and not parts.account:
            self.buckets[parts.resource.split("/", 1)[0]] = record
        if parts.service == "secretsmanager":
            self.secrets[_SECRET_SUFFIX.sub("", arn)] = record
        if parts.service == "kms":
            self._read_aliases(data.get("Aliases") or [], path, key_arn=arn)

    def _read_aliases(self, aliases: Any, path: Path, key_arn: str | None = None) -> None:
        """Index KMS aliases given as alias names/ARNs of ``key_arn`` or list-aliases entries."""
        for alias in aliases if isinstance(aliases, list) else []:
            if isinstance(alias, str) and key_arn:
                parts = ArnParts.parse(key_arn)
                name = alias if alias.startswith("alias/") else f"alias/{alias}"
                if alias.startswith("arn:") or parts is None:
                    alias_arn = alias
                else:
                    alias_arn = f"arn:{parts.partition}:kms:{parts.region}:{parts.account}:{name}"
                self.kms_aliases[alias_arn] = key_arn
            elif isinstance(alias, dict) and alias.get("AliasArn") and alias.get("TargetKeyId"):
                parts = ArnParts.parse(alias["AliasArn"])
                if parts is None:
                    raise SnapshotError(f"{path}: AliasArn {alias['AliasArn']!r} is not an ARN")
                target = alias["TargetKeyId"]
                self.kms_aliases[alias["AliasArn"]] = (
                    target
                    if target.startswith("arn:")
                    else (f"arn:{parts.partition}:kms:{parts.region}:{parts.account}:key/{target}")
                )

    def lookup(self, resource_arn: str) -> ResourcePolicy | None:
        """Return the record whose policy governs ``resource_arn`` (None: not in the snapshot)."""
        found = self.by_arn.get(resource_arn)
        if found is not None:
            return found
        parts = ArnParts.parse(resource_arn)
        if parts is None:
            return None
        if parts.service == "s3" and not parts.account:
            return self.buckets.get(parts.resource.split("/", 1)[0])
        if parts.service == "kms" and parts.resource.startswith("alias/"):
            key = self.kms_aliases.get(resource_arn)
            return self.by_arn.get(key) if key else None
        if parts.service == "lambda" and parts.resource.startswith("function:"):
            segments = parts.resource.split(":")
            if len(segments) > 2:  # function:name:qualifier -> the function's policy
                base = resource_arn.rsplit(":", len(segments) - 2)[0]
                return self.by_arn.get(base)
        if parts.service == "dynamodb" and "/index/" in parts.resource:
            # an index is governed by its table's policy; a stream has its own (by_arn above)
            table = "/".join(parts.resource.split("/", 2)[:2])
            return self.by_arn.get(resource_arn[: len(resource_arn) - len(parts.resource)] + table)
        if parts.service == "secretsmanager":
            return self.secrets.get(_SECRET_SUFFIX.sub("", resource_arn)) or self.secrets.get(
                resource_arn
            )
        return None

    def endpoint(self, vpc_endpoint: str) -> ResourcePolicy | None:
        """Return a VPC endpoint's policy record by endpoint id (``vpce-…``) or ARN."""
        return self.endpoints.get(vpc_endpoint.rsplit("/", 1)[-1])

    def records(self) -> Iterable[ResourcePolicy]:
        """Yield every resource policy record (VPC endpoint policies excluded)."""
        return self.by_arn.values()


def _from_cli_output(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"Arn", "Policy", ...}`` from the raw AWS CLI outputs analysts save by hand.

    ``sqs get-queue-attributes`` / ``sns get-topic-attributes`` nest the policy
    under ``Attributes`` (with ``QueueArn`` / ``TopicArn`` when asked for);
    ``secretsmanager get-resource-policy`` names it ``ResourcePolicy`` next to ``ARN``.
    """
    if "Policy" in data and "Arn" in data:
        return data
    out = dict(data)
    attributes = data.get("Attributes")
    if isinstance(attributes, dict):
        out.setdefault("Policy", attributes.get("Policy"))
        arn = attributes.get("QueueArn") or attributes.get("TopicArn")
        if arn:
            out.setdefault("Arn", arn)
    if "ResourcePolicy" in data:
        out.setdefault("Policy", data["ResourcePolicy"])
    if "ARN" in data:
        out.setdefault("Arn", data["ARN"])
    return out


def _tags(value: Any, path: Path) -> dict[str, str]:
    """Return ``{key: value}`` from any tag call's AWS CLI output.

    ``s3api get-bucket-tagging`` ({"TagSet": [{"Key", "Value"}]}), ``kms
    list-resource-tags`` ({"Tags": [{"TagKey", "TagValue"}]}), ``sns
    list-tags-for-resource`` and ``secretsmanager`` ({"Tags": [{"Key", "Value"}]}),
    ``lambda list-tags`` and ``sqs list-queue-tags`` ({"Tags": {key: value}}),
    ``dynamodb list-tags-of-resource`` ({"Tags": [{"Key", "Value"}]}), ``ecr
    list-tags-for-resource`` ({"tags": [{"Key", "Value"}]}), or any of those
    lists and maps given bare.
    """
    wrappers = {"TagSet", "Tags", "tags", "Truncated", "NextMarker"}
    if isinstance(value, dict) and set(value) <= wrappers:
        value = value.get("TagSet", value.get("Tags", value.get("tags", {})))
    if isinstance(value, dict):
        if all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return dict(value)
    elif isinstance(value, list):
        out = {}
        for tag in value:
            key = tag.get("Key", tag.get("TagKey")) if isinstance(tag, dict) else None
            val = tag.get("Value", tag.get("TagValue")) if isinstance(tag, dict) else None
            if not (isinstance(key, str) and isinstance(val, str)):
                break
            out[key] = val
        else:
            return out
    raise SnapshotError(
        f'{path}: "Tags" is not a tag call\'s output; expected '
        '{"TagSet": [{"Key", "Value"}]}, {"Tags": [...]} or {"Tags": {key: value}}'
    )


def _short_name(arn: str) -> str:
    resource = arn.split(":", 5)[-1]
    return resource.split("/", 1)[-1] if "/" in resource else resource.split(":")[-1]
