"""``iamlab why``: plain words, the right step and next command, JSON = to_dict()."""

# ruff: noqa: E501  (AWS messages are long; kept whole so they read as AWS prints them)

from __future__ import annotations

import json

from iamlab.cli import main
from iamlab.denials import parse

SCP = (
    "User: arn:aws:iam::123456789012:user/Matt is not authorized to perform: iam:ListRoles on "
    "resource: arn:aws:iam::123456789012:role/* with an explicit deny in a service control policy: "
    "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
)
AUTH = (
    "User: arn:aws:iam::123456789012:user/janedoe is not authorized to perform: iam:CreateInstanceProfile "
    "on resource: arn:aws:iam::123456789012:instance-profile/my-instance-profile with an explicit deny in "
    "an identity-based policy: arn:aws:iam::123456789012:policy/ExampleDenyPolicy. Go to "
    "https://eu-west-2.console.aws.amazon.com/iam/home?region=eu-west-2#/authorization-details/ID123 for "
    "complete details, or call the GetRequestAuthorizationDetails API with the following authorization id: ID123"
)
EC2 = (
    "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not "
    "authorized to perform this operation. User: arn:aws:sts::111122223333:assumed-role/Dev/ana is not "
    "authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:eu-west-1:111122223333:instance/* "
    "because no identity-based policy allows the ec2:RunInstances action. Encoded authorization failure "
    "message: Zm9v-bar_1"
)


def run(capsys, *argv):
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_json_is_to_dict(capsys):
    status, out = run(capsys, "why", SCP, "--json")
    assert status == 0
    assert json.loads(out) == parse(None, SCP).to_dict()


def test_scp_denial_points_to_step_4_and_the_org_policies(capsys):
    status, out = run(capsys, "why", SCP, "--snapshot", "snap")
    assert status == 0
    assert "who:       arn:aws:iam::123456789012:user/Matt" in out
    assert "a service control policy (SCP)" in out
    assert "explicit deny" in out
    assert "org-policy (step 4: an SCP or RCP)" in out
    assert (
        "$ iamlab simulate --principal arn:aws:iam::123456789012:user/Matt --action iam:ListRoles "
        "--resource 'arn:aws:iam::123456789012:role/*' --snapshot snap"
    ) in out
    assert "snap/organization/policies" in out
    assert "before 2023" in out  # SCP 'explicit' may have been implicit


def test_authorization_id_gives_authz_details_in_the_message_region(capsys):
    _, out = run(capsys, "why", AUTH)
    assert "$ iamlab authz-details ID123 --region eu-west-2" in out
    assert "explicit-deny (step 3: a Deny statement wins)" in out


def test_ec2_blob_gives_decode_and_says_step_1_or_2(capsys):
    _, out = run(capsys, "why", EC2)
    assert "$ iamlab decode Zm9v-bar_1 --region eu-west-1" in out
    assert "missing-action (step 1" in out
    assert "step 2" in out and "replay" in out


def test_region_option_wins(capsys):
    _, out = run(capsys, "why", EC2, "--region", "ap-south-1")
    assert "--region ap-south-1" in out


def test_not_a_denial_exits_1(capsys):
    status, out = run(
        capsys,
        "why",
        "Request would have succeeded, but DryRun flag is set.",
        "--error-code",
        "Client.DryRunOperation",
    )
    assert status == 1
    assert "'Client.DryRunOperation' is not an authorization denial" in out


def test_undetailed_s3_says_replay(capsys):
    _, out = run(
        capsys,
        "why",
        "Access Denied",
        "--error-code",
        "AccessDenied",
        "--event-source",
        "s3.amazonaws.com",
    )
    assert "undetailed" in out and "cross-account" in out
    assert "iamlab simulate --principal '<principal-arn>'" in out


def test_hostile_text_is_quoted_and_escaped(capsys):
    msg = (
        "User: arn:aws:iam::1:user/x is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::b/$(touch pwned)\x1b[31m" because no identity-based policy allows the s3:GetObject action'
    )
    _, out = run(capsys, "why", msg)
    assert "\x1b" not in out
    assert "--resource 'arn:aws:s3:::b/$(touch pwned)\\x1b[31m'" in out


def test_message_from_stdin(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(SCP + "\n"))
    status, out = run(capsys, "why", "-", "--json")
    assert status == 0 and json.loads(out)["policy_type"] == "scp"


