"""The Stockholm rollout: the security account alone starts working in eu-north-1.

On 12 March Ana turns on GuardDuty and Security Hub in eu-north-1 in the
security account, the first step of running them in every Region; the member
accounts are to follow the next week. No other account has evidence in that
Region, so coverage reports (account, eu-north-1) dark for the management,
production and development accounts: by design, the sample's dark Region.
"""

from __future__ import annotations

from iamlab.sample.scenarios.recorder import Recorder, at
from iamlab.sample.traffic.actors import CONSOLE_UA, role_identity, sso_session
from iamlab.sample.traffic.calls import api_call, hexs
from iamlab.sample.world.accounts import OFFICE_IPS, ROLLOUT_REGION, SEC, sso_role_name
from iamlab.sample.world.iam import role


def _calls(detector: str) -> list[tuple[str, dict]]:
    """(time on 12 March, call) of the rollout, in order."""
    region = ROLLOUT_REGION
    guardduty = f"guardduty.{region}.amazonaws.com"
    hub = f"securityhub.{region}.amazonaws.com"
    hub_arn = f"arn:aws:securityhub:{region}:{SEC}:hub/default"
    return [
        (
            "10:02:17",
            api_call("guardduty.amazonaws.com", "ListDetectors", True, tls_host=guardduty),
        ),
        (
            "10:02:41",
            api_call(
                "guardduty.amazonaws.com",
                "CreateDetector",
                False,
                {"enable": True, "findingPublishingFrequency": "FIFTEEN_MINUTES"},
                {"detectorId": detector},
                tls_host=guardduty,
            ),
        ),
        (
            "10:02:44",
            api_call(
                "guardduty.amazonaws.com",
                "GetDetector",
                True,
                {"detectorId": detector},
                tls_host=guardduty,
            ),
        ),
        (
            "10:05:09",
            api_call(
                "securityhub.amazonaws.com",
                "EnableSecurityHub",
                False,
                {"EnableDefaultStandards": True, "ControlFindingGenerator": "SECURITY_CONTROL"},
                tls_host=hub,
            ),
        ),
        (
            "10:05:15",
            api_call(
                "securityhub.amazonaws.com",
                "DescribeHub",
                True,
                {"HubArn": hub_arn},
                tls_host=hub,
            ),
        ),
    ]


def stockholm(recorder: Recorder) -> None:
    """Ana's GuardDuty and Security Hub set-up in eu-north-1, from the console."""
    admin = role_identity(role(SEC, sso_role_name("AdministratorAccess")), sso_session("ana.silva"))
    for hms, call in _calls(hexs(recorder.rng, 32)):
        when = at(3, hms)
        recorder.call(
            None,
            call,
            when=when,
            region=ROLLOUT_REGION,
            identity=admin(recorder.salt, when),
            ip=OFFICE_IPS[0],
            agent=CONSOLE_UA,
            recipient=SEC,
            console=True,
        )
