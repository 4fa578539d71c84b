"""The README's examples run as written, against the bundled sample, and say something useful.

The offline shell tour (the first ``bash`` block of "A short tour") and every
``python`` block are extracted from README.md and executed in a folder that
holds the sample (``sample_data`` and ``tests/cases`` as the README names
them). A command fails the test on a usage error (exit 2) or a traceback.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from iamlab.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text("utf-8")

# Tour lines that cannot run here, and why.
NOT_RUN = {
    "iamlab lab": "serves JupyterLab until stopped (tests/test_lab*.py serve it and drive it)",
    "s3://": "needs an S3 bucket (tests/test_s3_load.py runs the loader against moto)",
    "--events 2000000": "minutes of generation (tests/test_sample_generator.py runs small sizes)",
}


def _blocks(language: str, after: str = "") -> list[str]:
    text = README[README.index(after) :] if after else README
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def _commands(block: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line.strip() for line in joined.splitlines()
            if line.strip().startswith("iamlab ")]  # fmt: skip


@pytest.fixture(scope="module")
def readme_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    (folder / "sample_data").symlink_to(REPO / "sample_data")
    (folder / "tests").mkdir()
    (folder / "tests" / "cases").symlink_to(REPO / "tests" / "cases")
    return folder


TOUR = _commands(_blocks("bash", after="## A short tour")[0])


def test_the_tour_has_the_commands_an_analyst_starts_with():
    names = {shlex.split(c, comments=True)[1] for c in TOUR}
    assert {"load", "denials", "why", "simulate", "diagnose", "explain", "cases"} <= names


@pytest.mark.parametrize("command", TOUR, ids=[c[:60] for c in TOUR])
def test_each_offline_tour_command_runs(command, readme_dir, monkeypatch, capsys):
    skip = next((why for marker, why in NOT_RUN.items() if marker in command), None)
    if skip:
        pytest.skip(skip)
    monkeypatch.chdir(readme_dir)
    if " case-42" in command and not (readme_dir / "case-42").exists():
        assert main(["load", "sample_data/cloudtrail", "sample_data/lookup-events",
                     "--workspace", "case-42", "--quiet"]) == 0  # fmt: skip
    if command.startswith("iamlab explain") or "--cause resource-arn" in command:
        main(["diagnose", "--workspace", "case-42", "--snapshot", "sample_data/snapshot"])
    capsys.readouterr()
    status = main(shlex.split(command, comments=True)[1:])
    out = capsys.readouterr()
    assert status in (0, 1, 3), (command, status, out.err)  # 2 is a usage error
    assert "Traceback" not in out.err
    assert out.out.strip(), f"{command} printed nothing"


def test_the_python_example_runs_and_shows_each_answer(readme_dir, monkeypatch):
    monkeypatch.chdir(readme_dir)
    (code,) = _blocks("python")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})  # noqa: S102
    text = printed.getvalue()
    assert "org-policy iam:ListRoles scp" in text
    assert "confirmed" in text  # the diagnoses table, by cause and verdict
    assert "IMPLICIT DENY" in text.upper() or "DENY" in text.upper()
    assert "loaded" in text
