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

from iamlab.cli import _options as opt
from iamlab.escape import printable

CHAIN_PROFILE = "AWS profile (default: boto3's chain)"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the AWS commands to the top-level parser."""
    p = opt.command(sub, "whoami", run_whoami)
    p.add_argument("--profile", help=CHAIN_PROFILE)
    p.add_argument("--region", help="AWS Region (default: boto3's chain)")
    p.add_argument("--expect-account", help="warn (exit 1) unless the caller is in this account")
    p.add_argument(
        "--expect-arn",
        help="warn (exit 1) unless the caller is this ARN (a role ARN also matches its sessions)",
    )
    opt.add_json(p, "print JSON")

    p = opt.command(sub, "collect", run_collect)
    p.add_argument("--out", required=True, help="snapshot folder to write")
    p.add_argument("--profile", help=CHAIN_PROFILE)
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
    opt.add_quiet(p, "-q")
    opt.add_json(p, "print the manifest as JSON")

    p = opt.command(sub, "lookup-events", run_lookup_events)
    opt.add_window(
        p,
        "events at or after this time (UTC if no zone), e.g. 2024-05-01T00:00Z",
        "events before this time (exclusive; UTC if no zone)",
        required=True,
        metavar="ISO",
    )
    p.add_argument("--region", required=True, help="Region to look up (one per call)")
    p.add_argument(
        "--attribute",
        metavar="KEY=VALUE",
        help="one lookup attribute, e.g. Username=alice or EventName=RunInstances",
    )
    opt.add_workspace(p, required=False, help=opt.EVIDENCE)
    p.add_argument("--all", action="store_true", help="save every event, not only denials")
    p.add_argument("--profile", help="AWS profile")
    opt.add_json(p, "print the kept events as JSON")

    p = opt.command(sub, "lake-query", run_lake_query)
    p.add_argument("sql", help="SELECT ... FROM <event-data-store-id> ...")
    p.add_argument("--region", help="Region of the event data store")
    opt.add_evidence(p, "print the rows as JSON")

    p = opt.command(sub, "decode", run_decode)
    p.add_argument("message", help="the encoded blob, or the whole error message holding it")
    p.add_argument("--region", help="STS Region (default us-east-1)")
    opt.add_evidence(p, "print the decoded JSON")

    p = opt.command(sub, "authz-details", run_authz_details)
    p.add_argument("authorization_id", help="the id that ends the access-denied message")
    p.add_argument("--region", required=True, help="Region where the denial happened")
    opt.add_evidence(p, "print AWS's answer as JSON")

    p = opt.command(sub, "aws-simulate", run_aws_simulate)
    who = p.add_mutually_exclusive_group(required=True)
    opt.add_principal(who, "user, group or role ARN")
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
    opt.add_evidence(p, "print every EvaluationResult")


def run_whoami(args: argparse.Namespace) -> int:
    """who am I in AWS, and which credentials won

    Call sts GetCallerIdentity and show which credential source boto3 used, the region, and
    warnings.
    """
    from iamlab.aws.identity import whoami

    ident = whoami(args.profile, args.expect_account, args.expect_arn, region=args.region)
    if args.json:
        opt.print_json(ident.to_dict(), sort_keys=True)
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
    """collect an IAM snapshot folder (read-only)

    Write the snapshot folder: authorization details per account, resource policies, the
    organization with SCPs and RCPs, and manifest.json. Denied calls are listed in the manifest;
    collection carries on.
    """
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
        opt.print_json(manifest.to_dict(), sort_keys=True)
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
    with opt.open_workspace(args) as ws:
        ws.load(evidence.path, progress=False)


def _saved(evidence: Any) -> None:
    if evidence is not None:
        print(
            f"saved {printable(evidence.path)} (provenance in {printable(evidence.meta_path.name)})"
        )


def run_lookup_events(args: argparse.Namespace) -> int:
    """fetch denials from CloudTrail Event history

    Call LookupEvents over a time window (2 requests/s, all pages), keep the denials, save them
    to the workspace.
    """
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
        opt.print_json(kept, sort_keys=True)
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
    """run a CloudTrail Lake SELECT and save the rows

    Start a Lake query, wait for it, page through the results and save them in get-query-results
    shape.
    """
    from iamlab.aws.lake import lake_query

    result = lake_query(args.sql, args.region, _evidence_dir(args.workspace), profile=args.profile)
    _load_saved(args, result.evidence)
    if args.json:
        opt.print_json(result.records(), sort_keys=True)
        return 0
    print(f"query {printable(result.query_id)} {printable(result.status)}: {len(result.rows)} rows")
    _saved(result.evidence)
    return 0


def run_decode(args: argparse.Namespace) -> int:
    """decode an EC2 encoded authorization failure message

    Call sts DecodeAuthorizationMessage and summarise it.
    """
    from iamlab.aws.decode import decode_message

    decoded = decode_message(
        args.message, args.region, _evidence_dir(args.workspace), profile=args.profile
    )
    if args.json:
        opt.print_json(decoded.raw, sort_keys=True)
    else:
        print(decoded.summary())
    return 0


def run_authz_details(args: argparse.Namespace) -> int:
    """resolve an authorization id from a denial

    Call iam-toolbox GetRequestAuthorizationDetails (needs a botocore that knows the service).
    """
    from iamlab.aws.authz import authorization_details, summarize

    details = authorization_details(
        args.authorization_id, args.region, _evidence_dir(args.workspace), profile=args.profile
    )
    if args.json:
        opt.print_json(details, sort_keys=True)
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
    """ask the IAM policy simulator (AWS's answer)

    Wrap iam simulate-principal-policy (--principal) or simulate-custom-policy (--policy-file).
    """
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
        opt.print_json(sim.results, sort_keys=True)
        return 0
    for (action, resource), decision in sim.decisions().items():
        print(f"{printable(decision):<13} {printable(action)}  {printable(resource)}")
    _saved(sim.evidence)
    return 0
