"""Condition operators (aws-facts 4.6): what the case format cannot say.

The decisions each operator reaches (the table of operator, key, policy values
and request value, AND/OR logic, key-name and tag-key case) are cases in
tests/cases/conditions/ (operator-table.json, and-or-and-key-case.json), run
by tests/test_policy_cases.py. This file keeps the policy errors a malformed
condition raises and, for one case, the condition record its explanation holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlab.errors import PolicyError
from iamlab.policy import parse_policy
from iamlab.policy.cases import load_cases, run_cases

CASES = Path(__file__).parent / "cases"
IFEXISTS_CASE = "Deny + StringNotEqualsIfExists on an absent tag denies and is the deciding"


def _with_condition(condition: dict) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}
        ],
    }


@pytest.mark.parametrize(
    "op", ["StringEqualz", "NullIfExists", "ForSomeValues:StringEquals", "IpAddres"]
)
def test_unknown_operator_is_a_policy_error(op: str) -> None:
    with pytest.raises(PolicyError, match="unknown condition operator"):
        parse_policy(_with_condition({op: {"aws:SourceIp": "1.2.3.4"}}))


@pytest.mark.parametrize(
    ("op", "value"),
    [
        ("IpAddress", "not-an-ip"),
        ("NumericLessThan", "ten"),
        ("DateLessThan", "yesterday"),
        ("Null", "maybe"),
    ],
)
def test_invalid_policy_values_are_policy_errors(op: str, value: str) -> None:
    with pytest.raises(PolicyError, match=op):
        parse_policy(_with_condition({op: {"k:k": value}}))


def test_deny_with_negated_ifexists_still_denies_when_key_missing() -> None:
    """The case decides; its deciding statement's condition record says why it held."""
    report = run_cases(load_cases([CASES / "conditions" / "logic-and-missing-keys.json"]))
    (result,) = [r for r in report.results if r.name.startswith(IFEXISTS_CASE)]
    assert result.passed, result.problems
    assert result.decision is not None
    cond = result.decision.deciding[0].conditions[0]
    assert cond.request_values is None and cond.matched and "IfExists" in cond.reason
