"""``iamlab simulate``: replay one request against a snapshot with the evaluation engine."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from iamlab.errors import InputError

EPILOG = """exit status: 0 the request is allowed, 1 it is denied (implicit or explicit),
3 unknown: a layer that could decide is not in the snapshot (the principal or an
account outside it, SCPs/RCPs or a resource policy not collected; the output names
it and what AWS could decide), 2 a usage or snapshot error. Never 0 on a guess.
The snapshot also supplies the condition keys it
knows (aws:PrincipalArn with the role path, aws:PrincipalTag/*, aws:PrincipalOrgID,
aws:ResourceAccount, ...); --context values win over them."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` command."""
    parser = sub.add_parser(
        "simulate",
        help="evaluate one request against a snapshot's policies (offline)",
        description="Evaluate a request against every policy layer in a snapshot, "
        "and show the statement that decided it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--principal",
        required=True,
        help="user, role, role-session (assumed-role) or federated-user ARN",
    )
    parser.add_argument("--action", required=True, help="service:Action, e.g. s3:GetObject")
    parser.add_argument("--resource", default="*", help="resource ARN (default: *)")
    parser.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="condition key value; repeat a key for a multi-valued key",
    )
    parser.add_argument(
        "--region",
        help="the Region the request was sent to (the event's "
        "awsRegion): aws:RequestedRegion; default: the resource ARN's Region, "
        "none for S3 and IAM ARNs",
    )
    parser.add_argument(
        "--resource-account",
        help="account owning the resource (default: from the ARN or the snapshot)",
    )
    parser.add_argument(
        "--issuer",
        help="for a federated user: the IAM user ARN that called "
        "GetFederationToken (CloudTrail sessionIssuer.arn)",
    )
    parser.add_argument(
        "--vpc-endpoint",
        metavar="VPCE_ID",
        help="the request came through this VPC endpoint: evaluate its policy "
        "(default: the aws:SourceVpce context value)",
    )
    parser.add_argument(
        "--session-policy",
        metavar="FILE|JSON",
        help="the session policy passed when the session was created "
        "(CloudTrail AssumeRole requestParameters.policy), or 'unknown'",
    )
    parser.add_argument(
        "--no-snapshot-context",
        action="store_true",
        help="do not add the condition keys the snapshot knows",
    )
    parser.add_argument("--snapshot", required=True, help="snapshot folder")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    parser.add_argument(
        "--as-case",
        metavar="NAME",
        help="print the replay as a test case (design format) named NAME, for `iamlab cases run`",
    )
    parser.set_defaults(func=run)


def parse_context(items: list[str]) -> dict[str, str | list[str]]:
    """Return a context mapping from ``KEY=VALUE`` items; a repeated key becomes a list."""
    context: dict[str, str | list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"--context {item!r} is not KEY=VALUE (e.g. --context aws:SourceIp=203.0.113.9)"
            )
        key = key.strip()
        if key in context:
            previous = context[key]
            context[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            context[key] = value
    return context


def read_document(value: str | None) -> dict | str | None:
    """Return a policy document given inline as JSON or as a file path (None stays None).

    ``unknown`` stays "unknown": a session policy may have been passed but is not known.
    """
    if value is None or value.strip().lower() == "unknown":
        return value
    text = value
    if not value.lstrip().startswith("{"):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"--session-policy {value!r}: cannot read it ({exc.strerror}); "
                "pass a JSON document or a file holding one"
            ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"--session-policy {value[:60]!r} is not JSON (line {exc.lineno} "
            f"column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(doc, dict):
        raise InputError("--session-policy must be a JSON object (a policy document)")
    return doc


def run(args: argparse.Namespace) -> int:
    """Render the decision (and the snapshot's caveats); 0 allowed, 1 denied, 3 unknown."""
    from iamlab.snapshot.simulate import simulate

    result = simulate(
        args.snapshot,
        args.principal,
        args.action,
        args.resource,
        context=parse_context(args.context),
        resource_account=args.resource_account,
        issuer_arn=args.issuer,
        derive_context=not args.no_snapshot_context,
        vpc_endpoint=args.vpc_endpoint,
        session_policy=read_document(args.session_policy),
        region=args.region,
    )
    if args.as_case:
        case = result.to_case(args.as_case, source=f"iamlab simulate --snapshot {args.snapshot}")
        print(json.dumps(case, indent=2))
    elif args.json:
        print(json.dumps({**result.to_dict(), "cause": _cause(result.decision)}, indent=2,
                         sort_keys=True))  # fmt: skip
    else:
        lines = str(result).splitlines()
        cause = _cause(result.decision)
        if cause:  # the layer in the words `iamlab denials` and `diagnose` use
            lines.insert(2 if len(lines) > 1 else 1, f"cause: {cause}")
        print("\n".join(lines))
    return EXIT[result.decision.decision]


def _cause(decision) -> str | None:
    """The cause (design taxonomy) of a denial's deciding layer; None unless denied."""
    from iamlab.denials.parse import cause_of

    if decision.decision not in ("implicit_deny", "explicit_deny") or not decision.denied_by:
        return None
    deny = "explicit" if decision.decision == "explicit_deny" else "implicit"
    return cause_of(decision.denied_by[0], deny)


# Exit status per decision (documented in EPILOG and the README's command list).
EXIT = {"allow": 0, "implicit_deny": 1, "explicit_deny": 1, "unknown": 3}
