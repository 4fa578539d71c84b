"""The events that issued the sessions the sample's denials were made with.

A replay reads a session's policy from the call that issued it, and coverage
lists a denial whose issuing call is missing. Each session below is issued a
little before its first call, with the access key its calls carry (the key a
role session's calls use comes from ``traffic.actors.role_identity``): the data
engineers' and Sam's through Identity Center (AssumeRoleWithSAML in the
account, 12 hours), the red-team canary by Jonas with AssumeRole (one hour).
"""

from __future__ import annotations

from iamlab.sample.scenarios.daily import saml_sign_in
from iamlab.sample.scenarios.hostile import PROBE
from iamlab.sample.scenarios.recorder import Recorder, at
from iamlab.sample.traffic.actors import CLI_MAC, role_identity, sso_session
from iamlab.sample.traffic.api_infrastructure import sts_assume_role
from iamlab.sample.world.accounts import DEV, HOME_IPS, OFFICE_IPS, PROD, SEC, sso_role_name
from iamlab.sample.world.iam import role

# (account, permission set, person, day, time, IP): the sign-ins behind the denials of
# 11 March (Priya's payroll read, Luis's decrypt and delete, Priya again from home after her
# morning session expired at 19:15, Sam's launch in Sydney)
SIGN_INS = (
    (PROD, "DataEngineer", "luis.ortega", 2, "07:05:48", OFFICE_IPS[2]),
    (PROD, "DataEngineer", "priya.nair", 2, "07:14:37", OFFICE_IPS[2]),
    (DEV, "AdministratorAccess", "sam.okafor", 2, "12:14:52", OFFICE_IPS[2]),
    (PROD, "DataEngineer", "priya.nair", 2, "19:38:44", HOME_IPS["priya"]),
)


def sso_sign_ins(recorder: Recorder) -> None:
    """Identity Center sign-ins that issued the denied permission-set sessions."""
    for account, permission_set, person, day, hms, ip in SIGN_INS:
        sso_role = role(account, sso_role_name(permission_set))
        session = sso_session(person)
        when = at(day, hms)
        key = role_identity(sso_role, session)(recorder.salt, when)["accessKeyId"]
        saml_sign_in(recorder, sso_role, session, when, key, ip)


def canary_assume_role(recorder: Recorder) -> None:
    """Jonas (security account, AdministratorAccess, MFA as the trust requires) assumes
    redteam-probe as xss-canary just before the canary's calls of 12 March 14:00."""
    when = at(3, "13:58:30")
    probe = role(SEC, "redteam-probe")
    jonas = role_identity(
        role(SEC, sso_role_name("AdministratorAccess")), sso_session("jonas.berg"), mfa=True
    )(recorder.salt, when)
    recorder.call(
        None,
        sts_assume_role(
            recorder.rng,
            "eu-west-1",
            when,
            probe.arn,
            probe.id,
            "xss-canary",
            PROBE(recorder.salt, when)["accessKeyId"],
        ),
        when=when,
        region="eu-west-1",
        identity=jonas,
        ip=OFFICE_IPS[0],
        agent=CLI_MAC.format(cmd="sts.assume-role"),
        recipient=SEC,
    )
