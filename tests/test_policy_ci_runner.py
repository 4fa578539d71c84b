"""``iamlab test``: the user's policy expectations in CI, with JUnit XML, over case files or a
snapshot; and the case format's owner (``iamlab.policy.cases``) that it and ``diagnose`` use."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from iamlab.cli import main
from iamlab.errors import InputError
from iamlab.policy import PolicySet, Request, evaluate
from iamlab.policy.cases import (
    expect_of,
    junit_xml,
    load_cases,
    make_case,
    run_case,
    run_cases,
    write_cases,
)

CASES = Path(__file__).parent / "cases"
SNAPSHOT = Path(__file__).parent.parent / "sample_data" / "snapshot"
ALICE = "arn:aws:iam::111122223333:user/alice"
TOM = "arn:aws:iam::264830159726:user/people/tom.reyes"
DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ReadAll", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
        {
            "Sid": "NoSecrets",
            "Effect": "Deny",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/secret/*",
        },
        {
            "Sid": "OnlyTagged",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}},
        },
    ],
}


def _case(
    name: str, resource: str = "arn:aws:s3:::b/k", action: str = "s3:GetObject", **expect
) -> dict:
    return {
        "name": name,
        "request": {
            "principal": ALICE,
            "action": action,
            "resource": resource,
            "resource_account": "111122223333",
        },
        "policies": {"identity": [DOC]},
        "expect": expect,
    }


def _write(tmp_path: Path, cases: list, name: str = "cases.json") -> Path:
    f = tmp_path / name
    f.write_text(json.dumps(cases), encoding="utf-8")
    return f


def _junit(path: Path) -> ElementTree.Element:
    root = ElementTree.parse(path).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    return suite


def test_the_engines_own_case_files_all_pass_with_a_junit_report(tmp_path, capsys) -> None:
    xml = tmp_path / "junit.xml"
    assert main(["test", str(CASES), "--junit", str(xml)]) == 0
    out = capsys.readouterr().out
    total = sum(1 for _ in load_cases([CASES]))
    assert total >= 574
    assert f"{total} cases: {total} passed, 0 failed, 0 skipped" in out
    suite = _junit(xml)
    assert suite.get("tests") == str(total) and suite.get("failures") == "0"
    assert len(suite.findall("testcase")) == total
    assert suite.findall("testcase/failure") == []


def test_a_broken_expectation_fails_with_the_case_name_and_the_deciding_statement(
    tmp_path, capsys
) -> None:
    f = _write(
        tmp_path,
        [
            _case("reads an ordinary object", decision="allow"),
            _case(
                "secrets stay readable (wrong on purpose)",
                "arn:aws:s3:::b/secret/x",
                decision="allow",
            ),
        ],
    )
    xml = tmp_path / "junit.xml"
    assert main(["test", str(f), "--junit", str(xml)]) == 1
    out = capsys.readouterr().out
    assert "FAIL secrets stay readable (wrong on purpose)" in out
    assert "decision: expected allow, got explicit_deny" in out
    assert "deciding: identity[0]#NoSecrets (Deny in identity)" in out
    assert "2 cases: 1 passed, 1 failed, 0 skipped" in out
    suite = _junit(xml)
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    passed, failed = suite.findall("testcase")
    assert passed.get("name") == "reads an ordinary object" and passed.find("failure") is None
    failure = failed.find("failure")
    assert failure.get("message") == "decision: expected allow, got explicit_deny"
    assert failure.text.startswith("deciding: identity[0]#NoSecrets (Deny in identity)")


def test_an_implicit_deny_names_the_layer_that_lacked_an_allow(tmp_path, capsys) -> None:
    f = _write(
        tmp_path, [_case("deletes (wrong on purpose)", action="s3:DeleteObject", decision="allow")]
    )
    assert main(["test", str(f)]) == 1
    assert "deciding: no statement: no Allow in identity" in capsys.readouterr().out


def test_cases_naming_snapshot_principals_take_their_policies_from_the_snapshot(
    tmp_path, capsys
) -> None:
    f = _write(
        tmp_path,
        [
            {
                "name": "tom may not create IAM users",
                "request": {
                    "principal": TOM,
                    "action": "iam:CreateUser",
                    "resource": "arn:aws:iam::264830159726:user/tmp-loadtest",
                },
                "expect": {"decision": "explicit_deny"},
            },
            {
                "name": "tom may create IAM users (wrong on purpose)",
                "snapshot": True,
                "request": {
                    "principal": TOM,
                    "action": "iam:CreateUser",
                    "resource": "arn:aws:iam::264830159726:user/tmp-loadtest",
                },
                "expect": {"decision": "allow"},
            },
        ],
    )
    assert main(["test", str(f), "--snapshot", str(SNAPSHOT)]) == 1
    out = capsys.readouterr().out
    assert "FAIL tom may create IAM users (wrong on purpose)" in out
    assert "FAIL tom may not create IAM users" not in out
    deciding = next(line for line in out.splitlines() if "deciding:" in line)
    assert "#" in deciding and "Deny in" in deciding
    assert "2 cases: 1 passed, 1 failed" in out


def test_a_snapshot_case_without_a_snapshot_is_an_error_naming_file_and_case(
    tmp_path, capsys
) -> None:
    f = _write(
        tmp_path,
        [
            {
                "name": "needs the snapshot",
                "request": {"principal": TOM, "action": "iam:CreateUser"},
                "expect": {"decision": "explicit_deny"},
            }
        ],
    )
    assert main(["test", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}#0 (case 'needs the snapshot')" in err and "--snapshot" in err


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("{not json", ["bad.json", "not valid JSON"]),
        (
            json.dumps(
                [
                    {
                        "name": "no expect",
                        "request": {"principal": ALICE, "action": "s3:A"},
                        "policies": {},
                    }
                ]
            ),
            ["bad.json#0", "case 'no expect'", "missing 'expect'"],
        ),
        (
            json.dumps([_case("typo", decison="allow")]),
            ["bad.json#0", "case 'typo'", "unknown key(s) ['decison']"],
        ),
        (
            json.dumps([_case("bad ref", decision="allow", deciding=["ReadAll"])]),
            ["case 'bad ref'", "policy#Sid"],
        ),
        (
            json.dumps(
                [
                    _case(
                        "bad failed_on",
                        decision="allow",
                        failed_on={"identity[0]#NoSecrets": "mood"},
                    )
                ]
            ),
            ["case 'bad failed_on'", "action, resource, principal, condition"],
        ),
        (
            json.dumps([_case("empty skip", decision="allow", skip="")]),
            ["case 'empty skip'", "reason"],
        ),
    ],
    ids=["not-json", "no-expect", "expect-typo", "bad-deciding", "bad-failed-on", "empty-skip"],
)
def test_bad_case_files_give_an_error_naming_the_file_and_the_case(
    tmp_path, capsys, content, fragments
) -> None:
    f = tmp_path / "bad.json"
    f.write_text(content, encoding="utf-8")
    assert main(["test", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("iamlab test: error: ")
    for fragment in fragments:
        assert fragment in err


def test_a_skipped_case_is_reported_as_skipped_not_passed(tmp_path, capsys) -> None:
    f = _write(
        tmp_path,
        [
            _case("not yet", decision="allow", skip="waits for the new bucket"),
            _case("reads", decision="allow"),
        ],
    )
    xml = tmp_path / "j.xml"
    assert main(["test", str(f), "--junit", str(xml)]) == 0
    out = capsys.readouterr().out
    assert "SKIP not yet (skipped: waits for the new bucket)" in out
    assert "2 cases: 1 passed, 0 failed, 1 skipped" in out
    suite = _junit(xml)
    assert suite.get("skipped") == "1"
    assert suite.find("testcase/skipped").get("message") == "waits for the new bucket"
    report = run_cases(load_cases([f]))
    assert (report.passed, report.skipped, report.failed) == (1, 1, 0)
    assert report.results[0].status == "skipped" and not report.results[0].passed


def test_deciding_and_failed_on_are_compared(tmp_path) -> None:
    good = _case(
        "secret read denied by NoSecrets",
        "arn:aws:s3:::b/secret/x",
        decision="explicit_deny",
        deciding=["identity[0]#NoSecrets"],
        failed_on={"identity[0]#OnlyTagged": "action"},
    )
    assert run_case(good).passed
    wrong_expect = {
        "deciding": ["identity[0]#ReadAll"],
        "failed_on": {"identity[0]#OnlyTagged": "condition"},
    }
    wrong = {**good, "name": "names the wrong Deny", "expect": {**good["expect"], **wrong_expect}}
    result = run_case(wrong)
    assert result.status == "failed"
    assert result.problems == (
        "deciding: expected ['identity[0]#ReadAll'], got ['identity[0]#NoSecrets']",
        "failed_on identity[0]#OnlyTagged: expected condition, got action",
    )
    put = _case(
        "untagged put fails on the condition",
        action="s3:PutObject",
        decision="implicit_deny",
        failed_on={"identity[0]#OnlyTagged": "condition"},
    )
    assert run_case(put).passed


def test_written_cases_pin_a_decision_and_run_again(tmp_path, capsys) -> None:
    request = Request(ALICE, "s3:GetObject", "arn:aws:s3:::b/secret/x", "111122223333")
    policies = PolicySet.from_dict({"identity": [DOC], "scp": "unknown"})
    d = evaluate(request, policies)
    case = make_case(
        "pinned",
        request,
        policies,
        expect_of(d, deciding=True),
        source="iamlab diagnose (verified fix)",
    )
    assert case["expect"] == {
        "decision": "explicit_deny",
        "denied_by": ["identity"],
        "possible": ["explicit_deny"],
        "deciding": ["identity[0]#NoSecrets"],
    }
    assert case["policies"]["scp"] == {"unknown": "given as unknown"}
    path = write_cases(tmp_path / "pinned.json", [case])
    assert json.loads(path.read_text(encoding="utf-8")) == [case]
    assert main(["test", str(path)]) == 0
    assert "1 cases: 1 passed, 0 failed, 0 skipped" in capsys.readouterr().out


def test_write_cases_refuses_a_malformed_case_naming_it(tmp_path) -> None:
    with pytest.raises(InputError, match=r"out\.json#1 \(case 'second'\): expect"):
        write_cases(
            tmp_path / "out.json",
            [_case("first", decision="allow"), _case("second", decision="maybe")],
        )
    assert not (tmp_path / "out.json").exists()


def test_junit_xml_stays_parseable_with_control_characters_in_evidence(tmp_path) -> None:
    f = _write(tmp_path, [_case("evil\x1b[31m name\x00", decision="implicit_deny")])
    text = junit_xml(run_cases(load_cases([f])))
    root = ElementTree.fromstring(text.encode("utf-8"))
    tc = root.find("testsuite/testcase")
    assert tc.get("name") == "evil\\x1b[31m name\\x00"
    assert tc.find("failure") is not None


def test_an_unwritable_junit_path_is_a_clear_error(tmp_path, capsys) -> None:
    f = _write(tmp_path, [_case("reads", decision="allow")])
    target = tmp_path / "no-such-folder" / "junit.xml"
    assert main(["test", str(f), "--junit", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write the JUnit report {target}" in err and "folder that exists" in err
