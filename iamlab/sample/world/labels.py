"""The answer key: one hand-written entry per scenario of the sample.

Written from the scenario design, never computed by iamlab: later features
(message parser, replay, fix verification) are judged against it. The
generator only fills in ``event_ids`` (and ``context_event_ids``) from the
events it wrote for each scenario.

``decisive.account`` is the account the deciding policy applies to: the
principal's account for identity, boundary, session and SCP layers; the
resource owner's account for resource, RCP, trust and VPC endpoint layers.
"""

from __future__ import annotations

from iamlab.sample.world.accounts import (
    DATA_LAKE,
    DEV,
    DEV_API_SECRET,
    DEV_REPORTING_SECRET,
    EXPORTS,
    FINDINGS,
    INVOICE_FN,
    KMS_KEY_ARN,
    MGMT,
    PARTNER,
    PROD,
    PROD_SECRETS_VPCE,
    SEC,
    WAREHOUSE_SECRET,
)

SSO_DE = f"arn:aws:iam::{PROD}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DataEngineer_4f2a9c1e7b3d8a60"
PRIYA = f"arn:aws:sts::{PROD}:assumed-role/AWSReservedSSO_DataEngineer_4f2a9c1e7b3d8a60/priya.nair@larkspur.io"
LUIS = f"arn:aws:sts::{PROD}:assumed-role/AWSReservedSSO_DataEngineer_4f2a9c1e7b3d8a60/luis.ortega@larkspur.io"
TOM = f"arn:aws:iam::{DEV}:user/people/tom.reyes"
DANA = f"arn:aws:iam::{DEV}:user/people/dana.kim"
LEGACY = f"arn:aws:iam::{PROD}:user/integrations/svc-legacy-reporting"


def _not_denial(
    id_: str,
    title: str,
    principal: str,
    action: str,
    resource: str | None,
    error_code: str,
    notes: str,
) -> dict:
    return {
        "id": id_,
        "title": title,
        "cause": "not-denial",
        "principal": principal,
        "action": action,
        "resource": resource,
        "error_code": error_code,
        "decisive": None,
        "fix": None,
        "notes": notes,
    }


