"""``iamlab demo``: the README's main job on the bundled sample investigation.

Loads the sample's evidence (S3 trail export, lookup-events output, CloudTrail
Lake results) into a workspace, prints what was loaded per source, the denials
by the cause AWS's messages report, then every denial replayed against the
sample's snapshot: the real causes, the verdicts and how many fixes were proven.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from iamlab.cli import _options as opt

# The sample's evidence folders, one per format (S3 export tree, lookup-events
# output, CloudTrail Lake results); the same events appear in several of them.
EVIDENCE = ("cloudtrail", "lookup-events", "lake")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command."""
    p = opt.command(sub, "demo", run, description=__doc__)
    p.add_argument(
        "--workspace",
        type=Path,
        default=Path("iamlab-demo"),
        help="workspace folder to create or reuse (default: ./iamlab-demo)",
    )
    opt.add_quiet(p)


def run(args: argparse.Namespace) -> int:
    """load and diagnose the bundled sample investigation: its denials by cause"""
    from iamlab.sample import default_dir, generate
    from iamlab.workspace import Workspace

    sample = default_dir()
    if not (sample / "labels.json").is_file():
        # Installed without the source checkout: regenerate the same sample.
        sample = args.workspace / "sample_data"
        if not (sample / "labels.json").is_file():
            generate(sample, force=True)
    print(f"Bundled sample: {sample}")
    sources = [sample / name for name in EVIDENCE]
    with Workspace(args.workspace) as ws:
        report = ws.load(*sources, progress=not args.quiet)
        print(report)
        print()
        print(f"Denials by reported cause (workspace {args.workspace}):")
        print(ws.denial_summary(by="cause").to_string(index=False))
        print()
        found = ws.diagnose(sample / "snapshot")
    from iamlab.diagnose import summary

    verified = sum(1 for fix in found["fix"] if isinstance(fix, dict) and fix.get("verified"))
    print(f"Every denial replayed against {sample / 'snapshot'} (iamlab diagnose):")
    print(summary(found).to_string(index=False))
    print(f"\n{len(found)} denials, {verified} fixes proven by re-evaluation. Next: "
          f"iamlab explain EVENT_ID --workspace {args.workspace} --snapshot {sample / 'snapshot'}"
          ", or iamlab lab for the notebooks.")  # fmt: skip
    return 0
