"""One time parser for every since/until: the same text is the same UTC instant."""

import datetime as dt

import pytest

from iamlab.errors import InputError
from iamlab.times import parse_time

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-03-01", dt.datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T12:00:00Z", dt.datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T12:00:00z", dt.datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T12:00:00", dt.datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T14:00:00+02:00", dt.datetime(2026, 3, 1, 12, tzinfo=UTC)),
        (" 2026-03-01T12:00Z ", dt.datetime(2026, 3, 1, 12, tzinfo=UTC)),
    ],
)
def test_iso_text_is_read_as_utc(text, expected):
    got = parse_time(text, "since")
    assert got == expected and got.tzinfo == UTC


def test_dates_datetimes_and_nothing():
    assert parse_time(dt.date(2026, 3, 1), "since") == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_time(dt.datetime(2026, 3, 1, 5), "until") == dt.datetime(2026, 3, 1, 5, tzinfo=UTC)
    assert parse_time(None, "since") is None and parse_time("", "since") is None


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", 12345])
def test_bad_values_name_the_argument(bad):
    with pytest.raises(InputError, match="until="):
        parse_time(bad, "until")
