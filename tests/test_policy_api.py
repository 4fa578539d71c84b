"""The public API of iamlab.policy is what is meant to be exported, and nothing is missing."""

from __future__ import annotations

import iamlab.policy as policy


def test_exports() -> None:
    wanted = {"evaluate", "Decision", "Request", "Policy", "PolicySet", "validate", "parse_policy"}
    assert wanted <= set(policy.__all__)
    for name in policy.__all__:
        assert getattr(policy, name) is not None, name


def test_decision_values_come_from_fixed_sets() -> None:
    from iamlab.policy.decision import DECISIONS, FAILED_ON, GRANTS, LAYERS, OUTCOMES

    d = policy.evaluate(
        {
            "principal": "arn:aws:iam::111122223333:user/a",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/k",
            "resource_account": "111122223333",
        },
        {
            "identity": [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:Put*", "Resource": "*"},
                        {
                            "Effect": "Allow",
                            "Action": "s3:Get*",
                            "Resource": "arn:aws:s3:::other/*",
                        },
                    ],
                }
            ],
            "resource": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "111122223333"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::b/*",
                    }
                ],
            },
        },
    )
    assert d.decision in DECISIONS and set(d.denied_by) <= set(LAYERS)
    for lr in d.layers:
        assert lr.layer in LAYERS and lr.outcome in OUTCOMES
        for st in lr.statements:
            assert st.failed_on is None or st.failed_on in FAILED_ON
            assert st.grant is None or st.grant in GRANTS
    assert [lr.layer for lr in d.layers] == ["identity", "resource"]
    assert d.layer("resource")[0].statements[0].grant == "account"
