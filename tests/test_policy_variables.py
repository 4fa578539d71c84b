"""Policy variables (aws-facts 4.7): versions, defaults, escapes, missing keys, derived keys."""

from __future__ import annotations

from iamlab.policy import evaluate

ACCT = "111122223333"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/Dev/alice"


def _run(
    statements: list,
    *,
    principal: str = ALICE,
    resource: str = "arn:aws:s3:::home/alice/x",
    context: dict | None = None,
    version: str | None = "2012-10-17",
    action: str = "s3:GetObject",
):
    doc = {"Statement": statements}
    if version:
        doc["Version"] = version
    return evaluate(
        {
            "principal": principal,
            "action": action,
            "resource": resource,
            "resource_account": ACCT,
            "context": context or {},
        },
        {"identity": [doc]},
    )


HOME = {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}


def test_username_in_resource_is_substituted() -> None:
    assert _run([HOME]).decision == "allow"
    assert _run([HOME], resource="arn:aws:s3:::home/bob/x").decision == "implicit_deny"


def test_variables_are_literal_without_version_2012() -> None:
    for version in (None, "2008-10-17"):
        assert _run([HOME], version=version).decision == "implicit_deny"
        assert (
            _run([HOME], version=version, resource="arn:aws:s3:::home/${aws:username}/x").decision
            == "allow"
        )


def test_username_is_absent_for_role_sessions_so_the_statement_does_not_apply() -> None:
    d = _run([HOME], principal=SESSION)
    assert d.decision == "implicit_deny"
    st = d.layer("identity")[0].statements[0]
    assert st.failed_on == "resource"
    # AWS never sets aws:username for a role: its absence is a fact, not missing evidence.
    assert d.missing_context == ()


def test_missing_variable_in_a_deny_makes_the_deny_not_apply() -> None:
    stmts = [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"s3:prefix": "${aws:PrincipalTag/team}"}},
        },
    ]
    d = _run(stmts, context={"s3:prefix": "x"})
    assert d.decision == "allow"
    assert "aws:principaltag/team" in d.missing_context


def test_default_value_is_used_when_the_key_is_missing() -> None:
    stmt = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::teams/${aws:PrincipalTag/team, 'company-wide'}/*",
    }
    assert _run([stmt], resource="arn:aws:s3:::teams/company-wide/x").decision == "allow"
    assert (
        _run(
            [stmt], resource="arn:aws:s3:::teams/red/x", context={"aws:PrincipalTag/team": "red"}
        ).decision
        == "allow"
    )
    assert (
        _run(
            [stmt],
            resource="arn:aws:s3:::teams/company-wide/x",
            context={"aws:PrincipalTag/team": "red"},
        ).decision
        == "implicit_deny"
    )


def test_escapes_are_literal_characters() -> None:
    stmt = {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${*}${?}${$}"}
    assert _run([stmt], resource="arn:aws:s3:::b/*?$").decision == "allow"
    assert _run([stmt], resource="arn:aws:s3:::b/ab$").decision == "implicit_deny"


def test_variable_in_condition_values() -> None:
    stmt = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "*",
        "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}},
    }
    assert (
        _run([stmt], action="s3:ListBucket", context={"s3:prefix": "alice/docs"}).decision
        == "allow"
    )
    assert (
        _run([stmt], action="s3:ListBucket", context={"s3:prefix": "bob/docs"}).decision
        == "implicit_deny"
    )


def test_substituted_value_is_not_a_wildcard() -> None:
    stmt = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"StringLike": {"s3:prefix": "${aws:PrincipalTag/p}"}},
    }
    assert (
        _run([stmt], context={"aws:PrincipalTag/p": "*", "s3:prefix": "anything"}).decision
        == "implicit_deny"
    )


def test_principal_arn_for_a_session_is_the_role_arn_and_explicit_context_wins() -> None:
    stmt = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/team/Dev"}},
    }
    derived = _run([stmt], principal=SESSION)
    assert derived.decision == "implicit_deny"  # the session ARN drops the path /team/
    assert any("path" in n for n in derived.notes)
    given = _run(
        [stmt],
        principal=SESSION,
        context={"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/team/Dev"},
    )
    assert given.decision == "allow"


def test_derived_keys_do_not_override_explicit_context() -> None:
    stmt = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "999999999999"}},
    }
    assert _run([stmt]).decision == "implicit_deny"
    assert _run([stmt], context={"aws:PrincipalAccount": "999999999999"}).decision == "allow"
