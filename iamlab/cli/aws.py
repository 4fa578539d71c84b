"""AWS commands: whoami, collect, lookup-events, lake-query, decode, authz-details,
aws-simulate. Each parses options, calls one ``iamlab.aws`` function, renders.

What AWS answers (ARNs, event fields, Sids, error codes) is shown through
``printable``: an endpoint or an event can carry terminal escapes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from iamlab.cli._options import add_workspace
from iamlab.escape import printable


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, default=str))


def register(sub: argparse._SubParsersAction) -> None:
    """Add the AWS commands to the top-level parser."""
    p = sub.add_parser(
        "whoami",
        help="who am I in AWS, and which credentials won",
        description="Call sts GetCallerIdentity and show which credential "
        "source boto3 used, the region, and warnings.",
    )
    p.add_argument("--profile", help="AWS profile (default: boto3's chain)")
    p.add_argument("--region", help="AWS Region (default: boto3's chain)")
    p.add_argument("--expect-account", help="warn (exit 1) unless the caller is in this account")
    p.add_argument(
        "--expect-arn",
        help="warn (exit 1) unless the caller is this ARN (a role ARN also matches its sessions)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_whoami)

    p = sub.add_parser(
        "collect",
        help="collect an IAM snapshot folder (read-only)",
        description="Write the snapshot folder: authorization details per "
        "account, resource policies, the organization with SCPs "
        "and RCPs, and manifest.json. Denied calls are listed in "
        "the manifest; collection carries on.",
    )
    p.add_argument("--out", required=True, help="snapshot folder to write")
    p.add_argument("--profile", help="AWS profile (default: boto3's chain)")
    p.add_argument(
        "--org",
        action="store_true",
        help="also read the organization and, without --accounts, every account",
    )
    p.add_argument("--accounts", nargs="+", metavar="ID", help="account ids to collect")
    p.add_argument("--role-name", help="role to assume in accounts other than the caller's")
    p.add_argument(
        "--region",
        action="append",
        dest="regions",
        metavar="R",
        help="Region for regional resources (repeat; default: the profile's)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(func=run_collect)

    p = sub.add_parser(
        "lookup-events",
        help="fetch denials from CloudTrail Event history",
        description="Call LookupEvents over a time window (2 requests/s, all "
        "pages), keep the denials, save them to the workspace.",
    )
    p.add_argument(
        "--since",
        required=True,
        metavar="ISO",
        help="events at or after this time (UTC if no zone), e.g. 2024-05-01T00:00Z",
    )
    p.add_argument(
        "--until",
        required=True,
        metavar="ISO",
        help="events before this time (exclusive; UTC if no zone)",
    )
    p.add_argument("--region", required=True, help="Region to look up (one per call)")
    p.add_argument(
        "--attribute",
        metavar="KEY=VALUE",
        help="one lookup attribute, e.g. Username=alice or EventName=RunInstances",
    )
    add_workspace(p, required=False, help="save evidence into this workspace (and load it)")
    p.add_argument("--all", action="store_true", help="save every event, not only denials")
    p.add_argument("--profile", help="AWS profile")
    p.add_argument("--json", action="store_true", help="print the kept events as JSON")
    p.set_defaults(func=run_lookup_events)

    p = sub.add_parser(
        "lake-query",
        help="run a CloudTrail Lake SELECT and save the rows",
        description="Start a Lake query, wait for it, page through the results "
        "and save them in get-query-results shape.",
    )
    p.add_argument("sql", help="SELECT ... FROM <event-data-store-id> ...")
    p.add_argument("--region", help="Region of the event data store")
    add_workspace(p, required=False, help="save evidence into this workspace (and load it)")
    p.add_argument("--profile", help="AWS profile")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=run_lake_query)

    p = sub.add_parser(
        "decode",
        help="decode an EC2 encoded authorization failure message",
        description="Call sts DecodeAuthorizationMessage and summarise it.",
    )
    p.add_argument("message", help="the encoded blob, or the whole error message holding it")
    p.add_argument("--region", help="STS Region (default us-east-1)")
    add_workspace(p, required=False, help="save evidence into this workspace (and load it)")
    p.add_argument("--profile", help="AWS profile")
    p.add_argument("--json", action="store_true", help="print the decoded JSON")
    p.set_defaults(func=run_decode)

    p = sub.add_parser(
        "authz-details",
        help="resolve an authorization id from a denial",
        description="Call iam-toolbox GetRequestAuthorizationDetails (needs a "
        "botocore that knows the service).",
    )
    p.add_argument("authorization_id", help="the id that ends the access-denied message")
    p.add_argument("--region", required=True, help="Region where the denial happened")
    add_workspace(p, required=False, help="save evidence into this workspace (and load it)")
    p.add_argument("--profile", help="AWS profile")
    p.add_argument("--json", action="store_true", help="print AWS's answer as JSON")
    p.set_defaults(func=run_authz_details)

    p = sub.add_parser(
        "aws-simulate",
        help="ask the IAM policy simulator (AWS's answer)",
        description="Wrap iam simulate-principal-policy (--principal) or "
        "simulate-custom-policy (--policy-file).",
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--principal", metavar="ARN", help="user, group or role ARN")
    who.add_argument(
        "--policy-file", action="append", metavar="FILE", help="identity policy JSON file (repeat)"
    )
    p.add_argument("--action", action="append", required=True, help="action (repeat)")
    p.add_argument("--resource", action="append", help="resource ARN (repeat)")
    p.add_argument(
        "--context",
        action="append",
        metavar="KEY=VALUE",
        help="condition key value, e.g. aws:SourceIp=203.0.113.9 (repeat)",
    )
    p.add_argument("--resource-policy", metavar="FILE", help="resource policy JSON file")
    add_workspace(p, required=False, help="save evidence into this workspace (and load it)")
    p.add_argument("--profile", help="AWS profile")
    p.add_argument("--json", action="store_true", help="print every EvaluationResult")
    p.set_defaults(func=run_aws_simulate)


def run_whoami(args: argparse.Namespace) -> int:
    """Print the caller identity; exit 1 when an expectation is not met."""
    from iamlab.aws.identity import whoami

    ident = whoami(args.profile, args.expect_account, args.expect_arn, region=args.region)
    if args.json:
        _print_json(ident.to_dict())
    else:
        rows = [
            ("account", ident.account),
            ("arn", ident.arn),
            ("principal", f"{ident.principal_type} {ident.name or ''}".strip()),
            ("session", ident.session_name),
            ("credentials", ident.credential_source),
            ("from", ident.credential_origin),
            ("access key", ident.access_key),
            ("profile", ident.profile),
            ("region", ident.region),
            ("region from", ident.region_source),
        ]
        for label, value in rows:
            if value:
                print(f"{label:<12} {printable(value)}")
        for warning in ident.warnings:
            print(f"warning: {printable(warning)}", file=sys.stderr)
    return 1 if ident.unexpected else 0


def run_collect(args: argparse.Namespace) -> int:
    """Collect a snapshot and print a summary with every failed call."""
    from iamlab.aws.collector import collect

    manifest = collect(
        args.out,
        profile=args.profile,
        org=args.org,
        accounts=args.accounts,
        role_name=args.role_name,
        regions=args.regions,
        progress=not args.quiet,
    )
    if args.json:
        _print_json(manifest.to_dict())
        return 0
    n = len(manifest.accounts)
    print(
        f"collected {n} account{'s' if n != 1 else ''} into {args.out} "
        f"as {printable(manifest.caller['Arn'])}"
    )
    for entry in manifest.accounts:
        print(f"  {printable(entry['account_id'])}  {entry['status']}")
    if manifest.skipped_accounts:
        print(
            f"skipped {len(manifest.skipped_accounts)} other account(s) of the organization; "
            "pass --role-name NAME to read them"
        )
    if manifest.failed_calls:
        print(f"{len(manifest.failed_calls)} call(s) failed (listed in manifest.json):")
        for f in manifest.failed_calls:
            print(
                f"  {printable(f.account)} {printable(f.region or '-')} "
                f"{f.service}:{f.operation} {printable(f.error_code)} (needs {f.permission})"
            )
    return 0


def _evidence_dir(workspace: str | None) -> Path | None:
    """Return the evidence folder of workspace folder ``workspace`` (None: save nothing)."""
    return None if workspace is None else Path(workspace).expanduser() / "evidence"


def _load_saved(args: argparse.Namespace, evidence: Any) -> None:
    """Load a saved evidence file into the workspace, so its events are queryable at once."""
    if args.workspace is None or evidence is None:
        return
    from iamlab.workspace import Workspace

    with Workspace(args.workspace, wait=args.wait) as ws:
        ws.load(evidence.path, progress=False)


def _saved(evidence: Any) -> None:
    if evidence is not None:
        print(
            f"saved {printable(evidence.path)} (provenance in {printable(evidence.meta_path.name)})"
        )


def run_lookup_events(args: argparse.Namespace) -> int:
    """Look up events, print the denials kept, save them."""
    from iamlab.aws.lookup import lookup_events

    result = lookup_events(
        args.since,
        args.until,
        args.region,
        args.attribute,
        _evidence_dir(args.workspace),
        denials_only=not args.all,
        profile=args.profile,
    )
    _load_saved(args, result.evidence)
    kept = result.events if args.all else result.denials
    if args.json:
        _print_json(kept)
        return 0
    print(
        f"{len(result.events)} events in {result.pages} page(s), "
        f"{len(result.denials)} denials"
        + (f", {result.malformed} unreadable" if result.malformed else "")
    )
    for event in result.denials:
        fields = (
            event.get("EventTime"),
            event.get("EventSource"),
            event.get("EventName"),
            event.get("Username") or "-",
        )
        print("  " + "  ".join(printable(value) for value in fields))
    _saved(result.evidence)
    return 0


def run_lake_query(args: argparse.Namespace) -> int:
    """Run a Lake query and print the row count (or rows as JSON)."""
    from iamlab.aws.lake import lake_query

    result = lake_query(args.sql, args.region, _evidence_dir(args.workspace), profile=args.profile)
    _load_saved(args, result.evidence)
    if args.json:
        _print_json(result.records())
        return 0
    print(f"query {printable(result.query_id)} {printable(result.status)}: {len(result.rows)} rows")
    _saved(result.evidence)
    return 0


def run_decode(args: argparse.Namespace) -> int:
    """Decode the message and print its summary."""
    from iamlab.aws.decode import decode_message

    decoded = decode_message(
        args.message, args.region, _evidence_dir(args.workspace), profile=args.profile
    )
    if args.json:
        _print_json(decoded.raw)
    else:
        print(decoded.summary())
    return 0


def run_authz_details(args: argparse.Namespace) -> int:
    """Print the authorization details: readable text, or AWS's answer with --json."""
    from iamlab.aws.authz import authorization_details, summarize

    details = authorization_details(
        args.authorization_id, args.region, _evidence_dir(args.workspace), profile=args.profile
    )
    if args.json:
        _print_json(details)
    else:
        print(summarize(details))
    return 0


