"""AWS commands: whoami, collect, lookup-events, lake-query, decode, authz-details,
aws-simulate. Each parses options, calls one ``iamlab.aws`` function, renders."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, default=str))


def register(sub: argparse._SubParsersAction) -> None:
    """Add the AWS commands to the top-level parser."""
    p = sub.add_parser("whoami", help="who am I in AWS, and which credentials won",
                       description="Call sts GetCallerIdentity and show which credential "
                                   "source boto3 used, the region, and warnings.")
    p.add_argument("--profile", help="AWS profile (default: boto3's chain)")
    p.add_argument("--region", help="AWS Region (default: boto3's chain)")
    p.add_argument("--expect-account", help="warn (exit 1) unless the caller is in this account")
    p.add_argument("--expect-arn", help="warn (exit 1) unless the caller is this ARN "
                                        "(a role ARN also matches its sessions)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_whoami)

    p = sub.add_parser("collect", help="collect an IAM snapshot folder (read-only)",
                       description="Write the snapshot folder: authorization details per "
                                   "account, resource policies, the organization with SCPs "
                                   "and RCPs, and manifest.json. Denied calls are listed in "
                                   "the manifest; collection carries on.")
    p.add_argument("--out", required=True, help="snapshot folder to write")
    p.add_argument("--profile", help="AWS profile (default: boto3's chain)")
    p.add_argument("--org", action="store_true",
                   help="also read the organization and, without --accounts, every account")
    p.add_argument("--accounts", nargs="+", metavar="ID", help="account ids to collect")
    p.add_argument("--role-name", help="role to assume in accounts other than the caller's")
    p.add_argument("--region", action="append", dest="regions", metavar="R",
                   help="Region for regional resources (repeat; default: the profile's)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(func=run_collect)


def run_whoami(args: argparse.Namespace) -> int:
    """Print the caller identity; exit 1 when an expectation is not met."""
    from iamlab.aws.identity import whoami

    ident = whoami(args.profile, args.expect_account, args.expect_arn, region=args.region)
    if args.json:
        _print_json(ident.to_dict())
    else:
        rows = [("account", ident.account), ("arn", ident.arn),
                ("principal", f"{ident.principal_type} {ident.name or ''}".strip()),
                ("session", ident.session_name), ("credentials", ident.credential_source),
                ("from", ident.credential_origin), ("access key", ident.access_key),
                ("profile", ident.profile), ("region", ident.region),
                ("region from", ident.region_source)]
        for label, value in rows:
            if value:
                print(f"{label:<12} {value}")
        for warning in ident.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 1 if ident.unexpected else 0


def run_collect(args: argparse.Namespace) -> int:
    """Collect a snapshot and print a summary with every failed call."""
    from iamlab.aws.collect import collect

    manifest = collect(args.out, profile=args.profile, org=args.org, accounts=args.accounts,
                       role_name=args.role_name, regions=args.regions,
                       progress=not args.no_progress)
    if args.json:
        _print_json(manifest.to_dict())
        return 0
    n = len(manifest.accounts)
    print(f"collected {n} account{'s' if n != 1 else ''} into {args.out} "
          f"as {manifest.caller['Arn']}")
    for entry in manifest.accounts:
        print(f"  {entry['account_id']}  {entry['status']}")
    if manifest.failed_calls:
        print(f"{len(manifest.failed_calls)} call(s) failed (listed in manifest.json):")
        for f in manifest.failed_calls:
            print(f"  {f.account} {f.region or '-'} {f.service}:{f.operation} {f.error_code} "
                  f"(needs {f.permission})")
    return 0
