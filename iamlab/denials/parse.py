"""Parse one AWS error (code + message) into what AWS said about a denial.

``read_message`` is the single-message twin of the ``denials`` view in
``denials.sql``: both follow the same steps with the same patterns
(``grammar.py``), and a test holds them to the same answer on every fixture.
Keep the two in step when changing either. ``parse`` first finds AWS's
message inside pasted text (``paste.py``), then reads it the same way.

Rules (aws-facts.md section 1):

* Denial or not: a code in the denial list (section 1.6: ``AccessDenied*``,
  ``*UnauthorizedOperation``, ``VpceAccessDenied``, ``AuthorizationError``,
  ...) is a denial whatever the message says; a code in the not-denial list
  (dry run, authentication failures, throttling, not-found) is not. Any other
  code, or none, is decided by the message: it is a denial when it carries
  AWS's authorization phrasing (``not authorized to perform``, ``with an
  explicit deny in``, ``because no <known type> allows the``, ``Access
  Denied`` with S3's capitals, or the VPC endpoint sentence). A bare "not
  authorized" or "access denied" in other words is not enough.
* When no code is given, one pasted inside the text is used (AWS CLI/boto3
  ``An error occurred (CODE) when calling ...``; Java ``Error Code: CODE``).
* The principal is the text after the last ``User: `` before the first
  `` is not authorized to perform: `` (only AWS text precedes it; principal
  ARNs hold no spaces). The action is the next token; a literal ``null``
  is no action. Without that marker, the older STS form ``Not authorized to
  perform sts:AssumeRoleWithWebIdentity`` (capital N, no colon) names the
  action the same way.
* Resource: S3 quotes it; the quoted resource ends at the last ``"`` followed
  by a space, a period or the end. An unquoted resource ends where the last
  context clause (`` because `` / `` with an explicit deny``) starts; with no
  context clause it is the first token (a truncated message may end in half a
  clause, and most ARNs hold no spaces). ``on this resource`` and a missing
  clause give no resource. "Last" means the last occurrence found scanning
  left to right, as DuckDB's ``split_part(text, marker, -1)`` does.
* Policy type: the phrase after ``because no`` / ``with an explicit deny in
  a|an|the``, matched by prefix against ``POLICY_TYPE_PHRASES``. For the
  chained "in a VPC endpoint policy transitively through a service control
  policy" the first type (``vpc_endpoint``) is reported. Unknown phrases give
  no type. ``VpceAccessDenied`` or the VPC endpoint sentence give
  ``vpc_endpoint`` with no deny kind. A service that could not assume a role
  (EKS "does not have permissions to assume the associated role", "could not
  be assumed because it does not exist or the trusted entity is not correct",
  Lambda "cannot be assumed by Lambda"; ``grammar.TRUST_PHRASES``) gives
  ``trust`` with no deny kind, and the role after ``Role with arn:`` as the
  resource. S3 Block Public Access and SSE-C reasons
  name a setting, not a policy: no type, no deny kind, cause ``undetailed``.
* Tokens (action, token resource, policy ARN, authorization id) lose one
  trailing sentence period (not an ellipsis): ``policy/Name.`` -> ``policy/Name``.
* Cause: implicit identity-based -> ``missing-action``. The message cannot
  tell that from ``resource-arn`` (the action is allowed, only not on this
  ARN): replaying against a snapshot decides. Explicit identity- or
  resource-based -> ``explicit-deny``; implicit resource-based ->
  ``resource-policy``; SCP/RCP -> ``org-policy``; boundary ->
  ``permissions-boundary``; session/trust -> ``session-or-trust``; VPC
  endpoint -> ``vpc-endpoint``; no (known) policy named -> ``undetailed``.
* Limits: only one policy type is ever named even when several denied; in
  pre-2023 logs an SCP "explicit deny" may have been implicit; an unquoted
  resource name that itself ends in a context-like clause, in a message with
  no real context clause, is indistinguishable from one.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from iamlab.denials import grammar as g
from iamlab.denials.actions import iam_action
from iamlab.denials.paste import is_plain, join_hard_wrapped, unwrap

_C = re.compile
_WRAPPER_CODE = _C(g.RE_WRAPPER_CODE)
_DENIAL_MESSAGE = _C(g.RE_DENIAL_MESSAGE)
_DENIAL_CODE = _C(g.RE_DENIAL_CODE)
_NOT_DENIAL_CODE = _C(g.RE_NOT_DENIAL_CODE)
_TOKEN = _C(g.RE_TOKEN)
_PHRASE = _C(g.RE_PHRASE)
_ROLE_TOKEN = _C(g.RE_ROLE_TOKEN)
_SPACES = _C(r"[\t\n\r\f\v ]+")


@dataclass(frozen=True)
class ParsedDenial:
    """What an AWS error says about a denial; every field but ``is_denial`` may be None.

    ``policy_type`` is one of ``grammar.POLICY_TYPES``, ``deny`` is
    ``"explicit"`` or ``"implicit"``, ``cause`` one of ``grammar.CAUSES``
    (the *reported* cause; replaying against a snapshot gives the diagnosed one).
    ``operation`` is the API call a pasted SDK/CLI wrapper (or a CloudTrail
    record's ``eventName``) names, and ``action_hint`` the IAM action it needs
    (``actions.iam_action``), given only when the message names no action and
    the service is known; the ``denials`` view has neither (``FIELDS``).
    """

    is_denial: bool = False
    principal: str | None = None
    action: str | None = None
    resource: str | None = None
    policy_type: str | None = None
    deny: str | None = None
    policy_arn: str | None = None
    authorization_id: str | None = None
    encoded_message: str | None = None
    cause: str | None = None
    operation: str | None = None
    action_hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (JSON-ready)."""
        return asdict(self)


NOT_A_DENIAL = ParsedDenial()
# The fields read from the message alone: the columns of the ``denials`` view.
FIELDS = tuple(
    f for f in ParsedDenial.__dataclass_fields__ if f not in ("operation", "action_hint")
)


def parse(
    error_code: Any = None, error_message: Any = None, event_source: Any = None
) -> ParsedDenial:
    """Return what ``error_code`` / ``error_message`` say about a denial; never raises.

    ``error_message`` may be a CloudTrail ``errorMessage`` or text pasted from
    the AWS CLI, an SDK, Terraform or CloudFormation, or a JSON error body
    (``paste.unwrap`` finds AWS's message in it). A given ``error_code`` wins
    over one found in the text. ``event_source`` (an eventSource or SDK
    service name) names the service for ``action_hint`` when the text does not.

    >>> parse("AccessDenied", "Access Denied").cause
    'undetailed'
    >>> parse(None, "An error occurred (AccessDenied) when calling the ListObjectsV2 "
    ...       "operation: Access Denied", "s3.amazonaws.com").action_hint
    's3:ListBucket'
    """
    code, message = _text(error_code), _text(error_message)
    try:
        given = code.strip(g.WS_CHARS)
        as_written = _parse(given, message)
        if is_plain(message) or (given and _NOT_DENIAL_CODE.fullmatch(given)):
            return as_written  # AWS's own text, or a code that settles it: nothing to unwrap
        pasted = unwrap(message)
        unwrapped = _parse(given or pasted.code or "", pasted.message)
        joined = join_hard_wrapped(message) if unwrapped.action is None else None
        if joined is not None:  # a terminal cut the lines mid-word at a fixed column
            rejoined = unwrap(joined)
            again = _parse(given or rejoined.code or "", rejoined.message)
            if _score(again) > _score(unwrapped) or (
                _score(again) == _score(unwrapped) and rejoined.operation and not pasted.operation
            ):
                pasted, unwrapped = rejoined, again
        if _fields(as_written) != _fields(unwrapped) and not _better(
            unwrapped, as_written, pasted.framed
        ):
            return as_written
        if not unwrapped.is_denial or pasted.operation is None:
            return unwrapped
        hint = None
        service = _text(event_source).strip() or pasted.service
        # a trust failure is the service's own AssumeRole, not the operation's action
        if unwrapped.action is None and unwrapped.policy_type != "trust" and service:
            hint = iam_action(service, pasted.operation)
        return replace(unwrapped, operation=pasted.operation, action_hint=hint)
    except Exception:  # pragma: no cover - a bug; keep the promise of never raising
        denial = _classify(code.strip(g.WS_CHARS) or None, "")
        return ParsedDenial(is_denial=denial, cause="undetailed" if denial else None)


def _better(unwrapped: ParsedDenial, as_written: ParsedDenial, framed: bool) -> bool:
    """Whether the unwrapped reading of a text replaces the reading as written.

    Text in a wrapper (SDK, CLI, JSON...) is read unwrapped unless that explains
    less. Text with no wrapper (CloudTrail's own) is read unwrapped only when
    that adds to the reading as written (a line break mended inside the marker
    or the "because ..." clause) and keeps every field it found, up to spaces
    around it (or inside it, when the unwrapped reading finds strictly more):
    so wrapper-like text inside a field (an S3 key) moves nothing.
    """
    more, same = _score(unwrapped) > _score(as_written), _score(unwrapped) == _score(as_written)
    if framed:
        return more or same
    for f in FIELDS[:-1]:  # not the cause: it follows from the others
        old, new = getattr(as_written, f), getattr(unwrapped, f)
        if old is None or old is False or new == old:
            continue
        if not isinstance(old, str):
            return False
        if new != old.strip(g.WS_CHARS) and not (
            more and new == _SPACES.sub(" ", old).strip(g.WS_CHARS)
        ):
            return False
    return more or same


def _fields(denial: ParsedDenial) -> tuple:
    return tuple(getattr(denial, f) for f in FIELDS)


def _score(denial: ParsedDenial) -> tuple[bool, int]:
    """How much a reading explains: a denial first, then how many fields it found."""
    named = sum(getattr(denial, f) is not None for f in FIELDS[1:] if f != "cause")
    return denial.is_denial, named


def read_message(error_code: Any = None, error_message: Any = None) -> ParsedDenial:
    """Return what AWS's own text says, read exactly as the ``denials`` view reads it.

    The single-message twin of ``denials.sql``: no unwrapping of pasted text,
    no operation or action hint. ``parse`` is the one to call for pastes.
    """
    code, message = _text(error_code), _text(error_message)
    try:
        return _parse(code, message)
    except Exception:  # pragma: no cover - a bug; keep the promise of never raising
        denial = _classify(code.strip(g.WS_CHARS) or None, "")
        return ParsedDenial(is_denial=denial, cause="undetailed" if denial else None)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    try:
        return str(value)
    except Exception:
        return ""


def _none(value: str | None) -> str | None:
    """'' -> None, as DuckDB's regexp_extract gives '' for no match."""
    return value or None


def _group(match: re.Match | None, index: int) -> str:
    return (match.group(index) or "") if match else ""


def strip_period(token: str) -> str:
    """Drop one trailing sentence period, but keep an ellipsis ('...')."""
    if token.endswith(".") and not token.endswith(".."):
        return token[:-1]
    return token


def _classify(code: str | None, message: str) -> bool:
    if code is not None and _DENIAL_CODE.fullmatch(code):
        return True
    if code is not None and _NOT_DENIAL_CODE.fullmatch(code):
        return False
    return _DENIAL_MESSAGE.search(message) is not None


def policy_type_of(phrase: str) -> str | None:
    """Map a policy-type phrase ("service control policy: ...") to a policy_type."""
    for prefix, kind in g.POLICY_TYPE_PHRASES:
        if phrase.startswith(prefix):
            return kind
    return None


def cause_of(policy_type: str | None, deny: str | None) -> str:
    """Return the reported cause for a denial (design table "Denials and causes")."""
    if policy_type == "identity":
        return "explicit-deny" if deny == "explicit" else "missing-action"
    if policy_type == "resource":
        return "explicit-deny" if deny == "explicit" else "resource-policy"
    return {
        "scp": "org-policy",
        "rcp": "org-policy",
        "permissions_boundary": "permissions-boundary",
        "session": "session-or-trust",
        "trust": "session-or-trust",
        "vpc_endpoint": "vpc-endpoint",
    }.get(policy_type or "", "undetailed")


def wrapper_code(message: str) -> str | None:
    """Return the error code pasted inside CLI/SDK text, if any."""
    m = _WRAPPER_CODE.search(message)
    return (_none(_group(m, 1)) or _none(_group(m, 2))) if m else None


def _token(text: str) -> str:
    """The leading run of non-whitespace (DuckDB: regexp_extract(text, RE_TOKEN))."""
    return _TOKEN.match(text).group(0)  # type: ignore[union-attr]  # always matches


def _phrase(text: str) -> str:
    m = _PHRASE.match(text)
    return m.group(0) if m else ""


def _after_last(text: str, marker: str) -> str | None:
    """Text after the last ``marker`` (DuckDB: split_part(text, marker, -1)), or None."""
    parts = text.split(marker)
    return parts[-1] if len(parts) > 1 else None


def _last_at(text: str, marker: str) -> int:
    """0-based start of the last ``marker`` as split() finds it, or -1."""
    after = _after_last(text, marker)
    return -1 if after is None else len(text) - len(after) - len(marker)


def _split_ctx(text: str) -> tuple[str, str] | None:
    """(before, clause) split at the last context-clause start, or None."""
    at = max(_last_at(text, start) for start in g.CTX_STARTS)
    return (text[:at], text[at + 1 :]) if at >= 0 else None


def _trailing_token(zone: str, marker: str) -> str:
    after = _after_last(zone, marker)
    return _token(after.lstrip(g.WS_CHARS)) if after is not None else ""


def _explicit(ctx: str) -> tuple[str, str]:
    """(phrase, policy ARN) of "with an explicit deny in a|an|the <phrase>[: <ARN>]"."""
    rest = ctx[len(g.EXPLICIT_START) :]
    if not rest.startswith(g.EXPLICIT_IN):
        return "", ""
    rest = rest[len(g.EXPLICIT_IN) :]
    article = next((a for a in g.ARTICLES if rest.startswith(a)), None)
    if article is None:
        return "", ""
    rest = rest[len(article) :]
    phrase = _phrase(rest)
    after = rest[len(phrase) :]
    if phrase and after[:1] == ":" and after[1:2] != "" and after[1:2] in g.WS_CHARS:
        return phrase, _token(after[1:].lstrip(g.WS_CHARS))
    return phrase, ""


def _parse(error_code: str, error_message: str) -> ParsedDenial:
    msg = error_message[: g.MAX_MESSAGE]
    code = error_code.strip(g.WS_CHARS) or None
    if code is None:
        code = wrapper_code(msg)
    if not _classify(code, msg):
        return NOT_A_DENIAL

    principal = action = resource = None
    zone = msg  # where the context clause and trailing parts are looked for
    at, mark = msg.find(g.MARK), g.MARK
    if at < 0:
        at, mark = msg.find(g.OLD_MARK), g.OLD_MARK
    if at >= 0:
        head, tail = msg[:at], msg[at + len(mark) :]
        principal = _none(_after_last(head, g.USER_MARK))
        tok = _token(tail)
        action, rest = _none(strip_period(tok)), tail[len(tok) :]
        if action == g.NULL_ACTION:
            action = None
        if rest.startswith(g.ON_RESOURCE):
            rs = rest[len(g.ON_RESOURCE) :]
            if rs.startswith('"'):
                padded = rs + " "
                close = max(_last_at(padded, end) for end in g.QUOTE_ENDS)
                if close >= 1:
                    resource, zone = _none(padded[1:close]), padded[close + 2 :]
                else:  # no closing quote: the message was cut inside the name
                    resource, zone = _none(rs[1:]), ""
            else:
                split = _split_ctx(rs)
                if split:
                    resource, zone = _none(split[0]), split[1]
                else:
                    tok = _token(rs)
                    resource, zone = _none(strip_period(tok)), rs[len(tok) :]
        elif rest.startswith(g.ON_THIS_RESOURCE):
            zone = rest[len(g.ON_THIS_RESOURCE) :]
        else:
            zone = rest

    split = _split_ctx(" " + zone)
    ctx = split[1] if split else ""
    if ctx.startswith(g.EXPLICIT_START):
        deny = "explicit"
        phrase, arn = _explicit(ctx)
    elif ctx.startswith(g.IMPLICIT_START):
        deny, phrase, arn = "implicit", _phrase(ctx[len(g.IMPLICIT_START) :]), ""
    else:
        deny, phrase, arn = None, "", ""
    policy_type = policy_type_of(phrase)
    if policy_type is None and (code == "VpceAccessDenied" or g.VPCE_SENTENCE in zone):
        policy_type = "vpc_endpoint"
    if policy_type is None and any(phrase in zone for phrase, _ in g.TRUST_PHRASES):
        policy_type = "trust"
        if resource is None and g.ROLE_ARN_MARK in zone:
            named = zone.split(g.ROLE_ARN_MARK)[-1]
            resource = _none(_ROLE_TOKEN.match(named).group(0))  # type: ignore[union-attr]

    auth_id = _none(strip_period(_trailing_token(zone, g.AUTH_ID_MARK)))
    if auth_id is None:
        after = _after_last(zone, g.AUTH_URL_MARK) or ""
        tok = _token(after)
        if after[len(tok) :].startswith(g.AUTH_URL_END):
            auth_id = _none(tok)
    return ParsedDenial(
        is_denial=True,
        principal=principal,
        action=action,
        resource=resource,
        policy_type=policy_type,
        deny=deny,
        policy_arn=_none(strip_period(arn)),
        authorization_id=auth_id,
        encoded_message=_none(_trailing_token(zone, g.ENCODED_MARK)),
        cause=cause_of(policy_type, deny),
    )
