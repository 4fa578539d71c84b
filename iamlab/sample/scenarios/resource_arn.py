"""resource-arn: the action is allowed, but not on this resource ARN."""

from __future__ import annotations

from iamlab.sample.scenarios.messages import no_policy_allows
from iamlab.sample.scenarios.recorder import Recorder, at, denied, s3_denied
from iamlab.sample.traffic.actors import BOTO3_LAMBDA, CLI_MAC, IdentityAt, role_identity
from iamlab.sample.traffic.api_applications import dynamodb_call
from iamlab.sample.world.accounts import DATA_LAKE, OFFICE_IPS, PROD
from iamlab.sample.world.iam import role


def s3_payroll(recorder: Recorder, priya: IdentityAt) -> None:
    """Priya reads a payroll object outside the prefixes her permission set allows."""
    cli = CLI_MAC.format
    key = "finance/payroll/2026-02.parquet"
    for hms in ("09:41:17", "09:41:52", "09:43:30"):
        when = at(2, hms)
        ident = priya(recorder.salt, when)
        s3_denied(
            recorder,
            "resource-arn-s3-payroll",
            ident,
            DATA_LAKE,
            key,
            "GetObject",
            PROD,
            no_policy_allows("identity-based policy", "s3:GetObject"),
            when=when,
            ip=OFFICE_IPS[0],
            agent=cli(cmd="s3.cp"),
        )


def dynamodb_index(recorder: Recorder) -> None:
    """orders-api queries a table index its role grants only the table for."""
    rng = recorder.rng
    orders = role_identity(role(PROD, "orders-api-lambda-role"), "orders-api")
    index_arn = f"arn:aws:dynamodb:eu-west-1:{PROD}:table/orders/index/by-customer"
    for hms in ("13:05:11", "13:05:12", "13:06:14", "13:06:15", "13:08:19", "13:08:20"):
        when = at(2, hms)
        ident = orders(recorder.salt, when)
        denied(
            recorder,
            "resource-arn-dynamodb-index",
            dynamodb_call(
                rng,
                "eu-west-1",
                "Query",
                f"arn:aws:dynamodb:eu-west-1:{PROD}:table/orders",
                index="by-customer",
            ),
            ident,
            "AccessDeniedException",
            "dynamodb:Query",
            index_arn,
            no_policy_allows("identity-based policy", "dynamodb:Query"),
            when=when,
            ip="34.246.17.88",
            agent=BOTO3_LAMBDA,
            recipient=PROD,
        )
