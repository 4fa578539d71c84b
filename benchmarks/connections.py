"""Benchmark: what a Workspace call costs now that it holds no connection between calls.

A Workspace opens a read-only DuckDB connection per burst of calls and lets it
go HOLD_SECONDS after the last one, so a terminal or a second notebook can
load meanwhile. This prints, on a workspace holding the bundled sample:

- ``ws.sql`` in a burst (the connection is reused),
- ``ws.sql`` after the hold has expired (a new connection each call),
- the baseline: the same query on one connection held for the whole run
  (the old Workspace), in the same run.

    python benchmarks/connections.py [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from iamlab import database
from iamlab.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
QUERY = "SELECT cause, count(*) FROM denials GROUP BY 1"


def per_call_ms(fn, calls: int) -> tuple[float, float]:
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "ws")
        ws.load(SAMPLE / "cloudtrail", progress=False)
        ws.close()
        burst = per_call_ms(lambda: ws.sql(QUERY), args.calls)

        def fresh() -> None:
            ws.sql(QUERY)
            ws.close()  # what a call after HOLD_SECONDS of quiet costs

        cold = per_call_ms(fresh, max(20, args.calls // 5))
        with duckdb.connect(str(ws.path / database.DB_NAME), read_only=True) as con:
            held = per_call_ms(lambda: con.execute(QUERY).df(), args.calls)
    print(f"query: {QUERY}")
    print(f"{'':38}{'median ms':>10}{'max ms':>9}")
    for name, (median, worst) in [
        ("baseline: one connection held", held),
        ("ws.sql in a burst (connection reused)", burst),
        (f"ws.sql after {database.HOLD_SECONDS:g} s quiet (new connection)", cold),
    ]:
        print(f"{name:38}{median:>10.2f}{worst:>9.2f}")
    print(f"per-call connection overhead: {burst[0] - held[0]:+.2f} ms in a burst, "
          f"{cold[0] - held[0]:+.2f} ms cold")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
