"""``denials --by cause|principal|action`` never lose a row: who and what come from the event
where the message does not say, and every value an event wrote is shown escaped."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from iamlab.cli import main
from iamlab.denials import read_message, summary
from iamlab.denials.actions import event_action
from iamlab.workspace import Workspace

SAMPLE = Path(__file__).parents[1] / "sample_data"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "ws"
    with Workspace(path) as ws:
        ws.load(str(SAMPLE / "cloudtrail"), progress=False)
    return path


def independent_counts(con) -> dict[str, dict[str, set]]:
    """cause -> {'who', 'what': sets, 'n': count}, from the events table and the Python parser."""
    rows = con.execute(
        "SELECT error_code, error_message, principal_arn, account_id, event_source, event_name "
        "FROM events WHERE error_code IS NOT NULL OR error_message IS NOT NULL"
    ).fetchall()
    out: dict[str, dict] = defaultdict(lambda: {"who": set(), "what": set(), "n": 0})
    for code, message, arn, account, source, name in rows:
        d = read_message(code, message)
        if not d.is_denial:
            continue
        who = arn or d.principal or (f"account {account}" if account else None)
        what = d.action or event_action(source, name)
        entry = out[d.cause]
        entry["n"] += 1
        entry["who"].discard(None)
        if who is not None:
            entry["who"].add(who)
        if what is not None:
            entry["what"].add(what)
    return out


def test_cause_summary_counts_principals_and_actions_the_message_does_not_name(sample_ws):
    with Workspace(sample_ws, read_only=True).connect() as con:
        want = independent_counts(con)
        got = summary(con, "cause").set_index("cause")
    assert set(got.index) == set(want)
    for cause, entry in want.items():
        assert got.loc[cause, "denials"] == entry["n"], cause
        assert got.loc[cause, "principals"] == len(entry["who"]), cause
        assert got.loc[cause, "actions"] == len(entry["what"]), cause
    # the rows the issue named: no cause is left with zero principals or actions
    assert (got["principals"] > 0).all() and (got["actions"] > 0).all()
    assert "vpc-endpoint" in got.index and "undetailed" in got.index


def test_action_summary_maps_the_call_where_the_message_names_no_action(sample_ws):
    with Workspace(sample_ws, read_only=True).connect() as con:
        want = independent_counts(con)
        got = summary(con, "action").set_index("action")
        no_action = con.execute("SELECT count(*) FROM denials WHERE action IS NULL").fetchone()[0]
    by_action: dict[str, int] = defaultdict(int)
    with Workspace(sample_ws, read_only=True).connect() as con:
        for code, message, source, name in con.execute(
            "SELECT error_code, error_message, event_source, event_name FROM events "
            "WHERE error_code IS NOT NULL OR error_message IS NOT NULL"
        ).fetchall():
            d = read_message(code, message)
            if d.is_denial:
                by_action[d.action or event_action(source, name) or "(unknown)"] += 1
    assert got["denials"].to_dict() == dict(by_action)
    assert got["from_call"].sum() == no_action > 0
    assert not any(a.startswith("(not in message)") for a in got.index)
    assert sum(len(e["what"]) for e in want.values()) >= len(got)


def test_principal_summary_agrees_with_the_events(sample_ws):
    with Workspace(sample_ws, read_only=True).connect() as con:
        want = independent_counts(con)
        got = summary(con, "principal")
    assert set(got["principal"]) == set().union(*(e["who"] for e in want.values()))
    assert got["denials"].sum() == sum(e["n"] for e in want.values())


def test_cli_cause_table_shows_the_new_counts(sample_ws, capsys):
    assert main(["denials", "--workspace", str(sample_ws), "--by", "cause", "--json"]) == 0
    rows = {r["cause"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["vpc-endpoint"]["principals"] > 0
    assert rows["undetailed"]["actions"] > 0


HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\\x9b31m"


def hostile_record(i: int, **fields) -> dict:
    rec = {
        "eventVersion": "1.08",
        "eventID": f"00000000-0000-0000-0000-{i:012d}",
        "eventTime": f"2024-05-01T0{i}:10:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        "userAgent": "aws-cli/2 " + HOSTILE,
        "errorCode": "AccessDenied",
        "errorMessage": "Access Denied",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/" + HOSTILE,
            "accountId": "111122223333",
        },
    }
    rec.update(fields)
    return rec


@pytest.fixture()
def hostile_ws(tmp_path):
    records = [
        hostile_record(1),
        hostile_record(
            2,
            errorMessage=f"User: arn:aws:iam::111122223333:user/{HOSTILE} is not authorized to "
            f'perform: s3:Get{HOSTILE}Object on resource: "arn:aws:s3:::b/{HOSTILE}" because '
            "no identity-based policy allows the s3:GetObject action",
        ),
        hostile_record(3, eventName="Get" + HOSTILE, eventSource="s3" + HOSTILE + ".amazonaws.com"),
        hostile_record(4, userIdentity={"type": "AWSAccount", "accountId": "1" + HOSTILE}),
    ]
    src = tmp_path / "hostile.ndjson"
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    path = tmp_path / "ws"
    with Workspace(path) as ws:
        ws.load(str(src), progress=False)
    return path


@pytest.mark.parametrize("by", ["principal", "action", "cause"])
def test_no_raw_control_character_reaches_the_terminal(hostile_ws, capsys, by):
    assert main(["denials", "--workspace", str(hostile_ws), "--by", by]) == 0
    out = capsys.readouterr().out
    assert not CONTROL.search(out.replace("\n", "")), repr(out)
    if by != "cause":
        assert "\\x1b]0;owned\\x07" in out  # shown as visible escapes, not dropped
