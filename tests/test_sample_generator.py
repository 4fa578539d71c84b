"""The sample generator is deterministic, and the committed sample_data/ is its output."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from iamlab.cli import main
from iamlab.errors import InputError
from iamlab.sample import DEFAULT_SEED, check, generate

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path):
    a = generate(tmp_path / "a", events=600)
    b = generate(tmp_path / "b", events=600)
    assert a["events"] == b["events"]
    tree_a, tree_b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert tree_a.keys() == tree_b.keys()
    assert [k for k in tree_a if tree_a[k] != tree_b[k]] == []


def test_gzip_members_have_no_timestamp(tmp_path):
    generate(tmp_path / "s", events=200)
    paths = list((tmp_path / "s" / "cloudtrail").rglob("*.json.gz"))[:20]
    assert len(paths) == 20
    for path in paths:
        header = path.read_bytes()[:10]
        assert header[:2] == b"\x1f\x8b"
        assert header[4:8] == b"\x00\x00\x00\x00"  # MTIME field is zero


def test_other_seed_changes_events_not_labels(tmp_path):
    generate(tmp_path / "a", events=300, seed=1)
    generate(tmp_path / "b", events=300, seed=2)
    la = json.loads((tmp_path / "a" / "labels.json").read_text())
    lb = json.loads((tmp_path / "b" / "labels.json").read_text())
    assert [s["id"] for s in la["scenarios"]] == [s["id"] for s in lb["scenarios"]]
    assert la["scenarios"][0]["event_ids"] != lb["scenarios"][0]["event_ids"]
    assert (tmp_path / "a" / "snapshot" / "manifest.json").read_bytes() == (
        tmp_path / "b" / "snapshot" / "manifest.json"
    ).read_bytes()


def test_background_count_is_exact(tmp_path):
    summary = generate(tmp_path / "s", events=1234)
    assert summary["background_events"] == 1234
    assert summary["events"]["s3_export"] == 1234 + summary["scenario_events"]
    records = 0
    for path in (tmp_path / "s" / "cloudtrail").rglob("*_CloudTrail_*.json.gz"):
        records += len(json.loads(gzip.decompress(path.read_bytes()))["Records"])
    assert records == summary["events"]["s3_export"]


def test_parallel_workers_give_the_same_bytes(tmp_path):
    generate(tmp_path / "one", events=900, workers=1)
    generate(tmp_path / "two", events=900, workers=2)
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")


def _content(rel: str, data: bytes):
    """Compare gzip files by content: other zlib builds may compress the same bytes differently."""
    if not rel.endswith(".gz"):
        return data
    text = gzip.decompress(data)
    if "_CloudTrail-Digest_" in rel:  # digests hold hashes of the compressed files
        digest = json.loads(text)
        for key in ("previousDigestHashValue", "previousDigestSignature"):
            digest.pop(key, None)
        for log in digest["logFiles"]:
            log.pop("hashValue")
        return digest
    return text


def test_committed_sample_equals_generator_output(tmp_path):
    """sample_data/ never drifts from the code: regenerate and compare every file."""
    assert (SAMPLE / "labels.json").is_file(), (
        "sample_data/ is missing; run `iamlab sample sample_data`"
    )
    generate(tmp_path / "fresh", seed=DEFAULT_SEED)
    fresh, committed = _tree(tmp_path / "fresh"), _tree(SAMPLE)
    assert sorted(fresh.keys() ^ committed.keys()) == []
    changed = [k for k in fresh if _content(k, fresh[k]) != _content(k, committed[k])]
    assert changed == [], (
        f"regenerate with `iamlab sample sample_data --force` ({len(changed)} files differ)"
    )


def test_refuses_non_empty_folder_without_force(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        generate(tmp_path / "s", events=10)
    with pytest.raises(InputError, match="does not write"):
        generate(tmp_path / "s", events=10, force=True)
    assert (tmp_path / "s" / "notes.txt").read_text() == "mine"


def test_force_replaces_a_previous_sample(tmp_path):
    generate(tmp_path / "s", events=300)
    summary = generate(tmp_path / "s", events=100, force=True)
    assert check(tmp_path / "s")["events"]["s3_export"] == summary["events"]["s3_export"]


def test_cli_writes_and_checks(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "s"), "--events", "400", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "vpc-endpoint 1" in out
    scenario_events = int(re.search(r"400 background \+ (\d+) scenario", out).group(1))
    assert main(["sample", "--check", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "missing-action" in out and "time span: 2026-03-09" in out
    assert main(["sample", "--check", str(tmp_path / "s"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["events"]["s3_export"] == 400 + scenario_events


def test_cli_check_defaults_to_the_repository_sample(capsys):
    assert main(["sample", "--check", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert Path(summary["dir"]).resolve() == SAMPLE.resolve()
    assert summary["scenarios_by_cause"]["vpc-endpoint"] >= 1


def test_cli_reports_bad_folder(tmp_path, capsys):
    assert main(["sample", "--check", str(tmp_path)]) == 2
    assert "labels.json is missing" in capsys.readouterr().err
