"""Every command's help comes from its run function's docstring: a line in the list, a page."""

import argparse

from iamlab.cli import build_parser


def parsers() -> dict[str, argparse.ArgumentParser]:
    """Every command and verb, by its words (``athena setup``)."""
    found = {}

    def walk(parser: argparse.ArgumentParser, words: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                rows = {row.dest: row.help for row in action._choices_actions}
                for name, sub in action.choices.items():
                    found[f"{words} {name}".strip()] = (sub, rows[name])
                    walk(sub, f"{words} {name}")

    walk(build_parser(), "")
    return found


def test_every_command_and_verb_has_a_line_in_the_list_and_a_description():
    found = parsers()
    assert {"why", "simulate", "athena", "athena setup", "lake denials", "cases run"} <= set(found)
    for words, (parser, line) in found.items():
        assert line and "\n" not in line and not line.endswith("."), words
        assert parser.description and parser.description.strip(), words


def test_the_help_line_is_the_first_line_of_the_run_docstring():
    parser, line = parsers()["diagnose"]
    run = parser.get_default("func")
    assert run.__doc__.strip().splitlines()[0] == line
    assert parser.description.startswith("Replay each denial of a workspace against an IAM")