def _read_json_file(path: str) -> Any:
    from iamlab.errors import InputError

    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read policy file {path}: {exc}") from exc


def run_aws_simulate(args: argparse.Namespace) -> int:
    """Print AWS's decision per action and resource."""
    from iamlab.aws.simulate import simulate_custom, simulate_principal
    from iamlab.errors import InputError

    context: dict[str, Any] = {}
    for item in args.context or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--context {item!r} must be KEY=VALUE")
        context.setdefault(key, []).append(value)
    context = {k: v[0] if len(v) == 1 else v for k, v in context.items()}
    resource_policy = _read_json_file(args.resource_policy) if args.resource_policy else None
    common = {"resource_policy": resource_policy, "profile": args.profile}
    ws = _evidence_dir(args.workspace)  # simulator answers are kept as files, not events
    if args.principal:
        sim = simulate_principal(args.principal, args.action, args.resource, context, ws, **common)
    else:
        docs = [_read_json_file(f) for f in args.policy_file]
        sim = simulate_custom(docs, args.action, args.resource, context, ws, **common)
    if args.json:
        _print_json(sim.results)
        return 0
    for (action, resource), decision in sim.decisions().items():
        print(f"{printable(decision):<13} {printable(action)}  {printable(resource)}")
    _saved(sim.evidence)
    return 0
