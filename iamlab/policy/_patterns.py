"""Wildcards and policy variables, compiled once into regular expressions.

A policy string is parsed into a *template*: literal text in which ``*`` and
``?`` are wildcards (where the element allows them), escaped characters
(``${*}``, ``${?}``, ``${$}``, always literal) and variables
(``${aws:username}``, ``${aws:PrincipalTag/team, 'default'}``). Variables are
only recognised in documents with ``"Version": "2012-10-17"`` (aws-facts 4.7);
otherwise the text is taken literally.

ARN patterns are matched per ARN segment (aws-facts 4.6, 5): a wildcard in the
partition, service, region or account segment never crosses a colon, while the
sixth (resource) segment may hold colons and slashes (Lambda ``function:name:*``
matches qualified names). A pattern with fewer than six segments (``*``,
``arn:aws:s3:*``) lets its last segment match the rest of the ARN.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_VAR_RE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT_RE = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

# A template part: (kind, text). kind "g" = text where * and ? are wildcards,
# "l" = literal text, "v" = variable (text = lower-cased key), default in `defaults`.


@dataclass(frozen=True)
class Template:
    """A parsed policy string; ``variables`` is empty for plain text."""

    raw: str
    parts: tuple[tuple[str, str, str | None], ...]
    variables: tuple[str, ...]

    def render(
        self, lookup: Callable[[str], tuple[str, ...] | None]
    ) -> list[tuple[tuple[str, str], ...]] | str:
        """Substitute variables; return the alternatives as (kind, text) parts.

        Returns the lower-cased key (a ``str``) of the first variable without a
        value and without a default: AWS then treats the element as not matching.
        Multi-valued keys give one alternative per value.
        """
        choices: list[list[tuple[str, str]]] = []
        for kind, text, default in self.parts:
            if kind != "v":
                choices.append([(kind, text)])
                continue
            values = lookup(text)
            if not values:
                if default is None:
                    return text
                values = (default,)
            choices.append([("l", v) for v in values])
        return [tuple(c) for c in itertools.product(*choices)]


def parse_template(value: str, variables: bool) -> Template:
    """Parse ``value``; recognise ``${...}`` only when ``variables`` is true."""
    if not variables or "${" not in value:
        return Template(value, (("g", value, None),), ())
    parts: list[tuple[str, str, str | None]] = []
    names: list[str] = []
    pos = 0
    for m in _VAR_RE.finditer(value):
        if m.start() > pos:
            parts.append(("g", value[pos : m.start()], None))
        inner = m.group(1)
        if inner in _ESCAPES:
            parts.append(("l", _ESCAPES[inner], None))
        else:
            dm = _DEFAULT_RE.match(inner)
            key, default = (dm.group(1), dm.group(2)) if dm else (inner.strip(), None)
            parts.append(("v", key.lower(), default))
            names.append(key.lower())
        pos = m.end()
    if pos < len(value):
        parts.append(("g", value[pos:], None))
    return Template(value, tuple(parts), tuple(names))


def _glob_text(text: str, star: str, one: str) -> str:
    """Escape ``text`` for a regex, turning * and ? into ``star`` and ``one``."""
    out = re.escape(text)
    if "*" in text:
        out = out.replace("\\*", star)
    if "?" in text:
        out = out.replace("\\?", one)
    return out


def plain_regex(parts: Iterable[tuple[str, str]]) -> str:
    """Regex text for a whole-string wildcard match (actions, StringLike)."""
    return "".join(
        _glob_text(text, ".*", ".") if kind == "g" else re.escape(text) for kind, text in parts
    )


def arn_regex(parts: Iterable[tuple[str, str]]) -> str:
    """Regex text for a per-segment ARN match (Resource, ArnLike)."""
    parts = list(parts)
    total_colons = sum(text.count(":") for _, text in parts)
    out = []
    colons = 0
    for kind, text in parts:
        chunks = text.split(":")
        for i, chunk in enumerate(chunks):
            if i:
                colons += 1
                out.append(":")
            if kind == "g":
                free = colons >= 5 or colons >= total_colons
                out.append(
                    _glob_text(chunk, ".*", ".") if free else _glob_text(chunk, "[^:]*", "[^:]")
                )
            else:
                out.append(re.escape(chunk))
    return "".join(out)


_rx_cache: dict[tuple[str, int], re.Pattern[str]] = {}


def compile_alternatives(regexes: Iterable[str], ignore_case: bool = False) -> re.Pattern[str]:
    """One anchored regex matching any of ``regexes`` (compiled once per distinct text)."""
    body = "|".join(f"(?:{r})" for r in regexes) or "(?!)"
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    key = (body, flags)
    rx = _rx_cache.get(key)
    if rx is None:
        if len(_rx_cache) > 50000:
            _rx_cache.clear()
        rx = _rx_cache[key] = re.compile(f"(?:{body})\\Z", flags)
    return rx


def has_wildcard(parts: Iterable[tuple[str, str]]) -> bool:
    """True when any wildcard character is live (not escaped)."""
    return any(kind == "g" and ("*" in text or "?" in text) for kind, text in parts)


def literal_text(parts: Iterable[tuple[str, str]]) -> str:
    """The text of rendered parts, wildcards kept as characters."""
    return "".join(text for _, text in parts)


class FastMatcher:
    """Whole-string matching of several patterns: sets and prefixes first, a regex for the rest.

    Most policy patterns are exact (``s3:GetObject``), ``*`` or end in one
    ``*`` (``arn:aws:s3:::bucket/*``), and most other ARN patterns are, per
    segment, ``*``, exact or a prefix (``arn:aws:logs:*:111122223333:log-group:*``);
    those need no regex, which keeps compiling a snapshot cheap. ``match``
    returns True or None, like a regex.
    """

    __slots__ = ("everything", "exact", "prefixes", "segments", "rx", "_seg_texts", "_seg_uses")

    def __init__(
        self,
        patterns: Iterable[str],
        *,
        arn: bool,
        ignore_case: bool = False,
        extra_regexes: Iterable[str] = (),
    ) -> None:
        self.everything = False
        exact: set[str] = set()
        prefixes: list[str] = []
        segments: list[tuple[tuple[int, str], ...]] = []
        seg_texts: list[str] = []
        rest: list[str] = list(extra_regexes)
        for p in patterns:
            if ignore_case:
                p = p.lower()
            if p == "*":
                self.everything = True
            elif "*" not in p and "?" not in p:
                exact.add(p)
            elif p.endswith("*") and p.count("*") == 1 and "?" not in p:
                # A trailing * comes after every colon of the pattern, so even in an
                # ARN it may span the rest (see arn_regex): a plain prefix test.
                prefixes.append(p[:-1])
            else:
                segs = _segments(p) if arn else None
                if segs is not None:
                    segments.append(segs)
                    seg_texts.append(p)
                else:
                    rest.append(arn_regex((("g", p),)) if arn else plain_regex((("g", p),)))
        self.segments = tuple(segments)
        self._seg_texts = tuple(seg_texts)
        self._seg_uses = 0
        self.exact = frozenset(exact)
        self.prefixes = tuple(prefixes)
        self.rx = compile_alternatives(rest, ignore_case=ignore_case) if rest else None

    def match(self, text: str) -> bool | None:
        if (
            self.everything
            or text in self.exact
            or (self.prefixes and text.startswith(self.prefixes))
        ):
            return True
        if self.segments:
            self._seg_uses += 1
            if self._seg_uses > _JIT_AFTER:
                # Matched often: a regex is now cheaper than the segment loop.
                rest = [arn_regex((("g", p),)) for p in self._seg_texts]
                if self.rx is not None:
                    rest.append(self.rx.pattern[:-2])  # drop the trailing \Z
                self.rx = compile_alternatives(rest)
                self.segments = ()
                return True if self.rx.match(text) is not None else None
            parts = text.split(":", 5)
            if len(parts) == 6:
                for segs in self.segments:
                    for (kind, value), part in zip(segs, parts, strict=True):
                        if kind == _EQ:
                            if part != value:
                                break
                        elif kind == _PREFIX and not part.startswith(value):
                            break
                    else:
                        return True
        if self.rx is not None and self.rx.match(text) is not None:
            return True
        return None


_ANY, _EQ, _PREFIX = 0, 1, 2
_JIT_AFTER = 32  # segment-matcher uses before it is compiled to a regex


def _segments(pattern: str) -> tuple[tuple[int, str], ...] | None:
    """Per-segment form of a 6-segment ARN pattern whose segments are *, exact or prefix*."""
    parts = pattern.split(":", 5)
    if len(parts) != 6 or "?" in pattern:
        return None
    out = []
    for part in parts:
        stars = part.count("*")
        if part == "*":
            out.append((_ANY, ""))
        elif stars == 0:
            out.append((_EQ, part))
        elif stars == 1 and part.endswith("*"):
            out.append((_PREFIX, part[:-1]))
        else:
            return None
    return tuple(out)
