"""Benchmark: diagnose every denial of a large sample, next to a baseline in the same run.

Diagnosis (``iamlab.diagnose.diagnose_all``: rebuild, replay, verdict, proven
fix) is timed against the baseline of one ``iamlab.simulate`` call per denial
event (principal, action and resource taken from the parsed message), over
the same workspace and snapshot. Target: under 60 s for the denials of the
two-million-event sample.

    iamlab sample /tmp/big --events 2000000      # once; it takes minutes
    python benchmarks/diagnose.py --sample /tmp/big --work /tmp/big-ws
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from iamlab.diagnose import diagnose_all
from iamlab.snapshot import load, simulate
from iamlab.workspace import Workspace

TARGET_SECONDS = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sample",
        required=True,
        type=Path,
        help="a folder written by `iamlab sample DIR --events N`",
    )
    parser.add_argument(
        "--work",
        required=True,
        type=Path,
        help="workspace folder (loaded from the sample's cloudtrail/ if empty)",
    )
    args = parser.parse_args(argv)

    with Workspace(args.work) as ws:
        if ws.sql("SELECT count(*) AS n FROM events").n[0] == 0:
            started = time.perf_counter()
            ws.load(str(args.sample / "cloudtrail"), progress=False)
            print(f"loaded in {time.perf_counter() - started:.1f} s")
        events = int(ws.sql("SELECT count(*) AS n FROM events").n[0])
        denials = ws.denials()
        snap = load(args.sample / "snapshot")

        started = time.perf_counter()
        simulated = 0
        for row in denials.itertuples(index=False):
            principal = row.principal_arn if isinstance(row.principal_arn, str) else row.principal
            if not (isinstance(principal, str) and isinstance(row.action, str)):
                continue
            try:
                simulate(
                    snap,
                    principal,
                    row.action,
                    row.resource if isinstance(row.resource, str) else "*",
                )
            except Exception:  # noqa: BLE001 - the baseline only times what it can replay
                continue
            simulated += 1
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        with ws.connect() as con:
            diagnose_all(con, load(args.sample / "snapshot"), fixes=False)
        replay_only = time.perf_counter() - started

        snap = load(args.sample / "snapshot")  # cold caches for the timed run too
        started = time.perf_counter()
        with ws.connect() as con:
            diagnoses = diagnose_all(con, snap)
        elapsed = time.perf_counter() - started

    verdicts: dict[str, int] = {}
    for d in diagnoses:
        verdicts[d.verdict] = verdicts.get(d.verdict, 0) + 1
    print(f"events {events:,}; denials {len(denials):,}")
    print(f"baseline: one simulate() per denial    {baseline:8.2f} s  ({simulated:,} replayed)")
    print(f"diagnose_all without fixes (SQL, replay, verdict) {replay_only:8.2f} s")
    print(
        f"diagnose_all (replay, verdict, fix)     {elapsed:8.2f} s  ({len(diagnoses):,} "
        f"diagnosed; ratio to baseline {elapsed / baseline if baseline else float('nan'):.2f})"
    )
    print("verdicts: " + ", ".join(f"{k} {v:,}" for k, v in sorted(verdicts.items())))
    print(
        f"target: under {TARGET_SECONDS:.0f} s for the 2M-event sample's denials: "
        + ("met" if elapsed < TARGET_SECONDS else "NOT met")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
