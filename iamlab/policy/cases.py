"""The one owner of the case format (design, "The evaluation engine"): read, check, run, write.

A case is ``{"name", "request", "policies", "expect"}`` (plus optional ``rule``
and ``source``, kept for reports). ``expect`` holds ``decision`` (``allow``,
``implicit_deny``, ``explicit_deny`` or ``unknown``) and optionally:

- ``denied_by``: layers, compared as a set;
- ``possible``: the decisions an unknown layer leaves open, as a set;
- ``missing_context``: key names, a set compared case-insensitively;
- ``policy_type``: the phrase AWS's message would use;
- ``deciding``: the deciding statements as ``policy#Sid`` (or ``policy#[index]``), a set;
- ``failed_on``: ``{"policy#Sid": "action" | "resource" | "principal" | "condition"}``,
  why each named statement did not apply;
- ``error``: true or a substring: the policies must be rejected (``PolicyError``);
- ``skip``: a reason; the case is reported as skipped, never as passed.

A case without ``policies`` (or with ``"snapshot": true``) names principals and
resources of a snapshot instead: its policies come from a ``resolve`` function
(``iamlab test --snapshot`` passes one built on ``iamlab.snapshot.simulate``).

The engine stays pure; this module is its edge: ``load_cases`` and
``write_cases`` read and write case files, ``junit_xml`` renders a report
for CI systems.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from iamlab.errors import InputError, PolicyError
from iamlab.policy._evaluate import evaluate
from iamlab.policy.decision import DECISIONS, FAILED_ON, LAYERS, Decision
from iamlab.policy.request import PolicySet, Request

# The snapshot's request and policy layers for a case's request (see the module docstring).
Resolver = Callable[[Request], tuple[Request, PolicySet]]

EXPECT_KEYS = frozenset(
    {
        "decision",
        "denied_by",
        "possible",
        "missing_context",
        "policy_type",
        "deciding",
        "failed_on",
        "error",
        "skip",
    }
)
CASE_KEYS = frozenset({"name", "rule", "source", "request", "policies", "snapshot", "expect"})


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case: ``status`` is "passed", "failed" or "skipped"."""

    name: str
    where: str
    status: str
    expected: dict[str, Any]
    actual: dict[str, Any]
    problems: tuple[str, ...] = ()
    explanation: str = ""
    decision: Decision | None = field(default=None, compare=False, repr=False)
    rule: str | None = None  # the case's optional "rule" and "source" keys
    source: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def skipped(self) -> bool:
        return self.status == "skipped"

    def deciding_text(self) -> str:
        """What decided, for a person: the deciding statements, or the layer that lacked an
        Allow, or the policy error."""
        d = self.decision
        if d is None:
            return self.actual.get("error", "not evaluated")
        if d.deciding:
            return ", ".join(f"{s.ref()} ({s.effect} in {s.layer})" for s in d.deciding)
        if d.special:
            return f"AWS's special case {d.special!r}"
        if d.lacking_allow or d.denied_by:
            return "no statement: no Allow in " + ", ".join(d.lacking_allow or d.denied_by)
        return "no statement"

    def to_dict(self) -> dict[str, Any]:
        out = {
            k: getattr(self, k)
            for k in ("name", "where", "rule", "source", "status", "passed", "expected", "actual")
        }
        out.update(
            problems=list(self.problems),
            deciding=self.deciding_text(),
            explanation=self.explanation,
        )
        return out


@dataclass(frozen=True)
class CaseReport:
    """All case results: ``{"total", "passed", "failed", "skipped", "results"}`` as a dict."""

    results: tuple[CaseResult, ...]

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def skipped(self) -> int:
        return sum(r.skipped for r in self.results)

    @property
    def failed(self) -> int:
        return self.total - self.passed - self.skipped

    def to_dict(self) -> dict[str, Any]:
        counts = ("total", "passed", "failed", "skipped")
        out: dict[str, Any] = {k: getattr(self, k) for k in counts}
        out["results"] = [r.to_dict() for r in self.results]
        return out


def is_snapshot_case(case: Mapping[str, Any]) -> bool:
    """True when the case takes its policies from a snapshot (no ``policies``, or
    ``"snapshot": true``)."""
    return case.get("snapshot") is True or "policies" not in case


