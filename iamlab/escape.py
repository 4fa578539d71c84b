"""The one escape for event text shown to a person (terminal, HTML, chart hover).

Evidence is written by the people being investigated: a user agent, a request
parameter, a file or S3 key name can carry ESC, BEL, OSC title or hyperlink
sequences, bidirectional overrides or HTML. Every renderer passes such text
through :func:`printable` (terminal, plain text) or :func:`html_text` (HTML,
plotly hover) so it is shown literally and nothing in it acts.

>>> printable("ok\\x1b]0;pwned\\x07")
'ok\\\\x1b]0;pwned\\\\x07'
>>> html_text("<script>alert(1)</script>")
'&lt;script&gt;alert(1)&lt;/script&gt;'
"""

from __future__ import annotations

import html

__all__ = ["printable", "html_text"]


def _visible(ch: str) -> str:
    return ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")


def printable(text: object) -> str:
    """Return ``text`` with every non-printable character as a visible escape.

    Control characters (C0, C1, DEL), line and paragraph separators and
    format characters such as bidirectional overrides become ``\\x1b``,
    ``\\n``, ``\\u202e``; everything printable, including non-ASCII
    letters, is kept. ``None`` is the empty string.
    """
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    if s.isprintable():
        return s
    return "".join(_visible(ch) for ch in s)


def html_text(text: object) -> str:
    """Return ``text`` safe inside HTML element content or an attribute value."""
    return html.escape(printable(text), quote=True)