SCENARIOS: list[dict] = [
    {
        "id": "missing-action-lambda-config",
        "title": "Tom cannot change the timeout of invoice-render",
        "cause": "missing-action",
        "principal": TOM,
        "action": "lambda:UpdateFunctionConfiguration",
        "resource": INVOICE_FN,
        "error_code": "AccessDeniedException",
        "decisive": {
            "layer": "identity",
            "account": DEV,
            "policy": f"arn:aws:iam::{DEV}:policy/DeveloperAccess",
            "policy_name": "DeveloperAccess",
            "sid": None,
        },
        "fix": {
            "summary": "Allow lambda:UpdateFunctionConfiguration on dev functions in DeveloperAccess",
            "layer": "identity",
            "policy": f"arn:aws:iam::{DEV}:policy/DeveloperAccess",
            "statement": {
                "Sid": "DevFunctionsConfigure",
                "Effect": "Allow",
                "Action": "lambda:UpdateFunctionConfiguration",
                "Resource": f"arn:aws:lambda:*:{DEV}:function:*",
            },
        },
        "notes": "DevFunctionsDeployCode grants UpdateFunctionCode, InvokeFunction and PublishVersion only; "
        "lambda:Get*/List* do not match Update*. Tom has no boundary; no SCP denies lambda.",
    },
    {
        "id": "resource-arn-s3-payroll",
        "title": "Priya reads a payroll extract outside the prefixes her permission set names",
        "cause": "resource-arn",
        "principal": PRIYA,
        "action": "s3:GetObject",
        "resource": f"arn:aws:s3:::{DATA_LAKE}/finance/payroll/2026-02.parquet",
        "error_code": "AccessDenied",
        "decisive": {
            "layer": "identity",
            "account": PROD,
            "policy": SSO_DE,
            "policy_name": "AwsSSOInlinePolicy",
            "sid": None,
            "near_miss_sid": "ReadCuratedAndRaw",
        },
        "fix": {
            "summary": "Only if Priya should read payroll: add finance/payroll/* to ReadCuratedAndRaw "
            "(edit the DataEngineer permission set; Identity Center overwrites the role)",
            "layer": "identity",
            "policy": SSO_DE,
            "statement": {
                "Sid": "ReadCuratedAndRaw",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": [
                    f"arn:aws:s3:::{DATA_LAKE}/curated/*",
                    f"arn:aws:s3:::{DATA_LAKE}/raw/*",
                    f"arn:aws:s3:::{DATA_LAKE}/finance/payroll/*",
                ],
            },
        },
        "notes": "ReadCuratedAndRaw allows s3:GetObject, but only on curated/* and raw/*. The bucket policy "
        "has no Allow for her (same account, so the identity Allow would have sufficed) and its "
        "TLS deny does not match (the request used TLS).",
    },
    {
        "id": "resource-arn-dynamodb-index",
        "title": "orders-api queries a GSI its role only grants on the table",
        "cause": "resource-arn",
        "principal": f"arn:aws:sts::{PROD}:assumed-role/orders-api-lambda-role/orders-api",
        "action": "dynamodb:Query",
        "resource": f"arn:aws:dynamodb:eu-west-1:{PROD}:table/orders/index/by-customer",
        "error_code": "AccessDeniedException",
        "decisive": {
            "layer": "identity",
            "account": PROD,
            "policy": f"arn:aws:iam::{PROD}:role/service-role/orders-api-lambda-role",
            "policy_name": "orders-api-access",
            "sid": None,
            "near_miss_sid": "OrdersTableReadWrite",
        },
        "fix": {
            "summary": "Add the table's index ARNs to OrdersTableReadWrite",
            "layer": "identity",
            "policy": f"arn:aws:iam::{PROD}:role/service-role/orders-api-lambda-role",
            "statement": {
                "Sid": "OrdersTableReadWrite",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:Query",
                    "dynamodb:BatchGetItem",
                ],
                "Resource": [
                    f"arn:aws:dynamodb:eu-west-1:{PROD}:table/orders",
                    f"arn:aws:dynamodb:eu-west-1:{PROD}:table/orders/index/*",
                ],
            },
        },
        "notes": "A Query on an index is authorized against table/orders/index/by-customer; the table ARN "
        "alone does not cover it (aws-facts 5, DynamoDB). Lambda retried the failed invocations.",
    },
    {
        "id": "explicit-deny-iam-create-user",
        "title": "Tom tries to create an IAM user for a load test",
        "cause": "explicit-deny",
        "principal": TOM,
        "action": "iam:CreateUser",
        "resource": f"arn:aws:iam::{DEV}:user/tmp-loadtest",
        "error_code": "AccessDenied",
        "decisive": {
            "layer": "identity",
            "account": DEV,
            "policy": f"arn:aws:iam::{DEV}:policy/DeveloperGuardrails",
            "policy_name": "DeveloperGuardrails",
            "sid": "DenyIdentityChanges",
        },
        "fix": {
            "summary": "Intended guardrail: request the user through the platform team; do not edit the deny",
            "layer": "identity",
            "policy": f"arn:aws:iam::{DEV}:policy/DeveloperGuardrails",
            "statement": None,
            "intended": True,
        },
        "notes": "IAM message carries the policy ARN and an authorization id for GetRequestAuthorizationDetails.",
    },
    {
        "id": "explicit-deny-ec2-igw",
        "title": "Dana tries to add an internet gateway to the dev VPC",
        "cause": "explicit-deny",
        "principal": DANA,
        "action": "ec2:CreateInternetGateway",
        "resource": f"arn:aws:ec2:eu-west-1:{DEV}:internet-gateway/*",
        "error_code": "Client.UnauthorizedOperation",
        "decisive": {
            "layer": "identity",
            "account": DEV,
            "policy": f"arn:aws:iam::{DEV}:policy/DeveloperGuardrails",
            "policy_name": "DeveloperGuardrails",
            "sid": "DenyNetworkChanges",
        },
        "fix": {
            "summary": "Intended guardrail: network changes go through the platform team",
            "layer": "identity",
            "policy": f"arn:aws:iam::{DEV}:policy/DeveloperGuardrails",
            "statement": None,
            "intended": True,
        },
        "notes": "Her permissions boundary (DeveloperBoundary) would also deny implicitly, but the explicit "
        "deny is evaluated first and is what AWS reports.",
    },
    {
        "id": "explicit-deny-s3-raw-customers",
        "title": "The legacy reporting job reaches into raw customer data",
        "cause": "explicit-deny",
        "principal": LEGACY,
        "action": "s3:GetObject",
        "resource": f"arn:aws:s3:::{DATA_LAKE}/raw/customers/2026/03/customers-000.parquet",
        "error_code": "AccessDenied",
        "decisive": {
            "layer": "identity",
            "account": PROD,
            "policy": f"arn:aws:iam::{PROD}:policy/LegacyReportingAccess",
            "policy_name": "LegacyReportingAccess",
            "sid": "DenyRawCustomerData",
        },
        "fix": {
            "summary": "Intended: the job must read the pseudonymised curated/ tables instead",
            "layer": "identity",
            "policy": f"arn:aws:iam::{PROD}:policy/LegacyReportingAccess",
            "statement": None,
            "intended": True,
        },
        "notes": "LegacyReportingAccess is attached to the group integrations. Message form "
        "'...: <policy ARN> (<name>).' as seen in real logs.",
    },
    {
        "id": "explicit-deny-bucket-policy-delete",
        "title": "Luis deletes a curated partition the bucket policy protects",
        "cause": "explicit-deny",
        "principal": LUIS,
        "action": "s3:DeleteObject",
        "resource": f"arn:aws:s3:::{DATA_LAKE}/curated/orders/2026/03/10/part-0007.parquet",
        "error_code": "AccessDenied",
        "decisive": {
            "layer": "resource",
            "account": PROD,
            "policy": f"arn:aws:s3:::{DATA_LAKE}",
            "policy_name": "bucket policy",
            "sid": "DenyDeletesExceptRetentionAdmin",
        },
        "fix": {
            "summary": "Intended: deletions go through app/data-retention-admin; drop s3:DeleteObject from "
            "the permission set's WriteCurated so it stops promising it",
            "layer": "resource",
            "policy": f"arn:aws:s3:::{DATA_LAKE}",
            "statement": None,
            "intended": True,
        },
        "notes": "WriteCurated allows s3:DeleteObject on curated/*, the bucket policy's explicit Deny wins.",
    },
    {
        "id": "org-policy-scp-region",
        "title": "Sam launches a test instance in Sydney",
        "cause": "org-policy",
        "principal": f"arn:aws:sts::{DEV}:assumed-role/AWSReservedSSO_AdministratorAccess_6d1c4b8e2f7a9035/sam.okafor@larkspur.io",
        "action": "ec2:RunInstances",
        "resource": f"arn:aws:ec2:ap-southeast-2:{DEV}:instance/*",
        "error_code": "Client.UnauthorizedOperation",
        "decisive": {
            "layer": "scp",
            "account": DEV,
            "policy": "p-3rgn8x2k",
            "policy_name": "approved-regions-only",
            "sid": "DenyOutsideApprovedRegions",
            "target": "ou-7kq2-wl0ads8k",
        },
        "fix": {
            "summary": "Intended: use an approved region (eu-west-1, eu-central-1, us-east-1, us-west-2)",
            "layer": "scp",
            "policy": "p-3rgn8x2k",
            "statement": None,
            "intended": True,
        },
        "notes": "larkspur-dev is a member account under Workloads/NonProd, so the SCP applies; "
        "AdministratorAccess allows the call otherwise.",
    },
    {
        "id": "org-policy-rcp-secrets",
        "title": "Priya reads the warehouse secret from home",
        "cause": "org-policy",
        "principal": PRIYA,
        "action": "secretsmanager:GetSecretValue",
        "resource": WAREHOUSE_SECRET,
        "error_code": "AccessDeniedException",
        "decisive": {
            "layer": "rcp",
            "account": PROD,
            "policy": "p-9rcpn4tw",
            "policy_name": "secrets-network-perimeter",
            "sid": "EnforceNetworkPerimeterOnSecrets",
            "target": "ou-7kq2-pr0d4x1m",
        },
        "fix": {
            "summary": "Intended: connect through the office VPN (203.0.113.0/26) or run from the prod VPC",
            "layer": "rcp",
            "policy": "p-9rcpn4tw",
            "statement": None,
            "intended": True,
        },
        "notes": "Source IP 198.51.100.23 is outside the office CIDR and the call did not come through the prod "
        "VPC, so every condition of the Deny matches. Identity (ReadWarehouseSecret) allows it. "
        "Secrets Manager supports RCPs; the secret's owner larkspur-prod is a member account.",
    },
    {
        "id": "permissions-boundary-secrets",
        "title": "Dana opens the invoice-render API key in the console",
        "cause": "permissions-boundary",
        "principal": DANA,
        "action": "secretsmanager:GetSecretValue",
        "resource": DEV_API_SECRET,
        "error_code": "AccessDeniedException",
        "decisive": {
            "layer": "permissions_boundary",
            "account": DEV,
            "policy": f"arn:aws:iam::{DEV}:policy/boundaries/DeveloperBoundary",
            "policy_name": "DeveloperBoundary",
            "sid": None,
        },
        "fix": {
            "summary": "Add dev secrets to the boundary (DeveloperAccess already allows them)",
            "layer": "permissions_boundary",
            "policy": f"arn:aws:iam::{DEV}:policy/boundaries/DeveloperBoundary",
            "statement": {
                "Sid": "AllowDevSecretsRead",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": f"arn:aws:secretsmanager:*:{DEV}:secret:dev/*",
            },
        },
        "notes": "DevSecretsRead in DeveloperAccess allows it; DeveloperBoundary lists no secretsmanager action. "
        "Tom, who has no boundary, reads the same secret without trouble.",
    },
    {
        "id": "session-policy-terminate",
        "title": "The incident responder's session cannot terminate the compromised instance",
        "cause": "session-or-trust",
        "principal": f"arn:aws:sts::{PROD}:assumed-role/IncidentResponder/ana.silva",
        "action": "ec2:TerminateInstances",
        "resource": f"arn:aws:ec2:eu-west-1:{PROD}:instance/i-0f19a7c3e5b2d4806",
        "error_code": "Client.UnauthorizedOperation",
        "decisive": {
            "layer": "session",
            "account": PROD,
            "policy": f"arn:aws:sts::{PROD}:assumed-role/IncidentResponder/ana.silva",
            "policy_name": "session policy (AssumeRole Policy parameter)",
            "sid": "DenyDestructiveActions",
        },
        "fix": {
            "summary": "Intended by the runbook: isolate and snapshot instead; terminate only after approval "
            "from a session without DenyDestructiveActions",
            "layer": "session",
            "policy": f"arn:aws:sts::{PROD}:assumed-role/IncidentResponder/ana.silva",
            "statement": None,
            "intended": True,
        },
        "notes": "The session policy is in the requestParameters.policy of the AssumeRole event listed in "
        "context_event_ids (the role's copy). The role's own policy allows ec2:*.",
    },
    {
        "id": "trust-policy-prod-deployer",
        "title": "Tom tries to assume the production deployer role from dev",
        "cause": "session-or-trust",
        "principal": TOM,
        "action": "sts:AssumeRole",
        "resource": f"arn:aws:iam::{PROD}:role/deploy/ProdDeployer",
        "error_code": "AccessDenied",
        "decisive": {
            "layer": "trust",
            "account": PROD,
            "policy": f"arn:aws:iam::{PROD}:role/deploy/ProdDeployer",
            "policy_name": "AssumeRolePolicyDocument",
            "sid": "DenyNonProductionAccounts",
        },
        "fix": {
            "summary": "Intended: production deploys run from the release pipeline (arn:aws:iam::"
            f"{MGMT}:role/ci/release-pipeline)",
            "layer": "trust",
            "policy": f"arn:aws:iam::{PROD}:role/deploy/ProdDeployer",
            "statement": None,
            "intended": True,
        },
        "notes": "AssumeDeployRoles in DeveloperAccess allows sts:AssumeRole on role/deploy/*, so his side "
        "allows; the trust policy explicitly denies principals outside prod and management. "
        "Both copies (caller's account and role's account) share a sharedEventID.",
    },
    {
        "id": "resource-policy-cross-account-s3",
        "title": "The dev invoice renderer reads a template from the prod exports bucket",
        "cause": "resource-policy",
        "principal": f"arn:aws:sts::{DEV}:assumed-role/invoice-render-lambda-role/invoice-render",
        "action": "s3:GetObject",
        "resource": f"arn:aws:s3:::{EXPORTS}/templates/invoice.html",
        "error_code": "AccessDenied",
        "decisive": {
            "layer": "resource",
            "account": PROD,
            "policy": f"arn:aws:s3:::{EXPORTS}",
            "policy_name": "bucket policy",
            "sid": None,
        },
        "fix": {
            "summary": "Grant the dev role read on templates/* in the exports bucket policy",
            "layer": "resource",
            "policy": f"arn:aws:s3:::{EXPORTS}",
            "statement": {
                "Sid": "AllowDevInvoiceTemplates",
                "Effect": "Allow",
                "Principal": {
                    "AWS": f"arn:aws:iam::{DEV}:role/service-role/invoice-render-lambda-role"
                },
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{EXPORTS}/templates/*",
            },
        },
        "notes": "Cross-account: the caller's ReadTemplates statement allows it, the bucket policy in "
        "larkspur-prod grants only org-reporting-reader and Brightline. Same organization, so S3 "
        "gives the detailed message.",
    },
    {
        "id": "resource-policy-kms-key",
        "title": "Luis decrypts with the data-lake key his permission set names but the key policy does not",
        "cause": "resource-policy",
        "principal": LUIS,
        "action": "kms:Decrypt",
        "resource": KMS_KEY_ARN,
        "error_code": "AccessDeniedException",
        "decisive": {
            "layer": "resource",
            "account": PROD,
            "policy": KMS_KEY_ARN,
            "policy_name": "key policy",
            "sid": None,
        },
        "fix": {
            "summary": "Add the DataEngineer role to the key policy (KMS needs the key policy to allow)",
            "layer": "resource",
            "policy": KMS_KEY_ARN,
            "statement": {
                "Sid": "AllowDataEngineersDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": SSO_DE},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
            },
        },
        "notes": "The key policy has no statement for the account root, so IAM policies alone cannot grant "
        "use of the key; UseDataLakeKey in the permission set is necessary but not sufficient.",
    },
    {
        "id": "vpc-endpoint-secrets",
        "title": "The reporting batch host reaches for a dev secret through the prod Secrets Manager endpoint",
        "cause": "vpc-endpoint",
        "principal": f"arn:aws:sts::{PROD}:assumed-role/reporting-batch-role/i-0b7d2e9f4a1c6d385",
        "action": "secretsmanager:GetSecretValue",
        "resource": DEV_REPORTING_SECRET,
        "error_code": "VpceAccessDenied",
        "decisive": {
            "layer": "vpc_endpoint",
            "account": PROD,
            "policy": f"arn:aws:ec2:eu-west-1:{PROD}:vpc-endpoint/{PROD_SECRETS_VPCE}",
            "policy_name": "endpoint policy",
            "sid": None,
        },
        "fix": {
            "summary": "Do not widen the endpoint: copy the value into a prod/reporting secret (a cross-account "
            "read would also need a resource policy on the dev secret and a customer managed key)",
            "layer": "vpc_endpoint",
            "policy": f"arn:aws:ec2:eu-west-1:{PROD}:vpc-endpoint/{PROD_SECRETS_VPCE}",
            "statement": None,
            "intended": True,
        },
        "notes": "Network activity events (AwsVpceEvent) for the endpoint owner; the endpoint policy allows "
        "prod secrets only, so the request never reached Secrets Manager. A full replay also finds "
        "no resource policy on the dev secret (cross-account), which would deny next. The resource "
        "ARN is carried in resources[].",
    },
    {
        "id": "undetailed-s3-partner",
        "title": "Brightline asks for another partner's export",
        "cause": "undetailed",
        "diagnosed_cause": "resource-policy",
        "principal": f"arn:aws:iam::{PARTNER}:role/brightline-sync",
        "action": "s3:GetObject",
        "resource": f"arn:aws:s3:::{EXPORTS}/partner/acme-logistics/2026-03-10/shipments.csv.gz",
        "error_code": "AccessDenied",
        "decisive": {
            "layer": "resource",
            "account": PROD,
            "policy": f"arn:aws:s3:::{EXPORTS}",
            "policy_name": "bucket policy",
            "sid": None,
            "near_miss_sid": "AllowBrightlineRead",
        },
        "fix": {
            "summary": "Intended: Brightline may read partner/brightline/* only",
            "layer": "resource",
            "policy": f"arn:aws:s3:::{EXPORTS}",
            "statement": None,
            "intended": True,
        },
        "notes": "Caller outside the organization, so S3 says only 'Access Denied'. Only the bucket owner's "
        "copy exists here (userIdentity type AWSAccount, no ARN).",
    },
    {
        "id": "undetailed-ec2-legacy",
        "title": "The legacy reporting host tries to snapshot its volume",
        "cause": "undetailed",
        "diagnosed_cause": "missing-action",
        "principal": LEGACY,
        "action": "ec2:CreateSnapshot",
        "resource": f"arn:aws:ec2:eu-west-1:{PROD}:volume/vol-0a3f9c2e71b4d5860",
        "error_code": "Client.UnauthorizedOperation",
        "decisive": {
            "layer": "identity",
            "account": PROD,
            "policy": f"arn:aws:iam::{PROD}:policy/LegacyReportingAccess",
            "policy_name": "LegacyReportingAccess",
            "sid": None,
        },
        "fix": {
            "summary": "Allow ec2:CreateSnapshot on its volume in LegacyReportingAccess",
            "layer": "identity",
            "policy": f"arn:aws:iam::{PROD}:policy/LegacyReportingAccess",
            "statement": {
                "Sid": "SnapshotReportingVolume",
                "Effect": "Allow",
                "Action": "ec2:CreateSnapshot",
                "Resource": [
                    f"arn:aws:ec2:eu-west-1:{PROD}:volume/vol-0a3f9c2e71b4d5860",
                    "arn:aws:ec2:eu-west-1::snapshot/*",
                ],
            },
        },
        "notes": "Older EC2 message form: no principal, no policy type, only the encoded message.",
    },
    {
        "id": "hostile-probe-s3",
        "title": "Red-team canary: object keys carrying HTML and script",
        "cause": "missing-action",
        "principal": f"arn:aws:sts::{SEC}:assumed-role/redteam-probe/xss-canary",
        "action": "s3:PutObject",
        "resource": f"arn:aws:s3:::{FINDINGS}/*",
        "error_code": "AccessDenied",
        "decisive": {
            "layer": "identity",
            "account": SEC,
            "policy": f"arn:aws:iam::{SEC}:role/redteam-probe",
            "policy_name": "probe",
            "sid": None,
        },
        "fix": {
            "summary": "Intended: the probe role is read-only; the point is that every view escapes the text",
            "layer": "identity",
            "policy": f"arn:aws:iam::{SEC}:role/redteam-probe",
            "statement": None,
            "intended": True,
        },
        "notes": "User agent, object key and error message carry <script>, an onerror attribute, quotes and a "
        "newline. Listed in hostile_event_ids.",
    },
    _not_denial(
        "hostile-probe-ssm-validation",
        "Red-team canary: a parameter name with script text",
        f"arn:aws:sts::{SEC}:assumed-role/redteam-probe/xss-canary",
        "ssm:PutParameter",
        f"arn:aws:ssm:eu-west-1:{SEC}:parameter/<script>alert(1)</script>",
        "ValidationException",
        "Validation error, not a denial; the error message echoes the hostile value.",
    ),
    _not_denial(
        "dry-run-run-instances",
        "Tom dry-runs an instance launch",
        TOM,
        "ec2:RunInstances",
        f"arn:aws:ec2:eu-west-1:{DEV}:instance/*",
        "Client.DryRunOperation",
        "Request would have succeeded: a successful dry run, not a denial.",
    ),
    _not_denial(
        "auth-invalid-token",
        "A deleted contractor's key is still in a cron job",
        None,
        "sts:GetCallerIdentity",
        None,
        "InvalidClientTokenId",
        "Authentication failure (unknown key), not an authorization denial.",
    ),
    _not_denial(
        "auth-expired-token",
        "Priya's session expired before she re-logged",
        PRIYA,
        "sts:GetCallerIdentity",
        None,
        "ExpiredToken",
        "Authentication failure, not a denial.",
    ),
    _not_denial(
        "auth-signature-mismatch",
        "ci-deploy signs with a rotated-out secret key",
        f"arn:aws:iam::{DEV}:user/automation/ci-deploy",
        "cloudformation:DescribeStacks",
        None,
        "SignatureDoesNotMatch",
        "Authentication failure, not a denial.",
    ),
    _not_denial(
        "throttling-ssm",
        "Terraform refresh hits the SSM rate limit",
        f"arn:aws:iam::{DEV}:user/automation/ci-deploy",
        "ssm:GetParameters",
        None,
        "ThrottlingException",
        "Throttling, not a denial.",
    ),
    _not_denial(
        "not-found-s3-report",
        "Finance reporting asks for tomorrow's report",
        f"arn:aws:iam::{MGMT}:role/org-reporting-reader",
        "s3:GetObject",
        f"arn:aws:s3:::{EXPORTS}/reports/daily/2026-03-13/revenue.csv",
        "NoSuchKey",
        "The principal may read the prefix (so S3 answers 404, not 403).",
    ),
    _not_denial(
        "not-found-lambda",
        "Tom asks for a function that does not exist yet",
        TOM,
        "lambda:GetFunction",
        f"arn:aws:lambda:eu-west-1:{DEV}:function:invoice-render-v2",
        "ResourceNotFoundException",
        "Missing resource, not a denial.",
    ),
    _not_denial(
        "console-signin-failure",
        "Failed console sign-ins",
        DANA,
        "signin:ConsoleLogin",
        None,
        None,
        "AwsConsoleSignIn events with responseElements.ConsoleLogin = Failure (one with an unknown "
        "user name, shown as HIDDEN_DUE_TO_SECURITY_REASONS). errorMessage carries the reason; "
        "there is no errorCode.",
    ),
]
