"""Peak memory of loading each hostile input, next to a normal file of the same size on disk.

Builds the hostile corpus (``tests/hostile/build.py``) at its real sizes (1 GiB
gzip bombs, records with a 64 MB field; ``--small`` for the test sizes), then
loads each item alone, in a fresh process, into a fresh workspace with the
loader's default limits, and prints its peak RSS (``wait4``'s ``ru_maxrss``),
wall and CPU seconds and what the load said. The baseline for each item is a
normal CloudTrail log file (gzip or plain, like the item) of about the same
size on disk, loaded the same way in the same run. The documented bound
(``iamlab/trail/__init__.py``) is checked at the end.

Usage: ``python benchmarks/hostile.py`` (``--only NAME`` for one item, ``--work DIR``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout
sys.path.insert(0, str(ROOT / "tests"))

BOUND_MB = 1536  # the documented peak for any single input (iamlab/trail/__init__.py)


def child(folder: str, ws: str) -> dict:
    from iamlab.workspace import Workspace

    t0 = time.perf_counter()
    with Workspace(ws) as w:
        report = w.load(folder, progress=False)
    return {
        "seconds": time.perf_counter() - t0,
        "seen": report.seen,
        "loaded": report.loaded,
        "rejected": report.rejected_count,
        "skipped": len(report.skipped),
        "reconciles": report.reconciles,
        "why": sorted(
            {r[:60] for _, _, r in report.rejected} | {r[:60] for _, r in report.skipped}
        ),
    }


def run_child(folder: Path, ws: Path) -> tuple[dict, float, float]:
    """Load ``folder`` in a fresh process; its result, peak RSS in MB and CPU seconds."""
    shutil.rmtree(ws, ignore_errors=True)
    cmd = [sys.executable, __file__, "--child", str(folder), str(ws)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        return {"error": f"status {status}"}, usage.ru_maxrss / 1024, 0.0
    return (
        json.loads(out.strip().splitlines()[-1]),
        usage.ru_maxrss / 1024,
        usage.ru_utime + usage.ru_stime,
    )


def build_child(name: str, folder: str, small: str) -> int:
    """Build one item (and its baseline) here, in a child: building a 64 MB record grows a
    process, and a child forked from a big parent starts with the parent's RSS as its peak."""
    from hostile.build import REAL_SIZES, TEST_SIZES, build

    items = build(Path(folder) / "corpus", TEST_SIZES if small == "1" else REAL_SIZES, only=name)
    if not items:
        print(json.dumps(None))
        return 0
    item = items[0]
    size = disk_size(item.paths) or 1
    gz = any(str(p).endswith(".gz") for p in item.paths)
    normal_file(Path(folder) / "baseline", size, gz)
    print(json.dumps({"size": size}))
    return 0


def disk_size(paths: list[Path]) -> int:
    total = 0
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            total += sum(
                f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink()
            )
        elif p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return total


def normal_file(folder: Path, size: int, gz: bool) -> Path:
    """A normal CloudTrail log file of about ``size`` bytes on disk (at least one record)."""
    from hostile.build import record, trail_name

    per = len(json.dumps(record())) + 2
    ratio = 12 if gz else 1  # CloudTrail JSON compresses about 10-15x
    n = max(1, size * ratio // per)
    data = json.dumps({"Records": [record() for _ in range(n)]}).encode()
    path = trail_name(folder, 30, ".json.gz" if gz else ".json")
    path.write_bytes(gzip.compress(data, 6) if gz else data)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="one item (a name from tests/hostile/build.py)")
    ap.add_argument("--small", action="store_true", help="the test suite's sizes")
    ap.add_argument("--work", help="scratch folder (default: a temp dir)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--build", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    if args.build:
        return build_child(*args.build)

    from hostile.build import NAMES, REAL_SIZES, TEST_SIZES

    from iamlab.escape import printable

    work = Path(args.work or tempfile.mkdtemp(prefix="iamlab-hostile-"))
    sizes = TEST_SIZES if args.small else REAL_SIZES
    names = [args.only] if args.only else NAMES
    print(f"sizes: bombs {sizes.bomb:,} bytes decompressed, long fields {sizes.record:,} bytes")
    print(
        f"{'item':<34} {'on disk':>12} {'peak MB':>8} {'base MB':>8} {'x base':>7} "
        f"{'wall s':>7} {'cpu s':>6}  load said"
    )
    worst = 0.0
    for name in names:
        shutil.rmtree(work / "corpus", ignore_errors=True)
        shutil.rmtree(work / "baseline", ignore_errors=True)
        cmd = [sys.executable, __file__, "--build", name, str(work), "1" if args.small else "0"]
        built = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        if built is None:
            print(f"{name:<34} (not built here)")
            continue
        size = built["size"]
        base_dir = work / "baseline"
        base, base_peak, _ = run_child(base_dir, work / "ws-base")
        t0 = time.perf_counter()
        result, peak, cpu = run_child(work / "corpus" / name, work / "ws")
        wall = time.perf_counter() - t0
        worst = max(worst, peak)
        said = result.get("error") or (
            f"seen {result['seen']}, loaded {result['loaded']}, rejected {result['rejected']}, "
            f"skipped {result['skipped']}, reconciles {result['reconciles']}; "
            + printable(" | ".join(result["why"])[:110])
        )
        print(
            f"{name:<34} {size:>12,} {peak:>8,.0f} {base_peak:>8,.0f} {peak / base_peak:>7.2f} "
            f"{wall:>7.1f} {cpu:>6.1f}  {said}",
            flush=True,
        )
        if "error" in base:
            print(f"  baseline failed: {base['error']}")
    print()
    print(
        f"worst peak {worst:,.0f} MB; documented bound {BOUND_MB:,} MB: "
        f"{'within' if worst <= BOUND_MB else 'EXCEEDED'}"
    )
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if worst <= BOUND_MB else 1


if __name__ == "__main__":
    sys.exit(main())
