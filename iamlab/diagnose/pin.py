"""The cases that pin a verified fix: "this request must now be allowed; these must stay denied".

A fix ships with its regression test. For a diagnosis whose fix re-evaluates to
``allow`` (``fix.py``), ``pin_cases`` returns cases in the design's format (made
by ``iamlab.policy.cases``, the format's owner) with the fixed policy layers
embedded, so ``iamlab test`` runs them without a snapshot:

- the denied request, expected to be allowed;
- the principal's other denials (among the diagnoses given) whose policy layers the
  fix changes, replayed with the fix: each one that stays denied, as the engine denies it;
- where the fix adds an action or a resource: the same action on a neighbouring
  resource of the same type, and a neighbouring action on the same resource; where it
  excepts the caller from a Deny: the same request by another principal. These probes
  keep the request's context and the same fixed policies (they state what the fixed
  documents allow, not what a real neighbour's own policies would), and are kept only
  when the fixed policies deny them.

Every case is evaluated before it is kept (a case that would fail on the day it is
written is left out). An unverified fix (a layer the snapshot lacks could still deny)
gets no case at all. ``write_pins`` writes one file per verified fix into a folder
(``iamlab diagnose --write-cases DIR``).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from iamlab.diagnose.fix import apply_changes
from iamlab.diagnose.verdict import Diagnosis
from iamlab.errors import IamlabError, InputError
from iamlab.policy import evaluate
from iamlab.policy.cases import expect_of, make_case, run_case, write_cases
from iamlab.policy.request import PolicySet, Request

__all__ = ["PinReport", "pin_cases", "prepare_folder", "write_pins"]

DENIED = ("implicit_deny", "explicit_deny")
MAX_STAY_DENIED = 20  # the principal's other denials pinned per fix
MAX_PROBES = 12  # neighbouring actions tried per fix before giving up
PROBE = "iamlab-probe"  # the name part of a neighbouring resource that (likely) does not exist


@dataclass(frozen=True)
class PinReport:
    """What ``write_pins`` wrote: files, case counts, and the fixes it could not pin (why)."""

    folder: Path
    files: tuple[Path, ...]
    cases: int
    allowed: int  # "must now be allowed" cases (one per file)
    not_pinned: tuple[tuple[str, str | None, str], ...]  # (event id, cause, why)
    diagnoses: tuple[Diagnosis, ...] = ()

    @property
    def stay_denied(self) -> int:
        return self.cases - self.allowed

    @property
    def frame(self) -> Any:
        """The diagnoses the cases were written from, as ``Workspace.diagnose`` returns them."""
        from iamlab.diagnose import to_frame

        return to_frame([d.to_dict() for d in self.diagnoses])


def pin_cases(diag: Diagnosis, others: Iterable[Diagnosis] = (), source: str = "") -> list[dict]:
    """Return the cases that pin ``diag``'s verified fix (none when it is not verified).

    ``others`` are the diagnoses of the same window (the principal's other denials
    are taken from them); ``source`` is added to each case's ``source`` note (the
    workspace and snapshot). The first case is the denied request, expected
    ``allow``; the rest must stay denied.
    """
    sim, fixed = diag.simulation, diag.fixed_policies
    if not (diag.fix or {}).get("verified") or sim is None or fixed is None:
        return []
    tag = f"event {diag.event_id} ({diag.cause})"
    note = f"iamlab diagnose: the fix of event {diag.event_id}" + (f"; {source}" if source else "")

    def pinned(name: str, request: Request, policies: PolicySet, want: tuple[str, ...]):
        return _pinned(name, request, policies, want, note, diag.cause or "")

    who = (diag.principal or "?").rsplit("/", 1)[-1]
    first = pinned(
        f"{tag}: {sim.request.action} on {sim.request.resource} by {who} must now be allowed",
        sim.request,
        fixed,
        ("allow",),
    )
    if first is None:
        return []
    cases = [first]
    seen = {(sim.request.action, sim.request.resource)}
    for other in others:
        if len(cases) > MAX_STAY_DENIED:
            break
        o = other.simulation
        if o is None or other.principal != diag.principal:
            continue
        if (o.request.action, o.request.resource) in seen:
            continue
        seen.add((o.request.action, o.request.resource))
        policies, reached = apply_changes(o.policies, diag.fix_changes)
        if not reached:
            continue  # the fix changes none of its layers: nothing to pin
        cause = other.cause or other.reported_cause
        case = pinned(
            f"{tag} fix: {o.request.action} on {o.request.resource}, denied in event "
            f"{other.event_id} ({cause}), must stay denied",
            o.request,
            policies,
            DENIED,
        )
        if case is not None:
            cases.append(case)
    for template, candidates in _probes(diag, sim.request):
        for request in candidates:
            if request.principal == sim.request.principal and (
                (request.action, request.resource) in seen
            ):
                continue
            what = template.format(
                action=request.action, resource=request.resource, principal=request.principal
            )
            case = pinned(f"{tag} fix: {what} must stay denied", request, fixed, DENIED)
            if case is not None:
                cases.append(case)
                break
    return cases


def _pinned(
    name: str,
    request: Request,
    policies: PolicySet,
    want: tuple[str, ...],
    source: str,
    rule: str,
) -> dict[str, Any] | None:
    """The case pinning the engine's decision on ``request``, or None when it is not in ``want``.

    Request and policies go through the case format first, so the expectation (with its
    deciding statements, named as the case file names them) is what ``iamlab test`` will see.
    """
    request = Request.from_dict(request.to_dict())
    policies = PolicySet.from_dict(policies.to_dict())
    decision = evaluate(request, policies)
    if decision.decision not in want:
        return None
    case = make_case(name, request, policies, expect_of(decision, deciding=True), source, rule)
    return case if run_case(case, name).passed else None


def _probes(diag: Diagnosis, request: Request) -> Iterator[tuple[str, list[Request]]]:
    """(name template, candidate requests) for each neighbour the fix must not open; the
    first candidate the fixed policies deny is pinned.

    A fix that adds an Allow (an action or a resource) must not open the neighbouring
    resource or action; one that excepts the caller from a Deny must not except anyone else.
    """
    changes = (diag.fix or {}).get("changes") or []
    effects = {(c.get("statement") or {}).get("Effect") for c in changes}
    if "Allow" in effects:
        resources = _neighbour_resources(request.resource)
        yield (
            "{action} on another resource of the same type, {resource},",
            [replace(request, resource=arn) for arn in resources],
        )
        actions = _neighbour_actions(request.action, request.resource)[:MAX_PROBES]
        yield (
            "{action}, a neighbouring action, on {resource}",
            [replace(request, action=action) for action in actions],
        )
    if "Deny" in effects:
        other = _other_principal(request)
        yield (
            "{action} on {resource} by another principal, {principal}, with the same policies,",
            [other] if other else [],
        )


def _other_principal(request: Request) -> Request | None:
    """The request sent by a sibling of the caller (``iamlab-probe`` beside the user or role,
    a session of it for a role session): whom an exception for the caller must not cover."""
    keys = {k.lower(): k for k in request.context}
    key = keys.get("aws:principalarn")
    entity = request.context[key] if key else request.principal
    if not isinstance(entity, str):
        return None
    parts = entity.split(":", 5)
    if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith(("user/", "role/")):
        return None
    sibling = entity.rsplit("/", 1)[0] + "/" + PROBE
    principal = sibling
    if ":assumed-role/" in request.principal:
        session = request.principal.rsplit("/", 1)[-1]
        principal = f"arn:{parts[1]}:sts::{parts[4]}:assumed-role/{PROBE}/{session}"
    context = {
        k: v for k, v in request.context.items() if k.lower() not in ("aws:userid", "aws:username")
    }
    context[key or "aws:PrincipalArn"] = sibling
    return replace(request, principal=principal, context=context)


def _neighbour_resources(arn: str) -> list[str]:
    """ARNs of the same resource type beside ``arn``: one name part at a time (last first)
    replaced by ``iamlab-probe``; the IAM reference checks the type when it knows it."""
    from iamlab.diagnose.iam_reference import resource_type

    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or "*" in arn or "?" in arn:
        return []
    try:
        kind = resource_type(arn)
    except IamlabError:  # no IAM reference installed: only the last name part is replaced
        kind = None
    pieces = re.split(r"([/:])", parts[5])
    out = []
    for i in range(len(pieces) - 1, -1, -2):  # name parts sit at even positions
        if pieces[i] in ("", PROBE):
            continue
        candidate = ":".join(parts[:5]) + ":" + "".join([*pieces[:i], PROBE, *pieces[i + 1 :]])
        if kind is None:
            return [candidate]
        if resource_type(candidate) == kind:
            out.append(candidate)
    return out


def _neighbour_actions(action: str, resource: str) -> list[str]:
    """Actions of the same service that take this resource, closest name first
    (``s3:GetObject`` -> ``s3:GetObjectAcl``...): what a widened ``Action`` would open next."""
    from iamlab.diagnose.iam_reference import actions_matching, resource_patterns

    service, _, name = action.partition(":")
    try:
        names = actions_matching(f"{service}:*")
    except IamlabError:  # no IAM reference installed: no neighbouring action
        return []

    def takes(candidate: str) -> bool:
        patterns = resource_patterns(candidate)
        if not patterns:
            return resource == "*" and patterns == {}
        return any(p.fullmatch(resource) for p in patterns.values())

    def shared(candidate: str) -> int:
        return len(os.path.commonprefix([candidate.partition(":")[2].lower(), name.lower()]))

    names = [n for n in names if n.lower() != action.lower() and takes(n)]
    return sorted(names, key=lambda n: (-shared(n), n))


# -- files -----------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def prepare_folder(folder: str | Path) -> Path:
    """Return ``folder``, created when missing; InputError for a file or an unwritable path."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise InputError(
            f"--write-cases {path} is a file; pass a folder (created when missing) "
            "for the case files"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the case folder {path}: {exc.strerror}; pass a folder you can write"
        ) from None
    return path


