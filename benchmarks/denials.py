"""Benchmark: classify N events (default 2,000,000) with the ``denials`` view.

Prints the time to classify next to baselines measured in the same run:
a plain ``count(*) GROUP BY error_code`` scan of ``events`` and the Python
parser (``iamlab.denials.parse``) over the same error messages.

Data: by default the bundled sample generator (``iamlab.sample.generate``)
loaded with ``Workspace.load``; ``--synthetic`` (or when the generator is
missing) builds the ``events`` table directly in DuckDB from documented
message forms, each row made unique by its number. ``--workspace DIR`` uses
an existing workspace as is.

    python benchmarks/denials.py --events 2000000
"""

# ruff: noqa: E501  (AWS messages are long; kept whole so they read as AWS prints them)

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from iamlab.denials import install, parse

TARGET_SECONDS = 5.0

# (errorCode, errorMessage) templates; {i} becomes the row number.
FORMS = [
    ("AccessDenied", "Access Denied"),
    (
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/u{i} is not authorized to perform: s3:GetObject "
        'on resource: "arn:aws:s3:::bucket/key-{i}" because no identity-based policy allows the s3:GetObject action',
    ),
    (
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/App/s{i} is not authorized to perform: "
        "kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/{i} with an explicit "
        "deny in a service control policy: arn:aws:organizations::999999999999:policy/o-a/service_control_policy/p-{i}",
    ),
    (
        "Client.UnauthorizedOperation",
        "You are not authorized to perform this operation. User: arn:aws:sts::1:assumed-role/Dev/{i} "
        "is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:1:instance/* "
        "because no identity-based policy allows the ec2:RunInstances action. Encoded authorization "
        "failure message: " + "Ab-_" * 150 + "{i}",
    ),
    (
        "AccessDenied",
        "User: arn:aws:iam::1:user/janedoe{i} is not authorized to perform: iam:CreateUser on resource: "
        "arn:aws:iam::1:user/x with an explicit deny in an identity-based policy: arn:aws:iam::1:policy/D. Go to "
        "https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/ID{i} for complete "
        "details, or call the GetRequestAuthorizationDetails API with the following authorization id: ID{i}",
    ),
    ("VpceAccessDenied", "The request was denied due to a VPC endpoint policy"),
    ("NoSuchKey", "The specified key does not exist. {i}"),
    ("ThrottlingException", "Rate exceeded"),
    ("Client.DryRunOperation", "Request would have succeeded, but DryRun flag is set."),
    ("AccessDenied", "User is not authorized to perform: rds:ModifyDBInstance"),
]
ERROR_SHARE = 0.20  # share of events carrying an error


def synthetic(con: duckdb.DuckDBPyConnection, n: int) -> None:
    """Create ``events`` with ``n`` rows, ERROR_SHARE of them with an error from FORMS."""
    con.execute("CREATE TEMP TABLE forms (k INTEGER, code VARCHAR, msg VARCHAR)")
    con.executemany(
        "INSERT INTO forms VALUES (?, ?, ?)", [(k, c, m) for k, (c, m) in enumerate(FORMS)]
    )
    per = round(100 * ERROR_SHARE / len(FORMS))
    con.execute(
        """
        CREATE TABLE events AS
        SELECT 'e' || r.range AS event_id,
               TIMESTAMPTZ '2024-05-01 00:00:00+00' + to_seconds(r.range % 2592000) AS event_time,
               'arn:aws:iam::123456789012:user/u' || (r.range % 5000) AS principal_arn,
               's3.amazonaws.com' AS event_source, 'GetObject' AS event_name, 'us-east-1' AS aws_region,
               '123456789012' AS account_id, '123456789012' AS recipient_account_id,
               f.code AS error_code, replace(f.msg, '{i}', r.range::VARCHAR) AS error_message
        FROM range($n) r LEFT JOIN forms f ON f.k = (r.range % 100) // $per
        """,
        {"n": n, "per": per},
    )


