"""Run evaluation test cases given as data (the design's case format).

A case is ``{"name", "request", "policies", "expect"}`` where ``expect`` holds
``decision`` (``allow``, ``implicit_deny``, ``explicit_deny`` or ``unknown``) and
optionally ``denied_by`` (compared as a set), ``possible`` (the decisions an
unknown layer leaves open, as a set), ``missing_context`` (set, key names
compared case-insensitively),
``policy_type`` and ``error`` (true or a substring: the policies must be
rejected with a ``PolicyError``). Extra keys such as ``rule`` and ``source``
are kept for reports. Reading files is the caller's job (this package is pure).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from iamlab.errors import InputError, PolicyError
from iamlab.policy._evaluate import evaluate
from iamlab.policy.decision import DECISIONS, LAYERS, Decision


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case: ``passed``, and what differed when it did not."""

    name: str
    where: str
    passed: bool
    expected: dict[str, Any]
    actual: dict[str, Any]
    problems: tuple[str, ...] = ()
    explanation: str = ""
    decision: Decision | None = field(default=None, compare=False, repr=False)
    rule: str | None = None  # the case's optional "rule" and "source" keys
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "where": self.where,
            "rule": self.rule,
            "source": self.source,
            "passed": self.passed,
            "expected": self.expected,
            "actual": self.actual,
            "problems": list(self.problems),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class CaseReport:
    """All case results: ``{"total", "passed", "failed", "results"}`` as a dict."""

    results: tuple[CaseResult, ...]

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return self.total - self.passed

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "results": [r.to_dict() for r in self.results],
        }


def check_case(case: Any, where: str) -> None:
    """Raise ``InputError`` naming ``where`` when ``case`` is not a well-formed case."""
    if not isinstance(case, dict):
        raise InputError(f"{where}: a case must be a JSON object, got {type(case).__name__}")
    name = case.get("name")
    label = f"{where} (case {name!r})" if name else where
    for key in ("name", "request", "policies", "expect"):
        if key not in case:
            raise InputError(
                f"{label}: missing {key!r}; a case needs name, request, policies and expect"
            )
    req, exp = case["request"], case["expect"]
    if not isinstance(req, dict) or "principal" not in req or "action" not in req:
        raise InputError(f"{label}: request must be an object with at least principal and action")
    if not isinstance(case["policies"], dict):
        raise InputError(f"{label}: policies must be an object of layer -> documents")
    unknown = set(case["policies"]) - set(LAYERS) - {"unknown"}
    if unknown:
        raise InputError(
            f"{label}: unknown policy layer(s) {sorted(unknown)}; valid: identity, "
            "permissions_boundary, session, scp, rcp, resource (or trust), vpc_endpoint"
        )
    if case["policies"].get("trust") is not None and case["policies"].get("resource") is not None:
        raise InputError(f"{label}: give the role trust policy as resource or trust, not both")
    if not isinstance(exp, dict) or ("decision" not in exp and "error" not in exp):
        raise InputError(f"{label}: expect must be an object with decision (or error)")
    if "decision" in exp and exp["decision"] not in DECISIONS:
        raise InputError(
            f"{label}: expect.decision {exp['decision']!r} is not one of {', '.join(DECISIONS)}"
        )
    bad = set(exp.get("possible") or ()) - set(DECISIONS)
    if bad:
        raise InputError(
            f"{label}: expect.possible has unknown decision(s) {sorted(bad)}; valid: "
            f"{', '.join(DECISIONS)}"
        )
    bad = set(exp.get("denied_by") or ()) - set(LAYERS)
    if bad:
        raise InputError(
            f"{label}: expect.denied_by has unknown layer(s) {sorted(bad)}; valid: "
            f"{', '.join(LAYERS)}"
        )


def run_case(case: Mapping[str, Any], where: str = "") -> CaseResult:
    """Evaluate one case and compare with its ``expect``."""
    check_case(case, where)
    exp = dict(case["expect"])
    name = str(case["name"])
    try:
        d = evaluate(case["request"], case["policies"])
    except InputError as exc:
        raise InputError(f"{where} (case {name!r}): {exc}") from None
    except PolicyError as exc:
        want = exp.get("error")
        ok = want is True or (isinstance(want, str) and want.lower() in str(exc).lower())
        problems = () if ok else (f"policy error: {exc}",)
        return CaseResult(
            name,
            where,
            ok,
            exp,
            {"error": str(exc)},
            problems,
            str(exc),
            None,
            case.get("rule"),
            case.get("source"),
        )
    actual: dict[str, Any] = {
        "decision": d.decision,
        "denied_by": list(d.denied_by),
        "missing_context": list(d.missing_context),
        "policy_type": d.policy_type,
        "possible": list(d.possible),
        "unknown": dict(d.unknown),
    }
    problems: list[str] = []
    if "error" in exp:
        problems.append("expected a policy error, but the policies were accepted")
    if "decision" in exp and d.decision != exp["decision"]:
        problems.append(f"decision: expected {exp['decision']}, got {d.decision}")
    if exp.get("denied_by") is not None and _layers(exp["denied_by"]) != _layers(d.denied_by):
        problems.append(
            f"denied_by: expected {sorted(exp['denied_by'])}, got {sorted(d.denied_by)}"
        )
    if exp.get("possible") is not None and set(exp["possible"]) != set(d.possible):
        problems.append(
            f"possible: expected {sorted(exp['possible'])}, got {sorted(d.possible)}"
        )
    if exp.get("missing_context") is not None:
        want = {k.lower() for k in exp["missing_context"]}
        got = {k.lower() for k in d.missing_context}
        if want != got:
            problems.append(f"missing_context: expected {sorted(want)}, got {sorted(got)}")
    if exp.get("policy_type") is not None and exp["policy_type"] != d.policy_type:
        problems.append(f"policy_type: expected {exp['policy_type']!r}, got {d.policy_type!r}")
    return CaseResult(
        name,
        where,
        not problems,
        exp,
        actual,
        tuple(problems),
        str(d),
        d,
        case.get("rule"),
        case.get("source"),
    )


def _layers(names: Iterable[str]) -> set[str]:
    """Layer names for comparison: a role's trust policy is its resource policy, so
    case files may write a trust-policy denial as "resource" or "trust"."""
    return {"resource" if n == "trust" else n for n in names}


def run_cases(cases: Iterable[tuple[str, Mapping[str, Any]]]) -> CaseReport:
    """Run ``(where, case)`` pairs; malformed cases raise ``InputError`` naming them."""
    return CaseReport(tuple(run_case(case, where) for where, case in cases))
