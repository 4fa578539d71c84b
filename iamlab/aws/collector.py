"""Collect an IAM snapshot folder with read-only calls (the design's snapshot format).

(Named collector.py so that ``iamlab.aws.collect`` stays the function.)

    manifest.json                              ("resource_policy_services": what was read)
    accounts/<id>/authorization-details.json
    accounts/<id>/resource-policies/<service>/<name>.json   (with the resource's tags)
    accounts/<id>/trails.json                  `aws cloudtrail describe-trails` (all Regions)
    accounts/<id>/trail-status/<name>.json     `aws cloudtrail get-trail-status --name ARN`
    organization/organization.json, tree.json, policies/<id>.json

Cross-account collection assumes ``arn:aws:iam::<acct>:role/<role-name>`` in
each account. A denied call is recorded in the manifest with the permission it
needed, and collection carries on. No credential is ever written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from iamlab.aws._calls import FailedCall, Recorder, safe_name, write_json
from iamlab.aws.collect_org import collect_organization
from iamlab.aws.collect_resources import SERVICES, collect_resource_policies
from iamlab.aws.failures import as_aws_error, plain_errors
from iamlab.aws.readonly import client as ro_client
from iamlab.aws.readonly import session as ro_session
from iamlab.aws.redact import redact_key_ids
from iamlab.errors import InputError

MANIFEST_VERSION = 1
_DETAIL_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


@dataclass
class Manifest:
    """What a snapshot holds: when, by whom, which accounts, which calls failed."""

    collected_at: str
    finished_at: str | None
    caller: dict[str, str]
    profile: str | None
    regions: list[str]
    role_name: str | None
    organization: dict[str, Any] | None
    accounts: list[dict[str, Any]] = field(default_factory=list)
    failed_calls: list[FailedCall] = field(default_factory=list)
    skipped_accounts: list[str] = field(default_factory=list)  # --org without --role-name
    # services whose resource policies were read in the collected accounts: for those, a
    # resource without a policy file has no policy (iamlab.snapshot.gaps)
    resource_policy_services: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from iamlab import __version__

        return {
            "format": "iamlab-snapshot",
            "version": MANIFEST_VERSION,
            "collector": f"iamlab {__version__}",
            "collected_at": self.collected_at,
            "finished_at": self.finished_at,
            "caller": self.caller,
            "profile": self.profile,
            "regions": self.regions,
            "role_name": self.role_name,
            "organization": self.organization,
            "accounts": self.accounts,
            "failed_calls": [f.to_dict() for f in self.failed_calls],
            "skipped_accounts": self.skipped_accounts,
            "resource_policy_services": self.resource_policy_services,
        }


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _merge_authorization_details(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge get-account-authorization-details pages the way the AWS CLI prints them."""
    merged: dict[str, list[Any]] = {key: [] for key in _DETAIL_KEYS}
    for page in pages:
        for key in _DETAIL_KEYS:
            merged[key].extend(page.get(key, []))
    return merged


def _account_session(
    base: boto3.Session, account: str, caller_account: str, role_name: str | None, rec: Recorder
) -> tuple[boto3.Session | None, str | None]:
    """Return a read-only session for ``account`` (assuming ``role_name`` when it is not ours)."""
    if account == caller_account:
        return base, None
    role_arn = f"arn:aws:iam::{account}:role/{role_name}"
    sts = ro_client("sts", session=base, region=base.region_name or "us-east-1")
    got = rec.call(sts, "AssumeRole", account, RoleArn=role_arn, RoleSessionName="iamlab-collect")
    if got is None:
        return None, role_arn
    # the credentials are kept in memory only, never written
    return ro_session(region=base.region_name, credentials=got["Credentials"]), role_arn


def _collect_account(
    rec: Recorder,
    sess: boto3.Session,
    account: str,
    regions: list[str],
    out: Path,
    tick: Callable[[], None],
) -> dict[str, Any]:
    """Write one account's authorization details and resource policies; return its entry."""
    failed_before = len(rec.failed)
    home = out / "accounts" / account
    iam = ro_client("iam", session=sess, region=regions[0])
    pages = list(rec.pages(iam, "GetAccountAuthorizationDetails", account))
    details_ok = len(rec.failed) == failed_before
    if details_ok:
        write_json(home / "authorization-details.json", _merge_authorization_details(pages))
    tick()

    def make(service: str, region: str | None) -> Any:
        return ro_client(service, session=sess, region=region or regions[0])

    count = collect_resource_policies(rec, make, account, regions, home / "resource-policies", tick)
    _collect_trails(rec, make, account, regions, home)
    failures = len(rec.failed) - failed_before
    status = "collected" if failures == 0 else ("partial" if details_ok else "failed")
    return {
        "account_id": account,
        "status": status,
        "authorization_details": details_ok,
        "resource_policies": count,
        "failed_calls": failures,
    }


