"""``iamlab privilege``: what a principal used, what it never used, and a narrower policy."""

from __future__ import annotations

import argparse
import json
from collections import Counter

from iamlab.cli import _options as opt


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``privilege`` command."""
    p = opt.command(sub, "privilege", run_privilege)
    opt.add_workspace(p)
    opt.add_snapshot(p, required=True)
    opt.add_principal(p, "a user or role ARN", required=True)
    opt.add_window(p)
    opt.add_json(p, "print the result as JSON")


def run_privilege(args: argparse.Namespace) -> int:
    """least privilege from evidence: unused grants and a narrower policy, replayed

    For one user or role: the actions and resources its successful calls used in the window, the
    granted actions it never used, and the identity policy that allows exactly what it did,
    verified by replaying every call with the engine. For an action with calls that cannot be
    replayed (listed), the policy keeps today's identity grant unchanged. Exit status 1 when a
    call is not shown to be allowed under the policy.
    """
    from iamlab.escape import printable
    from iamlab.prevent.least_privilege import least_privilege
    from iamlab.snapshot import load

    snap = load(args.snapshot)
    with opt.open_workspace(args, read_only=True) as ws, ws.connect() as con:
        result = least_privilege(con, snap, args.principal, args.since, args.until)
    if args.json:
        opt.print_json(result.to_dict())
        return 0 if result.verified else 1
    replayed = len(result.calls) - len(result.skipped)
    print(
        printable(f"{result.principal}: {len(result.calls)} successful calls, {replayed} replayed")
    )
    print(printable(f"used {len(result.used)} actions: {', '.join(sorted(result.used)) or 'none'}"))
    print(
        f"granted {len(result.granted)} actions; never used: {len(result.unused)}"
        + (f" (first: {', '.join(result.unused[:10])})" if result.unused else "")
    )
    status = "allows every call" if result.verified else "NOT verified"
    print(f"\nleast-privilege policy, {len(result.allowed)} actions ({status}):")
    for line in json.dumps(result.policy, indent=2).splitlines():  # ARNs come from events
        print(printable(line))
    skipped = Counter((c.action, c.problem) for c in result.skipped)
    if skipped:
        print(
            f"\nnot replayed ({len(result.skipped)} calls): today's identity grant kept for "
            f"{', '.join(sorted(result.kept)) or 'no action'} (statements Kept*)"
        )
    for (action, problem), n in skipped.most_common():
        print(printable(f"  {n} x {action}: {problem}"))
    if result.uncovered:
        print(f"\nnot shown to be allowed: {len(result.uncovered)} calls (see above)")
    return 0 if result.verified else 1
