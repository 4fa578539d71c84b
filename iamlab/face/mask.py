"""Consistent keyed pseudonyms for what a shared report must not reveal.

Account ids, organization ids, IP addresses, access key and unique principal
ids, and the names inside ARNs (principals, resources) become
``acct-``/``org-``/``ip-``/``key-``/``n-``
followed by eight hex digits of HMAC-SHA256(key, kind + value): the same
value gets the same pseudonym throughout one report (so patterns stay
visible), and without the key nobody can test a guess. The key is random per
report unless one is given (to make several reports line up).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
from typing import Any

import pandas as pd

__all__ = ["Masker"]

# The account and resource of an ARN: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
_ARN = re.compile(
    r"arn:(aws[a-z-]*):([a-z0-9-]*):([a-z0-9-]*):(\d{12}|aws|):([^\s\"'<>,;()\[\]{}\\]*)"
)
_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
# access key ids and unique ids of users, roles, groups, policies, instance profiles
# (prefixes from memory of the IAM identifiers page)
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|APKA|ABIA|ACCA)[A-Z0-9]{12,}\b")
_ORG = re.compile(r"\bo-[a-z0-9]{10,32}\b")
_IPV4 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9])")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
# An ARN resource's first segment is a type word (user, role, function), kept,
# except in S3, where it is the bucket name.
_S3 = "s3"


def _is_ipv6(text: str) -> bool:
    """True for an IPv6 address (not a clock time such as 10:12:03)."""
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return any(c.isdigit() for c in text)


class Masker:
    """Replace identifying values in text, frames and JSON-like values with pseudonyms."""

    def __init__(self, key: bytes | str | None = None) -> None:
        if isinstance(key, str):
            key = key.encode("utf-8")
        self.key = key or os.urandom(32)
        self._names: dict[str, str] = {}

    def pseudonym(self, kind: str, value: str) -> str:
        """Return ``kind-`` and eight hex digits of the keyed hash of ``value``."""
        digest = hmac.new(self.key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}-{digest[:8]}"

    def _arn(self, match: re.Match[str]) -> str:
        partition, service, region, account, resource = match.groups()
        if account == "aws":  # an AWS managed policy: public, and its name helps the reader
            return match.group(0)
        account = self.pseudonym("acct", account) if account.isdigit() else account
        parts = re.split(r"([:/])", resource)
        keep_first = service != _S3 and len(parts) > 1 and parts[0].replace("-", "").isalpha()
        out = []
        for i, part in enumerate(parts):
            if part in (":", "/", "", "*") or (i == 0 and keep_first):
                out.append(part)
            else:
                name = self.pseudonym("n", part)
                self._names[part] = name
                out.append(name)
        return f"arn:{partition}:{service}:{region}:{account}:{''.join(out)}"

    def text(self, value: Any) -> Any:
        """Return ``value`` with ARNs, account ids, key ids and IPs pseudonymised (non-text as is).

        Names first seen inside an ARN are also replaced where they appear on
        their own (a bucket name in request parameters, a user name).
        """
        if not isinstance(value, str) or not value:
            return value
        s = _ARN.sub(self._arn, value)
        s = _KEY_ID.sub(lambda m: self.pseudonym("key", m.group(0)), s)
        s = _ACCOUNT.sub(lambda m: self.pseudonym("acct", m.group(0)), s)
        s = _ORG.sub(lambda m: self.pseudonym("org", m.group(0)), s)
        s = _IPV4.sub(lambda m: self.pseudonym("ip", m.group(0)), s)
        s = _IPV6.sub(
            lambda m: self.pseudonym("ip", m.group(0)) if _is_ipv6(m.group(0)) else m.group(0), s
        )
        for name in sorted(self._names, key=len, reverse=True):
            if len(name) >= 4 and name in s:
                s = re.sub(rf"(?<![\w.@-]){re.escape(name)}(?![\w@-])", self._names[name], s)
        return s

    def value(self, value: Any) -> Any:
        """Return a JSON-like value (dict, list, str) with every string masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``frame`` with every text column masked."""
        out = frame.copy()
        for column in out.columns:
            if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
                out[column] = [self.text(v) for v in out[column]]
        return out

    def learn(self, frame: pd.DataFrame) -> None:
        """Read every ARN in ``frame`` first, so names are masked wherever they appear later."""
        for column in frame.columns:
            if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
                for v in frame[column].dropna().unique():
                    if isinstance(v, str) and "arn:" in v:
                        _ARN.sub(self._arn, v)
