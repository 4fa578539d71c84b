"""Event text never reaches a terminal raw: every command, fed hostile evidence, prints escapes.

The people being investigated write user agents, ARNs in messages, event
names, JSON keys and even file names. Each command below runs on evidence or
a snapshot carrying ESC, BEL, OSC title and hyperlink sequences, C1 controls
and a bidirectional override, and its whole output (stdout and stderr) is
searched for any of them.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import SAMPLE_DATA, make_record

from iamlab.cli import main

HOSTILE = "\x1b]0;pwned\x07\x1b[31mred\x9b2J\u202eevil\x1b]8;;http://x\x1b\\link"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
IN_NAMES = HOSTILE.replace("/", "_")  # a file name cannot hold '/'
ACCOUNT = "111122223333"


def _assert_clean(text: str, command: str) -> None:
    hit = RAW_CONTROL.search(text)
    if hit is not None:
        around = text[max(0, hit.start() - 60) : hit.end() + 20]
        raise AssertionError(f"{command} printed a raw {hit.group()!r}: {around!r}")


def _hostile_records() -> list[dict]:
    arn = f"arn:aws:iam::{ACCOUNT}:user/mallory{HOSTILE}"
    message = (
        f"User: {arn} is not authorized to perform: s3:GetObject on resource: "
        f"arn:aws:s3:::bucket/{HOSTILE} because no identity-based policy allows the "
        "s3:GetObject action"
    )
    denied = [
        make_record(
            eventSource="s3.amazonaws.com",
            eventName=name,
            errorCode="AccessDenied",
            errorMessage=message,
            userAgent=f"agent{HOSTILE}",
            userIdentity={
                "type": "IAMUser",
                "arn": arn,
                "accountId": ACCOUNT,
                "principalId": f"AIDA{HOSTILE}",
            },  # fmt: skip
            requestParameters={"bucketName": "bucket", f"key{HOSTILE}": HOSTILE},
        )
        for name in ("GetObject", f"Get{HOSTILE}Object")
    ]
    undetailed = make_record(
        eventSource=f"s3{HOSTILE}.amazonaws.com",
        eventName=f"List{HOSTILE}",
        errorCode="AccessDenied",
        errorMessage="Access Denied",
        userIdentity={"type": "AWSAccount", "accountId": f"{ACCOUNT}{HOSTILE}"},
    )
    bad_time = make_record(eventTime=f"2026-03-02T10:00:00Z{HOSTILE}")
    return [*denied, undetailed, bad_time]


@pytest.fixture(scope="module")
def hostile_workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    evidence = root / f"evidence{IN_NAMES}"
    evidence.mkdir()
    lines = [json.dumps(r) for r in _hostile_records()]
    (evidence / f"trail{IN_NAMES}.ndjson").write_text("\n".join(lines) + "\n", "utf-8")
    (evidence / f"keys{IN_NAMES}.json").write_text(json.dumps({HOSTILE: [1]}), "utf-8")
    return root, evidence


def _run(capsys, *argv: str) -> str:
    status = main(list(argv))
    out = capsys.readouterr()
    assert status in (0, 1, 3), (argv, status, out.err)
    return out.out + out.err


def test_load_report_escapes_file_names_keys_and_times(hostile_workspace, capsys):
    root, evidence = hostile_workspace
    text = _run(capsys, "load", str(evidence), "-w", str(root / "ws"), "-q")
    _assert_clean(text, "load")
    assert "\\x1b" in text  # the hostile parts are shown, as escapes


@pytest.mark.parametrize("by", ["cause", "principal", "action", "hour"])
def test_denials_summaries_escape_event_text(hostile_workspace, capsys, by):
    root, evidence = hostile_workspace
    main(["load", str(evidence), "-w", str(root / "ws"), "-q"])
    capsys.readouterr()
    text = _run(capsys, "denials", "-w", str(root / "ws"), "--by", by)
    _assert_clean(text, f"denials --by {by}")


def test_why_escapes_a_hostile_message(capsys):
    message = _hostile_records()[0]["errorMessage"]
    _assert_clean(_run(capsys, "why", message), "why")


def test_simulate_escapes_sids_from_the_snapshot(tmp_path, capsys):
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SAMPLE_DATA / "snapshot", snapshot)
    details = snapshot / "accounts" / "264830159726" / "authorization-details.json"
    text = details.read_text("utf-8")
    sids = set(re.findall(r'"Sid": "([^"\\]+)"', text))
    assert sids
    for sid in sids:
        text = text.replace(f'"Sid": "{sid}"', f'"Sid": {json.dumps(sid + HOSTILE)}')
    details.write_text(text, "utf-8")
    out = _run(
        capsys, "simulate", "--snapshot", str(snapshot),
        "--principal", "arn:aws:iam::264830159726:user/people/dana.kim",
        "--action", "secretsmanager:GetSecretValue",
        "--resource",
        "arn:aws:secretsmanager:eu-west-1:264830159726:secret:dev/invoice-render/api-key-Xy12Ab",
    )  # fmt: skip
    _assert_clean(out, "simulate")
    assert "\\x1b" in out


def test_cases_run_escapes_case_names_and_sids(tmp_path, capsys):
    case = {
        "name": f"hostile{HOSTILE}",
        "request": {"principal": f"arn:aws:iam::{ACCOUNT}:user/a", "action": "s3:GetObject",
                    "resource": "arn:aws:s3:::b/k", "resource_account": ACCOUNT},
        "policies": {"identity": [{"Version": "2012-10-17", "Statement": [
            {"Sid": f"S{HOSTILE}", "Effect": "Allow", "Action": "s3:PutObject",
             "Resource": "*"}]}]},
        "expect": {"decision": "allow"},
    }  # fmt: skip
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), "utf-8")
    _assert_clean(_run(capsys, "cases", "run", str(path)), "cases run")
