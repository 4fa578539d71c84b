"""IAM configuration at a point in time: load a snapshot folder, get the policy layers.

``load(dir)`` returns a ``Snapshot``; ``Snapshot.policies_for(principal, action,
resource)`` returns the ``PolicySet`` the evaluation engine takes, and
``simulate(...)`` runs the engine over it.
"""

from iamlab.snapshot.principals import Principal
from iamlab.snapshot.simulate import Simulation, simulate
from iamlab.snapshot.snapshot import Snapshot, StatementRef, load

__all__ = ["load", "Snapshot", "Principal", "StatementRef", "simulate", "Simulation"]
