"""Ingestion benchmark: iamlab's load against DuckDB auto-detection, pandas and ``gzip -dc``.

Generates N events of the sample's shape in the S3 layout (``iamlab.sample.generate``),
then, in one run and each in its own subprocess (peak memory from ``wait4``'s
``ru_maxrss``), measures:

- iamlab: ``Workspace(tmp).load(<data>/cloudtrail)`` into a fresh workspace, then
  the denial-count-by-hour query (first run and median of 5);
- DuckDB auto-detect: ``read_json_auto`` over the same files, ``Records`` unnested
  into a table in a fresh database file;
- pandas: ``json.load`` + ``pandas.json_normalize`` per file, on a subset of
  the files (extrapolated by rate, and labelled so);
- ``gzip -dc`` of the same files in one stream to /dev/null: the ceiling.

Usage: ``python benchmarks/ingest.py --events 2000000`` (or ``--data DIR`` to
reuse a generated folder). Prints events/second, peak memory and ratios.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

DENIALS_BY_HOUR = """
SELECT date_trunc('hour', event_time) AS hour, count(*) AS denials
FROM events
WHERE error_code IN ('AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation',
                     'UnauthorizedOperation', 'VpceAccessDenied')
GROUP BY 1 ORDER BY 1
"""


def trail_files(data: Path) -> list[str]:
    files = glob.glob(str(data / "**" / "*_CloudTrail_*.json.gz"), recursive=True)
    return sorted(
        f for f in files if "CloudTrail-Digest" not in f and "CloudTrail-Insight" not in f
    )


# --- children (each runs in its own process) ------------------------------------------------------


def child_iamlab(data: Path, work: Path, files_limit: int | None) -> dict:
    from iamlab.workspace import Workspace

    tree = data / "cloudtrail" if (data / "cloudtrail").is_dir() else data
    sources = [str(tree)] if files_limit is None else trail_files(data)[:files_limit]
    ws_dir = work / f"ws-{files_limit or 'all'}"
    shutil.rmtree(ws_dir, ignore_errors=True)  # a fresh workspace, even when --work is reused
    t0 = time.perf_counter()
    with Workspace(ws_dir) as ws:
        report = ws.load(*sources, progress=False)
        seconds = time.perf_counter() - t0
        query_times = []
        with ws.connect() as con:
            for _ in range(6):
                q0 = time.perf_counter()
                rows = con.execute(DENIALS_BY_HOUR).fetchall()
                query_times.append(time.perf_counter() - q0)
    return {
        "events": report.seen,
        "loaded": report.loaded,
        "seconds": seconds,
        "query_first_ms": query_times[0] * 1000,
        "query_median_ms": statistics.median(query_times[1:]) * 1000,
        "hours": len(rows),
        "reconciles": report.reconciles,
        "db_mb": os.path.getsize(ws_dir / "iamlab.duckdb") / 1e6,
    }


def child_duckdb_auto(data: Path, work: Path) -> dict:
    import duckdb

    files = trail_files(data)
    con = duckdb.connect(str(work / "auto.duckdb"))
    t0 = time.perf_counter()
    con.execute(
        "CREATE TABLE events AS SELECT unnest(Records, recursive := true) "
        "FROM read_json_auto($files, maximum_object_size = 1073741824)",
        {"files": files},
    )
    seconds = time.perf_counter() - t0
    n = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.close()
    return {"events": n, "seconds": seconds}


def child_pandas(data: Path, files_limit: int) -> dict:
    import pandas as pd

    files = trail_files(data)[:files_limit]
    t0 = time.perf_counter()
    n = 0
    frames = []
    for f in files:
        with gzip.open(f, "rb") as fh:
            records = json.load(fh)["Records"]
        frames.append(pd.json_normalize(records))
        n += len(records)
    df = pd.concat(frames, ignore_index=True)
    seconds = time.perf_counter() - t0
    return {"events": n, "seconds": seconds, "columns": df.shape[1], "files": len(files)}


# --- parent -------------------------------------------------------------------------------------


def run_child(args: list[str]) -> tuple[dict, float]:
    """Run this script as a child; return its JSON result (plus cpu seconds) and peak RSS MB.

    CPU seconds (user + system, all threads) are printed next to wall time: on a
    shared machine they say what the work cost when wall time says how busy it was.
    """
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise SystemExit(f"child {args[:2]} failed with status {status}")
    result = json.loads(out.strip().splitlines()[-1])
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result, usage.ru_maxrss / 1024


def gzip_rate(files: list[str]) -> tuple[float, float, float]:
    """Seconds, peak MB and cpu seconds of ``gzip -dc`` of all files, one stream, to /dev/null."""
    t0 = time.perf_counter()
    peak = cpu = 0.0
    for i in range(0, len(files), 500):
        with open(os.devnull, "wb") as null:
            proc = subprocess.Popen(["gzip", "-dc", *files[i : i + 500]], stdout=null)
            _, status, usage = os.wait4(proc.pid, 0)
            peak = max(peak, usage.ru_maxrss / 1024)
            cpu += usage.ru_utime + usage.ru_stime
    return time.perf_counter() - t0, peak, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--data", type=Path, help="reuse a folder made by iamlab.sample.generate")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a temp dir)")
    ap.add_argument(
        "--pandas-events",
        type=int,
        default=250_000,
        help="events to give pandas (a subset; its rate is extrapolated)",
    )
    ap.add_argument("--skip-auto", action="store_true", help="do not run DuckDB auto-detect")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind, data, work = args.child[0], Path(args.child[1]), Path(args.child[2])
        if kind == "iamlab":
            limit = int(args.child[3]) if len(args.child) > 3 else None
            print(json.dumps(child_iamlab(data, work, limit)))
        elif kind == "auto":
            print(json.dumps(child_duckdb_auto(data, work)))
        elif kind == "pandas":
            print(json.dumps(child_pandas(data, int(args.child[3]))))
        return 0

    work = args.work or Path(tempfile.mkdtemp(prefix="iamlab-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = args.data
    if data is None:
        from iamlab.sample import generate

        data = work / "sample"
        t0 = time.perf_counter()
        generate(data, events=args.events)
        print(
            f"generated {args.events:,} events with iamlab.sample.generate in "
            f"{time.perf_counter() - t0:.0f}s -> {data}",
            flush=True,
        )
    files = trail_files(data)
    size = sum(os.path.getsize(f) for f in files)
    print(f"{len(files):,} S3 log files, {size / 1e6:,.0f} MB gzip, under {data}", flush=True)

    results: dict[str, dict] = {}
    g_seconds, g_peak, g_cpu = gzip_rate(files)
    print(f"gzip -dc done in {g_seconds:.1f}s", flush=True)

    r, peak = run_child(["--child", "iamlab", str(data), str(work)])
    r["peak_mb"] = peak
    results["iamlab"] = r
    n = r["events"]
    print(f"iamlab done in {r['seconds']:.1f}s", flush=True)
    results["gzip -dc (ceiling)"] = {
        "events": n,
        "seconds": g_seconds,
        "peak_mb": g_peak,
        "cpu": g_cpu,
    }

    quarter = max(1, len(files) // 4)
    r4, peak4 = run_child(["--child", "iamlab", str(data), str(work), str(quarter)])
    r4["peak_mb"] = peak4
    print(f"iamlab on a quarter of the files done in {r4['seconds']:.1f}s", flush=True)

    if not args.skip_auto:
        ra, peaka = run_child(["--child", "auto", str(data), str(work)])
        ra["peak_mb"] = peaka
        results["DuckDB read_json_auto"] = ra
        print(f"DuckDB auto-detect done in {ra['seconds']:.1f}s", flush=True)

    per_file = max(1, n // max(1, len(files)))
    pf = max(1, min(len(files), args.pandas_events // per_file))
    rp, peakp = run_child(["--child", "pandas", str(data), str(work), str(pf)])
    rp["peak_mb"] = peakp
    label = "pandas.json_normalize" + (
        f" (subset: {rp['events']:,} events in {pf} files, rate extrapolated)"
        if pf < len(files)
        else ""
    )
    results[label] = rp

    print()
    print(
        f"{'method':<72} {'events':>10} {'wall s':>8} {'events/s':>10} {'cpu s':>8} "
        f"{'ev/cpu-s':>9} {'peak MB':>8} {'iamlab x':>9}"
    )
    ours = results["iamlab"]["events"] / results["iamlab"]["seconds"]
    for name, r in results.items():
        rate = r["events"] / r["seconds"]
        print(
            f"{name:<72} {r['events']:>10,} {r['seconds']:>8.1f} {rate:>10,.0f} "
            f"{r['cpu']:>8.1f} {r['events'] / r['cpu']:>9,.0f} {r['peak_mb']:>8,.0f} "
            f"{ours / rate:>9.2f}"
        )
    print("(iamlab x = iamlab's events/s divided by that method's, wall clock)")
    print()
    print(
        f"iamlab on 1/4 of the files: {r4['events']:,} events, peak {r4['peak_mb']:,.0f} MB "
        f"(all files: {results['iamlab']['peak_mb']:,.0f} MB)"
    )
    print(
        f"denial count by hour over {results['iamlab']['loaded']:,} events "
        f"({results['iamlab']['hours']} hours): "
        f"first {results['iamlab']['query_first_ms']:.1f} ms, "
        f"median {results['iamlab']['query_median_ms']:.1f} ms"
    )
    print(
        f"report reconciles: {results['iamlab']['reconciles']}; workspace size "
        f"{results['iamlab']['db_mb']:,.0f} MB"
    )
    print()
    print(
        "targets: iamlab >= 2x DuckDB auto-detect, >= 8x pandas, >= 0.6x gzip -dc; "
        "peak < 1536 MB; query < 100 ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
