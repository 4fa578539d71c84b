"""Condition operators, compiled once per policy (aws-facts 4.6).

Each compiled condition evaluates to its verdict *and* the record that explains
it (a ``ConditionResult``), so explanations are never reconstructed later.

Semantics implemented (aws-facts 4.6):
- separate operators and separate keys are AND; values of one key are OR;
  negated operators must match none of the values;
- a missing key makes positive operators false and negated operators true;
  ``...IfExists`` makes a missing key true; ``Null`` tests presence;
- ``ForAllValues:`` is true when every request value matches (and when the key
  is absent or empty); ``ForAnyValue:`` needs one matching value (false when
  absent, unless ``IfExists``);
- a multi-valued key under a plain operator matches when any value matches
  (from memory: AWS treats it like ``ForAnyValue``);
- policy variables only in String, Bool and ARN operators; a variable without
  a value (and without a default) makes the condition false, so the statement
  does not apply (aws-facts 4.7).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import operator
from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from iamlab.errors import PolicyError
from iamlab.policy._patterns import (
    Template,
    arn_regex,
    compile_alternatives,
    parse_template,
    plain_regex,
)
from iamlab.policy.decision import ConditionResult, new

# base operator name (lower) -> (family, negated, comparator name)
_OPERATORS: dict[str, tuple[str, bool, str]] = {
    "stringequals": ("string", False, "eq"),
    "stringnotequals": ("string", True, "eq"),
    "stringequalsignorecase": ("string_ic", False, "eq"),
    "stringnotequalsignorecase": ("string_ic", True, "eq"),
    "stringlike": ("string_like", False, "eq"),
    "stringnotlike": ("string_like", True, "eq"),
    "numericequals": ("numeric", False, "eq"),
    "numericnotequals": ("numeric", True, "eq"),
    "numericlessthan": ("numeric", False, "lt"),
    "numericlessthanequals": ("numeric", False, "le"),
    "numericgreaterthan": ("numeric", False, "gt"),
    "numericgreaterthanequals": ("numeric", False, "ge"),
    "dateequals": ("date", False, "eq"),
    "datenotequals": ("date", True, "eq"),
    "datelessthan": ("date", False, "lt"),
    "datelessthanequals": ("date", False, "le"),
    "dategreaterthan": ("date", False, "gt"),
    "dategreaterthanequals": ("date", False, "ge"),
    "bool": ("bool", False, "eq"),
    "binaryequals": ("binary", False, "eq"),
    "ipaddress": ("ip", False, "eq"),
    "notipaddress": ("ip", True, "eq"),
    "arnequals": ("arn", False, "eq"),
    "arnlike": ("arn", False, "eq"),
    "arnnotequals": ("arn", True, "eq"),
    "arnnotlike": ("arn", True, "eq"),
    "null": ("null", False, "eq"),
}
_CANONICAL = {
    k: k
    for k in (
        "StringEquals StringNotEquals StringEqualsIgnoreCase StringNotEqualsIgnoreCase StringLike "
        "StringNotLike NumericEquals NumericNotEquals NumericLessThan NumericLessThanEquals "
        "NumericGreaterThan NumericGreaterThanEquals DateEquals DateNotEquals DateLessThan "
        "DateLessThanEquals DateGreaterThan DateGreaterThanEquals Bool BinaryEquals IpAddress "
        "NotIpAddress ArnEquals ArnLike ArnNotEquals ArnNotLike Null"
    ).split()
}
KNOWN_OPERATORS = tuple(_CANONICAL)
_VARIABLE_FAMILIES = {"string", "string_ic", "string_like", "bool", "arn"}
_CMP: dict[str, Callable[[float, float], bool]] = {
    "eq": operator.eq,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def value_text(value: Any) -> str:
    """Policy/context scalars as AWS compares them: strings, bools as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_date(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 date/time or an epoch number; None if invalid."""
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        pass
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _parse_number(text: str) -> float | None:
    try:
        n = float(text)
    except ValueError:
        return None
    return None if math.isnan(n) else n


def _decode_b64(text: str) -> bytes | str:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text


def _parse_ip(text: str) -> Any:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


_ip_cache: dict[str, tuple[int, int, int] | None] = {}


def _request_ip(text: str) -> tuple[int, int, int] | None:
    """(version, address, netmask) of a request address or CIDR block, cached."""
    try:
        return _ip_cache[text]
    except KeyError:  # first sight of this address
        net = _parse_ip(text)
        parsed = None if net is None else (net.version, int(net.network_address), int(net.netmask))
        if len(_ip_cache) > 10000:
            _ip_cache.clear()
        _ip_cache[text] = parsed
        return parsed


def _build_predicate(family: str, cmp: str, values: tuple[str, ...]) -> Callable[[str], bool]:
    """Positive-sense predicate: does one request value match any policy value?"""
    if family == "string":
        allowed = frozenset(values)
        return allowed.__contains__
    if family == "string_ic":
        folded = frozenset(v.casefold() for v in values)
        return lambda v: v.casefold() in folded
    if family == "bool":
        lowered = frozenset(v.lower() for v in values)
        return lambda v: v.lower() in lowered
    if family in ("numeric", "date"):
        parse = _parse_number if family == "numeric" else parse_date
        numbers = []
        for v in values:
            n = parse(v)
            if n is None:
                raise ValueError(f"{v!r} is not a valid {family} value")
            numbers.append(n)
        fn = _CMP[cmp]

        def pred(v: str) -> bool:
            n = parse(v)
            return n is not None and any(fn(n, p) for p in numbers)

        return pred
    if family == "binary":
        decoded = frozenset(_decode_b64(v) for v in values)
        return lambda v: _decode_b64(v) in decoded
    if family == "ip":
        nets = []
        for v in values:
            net = _parse_ip(v)
            if net is None:
                raise ValueError(f"{v!r} is not an IPv4/IPv6 address or CIDR block")
            nets.append((net.version, int(net.network_address), int(net.netmask)))

        def ip_pred(v: str) -> bool:
            req = _request_ip(v)
            if req is None:
                return False
            version, addr, mask = req
            return any(version == nv and (addr & nm) == na and mask >= nm for nv, na, nm in nets)

        return ip_pred
    raise AssertionError(family)  # pragma: no cover


def _templates_predicate(
    family: str, parts_list: list[tuple[tuple[str, str], ...]]
) -> Callable[[str], bool]:
    """Predicate over rendered templates (string, string_ic, string_like, bool, arn)."""
    if family == "string_like":
        rx = compile_alternatives(plain_regex(p) for p in parts_list)
        return lambda v: rx.match(v) is not None
    if family == "arn":
        rx = compile_alternatives(arn_regex(p) for p in parts_list)
        return lambda v: rx.match(v) is not None
    texts = tuple("".join(t for _, t in p) for p in parts_list)
    return _build_predicate(family, "eq", texts)


@lru_cache(maxsize=8192)
def _compile_values(
    family: str, cmp: str, values: tuple[str, ...], use_vars: bool
) -> tuple[Callable[[str], bool] | None, tuple[Template, ...] | None]:
    """(predicate, None) for static values, (None, templates) when variables need a request.

    Cached: the same values recur across the policies of a snapshot. Raises
    ``ValueError`` naming a bad value (the caller adds where it is).
    """
    templates = tuple(parse_template(v, use_vars) for v in values)
    if any(t.variables for t in templates):
        return None, templates
    if family in ("string_like", "arn"):
        parts = [tuple((k, t) for k, t, _ in tp.parts) for tp in templates]
        return _templates_predicate(family, parts), None
    if family in ("string", "string_ic", "bool"):
        # Escapes such as ${*} still need rendering to their literal text.
        texts = tuple("".join(t for _, t, _ in tp.parts) for tp in templates)
        return _build_predicate(family, cmp, texts), None
    return _build_predicate(family, cmp, values), None


class Condition:
    """One (operator, key) pair of a Condition block, compiled."""

    __slots__ = (
        "operator",
        "key",
        "key_l",
        "values",
        "family",
        "negated",
        "set_op",
        "if_exists",
        "_pred",
        "_templates",
        "_null_expect",
        "_cache",
        "_simple",
        "_why",
        "context_only",
    )

    def __init__(self, op: str, key: str, raw_values: Any, *, variables: bool, where: str) -> None:
        self.operator = op
        self.key = key
        self.key_l = key.lower()
        if not isinstance(raw_values, list):
            raw_values = [raw_values]
        for v in raw_values:
            if v is None or isinstance(v, (dict, list)):
                raise PolicyError(
                    f"{where}: condition value {v!r} for {op} {key!r} must be a string, number "
                    f"or boolean"
                )
        self.values = tuple(value_text(v) for v in raw_values)
        name = op
        self.set_op: str | None = None
        low = name.lower()
        if low.startswith("forallvalues:"):
            self.set_op, name = "all", name[len("forallvalues:") :]
        elif low.startswith("foranyvalue:"):
            self.set_op, name = "any", name[len("foranyvalue:") :]
        self.if_exists = name.lower().endswith("ifexists")
        base = name[: -len("ifexists")] if self.if_exists else name
        spec = _OPERATORS.get(base.lower())
        if spec is None or (self.if_exists and base.lower() == "null"):
            raise PolicyError(
                f"{where}: unknown condition operator {op!r}; valid operators are "
                f"{', '.join(KNOWN_OPERATORS)} (optionally with IfExists, ForAllValues:, "
                f"ForAnyValue:)"
            )
        self.family, self.negated, cmp = spec
        self._templates: tuple[Template, ...] | None = None
        self._pred: Callable[[str], bool] | None = None
        self._cache: dict[tuple, Callable[[str], bool]] = {}
        self._simple = False  # static predicate, no set operator: the fast path in evaluate
        self._why: dict[bool, str] = {}
        # True when evaluate() reads nothing but this key's value (no policy variables).
        self.context_only = True
        if self.family == "null":
            flags = {v.lower() for v in self.values}
            if not flags <= {"true", "false"}:
                raise PolicyError(f"{where}: Null takes true or false, not {list(self.values)}")
            self._null_expect = flags
            return
        self._null_expect = set()
        use_vars = variables and self.family in _VARIABLE_FAMILIES
        try:
            self._pred, self._templates = _compile_values(self.family, cmp, self.values, use_vars)
            self._simple = self._pred is not None and self.set_op is None
            self.context_only = self._pred is not None
            self._why = (
                {
                    True: "no policy value matches",
                    False: "a policy value matches (negated operator)",
                }
                if self.negated
                else {True: "a policy value matches", False: "no policy value matches"}
            )
        except ValueError as exc:
            raise PolicyError(f"{where}: {exc}") from None

    def _predicate(
        self, lookup: Callable[[str], tuple[str, ...] | None]
    ) -> Callable[[str], bool] | str:
        if self._pred is not None:
            return self._pred
        rendered: list[tuple[tuple[str, str], ...]] = []
        for tp in self._templates or ():
            alts = tp.render(lookup)
            if isinstance(alts, str):
                return alts
            rendered.extend(alts)
        key = tuple(rendered)
        pred = self._cache.get(key)
        if pred is None:
            if len(self._cache) > 256:
                self._cache.clear()
            pred = self._cache[key] = _templates_predicate(self.family, rendered)
        return pred

    def _when_absent(self) -> tuple[bool, str]:
        """The verdict, and why, when the request lacks the key."""
        if self.if_exists:
            return True, "key absent: IfExists makes it true"
        if self.set_op == "all":
            return True, "key absent: ForAllValues is true for an absent key"
        if self.set_op == "any":
            return False, "key absent: ForAnyValue is false for an absent key"
        if self.negated:
            return True, "key absent: a negated operator is true"
        return False, "key absent: a positive operator is false"

    def evaluate(
        self, ctx: dict[str, tuple[str, ...]], lookup: Callable[[str], tuple[str, ...] | None]
    ) -> ConditionResult:
        """Return the record of this check (its verdict is ``matched``); the ``Decision``
        turns it into a ``ConditionResult`` when read."""
        req = ctx.get(self.key_l) or None
        pred = self._pred
        if self._simple and pred is not None and req is not None and len(req) == 1:
            ok = pred(req[0]) != self.negated  # the common case, first
            why = self._why[ok]
            return new(
                ConditionResult, (self.operator, self.key, self.values, req, ok, why, False, None)
            )
        if self.family == "null":
            absent = req is None
            ok = ("true" in self._null_expect and absent) or (
                "false" in self._null_expect and not absent
            )
            why = "key absent" if absent else "key present"
            return new(
                ConditionResult, (self.operator, self.key, self.values, req, ok, why, absent, None)
            )
        if pred is None:  # policy variables: the predicate of their values in this request
            rendered = self._predicate(lookup)
            if isinstance(rendered, str):  # the key of a variable without a value
                why = (
                    f"policy variable ${{{rendered}}} has no value in the request: the statement "
                    "does not apply"
                )
                return new(
                    ConditionResult,
                    (self.operator, self.key, self.values, req, False, why, req is None, rendered),
                )
            pred = rendered
        if req is None:
            ok, why = self._when_absent()
            return new(
                ConditionResult, (self.operator, self.key, self.values, None, ok, why, True, None)
            )
        neg = self.negated
        if self.set_op == "all":
            ok = all(pred(v) != neg for v in req)
            why = "every request value matches" if ok else "not every request value matches"
        elif self.set_op == "any":
            ok = any(pred(v) != neg for v in req)
            why = "some request value matches" if ok else "no request value matches"
        else:  # one value, or several under a plain operator: any value matching is a match
            ok = (pred(req[0]) if len(req) == 1 else any(pred(v) for v in req)) != neg
            why = _WHY_MATCH[neg, ok]
        return new(
            ConditionResult, (self.operator, self.key, self.values, req, ok, why, False, None)
        )


_WHY_MATCH = {
    (False, True): "a policy value matches",
    (False, False): "no policy value matches",
    (True, True): "no policy value matches",
    (True, False): "a policy value matches (negated operator)",
}


def compile_conditions(block: Any, *, variables: bool, where: str) -> tuple[Condition, ...]:
    """Compile a statement's Condition element (a dict of operator -> {key: values})."""
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise PolicyError(
            f"{where}: Condition must be an object of operator -> {{key: values}}, got "
            f"{type(block).__name__}"
        )
    out = []
    for op, keys in block.items():
        if not isinstance(keys, dict):
            raise PolicyError(
                f"{where}: Condition operator {op!r} must map to an object of key -> values, "
                f"got {type(keys).__name__}"
            )
        for key, values in keys.items():
            if isinstance(values, list) and not values:
                raise PolicyError(f"{where}: condition {op} {key!r} has an empty list of values")
            out.append(
                Condition(op, key, values, variables=variables, where=f"{where}.{op}[{key}]")
            )
    return tuple(out)
