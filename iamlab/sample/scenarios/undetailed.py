"""undetailed: the message names no policy, so the layer is unknown from the event alone."""

from __future__ import annotations

from iamlab.sample.scenarios.messages import EC2_PREFIX
from iamlab.sample.scenarios.recorder import Recorder, at
from iamlab.sample.traffic.actors import JAVA_V1
from iamlab.sample.traffic.api_infrastructure import s3_object
from iamlab.sample.traffic.records import aws_account, encoded_message
from iamlab.sample.world.accounts import EXPORTS, ONPREM_IP, PARTNER, PARTNER_IP, PROD


def s3_partner(recorder: Recorder) -> None:
    """Brightline reads a partner object: the owner's copy says only "Access Denied"."""
    rng = recorder.rng
    key = "partner/acme-logistics/2026-03-10/shipments.csv.gz"
    for hms in ("03:12:40", "03:12:41", "03:12:43"):
        recorder.call(
            "undetailed-s3-partner",
            s3_object(rng, "eu-west-1", EXPORTS, key, "GetObject", PROD, 0),
            error=("AccessDenied", "Access Denied"),
            when=at(2, hms),
            region="eu-west-1",
            identity=aws_account("AROAV2XQ7LMN3BRIGHTLN:brightline-sync-03", PARTNER),
            ip=PARTNER_IP,
            agent="Boto3/1.36.2 md/Botocore#1.36.2 ua/2.1 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2 "
            "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.36.2",
            recipient=PROD,
        )


def ec2_legacy(recorder: Recorder, legacy: dict) -> None:
    """The legacy host snapshots a volume: EC2 gives only the encoded message."""
    rng = recorder.rng
    for hms in ("10:35:12", "11:05:12"):
        recorder.add(
            "undetailed-ec2-legacy",
            source="ec2.amazonaws.com",
            name="CreateSnapshot",
            read_only=False,
            params={"volumeId": "vol-0a3f9c2e71b4d5860", "description": "nightly rpt01 backup"},
            error=(
                "Client.UnauthorizedOperation",
                f"{EC2_PREFIX} Encoded authorization failure message: {encoded_message(rng)}",
            ),
            when=at(2, hms),
            region="eu-west-1",
            identity=legacy,
            ip=ONPREM_IP,
            agent=JAVA_V1,
            recipient=PROD,
            tls_host="ec2.eu-west-1.amazonaws.com",
        )
