"""CloudTrail Lake results (get-query-results JSON rows, result CSV rows) back into records.

Lake returns lowercase column names and every value as a string
(aws-facts.md 3.3). When the query selected ``eventjson`` the original record
is in it and is used as is; otherwise the record is rebuilt from the columns:
names are mapped back to CloudTrail's spelling, struct and map columns are
parsed (JSON, or Trino's ``{key=value, ...}`` rendering), and ``readonly`` /
``managementevent`` become booleans.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

# Lake column name -> CloudTrail record key (aws-facts.md 2.1 and 3.3).
COLUMN_TO_KEY = {
    name.lower(): name
    for name in (
        "eventVersion userIdentity eventTime eventSource eventName awsRegion sourceIPAddress "
        "userAgent errorCode errorMessage requestParameters responseElements additionalEventData "
        "requestID eventID readOnly resources eventType apiVersion managementEvent "
        "recipientAccountId sharedEventID annotation vpcEndpointId vpcEndpointAccountId "
        "serviceEventDetails addendum edgeDeviceDetails insightDetails eventCategory tlsDetails "
        "sessionCredentialFromConsole eventContext"
    ).split()
}
_NESTED = {
    "userIdentity",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "resources",
    "serviceEventDetails",
    "addendum",
    "edgeDeviceDetails",
    "insightDetails",
    "tlsDetails",
    "eventContext",
}
# Lake lowercases nested struct fields too; these are the ones investigations read.
_NESTED_KEYS = {
    k.lower(): k
    for k in (
        "type principalId arn accountId accessKeyId userName invokedBy sessionContext "
        "sessionIssuer webIdFederationData attributes creationDate mfaAuthenticated sourceIdentity "
        "ec2RoleDelivery onBehalfOf userId identityStoreArn credentialId tlsVersion cipherSuite "
        "clientProvidedHostHeader ARN arnPrefix"
    ).split()
}
_NESTED_KEYS["arn"] = "arn"
# Struct columns (Lake, Athena): their field names come back lowercased, also as JSON
# (Athena's CAST(row AS JSON)); the other nested columns hold the record's own JSON.
_STRUCTS = {"userIdentity", "tlsDetails"}


class TrinoParseError(ValueError):
    pass


def parse_trino_value(text: str) -> Any:
    """Parse Trino's rendering of a row/map/array (``{a=1, b={c=2}}``, ``[x, y]``).

    Scalars stay strings (Lake gives no types); ``null`` becomes None. Raises
    TrinoParseError on text that is not in that form.
    """
    pos = 0

    def entry() -> tuple[str, Any]:
        nonlocal pos
        eq = text.find("=", pos)
        if eq < 0:
            raise TrinoParseError(f"no '=' after position {pos}")
        key = text[pos:eq].strip()
        pos = eq + 1
        return key, value(",}")

    def items(bracket: str, item: Callable[[], Any]) -> list[Any]:
        """Read the ``item``s between ``bracket`` (``{}`` or ``[]``), separated by ``", "``."""
        nonlocal pos
        pos += 1
        found = []
        while pos < len(text) and text[pos] != bracket[1]:
            found.append(item())
            if pos < len(text) and text[pos] == ",":
                pos += 1
                while pos < len(text) and text[pos] == " ":
                    pos += 1
        if pos >= len(text):
            raise TrinoParseError(f"unclosed '{bracket[0]}'")
        pos += 1
        return found

    def value(stop: str) -> Any:
        nonlocal pos
        if pos < len(text) and text[pos] == "{":
            return dict(items("{}", entry))
        if pos < len(text) and text[pos] == "[":
            return items("[]", lambda: value(",]"))
        start = pos
        while pos < len(text) and text[pos] not in stop:
            pos += 1
        raw = text[start:pos]
        return None if raw == "null" else raw

    result = value("")
    if pos != len(text):
        raise TrinoParseError(f"unexpected text at position {pos}")
    return result


def _nested(value: str, struct: bool = False) -> Any:
    if value in ("", "null"):
        return None
    try:
        parsed = orjson.loads(value)
        return _rename(parsed) if struct else parsed
    except orjson.JSONDecodeError:
        pass
    try:
        return _rename(parse_trino_value(value))
    except TrinoParseError:
        return value


def _rename(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {_NESTED_KEYS.get(k, k): _rename(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rename(v) for v in obj]
    return obj


def record_from_columns(columns: dict[str, str | None]) -> dict[str, Any]:
    """Rebuild a CloudTrail record from one Lake result row (column -> string)."""
    lowered = {k.lower(): v for k, v in columns.items()}
    event_json = lowered.get("eventjson")
    if event_json:
        record = orjson.loads(event_json)
        if isinstance(record, dict):
            return record
    record: dict[str, Any] = {}
    for col, value in lowered.items():
        if col in ("eventjson", "eventjsonchecksum") or value is None:
            continue
        key = COLUMN_TO_KEY.get(col, col)
        if key in _NESTED:
            record[key] = _nested(value, key in _STRUCTS)
        elif key in ("readOnly", "managementEvent"):
            record[key] = {"true": True, "false": False}.get(value.lower(), value)
        elif key == "eventTime":
            record[key] = _iso_time(value)
        else:
            record[key] = value
    return record


def _iso_time(value: str) -> str:
    """Lake prints ``2024-01-30 07:52:08.000``; records use ``2024-01-30T07:52:08Z``."""
    v = value.strip()
    if len(v) >= 19 and v[10] == " " and not v.endswith("Z") and "+" not in v[10:]:
        v = v[:10] + "T" + v[11:]
        if v.endswith(".000"):
            v = v[:-4]
        v += "Z"
    return v


def row_columns(row: Any) -> dict[str, str | None]:
    """One ``QueryResultRows`` row (a list of one-key dicts) as a column dict.

    Lake gives every value as a string; anything else (hostile or hand-made
    input) is kept as its JSON text, so the rebuild below only sees strings.
    """
    cells = row if isinstance(row, list) else [row]
    merged: dict[str, str | None] = {}
    for cell in cells:
        if isinstance(cell, dict):
            for key, value in cell.items():
                merged[key] = value if value is None or isinstance(value, str) else _text(value)
    return merged


def _text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # nested deeper than orjson writes
        return str(type(value).__name__)
