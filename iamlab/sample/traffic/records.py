"""Building blocks of one CloudTrail record: ids, keys, identities, the record itself.

Fields follow the CloudTrail record contents page (aws-facts.md section 2):
fields newer than the record's eventVersion are left out (managementEvent
from 1.06, eventCategory from 1.07, tlsDetails and
sessionCredentialFromConsole from 1.08, vpcEndpointAccountId from 1.09).
"""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from datetime import datetime
from functools import lru_cache

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ALNUM = string.ascii_letters + string.digits
_URLSAFE = _ALNUM + "-_"


def new_id(rng: random.Random) -> str:
    """A version-4 UUID string drawn from a seeded generator."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def token(rng: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    """n random characters from alphabet."""
    return "".join(rng.choices(alphabet, k=n))


def s3_request_id(rng: random.Random) -> str:
    return token(rng, 16, "0123456789ABCDEF")


def amz_id_2(rng: random.Random) -> str:
    return token(rng, 76, _ALNUM + "+/") + "="


def encoded_message(rng: random.Random) -> str:
    """An opaque EC2 encoded authorization message (decodable only by AWS in reality)."""
    return token(rng, 716, _URLSAFE)


@lru_cache(maxsize=4096)
def access_key(prefix: str, label: str) -> str:
    """A stable access key id (AKIA long-term, ASIA session) derived from a label."""
    digest = hashlib.sha256(label.encode()).digest()
    return prefix + "".join(_B32[b % 32] for b in digest[:16])


def iso(when: datetime) -> str:
    """CloudTrail's time format: YYYY-MM-DDTHH:MM:SSZ."""
    return (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d}"
        f"T{when.hour:02d}:{when.minute:02d}:{when.second:02d}Z"
    )


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def record(
    *,
    rng: random.Random,
    version: str,
    when: datetime,
    source: str,
    name: str,
    region: str,
    identity: dict,
    ip: str,
    agent: str,
    recipient: str,
    read_only: bool | None,
    params: dict | None = None,
    response: dict | None = None,
    error: tuple[str, str] | None = None,
    additional: dict | None = None,
    resources: list[dict] | None = None,
    event_type: str = "AwsApiCall",
    category: str = "Management",
    request_id: str | None = None,
    tls_host: str | None = None,
    console: bool = False,
    vpce: tuple[str, str] | None = None,
    shared_event_id: str | None = None,
    service_details: dict | None = None,
    api_version: str | None = None,
) -> dict:
    """One CloudTrail record with keys in CloudTrail's order."""
    minor = _minor(version)
    rec: dict = {
        "eventVersion": version,
        "userIdentity": identity,
        "eventTime": iso(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": agent,
    }
    if error is not None:
        rec["errorCode"], rec["errorMessage"] = error
    rec["requestParameters"] = params
    rec["responseElements"] = response
    if additional is not None:
        rec["additionalEventData"] = additional
    rec["requestID"] = request_id or new_id(rng)
    rec["eventID"] = new_id(rng)
    if read_only is not None:
        rec["readOnly"] = read_only
    if resources is not None:
        rec["resources"] = resources
    rec["eventType"] = event_type
    if api_version:
        rec["apiVersion"] = api_version
    if minor >= 6:
        rec["managementEvent"] = category == "Management"
    rec["recipientAccountId"] = recipient
    if shared_event_id:
        rec["sharedEventID"] = shared_event_id
    if vpce:
        rec["vpcEndpointId"] = vpce[0]
        if minor >= 9:
            rec["vpcEndpointAccountId"] = vpce[1]
    if service_details is not None:
        rec["serviceEventDetails"] = service_details
    if minor >= 7:
        rec["eventCategory"] = category
    if minor >= 8 and tls_host:
        rec["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": tls_host,
        }
    if minor >= 8 and console:
        rec["sessionCredentialFromConsole"] = "true"
    return rec


# ---- userIdentity builders (aws-facts.md 2.2) -----------------------------------------


def iam_user(
    user_id: str, arn: str, account: str, name: str, key: str, console_since: str | None = None
) -> dict:
    ident = {
        "type": "IAMUser",
        "principalId": user_id,
        "arn": arn,
        "accountId": account,
        "accessKeyId": key,
        "userName": name,
    }
    if console_since:
        ident["sessionContext"] = {
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": console_since, "mfaAuthenticated": "true"},
        }
    return ident


def assumed_role(
    role_id: str,
    role_arn: str,
    role_name: str,
    account: str,
    session: str,
    key: str,
    since: str,
    mfa: bool = False,
    invoked_by: str | None = None,
    source_identity: str | None = None,
    web_federation: dict | None = None,
    ec2_delivery: str | None = None,
) -> dict:
    ident = {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
        "accountId": account,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": role_arn,
                "accountId": account,
                "userName": role_name,
            },
            "webIdFederationData": web_federation or {},
            "attributes": {"creationDate": since, "mfaAuthenticated": "true" if mfa else "false"},
        },
    }
    if source_identity:
        ident["sessionContext"]["sourceIdentity"] = source_identity
    if ec2_delivery:
        ident["sessionContext"]["ec2RoleDelivery"] = ec2_delivery
    if invoked_by:
        ident["invokedBy"] = invoked_by
    return ident


def root(account: str, alias: str | None = None, key: str = "") -> dict:
    ident = {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
        "accessKeyId": key,
    }
    if alias:
        ident["userName"] = alias
    return ident


def aws_service(service: str) -> dict:
    return {"type": "AWSService", "invokedBy": service}


def aws_account(principal_id: str, account: str, invoked_by: str | None = None) -> dict:
    ident = {"type": "AWSAccount", "principalId": principal_id, "accountId": account}
    if invoked_by:
        ident["invokedBy"] = invoked_by
    return ident
