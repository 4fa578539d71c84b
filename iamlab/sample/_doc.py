"""Policy document helper shared by the sample's policy modules."""

from __future__ import annotations

V = "2012-10-17"


def doc(*statements: dict) -> dict:
    """A policy document with the current language version."""
    return {"Version": V, "Statement": list(statements)}
