"""The hostile-evidence corpus (tests/hostile/build.py) in one load: no traceback, counts that
reconcile, a reason for every bad item, nothing written outside the workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile.build import NAMES, build

from iamlab.cli import main
from iamlab.workspace import Workspace

CAP = 8 << 20  # the per-object cap for this run: the bombs are 64 MiB


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[p] = (st.st_mtime_ns, st.st_size)
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    corpus = base / "corpus"
    items = build(corpus)
    before = _tree(base)
    ws = Workspace(base / "ws")
    report = ws.load(corpus, progress=False, max_object_bytes=CAP)
    after = {p: v for p, v in _tree(base).items() if not p.startswith(str(base / "ws"))}
    yield items, ws, report, before, after, corpus
    ws.close()


def _under(source: str, item) -> bool:
    return any(
        source == str(p) or source.startswith(str(p) + os.sep) or source == str(p) + "/"
        for p in item.paths
    )


def test_every_kind_of_input_is_in_the_corpus(loaded):
    items = loaded[0]
    assert {i.name for i in items} | ({"unreadable-folder"} if os.geteuid() == 0 else set()) == set(
        NAMES
    )


def test_the_load_reconciles_with_its_tables(loaded):
    _, ws, report, *_ = loaded
    assert report.reconciles
    assert ws.sql("SELECT count(*) AS n FROM events").n[0] == report.loaded
    assert ws.sql("SELECT count(*) AS n FROM rejected").n[0] == report.rejected_count
    assert (
        report.seen == report.loaded + report.duplicates + report.rejected_count + report.filtered
    )


@pytest.mark.parametrize("name", NAMES)
def test_each_item_gives_its_reason_and_loads_exactly_its_good_records(loaded, name):
    items, ws, report, *_ = loaded
    item = next((i for i in items if i.name == name), None)
    if item is None:
        pytest.skip(f"{name} cannot be built here (root reads every folder)")
    rows = ws.sql("SELECT source, reason FROM rejected").values.tolist()
    rows += [[s, r] for s, r in report.skipped]
    mine = [r for s, r in rows if _under(s, item)]
    if item.says:
        assert any(item.says in r for r in mine), (item.says, mine)
    else:
        assert mine == []
    sources = ws.sql("SELECT source FROM events").source
    assert sum(_under(s, item) for s in sources) == item.loads
    conflicts = ws.sql("SELECT event_id, source FROM conflicts").values.tolist()
    conflicts = [(e, src) for e, src in conflicts if _under(src, item)]
    assert len({e for e, _ in conflicts}) == item.conflicts


def test_nothing_outside_the_workspace_is_written_or_changed(loaded):
    _, _, _, before, after, _ = loaded
    assert after == before


def test_the_cli_prints_no_traceback_and_no_raw_control_character(loaded, tmp_path, capsys):
    corpus = loaded[5]
    status = main(["load", str(corpus), "-w", str(tmp_path / "ws"), "--quiet"])
    out, err = capsys.readouterr()
    assert status == 0 and "Traceback" not in out + err
    assert not [c for c in out if ord(c) < 32 and c != "\n" or 0x7F <= ord(c) < 0xA0]
    assert "\u202e" not in out