def from_sample(n: int, tmp: Path) -> duckdb.DuckDBPyConnection:
    """Generate the bundled sample with ``n`` events and load it into a workspace."""
    from iamlab.sample import generate
    from iamlab.workspace import Workspace

    out = tmp / "sample"
    t = time.perf_counter()
    generate(out, events=n)
    print(f"generated sample with {n:,} events in {time.perf_counter() - t:.1f} s")
    ws = Workspace(tmp / "ws")
    t = time.perf_counter()
    ws.load(str(out / "cloudtrail"), progress=False)
    print(f"loaded in {time.perf_counter() - t:.1f} s")
    ws.close()
    return duckdb.connect(str(ws.path / "iamlab.duckdb"), read_only=True)


def timed(con, sql: str) -> tuple[float, float, list]:
    """Run ``sql``; return (wall seconds, CPU seconds of all threads, rows)."""
    cpu, wall = time.process_time(), time.perf_counter()
    rows = con.execute(sql).fetchall()
    return time.perf_counter() - wall, time.process_time() - cpu, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument(
        "--synthetic", action="store_true", help="build events directly (no sample generator)"
    )
    ap.add_argument("--workspace", help="use this existing workspace's events")
    ap.add_argument(
        "--python-limit",
        type=int,
        default=0,
        help="parse at most this many messages in Python (0: all)",
    )
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if args.workspace:
            from iamlab.workspace import Workspace

            Workspace(args.workspace).close()  # set up (views of this iamlab), then let go
            con = duckdb.connect(str(Path(args.workspace) / "iamlab.duckdb"), read_only=True)
            print(f"data: workspace {args.workspace}")
        elif args.synthetic:
            con = duckdb.connect(str(tmp / "bench.duckdb"))
            synthetic(con, args.events)
            print("data: synthetic events table built in DuckDB (--synthetic)")
        else:
            try:
                con = from_sample(args.events, tmp)
                print("data: iamlab.sample.generate + Workspace.load")
            except ImportError as exc:
                print(f"data: sample generator unavailable ({exc}); synthetic events table instead")
                con = duckdb.connect(str(tmp / "bench.duckdb"))
                synthetic(con, args.events)
        install(con)
        total = con.execute("SELECT count(*) FROM events").fetchone()[0]
        errors = con.execute("SELECT count(*) FROM error_events").fetchone()[0]
        print(
            f"events: {total:,}; with an error: {errors:,}; threads: "
            f"{con.execute('SELECT current_setting(?)', ['threads']).fetchone()[0]}"
        )

        results = [
            (
                "baseline: count(*) GROUP BY error_code over events",
                timed(con, "SELECT error_code, count(*) FROM events GROUP BY error_code"),
            ),
            (
                "denials view: count(*) GROUP BY cause",
                timed(con, "SELECT cause, count(*) FROM denials GROUP BY cause ORDER BY 2 DESC"),
            ),
            (
                "denials view: CREATE TABLE AS SELECT * FROM denials",
                timed(con, "CREATE OR REPLACE TEMP TABLE denials_copy AS SELECT * FROM denials"),
            ),
        ]
        by_cause = results[1][1][2]
        denials = con.execute("SELECT count(*) FROM denials_copy").fetchone()[0]

        messages = con.execute("SELECT error_code, error_message FROM error_events").fetchall()
        if args.python_limit:
            messages = messages[: args.python_limit]
        cpu, wall = time.process_time(), time.perf_counter()
        py_denials = sum(parse(code, msg).is_denial for code, msg in messages)
        results.append(
            (
                f"baseline: Python parse() over {len(messages):,} error messages",
                (time.perf_counter() - wall, time.process_time() - cpu, []),
            )
        )

    # CPU seconds (all threads) tell a busy machine from a slow query.
    print(f"\n{'measure':<58}{'wall s':>8}{'CPU s':>8}")
    for label, (wall_s, cpu_s, _) in results:
        print(f"{label:<58}{wall_s:8.2f}{cpu_s:8.2f}")
    print(f"\ndenials: {denials:,} (Python parser: {py_denials:,} of the messages it read)")
    for cause, count in by_cause:
        print(f"  {cause:<22}{count:>10,}")
    worst = max(results[1][1][0], results[2][1][0])
    verdict = "meets" if worst < TARGET_SECONDS else "MISSES"
    print(
        f"\nclassification of {total:,} events: {worst:.2f} s wall "
        f"({verdict} the {TARGET_SECONDS:.0f} s target); load average now "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
