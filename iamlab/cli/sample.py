"""``iamlab sample``: write the bundled sample investigation, or check one."""

from __future__ import annotations

import argparse
import json
import sys

from iamlab.cli import _options as opt
from iamlab.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sample`` command."""
    p = opt.command(sub, "sample", run)
    p.add_argument("out", nargs="?", metavar="OUT", help="folder to write the sample into")
    p.add_argument(
        "--events",
        type=int,
        default=None,
        metavar="N",
        help="background events to generate (default: the committed size, 15000)",
    )
    p.add_argument(
        "--seed", type=int, default=None, help="random seed (default: the bundled sample's)"
    )
    p.add_argument("--force", action="store_true", help="replace a sample already in OUT")
    p.add_argument(
        "--check",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="check a sample folder (default: the repository's sample_data/) and print its summary",
    )
    opt.add_json(p, "print the summary as JSON")
    opt.add_quiet(p, "-q", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """write the sample investigation (seeded, any size) or check a sample folder

    Write a deterministic sample AWS organization with CloudTrail evidence and labels, or check
    a sample folder and print its scenario summary.
    """
    from iamlab.sample import DEFAULT_SEED, check, default_dir, generate

    if args.check is not None:
        if args.out:
            raise InputError("give either OUT (to write) or --check DIR, not both")
        summary = check(args.check or default_dir())
        print(json.dumps(summary, indent=2) if args.json else render_check(summary))
        return 0
    if not args.out:
        raise InputError("OUT is required (or use --check [DIR])")
    from tqdm.auto import tqdm

    with tqdm(desc="writing the sample", unit="chunk", disable=args.quiet, file=sys.stderr,
              dynamic_ncols=True) as bar:  # fmt: skip

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        summary = generate(
            args.out,
            events=args.events,
            seed=DEFAULT_SEED if args.seed is None else args.seed,
            force=args.force,
            progress=progress,
        )
    print(json.dumps(summary, indent=2) if args.json else render_generate(summary))
    return 0


def render_generate(s: dict) -> str:
    ev, files = s["events"], s["files"]
    return "\n".join(
        [
            f"wrote {s['out_dir']} (seed {s['seed']})",
            f"  events: {ev['s3_export']} in S3 export layout ({s['background_events']} background + "
            f"{s['scenario_events']} scenario), {ev['lookup_events']} lookup-events, {ev['lake']} Lake rows",
            f"  files: {files['cloudtrail']} trail, {files['digest']} digest, {files['insight']} insight, "
            f"{files['lookup_events']} lookup-events, {files['snapshot']} snapshot ({s['bytes']:,} trail bytes)",
            "  scenarios: " + ", ".join(f"{c} {n}" for c, n in s["scenarios_by_cause"].items()),
        ]
    )


def render_check(s: dict) -> str:
    lines = [f"sample {s['dir']}: OK", f"scenarios ({s['scenarios']}) by cause:"]
    denial_events = s["denial_events_by_cause"]
    for cause, n in s["scenarios_by_cause"].items():
        extra = f"  ({denial_events[cause]} denial events)" if cause in denial_events else ""
        lines.append(f"  {cause:<22}{n}{extra}")
    ev = s["events"]
    lines += [
        f"events: {ev['s3_export']} S3 export, {ev['lookup_events']} lookup-events, {ev['lake']} Lake rows",
        f"files: {s['files']['trail']} trail, {s['files']['digest']} digest, {s['files']['insight']} insight",
        f"accounts: {', '.join(s['accounts'])}",
        f"regions: {', '.join(s['regions'])}",
        f"eventVersions: {', '.join(s['event_versions'])}",
        f"time span: {s['time_span'][0]} .. {s['time_span'][1]}",
        f"hostile events (escaping tests): {s['hostile_event_ids']}",
    ]
    return "\n".join(lines)
