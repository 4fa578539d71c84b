"""The load's bar: records estimated from bytes while one statement runs, exact after."""

from __future__ import annotations

from iamlab.trail.progress import BYTES_PER_RECORD, Progress, people


def test_counts_read_as_people_read_them():
    assert [people(n) for n in (7, 950, 12_345, 200_124, 2_000_124)] == [
        "7", "950", "12.3k", "200k", "2M",
    ]  # fmt: skip


def test_records_are_estimated_during_a_statement_and_exact_after(capsys):
    bar = Progress(total_bytes=1_300_000, total_files=10, enabled=True)
    bar.update(130_000, 1, 1_000)  # one file counted: 130 bytes a record here
    bar.update(650_000, 5, 1_000, estimate=True)  # the statement is half way
    assert bar.shown == "~5k"
    bar.update(1_300_000, 10, 10_250)  # it ended: the exact figure
    bar.close()
    assert bar.shown == "10.2k"
    final = capsys.readouterr().err.rsplit("\r", 1)[-1]
    assert "records=10.2k" in final and "files=10/10" in final


def test_before_anything_is_counted_the_typical_record_size_is_used(capsys):
    bar = Progress(total_bytes=BYTES_PER_RECORD * 100_000, total_files=2, enabled=True)
    bar.update(BYTES_PER_RECORD * 50_000, 1, 0, estimate=True)
    bar.close()
    assert bar.shown == "~50k"
