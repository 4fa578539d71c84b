"""Property tests: any input parses without raising, truncation only loses text,
and attacker-chosen text in ARN positions never leaves its field."""

# ruff: noqa: E501  (AWS messages are long; kept whole so they read as AWS prints them)

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_denials_messages import CASES

from iamlab.denials import CAUSES, FIELDS, POLICY_TYPES, parse, read_message
from iamlab.denials.grammar import RE_DENIAL_CODE, WS_CHARS

ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
ANY_CODE = st.one_of(
    st.none(),
    ANY_TEXT,
    st.sampled_from(
        ["AccessDenied", "Client.UnauthorizedOperation", "VpceAccessDenied", "ExpiredToken"]
    ),
)


@settings(max_examples=400, deadline=None)
@given(ANY_CODE, st.one_of(st.none(), ANY_TEXT, st.binary(max_size=100), st.integers()))
def test_any_input_gives_a_well_formed_result(code, message):
    result = parse(code, message)
    d = result.to_dict()
    assert isinstance(d["is_denial"], bool)
    if not result.is_denial:
        assert all(d[f] is None for f in FIELDS if f != "is_denial")
    else:
        assert d["cause"] in CAUSES
        assert d["policy_type"] in (*POLICY_TYPES, None)
        assert d["deny"] in ("explicit", "implicit", None)
    assert all(v is None or isinstance(v, str) for k, v in d.items() if k != "is_denial")


def _trim(text: str | None) -> str:
    return (text or "").strip(WS_CHARS)


# Real message forms with a code; attacker fixtures are left out on purpose:
# a cut that removes the real context clause can expose a fake one inside a
# resource name, which no parser can tell apart.
REAL = [
    c
    for c in CASES
    if c["error_message"]
    and c["error_code"]
    and not c["id"].startswith("attack-")
    and c["id"] != "null-action"  # "null" cut to "nu" cannot be told from an action name
    and re.fullmatch(RE_DENIAL_CODE, c["error_code"])
]


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(REAL), st.integers(min_value=0, max_value=2000))
def test_truncation_only_loses_text(case, cut):
    full = parse(case["error_code"], case["error_message"])
    cut_result = parse(case["error_code"], case["error_message"][:cut])
    assert cut_result.is_denial == full.is_denial
    for field in (
        "principal",
        "action",
        "resource",
        "policy_arn",
        "authorization_id",
        "encoded_message",
    ):
        got, whole = getattr(cut_result, field), getattr(full, field)
        assert got is None or (whole is not None and whole.startswith(got)), (field, got, whole)
    for field in ("policy_type", "deny"):
        assert getattr(cut_result, field) in (None, getattr(full, field)), field
    assert cut_result.cause in (full.cause, "undetailed")


# AWS principals hold no spaces, but IAM paths allow printable ASCII, so try
# anything except the two markers that delimit the principal.
PRINCIPAL = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80).filter(
    lambda p: " is not authorized to perform: " not in p and "User: " not in p
)
# Resource names (S3 keys, log streams) are free text chosen by whoever named them.
NAME = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80),
    st.lists(
        st.sampled_from(
            [
                "<script>alert(1)</script>",
                '"',
                "'",
                "\n",
                " ",
                "because no ",
                " with an explicit deny in a service control policy: arn:aws:iam::1:policy/X",
                " Encoded authorization failure message: FAKE",
                " authorization id: FAKE",
                "#/authorization-details/FAKE for complete details",
                "User: evil",
                " is not authorized to perform: iam:Evil",
                " on resource: ",
                "arn:aws:s3:::b/k",
                ".",
            ]
        ),
        min_size=1,
        max_size=8,
    ).map("".join),
)
CONTEXTS = [
    (
        "because no identity-based policy allows the s3:GetObject action",
        "identity",
        "implicit",
        None,
    ),
    ("with an explicit deny in a resource-based policy", "resource", "explicit", None),
    (
        "with an explicit deny in a service control policy: arn:aws:organizations::1:policy/o-a/service_control_policy/p-b",
        "scp",
        "explicit",
        "arn:aws:organizations::1:policy/o-a/service_control_policy/p-b",
    ),
    (
        "with an explicit deny in an identity-based policy: arn:aws:iam::1:policy/P (P).",
        "identity",
        "explicit",
        "arn:aws:iam::1:policy/P",
    ),
]


@settings(max_examples=500, deadline=None)
@given(PRINCIPAL, NAME, st.sampled_from(CONTEXTS), st.booleans())
@example('arn:aws:iam::1:user/<script>"\n', 'k" because no x', CONTEXTS[1], True)
@example(
    "arn:aws:iam::1:user/a b", "log-stream:my stream with an explicit deny", CONTEXTS[0], False
)
def test_attacker_text_stays_in_its_field(principal, name, context, quoted):
    ctx, policy_type, deny, arn = context
    if quoted:
        resource_text = "arn:aws:s3:::bucket/" + name
        shown = f'"{resource_text}"'
    else:
        resource_text = "arn:aws:logs:us-east-1:1:log-group:g:log-stream:" + name
        shown = resource_text
    message = (
        f"User: {principal} is not authorized to perform: s3:GetObject on resource: {shown} {ctx}"
    )
    exact = read_message("AccessDenied", message)  # the view's twin keeps every character
    assert (exact.principal, exact.action, exact.resource) == (
        principal,
        "s3:GetObject",
        resource_text,
    )
    got = parse("AccessDenied", message)  # may drop spaces around a field, as pastes carry them
    assert _trim(got.principal) == _trim(principal)
    assert got.action == "s3:GetObject"
    assert _trim(got.resource) == _trim(resource_text)
    assert (got.policy_type, got.deny, got.policy_arn) == (policy_type, deny, arn)
    assert got.authorization_id is None and got.encoded_message is None


@settings(max_examples=200, deadline=None)
@given(PRINCIPAL, NAME)
def test_quoted_name_without_context_stays_in_resource(principal, name):
    message = (
        f"User: {principal} is not authorized to perform: s3:GetObject on resource: "
        f'"arn:aws:s3:::b/{name}"'
    )
    got = parse("AccessDenied", message)
    assert (_trim(got.principal), got.resource) == (_trim(principal), f"arn:aws:s3:::b/{name}")
    exact = read_message("AccessDenied", message)
    assert (exact.principal, exact.resource) == (principal, f"arn:aws:s3:::b/{name}")
    assert (
        got.policy_type,
        got.deny,
        got.policy_arn,
        got.authorization_id,
        got.encoded_message,
    ) == (None,) * 5
