"""Every command of ``iamlab`` is in the README's tour and has its own --help."""

from pathlib import Path

import pytest

from iamlab.cli import build_parser, main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


@pytest.mark.parametrize("command", commands())
def test_command_is_in_the_readme(command):
    assert f"iamlab {command}" in README, f"README does not show `iamlab {command}`"


@pytest.mark.parametrize("command", commands())
def test_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("usage: iamlab " + command)


def test_readme_has_exactly_the_two_setup_commands():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    test_command = 'python -m pip install -e ".[test]" && scripts/check'
    assert test_command in README
    assert test_command in ci
    assert "python -m pip install -e . && python -m iamlab lab" in README
