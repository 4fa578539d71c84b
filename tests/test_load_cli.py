"""``iamlab load`` prints the reconciled report; bad input is one clear line and status 2."""

from __future__ import annotations

import json

from conftest import utc, write_day

from iamlab.cli import main


def test_load_prints_report_per_source(tmp_path, capsys):
    write_day(tmp_path / "logs", "111122223333", "us-east-1", utc(2026, 3, 3))
    (tmp_path / "broken.json").write_text('{"Records": [')
    status = main(
        [
            "load",
            str(tmp_path / "logs"),
            str(tmp_path / "broken.json"),
            "--workspace",
            str(tmp_path / "ws"),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("source"))
    assert header.split() == [
        "source",
        "files",
        "seen",
        "loaded",
        "duplicates",
        "rejected",
        "filtered",
    ]
    logs_row = next(line for line in lines if line.startswith(str(tmp_path / "logs")))
    assert logs_row.split()[1:] == ["1", "3", "3", "0", "0", "0"]
    broken_row = next(line for line in lines if line.startswith(str(tmp_path / "broken.json")))
    assert broken_row.split()[1:] == ["1", "1", "0", "0", "1", "0"]
    assert "truncated: the file ends before the list is closed" in out


def test_load_json_and_filters(tmp_path, capsys):
    write_day(tmp_path / "logs", "111122223333", "us-east-1", utc(2026, 3, 3))
    write_day(tmp_path / "logs", "111122223333", "eu-west-1", utc(2026, 3, 3))
    status = main(
        [
            "load",
            str(tmp_path / "logs"),
            "-w",
            str(tmp_path / "ws"),
            "--quiet",
            "--json",
            "--event-region",
            "eu-west-1",
            "--account",
            "111122223333",
            "--since",
            "2026-03-03",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["totals"] == {
        "seen": 3,
        "loaded": 3,
        "duplicates": 0,
        "rejected": 0,
        "filtered": 0,
        "conflicts": 0,
    }
    assert report["sources"][0]["files_pruned"] == 1


def test_missing_source_is_status_2_with_the_path(tmp_path, capsys):
    status = main(["load", str(tmp_path / "absent"), "-w", str(tmp_path / "ws"), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert "absent" in err and err.count("\n") == 1


def test_progress_shows_files_records_and_rate_unless_quiet(tmp_path, capsys):
    write_day(tmp_path / "logs", "111122223333", "us-east-1", utc(2026, 3, 3))
    main(["load", str(tmp_path / "logs"), "-w", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert "loading" in err and "files=1/1" in err and "records=3" in err and "rec/s" in err
    main(["load", str(tmp_path / "logs"), "-w", str(tmp_path / "ws"), "--quiet"])
    assert capsys.readouterr().err == ""
