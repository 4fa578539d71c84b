"""Benchmark: after a principal change, every bound chart redrawn, on a large workspace.

Builds (or reuses) a workspace of the sample generator's evidence at
``--events`` (default 200,000), opens an ``iamlab.face.widgets.Investigation``
with every chart of ``CHARTS`` bound, then sets the principal picker to each
of the busiest principals in turn (and back to "every principal"), timing
each change until every bound chart and table has been redrawn. The baseline,
measured in the same run between the changes, is one plain ``ws.denials()``
query (the denial frame every chart starts from). Target: under 1 s per
redraw at 2,000,000 events.

    python benchmarks/charts.py --events 2000000 --work /tmp/charts-2m
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 1.0


def workspace(work: Path, events: int):
    """Return a Workspace of ``events`` sample events under ``work`` (made once, then reused)."""
    from iamlab.sample import generate
    from iamlab.workspace import Workspace

    data, path = work / "sample", work / "ws"
    if not (path / "iamlab.duckdb").exists():
        if not (data / "labels.json").exists():
            t0 = time.perf_counter()
            generate(data, events=events, force=True)
            print(f"generated {events:,} events in {time.perf_counter() - t0:.0f}s -> {data}")
        t0 = time.perf_counter()
        with Workspace(path) as ws:
            ws.load(data / "cloudtrail", progress=False)
        print(f"loaded in {time.perf_counter() - t0:.0f}s -> {path}")
    return Workspace(path, read_only=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--work", type=Path, help="scratch folder, reused by later runs")
    ap.add_argument("--principals", type=int, default=5, help="busiest principals to visit")
    ap.add_argument("--rounds", type=int, default=3, help="times to visit each of them")
    args = ap.parse_args()

    from iamlab.face.widgets import CHARTS, Investigation

    work = args.work or Path(tempfile.mkdtemp(prefix="iamlab-charts-"))
    work.mkdir(parents=True, exist_ok=True)
    ws = workspace(work, args.events)
    total = int(ws.sql("SELECT count(*) FROM events").iloc[0, 0])
    t0 = time.perf_counter()
    inv = Investigation(ws)
    opened = time.perf_counter() - t0
    picks = [v for _, v in inv.principal.options[1 : 1 + args.principals]]
    print(
        f"{total:,} events, {len(ws.denials()):,} denials; {len(CHARTS)} bound charts "
        f"({', '.join(CHARTS)}); investigation opened in {opened:.2f}s"
    )

    redraws, baselines = [], []
    for _ in range(args.rounds):
        for principal in [*picks, ""]:
            t0 = time.perf_counter()
            ws.denials()
            baselines.append(time.perf_counter() - t0)
            before = inv.redraws
            t0 = time.perf_counter()
            inv.principal.value = principal
            redraws.append(time.perf_counter() - t0)
            assert inv.redraws == before + 1, "a principal change must redraw exactly once"

    def show(name: str, values: list[float]) -> None:
        print(
            f"  {name:<34} median {statistics.median(values):6.3f}s  "
            f"max {max(values):6.3f}s  ({len(values)} runs)"
        )

    print(f"principal change -> every bound chart redrawn, {total:,} events:")
    show("redraw (all charts and the table)", redraws)
    show("baseline: ws.denials()", baselines)
    ratio = statistics.median(redraws) / statistics.median(baselines)
    verdict = "meets" if statistics.median(redraws) < TARGET_SECONDS else "misses"
    print(f"  redraw / baseline: {ratio:.1f}x; {verdict} the {TARGET_SECONDS:.0f} s target")
    ws.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
