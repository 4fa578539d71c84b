"""Shared helpers of the background cast: region mixes, object keys, weighted calls."""

from __future__ import annotations

import hashlib
import uuid

from iamlab.sample.traffic.actors import CONSOLE_UA, Actor, fixed_identity, role_identity
from iamlab.sample.traffic.api_infrastructure import (
    ec2_describe,
    iam_call,
    s3_object,
    sts_assume_role,
)
from iamlab.sample.traffic.records import access_key, aws_service, token
from iamlab.sample.world.accounts import (
    IDENTITY_STORE,
    MGMT,
    OFFICE_IPS,
    sso_role_name,
)
from iamlab.sample.world.iam import role

EU = {"eu-west-1": 1.0}
ALL = {"us-east-1": 0.25, "eu-west-1": 0.45, "eu-central-1": 0.15, "us-west-2": 0.15}
GLOBAL_EU = {"us-east-1": 0.35, "eu-west-1": 0.65}


def _day(rng, when):
    return when.strftime("%Y/%m/%d")


def _obj(bucket, owner, op, key_fn, size=None):
    return lambda rng, region, when: s3_object(
        rng, region, bucket, key_fn(rng, when), op, owner, size
    )


def _curated_key(rng, when):
    return f"curated/orders/{when:%Y/%m/%d}/part-{rng.randint(0, 63):04d}.parquet"


def _raw_key(rng, when):
    return f"raw/clickstream/{when:%Y/%m/%d/%H}/events-{token(rng, 8).lower()}.json.gz"


def _report_key(rng, when):
    return (
        f"reports/daily/{when:%Y-%m-%d}/{rng.choice(['revenue', 'orders', 'refunds', 'churn'])}.csv"
    )


def _partner_key(rng, when):
    return f"partner/brightline/{when:%Y/%m/%d}/orders-{rng.randint(0, 23):02d}.csv.gz"


def _ec2(*ops):
    return [
        (1.0, None, lambda rng, region, when, op=op: ec2_describe(rng, region, op)) for op in ops
    ]


def _w(weight, fn, where=None):
    """A weighted call; where is None (any region), "global" (us-east-1 only) or a region."""
    return (weight, "global" if where is True else where, fn)


def _here(*calls):
    """Pin calls on eu-west-1 resources to eu-west-1."""
    return [(w, where or "eu-west-1", fn) for w, where, fn in calls]


def _identity_center_user(salt: str, when) -> dict:
    """IdentityCenterUser: the portal user acting on its own behalf (one of the staff, by hour)."""
    user_id = str(
        uuid.UUID(
            bytes=hashlib.sha256(f"{salt}|icuser|{when:%d%H}".encode()).digest()[:16], version=4
        )
    )
    return {
        "type": "IdentityCenterUser",
        "accountId": MGMT,
        "onBehalfOf": {"userId": user_id, "identityStoreArn": IDENTITY_STORE},
        "credentialId": access_key("", f"{salt}|cred|{when:%d%H}")[:22],
    }


def _sso_session(person):
    return f"{person}@larkspur.io"


def service_actor(key, account, weight, service, role, source, key_salt) -> Actor:
    """An AWS service (e.g. lambda.amazonaws.com) assuming `role` for `source`, in eu-west-1.

    The session key is derived from `key_salt` and the hour, so each service's keys are stable.
    """
    return Actor(
        key,
        account,
        weight,
        EU,
        fixed_identity(aws_service(service)),
        [
            _w(
                1,
                lambda rng, region, when: sts_assume_role(
                    rng,
                    region,
                    when,
                    role.arn,
                    role.id,
                    source,
                    access_key("ASIA", f"{key_salt}|{when:%Y%m%d%H}"),
                ),
            )
        ],
        agents=(service,),
        ips=(service,),
        service_agent=True,
    )


def _call(weight, fn, *args, where=None, **kw):
    """A weighted call fn(rng, region, *args, **kw) whose arguments are fixed."""
    return _w(weight, lambda rng, region, when: fn(rng, region, *args, **kw), where)


def _timed(weight, fn, *args):
    """A weighted call fn(rng, region, *args, when) for APIs whose records depend on the time."""
    return _w(weight, lambda rng, region, when: fn(rng, region, *args, when))


def _global(weight, fn, *args, **kw):
    """A weighted call fn(rng, *args, **kw) of a global API, always in us-east-1."""
    return _w(weight, lambda rng, region, when: fn(rng, *args, **kw), True)


def _iam(weight, op, **params):
    """A weighted IAM call (IAM is global, so always us-east-1)."""
    return _global(weight, iam_call, op, **params)


def sam_admin(key, account, regions, calls, **kw) -> Actor:
    """Sam's AdministratorAccess session in `account`: from the office, 8-17 UTC, in the
    console unless kw says otherwise."""
    kw = {"agents": (CONSOLE_UA,), "console": True, **kw}
    admin = role(account, sso_role_name("AdministratorAccess"))
    return Actor(
        key,
        account,
        2,
        regions,
        role_identity(admin, _sso_session("sam.okafor")),
        calls,
        ips=OFFICE_IPS,
        hours=(8, 17),
        **kw,
    )
