"""The access-denied message grammar as data: regexes, error-code lists, type phrases.

One set of constants feeds both parsers: ``parse.py`` runs them with Python's
``re`` and ``denials.sql`` gets them rendered in as SQL string literals for
DuckDB's RE2. So every pattern keeps to the syntax both engines read the same
way: no lookaround, no backreferences, no ``\\s``/``\\w``/``$`` (their meaning
differs between the two), no case-insensitive flag, ``(?s)`` first.

Grammar: aws-facts.md section 1. Error codes: section 1.6, kept in
``codes.json`` so the lists can change without touching code.
"""

from __future__ import annotations

import json
from importlib import resources


def _escape(text: str) -> str:
    """Escape regex metacharacters the same way for Python re and RE2."""
    return "".join("\\" + ch if ch in ".^$*+?()[]{}|\\-" else ch for ch in text)


# Characters both engines treat as whitespace in these patterns (RE2's \s set).
WS_CHARS = "\t\n\f\r "
_WS = r"\t\n\f\r "
WS = f"[{_WS}]"
TOKEN = f"[^{_WS}]"

# Longer inputs are cut to this many characters before parsing (CloudTrail
# keeps about 1 KB of errorMessage; pasted CLI output is rarely longer). It
# bounds the work per message for both engines.
MAX_MESSAGE = 65536

MARK = " is not authorized to perform: "
# The older STS form, capital N and no colon, no principal:
# "Not authorized to perform sts:AssumeRoleWithWebIdentity" (issue 11; real
# pastes in uswitch/kiam#33, aws/aws-sdk-net#1522). Used when MARK is absent.
OLD_MARK = "Not authorized to perform "
# "User: ... is not authorized to perform: null" (aws/aws-cli#6274): no action.
NULL_ACTION = "null"
ON_RESOURCE = " on resource: "
ON_THIS_RESOURCE = " on this resource"
VPCE_SENTENCE = "The request was denied due to a VPC endpoint policy"
EXPLICIT_START = "with an explicit deny"
IMPLICIT_START = "because no "

# Error code pasted inside SDK/CLI text: the AWS CLI / boto3 wrapper
# ("An error occurred (AccessDenied) when calling the PutObject operation: ..."),
# aws-facts 1.1; and the Java SDK suffix "(Service: ...; Error Code: X; ...)"
# (from memory, not in aws-facts). Bounded repeats keep the search linear.
RE_WRAPPER_CODE = (
    r"(?s)An error occurred \(([^()]{1,128})\) when calling the"
    r"|Error Code: ([A-Za-z0-9._\-]{1,128})"
)

# A service could not assume the role it was given: the role's trust policy
# (or the role's absence) is to blame. Phrase -> the service principal the
# trust policy must name. EKS Pod Identity: eks-immersion-day corpus record
# (errorCode AccessDenied); EKS CreateCluster: crossplane-contrib/provider-aws#218,
# terraform-aws-modules/terraform-aws-eks#2406; Lambda:
# aws-quickstart/quickstart-amazon-eks-cluster-resource-provider#33. These come
# with codes such as InvalidParameterException, so the message decides.
TRUST_PHRASES: tuple[tuple[str, str], ...] = (
    ("does not have permissions to assume the associated role", "pods.eks.amazonaws.com"),
    (
        "could not be assumed because it does not exist or the trusted entity is not correct",
        "eks.amazonaws.com",
    ),
    ("cannot be assumed by Lambda", "lambda.amazonaws.com"),
)
# "Role with arn: <role ARN>, could not be assumed ..." names the role (EKS).
ROLE_ARN_MARK = "Role with arn: "
RE_ROLE_TOKEN = f"^[^{_WS},]*"

# Message-based denial test, used when the code is unknown or absent.
RE_DENIAL_MESSAGE = (
    r"(?s)not authorized to perform"
    r"|Not authorized to perform "
    r"|with an explicit deny in "
    r"|because no (?:identity-based policy|resource-based policy|permissions boundary"
    r"|sessions? policy|service control policy|resource control policy"
    r"|VPC endpoint policy|role trust policy) allows the"
    r"|Access Denied"
    r"|" + VPCE_SENTENCE + "".join("|" + _escape(phrase) for phrase, _ in TRUST_PHRASES)
)

