"""Action and resource matching (aws-facts 4, 5): what the case format cannot say.

The decisions each action and resource pattern reaches (wildcards, case rules,
ARN segments, NotAction/NotResource, statement forms) are cases in
tests/cases/action-matching/patterns.json, resource-matching/patterns.json,
arn-gotchas/resource-patterns.json and basics-and-explicit-deny/statement-forms.json,
run by tests/test_policy_cases.py. This file keeps why a statement did not
apply (its reason) and the pattern matcher's agreement with the wildcard regex.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from iamlab.policy._patterns import FastMatcher, arn_regex, compile_alternatives, plain_regex
from iamlab.policy.cases import load_cases, run_cases

CASES = Path(__file__).parent / "cases"
WHY_CASE = "an Allow for another action fails on the action, one for another bucket on the"


def test_explanation_says_why_a_statement_did_not_apply() -> None:
    """The case checks the decision and where each statement failed; the reason names the
    resource patterns that did not match."""
    report = run_cases(load_cases([CASES / "resource-matching" / "patterns.json"]))
    (result,) = [r for r in report.results if r.name.startswith(WHY_CASE)]
    assert result.passed, result.problems
    assert result.decision is not None
    stmts = {s.sid: s for s in result.decision.layer("identity")[0].statements}
    assert "arn:aws:s3:::other/*" in stmts["WrongBucket"].reason


@settings(max_examples=1000, deadline=None)
@given(
    patterns=st.lists(st.text(alphabet="ab::/*?", min_size=1, max_size=14), min_size=1, max_size=3),
    text=st.text(alphabet="ab::/", max_size=16),
    arn=st.booleans(),
)
def test_fast_matcher_agrees_with_the_wildcard_regex(patterns, text, arn) -> None:
    """The set/prefix shortcuts give exactly what the per-segment wildcard regex gives."""
    build = arn_regex if arn else plain_regex
    rx = compile_alternatives(build((("g", p),)) for p in patterns)
    assert bool(FastMatcher(patterns, arn=arn).match(text)) == (rx.match(text) is not None)


def test_fast_matcher_gives_the_same_answers_after_it_compiles_itself() -> None:
    patterns = [
        "arn:aws:logs:*:111122223333:log-group:*",
        "arn:aws:s3:::b/*",
        "arn:aws:ec2:*:*:vpc/v?",
    ]
    texts = [
        "arn:aws:logs:us-east-1:111122223333:log-group:x:y",
        "arn:aws:logs:us-east-1:1:log-group:x",
        "arn:aws:s3:::b/k",
        "arn:aws:ec2:eu-west-1:1:vpc/v1",
        "arn:aws:ec2:eu-west-1:1:vpc/v12",
    ]
    rx = compile_alternatives(arn_regex((("g", p),)) for p in patterns)
    matcher = FastMatcher(patterns, arn=True)
    for _ in range(20):  # past the point where the segment matcher becomes a regex
        for t in texts:
            assert bool(matcher.match(t)) == (rx.match(t) is not None), t
    assert matcher.segments == ()
