"""iamlab athena setup|denials and iamlab lake denials, run in-process (moto for AWS)."""

from __future__ import annotations

import boto3
import pytest
from aws_env import no_machine_aws  # noqa: F401  (autouse: no AWS set-up of this machine)
from moto import mock_aws

from iamlab.cli import main

SCOPE = [
    "--since",
    "2026-03-10",
    "--until",
    "2026-03-17",
    "--account",
    "111122223333",
    "--account",
    "222233334444",
    "--account",
    "333344445555",
    "--event-region",
    "eu-west-1",
    "--event-region",
    "us-east-1",
]


def test_a_dry_run_with_the_layout_given_prints_sql_and_estimate_without_credentials(
    tmp_path, capsys
):
    status = main(
        [
            "athena",
            "denials",
            "-w",
            str(tmp_path / "ws"),
            "--database",
            "trail",
            "--workgroup",
            "analysts",
            *SCOPE,
            "--partition-bytes",
            "500000000",
            "--dry-run",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("-- denials query (athena)\nWITH events AS (")
    assert "-- estimate: 21,000,000,000 bytes, $0.1050 (42 partitions x 500,000,000 bytes" in out
    assert out.rstrip().endswith("dry run: nothing was run")
    assert not (tmp_path / "ws").exists()


def test_lake_dry_run_prints_the_lake_sql(tmp_path, capsys):
    assert (
        main(
            [
                "lake",
                "denials",
                "-w",
                str(tmp_path / "ws"),
                "--store",
                "abcd-1234",
                "--since",
                "2026-03-10",
                "--until",
                "2026-03-11",
                "--dry-run",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "FROM abcd-1234" in out and "eventjson" in out


@pytest.fixture
def moto_env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="org-trail")
        s3.put_object(
            Bucket="org-trail",
            Body=b"{}",
            Key="AWSLogs/o-abcdef1234/111122223333/CloudTrail/eu-west-1/2026/03/10/a.json.gz",
        )
        boto3.client("athena", region_name="us-east-1").create_work_group(Name="analysts")
        yield


def test_setup_without_yes_shows_the_ddl_and_writes_nothing(moto_env, capsys):
    status = main(
        [
            "athena",
            "setup",
            "--bucket",
            "org-trail",
            "--org-id",
            "o-abcdef1234",
            "--database",
            "trail",
            "--workgroup",
            "analysts",
            "--region",
            "us-east-1",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `trail`.`cloudtrail_logs` (")
    assert "-- 1 account(s), 1 Region(s) under s3://org-trail/AWSLogs/o-abcdef1234/" in out
    assert "nothing written: pass --yes" in out


@pytest.mark.parametrize(
    "argv, line",
    [
        (
            [
                "athena",
                "setup",
                "--bucket",
                "org-trail",
                "--prefix",
                "elsewhere",
                "--database",
                "trail",
                "--workgroup",
                "analysts",
                "--region",
                "us-east-1",
            ],
            "iamlab athena: error: no CloudTrail layout under s3://org-trail/elsewhere/AWSLogs/",
        ),
        (
            [
                "athena",
                "setup",
                "--bucket",
                "org-trail",
                "--org-id",
                "o-abcdef1234",
                "--database",
                "trail",
                "--workgroup",
                "nobody",
                "--region",
                "us-east-1",
            ],
            "iamlab athena: error: Athena workgroup 'nobody' does not exist in us-east-1",
        ),
        (
            [
                "athena",
                "denials",
                "-w",
                "WS",
                "--database",
                "trail",
                "--workgroup",
                "analysts",
                *SCOPE,
                "--partition-bytes",
                "500000000",
                "--max-scan",
                "1000000000",
                "--region",
                "us-east-1",
            ],
            "iamlab athena: error: the denial query would scan about 21,000,000,000 bytes",
        ),
    ],
)
def test_bad_input_is_one_line_and_loads_nothing(moto_env, tmp_path, capsys, argv, line):
    argv = [str(tmp_path / "ws") if a == "WS" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(line) and err.count("\n") == 1
    if (tmp_path / "ws").exists():
        from iamlab.workspace import Workspace

        with Workspace(tmp_path / "ws", read_only=True) as ws:
            assert ws.sql("SELECT count(*) AS n FROM loads").n[0] == 0
