"""Parse, validate and compile policy documents once; match statements fast.

A malformed document raises ``PolicyError`` naming the policy, the statement
(index and Sid) and the field: iamlab never evaluates what it could not read,
so a typo can never become a silent allow. ``validate`` returns the same
findings as a list of ``Problem`` (plus warnings that do not stop evaluation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from iamlab.errors import PolicyError
from iamlab.policy._conditions import Condition, compile_conditions
from iamlab.policy._patterns import (
    FastMatcher,
    Template,
    arn_regex,
    compile_alternatives,
    parse_template,
)
from iamlab.policy._principal import PrincipalSpec
from iamlab.policy.decision import StatementResult
from iamlab.policy.request import policy_document

VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
_ACTION_CACHE_LIMIT = 4096


@dataclass(frozen=True)
class Problem:
    """One finding of ``validate``: ``severity`` is "error" or "warning"."""

    severity: str
    policy_id: str
    statement: int | None
    sid: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


def _where(policy_id: str, index: int | None, sid: str | None, field: str | None = None) -> str:
    out = f"policy {policy_id or '(unnamed)'!r}"
    if index is not None:
        out += f" statement {index}" + (f" (Sid {sid!r})" if sid else "")
    if field:
        out += f" field {field}"
    return out


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise PolicyError(f"{where}: must be a string or a non-empty list of strings, got {value!r}")


# Patterns repeat across the policies of a snapshot ("*", "s3:GetObject", ...):
# their regexes are built once, like ``re``'s own cache.
@lru_cache(maxsize=8192)
def _action_regex(actions: tuple[str, ...]) -> FastMatcher:
    return FastMatcher(actions, arn=False, ignore_case=True)


@lru_cache(maxsize=8192)
def _resource_regex(
    resources: tuple[str, ...], variables: bool
) -> tuple[FastMatcher, tuple[Template, ...]]:
    """(matcher of the resources without variables, templates of those with variables)."""
    templates = [parse_template(r, variables) for r in resources]
    static = [t for t in templates if not t.variables]
    plain = [t.raw for t in static if len(t.parts) == 1 and t.parts[0][0] == "g"]
    escaped = [t for t in static if not (len(t.parts) == 1 and t.parts[0][0] == "g")]
    # Patterns with ${*}-style escapes hold literal * and ?: give those as regexes.
    extra = [arn_regex([(k, x) for k, x, _ in t.parts]) for t in escaped]
    matcher = FastMatcher(plain, arn=True, extra_regexes=extra)
    return matcher, tuple(t for t in templates if t.variables)


# The resource matcher of a statement without Resource or NotResource (a trust policy's),
# which the engine never reads: such a statement applies to any resource.
_ANY = FastMatcher(("*",), arn=True)


class Statement:
    """One compiled statement."""

    __slots__ = (
        "index",
        "sid",
        "effect",
        "allow",
        "action_rx",
        "not_action",
        "actions",
        "resources",
        "not_resource",
        "resource_rx",
        "resource_templates",
        "principal",
        "not_principal",
        "has_principal",
        "conditions",
        "warnings",
        "_miss_reason",
    )

    def __init__(self, raw: Any, index: int, policy_id: str, variables: bool) -> None:
        self.index = index
        self.warnings: list[str] = []
        if not isinstance(raw, dict):
            raise PolicyError(
                f"{_where(policy_id, index, None)}: a statement must be an object, got "
                f"{type(raw).__name__}"
            )
        sid = raw.get("Sid")
        if sid is not None and not isinstance(sid, str):
            raise PolicyError(
                f"{_where(policy_id, index, None, 'Sid')}: must be a string, got {sid!r}"
            )
        self.sid = sid or None
        w = lambda f: _where(policy_id, index, self.sid, f)  # noqa: E731
        unknown = set(raw) - _STATEMENT_KEYS
        if unknown:
            raise PolicyError(
                f"{w(sorted(unknown)[0])}: unknown statement element; valid: "
                f"{', '.join(sorted(_STATEMENT_KEYS))}"
            )
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f'{w("Effect")}: must be "Allow" or "Deny", got {effect!r}')
        self.effect, self.allow = effect, effect == "Allow"
        if ("Action" in raw) == ("NotAction" in raw):
            raise PolicyError(
                f"{w('Action')}: a statement needs exactly one of Action or NotAction"
            )
        afield = "Action" if "Action" in raw else "NotAction"
        self.not_action = afield == "NotAction"
        self.actions = tuple(_strings(raw[afield], w(afield)))
        for a in self.actions:
            if a != "*" and ":" not in a:
                self.warnings.append(
                    f"{w(afield)}: {a!r} has no service prefix (service:action); it matches nothing"
                )
        self.action_rx = _action_regex(self.actions)
        if "Resource" in raw and "NotResource" in raw:
            raise PolicyError(
                f"{w('Resource')}: a statement cannot have both Resource and NotResource"
            )
        rfield = (
            "Resource" if "Resource" in raw else ("NotResource" if "NotResource" in raw else None)
        )
        self.not_resource = rfield == "NotResource"
        self.resources: tuple[str, ...] | None = (
            tuple(_strings(raw[rfield], w(rfield))) if rfield else None
        )
        self.resource_rx = _ANY  # read only when the statement has a Resource element
        self.resource_templates: tuple[Template, ...] = ()
        self._miss_reason = (
            f" not matched by {list(self.resources)}" if self.resources is not None else ""
        )
        if self.resources is not None:
            self.resource_rx, self.resource_templates = _resource_regex(self.resources, variables)
        if "Principal" in raw and "NotPrincipal" in raw:
            raise PolicyError(
                f"{w('Principal')}: a statement cannot have both Principal and NotPrincipal"
            )
        self.principal = (
            PrincipalSpec(raw["Principal"], w("Principal")) if "Principal" in raw else None
        )
        self.not_principal = (
            PrincipalSpec(raw["NotPrincipal"], w("NotPrincipal")) if "NotPrincipal" in raw else None
        )
        for spec in (self.principal, self.not_principal):
            if spec is not None:
                self.warnings.extend(spec.warnings)
        if self.not_principal is not None and self.allow:
            self.warnings.append(
                f"{w('NotPrincipal')}: NotPrincipal with Allow is not supported (IAM User Guide, "
                "NotPrincipal) and most services reject it; iamlab evaluates it as the older "
                "guide describes: granted to every principal not named"
            )
        self.has_principal = self.principal is not None or self.not_principal is not None
        self.conditions: tuple[Condition, ...] = compile_conditions(
            raw.get("Condition"), variables=variables, where=w("Condition")
        )

    def match_resource(
        self, resource: str, lookup: Callable[[str], tuple[str, ...] | None]
    ) -> tuple[bool, str, tuple[str, ...]]:
        """(matches, reason, missing variable keys) for the Resource/NotResource element."""
        if self.resources is None:
            return True, "no Resource element", ()
        hit = self.resource_rx.match(resource) is not None
        missing: list[str] = []
        if not hit:
            for t in self.resource_templates:
                alts = t.render(lookup)
                if isinstance(alts, str):
                    missing.append(alts)
                    continue
                rx = compile_alternatives(arn_regex(a) for a in alts)
                if rx.match(resource):
                    hit = True
                    break
        if self.not_resource:
            if missing:
                return (
                    False,
                    f"NotResource uses policy variable(s) without value: {', '.join(missing)}",
                    tuple(missing),
                )
            if hit:
                return False, f"resource is listed in NotResource {list(self.resources)}", ()
            return True, "resource not in NotResource", ()
        if hit:
            return True, "resource matched", ()
        reason = "resource " + resource + self._miss_reason
        if missing:
            reason += f" (policy variable(s) without value: {', '.join(missing)})"
        return False, reason, tuple(missing)


class CompiledPolicy:
    """A parsed and compiled policy document; reusable across requests."""

    __slots__ = ("id", "version", "statements", "warnings", "_action_cache", "_miss_records")

    def __init__(self, doc: Any, policy_id: str = "") -> None:
        self.id = policy_id
        doc = policy_document(doc, _where(policy_id, None, None))
        unknown = set(doc) - {"Version", "Id", "Statement"}
        if unknown:
            raise PolicyError(
                f"{_where(policy_id, None, None, sorted(unknown)[0])}: unknown top-level "
                f"element; valid: Version, Id, Statement"
            )
        version = doc.get("Version")
        if version is not None and version not in VERSIONS:
            raise PolicyError(
                f"{_where(policy_id, None, None, 'Version')}: must be one of "
                f"{', '.join(VERSIONS)}, got {version!r}"
            )
        self.version = version
        if "Statement" not in doc:
            raise PolicyError(f"{_where(policy_id, None, None, 'Statement')}: missing Statement")
        raw = doc["Statement"]
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list):
            raise PolicyError(
                f"{_where(policy_id, None, None, 'Statement')}: must be an object or a list of "
                f"objects, got {type(raw).__name__}"
            )
        variables = version == "2012-10-17"
        self.statements = tuple(Statement(s, i, policy_id, variables) for i, s in enumerate(raw))
        self.warnings = [m for s in self.statements for m in s.warnings]
        if not variables and any("${" in json.dumps(s) for s in raw):
            self.warnings.append(
                f"{_where(policy_id, None, None, 'Version')}: policy variables are only "
                f"substituted with "
                "Version 2012-10-17; here ${...} is literal text"
            )
        self._action_cache: dict[str, tuple[Statement, ...]] = {}
        self._miss_records: dict[str, tuple[StatementResult, ...]] = {}

    def statements_for(self, action_l: str) -> tuple[Statement, ...]:
        """Statements whose Action/NotAction element matches (cached per action)."""
        hit = self._action_cache.get(action_l)
        if hit is None:
            hit = tuple(
                s for s in self.statements if (s.action_rx.match(action_l) is None) == s.not_action
            )
            if len(self._action_cache) >= _ACTION_CACHE_LIMIT:
                self._action_cache.clear()
            self._action_cache[action_l] = hit
        return hit

    def miss_records(self, layer: str) -> tuple[StatementResult, ...]:
        """Precomputed 'action not matched' records of every statement, for ``layer``."""
        recs = self._miss_records.get(layer)
        if recs is None:
            recs = tuple(
                StatementResult(
                    layer,
                    self.id,
                    s.index,
                    s.sid,
                    s.effect,
                    False,
                    "action",
                    f"action is listed in NotAction {list(s.actions)}"
                    if s.not_action
                    else f"action not matched by {list(s.actions)}",
                    (),
                    None,
                    (),
                )
                for s in self.statements
            )
            self._miss_records[layer] = recs
        return recs


def parse_policy(doc: Any, id: str = "") -> CompiledPolicy:  # noqa: A002 - AWS/brief naming
    """Parse and compile a policy document (object or JSON text).

    Raises ``PolicyError`` naming policy, statement and field when malformed.
    Example: ``parse_policy({"Version": "2012-10-17", "Statement": [...]}, id="p1")``.
    """
    return CompiledPolicy(doc, id)


_PLACE = re.compile(r"statement (\d+)(?: \(Sid '((?:[^'\\]|\\.)*)'\))?(?: field (\S+?))?:")
_TOP_FIELD = re.compile(r"^policy '.*?' field (\S+?):")


def _problem(severity: str, policy_id: str, message: str) -> Problem:
    """A Problem with statement index, Sid and field read back from the message."""
    m = _PLACE.search(message)
    if m:
        return Problem(severity, policy_id, int(m.group(1)), m.group(2), m.group(3), message)
    t = _TOP_FIELD.search(message)
    return Problem(severity, policy_id, None, None, t.group(1) if t else None, message)


def validate(doc: Any, id: str = "") -> list[Problem]:  # noqa: A002
    """Return every problem found in ``doc`` (errors and warnings); [] when clean.

    Unlike ``parse_policy`` it does not stop at the first bad statement. Each
    ``Problem`` names the statement index, Sid and field where it can.
    """
    try:
        cp = CompiledPolicy(doc, id)
    except PolicyError as exc:
        first = _problem("error", id, str(exc))
        try:
            raw = policy_document(doc, _where(id, None, None))
        except PolicyError:
            return [first]
        stmts = raw.get("Statement")
        if isinstance(stmts, dict):
            stmts = [stmts]
        if not isinstance(stmts, list):
            return [first]
        variables = raw.get("Version") == "2012-10-17"
        problems = [] if first.statement is not None else [first]
        for i, st in enumerate(stmts):
            try:
                Statement(st, i, id, variables)
            except PolicyError as e:
                problems.append(_problem("error", id, str(e)))
        return problems or [first]
    return [_problem("warning", id, m) for m in cp.warnings]
