"""``no_machine_aws``: AWS tests read nothing of this machine's AWS set-up.

Import it into a test module (``from aws_env import no_machine_aws``) and it
runs for every test there (autouse): every AWS_* variable is cleared, the
config and credentials files are empty files in a temporary folder, and
instance metadata is off. A test then sets only what it means to use.

``collect_moto(build, out, monkeypatch, region)`` builds a world in moto
(in-process) and collects a snapshot of it, as the collector tests need.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

__all__ = ["no_machine_aws", "collect_moto"]


@pytest.fixture(autouse=True)
def no_machine_aws(monkeypatch, tmp_path_factory):
    """Clear AWS_* variables and point boto3 at empty config and credentials files."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    folder = tmp_path_factory.mktemp("aws-home")
    for name in ("config", "credentials"):
        (folder / name).write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(folder / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254
    return folder


def collect_moto(build: Callable[[], None], out: Path, monkeypatch, region: str) -> Path:
    """Run ``build`` in an in-process moto world, collect it into ``out`` (no call may fail)."""
    from moto import mock_aws

    from iamlab.aws.collector import collect

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    with mock_aws():
        build()
        manifest = collect(out, regions=[region], progress=False)
    assert manifest.failed_calls == []
    return out
