"""vpc-endpoint: the VPC endpoint policy refuses the call."""

from __future__ import annotations

from iamlab.sample.scenarios.recorder import Recorder, at
from iamlab.sample.traffic.records import aws_account
from iamlab.sample.world.accounts import DEV, DEV_REPORTING_SECRET, PROD, PROD_SECRETS_VPCE
from iamlab.sample.world.iam import role


def secrets(recorder: Recorder) -> None:
    """reporting-batch reads a dev secret through the prod Secrets Manager endpoint, which allows
    prod secrets only."""
    batch = role(PROD, "reporting-batch-role")
    for hms in ("07:10:03", "07:10:04", "07:10:06"):
        recorder.add(
            "vpc-endpoint-secrets",
            version="1.09",
            source="secretsmanager.amazonaws.com",
            name="GetSecretValue",
            when=at(2, hms),
            region="eu-west-1",
            identity=aws_account(f"{batch.id}:i-0b7d2e9f4a1c6d385", PROD),
            ip="10.40.12.88",
            agent="aws-sdk-go-v2/1.36.1 ua/2.1 os/linux lang/go#1.23.6 md/GOOS#linux md/GOARCH#arm64 api/secretsmanager#1.34.7",
            recipient=PROD,
            read_only=True,
            error=("VpceAccessDenied", "The request was denied due to a VPC endpoint policy"),
            event_type="AwsVpceEvent",
            category="NetworkActivity",
            vpce=(PROD_SECRETS_VPCE, PROD),
            resources=[
                {
                    "accountId": DEV,
                    "type": "AWS::SecretsManager::Secret",
                    "ARN": DEV_REPORTING_SECRET,
                }
            ],
        )
