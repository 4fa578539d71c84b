"""Hostile text: red-team canaries whose keys, names and user agents carry markup,
so every output that shows event text must escape it.
"""

from __future__ import annotations

from iamlab.sample.scenarios.messages import no_policy_allows
from iamlab.sample.scenarios.recorder import Recorder, at, s3_denied
from iamlab.sample.traffic.actors import role_identity
from iamlab.sample.traffic.api_infrastructure import ssm_call, sts_get_caller_identity
from iamlab.sample.world.accounts import FINDINGS, OFFICE_IPS, SEC
from iamlab.sample.world.iam import role

HOSTILE_AGENTS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)> aws-cli/2.24.18',
    "Mozilla/5.0 (X11) </td><td onmouseover=alert('ua')>\n\"quoted\" 'single'",
)
PROBE = role_identity(role(SEC, "redteam-probe"), "xss-canary", mfa=True)


def s3_probes(recorder: Recorder) -> None:
    """Two PutObject probes with markup in the key and the user agent (missing-action)."""
    for hms, key, agent in (
        ("14:00:01", '"><img src=x onerror=alert(1)>.txt', HOSTILE_AGENTS[0]),
        ("14:00:09", "notes/line1\n<script>alert('x')</script>", HOSTILE_AGENTS[2]),
    ):
        when = at(3, hms)
        ident = PROBE(recorder.salt, when)
        s3_denied(
            recorder,
            "hostile-probe-s3",
            ident,
            FINDINGS,
            key,
            "PutObject",
            SEC,
            no_policy_allows("identity-based policy", "s3:PutObject"),
            size=64,
            hostile=True,
            when=when,
            ip=OFFICE_IPS[0],
            agent=agent,
        )


def ssm_validation(recorder: Recorder) -> None:
    """A PutParameter whose name is markup, refused by validation (not a denial)."""
    rng = recorder.rng
    when = at(3, "14:00:20")
    bad = "<script>alert(1)</script>"
    recorder.call(
        "hostile-probe-ssm-validation",
        ssm_call(
            rng,
            "eu-west-1",
            "PutParameter",
            name=bad,
            type="String",
            value='"><img src=x onerror=alert(1)>',
            overwrite=False,
        ),
        error=(
            "ValidationException",
            f"1 validation error detected: Value '{bad}' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_.\\-/]+$",
        ),
        hostile=True,
        when=when,
        region="eu-west-1",
        identity=PROBE(recorder.salt, when),
        ip=OFFICE_IPS[0],
        agent=HOSTILE_AGENTS[1],
        recipient=SEC,
    )


def caller_identity(recorder: Recorder) -> None:
    """A successful GetCallerIdentity with a hostile user agent."""
    rng = recorder.rng
    when = at(3, "14:00:30")
    recorder.call(
        None,
        sts_get_caller_identity(rng, "eu-west-1"),
        hostile=True,
        when=when,
        region="eu-west-1",
        identity=PROBE(recorder.salt, when),
        ip=OFFICE_IPS[0],
        agent=HOSTILE_AGENTS[0],
        recipient=SEC,
    )
