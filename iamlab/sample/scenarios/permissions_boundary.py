"""permissions-boundary: the user's boundary does not allow what its policies do."""

from __future__ import annotations

from iamlab.sample.scenarios.messages import no_policy_allows
from iamlab.sample.scenarios.recorder import Recorder, at, denied
from iamlab.sample.traffic.actors import CLI_MAC, CONSOLE_FF, IdentityAt
from iamlab.sample.traffic.api_infrastructure import secrets_call
from iamlab.sample.world.accounts import DEV, DEV_API_SECRET, OFFICE_IPS


def secrets(recorder: Recorder, dana: IdentityAt, tom: dict) -> None:
    """Dana reads the dev API secret; her boundary does not allow it. Tom, without a boundary, reads
    it fine."""
    rng = recorder.rng
    cli = CLI_MAC.format
    for hms in ("14:10:22", "14:11:03"):
        when = at(1, hms)
        ident = dana(recorder.salt, when)
        denied(
            recorder,
            "permissions-boundary-secrets",
            secrets_call(rng, "eu-west-1", "GetSecretValue", DEV_API_SECRET),
            ident,
            "AccessDeniedException",
            "secretsmanager:GetSecretValue",
            DEV_API_SECRET,
            no_policy_allows("permissions boundary", "secretsmanager:GetSecretValue"),
            when=when,
            ip=OFFICE_IPS[2],
            agent=CONSOLE_FF,
            recipient=DEV,
            console=True,
        )
    when = at(1, "14:25:40")  # Tom (no boundary) reads it fine
    recorder.call(
        None,
        secrets_call(rng, "eu-west-1", "GetSecretValue", DEV_API_SECRET),
        when=when,
        region="eu-west-1",
        identity=tom,
        ip=OFFICE_IPS[1],
        agent=cli(cmd="secretsmanager.get-secret-value"),
        recipient=DEV,
    )
