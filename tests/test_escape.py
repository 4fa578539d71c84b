"""The one escape used for event text in every human-readable output."""

import pytest

from iamlab.escape import html_text, printable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("naïve Zürich 東京", "naïve Zürich 東京"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("title\x1b]0;pwned\x07", "title\\x1b]0;pwned\\x07"),
        ("link\x1b]8;;http://x\x1b\\", "link\\x1b]8;;http://x\\x1b\\"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\x9bcsi", "\\x9bcsi"),
        ("abc\u202eevil", "abc\\u202eevil"),
        ("\x00nul\x7f", "\\x00nul\\x7f"),
        (None, ""),
        (42, "42"),
    ],
)
def test_printable_shows_control_characters_as_escapes(raw, shown):
    assert printable(raw) == shown


def test_printable_output_has_no_control_character():
    text = "".join(chr(c) for c in range(0, 0x3000))
    out = printable(text)
    assert all(ch.isprintable() or ch == " " for ch in out)


def test_html_text_escapes_markup_and_controls():
    assert html_text('<img src=x onerror="alert(1)">\x1b') == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;\\x1b"
    )
