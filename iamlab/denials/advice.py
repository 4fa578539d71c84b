"""From a pasted error to the next investigation step, in plain words.

``advise`` parses the message and says who was denied what, where, which layer
AWS blamed, which of the six investigation steps (design, "Denials and causes")
to go to, and the exact next commands. It also says what the message cannot
tell. Every value taken from the message is shell-quoted in the commands.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from iamlab.denials import grammar as g
from iamlab.denials.parse import ParsedDenial, parse
from iamlab.denials.paste import unwrap
from iamlab.escape import printable

LAYER_WORDS = {
    "identity": "an identity-based policy (the caller's user, group or role policies)",
    "resource": "a resource-based policy (bucket, key, queue, topic, function ... policy)",
    "permissions_boundary": "the caller's permissions boundary",
    "session": "a session policy (passed when the role session was created)",
    "scp": "a service control policy (SCP) of the organization",
    "rcp": "a resource control policy (RCP) of the organization",
    "vpc_endpoint": "a VPC endpoint policy",
    "trust": "the role's trust policy",
}

# cause -> (step number or None, what it means); design table "Denials and causes".
STEPS = {
    "missing-action": (1, "the identity policy lacks the action"),
    "resource-arn": (2, "the action is allowed, but not on this resource ARN"),
    "explicit-deny": (3, "a Deny statement wins"),
    "org-policy": (4, "an SCP or RCP"),
    "permissions-boundary": (5, "the boundary does not allow it"),
    "session-or-trust": (6, "a session policy, or the role's trust policy"),
    "resource-policy": (
        None,
        "no resource-based policy allows it (cross-account access, KMS key policy)",
    ),
    "vpc-endpoint": (None, "a VPC endpoint policy"),
    "undetailed": (None, "the message names no policy: replaying the request decides"),
}

S3_REASONS = {
    "BlockPublicAcls setting": (
        "S3 Block Public Access (BlockPublicAcls) refused a public ACL; "
        "no policy is involved: change the ACL or the bucket/account setting."
    ),
    "BlockPublicPolicy setting": (
        "S3 Block Public Access (BlockPublicPolicy) refused a public bucket "
        "policy; no IAM policy is involved."
    ),
    "(SSE-C)": (
        "the bucket blocks uploads with customer-provided keys (SSE-C); "
        "use another server-side encryption type."
    ),
}

_NOT_NAMED = "(not named in the message"
_REGION_IN_URL = re.compile(r"[?&]region=([a-z0-9-]{3,32})")
_REGION_IN_ARN = re.compile(r"^arn:[a-z-]+:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):")


@dataclass(frozen=True)
class Advice:
    """What to tell an analyst about one error: the parse, the step, commands and caveats."""

    denial: ParsedDenial
    code: str | None
    step: int | None
    step_title: str
    commands: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def render(self) -> str:
        """Return the advice as plain text for a terminal."""
        d = self.denial
        if not d.is_denial:
            code = f"Error code '{printable(self.code)}'" if self.code else "This message"
            lines = [f"{code} is not an authorization denial."]
            lines += [f"  - {printable(n)}" for n in self.notes]
            return "\n".join(lines)
        deny = {
            "explicit": "explicit deny (a Deny statement matched)",
            "implicit": "implicit deny (no statement allowed it)",
        }.get(d.deny or "", "not stated")
        if d.action:
            action = printable(d.action)
        elif d.action_hint:
            call, hint = printable(d.operation), printable(d.action_hint)
            action = f"{hint} (the {call} call needs it; the message names none)"
        else:
            action = _NOT_NAMED + ": map the event name to its action)"
        lines = [
            "Access denied.",
            f"  who:       {printable(d.principal) or _NOT_NAMED + ': see userIdentity.arn)'}",
            f"  action:    {action}",
            f"  resource:  {printable(d.resource) or _NOT_NAMED + ')'}",
            f"  blamed:    {LAYER_WORDS.get(d.policy_type or '', 'no policy layer named')}",
            f"  deny:      {deny}",
        ]
        if d.policy_arn:
            lines.append(f"  policy:    {printable(d.policy_arn)}")
        step = f"step {self.step}: " if self.step else ""
        lines.append(f"  cause:     {d.cause} ({step}{self.step_title})")
        if self.commands:
            lines.append("Next:")
            lines += [f"  $ {printable(c)}" for c in self.commands]
        if self.notes:
            lines.append("Notes:")
            lines += [f"  - {printable(n)}" for n in self.notes]
        return "\n".join(lines)


def _region(message: str, denial: ParsedDenial, region: str | None) -> str | None:
    """The region of the denied call: given, or from the console URL or resource ARN."""
    if region:
        return region
    m = _REGION_IN_URL.search(message)
    if m:
        return m.group(1)
    m = _REGION_IN_ARN.match(denial.resource or "")
    return m.group(1) if m else None


def _trust_principal(message: str) -> str | None:
    """The service principal a trust-policy message is about (grammar.TRUST_PHRASES)."""
    return next((p for phrase, p in g.TRUST_PHRASES if phrase in " ".join(message.split())), None)


def _q(value: str) -> str:
    return shlex.quote(value)


def advise(
    error_code: str | None = None,
    error_message: str | None = None,
    event_source: str | None = None,
    region: str | None = None,
    snapshot: str | None = None,
) -> Advice:
    """Return plain-words advice for one error; never raises for any message.

    ``region`` goes into the decode/authz-details commands and into the replay
    as ``--region``, which sets ``aws:RequestedRegion`` (default: from the
    console URL or resource ARN in the message); ``snapshot`` into the replay command (default: a
    ``<snapshot-dir>`` placeholder). Where the message names no action, the
    replay uses the action the pasted call needs (``ParsedDenial.action_hint``).
    """
    message = error_message if isinstance(error_message, str) else ""
    d = parse(error_code, error_message, event_source)
    code = (error_code or "").strip() or unwrap(message).code
    if not d.is_denial:
        why_not = (
            "Dry runs that would have succeeded, authentication failures (bad, expired "
            "or unsigned credentials), throttling and not-found errors are not denials; "
            "other codes count only when the message uses AWS's denial wording.",
        )
        return Advice(d, code, None, "not a denial", (), why_not)

    step, title = STEPS[d.cause or "undetailed"]
    known_region = _region(message, d, region)
    where = known_region or "<region of the event>"
    snap = snapshot or "<snapshot-dir>"
    commands: list[str] = []
    notes: list[str] = []
    if d.encoded_message:
        commands.append(f"iamlab decode {_q(d.encoded_message)} --region {_q(where)}")
        if d.encoded_message.endswith("..."):
            notes.append(
                "The encoded message looks cut short (CloudTrail keeps about 1 KB of the "
                "message); decode the full text from the CLI/SDK error instead."
            )
    if d.authorization_id:
        commands.append(f"iamlab authz-details {_q(d.authorization_id)} --region {_q(where)}")
    principal = d.principal or "<principal-arn>"
    action = d.action or d.action_hint or "<service:Action>"
    resource = d.resource or "*"
    service = _trust_principal(message) if d.policy_type == "trust" and not d.action else None
    if service:  # the service could not assume the role: replay its AssumeRole on the role
        principal, action, resource = service, "sts:AssumeRole", d.resource or "<role-arn>"
    replay = (
        f"iamlab simulate --principal {_q(principal)} --action {_q(action)} "
        f"--resource {_q(resource)} --snapshot {_q(snap)}"
    )
    if known_region:  # the request's region, which a region-guard SCP reads
        replay += f" --region {_q(known_region)}"  # simulate sets aws:RequestedRegion from it
    commands.append(replay)
    if d.action_hint and not d.action:
        notes.append(
            f"The message names no action; the {d.operation} call needs {d.action_hint} "
            "(iamlab.denials.actions), which the replay above uses."
        )
    elif d.operation and not d.action and not service:
        notes.append(
            f"The message names no action and the service of the {d.operation} call is not "
            "known: pass --event-source (e.g. s3.amazonaws.com) to map it to its IAM action."
        )
    if service:
        notes.append(
            f"{service} could not assume the role: read the role's trust policy (it must allow "
            f"{service} sts:AssumeRole"
            + (", and sts:TagSession for EKS Pod Identity" if service.startswith("pods.") else "")
            + "), and check that the role exists."
        )

    if d.cause == "missing-action":
        notes.append(
            "An implicit deny in identity-based policies reads the same whether the action "
            "is missing (step 1) or allowed only on other resource ARNs (step 2, "
            "resource-arn); the replay above tells them apart."
        )
    if d.cause == "org-policy":
        notes.append(
            "Check the SCPs/RCPs attached to the account, its OUs and the root "
            f"(snapshot: {snap}/organization/policies/*.json)"
            + (f"; AWS named {d.policy_arn}." if d.policy_arn else ".")
        )
        if d.policy_type == "scp" and d.deny == "explicit":
            notes.append(
                "In logs from before 2023 an SCP denial was sometimes worded 'explicit "
                "deny' even when no SCP allowed the action (an implicit deny)."
            )
    if "transitively through a" in message:
        notes.append(
            "The message names a chain (a policy 'transitively through' another, e.g. an "
            "SCP); the first-named policy is reported, check both."
        )
    for phrase, text in S3_REASONS.items():
        if phrase in message:
            notes.append(text)
    if d.cause == "vpc-endpoint":
        notes.append(
            "Find the endpoint (the event's vpcEndpointId) and read its policy; some "
            "VPC endpoint denials (e.g. KMS) are never logged at all."
        )
    if d.cause == "undetailed":
        notes.append(
            "The message names no policy layer: replay the request against a snapshot "
            "(fill in the principal and action from the event where the message lacks them)."
        )
        if "s3" in (event_source or "") or message.strip() == "Access Denied":
            notes.append(
                "S3 adds detail only for same-account and same-organization requests: a bare "
                "'Access Denied' points to a cross-account request, a directory bucket, or a "
                "VPC endpoint policy (those never get the detailed message)."
            )
    if d.policy_type:
        notes.append(
            "AWS names only one policy type even when several denied: after fixing it, "
            "replay again."
        )
    return Advice(d, code, step, title, tuple(commands), tuple(notes))
