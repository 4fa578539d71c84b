"""The sample snapshot's trails: what `describe-trails` and `get-trail-status` showed each account.

The organization trail (management account, home us-east-1, every Region, log file
validation, the data and network activity event selectors and Insights the evidence
shows) replaced the per-account trails at ORG_TRAIL_START; those were deleted then, so
the snapshot of 12 March 18:00 sees only the organization trail, in every account: a
member account sees it as a shadow trail and reads its status by ARN (AWS's
DescribeTrails and GetTrailStatus references). The sandbox, invited at 17:20, sees it too.
"""

from __future__ import annotations

from iamlab.sample.world.accounts import (
    LOG_BUCKET,
    MGMT,
    ORG_ACCOUNTS,
    ORG_TRAIL,
    ORG_TRAIL_REGION,
)

TRAIL_ARN = f"arn:aws:cloudtrail:{ORG_TRAIL_REGION}:{MGMT}:trail/{ORG_TRAIL}"
_LAST_DELIVERY = "2026-03-12T17:58:12Z"  # the last hourly delivery before the snapshot
_STARTED = "2026-03-10T23:52:07Z"  # logging started just before its first delivery


def _trail() -> dict:
    """One `trailList` entry of `aws cloudtrail describe-trails` for the organization trail."""
    return {
        "Name": ORG_TRAIL,
        "S3BucketName": LOG_BUCKET,
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": True,
        "HomeRegion": ORG_TRAIL_REGION,
        "TrailARN": TRAIL_ARN,
        "LogFileValidationEnabled": True,
        "HasCustomEventSelectors": True,  # S3 data events and VPC endpoint network activity
        "HasInsightSelectors": True,
        "IsOrganizationTrail": True,
    }


def _status() -> dict:
    """`aws cloudtrail get-trail-status --name <trail ARN>` as the CLI prints it."""
    return {
        "IsLogging": True,
        "LatestDeliveryTime": "2026-03-12T17:58:12.418000+00:00",
        "StartLoggingTime": "2026-03-10T23:52:07.035000+00:00",
        "LatestDigestDeliveryTime": "2026-03-12T17:31:40.266000+00:00",
        "LatestDeliveryAttemptTime": _LAST_DELIVERY,
        "LatestNotificationAttemptTime": "",
        "LatestNotificationAttemptSucceeded": "",
        "LatestDeliveryAttemptSucceeded": _LAST_DELIVERY,
        "TimeLoggingStarted": _STARTED,
        "TimeLoggingStopped": "",
    }


def trail_files() -> dict[str, dict]:
    """accounts/<id>/trails.json and trail-status/<name>.json for every organization account."""
    files: dict[str, dict] = {}
    for account in ORG_ACCOUNTS:
        files[f"accounts/{account}/trails.json"] = {"trailList": [_trail()]}
        files[f"accounts/{account}/trail-status/{ORG_TRAIL}.json"] = _status()
    return files