def _collect_trails(
    rec: Recorder, make: Callable[..., Any], account: str, regions: list[str], home: Path
) -> None:
    """Write the trails every collected Region knows (shadow trails included, one entry per
    trail ARN) and each trail's status; nothing when describe-trails failed everywhere."""
    trails: dict[str, dict[str, Any]] = {}
    answered = False
    for region in regions:
        got = rec.call(
            make("cloudtrail", region), "DescribeTrails", account, includeShadowTrails=True
        )
        answered |= got is not None
        for trail in (got or {}).get("trailList", []):
            trails.setdefault(trail.get("TrailARN") or trail.get("Name"), trail)
    if not answered:
        return
    write_json(home / "trails.json", {"trailList": list(trails.values())})
    for arn, trail in trails.items():
        client = make("cloudtrail", trail.get("HomeRegion"))
        status = rec.call(client, "GetTrailStatus", account, Name=arn)
        if status is not None:
            write_json(
                home / "trail-status" / f"{safe_name(trail.get('Name') or arn)}.json", status
            )


@plain_errors("collecting the snapshot")
def collect(
    out_dir: str | Path,
    profile: str | None = None,
    org: bool = False,
    accounts: list[str] | None = None,
    role_name: str | None = None,
    regions: list[str] | None = None,
    progress: bool = True,
    *,
    session: boto3.Session | None = None,
) -> Manifest:
    """Collect a snapshot into ``out_dir`` and return its manifest.

    ``org``: also read the organization (tree, SCPs, RCPs) and, unless
    ``accounts`` is given, collect every ACTIVE account in it (only the
    caller's when no ``role_name`` is given; the others are listed in
    ``skipped_accounts``). ``accounts``:
    account ids to collect (default: the caller's). Other accounts than the
    caller's are read by assuming ``role_name`` there. ``regions``: where to
    list regional resources (default: the session's Region, else us-east-1).
    Raises ``InputError`` for bad options, ``AwsError`` when the caller
    identity cannot be read; denied calls are recorded, not raised.
    Example: ``collect("snap", profile="audit", org=True, role_name="Audit")``.
    """
    from tqdm.auto import tqdm

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; pass a folder for the snapshot")
    bad = [a for a in accounts or [] if not (a.isdigit() and len(a) == 12)]
    if bad:
        raise InputError(f"account ids must be 12 digits: {', '.join(bad)} (e.g. 111122223333)")
    base = session if session is not None else ro_session(profile)
    regions = list(regions or [base.region_name or "us-east-1"])
    started = _now()
    try:
        ident = ro_client("sts", session=base, region=regions[0]).get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        raise as_aws_error(exc, "reading the caller identity before collecting") from exc
    # some endpoints echo the access key id as the user id
    caller = {
        "Account": ident["Account"],
        "Arn": ident["Arn"],
        "UserId": redact_key_ids(ident["UserId"]),
    }
    rec = Recorder()
    bar = tqdm(desc="collect", unit="call", disable=not progress, leave=False)
    tick = lambda: bar.update(1)  # noqa: E731
    org_summary = None
    targets = list(accounts or [])
    if org:
        org_client = ro_client("organizations", session=base, region=regions[0])
        org_summary = collect_organization(rec, org_client, out, caller["Account"], tick)
    skipped: list[str] = []
    if org_summary and not targets:
        members = [
            a["Id"] for a in org_summary["accounts"] if a.get("Status", "ACTIVE") == "ACTIVE"
        ]
        # without a role to assume, read the organization and the caller's own account only
        targets = members if role_name else [caller["Account"]]
        skipped = [] if role_name else [a for a in members if a != caller["Account"]]
    targets = list(dict.fromkeys(targets or [caller["Account"]]))
    others = [a for a in targets if a != caller["Account"]]
    if others and not role_name:
        raise InputError(
            f"accounts {', '.join(others)} are not the caller's account {caller['Account']}; "
            "pass --role-name NAME of a read-only role to assume in each of them"
        )
    manifest = Manifest(
        started,
        None,
        caller,
        base.profile_name,
        regions,
        role_name,
        None
        if org_summary is None
        else {
            "id": org_summary["id"],
            "complete": org_summary["complete"],
            "policies": len(org_summary["policies"]),
        },
        failed_calls=rec.failed,
        skipped_accounts=skipped,
    )
    for account in tqdm(targets, desc="accounts", disable=not progress or len(targets) < 2):
        sess, role_arn = _account_session(base, account, caller["Account"], role_name, rec)
        if sess is None:
            manifest.accounts.append(
                {"account_id": account, "status": "failed", "role_arn": role_arn, "failed_calls": 1}
            )
            continue
        entry = _collect_account(rec, sess, account, regions, out, tick)
        manifest.accounts.append({**entry, **({"role_arn": role_arn} if role_arn else {})})
        manifest.resource_policy_services = sorted(SERVICES)
    bar.close()
    if org and org_summary is None:
        manifest.organization = None
    manifest.finished_at = _now()
    write_json(out / "manifest.json", manifest.to_dict())
    return manifest
