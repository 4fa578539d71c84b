"""The fixed world of the sample: company, accounts, regions, days, networks.

Everything here is a constant so that labels, snapshot and events agree by
construction. Account ids, IPs and names are invented (IPs come from the
documentation ranges of RFC 5737 where they stand for customer networks).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

ORG_ID = "o-7kq2m9xw4r"
ROOT_ID = "r-7kq2"

MGMT = "480152067923"  # management account: Identity Center, org trail owner
PROD = "731926485017"  # production workloads
DEV = "264830159726"  # development
SEC = "905173628441"  # security tooling and log archive
SANDBOX = "583016249871"  # joined the organization on 12 March 17:20 UTC; no evidence (dark)
PARTNER = "418295736104"  # Brightline BI, an external partner (not in the org)

ACCOUNTS = {
    MGMT: {"name": "larkspur-management", "email": "aws-root@larkspur.io", "ou": None},
    PROD: {"name": "larkspur-prod", "email": "aws-prod@larkspur.io", "ou": "ou-7kq2-pr0d4x1m"},
    DEV: {"name": "larkspur-dev", "email": "aws-dev@larkspur.io", "ou": "ou-7kq2-n0npr9d2"},
    SEC: {
        "name": "larkspur-security",
        "email": "aws-security@larkspur.io",
        "ou": "ou-7kq2-sec5t7q1",
    },
    # An older standalone account of the data team, invited into the organization at the end
    # of the window: it never had a trail of its own, so nothing of it was ever delivered.
    SANDBOX: {
        "name": "larkspur-sandbox",
        "email": "aws-sandbox@larkspur.io",
        "ou": "ou-7kq2-sbx4k8w2",
        "joined": "2026-03-12T17:20:41.512000+00:00",
        "joined_method": "INVITED",
    },
}
ORG_ACCOUNTS = (MGMT, PROD, DEV, SEC, SANDBOX)

# OU id -> (name, parent id)
OUS = {
    "ou-7kq2-wl0ads8k": ("Workloads", ROOT_ID),
    "ou-7kq2-pr0d4x1m": ("Prod", "ou-7kq2-wl0ads8k"),
    "ou-7kq2-n0npr9d2": ("NonProd", "ou-7kq2-wl0ads8k"),
    "ou-7kq2-sec5t7q1": ("Security", ROOT_ID),
    "ou-7kq2-sbx4k8w2": ("Sandbox", ROOT_ID),
}

# Organization policy ids (FullAWSAccess and RCPFullAWSAccess keep AWS's fixed ids).
SCP_FULL = "p-FullAWSAccess"
RCP_FULL = "p-RCPFullAWSAccess"
SCP_BASELINE = "p-5bsln7q0"
SCP_REGIONS = "p-3rgn8x2k"
RCP_SECRETS_PERIMETER = "p-9rcpn4tw"


def scp_arn(policy_id: str) -> str:
    """ARN of an SCP as AWS prints it in error messages (management account, org id)."""
    if policy_id == SCP_FULL:
        return "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    return f"arn:aws:organizations::{MGMT}:policy/{ORG_ID}/service_control_policy/{policy_id}"


def rcp_arn(policy_id: str) -> str:
    """ARN of an RCP (same grammar as SCPs, resource_control_policy)."""
    if policy_id == RCP_FULL:
        return "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"
    return f"arn:aws:organizations::{MGMT}:policy/{ORG_ID}/resource_control_policy/{policy_id}"


REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "us-west-2")
HOME_REGION = "eu-west-1"
APPROVED_REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]
# Where the security account alone starts GuardDuty and Security Hub on 12 March (the
# Stockholm rollout): the other accounts have no evidence there (dark pairs, by design).
ROLLOUT_REGION = "eu-north-1"

# Four working days of evidence. The org trail replaced the per-account trails
# at ORG_TRAIL_START: earlier files sit under AWSLogs/<acct>/, later ones under
# AWSLogs/<org-id>/<acct>/ (each event is delivered exactly once).
UTC = timezone.utc
START = datetime(2026, 3, 9, tzinfo=UTC)
DAYS = tuple(START + timedelta(days=i) for i in range(4))
ORG_TRAIL_START = datetime(2026, 3, 11, tzinfo=UTC)
ACCOUNT_TRAIL = "management-events"
ACCOUNT_TRAIL_REGION = "eu-west-1"
ORG_TRAIL = "larkspur-org-trail"
ORG_TRAIL_REGION = "us-east-1"
LOG_BUCKET = f"larkspur-org-cloudtrail-{SEC}"

# Networks
OFFICE_IPS = ("203.0.113.14", "203.0.113.15", "203.0.113.21")  # in 203.0.113.0/26
OFFICE_CIDR = "203.0.113.0/26"
HOME_IPS = {"priya": "198.51.100.23", "dana": "198.51.100.140", "sam": "198.51.100.77"}
ONPREM_IP = "203.0.113.40"
PARTNER_IP = "192.0.2.61"
PROD_NAT_IPS = ("34.246.17.88", "52.31.140.9")
DEV_NAT_IP = "54.78.201.33"
GITHUB_RUNNER_IPS = ("20.57.112.43", "4.227.240.18", "172.183.81.2")
PROD_VPC = "vpc-0c41f2e7a9d3b5810"
PROD_SECRETS_VPCE = "vpce-0a8d3c6f91e2b4d57"

# Resources
DATA_LAKE = "larkspur-prod-data-lake"
EXPORTS = "larkspur-prod-exports"
ATHENA_RESULTS = "larkspur-prod-athena-results"
DEV_ARTIFACTS = "larkspur-dev-artifacts"
DEV_SCRATCH = "larkspur-dev-scratch"
FINDINGS = "larkspur-security-findings"
KMS_KEY_ID = "7c1f3e9a-42d6-4b8e-9f05-1a6d2c8e4b73"
KMS_KEY_ARN = f"arn:aws:kms:eu-west-1:{PROD}:key/{KMS_KEY_ID}"
ORDERS_FN = f"arn:aws:lambda:eu-west-1:{PROD}:function:orders-api"
INVOICE_FN = f"arn:aws:lambda:eu-west-1:{DEV}:function:invoice-render"
ORDERS_QUEUE = f"arn:aws:sqs:eu-west-1:{PROD}:orders-events"
ORDERS_QUEUE_URL = f"https://sqs.eu-west-1.amazonaws.com/{PROD}/orders-events"
ORDERS_TOPIC = f"arn:aws:sns:eu-west-1:{PROD}:orders-notifications"
WAREHOUSE_SECRET = (
    f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:prod/warehouse/db-credentials-Qm3xT9"
)
ORDERS_SECRET = f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:prod/orders-api/stripe-key-b7LpW2"
DEV_API_SECRET = f"arn:aws:secretsmanager:eu-west-1:{DEV}:secret:dev/invoice-render/api-key-Xy12Ab"
DEV_REPORTING_SECRET = (
    f"arn:aws:secretsmanager:eu-west-1:{DEV}:secret:dev/reporting/readonly-db-9fK2pQ"
)
ORDERS_TABLE = f"arn:aws:dynamodb:eu-west-1:{PROD}:table/orders"
IDENTITY_STORE = f"arn:aws:identitystore::{MGMT}:identitystore/d-93670b1c2f"

# Permission-set role suffixes (Identity Center appends a random 16-hex suffix).
SSO_SUFFIX = {
    "AdministratorAccess": "6d1c4b8e2f7a9035",
    "DataEngineer": "4f2a9c1e7b3d8a60",
    "ReadOnly": "b83e0c5a7d2f1964",
    "SecurityAudit": "2c7e9a4b1f5d3086",
}


def sso_role_name(permission_set: str) -> str:
    """Role name Identity Center creates for a permission set."""
    return f"AWSReservedSSO_{permission_set}_{SSO_SUFFIX[permission_set]}"


def sso_role_path(region: str = HOME_REGION) -> str:
    """Path of Identity Center roles (it drops out of assumed-role session ARNs)."""
    return f"/aws-reserved/sso.amazonaws.com/{region}/"