def test_suggested_commands_exist_with_their_options():
    from iamlab.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for command, options in {
        "decode": ["--region"],
        "authz-details": ["--region"],
        "simulate": ["--principal", "--action", "--resource", "--snapshot", "--context"],
    }.items():
        parser = sub.choices[command]
        known = {o for a in parser._actions for o in a.option_strings}
        assert set(options) <= known, command


def test_region_option_goes_into_the_replay(capsys):
    _, out = run(capsys, "why", SCP, "--region", "eu-central-1", "--snapshot", "snap")
    assert (
        "$ iamlab simulate --principal arn:aws:iam::123456789012:user/Matt --action iam:ListRoles "
        "--resource 'arn:aws:iam::123456789012:role/*' --snapshot snap "
        "--region eu-central-1"
    ) in out


def test_region_from_the_resource_arn_goes_into_the_replay(capsys):
    _, out = run(capsys, "why", EC2, "--snapshot", "snap")
    assert "--snapshot snap --region eu-west-1" in out


def test_no_region_known_means_no_region_in_the_replay(capsys):
    _, out = run(capsys, "why", SCP)
    assert "RequestedRegion" not in out


def test_replay_uses_the_action_the_pasted_call_needs(capsys):
    paste = (
        "An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied"
    )
    _, out = run(
        capsys, "why", paste, "--event-source", "s3.amazonaws.com", "--region", "eu-west-1"
    )
    assert (
        "action:    s3:ListBucket (the ListObjectsV2 call needs it; the message names none)" in out
    )
    assert (
        "$ iamlab simulate --principal '<principal-arn>' --action s3:ListBucket --resource '*' "
        "--snapshot '<snapshot-dir>' --region eu-west-1"
    ) in out


def test_go_v2_paste_names_its_service_and_call(capsys):
    paste = (
        "operation error Lambda: Invoke, https response error StatusCode: 403, RequestID: 1, "
        "api error AccessDeniedException: Access Denied"
    )
    status, out = run(capsys, "why", paste)
    assert status == 0
    assert "--action lambda:InvokeFunction" in out


def test_unknown_service_asks_for_the_event_source(capsys):
    paste = "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    _, out = run(capsys, "why", paste)
    assert "--action '<service:Action>'" in out
    assert "pass --event-source" in out


def test_trust_failure_replays_the_services_assume_role(capsys):
    paste = (
        "Error: creating EKS Cluster (k): operation error EKS: CreateCluster, https response error "
        "StatusCode: 400, RequestID: x, InvalidParameterException: Role with arn: "
        "arn:aws:iam::111122223333:role/eks-cluster, could not be assumed because it does not "
        "exist or the trusted entity is not correct"
    )
    status, out = run(capsys, "why", paste, "--region", "us-east-2", "--snapshot", "snap")
    assert status == 0
    assert "session-or-trust (step 6" in out
    assert (
        "$ iamlab simulate --principal eks.amazonaws.com --action sts:AssumeRole --resource "
        "arn:aws:iam::111122223333:role/eks-cluster --snapshot snap "
        "--region us-east-2"
    ) in out
    assert "read the role's trust policy" in out


def test_eks_pod_identity_mentions_tag_session(capsys):
    _, out = run(
        capsys,
        "why",
        "Unauthorized Exception! EKS does not have permissions to assume the associated role.",
        "--error-code",
        "AccessDenied",
    )
    assert (
        "--principal pods.eks.amazonaws.com --action sts:AssumeRole --resource '<role-arn>'" in out
    )
    assert "sts:TagSession" in out


def test_old_sts_form_without_code_is_a_denial(capsys):
    status, out = run(capsys, "why", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    assert status == 0
    assert "action:    sts:AssumeRoleWithWebIdentity" in out


def test_hostile_code_and_operation_are_escaped(capsys):
    paste = (
        "An error occurred (Access\x1b]0;pwned\x07Denied) when calling the Get\x1bObject "
        "operation: Access Denied"
    )
    _, out = run(capsys, "why", paste)
    assert "\x1b" not in out and "\x07" not in out
    _, out = run(capsys, "why", "Request would have succeeded", "--error-code", "Dry\x1b[2JRun")
    assert "\x1b" not in out
