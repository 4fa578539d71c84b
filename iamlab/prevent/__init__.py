"""Prevention: where the evidence is dark (``coverage``) and the narrower policy the evidence
supports (``least_privilege``). Pure functions over a workspace connection and a snapshot."""

from __future__ import annotations

from iamlab.prevent.coverage import Coverage, account_days, coverage, gaps_for

__all__ = ["Coverage", "account_days", "coverage", "gaps_for"]
