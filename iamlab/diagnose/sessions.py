"""Session policies, rebuilt from the events that issued the sessions.

A session created by AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity
or GetFederationToken may carry an inline ``policy`` and managed
``policyArns`` (request parameters); the issuing event's
``responseElements.credentials.accessKeyId`` is the ``userIdentity.accessKeyId``
of every call made with the session (aws-facts 6b, from memory there).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from iamlab.errors import IamlabError
from iamlab.snapshot.snapshot import Snapshot

ISSUING_EVENTS = (
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetFederationToken",
)
MAX_SESSION = timedelta(hours=36)  # GetFederationToken's longest session (memory)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class SessionPolicy:
    """What the issuing event passed: the inline policy, the managed ARNs, the merged document.

    ``document`` is None when the session has no session policy; ``problem``
    says why it could not be known (then ``document`` is None too).
    """

    event_id: str | None = None
    inline: Any = None
    arns: tuple[str, ...] = ()
    document: dict[str, Any] | None = None
    problem: str | None = None
    tags: tuple[tuple[str, str], ...] = ()  # session tags (requestParameters.tags)

    @classmethod
    def unknown(cls, problem: str) -> SessionPolicy:
        return cls(problem=problem)

    @property
    def present(self) -> bool:
        return self.document is not None

    def resolved(self, snap: Snapshot) -> SessionPolicy:
        """Return a copy whose ``document`` merges the inline policy and the managed ones.

        Several session policies together allow what any of them allows (they
        are one layer; from memory: AWS documents the layer, not the merge), so
        their statements are joined into one document.
        """
        if self.inline is None and not self.arns:
            return self
        statements: list[Any] = []
        docs = []
        if self.inline is not None:
            docs.append(("inline session policy", self.inline))
        for arn in self.arns:
            try:
                docs.append((arn, snap.policy(arn)[1].document))
            except IamlabError:
                return replace(
                    self,
                    problem=f"managed session policy {arn} (event "
                    f"{self.event_id}) is not in the snapshot",
                )
        for name, doc in docs:
            if isinstance(doc, str):
                try:
                    doc = json.loads(doc)
                except ValueError:
                    return replace(self, problem=f"the {name} of event {self.event_id} is not JSON")
            body = doc.get("Statement") if isinstance(doc, dict) else None
            statements.extend(body if isinstance(body, list) else [body] if body else [])
        return replace(self, document={"Version": "2012-10-17", "Statement": statements})


@dataclass(frozen=True)
class _Issued:
    event_id: str
    time: datetime | None
    key: str | None
    session_arn: str | None
    policy: SessionPolicy


class SessionIndex:
    """The sessions issued in a workspace, by access key id and by session ARN."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self.by_key: dict[str, _Issued] = {}
        self.by_arn: dict[str, list[_Issued]] = {}
        for record in records:
            issued = _issued(record)
            if issued is None:
                continue
            if issued.key:
                self.by_key[issued.key] = issued
            if issued.session_arn:
                self.by_arn.setdefault(issued.session_arn, []).append(issued)
        for items in self.by_arn.values():
            items.sort(key=lambda i: i.time or _EPOCH)

    def __len__(self) -> int:
        return len(self.by_key) + sum(len(v) for v in self.by_arn.values())

    def find(
        self, access_key: str | None, session_arn: str, when: str | None
    ) -> SessionPolicy | None:
        """Return the session policy of the session that made a call, or None if not found.

        Matched by access key id; else the latest session of the same ARN issued
        before the call and at most 36 hours earlier.
        """
        if access_key and access_key in self.by_key:
            return self.by_key[access_key].policy
        moment = _time(when)
        candidates = [
            i
            for i in self.by_arn.get(session_arn, [])
            if moment is None or i.time is None or timedelta(0) <= moment - i.time <= MAX_SESSION
        ]
        return candidates[-1].policy if candidates else None


def _time(text: Any) -> datetime | None:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=timezone.utc)
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _issued(record: Mapping[str, Any]) -> _Issued | None:
    if record.get("eventName") not in ISSUING_EVENTS or record.get("errorCode"):
        return None
    params = record.get("requestParameters")
    response = record.get("responseElements")
    params = params if isinstance(params, dict) else {}
    response = response if isinstance(response, dict) else {}
    creds = response.get("credentials") if isinstance(response.get("credentials"), dict) else {}
    user = response.get("assumedRoleUser") or response.get("federatedUser") or {}
    arn = user.get("arn") if isinstance(user, dict) else None
    arns = tuple(
        a["arn"]
        for a in params.get("policyArns") or []
        if isinstance(a, dict) and isinstance(a.get("arn"), str)
    )
    event_id = str(record.get("eventID") or "")
    tags = tuple(
        (t["key"], t["value"])
        for t in params.get("tags") or []
        if isinstance(t, dict) and isinstance(t.get("key"), str) and isinstance(t.get("value"), str)
    )
    policy = SessionPolicy(event_id=event_id, inline=params.get("policy"), arns=arns, tags=tags)
    return _Issued(
        event_id,
        _time(record.get("eventTime")),
        (creds or {}).get("accessKeyId"),
        arn if isinstance(arn, str) else None,
        policy,
    )
