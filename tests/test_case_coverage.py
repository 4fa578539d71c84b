"""The engine's data test cases are well-formed and cover every documented rule.

The cases under tests/cases/<topic>/*.json are written from aws-facts.md sections
4 and 5, independently of the engine; the runner that evaluates them lives
elsewhere. This file checks the data itself: shape, vocabulary, unique names,
and that each rule in tests/cases/rules.json has at least one case expecting
allow and one expecting a deny.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from iamlab.errors import InputError
from iamlab.policy.cases import check_case
from iamlab.policy.decision import DECISIONS, LAYERS

CASES_DIR = Path(__file__).parent / "cases"
RULES_FILE = CASES_DIR / "rules.json"

# The project's own cases spell out every key (the owner, iamlab.policy.cases, also
# accepts shorter cases and cases that take their policies from a snapshot).
CASE_KEYS = {"name", "rule", "source", "request", "policies", "expect"}
REQUEST_KEYS = {"principal", "action", "resource", "resource_account", "context"}
POLICY_KEYS = set(LAYERS) - {"trust"}
MIN_CASES = 250


def _case_files() -> list[Path]:
    return sorted(p for p in CASES_DIR.rglob("*.json") if p != RULES_FILE)


def _load_cases() -> list[tuple[str, dict]]:
    out = []
    for path in _case_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else [data]
        for i, item in enumerate(items):
            out.append((f"{path.relative_to(CASES_DIR)}[{i}]", item))
    return out


def _load_rules() -> list[dict]:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


CASES = _load_cases()


def _is_doc(value) -> bool:
    if not isinstance(value, dict) or "Statement" not in value:
        return False
    return isinstance(value["Statement"], (dict, list))


def _is_unknown(value) -> bool:
    """A layer given as "unknown" (or {"unknown": "why"}): it applies but is not known."""
    return value == "unknown" or (
        isinstance(value, dict) and set(value) == {"unknown"} and isinstance(value["unknown"], str)
    )


def _doc_list_problems(value, where: str) -> list[str]:
    if value is None or _is_unknown(value):
        return []
    if not isinstance(value, list) or not all(_is_doc(d) for d in value):
        return [f"{where} must be null or a list of policy documents"]
    return []


def _levels_problems(value, where: str) -> list[str]:
    if value is None or _is_unknown(value):
        return []
    if not isinstance(value, list) or not value:
        return [f"{where} must be null or a non-empty list of levels"]
    problems = []
    for i, level in enumerate(value):
        if not isinstance(level, list) or not all(_is_doc(d) for d in level):
            problems.append(f"{where}[{i}] must be a list of policy documents (possibly empty)")
    return problems


def case_problems(case: dict, rule_ids: set[str]) -> list[str]:
    """Return what is wrong with one case (empty when it is well-formed): the case format's
    owner checks the format, this adds the project's rules (every key, a rule, a source)."""
    try:
        check_case(case, "case")
    except InputError as exc:
        return [str(exc)]
    problems = []
    keys = set(case)
    if keys != CASE_KEYS:
        problems.append(f"keys {sorted(keys)} != {sorted(CASE_KEYS)}")
        return problems
    for key in ("name", "rule", "source"):
        if not isinstance(case[key], str) or not case[key].strip():
            problems.append(f"{key} must be a non-empty string")
    if case["rule"] not in rule_ids:
        problems.append(f"rule {case['rule']!r} is not in rules.json")
    cited = ("aws-facts", "memory", "User Guide", "API Reference", "Developer Guide", "re:Post")
    if not any(c in case["source"] for c in cited):
        problems.append(
            "source must cite an aws-facts section or an AWS page (User Guide, API Reference, "
            "Developer Guide, re:Post), or say it is from memory"
        )

    req = case["request"]
    if not isinstance(req, dict) or set(req) != REQUEST_KEYS:
        problems.append(f"request keys must be {sorted(REQUEST_KEYS)}")
    else:
        for key in ("principal", "action", "resource", "resource_account"):
            if not isinstance(req[key], str) or not req[key]:
                problems.append(f"request.{key} must be a non-empty string")
        ctx = req["context"]
        if not isinstance(ctx, dict):
            problems.append("request.context must be an object")
        else:
            for k, v in ctx.items():
                is_list = isinstance(v, list) and all(isinstance(x, str) for x in v)
                ok = isinstance(v, str) or is_list
                if not ok:
                    problems.append(f"context value of {k!r} must be a string or a list of strings")

    pol = case["policies"]
    if not isinstance(pol, dict) or not set(pol) <= POLICY_KEYS:
        problems.append(f"policies keys must be a subset of {sorted(POLICY_KEYS)}")
    else:
        for key in ("identity", "permissions_boundary", "vpc_endpoint"):
            problems += _doc_list_problems(pol.get(key), f"policies.{key}")
        for key in ("session", "resource"):
            value = pol.get(key)
            if value is not None and not _is_doc(value) and not _is_unknown(value):
                problems.append(f"policies.{key} must be null or one policy document")
        for key in ("scp", "rcp"):
            problems += _levels_problems(pol.get(key), f"policies.{key}")

    exp = case["expect"]
    if "decision" not in exp:
        problems.append("expect must hold decision")
    else:
        if "denied_by" in exp:
            db = exp["denied_by"]
            distinct = isinstance(db, list) and len(set(db)) == len(db)
            valid = distinct and db and set(db) <= set(LAYERS)
            if not valid:
                problems.append(f"denied_by {db!r}: need distinct layers from {sorted(LAYERS)}")
            if exp["decision"] in ("allow", "unknown"):
                problems.append(f"an {exp['decision']} case cannot name denied_by")
        if "possible" in exp:
            pos = exp["possible"]
            if not isinstance(pos, list) or not pos or not set(pos) <= set(DECISIONS) - {"unknown"}:
                problems.append(f"possible {pos!r}: need decisions from allow/implicit/explicit")
        has_unknown = isinstance(pol, dict) and any(_is_unknown(v) for v in pol.values())
        if exp["decision"] == "unknown" and not has_unknown:
            problems.append("an unknown case must give at least one layer as unknown")
    return problems


