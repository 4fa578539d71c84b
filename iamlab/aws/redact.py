"""Keep credentials out of logs and output, even when someone turns on botocore's DEBUG logging.

At DEBUG, botocore logs request headers (``X-Amz-Security-Token``), the
canonical request it signs, and response bodies, which for AssumeRole, SSO
and container credentials hold secret keys and session tokens. iamlab puts
a filter on those loggers that blanks such values before any handler sees
the record. Access key ids of the caller are shown shortened
(``redact_key``, ``redact_key_ids``) wherever iamlab prints or saves them.
"""

from __future__ import annotations

import logging
import re

LOGGERS = (
    "botocore.endpoint",
    "botocore.auth",
    "botocore.parsers",
    "botocore.hooks",
    "botocore.credentials",
    "botocore.utils",
    "botocore.httpsession",
    "botocore.retryhandler",
    "urllib3.connectionpool",
)
_SECRET_KEYS = r"SecretAccessKey|SessionToken|secretAccessKey|sessionToken|Token|accessToken"
_PATTERNS = (
    re.compile(rf"(<(?:{_SECRET_KEYS})>)[^<]*(</)"),  # XML bodies
    re.compile(rf"""((?:\\?["'])(?:{_SECRET_KEYS})(?:\\?["'])\s*:\s*(?:\\?["']))[^"'\\]+"""),
    re.compile(r"""((?i:x-amz-security-token)['"]?\s*[:=]\s*b?['"]?)[^'"\s,&}]+"""),
    re.compile(r"""((?i:x-amz-security-token)=)[^&\s'"]+"""),
)
REDACTED = "****"
# AKIA: a long-term access key id; ASIA: a temporary one (STS); 20 characters today.
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,124}\b")  # AWS: 16-128 characters


def redact_key(access_key_id: str | None) -> str | None:
    """Return an access key id shortened to its prefix and last four characters."""
    if not access_key_id:
        return None
    return f"{access_key_id[:4]}...{access_key_id[-4:]}" if len(access_key_id) > 8 else "****"


def redact_key_ids(text: str) -> str:
    """Return ``text`` with every access key id in it shortened like ``redact_key``.

    Some endpoints answer GetCallerIdentity with the access key id as UserId,
    and some error messages quote the key that signed the request.
    """
    return _KEY_ID.sub(lambda m: redact_key(m.group(0)) or REDACTED, text)


def redact(text: str) -> str:
    """Return ``text`` with secret keys and session tokens replaced by ``****``."""
    for pattern in _PATTERNS:
        text = pattern.sub(
            lambda m: (
                m.group(1) + REDACTED + (m.group(2) if m.lastindex and m.lastindex >= 2 else "")
            ),
            text,
        )
    return text


class RedactSecrets(logging.Filter):
    """A logging filter that rewrites a record's message without its secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = RedactSecrets()


def install() -> None:
    """Attach the filter to every logger that may print credentials (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
