"""The layers a request needs that a snapshot does not hold, each with the reason.

``Snapshot.policies_for`` passes them to the engine as ``PolicySet.unknown``,
so a request is never answered ``allow`` on a guess about a layer that was not
collected (see ``iamlab.policy.evaluate`` for how an unknown layer decides).
What is known to be absent is not a gap: a member account's SCPs come from the
organization tree, a collected account's resources without a policy file have
no policy, and a manifest saying ``"organization": false`` means the accounts
are in no organization (so no SCP or RCP applies).

Which services' resource policies a snapshot holds: those of S3, KMS, Lambda,
SQS, SNS and Secrets Manager always (the design's list, what every ``iamlab
collect`` has read); those of any other service that can carry one
(``OTHER_POLICY_SERVICES``: DynamoDB, ECR, ...) only when the manifest lists the
service in ``"resource_policy_services"`` (the collector writes it) or the owner's
folder has ``resource-policies/<service>/``. Otherwise a resource of that service
has an unknown ``resource`` layer: a Deny in a table policy could make an
``allow`` wrong, and an Allow in it could grant a same-account request. A
manifest listing the ``"regions"`` collected (the collector's) makes a regional
resource elsewhere unknown too: its policy was never read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamlab.snapshot.principals import ArnParts, Principal

if TYPE_CHECKING:
    from iamlab.snapshot.snapshot import Snapshot

# The snapshot format's own services: every snapshot holds them, so for a collected account
# a resource of these without a policy file has none.
BASE_SERVICES = frozenset({"s3", "kms", "lambda", "sqs", "sns", "secretsmanager"})
# Other services whose resources can carry a resource-based policy (from memory of the IAM
# guide's "AWS services that work with IAM" table, not exhaustive): unless the snapshot says
# it read them (manifest key or folder, see the module docstring), their policy is unknown.
OTHER_POLICY_SERVICES = frozenset(
    {
        "dynamodb",
        "ecr",
        "glacier",
        "backup",
        "events",
        "logs",
        "es",
        "aoss",
        "codeartifact",
        "kinesis",
        "elasticfilesystem",
        "apigateway",
        "execute-api",
        "serverlessrepo",
        "ses",
        "s3express",
        "s3-object-lambda",
        "s3-outposts",
        "mediastore",
        "iot",
        "lex",
        "glue",
        "acm-pca",
        "ram",
        "signer",
        "vpc-lattice",
        "bedrock",
        "sagemaker",
        "cloudtrail",
    }
)


def _no_org(snap: Snapshot) -> bool:
    """True when the manifest says the snapshot's accounts are in no organization."""
    return snap.manifest.get("organization") is False


def _failed(snap: Snapshot, account: str | None, service: str) -> str:
    """The failed collection calls of ``service`` in ``account`` (manifest), as text."""
    calls = sorted(
        {
            f"{call.get('operation')}: {call.get('error_code')}"
            for call in snap.manifest.get("failed_calls") or []
            if isinstance(call, dict)
            and call.get("service") == service
            and (service == "organizations" or call.get("account") == account)
        }
    )
    return ", ".join(calls)


def org_gap(snap: Snapshot, account: str | None, what: str) -> str | None:
    """Why the SCPs (``what="SCP"``) or RCPs of ``account`` are unknown, or None when known."""
    org = snap.organization
    if account is None:
        return f"the account owning the resource is unknown, so its {what}s are unknown"
    if org is None:
        if _no_org(snap):
            return None
        return (
            f"the snapshot has no organization/: the {what}s of account {account} were not "
            'collected (if its accounts are in no organization, set "organization": false in '
            "manifest.json)"
        )
    if account == org.management_account:
        return None
    failed = _failed(snap, account, "organizations")
    if failed:
        return f"reading the organization failed ({failed}, manifest.json): {what}s may be missing"
    if org.path(account) is None:
        return (
            f"account {account} is not in the snapshot's organization {org.id}: its {what}s "
            "(from another organization, if any) are unknown"
        )
    return None


