"""AWS's documented special cases, in one table: where AWS does not simply combine the layers.

``quirks(action, resource)`` returns what is special about a request, the one
interface ``evaluate`` reads (no special case is an inline flag there):

- ``resource_layer`` / ``resource_must_allow``: a role's trust policy
  (``sts:AssumeRole*`` on a role) and a KMS key policy must allow by
  themselves, even in the same account (aws-facts 4.2);
- ``rcp_exempt``: RCPs do not apply to ``kms:RetireGrant`` (aws-facts 4.4);
- ``rule``: a fixed answer whatever the policies say (``OVERRIDES``, each with
  the AWS page that documents it): AWS allows it, or refuses it to every
  customer principal.

Who the caller is matters too: service-linked roles are outside SCPs and RCPs
(``_caller``/``_layers``), and a fixed refusal binds customer principals only
(``customer``), not AWS acting through a service-linked role or a service.
"""

from __future__ import annotations

from typing import NamedTuple

from iamlab.policy._caller import IDENTITY_KINDS

# Actions authorized by the role's trust policy when the resource is a role
# (from memory of the IAM guide: AssumeRole*, TagSession, SetSourceIdentity, SetContext).
TRUST_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)


class Rule(NamedTuple):
    """A documented fixed answer: AWS decides ``outcome`` whatever the policies say."""

    id: str
    outcome: str  # "allow" | "deny"
    why: str
    source: str


GET_CALLER_IDENTITY = Rule(
    "get-caller-identity",
    "allow",
    "sts:GetCallerIdentity needs no permission: AWS allows it even when a policy denies it",
    "STS API Reference, GetCallerIdentity: 'No permissions are required to perform this "
    "operation. If an administrator attaches a policy to your identity that explicitly denies "
    "access to the sts:GetCallerIdentity action, you can still perform this operation.'",
)
AWS_MANAGED_POLICY = Rule(
    "aws-managed-policy",
    "deny",
    "AWS managed policies (arn:aws:iam::aws:policy/...) cannot be created, versioned, deleted "
    "or tagged by any customer principal",
    "IAM User Guide, Managed policies and inline policies > AWS managed policies: 'You cannot "
    "change the permissions defined in AWS managed policies.'",
)
SERVICE_LINKED_ROLE = Rule(
    "service-linked-role",
    "deny",
    "service-linked roles (role/aws-service-role/...) are protected: only the service that "
    "depends on one can change or delete it (iam:CreateServiceLinkedRole and "
    "iam:DeleteServiceLinkedRole go through the service and are evaluated as usual)",
    "IAM API Reference, UnmodifiableEntityException: 'service-linked roles are protected AWS "
    "resources. Only the service that depends on the service-linked role can modify or delete "
    "the role on your behalf'; IAM User Guide, Update a service-linked role: 'You can edit the "
    "description of any role'",
)
RESERVED_ROLE = Rule(
    "aws-reserved-role",
    "deny",
    "roles under role/aws-reserved/ (IAM Identity Center permission-set roles) are protected: "
    "only IAM Identity Center changes them",
    "AWS re:Post Knowledge Center, identity-center-aws-reserved-sso: 'Cannot perform the "
    "operation on the protected role ... this role is only modifiable by AWS'; change them "
    "through the IAM Identity Center permission set",
)
AWS_KMS_ALIAS = Rule(
    "aws-kms-alias",
    "deny",
    "KMS aliases under alias/aws/ belong to AWS managed keys: they cannot be created, updated "
    "or deleted",
    "AWS KMS Developer Guide, Create aliases: 'The alias name for a customer managed key cannot "
    "begin with alias/aws/. The alias/aws/ prefix is reserved for AWS managed key.'",
)
OVERRIDES = (
    GET_CALLER_IDENTITY,
    AWS_MANAGED_POLICY,
    SERVICE_LINKED_ROLE,
    RESERVED_ROLE,
    AWS_KMS_ALIAS,
)