def check_case(case: Any, where: str) -> None:
    """Raise ``InputError`` naming ``where`` and the case when ``case`` is not well-formed."""
    if not isinstance(case, dict):
        raise InputError(f"{where}: a case must be a JSON object, got {type(case).__name__}")
    name = case.get("name")
    label = f"{where} (case {name!r})" if name else where
    for key in ("name", "request", "expect"):
        if key not in case:
            raise InputError(
                f"{label}: missing {key!r}; a case needs name, request, expect and policies "
                "(or none, to take them from a snapshot)"
            )
    extra = set(case) - CASE_KEYS
    if extra:
        raise InputError(f"{label}: unknown key(s) {sorted(extra)}; valid: {sorted(CASE_KEYS)}")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where}: name must be a non-empty string, got {name!r}")
    req, exp = case["request"], case["expect"]
    if not isinstance(req, dict) or "principal" not in req or "action" not in req:
        raise InputError(f"{label}: request must be an object with at least principal and action")
    if "snapshot" in case and not isinstance(case["snapshot"], bool):
        raise InputError(f"{label}: snapshot must be true or false, got {case['snapshot']!r}")
    if not is_snapshot_case(case):
        _check_policies(case["policies"], label)
    _check_expect(exp, label)


def _check_policies(policies: Any, label: str) -> None:
    if not isinstance(policies, dict):
        raise InputError(f"{label}: policies must be an object of layer -> documents")
    unknown = set(policies) - set(LAYERS) - {"unknown"}
    if unknown:
        raise InputError(
            f"{label}: unknown policy layer(s) {sorted(unknown)}; valid: identity, "
            "permissions_boundary, session, scp, rcp, resource (or trust), vpc_endpoint"
        )
    if policies.get("trust") is not None and policies.get("resource") is not None:
        raise InputError(f"{label}: give the role trust policy as resource or trust, not both")


def _check_expect(exp: Any, label: str) -> None:
    extra = set(exp) - EXPECT_KEYS if isinstance(exp, dict) else ()
    if extra:
        raise InputError(
            f"{label}: expect has unknown key(s) {sorted(extra)}; valid: {sorted(EXPECT_KEYS)}"
        )
    if not isinstance(exp, dict) or ("decision" not in exp and "error" not in exp):
        raise InputError(f"{label}: expect must be an object with decision (or error)")
    if "decision" in exp and exp["decision"] not in DECISIONS:
        raise InputError(
            f"{label}: expect.decision {exp['decision']!r} is not one of {', '.join(DECISIONS)}"
        )
    for key, valid in (("possible", DECISIONS), ("denied_by", LAYERS)):
        value = exp.get(key)
        if value is not None and not _strings(value):
            raise InputError(f"{label}: expect.{key} must be a list of strings, got {value!r}")
        bad = set(value or ()) - set(valid)
        if bad:
            raise InputError(
                f"{label}: expect.{key} has unknown value(s) {sorted(bad)}; valid: "
                f"{', '.join(valid)}"
            )
    deciding = exp.get("deciding")
    if deciding is not None and not (_strings(deciding) and all("#" in r for r in deciding)):
        raise InputError(
            f"{label}: expect.deciding must be a list of statement references policy#Sid "
            f"(or policy#[index]), got {deciding!r}"
        )
    failed_on = exp.get("failed_on")
    if failed_on is not None and not (
        isinstance(failed_on, dict)
        and all("#" in str(r) and v in FAILED_ON for r, v in failed_on.items())
    ):
        raise InputError(
            f"{label}: expect.failed_on must map policy#Sid to one of {', '.join(FAILED_ON)}, "
            f"got {failed_on!r}"
        )
    skip = exp.get("skip")
    if skip is not None and not (isinstance(skip, str) and skip.strip()):
        raise InputError(f"{label}: expect.skip must be the reason the case is skipped (a string)")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def run_case(
    case: Mapping[str, Any], where: str = "", resolve: Resolver | None = None
) -> CaseResult:
    """Evaluate one case and compare with its ``expect``.

    ``resolve`` supplies request and policies for a snapshot case (no
    ``policies``); without it such a case raises ``InputError``. Raises
    ``InputError`` naming ``where`` and the case when it is malformed.
    """
    check_case(case, where)
    exp = dict(case["expect"])
    name = str(case["name"])
    label = f"{where} (case {name!r})"
    rule, source = case.get("rule"), case.get("source")
    if exp.get("skip"):
        return CaseResult(
            name, where, "skipped", exp, {}, (f"skipped: {exp['skip']}",), rule=rule, source=source
        )
    try:
        request = Request.from_dict(case["request"])
        if is_snapshot_case(case):
            if resolve is None:
                raise InputError(
                    "the case names no policies: run it against a snapshot "
                    "(iamlab test CASES --snapshot DIR) or give its policies"
                )
            request, policies = resolve(request)
        else:
            policies = PolicySet.from_dict(case["policies"])
        d = evaluate(request, policies)
    except InputError as exc:
        raise InputError(f"{label}: {exc}") from None
    except PolicyError as exc:
        want = exp.get("error")
        ok = want is True or (isinstance(want, str) and want.lower() in str(exc).lower())
        problems: tuple[str, ...] = () if ok else (f"policy error: {exc}",)
        return CaseResult(
            name,
            where,
            "passed" if ok else "failed",
            exp,
            {"error": str(exc)},
            problems,
            str(exc),
            None,
            rule,
            source,
        )
    actual = actual_of(d)
    differences = _differences(exp, d, actual)
    return CaseResult(
        name,
        where,
        "failed" if differences else "passed",
        exp,
        actual,
        tuple(differences),
        str(d),
        d,
        rule,
        source,
    )


