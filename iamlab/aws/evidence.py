"""Save live AWS answers as evidence files with a provenance sidecar.

Every file written under ``<evidence_dir>/<kind>/`` (a workspace's is
``<workspace>/evidence``) gets a ``<file>.meta.json`` next to it: the API
called, its request parameters, when, in which Region, and as whom (caller
identity, never credentials). Loading the file into a workspace is the
caller's step (``Workspace.load(evidence.path)``), not this room's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from iamlab.aws._calls import safe_name, write_json


@dataclass(frozen=True)
class EvidenceFile:
    """Where the evidence went, and its provenance sidecar."""

    path: Path
    meta_path: Path


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    """Return a file-name-safe UTC timestamp like ``20240131T101500Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def caller_identity(session: Any) -> dict[str, Any]:
    """Return the caller's account and ARN for provenance; an error note if STS fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    from iamlab.aws.readonly import client

    if session is None:  # a ready-made client was given, and no session to ask STS with
        return {"error": "caller not recorded: a client was given without its session"}
    try:
        ident = client(
            "sts", session=session, region=session.region_name or "us-east-1"
        ).get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        return {"error": f"GetCallerIdentity failed: {type(exc).__name__}"}
    return {"Account": ident["Account"], "Arn": ident["Arn"]}


def save(
    evidence_dir: Path,
    kind: str,
    name: str,
    data: Any,
    *,
    api: str,
    request: dict[str, Any],
    region: str | None,
    caller: dict[str, Any],
    started: datetime,
    extra: dict[str, Any] | None = None,
) -> EvidenceFile:
    """Write ``data`` to ``evidence_dir/kind/<name>.json`` with its provenance sidecar.

    ``kind`` is the evidence folder (``lookup-events``, ``lake``, ...), ``name``
    the file stem (made safe as one file name). The sidecar never holds
    credentials: ``caller`` is an account and ARN, ``request`` the API
    parameters.
    """
    path = write_json(Path(evidence_dir) / kind / f"{safe_name(name)}.json", data)
    meta = {
        "api": api,
        "request": request,
        "region": region,
        "caller": caller,
        "requested_at": started.isoformat(),
        "saved_at": now_utc().isoformat(),
        **(extra or {}),
    }
    from iamlab import __version__

    meta["iamlab"] = __version__
    meta_path = write_json(path.with_name(path.name + ".meta.json"), meta)
    return EvidenceFile(path, meta_path)
