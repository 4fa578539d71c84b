"""IAM configuration at a point in time: load a snapshot folder, get the policy layers.

``load(dir)`` returns a ``Snapshot``; ``Snapshot.policies_for(principal, action,
resource)`` returns the ``PolicySet`` the evaluation engine takes, and
``simulate(...)`` runs the engine over it.

A snapshot written by hand with the AWS CLI (``iamlab collect`` writes the same)::

    snapshot/accounts/<acct>/authorization-details.json
        aws iam get-account-authorization-details --output json
        (pages may also be a JSON list, appended one after another, or
        authorization-details-1.json, -2.json, ...)
    snapshot/accounts/<acct>/resource-policies/s3/<bucket>.json
        aws s3api get-bucket-policy --bucket <bucket>      (the file name gives the ARN)
    snapshot/accounts/<acct>/resource-policies/sqs/<queue>.json
        aws sqs get-queue-attributes --queue-url <url> --attribute-names Policy QueueArn
    snapshot/accounts/<acct>/resource-policies/sns/<topic>.json
        aws sns get-topic-attributes --topic-arn <arn>
    snapshot/accounts/<acct>/resource-policies/secretsmanager/<name>.json
        aws secretsmanager get-resource-policy --secret-id <id>
    snapshot/accounts/<acct>/resource-policies/{kms,lambda,...}/<name>.json
        {"Arn": "<key or function ARN>", "Policy": <get-key-policy / get-policy Policy>}
        (KMS: add "Aliases": [...] or save `aws kms list-aliases` as kms/aliases.json)
    snapshot/accounts/<acct>/resource-policies/{dynamodb,ecr,...}/<name>.json
        {"Arn": "<table, stream or repository ARN>", "Policy": <dynamodb get-resource-policy
        Policy / ecr get-repository-policy policyText>}; a resource without a policy has no file
    snapshot/manifest.json (optional)
        "resource_policy_services": ["dynamodb", "ecr", ...]: the services besides S3, KMS,
        Lambda, SQS, SNS and Secrets Manager whose policies were read (or give each account a
        resource-policies/<service>/ folder, empty when none has a policy); any other service
        that carries resource policies has an unknown resource layer (iamlab.snapshot.gaps).
        "organization": false when the accounts are in no organization; "failed_calls": [...]
    snapshot/organization/organization.json   aws organizations describe-organization
    snapshot/organization/tree.json           {"Roots": [...list-roots...],
        "OrganizationalUnits": [{..., "ParentId"}], "Accounts": [{..., "ParentId"}]}
    snapshot/organization/policies/<id>.json  aws organizations describe-policy --policy-id <id>
        plus "Targets": the Targets of list-targets-for-policy --policy-id <id>
"""

from iamlab.snapshot.principals import Principal
from iamlab.snapshot.simulate import Simulation, simulate
from iamlab.snapshot.snapshot import Snapshot, StatementRef, load

__all__ = ["load", "Snapshot", "Principal", "StatementRef", "simulate", "Simulation"]
