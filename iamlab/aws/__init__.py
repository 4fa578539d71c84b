"""The only part of iamlab that talks to AWS: read-only, evidence saved to disk.

Every client comes from ``iamlab.aws.readonly`` and refuses operations off
its allow-list before anything is sent. Names are imported lazily so that
``import iamlab.aws`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "session": "iamlab.aws.readonly",
    "client": "iamlab.aws.readonly",
    "ALLOWED_OPERATIONS": "iamlab.aws.readonly",
    "whoami": "iamlab.aws.identity",
    "Identity": "iamlab.aws.identity",
    "collect": "iamlab.aws.collector",
    "Manifest": "iamlab.aws.collector",
    "lookup_events": "iamlab.aws.lookup",
    "LookupResult": "iamlab.aws.lookup",
    "lake_query": "iamlab.aws.lake",
    "LakeResult": "iamlab.aws.lake",
    "decode_message": "iamlab.aws.decode",
    "DecodedMessage": "iamlab.aws.decode",
    "simulate_principal": "iamlab.aws.simulate",
    "simulate_custom": "iamlab.aws.simulate",
    "SimulatorAnswer": "iamlab.aws.simulate",
    "authorization_details": "iamlab.aws.authz",
    "authorization_policy": "iamlab.aws.authz",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'iamlab.aws' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
