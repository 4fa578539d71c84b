"""Save live AWS answers as evidence files with a provenance sidecar.

Every file written under ``<workspace>/evidence/<kind>/`` gets a
``<file>.meta.json`` next to it: the API called, its request parameters,
when, in which Region, and as whom (caller identity, never credentials). A
``Workspace`` object, if given, then loads the file like any other evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from iamlab.aws._calls import safe_name, write_json


@dataclass(frozen=True)
class EvidenceFile:
    """Where the evidence went, its sidecar, and what the workspace said when loading it."""

    path: Path
    meta_path: Path
    loaded: Any = None


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    """Return a file-name-safe UTC timestamp like ``20240131T101500Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def workspace_dir(workspace: Any) -> Path:
    """Return the folder of a workspace given as a path or a ``Workspace`` object."""
    if isinstance(workspace, (str, Path)):
        return Path(workspace)
    for attr in ("path", "root", "folder", "directory"):
        value = getattr(workspace, attr, None)
        if isinstance(value, (str, Path)):
            return Path(value)
    raise TypeError(f"cannot tell the folder of workspace {workspace!r}")


def caller_identity(session: Any) -> dict[str, Any]:
    """Return the caller's account and ARN for provenance; an error note if STS fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    from iamlab.aws.readonly import client

    try:
        ident = client("sts", session=session,
                       region=session.region_name or "us-east-1").get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        return {"error": f"GetCallerIdentity failed: {type(exc).__name__}"}
    return {"Account": ident["Account"], "Arn": ident["Arn"]}


def save(workspace: Any, kind: str, name: str, data: Any, *, api: str, request: dict[str, Any],
         region: str | None, caller: dict[str, Any], started: datetime,
         extra: dict[str, Any] | None = None, load: bool = True) -> EvidenceFile:
    """Write ``data`` and its provenance sidecar; load it into the workspace if it is one.

    ``kind`` is the evidence folder (``lookup-events``, ``lake``, ...), ``name``
    the file stem. The sidecar never holds credentials: ``caller`` is an
    account and ARN, ``request`` the API parameters.
    """
    folder = workspace_dir(workspace) / "evidence" / kind
    path = write_json(folder / f"{safe_name(name)}.json", data)
    meta = {"api": api, "request": request, "region": region, "caller": caller,
            "requested_at": started.isoformat(), "saved_at": now_utc().isoformat(),
            **(extra or {})}
    from iamlab import __version__

    meta["iamlab"] = __version__
    meta_path = write_json(path.with_name(path.name + ".meta.json"), meta)
    loaded = None
    if load and not isinstance(workspace, (str, Path)) and hasattr(workspace, "load"):
        loaded = workspace.load(path, progress=False)
    return EvidenceFile(path, meta_path, loaded)
