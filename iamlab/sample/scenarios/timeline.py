"""Every scenario and daily event of the sample, in the order they are drawn.

One RNG (the recorder's) serves every step, so this order is part of the
output: moving a step changes every event after it.
"""

from __future__ import annotations

from iamlab.sample.scenarios import (
    explicit_deny,
    hostile,
    issuing,
    missing_action,
    not_denials,
    org_policy,
    permissions_boundary,
    resource_arn,
    resource_policy,
    rollout,
    session_or_trust,
    undetailed,
    vpc_endpoint,
)
from iamlab.sample.scenarios.daily import add_daily
from iamlab.sample.scenarios.recorder import Recorder
from iamlab.sample.traffic.actors import role_identity, user_identity
from iamlab.sample.world.accounts import DAYS, DEV, PROD, sso_role_name
from iamlab.sample.world.iam import role, user


def build(seed: int) -> Recorder:
    """Every scenario and daily record for this seed."""
    recorder = Recorder(seed)
    salt = recorder.salt
    tom = user_identity(user(DEV, "tom.reyes"))(salt, DAYS[1])
    dana = user_identity(user(DEV, "dana.kim"), console=True)
    legacy = user_identity(user(PROD, "svc-legacy-reporting"))(salt, DAYS[2])
    ci = user_identity(user(DEV, "ci-deploy"))(salt, DAYS[1])
    data_engineer = role(PROD, sso_role_name("DataEngineer"))
    priya = role_identity(data_engineer, "priya.nair@larkspur.io")
    luis = role_identity(data_engineer, "luis.ortega@larkspur.io")

    missing_action.lambda_config(recorder, tom)
    resource_arn.s3_payroll(recorder, priya)
    resource_arn.dynamodb_index(recorder)
    explicit_deny.iam_create_user(recorder, tom)
    explicit_deny.ec2_internet_gateway(recorder, dana)
    explicit_deny.s3_raw_customers(recorder, legacy)
    explicit_deny.bucket_policy_delete(recorder, luis)
    org_policy.scp_region(recorder)
    not_denials.expired_token(recorder, priya)
    org_policy.rcp_secrets(recorder, priya)
    permissions_boundary.secrets(recorder, dana, tom)
    session_or_trust.session_policy_terminate(recorder)
    session_or_trust.trust_policy_prod_deployer(recorder, tom)
    resource_policy.cross_account_s3(recorder)
    resource_policy.kms_key(recorder, luis)
    vpc_endpoint.secrets(recorder)
    undetailed.s3_partner(recorder)
    undetailed.ec2_legacy(recorder, legacy)
    hostile.s3_probes(recorder)
    hostile.ssm_validation(recorder)
    hostile.caller_identity(recorder)
    not_denials.dry_run(recorder, tom)
    not_denials.invalid_token(recorder)
    not_denials.signature_mismatch(recorder, ci)
    not_denials.throttling(recorder, ci)
    not_denials.not_found_s3(recorder)
    not_denials.not_found_lambda(recorder, tom)
    not_denials.signin_failures(recorder)
    add_daily(recorder)
    issuing.sso_sign_ins(recorder)
    issuing.canary_assume_role(recorder)
    rollout.stockholm(recorder)
    return recorder
