"""missing-action: an identity policy allows too little, so the call is implicitly denied."""

from __future__ import annotations

from iamlab.sample.scenarios.messages import no_policy_allows
from iamlab.sample.scenarios.recorder import Recorder, at, denied
from iamlab.sample.traffic.actors import CLI_MAC
from iamlab.sample.traffic.api_applications import lambda_call
from iamlab.sample.world.accounts import DEV, INVOICE_FN, OFFICE_IPS


def lambda_config(recorder: Recorder, tom: dict) -> None:
    """Tom cannot change the timeout of invoice-render (no identity policy allows
    lambda:UpdateFunctionConfiguration)."""
    rng = recorder.rng
    cli = CLI_MAC.format
    for hms in ("10:12:03", "10:12:44", "10:14:08"):
        denied(
            recorder,
            "missing-action-lambda-config",
            lambda_call(
                rng,
                "eu-west-1",
                "UpdateFunctionConfiguration",
                "invoice-render",
                timeout=60,
                memorySize=1024,
            ),
            tom,
            "AccessDeniedException",
            "lambda:UpdateFunctionConfiguration",
            INVOICE_FN,
            no_policy_allows("identity-based policy", "lambda:UpdateFunctionConfiguration"),
            when=at(1, hms),
            ip=OFFICE_IPS[1],
            agent=cli(cmd="lambda.update-function-configuration"),
            recipient=DEV,
        )
