"""``generate()``: write the whole sample investigation to a folder.

Background chunks (one per account, region and day) are independent, so they
run in worker processes for large sizes and still give the same bytes.
Lookup-events and Lake outputs hold the scenario events, plus the background
events of their windows when the sample is small enough to commit.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

from iamlab.errors import InputError
from iamlab.sample.scenarios.recorder import Recorder
from iamlab.sample.scenarios.timeline import build
from iamlab.sample.traffic.background import DEFAULT_EVENTS, chunk_key, chunk_records, plan, split
from iamlab.sample.world.accounts import DAYS, DEV, PROD
from iamlab.sample.world.labels import SCENARIOS
from iamlab.sample.world.story import STORY
from iamlab.sample.write.layout import (
    lookup_events,
    parse_time,
    write_digests,
    write_insight,
    write_json,
    write_lake,
    write_trail_files,
)
from iamlab.sample.write.snapshot import snapshot_files

DEFAULT_SEED = 20261128
GENERATED = ("README.md", "labels.json", "snapshot", "cloudtrail", "lookup-events", "lake")
VIEW_LIMIT = 60_000  # above this many background events, lookup/Lake hold scenario events only
PARALLEL_FROM = 60_000

# (account, region, window start, window end) of each lookup-events file
LOOKUP_WINDOWS = (
    (PROD, "eu-west-1", DAYS[2] + timedelta(hours=10), DAYS[2] + timedelta(hours=20)),
    (DEV, "eu-west-1", DAYS[1] + timedelta(hours=10), DAYS[1] + timedelta(hours=17)),
    (DEV, "us-east-1", DAYS[1] + timedelta(hours=8), DAYS[1] + timedelta(hours=17)),
)


def _in_lookup(rec: dict) -> tuple[str, str] | None:
    """The (account, region) of the lookup-events file that shows `rec`, if any."""
    if (
        rec.get("eventCategory", "Management") != "Management"
        or rec.get("eventType") == "AwsVpceEvent"
    ):
        return None
    if rec.get("managementEvent") is False:
        return None
    when = parse_time(rec["eventTime"])
    for acct, region, start, end in LOOKUP_WINDOWS:
        if rec["recipientAccountId"] == acct and rec["awsRegion"] == region and start <= when < end:
            return acct, region
    return None


Progress = Callable[[int, int], None]


class ChunkJob(NamedTuple):
    """One part of one (account, region, day) chunk, as a worker process receives it."""

    out: str
    seed: int
    account: str
    region: str
    day: int
    part: int
    count: int  # background records to draw
    extra: list[dict]  # scenario records that land in this chunk (part 0 only)
    collect: bool  # keep every record for lookup/Lake (committed-size samples)


class Written(NamedTuple):
    """What the CloudTrail writers wrote: file metadata and the records the views show."""

    files: list[dict]
    lookup: list[dict]
    lake: list[dict]
    s3_records: int


def _chunk_job(job: ChunkJob) -> tuple[list[dict], list[dict], list[dict], int]:
    """Generate and write one chunk part.

    Returns (file metadata, lookup records, lake records, record count)."""
    out, seed, account, region, day, part, count, extra, collect = job
    records = chunk_records(seed, account, region, day, count, part) + extra
    level = 6 if collect else 1  # benchmark-sized samples trade compression for speed
    key = chunk_key(account, region, day, part)
    meta = write_trail_files(Path(out) / "cloudtrail", seed, account, region, key, records, level)
    lookup = (
        [r for r in records if _in_lookup(r)] if collect else [r for r in extra if _in_lookup(r)]
    )
    lake = (
        [r for r in records if "errorCode" in r]
        if collect
        else [r for r in extra if "errorCode" in r]
    )
    return meta, lookup, lake, len(records)


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; pass a folder to write the sample into")
    if out.is_dir() and any(out.iterdir()):
        present = [p.name for p in out.iterdir()]
        if not force:
            raise InputError(
                f"{out} is not empty ({', '.join(sorted(present)[:5])}); "
                "pass --force to replace a previous sample there, or choose an empty folder"
            )
        unknown = [p for p in present if p not in GENERATED]
        if unknown:
            raise InputError(
                f"{out} holds files a sample does not write ({', '.join(sorted(unknown)[:5])}); "
                "refusing to overwrite it even with --force; choose another folder"
            )
        for name in present:
            path = out / name
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _day_index(rec: dict) -> int:
    when = parse_time(rec["eventTime"])
    return max(0, min(len(DAYS) - 1, (when - DAYS[0]).days))


def generate(
    out_dir: str | os.PathLike,
    *,
    events: int | None = None,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> dict:
    """Write the sample investigation to ``out_dir`` and return its summary.

    ``events`` is the number of background events (default: the committed
    size, 15k); scenario and fixture events come on top. The same seed and
    size always give the same bytes. Raises InputError for a non-empty folder
    without ``force``.

    >>> generate("/tmp/sample", events=2000)["events"]["s3_export"] > 2000  # doctest: +SKIP
    True
    """
    total = DEFAULT_EVENTS if events is None else int(events)
    if total < 0:
        raise InputError(f"--events must be >= 0, got {total}")
    out = Path(out_dir)
    _prepare(out, force)

    scen = build(seed)
    written = _write_cloudtrail(out, seed, total, scen.records, workers, progress)
    digests = write_digests(out / "cloudtrail", seed, written.files)
    insight = _write_insight(out / "cloudtrail", seed)
    lookup_files = _write_lookup_events(out, written.lookup)
    lake_count = write_lake(out, written.lake)
    labels = _labels(scen)
    write_json(out / "labels.json", labels)
    snapshot = snapshot_files()
    for rel, value in snapshot.items():
        write_json(out / "snapshot" / rel, value)
    (out / "README.md").write_text(STORY, encoding="utf-8")

    by_cause: dict[str, int] = {}
    for s in labels["scenarios"]:
        by_cause[s["cause"]] = by_cause.get(s["cause"], 0) + 1
    return {
        "out_dir": str(out),
        "seed": seed,
        "background_events": total,
        "scenario_events": len(scen.records),
        "events": {
            "s3_export": written.s3_records,
            "lookup_events": sum(lookup_files.values()),
            "lake": lake_count,
        },
        "files": {
            "cloudtrail": len(written.files),
            "digest": digests,
            "insight": 1,
            "lookup_events": len(lookup_files),
            "lake": 3,
            "snapshot": len(snapshot),
        },
        "bytes": sum(f["bytes"] for f in written.files),
        "insight_file": insight,
        "scenarios_by_cause": dict(sorted(by_cause.items())),
        "hostile_event_ids": len(labels["hostile_event_ids"]),
    }


def _chunk_jobs(out: Path, seed: int, total: int, scenario_records: list[dict]) -> list[ChunkJob]:
    """One job per chunk part; each scenario record rides with part 0 of its chunk."""
    counts = plan(total)
    extras: dict[tuple[str, str, int], list[dict]] = {}
    for rec in scenario_records:
        extras.setdefault(
            (rec["recipientAccountId"], rec["awsRegion"], _day_index(rec)), []
        ).append(rec)
    keys = sorted(set(counts) | set(extras))
    collect = total <= VIEW_LIMIT
    return [
        ChunkJob(
            str(out),
            seed,
            a,
            r,
            d,
            part,
            n,
            extras.get((a, r, d), []) if part == 0 else [],
            collect,
        )
        for a, r, d in keys
        for part, n in enumerate(split(counts.get((a, r, d), 0)))
    ]


def _write_cloudtrail(
    out: Path,
    seed: int,
    total: int,
    scenario_records: list[dict],
    workers: int | None,
    progress: Progress | None,
) -> Written:
    """Write every trail file, in worker processes for large samples (same bytes either way)."""
    jobs = _chunk_jobs(out, seed, total, scenario_records)
    n_workers = workers or (min(2, os.cpu_count() or 1) if total >= PARALLEL_FROM else 1)
    if n_workers > 1:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            return _collect(pool.map(_chunk_job, jobs), len(jobs), progress)
    return _collect(map(_chunk_job, jobs), len(jobs), progress)


def _collect(
    results: Iterable[tuple[list[dict], list[dict], list[dict], int]],
    n_jobs: int,
    progress: Progress | None,
) -> Written:
    """Gather the chunk results in job order, reporting progress after each."""
    written = Written([], [], [], 0)
    s3_records = 0
    for i, (meta, lookup, lake, count) in enumerate(results):
        written.files.extend(meta)
        written.lookup.extend(lookup)
        written.lake.extend(lake)
        s3_records += count
        if progress:
            progress(i + 1, n_jobs)
    return written._replace(s3_records=s3_records)


def _write_insight(root: Path, seed: int) -> str:
    """The one Insights file: a burst of GetSecretValue errors in prod."""
    return write_insight(
        root,
        seed,
        PROD,
        "eu-west-1",
        DAYS[2] + timedelta(hours=19, minutes=40),
        DAYS[2] + timedelta(hours=20, minutes=10),
        "secretsmanager.amazonaws.com",
        "GetSecretValue",
        "AccessDeniedException",
        0.0,
        5.0,
    )


def _write_lookup_events(out: Path, lookup: list[dict]) -> dict[str, int]:
    """One lookup-events file per window; returns {file name: event count}."""
    lookup_files = {}
    for acct, region, _start, _end in LOOKUP_WINDOWS:
        recs = [r for r in lookup if _in_lookup(r) == (acct, region)]
        path = out / "lookup-events" / f"{acct}-{region}.json"
        write_json(path, lookup_events(recs))
        lookup_files[path.name] = len(recs)
    return lookup_files


def _labels(scen: Recorder) -> dict:
    """labels.json: the answer key with the event ids each scenario wrote."""
    scenarios = []
    for label in SCENARIOS:
        entry = {
            "id": label["id"],
            "title": label["title"],
            "cause": label["cause"],
            "event_ids": scen.by_scenario.get(label["id"], []),
        }
        if label["id"] in scen.context:
            entry["context_event_ids"] = scen.context[label["id"]]
        entry.update({k: v for k, v in label.items() if k not in entry})
        scenarios.append(entry)
    return {
        "format": "iamlab-labels/1",
        "generated_by": "iamlab sample",
        "scenarios": scenarios,
        "hostile_event_ids": list(scen.hostile),
    }
