"""What every command shares: --version, and a quiet end when the reader of stdout goes away."""

from __future__ import annotations

import subprocess
import sys

import pytest

import iamlab
from iamlab.cli import main


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"iamlab {iamlab.__version__}"


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    # `iamlab ... | head`: the reader is gone before the command writes.
    proc = subprocess.Popen(
        [sys.executable, "-m", "iamlab", "why", "--json",
         "User: arn:aws:iam::111122223333:user/a is not authorized to perform: s3:GetObject "
         "on resource: arn:aws:s3:::b/k because no identity-based policy allows the "
         "s3:GetObject action"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert err == ""
    assert proc.returncode == 141