_POLICY_CHANGES = frozenset(
    "iam:" + a
    for a in (
        "createpolicy createpolicyversion deletepolicyversion setdefaultpolicyversion "
        "deletepolicy tagpolicy untagpolicy"
    ).split()
)
_ROLE_CHANGES = frozenset(
    "iam:" + a
    for a in (
        "createrole deleterole attachrolepolicy detachrolepolicy putrolepolicy "
        "deleterolepolicy updateassumerolepolicy putrolepermissionsboundary "
        "deleterolepermissionsboundary tagrole untagrole"
    ).split()
)
# The description (UpdateRole, UpdateRoleDescription) of a service-linked role may be edited
# (IAM User Guide); an Identity Center role may not be changed at all, nor passed: its trust
# policy names the SAML provider only (from memory), and it is protected.
_RESERVED_ONLY = frozenset({"iam:updaterole", "iam:updateroledescription", "iam:passrole"})
_ALIAS_CHANGES = frozenset({"kms:createalias", "kms:updatealias", "kms:deletealias"})
SPECIAL_ACTIONS = (
    TRUST_ACTIONS
    | {"sts:getcalleridentity"}
    | _POLICY_CHANGES
    | _ROLE_CHANGES
    | _RESERVED_ONLY
    | _ALIAS_CHANGES
)


class Quirks(NamedTuple):
    """What is special about one (action, resource); ``NONE`` for most requests."""

    resource_layer: str = "resource"  # "trust" for a role's trust policy
    resource_must_allow: bool = False  # trust and KMS key policies allow by themselves only
    rcp_exempt: str = ""  # why RCPs do not apply ("" when they do)
    rule: Rule | None = None

    @property
    def trust(self) -> bool:
        return self.resource_layer == "trust"

    def binding_rule(self, kind: str, slr: bool) -> Rule | None:
        """The fixed answer, when one binds this caller: a refusal binds customer principals
        only (``customer``); a documented allow, principals with an identity side."""
        rule = self.rule
        if rule is None:
            return None
        binds = customer(kind, slr) if rule.outcome == "deny" else kind in IDENTITY_KINDS
        return rule if binds else None


NONE = Quirks()
_TRUST = Quirks("trust", True)
_KMS_KEY = Quirks("resource", True)
_RETIRE = Quirks("resource", True, "RCPs do not apply to kms:RetireGrant")
_RETIRE_ALIAS = Quirks("resource", False, "RCPs do not apply to kms:RetireGrant")


def quirks(action_l: str, resource: str) -> Quirks:
    """Return what is special about ``action_l`` (lower-cased) on ``resource``."""
    if action_l not in SPECIAL_ACTIONS and not action_l.startswith("kms:"):
        return NONE
    if action_l in TRUST_ACTIONS:
        return _TRUST if ":role/" in resource and ":iam::" in resource else NONE
    if action_l == "sts:getcalleridentity":
        return Quirks(rule=GET_CALLER_IDENTITY)
    if (
        action_l in _POLICY_CHANGES
        and resource.startswith("arn:")
        and ":iam::aws:policy/" in (resource)
    ):
        return Quirks(rule=AWS_MANAGED_POLICY)
    if ":iam::" in resource and (action_l in _ROLE_CHANGES or action_l in _RESERVED_ONLY):
        if ":role/aws-reserved/" in resource:
            return Quirks(rule=RESERVED_ROLE)
        if ":role/aws-service-role/" in resource and action_l in _ROLE_CHANGES:
            return Quirks(rule=SERVICE_LINKED_ROLE)
        return NONE
    if action_l in _ALIAS_CHANGES and ":alias/aws/" in resource:
        return Quirks(rule=AWS_KMS_ALIAS)
    key = ":key/" in resource
    if action_l == "kms:retiregrant":
        return _RETIRE if key else _RETIRE_ALIAS
    return _KMS_KEY if key else NONE


def customer(kind: str, slr: bool) -> bool:
    """True for principals a fixed refusal binds: not AWS acting as a service or its role."""
    return kind not in ("service", "provider") and not slr
