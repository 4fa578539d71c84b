"""Evidence coverage: dark accounts and Regions, silent hours, missing issuing sessions and
trail problems, each found where the evidence has the hole and quiet where it has not."""

from __future__ import annotations

import json

import pytest
from conftest import (
    SAMPLE_DATA,
    make_record,
    sample_trail_workspace,
    trail_path,
    utc,
    write_trail_file,
)

from iamlab.cli import main
from iamlab.diagnose.sessions import SessionIndex
from iamlab.prevent import account_days, coverage, gaps_for
from iamlab.snapshot import load

A, B, C = "111122223333", "444455556666", "777788889999"
KEY = "ASIAEXAMPLE"


def write_snapshot(root, accounts=(A, B, C), trails=None, status=None):
    """An organization of ``accounts`` under one root; trails.json for A when given."""
    org = root / "organization"
    org.mkdir(parents=True)
    (org / "organization.json").write_text(
        json.dumps({"Organization": {"Id": "o-abc", "MasterAccountId": A, "FeatureSet": "ALL"}})
    )
    (org / "tree.json").write_text(
        json.dumps(
            {
                "Roots": [{"Id": "r-ab12", "Name": "Root", "PolicyTypes": []}],
                "Accounts": [{"Id": a, "ParentId": "r-ab12"} for a in accounts],
            }
        )
    )
    folder = root / "accounts" / A
    folder.mkdir(parents=True)
    (folder / "authorization-details.json").write_text(
        json.dumps(
            {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
        )
    )
    if trails is not None:
        (folder / "trails.json").write_text(json.dumps({"trailList": trails}))
        for name, body in (status or {}).items():
            (folder / "trail-status").mkdir(exist_ok=True)
            (folder / "trail-status" / f"{name}.json").write_text(json.dumps(body))
    return load(root)


def denial(when, **fields):
    return make_record(when, errorCode="AccessDenied", errorMessage="Access Denied", **fields)


def assume_role(when):
    return make_record(
        when,
        eventSource="sts.amazonaws.com",
        eventName="AssumeRole",
        requestParameters={"roleArn": f"arn:aws:iam::{A}:role/dev", "roleSessionName": "alice"},
        responseElements={
            "credentials": {"accessKeyId": KEY},
            "assumedRoleUser": {"arn": f"arn:aws:sts::{A}:assumed-role/dev/alice"},
        },
    )


@pytest.fixture
def loaded(tmp_path, workspace):
    """A works in us-east-1 and eu-west-1 with a 9-hour silence; B only in us-east-1."""

    def load_records(*records):
        path = trail_path(tmp_path / "logs", A, "us-east-1", utc(2026, 3, 2, 23))
        write_trail_file(path, list(records))
        workspace.load(tmp_path / "logs", progress=False)
        return workspace

    return load_records


BASE = [
    make_record(utc(2026, 3, 2, 0, 5), A, "us-east-1"),
    make_record(utc(2026, 3, 2, 1, 5), A, "eu-west-1"),
    make_record(utc(2026, 3, 2, 11, 5), A, "us-east-1"),
    *[make_record(utc(2026, 3, 2, h, 5), B, "us-east-1") for h in range(12)],
]


def test_an_org_account_without_events_and_a_region_dark_for_one_account_are_reported(
    loaded, tmp_path
):
    snap = write_snapshot(tmp_path / "snap")
    with loaded(*BASE).connect() as con:
        cov = coverage(con, snap)
    assert cov.accounts == (A, B, C)
    assert cov.dark_accounts == (C,)
    assert cov.dark_regions == ((B, "eu-west-1"),)


def test_full_evidence_reports_nothing_dark(loaded, tmp_path):
    snap = write_snapshot(tmp_path / "snap", accounts=(A, B))
    records = [
        *BASE,
        make_record(utc(2026, 3, 2, 3, 5), B, "eu-west-1"),
        *[make_record(utc(2026, 3, 2, h, 5), A, "us-east-1") for h in range(2, 11)],
    ]
    with loaded(*records).connect() as con:
        cov = coverage(con, snap)
    assert cov.complete, cov
    assert cov.notes == (f"trails not in the snapshot for {A}: not checked",)


def test_a_region_with_only_denied_calls_is_not_expected_of_other_accounts(loaded):
    records = [*BASE, denial(utc(2026, 3, 2, 5), region="ap-southeast-2")]
    with loaded(*records).connect() as con:
        cov = coverage(con)
    assert cov.dark_regions == ((B, "eu-west-1"),)
    assert cov.notes == ("no snapshot: the organization's accounts and trails are unknown",)


def test_a_silence_of_six_hours_or_more_is_reported_and_a_shorter_one_is_not(loaded):
    with loaded(*BASE).connect() as con:
        assert coverage(con).silent == ((A, utc(2026, 3, 2, 2), utc(2026, 3, 2, 11)),)
        assert coverage(con, min_silent_hours=10).silent == ()


def test_a_denial_whose_session_was_not_issued_in_the_evidence_is_listed(loaded):
    with loaded(*BASE, denial(utc(2026, 3, 2, 9), eventID="d-1")).connect() as con:
        cov = coverage(con)
    assert cov.missing_sessions == (("d-1", f"arn:aws:sts::{A}:assumed-role/dev/alice"),)


def test_a_denial_whose_assume_role_is_in_the_evidence_is_not_listed(loaded):
    records = [*BASE, assume_role(utc(2026, 3, 2, 8)), denial(utc(2026, 3, 2, 9))]
    with loaded(*records).connect() as con:
        assert coverage(con).missing_sessions == ()


def test_a_session_issued_by_an_assume_role_logged_twice_names_one_event_in_any_load_order(
    tmp_path,
):
    """A cross-account AssumeRole is logged in both accounts at the same second."""
    from iamlab.diagnose import store
    from iamlab.workspace import Workspace

    caller, owner = assume_role(utc(2026, 3, 2, 8)), assume_role(utc(2026, 3, 2, 8))
    caller["eventID"], owner["eventID"] = "issued-in-caller", "issued-in-owner"
    found = []
    for n, pair in enumerate(([caller, owner], [owner, caller])):
        path = trail_path(tmp_path / f"logs{n}", A, "us-east-1", utc(2026, 3, 2, 10))
        write_trail_file(path, [*pair, denial(utc(2026, 3, 2, 9))])
        with Workspace(tmp_path / f"ws{n}") as ws:
            ws.load(tmp_path / f"logs{n}", progress=False)
            with ws.connect() as con:
                denials = store.denial_records(con)
                sessions = SessionIndex(store.issuing_records(con, denials))
        issued = sessions.find(KEY, f"arn:aws:sts::{A}:assumed-role/dev/alice", None)
        found.append(issued.event_id if issued else None)
    assert found == ["issued-in-owner", "issued-in-owner"]


def test_single_region_and_stopped_trails_are_problems(loaded, tmp_path):
    trails = [
        {"Name": "local", "HomeRegion": "us-east-1", "IsMultiRegionTrail": False},
        {
            "Name": "org",
            "HomeRegion": "us-east-1",
            "IsMultiRegionTrail": True,
            "IsOrganizationTrail": True,
        },
    ]
    snap = write_snapshot(
        tmp_path / "snap",
        trails=trails,
        status={"local": {"IsLogging": True}, "org": {"IsLogging": False}},
    )
    with loaded(*BASE).connect() as con:
        cov = coverage(con, snap)
    assert [(t, p.split(" ")[0]) for _a, t, p in cov.trails] == [
        ("local", "single-Region"),
        ("org", "not"),
    ]


def test_a_logging_multi_region_trail_is_no_problem(loaded, tmp_path):
    trails = [{"Name": "org", "HomeRegion": "us-east-1", "IsMultiRegionTrail": True}]
    snap = write_snapshot(tmp_path / "snap", trails=trails, status={"org": {"IsLogging": True}})
    with loaded(*BASE).connect() as con:
        assert coverage(con, snap).trails == ()


def test_account_days_has_a_zero_row_for_a_dark_account(loaded):
    with loaded(*BASE).connect() as con:
        matrix = account_days(con, "2026-03-01", "2026-03-03", accounts=(C,))
    assert list(matrix.index) == [C, A, B]
    assert [f"{d:%d}" for d in matrix.columns] == ["01", "02"]
    assert matrix.loc[C].tolist() == [0, 0] and matrix.loc[B].tolist() == [0, 12]


def test_gaps_for_names_the_missing_session_and_the_silence_around_an_event(loaded):
    event = denial(utc(2026, 3, 2, 6))
    with loaded(*BASE, event).connect() as con:
        cov = coverage(con, min_silent_hours=4)
    sessions = SessionIndex([])
    gaps = gaps_for(event, cov, sessions)
    assert gaps[0].startswith(f"the AssumeRole that issued arn:aws:sts::{A}:assumed-role/dev")
    assert gaps[1].startswith(f"account {A} delivered no events 2026-03-02 02:00 to 2026-03-02 06")
    assert gaps[2].startswith(f"account {A} delivered no events 2026-03-02 07:00 to")
    assert (
        gaps_for(
            make_record(utc(2026, 3, 2, 0), B, userIdentity={"type": "IAMUser"}), cov, sessions
        )
        == []
    )


SANDBOX, MGMT, PROD, DEV, SEC = (
    "583016249871",
    "480152067923",
    "731926485017",
    "264830159726",
    "905173628441",
)


@pytest.fixture(scope="module")
def sample_workspace(tmp_path_factory):
    """The bundled sample's trail files in a workspace (its folder)."""
    return sample_trail_workspace(tmp_path_factory.mktemp("sample") / "ws")


def test_sample_coverage_reports_the_sandbox_and_stockholm_dark_and_nothing_else(
    sample_workspace,
):
    from iamlab.workspace import Workspace

    with Workspace(sample_workspace, read_only=True) as ws, ws.connect() as con:
        cov = coverage(con, load(SAMPLE_DATA / "snapshot"))
    assert cov.accounts == (DEV, MGMT, SANDBOX, PROD, SEC)
    assert cov.dark_accounts == (SANDBOX,)  # invited on 12 March 17:20, never had a trail
    # only the security account works in eu-north-1 (GuardDuty and Security Hub rollout)
    assert cov.dark_regions == ((DEV, "eu-north-1"), (MGMT, "eu-north-1"), (PROD, "eu-north-1"))
    assert cov.silent == ()
    assert cov.missing_sessions == ()  # every denied session's issuing call is in the evidence
    assert cov.trails == ()  # the organization trail: every Region, logging, seen by all five
    assert cov.notes == ()  # every account's trails were collected and checked


def test_sample_coverage_cli_names_the_dark_account_and_pairs(sample_workspace, capsys):
    args = ["coverage", "-w", str(sample_workspace), "--snapshot", str(SAMPLE_DATA / "snapshot")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"accounts without evidence: {SANDBOX}\n" in out
    assert (
        f"dark (account, Region): {DEV} eu-north-1, {MGMT} eu-north-1, {PROD} eu-north-1\n" in out
    )
    assert "denials whose issuing AssumeRole is missing: 0\n" in out
    assert "trails: no problem found\n" in out and "note:" not in out


def test_coverage_cli_prints_the_dark_account_and_the_matrix(loaded, tmp_path, capsys):
    write_snapshot(tmp_path / "snap")
    loaded(*BASE).close()
    args = ["coverage", "--workspace", str(tmp_path / "ws"), "--snapshot", str(tmp_path / "snap")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"accounts without evidence: {C}" in out and "2026-03-02" in out
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dark_accounts"] == [C] and data["account_days"][B]["2026-03-02"] == 12


def test_coverage_cli_escapes_account_ids_taken_from_the_evidence(loaded, tmp_path, capsys):
    evil = "\x1b[31m1111"
    loaded(
        *BASE, make_record(utc(2026, 3, 2, 4), recipientAccountId=evil, region="ap-south-1")
    ).close()
    assert main(["coverage", "--workspace", str(tmp_path / "ws")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31m1111" in out
