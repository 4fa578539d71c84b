"""The sample's policy documents, written out by hand, one module per kind.

``aws_managed`` (AWS managed policies), ``identity`` and ``identity_prod``
(customer identity policies and boundaries), ``trust`` (role trust policies),
``organization`` (SCPs and RCPs), ``resources`` (bucket, key, function, queue,
topic, secret and VPC endpoint policies). The labels name Sids from these
documents; change one and the labels (and the tests that check them) must
change with it.
"""

from __future__ import annotations

VERSION = "2012-10-17"


def doc(*statements: dict) -> dict:
    """A policy document with the current language version."""
    return {"Version": VERSION, "Statement": list(statements)}
