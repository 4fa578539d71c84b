"""iamlab: why was this AWS request denied, and what exactly fixes it?

The public API is listed in ``__all__``. Names are imported lazily on first
use, so ``import iamlab`` does no work and pulls in neither DuckDB nor boto3.
"""

from __future__ import annotations

import importlib
from typing import Any

from iamlab.errors import IamlabError

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "Request": "iamlab.policy.request",
    "Policy": "iamlab.policy.request",
    "PolicySet": "iamlab.policy.request",
}

__all__ = ["IamlabError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'iamlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