def actual_of(d: Decision) -> dict[str, Any]:
    """What a case can expect, as this decision has it (JSON-safe)."""
    return {
        "decision": d.decision,
        "denied_by": list(d.denied_by),
        "missing_context": list(d.missing_context),
        "policy_type": d.policy_type,
        "possible": list(d.possible),
        "unknown": dict(d.unknown),
        "deciding": [s.ref() for s in d.deciding],
    }


def _differences(exp: Mapping[str, Any], d: Decision, actual: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if "error" in exp:
        problems.append("expected a policy error, but the policies were accepted")
    if "decision" in exp and d.decision != exp["decision"]:
        problems.append(f"decision: expected {exp['decision']}, got {d.decision}")
    if exp.get("denied_by") is not None and _layers(exp["denied_by"]) != _layers(d.denied_by):
        problems.append(
            f"denied_by: expected {sorted(exp['denied_by'])}, got {sorted(d.denied_by)}"
        )
    for key in ("possible", "deciding"):
        if exp.get(key) is not None and set(exp[key]) != set(actual[key]):
            problems.append(f"{key}: expected {sorted(exp[key])}, got {sorted(actual[key])}")
    if exp.get("missing_context") is not None:
        want_keys = {k.lower() for k in exp["missing_context"]}
        got_keys = {k.lower() for k in d.missing_context}
        if want_keys != got_keys:
            problems.append(
                f"missing_context: expected {sorted(want_keys)}, got {sorted(got_keys)}"
            )
    if exp.get("policy_type") is not None and exp["policy_type"] != d.policy_type:
        problems.append(f"policy_type: expected {exp['policy_type']!r}, got {d.policy_type!r}")
    if exp.get("failed_on"):
        seen = {s.ref(): s.failed_on for lr in d.layers for s in lr.statements}
        for ref, want in exp["failed_on"].items():
            got = seen.get(ref, "absent")
            if got != want:
                problems.append(f"failed_on {ref}: expected {want}, got {got}")
    return problems


def _layers(names: Iterable[str]) -> set[str]:
    """Layer names for comparison: a role's trust policy is its resource policy, so
    case files may write a trust-policy denial as "resource" or "trust"."""
    return {"resource" if n == "trust" else n for n in names}


def run_cases(
    cases: Iterable[tuple[str, Mapping[str, Any]]], resolve: Resolver | None = None
) -> CaseReport:
    """Run ``(where, case)`` pairs; malformed cases raise ``InputError`` naming them."""
    return CaseReport(tuple(run_case(case, where, resolve) for where, case in cases))


def case_files(paths: Sequence[Path | str]) -> list[Path]:
    """Every case file under ``paths`` (files as given, folders recursively, sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.rglob("*.json"))
            if not found:
                raise InputError(
                    f"no *.json case files under {p}; pass a case file or a folder that holds some"
                )
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"{p} does not exist; pass case files or folders of *.json")
    return out


def load_cases(paths: Sequence[Path | str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(where, case)`` for every case in the files, ``where`` = ``file#index``.

    Folder scans skip JSON files with no case-shaped object at all (e.g. a
    rules index); a file named directly must hold cases. Raises ``InputError``
    naming the file for text that is not JSON.
    """
    named = {Path(p).resolve() for p in paths if Path(p).is_file()}
    for f in case_files(paths):
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{f}: not valid JSON ({exc}); a case file holds one case object or a list of them"
            ) from None
        items = data if isinstance(data, list) else [data]
        if f.resolve() not in named and not any(
            isinstance(c, dict) and ("request" in c or "expect" in c) for c in items
        ):
            continue  # found by a folder scan and not case-shaped at all (e.g. a rules index)
        for i, case in enumerate(items):
            yield f"{f}#{i}", case


