"""``iamlab diagnose --write-cases DIR`` pins every verified fix of the sample with cases that
``iamlab test DIR`` passes, and that fail when the fix is broken or widened."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import SAMPLE_DATA, sample_trail_workspace

from iamlab.cli import main
from iamlab.diagnose import diagnose_all
from iamlab.diagnose.pin import file_name, pin_cases, write_pins
from iamlab.workspace import Workspace

SNAPSHOT = str(SAMPLE_DATA / "snapshot")
LAMBDA = "608cb797-0468-4271-8842-658efc5a3342"  # tom.reyes, missing-action
CREATE_USER = "8f29d7c0-3412-4d5c-b55e-b91b53892505"  # tom.reyes, explicit-deny (guardrail)
PAYROLL = "1a228a1b-3ecb-4133-8268-b19c05eb354d"  # priya.nair, resource-arn (near miss)
REGION = "653785e1-a94a-4228-9ef5-006d0d6ad807"  # sam.okafor, org-policy (region SCP)
PARTNER = "f17c80ce-4814-41d1-a719-3d8223a86e92"  # the partner's account: not in the snapshot


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory):
    return sample_trail_workspace(tmp_path_factory.mktemp("pin-ws"))


@pytest.fixture(scope="module")
def written(ws_path, tmp_path_factory):
    """The cases folder written by `iamlab diagnose --write-cases`, and what it printed."""
    folder = tmp_path_factory.mktemp("pin-out") / "fix-cases"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["diagnose", "--workspace", str(ws_path), "--snapshot", SNAPSHOT,
                       "--write-cases", str(folder)])  # fmt: skip
    assert status == 0
    return folder, out.getvalue()


@pytest.fixture(scope="module")
def diagnoses(ws_path):
    with Workspace(ws_path, read_only=True) as ws, ws.connect() as con:
        return diagnose_all(con, SNAPSHOT)


def cases_of(folder: Path, event_id: str) -> tuple[Path, list[dict]]:
    (path,) = folder.glob(f"{event_id}-*.json")
    return path, json.loads(path.read_text())


def run_test(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["test", *args])
    return status, capsys.readouterr().out


def run_edited(capsys, folder: Path, name: str, cases: list[dict]) -> tuple[Path, int, str]:
    """Write edited ``cases`` as ``folder/name`` and run ``iamlab test`` on that file."""
    edited = folder / name
    edited.write_text(json.dumps(cases))
    return (edited, *run_test(capsys, str(edited)))


def test_write_cases_writes_one_file_per_verified_fix(written, ws_path):
    folder, printed = written
    with Workspace(ws_path, read_only=True) as ws:
        verified = ws.sql(
            "SELECT count(*) AS n FROM diagnoses WHERE json_extract(fix, '$.verified')::BOOLEAN"
        )["n"][0]
    files = sorted(folder.glob("*.json"))
    assert len(files) == verified == 58  # the sample's "58 fixes proven" of 61 denials
    assert f"in 58 files, one per verified fix, into {folder}" in printed
    assert f"Run them: iamlab test {folder}" in printed


def test_unverified_fixes_get_no_case_and_the_output_says_why(written, diagnoses):
    folder, printed = written
    assert not list(folder.glob(f"{PARTNER}-*"))
    assert f"no cases for event {PARTNER} (resource-policy): fix not verified" in printed
    assert printed.count("no cases for event") == 3  # 61 denials - 58 verified fixes
    partner = next(d for d in diagnoses if d.event_id == PARTNER)
    assert partner.fix["verified"] is False and pin_cases(partner, diagnoses) == []


def test_iamlab_test_passes_every_written_case_with_junit(written, capsys):
    folder, _ = written
    total = sum(len(json.loads(p.read_text())) for p in folder.glob("*.json"))
    junit = folder.parent / "junit.xml"
    status, out = run_test(capsys, str(folder), "--junit", str(junit))
    assert status == 0, out
    assert out.strip().endswith(f"{total} cases: {total} passed, 0 failed, 0 skipped")
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == (str(total), "0")
    assert total >= 2 * 58  # each fix: allowed now, and at least one request kept denied


def test_each_file_pins_the_allow_first_then_what_must_stay_denied(written):
    folder, _ = written
    for path in folder.glob("*.json"):
        first, *rest = json.loads(path.read_text())
        assert first["expect"]["decision"] == "allow", path.name
        assert first["name"].endswith("must now be allowed")
        assert rest, f"{path.name} pins nothing that must stay denied"
        for case in rest:
            assert case["expect"]["decision"] in ("implicit_deny", "explicit_deny"), case["name"]
            assert case["name"].endswith("must stay denied")
        event_id = first["name"].split()[1]
        assert path.name.startswith(f"{event_id}-")
        for case in (first, *rest):
            assert case["name"].startswith(f"event {event_id} (")
            assert case["source"].startswith(f"iamlab diagnose: the fix of event {event_id}; ")
            assert "workspace" in case["source"] and "snapshot" in case["source"]
            assert case["policies"] and case["rule"] in path.name


def test_the_principals_other_denials_stay_denied_as_replayed(written):
    _, cases = cases_of(written[0], LAMBDA)
    assert cases[0]["name"] == (
        f"event {LAMBDA} (missing-action): lambda:UpdateFunctionConfiguration on "
        "arn:aws:lambda:eu-west-1:264830159726:function:invoice-render by tom.reyes must now "
        "be allowed"
    )
    other = next(c for c in cases if f"denied in event {CREATE_USER}" in c["name"])
    assert other["request"]["action"] == "iam:CreateUser"
    assert other["expect"] == {
        "decision": "explicit_deny",
        "denied_by": ["identity"],
        "deciding": ["identity[2]#DenyIdentityChanges"],
    }
    # the fixed policy (with the added statement) is what the other denial is replayed with
    sids = [s.get("Sid") for doc in other["policies"]["identity"] for s in doc["Statement"]]
    assert "IamlabFixUpdatefunctionconfiguration" in sids


def test_a_grant_is_pinned_against_its_neighbouring_resource_and_action(written):
    _, cases = cases_of(written[0], PAYROLL)
    by_kind = {c["request"]["resource"]: c for c in cases[1:]}
    probe = "arn:aws:s3:::larkspur-prod-data-lake/finance/iamlab-probe/2026-02.parquet"
    assert by_kind[probe]["expect"] == {"decision": "implicit_deny", "denied_by": ["identity"]}
    neighbour = next(c for c in cases if "a neighbouring action" in c["name"])
    assert neighbour["request"]["action"] == "s3:GetObjectAcl"
    assert neighbour["request"]["resource"] == cases[0]["request"]["resource"]


def test_an_exception_is_pinned_against_another_principal(written):
    _, cases = cases_of(written[0], REGION)
    other = next(c for c in cases if "by another principal" in c["name"])
    assert other["request"]["principal"].startswith(
        "arn:aws:sts::264830159726:assumed-role/iamlab-probe/"
    )
    assert other["request"]["context"]["aws:PrincipalArn"].endswith("/iamlab-probe")
    assert other["expect"]["decision"] == "explicit_deny"
    assert other["expect"]["deciding"] == ["scp[1][0]#DenyOutsideApprovedRegions"]


def _without_fix_statement(case: dict, layer: str) -> None:
    for doc in case["policies"][layer]:
        doc["Statement"] = [
            s for s in doc["Statement"] if not s.get("Sid", "").startswith("Iamlab")
        ]


def test_a_broken_fix_fails_naming_the_case_and_the_deciding_statement(written, tmp_path, capsys):
    path, cases = cases_of(written[0], LAMBDA)
    _without_fix_statement(cases[0], "identity")  # the added action is gone
    broken, status, out = run_edited(capsys, tmp_path, path.name, cases)
    assert status == 1
    assert f"FAIL {cases[0]['name']} ({broken}#0)" in out
    assert "decision: expected allow, got implicit_deny" in out
    assert "deciding: no statement: no Allow in identity" in out
    assert f"{len(cases)} cases: {len(cases) - 1} passed, 1 failed" in out


def test_a_broken_exception_fails_naming_the_deny_that_decides(written, tmp_path, capsys):
    path, cases = cases_of(written[0], CREATE_USER)
    tom = "arn:aws:iam::264830159726:user/people/tom.reyes"
    for doc in cases[0]["policies"]["identity"]:
        for s in doc["Statement"]:
            excepted = s.get("Condition", {}).get("ArnNotEquals", {}).get("aws:PrincipalArn")
            if excepted:
                s["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = [
                    a if a != tom else tom.replace("tom.reyes", "someone-else") for a in excepted
                ]
    _, status, out = run_edited(capsys, tmp_path, path.name, cases[:1])
    assert status == 1
    assert f"FAIL {cases[0]['name']}" in out
    assert "decision: expected allow, got explicit_deny" in out
    assert "deciding: identity[2]#DenyIdentityChanges (Deny in identity)" in out


def test_a_stay_denied_case_fails_when_the_fix_is_widened_to_everything(written, tmp_path, capsys):
    path, cases = cases_of(written[0], PAYROLL)
    index, probe = next(
        (i, c) for i, c in enumerate(cases) if "another resource of the same type" in c["name"]
    )
    for doc in probe["policies"]["identity"]:
        for s in doc["Statement"]:
            if s.get("Sid") == "ReadCuratedAndRaw":  # the statement the fix widened
                s["Resource"] = "*"
    widened, status, out = run_edited(capsys, tmp_path, path.name, cases)
    assert status == 1
    assert f"FAIL {probe['name']} ({widened}#{index})" in out
    assert "decision: expected implicit_deny, got allow" in out
    assert f"{len(cases)} cases: {len(cases) - 1} passed, 1 failed" in out


def test_a_neighbouring_action_case_fails_when_the_action_is_widened(written, tmp_path, capsys):
    path, cases = cases_of(written[0], LAMBDA)
    probe = next(c for c in cases if "a neighbouring action" in c["name"])
    for doc in probe["policies"]["identity"]:
        for s in doc["Statement"]:
            if s.get("Sid", "").startswith("IamlabFix"):
                s["Action"] = "lambda:*"
    _, status, out = run_edited(capsys, tmp_path, path.name, [probe])
    assert status == 1 and f"FAIL {probe['name']}" in out


def test_a_write_cases_target_that_is_a_file_is_refused_in_one_line(ws_path, tmp_path, capsys):
    target = tmp_path / "cases.json"
    target.write_text("[]")
    for bad in (target, target / "sub"):
        status = main(["diagnose", "--workspace", str(ws_path), "--snapshot", SNAPSHOT,
                       "--write-cases", str(bad)])  # fmt: skip
        err = capsys.readouterr().err
        assert status == 2
        assert len(err.strip().splitlines()) == 1, err
        assert str(target) in err and "Traceback" not in err
    assert target.read_text() == "[]"


def test_json_output_stays_json_with_write_cases(ws_path, tmp_path, capsys):
    status = main(["diagnose", "--workspace", str(ws_path), "--snapshot", SNAPSHOT,
                   "--principal", "arn:aws:iam::264830159726:user/people/tom.reyes",
                   "--json", "--write-cases", str(tmp_path / "tom")])  # fmt: skip
    out = capsys.readouterr()
    assert status == 0
    rows = json.loads(out.out)
    verified = [r for r in rows if r["fix"]["verified"]]
    assert len(list((tmp_path / "tom").glob("*.json"))) == len(verified) > 0
    assert f"into {tmp_path / 'tom'}" in out.err


@pytest.mark.parametrize(
    "event_id",
    ["../../outside", "/etc/passwd", "..", "", "a/b\\c", "x\n<script>", "CON", "é" * 300],
    ids=["parent", "absolute", "dots", "empty", "separators", "newline", "device", "long"],
)
def test_a_hostile_event_id_never_becomes_a_path(event_id, diagnoses, tmp_path):
    diag = replace(next(d for d in diagnoses if d.event_id == LAMBDA), event_id=event_id)
    name = file_name(diag, set())
    assert name.endswith("-missing-action.json") and len(name) < 120
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
    assert name.count(".") == 1 and not name.startswith(".")
    folder = tmp_path / "out"
    report = write_pins([diag], folder)
    assert [p.parent for p in report.files] == [folder]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [name]


def test_two_event_ids_that_clean_to_one_name_get_two_files(diagnoses, tmp_path):
    diag = next(d for d in diagnoses if d.event_id == LAMBDA)
    twins = [replace(diag, event_id="a/b"), replace(diag, event_id="a\\b")]
    report = write_pins(twins, tmp_path)
    assert len(report.files) == len({p.name for p in report.files}) == 2


def test_rewriting_a_folder_replaces_its_files(written, tmp_path, ws_path):
    copy = tmp_path / "again"
    shutil.copytree(written[0], copy)
    with Workspace(ws_path) as ws:
        report = ws.write_fix_cases(SNAPSHOT, copy, cause="resource-arn")
    assert report.allowed == len(report.files) == 9  # the sample's resource-arn denials
    assert len(list(copy.glob("*.json"))) == 58