# Speed: RE2 extracts capture groups with its slow NFA/backtracker. So the
# steps use string functions (find; split at the LAST marker, DuckDB's
# split_part(text, marker, -1) = Python's text.split(marker)[-1], both scanning
# left to right) and capture-free regexes whose whole match is the value.

# The principal is what follows the last "User: " before the FIRST MARK: only
# the principal (AWS text, no spaces) can precede MARK; resources come after.
USER_MARK = "User: "
# the first token (action; unquoted resource without a context clause; ...).
RE_TOKEN = f"^{TOKEN}*"
# a policy-type phrase: letters, spaces and hyphens.
RE_PHRASE = r"^[A-Za-z][A-Za-z \-]*"
# S3's quoted resource ends at the LAST '"' followed by a space or '.' (the
# caller appends one space so a quote at the very end qualifies).
QUOTE_ENDS = ('" ', '".')
# A context clause starts at the LAST of these (a resource name imitating a
# clause stays in the resource); the clause is kept without the leading space.
CTX_STARTS = (" because ", " with an explicit deny")
# "with an explicit deny in (a|an|the) <phrase>[: <policy ARN>]" (aws-facts 1.1, 1.2)
EXPLICIT_IN = " in "
ARTICLES = ("a ", "an ", "the ")
# Trailing parts (aws-facts 1.3, 1.5): the token after the LAST marker.
ENCODED_MARK = "Encoded authorization failure message:"
AUTH_ID_MARK = "authorization id:"
AUTH_URL_MARK = "#/authorization-details/"
AUTH_URL_END = " for complete details"

# Policy-type phrase (as printed after "because no" / "in a|an|the") -> policy_type.
# Matched as a prefix of the captured phrase, first hit wins. For the chained
# "VPC endpoint policy transitively through a service control policy" the FIRST
# named type (the policy holding the deny) is reported.
POLICY_TYPE_PHRASES: tuple[tuple[str, str], ...] = (
    ("identity-based policy", "identity"),
    ("resource-based policy", "resource"),
    ("permissions boundary", "permissions_boundary"),
    ("session policy", "session"),
    ("sessions policy", "session"),  # sic: the IAM guide's explicit form
    ("service control policy", "scp"),
    ("resource control policy", "rcp"),
    ("VPC endpoint policy", "vpc_endpoint"),
    ("role trust policy", "trust"),
    ("trust policy", "trust"),
)

POLICY_TYPES = (
    "identity",
    "resource",
    "permissions_boundary",
    "session",
    "scp",
    "rcp",
    "vpc_endpoint",
    "trust",
)
CAUSES = (
    "missing-action",
    "resource-arn",
    "explicit-deny",
    "org-policy",
    "permissions-boundary",
    "session-or-trust",
    "resource-policy",
    "vpc-endpoint",
    "undetailed",
)


def _code_regex(rules: dict[str, list[str]]) -> str:
    parts = [_escape(c) for c in rules.get("exact", [])]
    parts += [_escape(c) + ".*" for c in rules.get("prefix", [])]
    parts += [".*" + _escape(c) for c in rules.get("suffix", [])]
    parts += [".*" + _escape(c) + ".*" for c in rules.get("contains", [])]
    return "(?s)(?:" + "|".join(parts) + ")" if parts else r"(?s)\b\B"  # never matches


def load_codes() -> dict:
    """Return the error-code lists from ``codes.json``."""
    text = resources.files("iamlab.denials").joinpath("codes.json").read_text("utf-8")
    return json.loads(text)


_CODES = load_codes()
DENIAL_CODES: tuple[str, ...] = tuple(_CODES["denial"]["exact"])
NOT_DENIAL_CODES: tuple[str, ...] = tuple(_CODES["not_denial"]["exact"])
# Full-match regexes (re.fullmatch / DuckDB regexp_full_match).
RE_DENIAL_CODE = _code_regex(_CODES["denial"])
RE_NOT_DENIAL_CODE = _code_regex(_CODES["not_denial"])