def file_name(diag: Diagnosis, used: set[str]) -> str:
    """``<event id>-<cause>.json`` in safe characters only (no separator, no dot but the
    suffix): an event id is evidence, and must never become a path. A changed or
    repeated name gets a hash of the event id."""
    event = _UNSAFE.sub("_", diag.event_id).strip("_")[:64] or "event"
    cause = _UNSAFE.sub("_", diag.cause or "unknown")
    if event != diag.event_id or f"{event}-{cause}".lower() in used:
        event += "-" + hashlib.sha256(diag.event_id.encode("utf-8", "replace")).hexdigest()[:12]
    used.add(f"{event}-{cause}".lower())  # case-insensitive file systems
    return f"{event}-{cause}.json"


def write_pins(diagnoses: Iterable[Diagnosis], folder: str | Path, source: str = "") -> PinReport:
    """Write one case file per verified fix into ``folder`` (created); return what was written.

    Each file holds ``pin_cases`` of one diagnosis. A diagnosis whose fix is not
    verified (or that has none) is listed in ``not_pinned`` with the reason.
    Raises InputError for a folder that is a file or cannot be written.

    >>> write_pins(diagnose_all(con, "sample_data/snapshot"), "fix-cases")  # doctest: +SKIP
    """
    diagnoses = tuple(diagnoses)
    folder = prepare_folder(folder)
    by_principal: dict[str | None, list[Diagnosis]] = {}
    for d in diagnoses:
        by_principal.setdefault(d.principal, []).append(d)
    files: list[Path] = []
    cases = 0
    not_pinned = []
    used: set[str] = set()
    for diag in diagnoses:
        pins = pin_cases(diag, by_principal.get(diag.principal, ()), source)
        if not pins:
            not_pinned.append((diag.event_id, diag.cause or diag.reported_cause, _why_not(diag)))
            continue
        path = folder / file_name(diag, used)
        try:
            write_cases(path, pins)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror}") from None
        files.append(path)
        cases += len(pins)
    return PinReport(folder, tuple(files), cases, len(files), tuple(not_pinned), diagnoses)


def _why_not(diag: Diagnosis) -> str:
    """Why a diagnosis has no pinning cases, in a few words."""
    fix = diag.fix
    if not fix or not fix.get("changes"):
        return "no fix proposed" + (f" ({diag.reasons[0]})" if diag.reasons else "")
    if not fix.get("verified"):
        found = re.search(r"\(not verified: (.*)\)$", fix.get("summary") or "")
        after = fix.get("decision_after")
        return "fix not verified: " + (found.group(1) if found else f"the replay then says {after}")
    return "the fixed policies do not reproduce the allow in the case format"
