"""Hypothesis over the renderers: any text in, no exception and no raw control character out."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from iamlab.denials.advice import advise
from iamlab.escape import html_text, printable
from iamlab.trail.report import LoadReport, SourceCounts

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
anything = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)


@given(anything)
def test_printable_never_leaves_a_control_character(text):
    assert RAW.search(printable(text)) is None


@given(anything)
def test_html_text_leaves_no_markup(text):
    out = html_text(text)
    assert "<" not in out and ">" not in out and '"' not in out and RAW.search(out) is None


@settings(max_examples=200)
@given(code=st.one_of(st.none(), anything), message=st.one_of(st.none(), anything),
       region=st.one_of(st.none(), anything))  # fmt: skip
def test_why_renders_any_pasted_text(code, message, region):
    text = advise(code, message, region=region).render()
    assert RAW.search(text.replace("\n", "")) is None


@settings(max_examples=100)
@given(sources=st.lists(anything, min_size=1, max_size=3),
       skipped=st.lists(st.tuples(anything, anything), max_size=3),
       rejected=st.lists(st.tuples(anything, anything, anything), max_size=3))  # fmt: skip
def test_the_load_report_renders_any_names_and_reasons(sources, skipped, rejected):
    report = LoadReport(
        load_id=1, sources=[SourceCounts(source=s) for s in sources],
        skipped=skipped, rejected=rejected,
    )  # fmt: skip
    assert RAW.search(str(report).replace("\n", "")) is None
