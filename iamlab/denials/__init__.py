"""Denials: which events are access denials, what AWS said, and the reported cause.

``parse`` reads one message; ``install``/``frame``/``summary`` do the same for
every event of a workspace inside DuckDB (``denials.sql``); ``advise`` turns a
parsed message into the next investigation step.
"""

from __future__ import annotations

from iamlab.denials.advice import Advice, advise
from iamlab.denials.grammar import CAUSES, POLICY_TYPES
from iamlab.denials.parse import FIELDS, ParsedDenial, parse
from iamlab.denials.sql import frame, install, summary

__all__ = [
    "CAUSES",
    "FIELDS",
    "POLICY_TYPES",
    "Advice",
    "ParsedDenial",
    "advise",
    "frame",
    "install",
    "parse",
    "summary",
]
