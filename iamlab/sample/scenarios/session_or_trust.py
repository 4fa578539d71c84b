"""session-or-trust: a session policy, or the role trust policy, denies."""

from __future__ import annotations

import json

from iamlab.sample.scenarios.messages import denial_message, ec2_denial_message
from iamlab.sample.scenarios.recorder import Recorder, at, both_sides
from iamlab.sample.traffic.actors import CLI_MAC, role_identity
from iamlab.sample.traffic.api_infrastructure import (
    ec2_create_tags,
    ec2_instance_state,
    sts_assume_role,
)
from iamlab.sample.traffic.calls import api_call, hexs
from iamlab.sample.traffic.records import access_key, assumed_role, iso, new_id
from iamlab.sample.world.accounts import OFFICE_IPS, PROD, SEC, sso_role_name
from iamlab.sample.world.iam import role

INSTANCE = "i-0f19a7c3e5b2d4806"
SESSION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowInvestigation", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Sid": "DenyDestructiveActions",
                "Effect": "Deny",
                "Action": [
                    "ec2:TerminateInstances",
                    "ec2:DeleteVolume",
                    "ec2:DeleteSnapshot",
                    "s3:DeleteObject",
                    "s3:DeleteBucket",
                    "iam:Delete*",
                    "kms:ScheduleKeyDeletion",
                ],
                "Resource": "*",
            },
        ],
    }
)


def session_policy_terminate(recorder: Recorder) -> None:
    """Ana assumes IncidentResponder with a session policy, is denied TerminateInstances, and
    quarantines the instance instead."""
    incident = _assume_incident_responder(recorder)
    _terminate_denied(recorder, incident)
    _quarantine(recorder, incident)


def _assume_incident_responder(recorder: Recorder) -> dict:
    """The AssumeRole with the session policy (logged in both accounts, as context); returns the
    session identity."""
    rng = recorder.rng
    audit = role(SEC, sso_role_name("SecurityAudit"))
    ir = role(PROD, "IncidentResponder")
    when = at(2, "15:20:04")
    caller = role_identity(audit, "ana.silva@larkspur.io")(recorder.salt, when)
    key = access_key("ASIA", f"{recorder.salt}|ir|ana")
    shared = new_id(rng)
    call = sts_assume_role(
        rng,
        "eu-west-1",
        when,
        ir.arn,
        ir.id,
        "ana.silva",
        key,
        3600,
        policy=SESSION_POLICY,
        source_identity="ana.silva@larkspur.io",
    )
    agent = CLI_MAC.format(cmd="sts.assume-role")
    request_id = new_id(rng)
    for recipient in (PROD, SEC):
        recorder.call(
            "session-policy-terminate",
            call,
            context=True,
            when=when,
            region="eu-west-1",
            identity=caller,
            ip=OFFICE_IPS[0],
            agent=agent,
            recipient=recipient,
            shared_event_id=shared,
            request_id=request_id,
        )
    ir_ident = assumed_role(
        ir.id,
        ir.arn,
        ir.name,
        PROD,
        "ana.silva",
        key,
        iso(when),
        mfa=True,
        source_identity="ana.silva@larkspur.io",
    )
    return ir_ident


def _terminate_denied(recorder: Recorder, ir_ident: dict) -> None:
    """TerminateInstances refused by the session policy."""
    rng = recorder.rng
    iid = INSTANCE
    for hms in ("15:26:51", "15:27:30"):
        msg = ec2_denial_message(
            rng,
            ir_ident["arn"],
            "ec2:TerminateInstances",
            f"arn:aws:ec2:eu-west-1:{PROD}:instance/{iid}",
            "with an explicit deny in a sessions policy.",
        )
        recorder.call(
            "session-policy-terminate",
            ec2_instance_state(rng, "eu-west-1", "TerminateInstances", iid),
            error=("Client.UnauthorizedOperation", msg),
            when=at(2, hms),
            region="eu-west-1",
            identity=ir_ident,
            ip=OFFICE_IPS[0],
            agent=CLI_MAC.format(cmd="ec2.terminate-instances"),
            recipient=PROD,
        )


def _quarantine(recorder: Recorder, ir_ident: dict) -> None:
    """What the responder may do: tag, isolate and snapshot the instance (context)."""
    rng = recorder.rng
    iid = INSTANCE
    for hms, call in (
        ("15:31:02", ec2_create_tags(rng, "eu-west-1", iid, "quarantine", "IR-2026-0311")),
        (
            "15:31:40",
            api_call(
                "ec2.amazonaws.com",
                "ModifyInstanceAttribute",
                False,
                {"instanceId": iid, "groupSet": {"items": [{"groupId": "sg-0d2e8f4a7c1b93650"}]}},
                {"requestId": new_id(rng), "_return": True},
                tls_host="ec2.eu-west-1.amazonaws.com",
            ),
        ),
        (
            "15:33:15",
            api_call(
                "ec2.amazonaws.com",
                "CreateSnapshot",
                False,
                {"volumeId": "vol-0e7b2c9d4a1f36580", "description": "IR-2026-0311 evidence"},
                {
                    "requestId": new_id(rng),
                    "snapshotId": "snap-0" + hexs(rng, 16),
                    "volumeId": "vol-0e7b2c9d4a1f36580",
                    "status": "pending",
                },
                tls_host="ec2.eu-west-1.amazonaws.com",
            ),
        ),
    ):
        recorder.call(
            "session-policy-terminate",
            call,
            context=True,
            when=at(2, hms),
            region="eu-west-1",
            identity=ir_ident,
            ip=OFFICE_IPS[0],
            agent=CLI_MAC.format(cmd="ec2"),
            recipient=PROD,
        )


def trust_policy_prod_deployer(recorder: Recorder, tom: dict) -> None:
    """Tom assumes ProdDeployer; its trust policy denies non-production accounts (both accounts'
    copies)."""
    rng = recorder.rng
    deployer = role(PROD, "ProdDeployer")
    for hms in ("16:05:33", "16:05:58", "16:09:12"):
        when = at(1, hms)
        shared = new_id(rng)
        msg = denial_message(
            tom["arn"],
            "sts:AssumeRole",
            deployer.arn,
            "with an explicit deny in the role trust policy",
        )
        call = sts_assume_role(rng, "us-east-1", when, deployer.arn, deployer.id, "tom-hotfix", "")
        request_id = new_id(rng)
        both_sides(
            recorder,
            "trust-policy-prod-deployer",
            call,
            tom,
            PROD,
            error=("AccessDenied", msg),
            when=when,
            region="us-east-1",
            ip=OFFICE_IPS[1],
            agent=CLI_MAC.format(cmd="sts.assume-role"),
            shared_event_id=shared,
            request_id=request_id,
        )
