"""Lake results render rows, maps and arrays as Trino text; iamlab reads them back."""

import pytest

from iamlab.trail.lake import TrinoParseError, parse_trino_value


def test_nested_maps_and_arrays_are_read_back_with_scalars_as_text():
    text = "{type=AssumedRole, sessionContext={attributes={mfa=false}}, ids=[a, b], note=null}"
    assert parse_trino_value(text) == {
        "type": "AssumedRole",
        "sessionContext": {"attributes": {"mfa": "false"}},
        "ids": ["a", "b"],
        "note": None,
    }


def test_arrays_hold_maps_and_arrays_and_may_be_empty():
    assert parse_trino_value("[x, [y, z], {k=v}, []]") == ["x", ["y", "z"], {"k": "v"}, []]
    assert parse_trino_value("{}") == {}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{a=1", "unclosed '{'"),
        ("[x, y", "unclosed '['"),
        ("{a=[1, 2}", "unclosed '['"),
        ("{a}", "no '=' after position 1"),
    ],
)
def test_text_that_is_not_trino_is_refused_naming_what_is_wrong(text, problem):
    with pytest.raises(TrinoParseError, match=problem.replace("[", r"\[")):
        parse_trino_value(text)
