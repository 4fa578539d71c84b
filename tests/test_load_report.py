"""The printed load report shows evidence text escaped, folders as folders, and conflicts."""

from __future__ import annotations

import json

from conftest import make_record, write_trail_file

from iamlab.trail.report import LoadReport, SourceCounts

EVIL = "evil\x1b]0;pwned\x07<b>"


def test_names_keys_and_reasons_from_the_evidence_are_printed_escaped(workspace, tmp_path):
    folder = tmp_path / EVIL
    folder.mkdir()
    (folder / f"{EVIL}.json").write_text(json.dumps({f"key{EVIL}": 1}))
    (folder / "bad-time.json").write_text(json.dumps([make_record(eventTime=f"2026{EVIL}")]))
    (folder / "result_1.csv").write_text(f"col{EVIL},other\n1,2\n")
    report = workspace.load(folder, progress=False)
    text = str(report)
    assert "\x1b" not in text and "\x07" not in text
    assert "evil\\x1b]0;pwned\\x07<b>.json @ file: JSON that is not CloudTrail" in text
    assert "keys keyevil\\x1b]0;pwned\\x07<b>;" in text
    assert "eventTime is not an ISO-8601 time: 2026evil\\x1b]0;pwned\\x07<b>" in text
    assert "(columns: colevil\\x1b]0;pwned\\x07<b>, other)" in text
    # the JSON form keeps the raw values: json.dumps escapes them by itself
    raw = report.to_dict()
    assert any(EVIL in r["file"] for r in raw["rejected"])
    assert "\x1b" not in json.dumps(raw)


def test_conflicting_ids_are_listed_and_counted_in_the_totals():
    report = LoadReport(
        load_id=3,
        sources=[SourceCounts("logs", files=1, seen=2, loaded=2, conflicts=2)],
        conflicts=[("id-1", "logs/a.json", "[0]"), ("id-1", "logs/a.json", "[1]")],
    )
    text = str(report)
    assert "conflicting ids: 2 records loaded share an eventID with other content" in text
    assert "  id-1: logs/a.json @ [1]" in text
    data = report.to_dict()
    assert data["totals"]["conflicts"] == 2
    assert data["conflicts"][0] == {"event_id": "id-1", "file": "logs/a.json", "position": "[0]"}
    assert report.reconciles


def test_a_skipped_file_and_folder_are_worded_apart():
    report = LoadReport(
        load_id=1,
        sources=[SourceCounts("x")],
        skipped=[("a/CloudTrail-Digest/", "digest file; 318 files in it"), ("b.json", "digest")],
    )
    assert "skipped 1 folder (318 files) and 1 file:" in str(report)


def test_a_record_written_twice_in_one_file_is_one_write_in_the_report(workspace, tmp_path):
    rec = make_record()
    path = write_trail_file(tmp_path / "twice.json", [rec, rec])
    report = workspace.load(path, progress=False)
    assert (report.loaded, report.duplicates, report.conflicts_count) == (1, 1, 0)


def test_skipped_folders_without_a_file_count_are_not_given_one():
    report = LoadReport(
        load_id=1, sources=[SourceCounts("x")], skipped=[("a/up/", "symbolic link to a folder")]
    )
    assert "skipped 1 folder:" in str(report)
