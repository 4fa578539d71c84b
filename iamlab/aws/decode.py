"""Decode EC2's "Encoded authorization failure message" with sts DecodeAuthorizationMessage.

AWS returns ``DecodedMessage`` as a JSON string in which every list is wrapped
as ``{"items": [...]}`` (aws-facts 1.5). ``DecodedMessage`` unwraps it into
plain fields and a short readable summary.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from iamlab.aws._calls import error_code
from iamlab.aws.evidence import EvidenceFile, caller_identity, now_utc, save, stamp
from iamlab.aws.failures import as_aws_error, describe, plain_errors
from iamlab.aws.readonly import client as ro_client
from iamlab.aws.readonly import session as ro_session
from iamlab.errors import AwsError, InputError
from iamlab.escape import printable

MAX_ENCODED = 10240  # STS limit on EncodedMessage (aws-facts 1.5)
_ENCODED = re.compile(r"Encoded authorization failure message:\s*(\S+)", re.IGNORECASE)


def _items(value: Any) -> list[Any]:
    """Return the list inside ``{"items": [...]}`` (or the value if already a list)."""
    if isinstance(value, dict):
        value = value.get("items", [])
    return value if isinstance(value, list) else []


def _values(value: Any) -> list[Any]:
    return [v.get("value") if isinstance(v, dict) else v for v in _items(value)]


def _conditions(value: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for item in _items(value):
        if isinstance(item, dict) and "key" in item:
            out[str(item["key"])] = _values(item.get("values"))
    return out


@dataclass(frozen=True)
class MatchedStatement:
    """A statement the decoded message says matched the request."""

    statement_id: str | None
    effect: str | None
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[str, ...]
    conditions: tuple[Any, ...]


@dataclass(frozen=True)
class DecodedMessage:
    """The decoded authorization message, unwrapped; ``raw`` keeps AWS's JSON as is."""

    allowed: bool | None
    explicit_deny: bool | None
    matched: tuple[MatchedStatement, ...]
    failures: tuple[Any, ...]
    principal_arn: str | None
    principal_id: str | None
    action: str | None
    resource: str | None
    context: dict[str, list[Any]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    evidence: EvidenceFile | None = None

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> DecodedMessage:
        """Return the message parsed from STS's ``DecodedMessage`` JSON text."""
        try:
            raw = json.loads(text) if isinstance(text, str) else text
        except ValueError as exc:
            raise AwsError(f"DecodedMessage is not JSON ({exc}); got {str(text)[:80]!r}") from exc
        if not isinstance(raw, dict):
            raise AwsError(f"DecodedMessage is not a JSON object: {str(text)[:80]!r}")
        ctx = raw.get("context") if isinstance(raw.get("context"), dict) else {}
        principal = ctx.get("principal") if isinstance(ctx.get("principal"), dict) else {}
        matched = tuple(
            MatchedStatement(
                s.get("statementId"),
                s.get("effect"),
                tuple(_values(s.get("actions"))),
                tuple(_values(s.get("resources"))),
                tuple(_values(s.get("principals"))),
                tuple(_items(s.get("conditions"))),
            )
            for s in _items(raw.get("matchedStatements"))
            if isinstance(s, dict)
        )
        return cls(
            allowed=raw.get("allowed"),
            explicit_deny=raw.get("explicitDeny"),
            matched=matched,
            failures=tuple(_items(raw.get("failures"))),
            principal_arn=principal.get("arn"),
            principal_id=principal.get("id"),
            action=ctx.get("action"),
            resource=ctx.get("resource"),
            context=_conditions(ctx.get("conditions")),
            raw=raw,
        )

    def summary(self) -> str:
        """Return a few readable lines: the verdict, who, what, which statements (escaped)."""
        verdict = (
            "allowed"
            if self.allowed
            else "explicit deny"
            if self.explicit_deny
            else "implicit deny (no statement allows it)"
        )
        lines = [
            f"decision: {verdict}",
            f"principal: {self.principal_arn or self.principal_id or '?'}",
            f"action: {self.action or '?'}",
            f"resource: {self.resource or '?'}",
        ]
        for s in self.matched:
            lines.append(
                f"matched: {s.effect or '?'} statement {s.statement_id or '(no Sid)'} "
                f"actions {', '.join(s.actions) or '-'} "
                f"resources {', '.join(s.resources) or '-'}"
            )
        if not self.matched and not self.allowed:
            lines.append("matched: none (an implicit deny matches no statement)")
        for key, values in sorted(self.context.items()):
            lines.append(f"context: {key} = {', '.join(map(str, values))}")
        return "\n".join(printable(line) for line in lines)  # AWS's text, one line each

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "explicit_deny": self.explicit_deny,
            "principal_arn": self.principal_arn,
            "principal_id": self.principal_id,
            "action": self.action,
            "resource": self.resource,
            "context": self.context,
            "matched": [s.__dict__ for s in self.matched],
            "failures": list(self.failures),
            "raw": self.raw,
        }


def encoded_part(text: str) -> str:
    """Return the encoded blob from a whole error message, or ``text`` itself."""
    found = _ENCODED.search(text)
    return (found.group(1) if found else text).strip().rstrip(".")


@plain_errors("decoding the authorization message")
def decode_message(
    encoded: str,
    region: str | None = None,
    evidence_dir: Path | None = None,
    *,
    profile: str | None = None,
    session: Any = None,
    client: Any = None,
    caller: dict[str, Any] | None = None,
) -> DecodedMessage:
    """Return the decoded EC2 authorization failure message (needs sts:DecodeAuthorizationMessage).

    ``encoded`` may be the blob or the whole error message that contains it.
    Raises ``InputError`` when it is empty or longer than STS accepts,
    ``AwsError`` when STS refuses it or answers something that is not JSON.
    """
    blob = encoded_part(encoded or "")
    if not blob:
        raise InputError(
            "no encoded message given: pass the text after 'Encoded authorization failure message:'"
        )
    if len(blob) > MAX_ENCODED:
        raise InputError(
            f"encoded message is {len(blob)} characters; STS accepts at most "
            f"{MAX_ENCODED} (was it cut or pasted twice?)"
        )
    sess = session if session is not None else (None if client else ro_session(profile, region))
    sts = client or ro_client("sts", session=sess, region=region or "us-east-1")
    started = now_utc()
    try:
        answer = sts.decode_authorization_message(EncodedMessage=blob)
    except ClientError as exc:
        if error_code(exc) != "InvalidAuthorizationMessageException":
            raise as_aws_error(exc, "decoding the authorization message") from exc
        raise AwsError(
            "sts DecodeAuthorizationMessage refused the message (InvalidAuthorizationMessage"
            "Exception): decode it in the account that received it, within its validity, "
            f"and copy it whole (AWS: {describe(exc.response['Error'].get('Message', ''))})"
        ) from exc
    if "DecodedMessage" not in answer:
        raise AwsError("malformed DecodeAuthorizationMessage response: no DecodedMessage")
    decoded = DecodedMessage.from_json(answer["DecodedMessage"])
    if evidence_dir is not None:
        who = caller if caller is not None else caller_identity(sess)
        ev = save(
            evidence_dir,
            "decoded",
            f"decoded-{stamp(started)}",
            decoded.raw,
            api="sts:DecodeAuthorizationMessage",
            request={"EncodedMessage": blob[:64] + ("..." if len(blob) > 64 else "")},
            region=sts.meta.region_name,
            caller=who,
            started=started,
        )
        decoded = DecodedMessage(**{**decoded.__dict__, "evidence": ev})
    return decoded