def test_rules_file_is_well_formed():
    rules = _load_rules()
    assert isinstance(rules, list) and rules
    for rule in rules:
        assert set(rule) == {"id", "section", "text"}, rule
        assert all(isinstance(rule[k], str) and rule[k] for k in rule), rule
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]


def test_every_case_file_is_valid_json_with_cases():
    files = _case_files()
    assert files, f"no case files under {CASES_DIR}"
    for path in files:
        assert path.parent != CASES_DIR, f"{path.name}: case files live in a topic folder"
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, (list, dict)) and data, f"{path}: empty"


@pytest.mark.parametrize("where,case", CASES, ids=[w for w, _ in CASES])
def test_case_is_well_formed(where, case):
    rule_ids = {r["id"] for r in _load_rules()}
    assert case_problems(case, rule_ids) == []


def test_case_names_are_unique():
    counts = Counter(c["name"] for _, c in CASES)
    assert [n for n, k in counts.items() if k > 1] == []


def test_enough_cases():
    assert len(CASES) >= MIN_CASES


def test_every_rule_has_an_allow_and_a_deny_case():
    allow, deny = Counter(), Counter()
    for _, c in CASES:
        decision = c["expect"]["decision"]
        if decision != "unknown":  # "unknown" cases have their own rules (next test)
            (allow if decision == "allow" else deny)[c["rule"]] += 1
    missing = [
        r["id"]
        for r in _load_rules()
        if not r["id"].startswith("unknown-") and (not allow[r["id"]] or not deny[r["id"]])
    ]
    assert missing == [], f"rules lacking an allow or a deny case: {missing}"


def test_every_unknown_layer_rule_has_an_unknown_and_a_final_case():
    unknown, final = Counter(), Counter()
    for _, c in CASES:
        (unknown if c["expect"]["decision"] == "unknown" else final)[c["rule"]] += 1
    rules = [r["id"] for r in _load_rules() if r["id"].startswith("unknown-")]
    assert rules, "rules.json has no unknown-* rules"
    missing = [r for r in rules if not unknown[r] or not final[r]]
    assert missing == [], f"unknown-layer rules lacking an unknown or a final case: {missing}"


def test_checker_rejects_bad_cases():
    """The shape check itself must be able to fail."""
    rule_ids = {"r"}
    good = {
        "name": "n",
        "rule": "r",
        "source": "aws-facts 4.1",
        "request": {
            "principal": "p",
            "action": "a",
            "resource": "x",
            "resource_account": "1",
            "context": {},
        },
        "policies": {"identity": None, "scp": [[], [{"Statement": []}]]},
        "expect": {"decision": "implicit_deny", "denied_by": ["scp"]},
    }
    assert case_problems(good, rule_ids) == []
    bad_decision = json.loads(json.dumps(good))
    bad_decision["expect"]["decision"] = "deny"
    assert case_problems(bad_decision, rule_ids)
    bad_layer = json.loads(json.dumps(good))
    bad_layer["expect"]["denied_by"] = ["boundary"]
    assert case_problems(bad_layer, rule_ids)
    bad_rule = json.loads(json.dumps(good))
    bad_rule["rule"] = "unknown"
    assert case_problems(bad_rule, rule_ids)
    bad_session = json.loads(json.dumps(good))
    bad_session["policies"]["session"] = [{"Statement": []}]
    assert case_problems(bad_session, rule_ids)
    bad_ctx = json.loads(json.dumps(good))
    bad_ctx["request"]["context"] = {"aws:SecureTransport": True}
    assert case_problems(bad_ctx, rule_ids)
