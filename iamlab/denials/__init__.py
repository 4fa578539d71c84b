"""Denials: which events are access denials, what AWS said, and the reported cause.

``parse`` reads one message (CloudTrail's, or one pasted from an SDK, the CLI,
Terraform or CloudFormation); ``install``/``frame``/``summary`` do the same for
every event of a workspace inside DuckDB (``denials.sql``, whose exact
single-message twin is ``read_message``); ``iam_action`` maps an API call to
its IAM action; ``advise`` turns a parsed message into the next step.
"""

from __future__ import annotations

from iamlab.denials.actions import iam_action
from iamlab.denials.advice import Advice, advise
from iamlab.denials.grammar import CAUSES, POLICY_TYPES
from iamlab.denials.parse import FIELDS, ParsedDenial, parse, read_message
from iamlab.denials.sql import frame, install, summary

__all__ = [
    "CAUSES",
    "FIELDS",
    "POLICY_TYPES",
    "Advice",
    "ParsedDenial",
    "advise",
    "frame",
    "iam_action",
    "install",
    "parse",
    "read_message",
    "summary",
]
