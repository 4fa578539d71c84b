"""Times given by users (CLI flags, notebook arguments): always aware UTC datetimes.

One parser for every ``since``/``until`` in iamlab, so that the same text means
the same instant everywhere, on every supported Python (3.10's
``fromisoformat`` does not read a trailing ``Z``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from iamlab.errors import InputError


def parse_time(value: Any, name: str) -> dt.datetime | None:
    """Return ``value`` as an aware UTC datetime, or None for None/"".

    Accepts ISO 8601 text (``2026-03-01``, ``2026-03-01T12:00:00Z``,
    ``...+02:00``), a date, a datetime or a pandas Timestamp; naive values are
    UTC. Raises InputError naming ``name`` for anything else.
    """
    if value is None or value == "":
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InputError(
                f"{name}={value!r} is not an ISO-8601 time; write e.g. 2026-03-01 or "
                "2026-03-01T12:00:00Z (UTC when no offset is given)."
            ) from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise InputError(f"{name}={value!r} is not a time; pass a datetime or an ISO-8601 string.")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)
