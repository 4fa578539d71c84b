"""Discovery follows links once, never loops or blocks, and says why it skipped what it skipped."""

from __future__ import annotations

import os

import pytest
from conftest import make_record, write_trail_file

from iamlab.errors import InputError


def _skipped(report) -> dict[str, str]:
    return dict(report.skipped)


def test_link_loops_and_folders_linking_to_themselves_end_the_walk_with_a_reason(
    workspace, tmp_path
):
    logs = tmp_path / "logs"
    good = write_trail_file(logs / "good.json", [make_record()])
    (logs / "a.json").symlink_to(logs / "b.json")
    (logs / "b.json").symlink_to(logs / "a.json")
    (logs / "self.json").symlink_to(logs / "self.json")
    (logs / "here").symlink_to(logs)
    (logs / "sub").mkdir()
    (logs / "sub" / "up").symlink_to(logs)
    report = workspace.load(logs, progress=False)
    assert report.loaded == 1 and report.reconciles
    assert list(workspace.sql("SELECT source FROM events").source) == [str(good)]
    skipped = _skipped(report)
    for name in ("a.json", "b.json", "self.json"):
        assert skipped[str(logs / name)] == "symbolic link loop (it leads back to itself)"
    assert skipped[str(logs / "here") + "/"].startswith("symbolic link to a folder already read")
    assert skipped[str(logs / "sub" / "up") + "/"].startswith(
        "symbolic link to a folder already read"
    )


def test_a_linked_folder_is_read_once_under_its_first_name(workspace, tmp_path):
    outside = tmp_path / "elsewhere"
    rec = make_record()
    write_trail_file(outside / "x.json", [rec])
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "link1").symlink_to(outside)
    (logs / "link2").symlink_to(outside)
    report = workspace.load(logs, progress=False)
    assert (report.seen, report.loaded, report.duplicates) == (1, 1, 0)
    assert list(workspace.sql("SELECT source FROM events").source) == [
        str(logs / "link1" / "x.json")
    ]
    assert str(logs / "link2") + "/" in _skipped(report)


def test_dangling_links_fifos_and_sockets_in_a_folder_are_skipped_with_their_reason(
    workspace, tmp_path
):
    logs = tmp_path / "logs"
    write_trail_file(logs / "good.json", [make_record()])
    (logs / "gone.json").symlink_to(tmp_path / "nowhere.json")
    os.mkfifo(logs / "pipe.json")  # opening it for reading would block the load forever
    report = workspace.load(logs, progress=False)
    assert report.loaded == 1 and report.reconciles
    skipped = _skipped(report)
    assert skipped[str(logs / "gone.json")] == (
        f"dangling symbolic link to {str(tmp_path / 'nowhere.json')!r} (it does not exist)"
    )
    assert skipped[str(logs / "pipe.json")] == "a FIFO, not read"
    stored = dict(workspace.sql("SELECT source, reason FROM files_skipped").values)
    assert stored[str(logs / "pipe.json")] == "a FIFO, not read"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: None, "No such file or folder"),
        (lambda p: p.symlink_to(p.parent / "nowhere.json"), "dangling symbolic link"),
        (lambda p: p.symlink_to(p), "symbolic link loop"),
        (lambda p: os.mkfifo(p), "it is a FIFO, not a file"),
    ],
    ids=["missing", "dangling", "loop", "fifo"],
)
def test_a_source_named_explicitly_that_cannot_be_read_is_an_error_naming_it(
    workspace, tmp_path, make, says
):
    path = tmp_path / "evidence.json"
    make(path)
    with pytest.raises(InputError, match=says) as err:
        workspace.load(path, progress=False)
    assert str(path) in str(err.value)


def test_a_device_named_explicitly_is_an_error(workspace):
    with pytest.raises(InputError, match="'/dev/null': it is a device, not a file"):
        workspace.load("/dev/null", progress=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its mode")
def test_a_folder_that_cannot_be_listed_is_skipped_inside_a_walk_and_an_error_when_named(
    workspace, tmp_path
):
    logs = tmp_path / "logs"
    write_trail_file(logs / "good.json", [make_record()])
    (logs / "locked").mkdir()
    (logs / "locked").chmod(0)
    try:
        report = workspace.load(logs, progress=False)
        assert _skipped(report)[str(logs / "locked") + "/"].startswith("cannot list folder")
        with pytest.raises(InputError, match="cannot list folder"):
            workspace.load(logs / "locked", progress=False)
    finally:
        (logs / "locked").chmod(0o755)


def test_skipped_folders_say_how_many_files_they_hold(workspace, tmp_path):
    digest = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail-Digest" / "us-east-1"
    digest.mkdir(parents=True)
    for n in range(3):
        (digest / f"d{n}.json.gz").write_bytes(b"")
    write_trail_file(tmp_path / "good.json", [make_record()])
    report = workspace.load(tmp_path, progress=False)
    folder = str(digest.parent) + "/"
    assert _skipped(report)[folder] == (
        "digest file (integrity validation, not events); 3 files in it"
    )
    assert f"  {folder}: digest file" in str(report)
    assert "skipped 1 folder (3 files)" in str(report)
