"""The sample's IAM snapshot, in the AWS CLI output shapes the design names.

``snapshot_files()`` returns {relative path: JSON value}; the generator writes
them under ``snapshot/``. Policy documents appear as JSON objects, as the AWS
CLI prints them (the raw IAM API would URL-encode them).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from iamlab.sample.world.accounts import (
    ACCOUNTS,
    DATA_LAKE,
    EXPORTS,
    FINDINGS,
    KMS_KEY_ARN,
    KMS_KEY_ID,
    MGMT,
    ORDERS_FN,
    ORDERS_QUEUE,
    ORDERS_QUEUE_URL,
    ORDERS_TOPIC,
    ORG_ACCOUNTS,
    ORG_ID,
    OUS,
    PROD,
    PROD_SECRETS_VPCE,
    PROD_VPC,
    RCP_FULL,
    RCP_SECRETS_PERIMETER,
    ROOT_ID,
    SCP_BASELINE,
    SCP_FULL,
    SCP_REGIONS,
    SEC,
    UTC,
    WAREHOUSE_SECRET,
    rcp_arn,
    scp_arn,
    sso_role_name,
)
from iamlab.sample.world.iam import (
    CUSTOMER_MANAGED,
    GROUPS,
    MANAGED_BY_ARN,
    ROLES,
    USERS,
    Role,
    role,
    unique_id,
)
from iamlab.sample.world.policies.aws_managed import AWS_MANAGED
from iamlab.sample.world.policies.organization import (
    FULL_AWS_ACCESS,
    RCP_FULL_AWS_ACCESS,
    RCP_SECRETS_PERIMETER_DOC,
    SCP_BASELINE_DOC,
    SCP_REGIONS_DOC,
)
from iamlab.sample.world.policies.resources import (
    DATA_LAKE_BUCKET_POLICY,
    EXPORTS_BUCKET_POLICY,
    FINDINGS_BUCKET_POLICY,
    KMS_KEY_POLICY,
    ORDERS_FUNCTION_POLICY,
    ORDERS_QUEUE_POLICY,
    ORDERS_TOPIC_POLICY,
    SECRETS_ENDPOINT_POLICY,
    WAREHOUSE_SECRET_POLICY,
)
from iamlab.sample.write.trails import trail_files

SNAPSHOT_TIME = datetime(2026, 3, 12, 18, 0, 0, tzinfo=UTC)


def _date(key: str) -> str:
    """A stable creation date in 2024-2025 derived from a name (CLI prints +00:00)."""
    days = int(hashlib.sha256(key.encode()).hexdigest()[:6], 16) % 600
    when = datetime(2024, 3, 1, 9, 0, tzinfo=UTC) + timedelta(days=days, seconds=days * 977 % 30000)
    return when.isoformat()


def _tags(tags: dict) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _attached(arns: tuple[str, ...]) -> list[dict]:
    return [{"PolicyName": arn.rsplit("/", 1)[1], "PolicyArn": arn} for arn in arns]


def _inline(policies: dict) -> list[dict]:
    return [{"PolicyName": name, "PolicyDocument": doc} for name, doc in policies.items()]


def _boundary(arn: str | None) -> dict:
    return (
        {
            "PermissionsBoundary": {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": arn,
            }
        }
        if arn
        else {}
    )


def _role_detail(role: Role) -> dict:
    detail = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": _date(role.arn),
        "AssumeRolePolicyDocument": role.trust,
        "InstanceProfileList": [],
        "RolePolicyList": _inline(role.inline),
        "AttachedManagedPolicies": _attached(role.attached),
        **_boundary(role.boundary),
        "Tags": _tags(role.tags),
        "RoleLastUsed": {"LastUsedDate": "2026-03-12T17:41:09+00:00", "Region": "eu-west-1"},
    }
    if role.description:
        detail["Description"] = role.description
    if role.instance_profile:
        detail["InstanceProfileList"] = [
            {
                "Path": role.path,
                "InstanceProfileName": role.name,
                "InstanceProfileId": unique_id("AIPA", role.arn),
                "Arn": f"arn:aws:iam::{role.account}:instance-profile{role.path}{role.name}",
                "CreateDate": _date(role.arn + "ip"),
                "Roles": [
                    {
                        k: detail[k]
                        for k in (
                            "Path",
                            "RoleName",
                            "RoleId",
                            "Arn",
                            "CreateDate",
                            "AssumeRolePolicyDocument",
                        )
                    }
                ],
            }
        ]
    return detail


def _policy_entry(arn: str, count: int, boundary_count: int) -> dict:
    custom = MANAGED_BY_ARN.get(arn)
    if custom is not None:
        name, path, document, previous = custom.name, custom.path, custom.document, custom.previous
        policy_id = unique_id("ANPA", arn)
        description = custom.description
    else:
        name = arn.rsplit("/", 1)[1]
        path, document, policy_id = AWS_MANAGED[name]
        previous, description = None, ""
    versions = [
        {
            "Document": document,
            "VersionId": "v2" if previous else "v1",
            "IsDefaultVersion": True,
            "CreateDate": _date(arn + "v2"),
        }
    ]
    if previous:
        versions.append(
            {
                "Document": previous,
                "VersionId": "v1",
                "IsDefaultVersion": False,
                "CreateDate": _date(arn),
            }
        )
    entry = {
        "PolicyName": name,
        "PolicyId": policy_id,
        "Arn": arn,
        "Path": path,
        "DefaultVersionId": versions[0]["VersionId"],
        "AttachmentCount": count,
        "PermissionsBoundaryUsageCount": boundary_count,
        "IsAttachable": True,
        "CreateDate": _date(arn),
        "UpdateDate": versions[0]["CreateDate"],
        "PolicyVersionList": versions,
    }
    if description:
        entry["Description"] = description
    return entry


def authorization_details(account: str) -> dict:
    """`aws iam get-account-authorization-details` output for one account (pages merged)."""
    users, groups = (
        [u for u in USERS if u.account == account],
        [g for g in GROUPS if g.account == account],
    )
    roles = [r for r in ROLES if r.account == account]
    attach: dict[str, int] = {}
    bound: dict[str, int] = {}
    for entity in [*users, *groups, *roles]:
        for arn in entity.attached:
            attach[arn] = attach.get(arn, 0) + 1
        if getattr(entity, "boundary", None):
            bound[entity.boundary] = bound.get(entity.boundary, 0) + 1
    managed = [p.arn for p in CUSTOMER_MANAGED if p.account == account]
    aws_used = sorted({a for a in [*attach, *bound] if ":aws:policy/" in a})
    return {
        "UserDetailList": [
            {
                "Path": u.path,
                "UserName": u.name,
                "UserId": u.id,
                "Arn": u.arn,
                "CreateDate": _date(u.arn),
                "UserPolicyList": _inline(u.inline),
                "GroupList": list(u.groups),
                "AttachedManagedPolicies": _attached(u.attached),
                **_boundary(u.boundary),
                "Tags": _tags(u.tags),
            }
            for u in users
        ],
        "GroupDetailList": [
            {
                "Path": g.path,
                "GroupName": g.name,
                "GroupId": unique_id("AGPA", g.arn),
                "Arn": g.arn,
                "CreateDate": _date(g.arn),
                "GroupPolicyList": _inline(g.inline),
                "AttachedManagedPolicies": _attached(g.attached),
            }
            for g in groups
        ],
        "RoleDetailList": [_role_detail(r) for r in roles],
        "Policies": [
            _policy_entry(a, attach.get(a, 0), bound.get(a, 0)) for a in [*managed, *aws_used]
        ],
    }


def _resource(arn: str, policy: dict, source: str, **extra: object) -> dict:
    return {"Arn": arn, "Policy": json.dumps(policy, indent=4), "Source": source, **extra}


def resource_policies() -> dict[str, dict]:
    """accounts/<id>/resource-policies/<service>/<name>.json files."""
    prod = f"accounts/{PROD}/resource-policies"
    return {
        f"{prod}/s3/{EXPORTS}.json": _resource(
            f"arn:aws:s3:::{EXPORTS}",
            EXPORTS_BUCKET_POLICY,
            f"aws s3api get-bucket-policy --bucket {EXPORTS}",
        ),
        f"{prod}/s3/{DATA_LAKE}.json": _resource(
            f"arn:aws:s3:::{DATA_LAKE}",
            DATA_LAKE_BUCKET_POLICY,
            f"aws s3api get-bucket-policy --bucket {DATA_LAKE}",
        ),
        f"{prod}/kms/{KMS_KEY_ID}.json": _resource(
            KMS_KEY_ARN,
            KMS_KEY_POLICY,
            f"aws kms get-key-policy --key-id {KMS_KEY_ID} "
            "--policy-name default --region eu-west-1",
            Aliases=[
                {
                    "AliasName": "alias/prod-data-lake",
                    "AliasArn": f"arn:aws:kms:eu-west-1:{PROD}:alias/prod-data-lake",
                    "TargetKeyId": KMS_KEY_ID,
                }
            ],
        ),
        f"{prod}/lambda/orders-api.json": _resource(
            ORDERS_FN,
            ORDERS_FUNCTION_POLICY,
            "aws lambda get-policy --function-name orders-api --region eu-west-1",
        ),
        f"{prod}/sqs/orders-events.json": _resource(
            ORDERS_QUEUE,
            ORDERS_QUEUE_POLICY,
            f"aws sqs get-queue-attributes --queue-url {ORDERS_QUEUE_URL} --attribute-names Policy",
        ),
        f"{prod}/sns/orders-notifications.json": _resource(
            ORDERS_TOPIC,
            ORDERS_TOPIC_POLICY,
            f"aws sns get-topic-attributes --topic-arn {ORDERS_TOPIC}",
        ),
        f"{prod}/secretsmanager/prod-warehouse-db-credentials.json": _resource(
            WAREHOUSE_SECRET,
            WAREHOUSE_SECRET_POLICY,
            "aws secretsmanager get-resource-policy "
            "--secret-id prod/warehouse/db-credentials --region eu-west-1",
        ),
        f"{prod}/ec2/{PROD_SECRETS_VPCE}.json": _resource(
            f"arn:aws:ec2:eu-west-1:{PROD}:vpc-endpoint/{PROD_SECRETS_VPCE}",
            SECRETS_ENDPOINT_POLICY,
            f"aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {PROD_SECRETS_VPCE} "
            "--region eu-west-1",
            VpcId=PROD_VPC,
            ServiceName="com.amazonaws.eu-west-1.secretsmanager",
        ),
        f"accounts/{SEC}/resource-policies/s3/{FINDINGS}.json": _resource(
            f"arn:aws:s3:::{FINDINGS}",
            FINDINGS_BUCKET_POLICY,
            f"aws s3api get-bucket-policy --bucket {FINDINGS}",
        ),
    }


def _org_policy(
    policy_id: str,
    name: str,
    kind: str,
    doc: dict,
    description: str,
    targets: list[str],
    aws_managed: bool = False,
) -> dict:
    arn = scp_arn(policy_id) if kind == "SERVICE_CONTROL_POLICY" else rcp_arn(policy_id)
    return {
        "Policy": {
            "PolicySummary": {
                "Id": policy_id,
                "Arn": arn,
                "Name": name,
                "Description": description,
                "Type": kind,
                "AwsManaged": aws_managed,
            },
            "Content": json.dumps(doc, indent=4),
        },
        "Targets": [_target(t) for t in targets],
    }


def _target(target_id: str) -> dict:
    if target_id == ROOT_ID:
        return {
            "TargetId": ROOT_ID,
            "Arn": f"arn:aws:organizations::{MGMT}:root/{ORG_ID}/{ROOT_ID}",
            "Name": "Root",
            "Type": "ROOT",
        }
    if target_id in OUS:
        return {
            "TargetId": target_id,
            "Arn": f"arn:aws:organizations::{MGMT}:ou/{ORG_ID}/{target_id}",
            "Name": OUS[target_id][0],
            "Type": "ORGANIZATIONAL_UNIT",
        }
    return {
        "TargetId": target_id,
        "Arn": f"arn:aws:organizations::{MGMT}:account/{ORG_ID}/{target_id}",
        "Name": ACCOUNTS[target_id]["name"],
        "Type": "ACCOUNT",
    }


def organization_files() -> dict[str, dict]:
    """organization/organization.json, tree.json and policies/<id>.json."""
    return {
        "organization/organization.json": _organization(),
        "organization/tree.json": _tree(),
        **_organization_policies(),
    }


def _organization() -> dict:
    """`aws organizations describe-organization` output."""
    return {
        "Organization": {
            "Id": ORG_ID,
            "Arn": f"arn:aws:organizations::{MGMT}:organization/{ORG_ID}",
            "FeatureSet": "ALL",
            "MasterAccountArn": f"arn:aws:organizations::{MGMT}:account/{ORG_ID}/{MGMT}",
            "MasterAccountId": MGMT,
            "MasterAccountEmail": ACCOUNTS[MGMT]["email"],
            "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
        }
    }


def _tree() -> dict:
    """Roots, OUs and accounts of the organization."""
    return {
        "Roots": [
            {
                "Id": ROOT_ID,
                "Arn": f"arn:aws:organizations::{MGMT}:root/{ORG_ID}/{ROOT_ID}",
                "Name": "Root",
                "PolicyTypes": [
                    {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
                    {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"},
                ],
            }
        ],
        "OrganizationalUnits": [
            {
                "Id": ou,
                "Arn": f"arn:aws:organizations::{MGMT}:ou/{ORG_ID}/{ou}",
                "Name": name,
                "ParentId": parent,
            }
            for ou, (name, parent) in OUS.items()
        ],
        "Accounts": [
            {
                "Id": acct,
                "Arn": f"arn:aws:organizations::{MGMT}:account/{ORG_ID}/{acct}",
                "Email": info["email"],
                "Name": info["name"],
                "Status": "ACTIVE",
                "State": "ACTIVE",
                "JoinedMethod": info.get("joined_method")
                or ("INVITED" if acct == MGMT else "CREATED"),
                "JoinedTimestamp": info.get("joined") or _date("joined" + acct),
                "ParentId": info["ou"] or ROOT_ID,
            }
            for acct, info in ACCOUNTS.items()
        ],
    }


def _organization_policies() -> dict[str, dict]:
    """policies/<id>.json: each SCP and RCP with its targets."""
    pol = "organization/policies"
    return {
        f"{pol}/{SCP_FULL}.json": _org_policy(
            SCP_FULL,
            "FullAWSAccess",
            "SERVICE_CONTROL_POLICY",
            FULL_AWS_ACCESS,
            "Allows access to every operation",
            [ROOT_ID, *OUS, *ORG_ACCOUNTS],
            aws_managed=True,
        ),
        f"{pol}/{RCP_FULL}.json": _org_policy(
            RCP_FULL,
            "RCPFullAWSAccess",
            "RESOURCE_CONTROL_POLICY",
            RCP_FULL_AWS_ACCESS,
            "Allows access to every operation",
            [ROOT_ID, *OUS, *ORG_ACCOUNTS],
            aws_managed=True,
        ),
        f"{pol}/{SCP_BASELINE}.json": _org_policy(
            SCP_BASELINE,
            "baseline-guardrails",
            "SERVICE_CONTROL_POLICY",
            SCP_BASELINE_DOC,
            "Stay in the org, keep CloudTrail on, no member root user",
            [ROOT_ID],
        ),
        f"{pol}/{SCP_REGIONS}.json": _org_policy(
            SCP_REGIONS,
            "approved-regions-only",
            "SERVICE_CONTROL_POLICY",
            SCP_REGIONS_DOC,
            "Workloads run only in approved regions",
            ["ou-7kq2-wl0ads8k"],
        ),
        f"{pol}/{RCP_SECRETS_PERIMETER}.json": _org_policy(
            RCP_SECRETS_PERIMETER,
            "secrets-network-perimeter",
            "RESOURCE_CONTROL_POLICY",
            RCP_SECRETS_PERIMETER_DOC,
            "Production secrets only from the office or the prod VPC",
            ["ou-7kq2-pr0d4x1m"],
        ),
    }


def snapshot_files() -> dict[str, dict]:
    """Every snapshot file of the sample: {path relative to snapshot/: JSON value}."""
    files: dict[str, dict] = {
        "manifest.json": {
            "format": "iamlab-snapshot/1",
            "created": SNAPSHOT_TIME.isoformat().replace("+00:00", "Z"),
            "caller": {
                "UserId": role(SEC, sso_role_name("SecurityAudit")).id + ":ana.silva@larkspur.io",
                "Account": SEC,
                "Arn": f"arn:aws:sts::{SEC}:assumed-role/{sso_role_name('SecurityAudit')}"
                "/ana.silva@larkspur.io",
            },
            "accounts": list(ORG_ACCOUNTS),
            "organization": ORG_ID,
            "failed_calls": [],
            # what a collection by `iamlab collect` reads (tests/test_collect_other_services.py
            # keeps this equal to iamlab.aws.collect_resources.SERVICES): the story's DynamoDB
            # tables and ECR repositories have no resource policy, so they have no file
            "resource_policy_services": [
                "dynamodb",
                "ecr",
                "kms",
                "lambda",
                "s3",
                "secretsmanager",
                "sns",
                "sqs",
            ],
            # The committed sample carries this text; the documents now live in
            # world/policies/aws_managed.py (changing the text regenerates sample_data/).
            "notes": "Synthetic sample generated by `iamlab sample`; "
            "AWS managed policies marked ABRIDGED "
            "in iamlab/sample/_policies.py keep only the statements this sample uses.",
        }
    }
    for acct in ORG_ACCOUNTS:
        files[f"accounts/{acct}/authorization-details.json"] = authorization_details(acct)
    files.update(resource_policies())
    files.update(organization_files())
    files.update(trail_files())
    return files