def make_case(
    name: str,
    request: Request,
    policies: PolicySet | None,
    expect: Mapping[str, Any],
    source: str = "",
    rule: str = "",
) -> dict[str, Any]:
    """A case in the format, checked (``policies=None``: a snapshot case).

    ``expect_of(decision)`` gives the expectation that pins a decision as it is.
    """
    case: dict[str, Any] = {"name": name}
    if rule:
        case["rule"] = rule
    if source:
        case["source"] = source
    case["request"] = request.to_dict()
    if policies is None:
        case["snapshot"] = True
    else:
        case["policies"] = policies.to_dict()
    case["expect"] = dict(expect)
    check_case(case, name)
    return case


def expect_of(d: Decision, deciding: bool = False) -> dict[str, Any]:
    """The ``expect`` that pins ``d``: its decision, denying layers and open decisions
    (and its deciding statements when ``deciding``)."""
    out: dict[str, Any] = {"decision": d.decision, "denied_by": list(d.denied_by)}
    if d.possible:
        out["possible"] = list(d.possible)
    if deciding and d.deciding:
        out["deciding"] = [s.ref() for s in d.deciding]
    return out


def write_cases(path: Path | str, cases: Sequence[Mapping[str, Any]]) -> Path:
    """Write ``cases`` (checked first) as one case file; return its path.

    For ``iamlab diagnose`` and ``Simulation.to_case`` users: a fix ships with
    the cases that pin it ("this request must now be allowed; these must stay
    denied"). Raises ``InputError`` naming the case that is malformed.
    """
    path = Path(path)
    for i, case in enumerate(cases):
        check_case(case, f"{path}#{i}")
    path.write_text(json.dumps(list(cases), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def junit_xml(report: CaseReport, suite: str = "iamlab") -> str:
    """The report as JUnit XML (one testsuite, a testcase per case) for CI systems."""
    root = ElementTree.Element("testsuites")
    ts = ElementTree.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(report.total),
        failures=str(report.failed),
        skipped=str(report.skipped),
        errors="0",
    )
    for r in report.results:
        tc = ElementTree.SubElement(
            ts, "testcase", name=_xml(r.name), classname=_xml(_classname(r.where))
        )
        if r.skipped:
            ElementTree.SubElement(tc, "skipped", message=_xml(r.expected.get("skip", "")))
        elif not r.passed:
            fail = ElementTree.SubElement(
                tc, "failure", message=_xml("; ".join(r.problems)), type="mismatch"
            )
            fail.text = _xml(f"deciding: {r.deciding_text()}\n\n{r.explanation}")
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text XML 1.0 can hold (control characters shown as ``\\xNN``): policy text and case
    names are evidence, and a CI system rejects the whole file for one bad character."""
    return _XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _classname(where: str) -> str:
    """``file.json#3`` -> ``file.json`` (CI groups test cases by class name)."""
    return where.rsplit("#", 1)[0]
