"""AWS's validator beside iamlab's lint: Access Analyzer's findings as lint Findings.

``iamlab.aws.validate.validate_policies`` asks AWS; this turns what it
returned into ``Finding`` objects marked ``tool="access-analyzer"``, naming
the statement each location points at, so both tools read the same way.
"""

from __future__ import annotations

from typing import Any

from iamlab.diagnose.lint import Finding, statements

_KINDS = {
    "ERROR": "finding",
    "SECURITY_WARNING": "finding",
    "WARNING": "finding",
    "SUGGESTION": "suggestion",
}


def _where(document: Any, locations: Any) -> str:
    """The statement a validator location points at: its Sid, else ``[index]``."""
    sids = dict(enumerate(sid for sid, _ in statements(document)))
    for location in locations if isinstance(locations, list) else []:
        path = location.get("path") if isinstance(location, dict) else None
        steps = path if isinstance(path, list) else []
        for here, step in zip(steps, steps[1:], strict=False):
            if here.get("value") == "Statement" and isinstance(step.get("index"), int):
                return sids.get(step["index"], f"[{step['index']}]")
            if here.get("value") == "Statement":  # a single statement object, not a list
                return sids.get(0, "[0]")
    return "(policy)"


def merge_validator(
    found: list[Finding], validator: list[dict[str, Any]], docs: list[tuple[str, str, Any]]
) -> list[Finding]:
    """Return iamlab's findings followed by Access Analyzer's, each marked with its tool.

    ``validator`` is ``iamlab.aws.validate.validate_policies(docs)``; its
    SUGGESTIONs become suggestions, the other finding types findings.
    """
    by_name = {name: document for name, _layer, document in docs}
    out = list(found)
    for f in validator:
        name = str(f.get("policy"))
        kind = str(f.get("findingType") or "")
        out.append(
            Finding(
                policy=name,
                statement=_where(by_name.get(name), f.get("locations")),
                check=str(f.get("issueCode") or kind),
                why=f"{kind}: {f.get('findingDetails')}",
                fix=f"see {f.get('learnMoreLink')}" if f.get("learnMoreLink") else "",
                kind=_KINDS.get(kind, "finding"),
                tool="access-analyzer",
                link=str(f.get("learnMoreLink") or ""),
            )
        )
    return out
