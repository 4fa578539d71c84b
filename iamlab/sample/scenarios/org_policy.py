"""org-policy: a service or resource control policy of the organization denies."""

from __future__ import annotations

from datetime import timedelta

from iamlab.sample.scenarios.messages import denial_message, ec2_denial_message
from iamlab.sample.scenarios.recorder import Recorder, at
from iamlab.sample.traffic.actors import BOTO3_LAMBDA, CONSOLE_UA, IdentityAt, role_identity
from iamlab.sample.traffic.api_infrastructure import ec2_run_instances, secrets_call
from iamlab.sample.world.accounts import (
    DEV,
    HOME_IPS,
    PROD,
    WAREHOUSE_SECRET,
    rcp_arn,
    scp_arn,
    sso_role_name,
)
from iamlab.sample.world.iam import role


def scp_region(recorder: Recorder) -> None:
    """Sam launches an instance in ap-southeast-2; the approved-regions SCP denies it."""
    rng = recorder.rng
    sam_dev = role_identity(
        role(DEV, sso_role_name("AdministratorAccess")), "sam.okafor@larkspur.io"
    )
    for hms in ("16:45:09", "16:45:31", "16:47:02"):
        when = at(2, hms)
        ident = sam_dev(recorder.salt, when)
        msg = ec2_denial_message(
            rng,
            ident["arn"],
            "ec2:RunInstances",
            f"arn:aws:ec2:ap-southeast-2:{DEV}:instance/*",
            f"with an explicit deny in a service control policy: {scp_arn('p-3rgn8x2k')}.",
        )
        recorder.call(
            "org-policy-scp-region",
            ec2_run_instances(
                rng,
                "ap-southeast-2",
                DEV,
                "subnet-0b71d4e9c2a6f3185",
                "sg-07a2c9e4b1d6f8305",
                ami="ami-0c7e41b9d2f6a3805",
                itype="t3.micro",
            ),
            error=("Client.UnauthorizedOperation", msg),
            when=when,
            region="ap-southeast-2",
            identity=ident,
            ip=HOME_IPS["sam"],
            agent=CONSOLE_UA,
            recipient=DEV,
            console=True,
        )


def rcp_secrets(recorder: Recorder, priya: IdentityAt) -> None:
    """Priya reads the warehouse secret from home; the secrets perimeter RCP denies it."""
    rng = recorder.rng
    for hms in ("19:40:12", "19:40:13", "19:40:15", "19:40:19", "19:40:27"):
        when = at(2, hms)
        ident = priya(recorder.salt, when + timedelta(hours=1))
        msg = denial_message(
            ident["arn"],
            "secretsmanager:GetSecretValue",
            WAREHOUSE_SECRET,
            f"with an explicit deny in a resource control policy: {rcp_arn('p-9rcpn4tw')}",
        )
        recorder.call(
            "org-policy-rcp-secrets",
            secrets_call(rng, "eu-west-1", "GetSecretValue", "prod/warehouse/db-credentials"),
            error=("AccessDeniedException", msg),
            when=when,
            region="eu-west-1",
            identity=ident,
            ip=HOME_IPS["priya"],
            agent=BOTO3_LAMBDA.replace("exec-env/AWS_Lambda_python3.12 ", "").replace(
                "os/linux#5.10.234-225.895.amzn2.x86_64", "os/macos#24.3.0"
            ),
            recipient=PROD,
        )
