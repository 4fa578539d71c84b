"""Who is calling: the request principal, its kind, and the context keys AWS derives.

Principal kinds (aws-facts 4.1, 4.2, 5): IAM user, role session
(``sts::acct:assumed-role/Role/Session``), role (a role ARN given as the
principal, e.g. from an error message: treated as a session of that role),
federated user (``sts::acct:federated-user/Name``), root
(``iam::acct:root``), service principal or web identity provider (a name such
as ``lambda.amazonaws.com``), identity provider ARN (``saml-provider/...``),
and ``anonymous``.

``identities`` are the names AWS matches ``Principal``/``NotPrincipal``
against: for a role session its session ARN, its role and its account
(aws-facts 4.5: a Deny with NotPrincipal must list all of them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from iamlab.errors import InputError

USER, ROLE_SESSION, ROLE, FEDERATED_USER, ROOT, SERVICE, PROVIDER, ANONYMOUS = (
    "user",
    "role_session",
    "role",
    "federated_user",
    "root",
    "service",
    "provider",
    "anonymous",
)
SESSION_KINDS = frozenset({ROLE_SESSION, ROLE, FEDERATED_USER})
# Callers with identity-based permissions (and an account whose SCPs apply).
IDENTITY_KINDS = frozenset({USER, ROLE_SESSION, ROLE, FEDERATED_USER, ROOT})
# Principal keys an anonymous caller or an AWS service principal never carries
# (from memory of the global condition key reference).
_NO_PRINCIPAL_KEYS = frozenset(
    {
        "aws:username",
        "aws:userid",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
    }
)
# aws:PrincipalType values, from memory (aws-facts 4.7 marks them unverified).
_PRINCIPAL_TYPE = {
    USER: "User",
    ROLE_SESSION: "AssumedRole",
    ROLE: "AssumedRole",
    FEDERATED_USER: "FederatedUser",
    ROOT: "Account",
    ANONYMOUS: "Anonymous",
}


@dataclass
class Caller:
    """The request principal, parsed once per request."""

    raw: str
    kind: str
    partition: str = "aws"
    account: str | None = None
    arn: str | None = None  # the principal's own ARN (session ARN for sessions)
    role_name: str | None = None
    role_arn: str | None = None  # role ARN, with path when known
    role_path_known: bool = False
    user_name: str | None = None
    service: str | None = None  # lower-cased service principal / provider name
    slr: bool = False  # service-linked role
    slr_reason: str = ""
    derived: dict[str, str] = field(default_factory=dict)
    # Keys AWS never sets for this kind of caller (lower-cased): their absence is
    # a fact, not missing evidence, so they are not reported as missing context.
    known_absent: frozenset[str] = frozenset()

    @cached_property  # read by every evaluation: after the first, a plain attribute
    def derived_ctx(self) -> dict[str, tuple[str, ...]]:
        """The derived context keys as a request context (lower-cased keys), computed once."""
        return {k: (v,) for k, v in self.derived.items() if v}

    @property
    def is_session(self) -> bool:
        return self.kind in SESSION_KINDS

    @property
    def has_identity_side(self) -> bool:
        """False for callers with no identity policies (anonymous, services, providers)."""
        return self.kind in IDENTITY_KINDS


def _split_arn(arn: str) -> list[str] | None:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


def parse_caller(principal: str, context: dict[str, tuple[str, ...]]) -> Caller:
    """Parse the request principal; ``context`` (lower-cased keys) may name the role ARN.

    An explicit ``aws:PrincipalArn`` in the context wins over what iamlab
    derives: it is how a caller passes a role's path, which session ARNs drop.
    """
    if not isinstance(principal, str) or not principal:
        raise InputError(f"request principal must be a non-empty string, got {principal!r}")
    p = principal.strip()
    if p.lower() == "anonymous" or p == "*":
        return Caller(p, ANONYMOUS, known_absent=_NO_PRINCIPAL_KEYS)
    parts = _split_arn(p)
    if parts is None:
        if ":" in p or "/" in p:
            raise InputError(
                f"request principal {principal!r} is neither an IAM/STS ARN, a service principal "
                "(e.g. lambda.amazonaws.com) nor 'anonymous'"
            )
        c = Caller(p, SERVICE, service=p.lower(), known_absent=_NO_PRINCIPAL_KEYS)
        if p.lower().endswith((".amazonaws.com", ".amazonaws.com.cn")):
            c.derived["aws:principalisawsservice"] = "true"
            c.derived["aws:principalservicename"] = p.lower()
        return c
    _, partition, service, _region, account, res = parts
    explicit = context.get("aws:principalarn")
    given_arn = explicit[0] if explicit else None
    if service == "iam":
        if res == "root":
            return _finish(Caller(p, ROOT, partition, account, arn=p))
        if res.startswith("user/"):
            name = res.rsplit("/", 1)[-1]
            return _finish(Caller(p, USER, partition, account, arn=p, user_name=name))
        if res.startswith("role/"):
            name = res.rsplit("/", 1)[-1]
            c = Caller(
                p, ROLE, partition, account, arn=p, role_name=name, role_arn=p, role_path_known=True
            )
            return _finish(c)
        if res.startswith(("saml-provider/", "oidc-provider/")):
            return Caller(
                p,
                PROVIDER,
                partition,
                account,
                arn=p,
                service=p.lower(),
                known_absent=frozenset({"aws:username"}),
            )
    elif service == "sts":
        if res.startswith("assumed-role/"):
            bits = res.split("/")
            if len(bits) < 3:
                raise InputError(
                    f"assumed-role ARN {principal!r} must be assumed-role/<role>/<session>"
                )
            name = bits[1]
            c = Caller(p, ROLE_SESSION, partition, account, arn=p, role_name=name)
            if given_arn and given_arn.split(":role/")[-1].rsplit("/", 1)[-1] == name:
                c.role_arn, c.role_path_known = given_arn, True
            else:
                c.role_arn = f"arn:{partition}:iam::{account}:role/{name}"
            return _finish(c)
        if res.startswith("federated-user/"):
            return _finish(Caller(p, FEDERATED_USER, partition, account, arn=p))
    raise InputError(
        f"request principal {principal!r} is not a supported IAM/STS principal ARN "
        "(user/, role/, root, sts assumed-role/, federated-user/, saml-provider/, oidc-provider/)"
    )


def _finish(c: Caller) -> Caller:
    """Detect service-linked roles and fill the derived context keys."""
    if c.role_arn:
        if ":role/aws-service-role/" in c.role_arn:
            c.slr, c.slr_reason = True, "role path aws-service-role/"
        elif (c.role_name or "").startswith("AWSServiceRoleFor"):
            # Heuristic: every service-linked role name starts with AWSServiceRoleFor.
            c.slr, c.slr_reason = True, "role name AWSServiceRoleFor*"
    if c.kind != USER:
        c.known_absent = frozenset({"aws:username"})  # aws-facts 4.7: IAM users only
    d = c.derived
    d["aws:principalisawsservice"] = "false"
    if c.account:
        d["aws:principalaccount"] = c.account
    if c.kind in _PRINCIPAL_TYPE:
        d["aws:principaltype"] = _PRINCIPAL_TYPE[c.kind]
    if c.kind in (ROLE_SESSION, ROLE):
        d["aws:principalarn"] = c.role_arn or ""
    elif c.arn:
        # Users, root and federated users: their own ARN (from memory of the
        # aws:PrincipalArn table; aws-facts 5 only states the role case).
        d["aws:principalarn"] = c.arn
    if c.kind == USER and c.user_name:
        d["aws:username"] = c.user_name
    return c


def identities(c: Caller) -> list[tuple[str, str]]:
    """(kind, name) pairs that Principal/NotPrincipal entries are matched against (computed "
    "once)."""
    cached = c.__dict__.get("_identities")
    if cached is None:
        cached = c.__dict__["_identities"] = _identities(c)
    return cached


def _identities(c: Caller) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if c.kind == ROLE_SESSION:
        out.append(("session", c.arn or ""))
    if c.kind == FEDERATED_USER:
        out.append(("session", c.arn or ""))
    if c.kind == USER:
        out.append(("user", c.arn or ""))
    if c.kind in (ROLE_SESSION, ROLE):
        out.append(("role", c.role_arn or ""))
    if c.account and c.kind != ANONYMOUS:
        out.append(("account", c.account))
    if c.kind in (SERVICE, PROVIDER):
        out.append(("service", c.service or ""))
    return out
