"""One diagnosis as readable text, in the six steps of an investigation.

Who (and which credentials), what was denied and when, which layer, the
statement (quoted), the fix, the proof, the new access. Everything taken from
the event or the snapshot goes through ``printable()``: evidence is hostile.
"""

from __future__ import annotations

import json
from typing import Any

from iamlab.diagnose.verdict import Diagnosis
from iamlab.escape import printable


def _q(value: Any) -> str:
    return printable(value if value is not None else "(unknown)")


def _statement(diag: Diagnosis) -> Any:
    """The deciding (or near-miss) statement's JSON, from the policy the engine evaluated."""
    if diag.simulation is None or diag.target is None:
        return None
    from iamlab.diagnose.fix import _find, _statements

    layer, policy_id, index = diag.target
    policy = _find(diag.simulation.policies, layer, policy_id)
    if policy is None or index is None:
        return None
    statements = _statements(policy.document)
    return statements[index] if index < len(statements) else None


def render(diag: Diagnosis) -> str:
    """Return the six-step explanation of one diagnosis (plain text, escaped)."""
    r = diag.replay
    lines = [
        f"Event {_q(diag.event_id)}: verdict {diag.verdict}, cause {_q(diag.cause)} "
        f"(AWS reported: {_q(diag.reported_cause)})",
        "",
    ]
    lines.append("1. Who")
    lines.append(f"   principal: {_q(diag.principal)}")
    if r is not None:
        lines.append(
            f"   identity type: {_q(r.identity_type)}; account {_q(r.caller_account)}; "
            f"access key {_q(r.access_key_id)}"
        )
        if r.issuer_arn:
            lines.append(f"   session issued by: {_q(r.issuer_arn)}")
        if r.session is not None:
            if r.session.problem:
                lines.append(f"   session policy: unknown ({_q(r.session.problem)})")
            elif r.session.present:
                lines.append(
                    f"   session policy: from event {_q(r.session.event_id)}"
                    + (f" (managed: {_q(', '.join(r.session.arns))})" if r.session.arns else "")
                )
    lines.append("2. What and when")
    lines.append(f"   {_q(diag.action)} on {_q(diag.resource)} at {_q(diag.event_time)}")
    if r is not None and r.context:
        keys = ", ".join(
            f"{k}={v if isinstance(v, str) else list(v)}" for k, v in sorted(r.context.items())
        )
        lines.append(f"   context from the record: {printable(keys)}")
    if diag.missing_keys:
        lines.append(f"   keys the record cannot tell: {_q(', '.join(diag.missing_keys))}")
    lines.append("3. Which layer")
    said = diag.reported.get("layer")
    lines.append(f"   replay: {_q(diag.layer)}; AWS named: {_q(said or 'no policy')}")
    lines.append("4. The statement")
    lines.append(
        f"   policy {_q(diag.deciding.get('policy'))}, Sid "
        f"{_q(diag.deciding.get('sid') or '(none: no statement allows it)')}"
    )
    if diag.near_miss:
        lines.append(
            f"   near miss: {_q(diag.near_miss.get('sid'))} allows the action, not on this resource"
        )
    statement = _statement(diag)
    if statement is not None:
        for text in json.dumps(statement, indent=2).splitlines():
            lines.append("     " + printable(text))
    for reason in diag.reasons:
        lines.append(f"   note: {_q(reason)}")
    fix = diag.fix
    lines.append("5. The fix")
    if not fix:
        lines.append("   none proposed (the replay does not deny, or the layer is unknown)")
    else:
        lines.append(f"   {_q(fix.get('summary'))}")
        for change in fix.get("changes", []):
            lines.append(f"   in {_q(change['policy'])} ({change['layer']}):")
            for text in json.dumps(change["statement"], indent=2).splitlines():
                lines.append("     " + printable(text))
    lines.append("6. The proof and the new access")
    if fix:
        verdict = (
            "verified: the changed policies allow the request"
            if fix.get("verified")
            else f"NOT verified: after the change the engine says {fix.get('decision_after')}"
        )
        lines.append(f"   {verdict}")
        new = fix.get("new_access") or []
        lines.append(f"   new access among the requests seen: {len(new)}")
        for item in new:
            lines.append(
                f"     {_q(item['principal'])} {_q(item['action'])} {_q(item['resource'])}"
            )
    return "\n".join(lines)
