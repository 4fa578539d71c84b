"""What a CloudTrail file's path says about its records, and whether a filter can skip it.

The S3 layout (aws-facts.md 3.1) is
``AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz``.
The date folder and the file-name timestamp are the *delivery* time: a file
holds records from any time before it, never after. So a folder dated D can be
skipped for ``since`` when D is before since's day (less a day of slack for
clock skew), and for ``until`` only when D is more than a day after until's day
(the day of slack covers records delivered late; CloudTrail usually delivers
within minutes, but does not guarantee it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

# Sibling folders of CloudTrail/ that never hold API event records.
SKIP_FOLDERS = {
    "CloudTrail-Digest": "digest file (integrity validation, not events)",
    "CloudTrail-Insight": "CloudTrail Insights file (different schema)",
    "CloudTrail-Lake": (
        "CloudTrail Lake saved query result under AWSLogs (pass it directly to load it)"
    ),
}

_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_LOG_NAME = re.compile(
    r"^(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+)_(?P<ts>\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json(\.gz)?$"
)
_DIGEST_NAME = re.compile(r"_CloudTrail-Digest_|_CloudTrail-Insight_")
SLACK = timedelta(days=1)


@dataclass(frozen=True)
class Filter:
    """The record filter of one load; ``None`` fields do not filter."""

    since: datetime | None = None
    until: datetime | None = None
    accounts: frozenset[str] | None = None
    regions: frozenset[str] | None = None

    def day_may_match(self, day: date) -> bool:
        """True unless a date folder (delivery day) cannot hold a record in the window."""
        if self.since is not None and day < self.since.date() - SLACK:
            return False
        if self.until is not None and day > self.until.date() + SLACK:
            return False
        return True

    def delivered_may_match(self, delivered: datetime) -> bool:
        """True unless a file delivered at ``delivered`` holds only records before ``since``."""
        return self.since is None or delivered >= self.since - SLACK

    def account_may_match(self, account: str) -> bool:
        return self.accounts is None or account in self.accounts

    def region_may_match(self, region: str) -> bool:
        return self.regions is None or region in self.regions

    @property
    def empty(self) -> bool:
        return self.since is None and self.until is None and not self.accounts and not self.regions


def skip_reason_for_name(parts: list[str]) -> str | None:
    """Why a path (split into folder names) is not event data, or None if it may be."""
    for part in parts[:-1]:
        if part in SKIP_FOLDERS:
            return SKIP_FOLDERS[part]
    name = parts[-1] if parts else ""
    if _DIGEST_NAME.search(name):
        if "Digest" in name:
            return SKIP_FOLDERS["CloudTrail-Digest"]
        return SKIP_FOLDERS["CloudTrail-Insight"]
    if name == "result_sign.json":
        return "CloudTrail Lake result signature file (not events)"
    return None


def is_trail_log_name(name: str) -> bool:
    """True for the file names CloudTrail gives log files in S3."""
    return _LOG_NAME.match(name) is not None


def name_delivery_time(name: str) -> datetime | None:
    """The delivery timestamp in a CloudTrail log file name (UTC), if it has one."""
    m = _LOG_NAME.match(name)
    if not m:
        return None
    return datetime.strptime(m["ts"], "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc)


def path_may_match(parts: list[str], flt: Filter) -> bool:
    """False when the AWSLogs layout in ``parts`` proves no record can pass ``flt``.

    ``parts`` are the path components (folders, optionally ending with a file
    name); a partial path (a folder) is judged on what it already says, so a
    directory walk or an S3 listing can prune early.
    """
    if flt.empty:
        return True
    try:
        i = parts.index("AWSLogs")
    except ValueError:
        return True
    rest = parts[i + 1 :]
    if rest and _ORG.match(rest[0]):
        rest = rest[1:]
    if not rest:
        return True
    if _ACCOUNT.match(rest[0]) and not flt.account_may_match(rest[0]):
        return False
    if len(rest) < 2 or rest[1] != "CloudTrail":
        return True
    if len(rest) >= 3 and not flt.region_may_match(rest[2]):
        return False
    ymd = rest[3:6]
    if len(ymd) == 3 and all(p.isdigit() for p in ymd):
        try:
            if not flt.day_may_match(date(int(ymd[0]), int(ymd[1]), int(ymd[2]))):
                return False
        except ValueError:
            return True
    elif ymd and all(p.isdigit() for p in ymd):
        # a partial date folder (year, or year/month): skip when the whole span is out
        try:
            year = int(ymd[0])
            if len(ymd) == 1:
                first, last = date(year, 1, 1), date(year, 12, 31)
            else:
                month = int(ymd[1])
                first = date(year, month, 1)
                last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
            if (flt.since is not None and last < flt.since.date() - SLACK) or (
                flt.until is not None and first > flt.until.date() + SLACK
            ):
                return False
        except ValueError:
            return True
    if len(rest) >= 7:
        delivered = name_delivery_time(rest[-1])
        if delivered is not None and not flt.delivered_may_match(delivered):
            return False
    return True
