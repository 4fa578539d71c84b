"""The sample's traffic: CloudTrail records, the API call shapes, who calls, and
the seeded background that fills every account, region and day.
"""