def resource_gap(
    snap: Snapshot, resource_arn: str, owner: str | None, trust_role: bool
) -> str | None:
    """Why the resource policy (or a role's trust policy) is unknown, or None when known."""
    parts = ArnParts.parse(resource_arn)
    if parts is None:
        return None  # not an ARN ("*", a name): no resource policy applies
    if owner is None:
        return (
            f"the account owning {resource_arn} is unknown (no policy of it in the snapshot): "
            "its resource policy is unknown; pass the resource account"
        )
    if owner == "aws":
        return None  # AWS-owned (e.g. AWS managed policies): no resource policy
    if owner in snap.uncollected:
        return (
            f"account {owner} (owner of {resource_arn}) was not collected "
            f"({snap.uncollected[owner]}, manifest.json)"
        )
    if owner not in snap.accounts:
        return (
            f"account {owner} (owner of {resource_arn}) is not in the snapshot: its "
            + ("trust policy" if trust_role else "resource policy")
            + " is unknown"
        )
    if trust_role:
        return None
    service = parts.service
    failed = _failed(snap, owner, service)
    if failed:
        return f"collecting {service} policies of account {owner} failed ({failed}, manifest.json)"
    regions = snap.manifest.get("regions")
    if (
        (service in BASE_SERVICES or service in OTHER_POLICY_SERVICES)
        and isinstance(regions, list)
        and regions
        and parts.region
        and parts.region not in regions
        and snap.resources().lookup(resource_arn) is None
    ):
        return (
            f"the collection read Regions {', '.join(map(str, regions))} only (manifest.json "
            f'"regions"): a policy on {resource_arn} was not collected; collect again with '
            f"--region {parts.region}"
        )
    if service in OTHER_POLICY_SERVICES and not _read_service(snap, owner, service):
        return (
            f"the snapshot holds no {service} resource policies of account {owner}: a policy "
            f"on {resource_arn} could allow or deny; collect again with an `iamlab collect` "
            f"that reads {service}, or add accounts/{owner}/resource-policies/{service}/ (an "
            f'empty folder when none has a policy) or list "{service}" in manifest.json\'s '
            '"resource_policy_services"'
        )
    return None


def _read_service(snap: Snapshot, owner: str, service: str) -> bool:
    """True when the snapshot says it read the resource policies of ``service`` in ``owner``."""
    listed = snap.manifest.get("resource_policy_services")
    if isinstance(listed, list) and service in listed:
        return True
    return (snap.root / "accounts" / owner / "resource-policies" / service).is_dir()


def unknown_layers(
    snap: Snapshot,
    principal: Principal,
    resource_arn: str | None,
    owner: str | None,
    vpc_endpoint: str | None,
    trust_role: bool,
    resource_error: str | None = None,
) -> dict[str, str]:
    """Return {layer: reason} for every layer of the request the snapshot does not know."""
    gaps: dict[str, str] = {}
    if principal.unknown:
        gaps["identity"] = gaps["permissions_boundary"] = principal.unknown
    has_account = principal.kind not in ("service", "anonymous") and principal.account
    if has_account and not principal.service_linked:
        reason = org_gap(snap, principal.account, "SCP")
        if reason:
            gaps["scp"] = reason
    if resource_arn and resource_arn != "*":
        reason = resource_error or resource_gap(snap, resource_arn, owner, trust_role)
        if reason:
            gaps["resource"] = reason
        if not principal.service_linked and owner != "aws" and ArnParts.parse(resource_arn):
            reason = org_gap(snap, owner, "RCP")
            if reason:
                gaps["rcp"] = reason
    if vpc_endpoint and snap.resources().endpoint(vpc_endpoint) is None:
        gaps["vpc_endpoint"] = f"the policy of VPC endpoint {vpc_endpoint} is not in the snapshot"
    return gaps
