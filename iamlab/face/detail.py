"""One denial as HTML: what AWS said, what the replay found, the deciding statement, the fix.

Shared by the widgets' denial explorer and the report's finding panels. Every
value that came from an event or a policy goes through ``html_text``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from iamlab.errors import IamlabError
from iamlab.escape import html_text

__all__ = ["deciding_statement", "finding_html", "loads"]

# Parsed-message fields shown for every denial, in this order (``denials`` view columns).
MESSAGE_FIELDS = ("principal", "action", "resource", "policy_type", "deny", "policy_arn",
                  "authorization_id", "cause")  # fmt: skip


def loads(value: Any) -> Any:
    """Return a JSON column's value as Python (text is parsed; None/NaN is None)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and value != ""


def _json_block(value: Any) -> str:
    """Indented JSON in ``<pre>``: our line breaks kept, each line escaped (JSON did the rest)."""
    text = json.dumps(value, indent=2, default=str)
    return "<pre>" + "\n".join(html_text(line) for line in text.splitlines()) + "</pre>"


def deciding_statement(snapshot: Any, deciding: Mapping[str, Any] | None) -> dict | None:
    """Return the statement ``deciding`` names ({policy, sid}) from ``snapshot``, else None.

    Policy names follow the design: an ARN, ``<entity ARN>:inline/<name>``,
    ``<role ARN>:trust``, a resource ARN. None when the snapshot does not hold
    it or the statement has no Sid.
    """
    if snapshot is None or not deciding or not deciding.get("policy") or not deciding.get("sid"):
        return None
    policy, sid = str(deciding["policy"]), str(deciding["sid"])
    name = None
    if ":inline/" in policy:
        policy, name = policy.split(":inline/", 1)
    elif policy.endswith(":trust"):
        policy = policy[: -len(":trust")]
    try:
        return dict(snapshot.find_statement(policy, sid, name=name).statement)
    except (IamlabError, KeyError, AttributeError):
        return None


def finding_html(
    row: Mapping[str, Any], diagnosis: Mapping[str, Any] | None = None, statement: Any = None
) -> str:
    """Return one denial as an HTML fragment (``<section class="finding">``).

    ``row`` is a row of ``query.denial_events``; ``diagnosis`` a row of
    ``query.diagnoses`` (JSON columns as text or parsed); ``statement`` the
    deciding statement (``deciding_statement``). Without a diagnosis the
    panel shows the reported cause and the parsed message.
    """
    when = row.get("event_time")
    when = when.strftime("%Y-%m-%d %H:%M:%S UTC") if hasattr(when, "strftime") else when
    head = (
        f"<h3>{html_text(when)} &middot; {html_text(row.get('action') or row.get('event_name'))}"
        f' &middot; <span class="cause cause-{html_text(row.get("cause"))}">'
        f"{html_text(row.get('cause'))}</span></h3>"
    )
    said = "".join(
        f"<tr><th>{html_text(f)}</th><td>{html_text(row.get(f))}</td></tr>"
        for f in MESSAGE_FIELDS
        if _present(row.get(f))
    )
    parts = [
        '<section class="finding">', head,
        f"<p>event <code>{html_text(row.get('event_id'))}</code>, "
        f"{html_text(row.get('event_source'))} {html_text(row.get('event_name'))} in "
        f"{html_text(row.get('account_id'))} / {html_text(row.get('aws_region'))}</p>",
        "<h4>What AWS said</h4>",
        f"<pre>{html_text(row.get('error_code'))}: {html_text(row.get('error_message'))}</pre>",
        f'<table class="fields">{said}</table>',
    ]  # fmt: skip
    parts.append(_diagnosis_html(diagnosis, statement) if diagnosis else (
        "<p class=\"note\">Not diagnosed: the reported cause above comes from the message "
        "alone. Replay it against a snapshot (<code>iamlab diagnose</code>) for the deciding "
        "statement and a proven fix.</p>"
    ))  # fmt: skip
    parts.append("</section>")
    return "\n".join(parts)


def _diagnosis_html(diagnosis: Mapping[str, Any], statement: Any) -> str:
    deciding = loads(diagnosis.get("deciding")) or {}
    missing = loads(diagnosis.get("missing_keys")) or []
    fix = loads(diagnosis.get("fix"))
    out = [
        "<h4>What the replay found</h4>",
        f"<p>verdict <b>{html_text(diagnosis.get('verdict'))}</b>, diagnosed cause "
        f"<b>{html_text(diagnosis.get('cause') or 'none')}</b>"
        + (f" at the {html_text(diagnosis.get('layer'))} layer" if diagnosis.get("layer") else "")
        + "</p>",
    ]
    if deciding.get("policy") and deciding.get("sid"):
        out.append(
            f"<p>deciding statement <code>{html_text(deciding['sid'])}</code> in "
            f"<code>{html_text(deciding['policy'])}</code></p>"
        )
    elif deciding.get("policy"):
        out.append(
            f"<p>deciding policy <code>{html_text(deciding['policy'])}</code>: no Sid "
            "named (nothing in it allows the request, or the statement has no Sid)</p>"
        )
    if statement:
        out.append('<blockquote class="statement">' + _json_block(statement) + "</blockquote>")
    if missing:
        out.append(
            "<p>the record lacks: "
            + ", ".join(f"<code>{html_text(k)}</code>" for k in missing)
            + "</p>"
        )
    if isinstance(fix, dict) and fix.get("summary"):
        proven = "proven: the changed policy allows it" if fix.get("verified") else "not proven"
        out.append(f"<h4>Fix ({proven})</h4><p>{html_text(fix['summary'])}</p>")
        if fix.get("before") is not None or fix.get("after") is not None:
            out.append(
                '<div class="diff"><div><h5>before</h5>'
                + _json_block(fix.get("before"))
                + "</div><div><h5>after</h5>"
                + _json_block(fix.get("after"))
                + "</div></div>"
            )
        new = [n for n in fix.get("new_access") or [] if isinstance(n, dict)]
        if new:
            rows = "".join(
                "<tr>"
                + "".join(
                    f"<td>{html_text(n.get(k))}</td>" for k in ("principal", "action", "resource")
                )
                + "</tr>"
                for n in new
            )
            out.append(
                "<p>what else the change allows, among the requests in the evidence:</p>"
                f'<table class="new-access"><tr><th>principal</th><th>action</th>'
                f"<th>resource</th></tr>{rows}</table>"
            )
        elif fix.get("verified"):
            out.append("<p>new access: nothing else among the requests in the evidence.</p>")
    return "\n".join(out)
