"""``iamlab cases run``: runs case files and folders, reports, and fails loudly."""

from __future__ import annotations

import json
from pathlib import Path

from iamlab.cli import main

CASES = Path(__file__).parent / "cases"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def _case(name: str, decision: str, **expect) -> dict:
    return {
        "name": name,
        "request": {
            "principal": "arn:aws:iam::111122223333:user/alice",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/k",
            "resource_account": "111122223333",
        },
        "policies": {"identity": [ALLOW_ALL]},
        "expect": {"decision": decision, **expect},
    }


def test_runs_the_project_cases_as_json(capsys) -> None:
    assert main(["cases", "run", str(CASES), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] >= 100 and out["failed"] == 0 and out["passed"] == out["total"]
    assert len(out["results"]) == out["total"] and all(r["passed"] for r in out["results"])


def test_failing_case_gives_status_1_and_an_explanation(tmp_path: Path, capsys) -> None:
    f = tmp_path / "two.json"
    f.write_text(
        json.dumps(
            [
                _case("allow all allows", "allow"),
                _case("wrongly expects a deny", "implicit_deny", denied_by=["identity"]),
            ]
        )
    )
    assert main(["cases", "run", str(f)]) == 1
    out = capsys.readouterr().out
    assert (
        "FAIL" in out
        and "wrongly expects a deny" in out
        and "decision: expected implicit_deny, got allow" in out
    )
    assert "2 cases: 1 passed, 1 failed" in out
    assert main(["cases", "run", str(f), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["total"], data["passed"], data["failed"]) == (2, 1, 1)
    assert data["results"][1]["actual"]["decision"] == "allow"


def test_single_case_object_per_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "one.json").write_text(json.dumps(_case("one", "allow")))
    assert main(["cases", "run", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1


def test_malformed_case_file_names_file_and_case(tmp_path: Path, capsys) -> None:
    bad = _case("missing expect", "allow")
    del bad["expect"]
    f = tmp_path / "bad.json"
    f.write_text(json.dumps([_case("fine", "allow"), bad]))
    assert main(["cases", "run", str(f)]) == 2
    err = capsys.readouterr().err
    assert "bad.json#1" in err and "missing expect" in err and "'expect'" in err
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["cases", "run", str(f)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["cases", "run", str(tmp_path / "nope")]) == 2


def test_malformed_policy_in_a_case_is_a_failure_not_an_allow(tmp_path: Path, capsys) -> None:
    case = _case("typo in operator", "allow")
    case["policies"]["identity"] = [
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEqualz": {"a:b": "c"}},
                }
            ],
        }
    ]
    f = tmp_path / "c.json"
    f.write_text(json.dumps(case))
    assert main(["cases", "run", str(f)]) == 1
    assert "unknown condition operator 'StringEqualz'" in capsys.readouterr().out
    case["expect"] = {"error": "unknown condition operator"}
    f.write_text(json.dumps(case))
    assert main(["cases", "run", str(f)]) == 0
