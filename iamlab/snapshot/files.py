"""Reading a snapshot folder's files: JSON with located errors, policy documents.

Snapshots are written by iamlab's collector or by hand with the AWS CLI, so
every reader accepts the shapes both produce: the CLI and boto3 decode policy
documents into objects, the raw IAM API returns URL-encoded JSON strings, and
Organizations returns policy content as a JSON string.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from iamlab.errors import SnapshotError
from iamlab.policy.request import policy_document

AUTH_DETAILS = "authorization-details.json"
_AUTH_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def read_json(path: Path, concatenated: bool = False) -> Any:
    """Return the parsed JSON of ``path``; SnapshotError names the file and position.

    With ``concatenated``, a file of several JSON values one after the other
    (pages appended by a shell loop) is returned as a list of them.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SnapshotError(f"snapshot file missing: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"cannot read snapshot file {path}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if concatenated and exc.msg == "Extra data":
            return _values(text, path)
        raise _malformed(path, exc) from None


def _values(text: str, path: Path) -> list[Any]:
    decoder, values, pos = json.JSONDecoder(), [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return values
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _malformed(path, exc) from None
        values.append(value)


def _malformed(path: Path, exc: json.JSONDecodeError) -> SnapshotError:
    return SnapshotError(
        f"malformed JSON in {path} at line {exc.lineno} column {exc.colno} "
        f"(char {exc.pos}): {exc.msg}; re-export it with the AWS CLI (--output json)"
    )


def decode_document(value: Any, where: str) -> dict[str, Any]:
    """Return a policy document as a dict, from an object, JSON text or URL-encoded JSON.

    ``where`` names the file and field for the error message.
    """
    if isinstance(value, str):
        value = value.strip()
        if not value.startswith("{") and "%" in value:
            value = unquote(value)  # raw IAM API: RFC 3986 URL-encoded JSON
    return policy_document(
        value,
        f"policy document in {where}",
        SnapshotError,
        "a JSON object, JSON text or URL-encoded JSON",
    )


def _natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def authorization_detail_files(account_dir: Path) -> list[Path]:
    """Return the authorization-details file(s) of one account folder, in page order.

    Accepts ``authorization-details.json`` or page files such as
    ``authorization-details-1.json``, ``authorization-details.2.json``.
    """
    pages = sorted(account_dir.glob("authorization-details*.json"), key=_natural_key)
    if not pages:
        raise SnapshotError(
            f"snapshot file missing: {account_dir / AUTH_DETAILS} (save the output of "
            "`aws iam get-account-authorization-details` there)"
        )
    return pages


def read_authorization_details(account_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Return one account's authorization details, all pages merged, deduplicated by ARN.

    A file may hold one (merged) output, a JSON list of pages, or pages
    written one after the other.
    """
    merged: dict[str, list[dict[str, Any]]] = {key: [] for key in _AUTH_LISTS}
    seen: dict[str, set[str]] = {key: set() for key in _AUTH_LISTS}
    for path in authorization_detail_files(account_dir):
        data = read_json(path, concatenated=True)
        pages = data if isinstance(data, list) else [data]
        for number, page in enumerate(pages):
            if not isinstance(page, dict) or not any(k in page for k in _AUTH_LISTS):
                raise SnapshotError(
                    f"{path} (page {number}) is not `aws iam get-account-authorization-details` "
                    f"output: expected an object with {', '.join(_AUTH_LISTS)}"
                )
            for key in _AUTH_LISTS:
                items = page.get(key) or []
                if not isinstance(items, list):
                    raise SnapshotError(f"{path} (page {number}): {key} must be a list")
                for item in items:
                    if not isinstance(item, dict) or "Arn" not in item:
                        raise SnapshotError(
                            f"{path} (page {number}): an entry of {key} has no Arn: "
                            f"{str(item)[:120]}"
                        )
                    if item["Arn"] not in seen[key]:
                        seen[key].add(item["Arn"])
                        merged[key].append(item)
    return merged
