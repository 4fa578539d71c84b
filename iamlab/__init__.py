"""iamlab: why was this AWS request denied, and what exactly fixes it?

The public API is listed in ``__all__``. Names are imported lazily on first
use, so ``import iamlab`` does no work and pulls in neither DuckDB nor boto3.
"""

from __future__ import annotations

from iamlab._lazy import lazy_names
from iamlab.errors import (
    AwsError,
    IamlabError,
    InputError,
    MissingDependency,
    PolicyError,
    ReadOnlyViolation,
    SnapshotError,
)

__version__ = "0.1.0"

# public name -> (module, name there)
_LAZY = {
    # workspace: evidence in, tables out
    "Workspace": ("iamlab.workspace", "Workspace"),
    "WorkspaceBusy": ("iamlab.database", "WorkspaceBusy"),
    "LoadReport": ("iamlab.trail.report", "LoadReport"),
    # denials: what AWS said
    "parse_denial": ("iamlab.denials", "parse"),
    "ParsedDenial": ("iamlab.denials", "ParsedDenial"),
    # snapshot: the IAM configuration at a point in time
    "load_snapshot": ("iamlab.snapshot", "load"),
    "Snapshot": ("iamlab.snapshot", "Snapshot"),
    "simulate": ("iamlab.snapshot", "simulate"),
    "Simulation": ("iamlab.snapshot", "Simulation"),
    # policy: the offline evaluation engine
    "evaluate": ("iamlab.policy", "evaluate"),
    "validate": ("iamlab.policy", "validate"),
    "Decision": ("iamlab.policy", "Decision"),
    "Request": ("iamlab.policy", "Request"),
    "Policy": ("iamlab.policy", "Policy"),
    "PolicySet": ("iamlab.policy", "PolicySet"),
    # diagnose: every denial replayed, with its cause, verdict and proven fix
    "diagnose": ("iamlab.diagnose", "diagnose_all"),
    "Diagnosis": ("iamlab.diagnose", "Diagnosis"),
    # aws: read-only calls
    "whoami": ("iamlab.aws", "whoami"),
    "collect": ("iamlab.aws", "collect"),
}

__all__ = [
    "IamlabError", "InputError", "PolicyError", "SnapshotError", "AwsError",
    "ReadOnlyViolation", "MissingDependency", "__version__",
]  # fmt: skip
__all__ += list(_LAZY)


__getattr__, __dir__ = lazy_names("iamlab", _LAZY, globals())
