"""Offline IAM policy evaluation: AWS's decision and the statement that made it.

Pure: documents and a request in, a ``Decision`` and its explanation out; no
I/O, no DuckDB, no boto3.

    >>> from iamlab.policy import evaluate, Request, PolicySet
    >>> d = evaluate(Request("arn:aws:iam::111122223333:user/alice", "s3:GetObject",
    ...                      "arn:aws:s3:::reports/q1.csv", "111122223333"),
    ...              PolicySet.from_dict({"identity": [{"Version": "2012-10-17", "Statement":
    ...                  {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}}]}))
    >>> d.decision
    'allow'
"""

from iamlab.policy._compile import CompiledPolicy, Problem, parse_policy, validate
from iamlab.policy._evaluate import evaluate
from iamlab.policy._layers import clear_caches
from iamlab.policy.decision import ConditionResult, Decision, LayerResult, StatementResult
from iamlab.policy.request import Policy, PolicySet, Request

__all__ = [
    "evaluate",
    "Decision",
    "LayerResult",
    "StatementResult",
    "ConditionResult",
    "Request",
    "Policy",
    "PolicySet",
    "validate",
    "parse_policy",
    "CompiledPolicy",
    "Problem",
    "clear_caches",
]
