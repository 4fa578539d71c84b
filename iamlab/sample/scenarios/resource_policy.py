"""resource-policy: the resource owner's policy does not grant the caller."""

from __future__ import annotations

from iamlab.sample.scenarios.messages import denial_message, no_policy_allows
from iamlab.sample.scenarios.recorder import Recorder, at, both_sides, denied
from iamlab.sample.traffic.actors import BOTO3_LAMBDA, CLI_MAC, IdentityAt, role_identity
from iamlab.sample.traffic.api_infrastructure import kms_call, s3_object
from iamlab.sample.traffic.records import new_id
from iamlab.sample.world.accounts import DEV, EXPORTS, KMS_KEY_ARN, OFFICE_IPS, PROD
from iamlab.sample.world.iam import role


def cross_account_s3(recorder: Recorder) -> None:
    """invoice-render (dev) reads a template from the prod exports bucket, whose policy does not
    grant it."""
    rng = recorder.rng
    inv = role(DEV, "invoice-render-lambda-role")
    inv_id = role_identity(inv, "invoice-render")
    key = "templates/invoice.html"
    for hms in ("12:00:04", "12:00:05", "12:01:07", "12:03:09"):
        when = at(1, hms)
        ident = inv_id(recorder.salt, when)
        shared = new_id(rng)
        msg = denial_message(
            ident["arn"],
            "s3:GetObject",
            f"arn:aws:s3:::{EXPORTS}/{key}",
            no_policy_allows("resource-based policy", "s3:GetObject"),
            quote=True,
        )
        call = s3_object(rng, "eu-west-1", EXPORTS, key, "GetObject", PROD, 0)
        both_sides(
            recorder,
            "resource-policy-cross-account-s3",
            call,
            ident,
            PROD,
            error=("AccessDenied", msg),
            when=when,
            region="eu-west-1",
            ip="54.78.201.33",
            agent=BOTO3_LAMBDA,
            shared_event_id=shared,
        )


def kms_key(recorder: Recorder, luis: IdentityAt) -> None:
    """Luis decrypts with the data-lake key, whose key policy does not grant him."""
    rng = recorder.rng
    for hms in ("10:05:44", "10:06:02", "10:09:37"):
        when = at(2, hms)
        ident = luis(recorder.salt, when)
        denied(
            recorder,
            "resource-policy-kms-key",
            kms_call(rng, "eu-west-1", "Decrypt", KMS_KEY_ARN, {"dataset": "restricted/ssn-map"}),
            ident,
            "AccessDeniedException",
            "kms:Decrypt",
            KMS_KEY_ARN,
            no_policy_allows("resource-based policy", "kms:Decrypt"),
            when=when,
            ip=OFFICE_IPS[2],
            agent=CLI_MAC.format(cmd="kms.decrypt"),
            recipient=PROD,
        )
