"""The snapshot loader returns every policy layer that applies, from AWS CLI-shaped files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from iamlab.errors import SnapshotError
from iamlab.snapshot import Snapshot, load

DATA = Path(__file__).parent / "data" / "snapshots"
MGMT, PROD, DATA_ACCT = "111111111111", "222222222222", "333333333333"
ALICE = f"arn:aws:iam::{PROD}:user/engineering/alice"
SSO_ROLE = (
    f"arn:aws:iam::{PROD}:role/aws-reserved/sso.amazonaws.com/us-west-2/"
    "AWSReservedSSO_Admin_0123456789abcdef"
)
SSO_SESSION = (
    f"arn:aws:sts::{PROD}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com"
)
DEPLOYER = f"arn:aws:iam::{PROD}:role/ci/Deployer"
SLR_SESSION = (
    f"arn:aws:sts::{PROD}:assumed-role/AWSServiceRoleForElasticLoadBalancing/ElasticLoadBalancing"
)
KEY = f"arn:aws:kms:us-east-1:{DATA_ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PROD_SCP_LEVELS = [
    ["p-FullAWSAccess", "p-denyregion1"],  # root
    ["p-FullAWSAccess", "p-protectci1"],  # OU Prod
    ["p-FullAWSAccess"],  # OU Apps (under Prod)
    ["p-FullAWSAccess", "p-noiamuser1"],  # the account
]


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return load(DATA / "org")


def ids(policies) -> list[str]:
    return [p.id for p in policies]


def levels(value) -> list[list[str]] | None:
    return None if value is None else [ids(level) for level in value]


def statement_sids(policy) -> list[str | None]:
    statements = policy.document["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    return [s.get("Sid") for s in statements]


def test_user_gets_inline_managed_group_and_boundary_layers(snap):
    ps = snap.policies_for(ALICE, "s3:GetObject", "arn:aws:s3:::prod-reports/q1.csv")
    assert ids(ps.identity) == [
        f"{ALICE}#inline/alice-inline",
        f"arn:aws:iam::{PROD}:policy/S3ReportsRead",
        f"arn:aws:iam::{PROD}:group/developers#inline/dev-lambda",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]
    assert [p.name for p in ps.identity] == [
        "alice-inline",
        "S3ReportsRead",
        "dev-lambda",
        "ReadOnlyAccess",
    ]
    assert ids(ps.permissions_boundary) == [f"arn:aws:iam::{PROD}:policy/DevBoundary"]
    assert levels(ps.scp) == PROD_SCP_LEVELS
    assert ps.resource.id == "arn:aws:s3:::prod-reports"
    assert statement_sids(ps.resource) == ["DenyInsecure"]
    assert ps.session is None and ps.vpc_endpoint == ()


def test_managed_policy_uses_its_default_version_only(snap):
    ps = snap.policies_for(ALICE)
    s3read = next(p for p in ps.identity if p.name == "S3ReportsRead")
    assert statement_sids(s3read) == ["ReadReports"]  # v1 ("OldVersion") is not default


def test_same_account_resource_has_rcps_of_owner_filled_with_full_access(snap):
    ps = snap.policies_for(ALICE, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{PROD}:jobs")
    assert ps.resource.id == f"arn:aws:sqs:us-east-1:{PROD}:jobs"
    assert levels(ps.rcp) == [["p-RCPFullAWSAccess"]] * 4


def test_role_session_with_path_resolves_by_role_name(snap):
    principal = snap.principal(SSO_SESSION)
    assert principal.kind == "assumed-role"
    assert principal.entity_arn == SSO_ROLE  # the path is restored for aws:PrincipalArn
    assert principal.session_name == "alice@example.com"
    ps = snap.policies_for(SSO_SESSION, "ec2:DescribeInstances", "*")
    assert ids(ps.identity) == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert ps.permissions_boundary == ()
    assert levels(ps.scp) == PROD_SCP_LEVELS
    assert ps.resource is None and ps.rcp is None
    assert snap.context_for(SSO_SESSION)["aws:PrincipalArn"] == SSO_ROLE


def test_role_arn_and_unique_id_resolve_to_the_same_role(snap):
    assert snap.principal(DEPLOYER).entity_arn == DEPLOYER
    assert snap.principal("AROADEPLOYER000000004").entity_arn == DEPLOYER
    by_userid = snap.principal("AROADEPLOYER000000004:build-42")
    assert by_userid.kind == "assumed-role"
    assert by_userid.arn == f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-42"
    ps = snap.policies_for(f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-42")
    assert ids(ps.identity) == [f"{DEPLOYER}#inline/deploy"]
    assert ids(ps.permissions_boundary) == [f"arn:aws:iam::{PROD}:policy/DevBoundary"]


def test_management_account_principals_have_no_scps(snap):
    auditor = f"arn:aws:iam::{MGMT}:user/auditor"
    ps = snap.policies_for(auditor, "s3:GetObject", "arn:aws:s3:::org-billing/2026/11.csv")
    assert ps.scp is None
    assert ps.rcp is None  # the management account's resources are outside RCPs
    assert ps.resource is None  # the bucket has no policy
    # AWS managed policy found in a second page file of the same account
    assert ids(ps.identity) == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_member_account_root_is_subject_to_scps(snap):
    root = snap.policies_for(f"arn:aws:iam::{PROD}:root", "iam:CreateUser")
    assert root.identity == ()
    assert levels(root.scp) == PROD_SCP_LEVELS


def test_service_linked_role_has_no_scps_or_rcps(snap):
    assert snap.principal(SLR_SESSION).service_linked
    ps = snap.policies_for(SLR_SESSION, "s3:GetObject", "arn:aws:s3:::data-lake/x")
    assert ps.scp is None and ps.rcp is None
    assert ids(ps.identity) == [
        f"arn:aws:iam::{PROD}:role/aws-service-role/elasticloadbalancing.amazonaws.com/"
        "AWSServiceRoleForElasticLoadBalancing#inline/elb-slr"
    ]
    assert ps.resource.id == "arn:aws:s3:::data-lake"


def test_cross_account_resource_takes_rcps_of_the_owner(snap):
    ps = snap.policies_for(ALICE, "s3:GetObject", "arn:aws:s3:::data-lake/2026/part-0.parquet")
    assert ps.resource.id == "arn:aws:s3:::data-lake"
    assert statement_sids(ps.resource) == ["ProdReadsLake"]
    # the data account: root -> OU Data -> account; the tls RCP sits on OU Data
    assert levels(ps.rcp) == [
        ["p-RCPFullAWSAccess"],
        ["p-RCPFullAWSAccess", "p-rcptls00001"],
        ["p-RCPFullAWSAccess"],
    ]
    assert levels(ps.scp) == PROD_SCP_LEVELS  # SCPs stay those of the caller's account
    assert snap.resource_account("arn:aws:s3:::data-lake/x") == DATA_ACCT


def test_explicit_resource_account_overrides_derived_owner(snap):
    ps = snap.policies_for(
        ALICE, "s3:GetObject", "arn:aws:s3:::unknown-bucket/x", resource_account=DATA_ACCT
    )
    assert ps.resource is None
    assert len(ps.rcp) == 3
    unknown = snap.policies_for(ALICE, "s3:GetObject", "arn:aws:s3:::unknown-bucket/x")
    assert unknown.rcp is None  # owner unknown: no RCP levels can be named


def test_kms_key_by_arn_and_by_alias(snap):
    by_key = snap.policies_for(ALICE, "kms:Decrypt", KEY)
    by_alias = snap.policies_for(
        ALICE, "kms:Decrypt", f"arn:aws:kms:us-east-1:{DATA_ACCT}:alias/data-key"
    )
    assert by_key.resource.id == by_alias.resource.id == KEY
    assert statement_sids(by_key.resource) == ["Enable IAM User Permissions"]


def test_lambda_policy_with_and_without_qualifier(snap):
    fn = f"arn:aws:lambda:us-east-1:{PROD}:function:report-gen"
    for arn in (fn, f"{fn}:7", f"{fn}:live"):
        ps = snap.policies_for(ALICE, "lambda:InvokeFunction", arn)
        assert ps.resource.id == fn, arn
        assert statement_sids(ps.resource) == ["AllowEventsInvoke"]


def test_sns_and_secret_with_or_without_random_suffix(snap):
    topic = f"arn:aws:sns:us-east-1:{PROD}:alerts"
    assert snap.policies_for(ALICE, "sns:Publish", topic).resource.id == topic
    full = f"arn:aws:secretsmanager:us-east-1:{DATA_ACCT}:secret:db-creds-AbC123"
    for arn in (full, f"arn:aws:secretsmanager:us-east-1:{DATA_ACCT}:secret:db-creds"):
        ps = snap.policies_for(ALICE, "secretsmanager:GetSecretValue", arn)
        assert ps.resource.id == full
        assert statement_sids(ps.resource) == ["DenyOutsideOrg"]


def test_assume_role_uses_the_target_roles_trust_policy(snap):
    target = f"arn:aws:iam::{DATA_ACCT}:role/DataReader"
    ps = snap.policies_for(
        f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-42", "sts:AssumeRole", target
    )
    assert ps.resource.id == target
    # URL-encoded trust policy (raw API shape) decoded
    assert ps.resource.document["Statement"][0]["Principal"] == {"AWS": DEPLOYER}
    assert statement_sids(ps.resource) == ["ProdDeployerAssumes"]
    assert len(ps.rcp) == 3  # STS is RCP-capable: the role owner's RCP levels
    assert snap.layer_of(target) == "trust"
    # pathed target role named without its path still resolves (names are unique)
    same = snap.policies_for(ALICE, "sts:AssumeRole", f"arn:aws:iam::{PROD}:role/Deployer")
    assert same.resource.id == DEPLOYER
    assert statement_sids(same.resource) == ["AliceMayDeploy"]
    # other actions on a role are not trust-policy evaluations
    assert snap.policies_for(ALICE, "iam:GetRole", target).resource is None


def test_url_encoded_and_paged_documents_decode(snap):
    ps = snap.policies_for(f"arn:aws:iam::{DATA_ACCT}:role/DataReader")
    assert ids(ps.identity) == [
        f"arn:aws:iam::{DATA_ACCT}:role/DataReader#inline/kms-use",
        f"arn:aws:iam::{DATA_ACCT}:policy/LakeRead",
    ]
    assert [statement_sids(p) for p in ps.identity] == [["UseDataKey"], ["LakeGet"]]


def test_context_for_names_principal_and_resource_org(snap):
    ctx = snap.context_for(ALICE, "arn:aws:s3:::data-lake/x")
    assert ctx["aws:PrincipalArn"] == ALICE
    assert ctx["aws:username"] == "alice"
    assert ctx["aws:userid"] == "AIDAALICE0000000000001"
    assert ctx["aws:PrincipalTag/team"] == "payments"
    assert ctx["aws:PrincipalOrgID"] == "o-exampleorg1"
    assert ctx["aws:PrincipalOrgPaths"] == [
        "o-exampleorg1/r-ab12/ou-ab12-prod0001/ou-ab12-apps0001/"
    ]
    assert ctx["aws:ResourceAccount"] == DATA_ACCT
    assert ctx["aws:ResourceOrgPaths"] == ["o-exampleorg1/r-ab12/ou-ab12-data0001/"]


def test_find_statement_and_layer_of(snap):
    ref = snap.find_statement("p-rcptls00001", "DenyInsecureTransport")
    assert ref.layer == "rcp" and ref.index == 0 and ref.statement["Effect"] == "Deny"
    assert snap.find_statement("EnforceTls", "DenyInsecureTransport").policy.id == "p-rcptls00001"
    scp_arn = (
        f"arn:aws:organizations::{MGMT}:policy/o-exampleorg1/service_control_policy/p-noiamuser1"
    )
    assert snap.find_statement(scp_arn, "DenyCreateUser").layer == "scp"
    inline = snap.find_statement(f"{ALICE}#inline/alice-inline", "AliceNoDeleteBucket")
    assert inline.index == 1 and inline.layer == "identity"
    assert snap.find_statement("arn:aws:s3:::prod-reports", "DenyInsecure").layer == "resource"
    assert snap.layer_of(f"arn:aws:iam::{PROD}:policy/DevBoundary") == "permissions_boundary"
    assert snap.layer_of(f"arn:aws:iam::{PROD}:policy/S3ReportsRead") == "identity"
    assert snap.layer_of(f"arn:aws:iam::{PROD}:policy/DevBoundary", ALICE) == "permissions_boundary"
    with pytest.raises(SnapshotError, match="no statement with Sid 'Nope'.*'AliceQueues'"):
        snap.find_statement(f"{ALICE}#inline/alice-inline", "Nope")
    with pytest.raises(SnapshotError, match="no policy 'p-noiamusr1'.*p-noiamuser1"):
        snap.find_statement("p-noiamusr1", "DenyCreateUser")


def test_unknown_principal_lists_near_matches(snap):
    with pytest.raises(
        SnapshotError, match=r"user/alicia is not in the snapshot.*user/engineering/alice"
    ):
        snap.principal(f"arn:aws:iam::{PROD}:user/alicia")
    with pytest.raises(
        SnapshotError, match=r"assumed-role/Deployr/x is not in the snapshot.*role/ci/Deployer"
    ):
        snap.principal(f"arn:aws:sts::{PROD}:assumed-role/Deployr/x")


def test_principal_of_an_account_outside_the_snapshot_is_external(snap):
    partner = "arn:aws:sts::444444444444:assumed-role/sync/job-1"
    principal = snap.principal(partner)
    assert principal.external and principal.kind == "assumed-role"
    assert principal.entity_arn == "arn:aws:iam::444444444444:role/sync"  # path unknown
    ps = snap.policies_for(partner, "s3:GetObject", "arn:aws:s3:::data-lake/x")
    assert ps.identity == () and ps.permissions_boundary == () and ps.scp is None
    assert ps.unknown == {  # never a stand-in that allows: the engine answers unknown
        "identity": f"account 444444444444 of {partner} is not in the snapshot",
        "permissions_boundary": f"account 444444444444 of {partner} is not in the snapshot",
        "scp": "account 444444444444 is not in the snapshot's organization o-exampleorg1: its "
        "SCPs (from another organization, if any) are unknown",
    }
    assert ps.resource.id == "arn:aws:s3:::data-lake"
    assert len(ps.rcp) == 3  # the owner's RCPs apply to callers from any account
    notes = snap.caveats(partner, "s3:GetObject", "arn:aws:s3:::data-lake/x")
    assert notes[0] == "the role's path is unknown: aws:PrincipalArn is given without it"
    user = snap.principal("arn:aws:iam::444444444444:user/ops/eve")
    assert (user.kind, user.name, user.path) == ("user", "eve", "/ops/")


def test_federated_user_takes_the_issuing_users_policies(snap):
    fed = f"arn:aws:sts::{PROD}:federated-user/contractor"
    unknown = snap.policies_for(fed, "s3:GetObject")  # who called GetFederationToken?
    assert set(unknown.unknown) == {"identity", "permissions_boundary"}
    assert "pass that user's ARN as issuer_arn" in unknown.unknown["identity"]
    gone = snap.policies_for(fed, "s3:GetObject", issuer_arn=f"arn:aws:iam::{PROD}:user/nobody")
    assert "user/nobody is not in the snapshot" in gone.unknown["identity"]
    ps = snap.policies_for(fed, "s3:GetObject", issuer_arn=f"arn:aws:iam::{PROD}:user/bob")
    assert "identity" not in ps.unknown
    assert ps.identity == () and levels(ps.scp) == PROD_SCP_LEVELS
    assert snap.context_for(fed)["aws:PrincipalArn"] == fed


def test_snapshot_without_organization_has_no_org_layers():
    snap = load(DATA / "single-account")
    carol = "arn:aws:iam::555555555555:user/carol"
    ps = snap.policies_for(carol, "s3:DeleteObject", "arn:aws:s3:::carol-bucket/a.txt")
    assert ps.scp is None and ps.rcp is None
    assert ids(ps.identity) == [f"{carol}#inline/carol-s3"]  # JSON-text document decoded
    # saved straight from `aws s3api get-bucket-policy` (no Arn): named by its file
    assert ps.resource.id == "arn:aws:s3:::carol-bucket"
    assert statement_sids(ps.resource) == ["CarolBucketDeny"]
    assert snap.resource_account("arn:aws:s3:::carol-bucket/a.txt") == "555555555555"


def test_a_dynamodb_index_uses_its_tables_policy_and_a_stream_its_own():
    # DynamoDB's developer guide: a table's policy governs the table and its indexes; a
    # stream takes a resource-based policy of its own (PutResourcePolicy on the stream ARN)
    snap = load(DATA / "single-account")
    table = "arn:aws:dynamodb:us-east-1:555555555555:table/Orders"
    for arn in (table, f"{table}/index/ByDate"):
        policy = snap.resource_policy(arn, "dynamodb:Query")
        assert policy is not None and policy.id == table, arn
    stream = f"{table}/stream/2026-11-01T00:00:00.000"
    assert snap.resource_policy(stream, "dynamodb:GetRecords") is None
    assert snap.resource_policy("arn:aws:dynamodb:us-east-1:555555555555:table/Other") is None


def test_vpc_endpoint_policy_is_its_own_layer(snap):
    vpce = "vpce-0a1b2c3d4e5f60718"
    endpoint_arn = f"arn:aws:ec2:us-east-1:{PROD}:vpc-endpoint/{vpce}"
    queue = f"arn:aws:sqs:us-east-1:{PROD}:jobs"
    ps = snap.policies_for(ALICE, "sqs:SendMessage", queue, vpc_endpoint=vpce)
    assert ids(ps.vpc_endpoint) == [endpoint_arn]
    assert statement_sids(ps.vpc_endpoint[0]) == ["OnlyJobsQueue"]
    assert ps.resource.id == queue
    by_arn = snap.policies_for(ALICE, "sqs:SendMessage", queue, vpc_endpoint=endpoint_arn)
    assert ids(by_arn.vpc_endpoint) == [endpoint_arn]
    assert snap.policies_for(ALICE, "sqs:SendMessage", queue).vpc_endpoint == ()
    # an endpoint policy is not the resource policy of the endpoint itself
    assert snap.resource_policy(endpoint_arn, "ec2:ModifyVpcEndpoint") is None
    assert snap.layer_of(endpoint_arn) == "vpc_endpoint"
    assert snap.find_statement(endpoint_arn, "OnlyJobsQueue").layer == "vpc_endpoint"
    gap = snap.policies_for(ALICE, "sqs:SendMessage", queue, vpc_endpoint="vpce-unknown")
    assert gap.vpc_endpoint == () and gap.unknown == {
        "vpc_endpoint": "the policy of VPC endpoint vpce-unknown is not in the snapshot"
    }


def test_kms_aliases_listed_on_the_key_record():
    snap = load(DATA / "single-account")
    key = "arn:aws:kms:eu-west-1:555555555555:key/0000aaaa-1111-2222-3333-444455556666"
    for alias in ("alias/carol-key", "alias/carol-old"):
        policy = snap.resource_policy(f"arn:aws:kms:eu-west-1:555555555555:{alias}", "kms:Decrypt")
        assert policy is not None and policy.id == key
    assert snap.resource_policy("arn:aws:kms:eu-west-1:555555555555:alias/nope") is None


def test_nested_tree_as_the_collector_writes_it(tmp_path):
    shutil.copytree(DATA / "org", tmp_path / "snap")
    tree = {
        "Roots": [
            {
                "Id": "r-ab12",
                "Name": "Root",
                "PolicyTypes": [
                    {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
                    {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"},
                ],
                "Accounts": [{"Id": MGMT, "ParentId": "r-ab12"}],
                "OrganizationalUnits": [
                    {
                        "Id": "ou-ab12-prod0001",
                        "ParentId": "r-ab12",
                        "Accounts": [],
                        "OrganizationalUnits": [
                            {
                                "Id": "ou-ab12-apps0001",
                                "ParentId": "ou-ab12-prod0001",
                                "Accounts": [{"Id": PROD, "ParentId": "ou-ab12-apps0001"}],
                                "OrganizationalUnits": [],
                            }
                        ],
                    },
                    {
                        "Id": "ou-ab12-data0001",
                        "Accounts": [{"Id": DATA_ACCT}],
                        "OrganizationalUnits": [],
                    },
                ],
            }
        ]
    }
    (tmp_path / "snap" / "organization" / "tree.json").write_text(json.dumps(tree))
    snap = load(tmp_path / "snap")
    assert levels(snap.policies_for(ALICE).scp) == PROD_SCP_LEVELS
    assert snap.organization.path(DATA_ACCT) == ["r-ab12", "ou-ab12-data0001", DATA_ACCT]
    assert snap.policies_for(f"arn:aws:iam::{MGMT}:user/auditor").scp is None


def test_role_as_resource_brings_its_tags_into_the_context(snap):
    ctx = snap.context_for(ALICE, DEPLOYER)
    assert ctx["aws:ResourceTag/purpose"] == "ci"
    assert ctx["iam:ResourceTag/purpose"] == "ci"
    assert not any(k.startswith("aws:ResourceTag/") for k in snap.context_for(ALICE, KEY))


def test_principal_arns_lists_every_user_and_role(snap):
    arns = snap.principal_arns()
    assert ALICE in arns and DEPLOYER in arns and SSO_ROLE in arns
    assert f"arn:aws:iam::{DATA_ACCT}:role/DataReader" in arns
    assert len(arns) == len(set(arns)) == 7


def test_raw_cli_outputs_saved_by_hand():
    snap = load(DATA / "single-account")
    acct = "555555555555"
    cases = {  # resource ARN asked for -> (ARN the policy belongs to, its Sid)
        f"arn:aws:sqs:eu-west-1:{acct}:carol-queue": (
            f"arn:aws:sqs:eu-west-1:{acct}:carol-queue",
            "CarolQueue",
        ),
        f"arn:aws:sns:eu-west-1:{acct}:carol-topic": (
            f"arn:aws:sns:eu-west-1:{acct}:carol-topic",
            "CarolTopic",
        ),
        f"arn:aws:secretsmanager:eu-west-1:{acct}:secret:carol/token": (
            f"arn:aws:secretsmanager:eu-west-1:{acct}:secret:carol/token-Zz9Yy8",
            "CarolSecret",
        ),
    }
    for asked, (owner_arn, sid) in cases.items():
        policy = snap.resource_policy(asked)
        assert policy is not None and policy.id == owner_arn, asked
        assert statement_sids(policy) == [sid]


def test_summary_counts_what_the_snapshot_holds(snap):
    summary = snap.summary()
    prod = summary["accounts"][PROD]
    assert (prod["users"], prod["groups"], prod["roles"], prod["managed_policies"]) == (2, 1, 3, 4)
    assert prod["resource_policies"] == {"s3": 1, "lambda": 1, "sqs": 1, "sns": 1}
    assert summary["accounts"][DATA_ACCT]["resource_policies"] == {
        "s3": 1,
        "kms": 1,
        "secretsmanager": 1,
    }
    assert summary["organization"] == {
        "id": "o-exampleorg1",
        "management_account": MGMT,
        "scps": 4,
        "rcps": 2,
    }
    assert summary["vpc_endpoint_policies"] == 1 and summary["failed_calls"] == 0
