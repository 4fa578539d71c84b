"""``iamlab coverage``: where the workspace's CloudTrail evidence is dark."""

from __future__ import annotations

import argparse
from collections import Counter

from iamlab.cli import _options as opt


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``coverage`` command."""
    p = opt.command(sub, "coverage", run_coverage)
    opt.add_workspace(p)
    opt.add_snapshot(p, "snapshot folder (organization, trails)")
    opt.add_window(
        p,
        "UTC start, ISO 8601 (inclusive; default: first event)",
        "UTC end, ISO 8601 (exclusive; default: after last event)",
    )
    opt.add_json(p, "print the coverage as JSON")


def run_coverage(args: argparse.Namespace) -> int:
    """find where the evidence is dark: accounts, Regions, silent hours, missing sessions

    Report organization accounts and (account, Region) pairs without CloudTrail events in the
    window, stretches of hours an account delivered nothing, denials whose issuing AssumeRole is
    missing, and (from the snapshot's trails.json) trails that are not multi-Region or not
    logging; then the account x day event counts.
    """
    from iamlab.escape import printable
    from iamlab.prevent import account_days, coverage
    from iamlab.snapshot import load

    snap = load(args.snapshot) if args.snapshot else None
    with opt.open_workspace(args, read_only=True) as ws, ws.connect() as con:
        cov = coverage(con, snap, **opt.window(args))
        matrix = account_days(con, cov.since, cov.until, cov.accounts)
    if args.json:
        out = cov.to_dict()
        out["account_days"] = {
            a: {str(d.date()): int(n) for d, n in row.items()} for a, row in matrix.iterrows()
        }
        opt.print_json(out)
        return 0
    for line in render(cov):
        print(line)
    print("\nevents by account and day (UTC):")
    print(matrix.rename(columns=lambda d: f"{d:%Y-%m-%d}", index=printable).to_string())
    return 0


def render(cov) -> list[str]:
    """Return the coverage report as lines of text, escaped (accounts, Regions and session
    ARNs come from the evidence)."""
    from iamlab.escape import printable

    lines = [
        f"window {cov.since:%Y-%m-%d %H:%M} to {cov.until:%Y-%m-%d %H:%M} UTC, "
        f"{len(cov.accounts)} accounts"
    ]
    lines.append("accounts without evidence: " + (", ".join(cov.dark_accounts) or "none"))
    lines.append(
        "dark (account, Region): " + (", ".join(f"{a} {r}" for a, r in cov.dark_regions) or "none")
    )
    lines.append(
        "silent stretches: "
        + (
            ", ".join(f"{a} {s:%Y-%m-%d %H:%M}..{e:%Y-%m-%d %H:%M}" for a, s, e in cov.silent)
            or "none"
        )
    )
    sessions = Counter(s for _e, s in cov.missing_sessions)
    lines.append(
        f"denials whose issuing AssumeRole is missing: {len(cov.missing_sessions)}"
        + (f" ({len(sessions)} sessions)" if sessions else "")
    )
    lines += [f"  {s}: {n}" for s, n in sessions.most_common()]
    lines.append(
        "trails: " + ("; ".join(f"{a} {t}: {p}" for a, t, p in cov.trails) or "no problem found")
    )
    lines += [f"note: {n}" for n in cov.notes]
    return [printable(line) for line in lines]
