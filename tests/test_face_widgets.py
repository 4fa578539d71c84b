"""Widget logic called directly, and the real ipywidgets driven by setting their values."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SAMPLE_DATA, utc

from iamlab.errors import InputError
from iamlab.face import charts, query, widgets
from iamlab.face.query import Scope
from iamlab.face.widgets import Investigation
from iamlab.workspace import Workspace

TOM = "arn:aws:iam::264830159726:user/people/tom.reyes"


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("face") / "ws")
    ws.load(SAMPLE_DATA / "cloudtrail", SAMPLE_DATA / "lookup-events", SAMPLE_DATA / "lake",
            progress=False)  # fmt: skip
    yield ws
    ws.close()


@pytest.fixture(autouse=True)
def fresh_registry():
    widgets._REGISTRY.clear()
    yield
    widgets._REGISTRY.clear()


def _frame(rows):
    return pd.DataFrame(rows, columns=["who", "cause"])


def test_principal_items_read_like_name_count_and_main_cause_share():
    role = "arn:aws:iam::111122223333:role/DataEngineer"
    frame = _frame([(role, "resource-arn")] * 3 + [(role, "org-policy")] * 2
                   + [("arn:aws:iam::111122223333:user/bob", "undetailed")])  # fmt: skip
    assert widgets.principal_items(frame) == [
        ("role/DataEngineer - 5 denials (resource-arn 60%)", role),
        ("user/bob - 1 denial (undetailed 100%)", "arn:aws:iam::111122223333:user/bob"),
    ]
    assert widgets.principal_items(frame.iloc[:0]) == []


def test_principal_items_of_the_sample_count_every_denial(sample_ws):
    items = widgets.principal_items(query.denial_events(sample_ws))
    counts = [int(label.split(" - ")[1].split()[0]) for label, _ in items]
    assert sum(counts) == len(sample_ws.denials())
    assert counts == sorted(counts, reverse=True)
    assert any(label.startswith("user/people/tom.reyes - 11 denials") for label, _ in items)


def test_filter_items_matches_label_or_value_in_any_case():
    items = [("role/DataEngineer - 5 denials", "arn:aws:iam::1:role/DataEngineer"),
             ("user/bob - 1 denial", "arn:aws:iam::2:user/bob")]  # fmt: skip
    assert widgets.filter_items(items, "dataeng") == items[:1]
    assert widgets.filter_items(items, "iam::2:") == items[1:]
    assert widgets.filter_items(items, "  ") == items


def test_quick_ranges_end_at_the_last_event_of_the_evidence():
    last = utc(2026, 3, 12, 23, 56, 17)
    since, until = widgets.quick_range("last day", last)
    assert until > last and until - since == pd.Timedelta(days=1)
    assert widgets.quick_range("all", last) == (None, None)
    with pytest.raises(ValueError, match="last hour"):
        widgets.quick_range("yesterday", last)


def test_scope_rejects_a_window_that_ends_before_it_starts():
    with pytest.raises(InputError, match="not before"):
        Scope.of(since="2026-03-12", until="2026-03-11")
    with pytest.raises(InputError, match="not a cause"):
        Scope.of(causes=["nope"])


def test_filtering_a_frame_by_principal_in_pandas_matches_sql(sample_ws):
    everything = query.denial_events(sample_ws)
    for who in everything["who"].unique():
        in_sql = query.denial_events(sample_ws, Scope.of(principal=who))
        in_pandas = query.only_principal(everything, who)
        assert list(in_pandas["event_id"]) == list(in_sql["event_id"])


def test_changing_the_principal_redraws_every_bound_chart(sample_ws):
    inv = Investigation(sample_ws)
    before = {name: charts.trace_totals(fig) for name, fig in inv.figures.items()}
    assert sum(before["over time"].values()) == len(sample_ws.denials())
    inv.principal.value = TOM
    after = {name: charts.trace_totals(fig) for name, fig in inv.figures.items()}
    own = sample_ws.denials(principal=TOM)
    assert sum(after["over time"].values()) == len(own)
    assert sum(after["heatmap"].values()) == len(own)
    assert after["kpis"]["denials"] == len(own)
    assert "not denied" in after["timeline"] and "not denied" not in before["timeline"]
    assert len(inv.denials.options) == len(own)
    assert inv.redraws == 2


def test_cause_account_and_region_filters_narrow_every_view(sample_ws):
    inv = Investigation(sample_ws)
    inv.causes.value = ("org-policy",)
    assert set(charts.trace_totals(inv.figures["over time"])) == {"org-policy"}
    inv.accounts.value = ("731926485017",)
    frame = query.denial_events(sample_ws, inv.scope())
    assert set(frame["account_id"]) == {"731926485017"}
    assert sum(charts.trace_totals(inv.figures["by principal"]).values()) == len(frame)
    inv.causes.value = ()
    inv.accounts.value = ()
    inv.regions.value = ("us-east-1",)
    assert set(query.denial_events(sample_ws, inv.scope())["aws_region"]) == {"us-east-1"}


def test_a_quick_range_sets_the_window_and_redraws_once(sample_ws):
    inv = Investigation(sample_ws)
    inv.quick.value = "last day"
    assert inv.until.value - inv.since.value == pd.Timedelta(days=1)
    assert inv.redraws == 2
    expected = len(sample_ws.denials(since=inv.since.value, until=inv.until.value))
    assert sum(charts.trace_totals(inv.figures["over time"]).values()) == expected
    assert f"{expected} denials" in inv.status.value


def test_a_bad_window_is_reported_in_the_status_line_not_raised(sample_ws):
    inv = Investigation(sample_ws)
    inv.since.value = utc(2026, 3, 12)
    inv.until.value = utc(2026, 3, 11)
    assert "not before" in inv.status.value


def test_controls_keep_their_value_when_the_cell_is_rerun(sample_ws):
    first = Investigation(sample_ws)
    first.principal.value = TOM
    first.causes.value = ("missing-action",)
    again = Investigation(sample_ws)
    assert again.principal.value == TOM
    assert again.causes.value == ("missing-action",)
    other = Investigation(sample_ws, name="another notebook")
    assert other.principal.value == ""


def test_papermill_parameters_are_the_defaults(sample_ws):
    inv = Investigation(sample_ws, principal=TOM, since="2026-03-10", until="2026-03-11")
    assert inv.principal.value == TOM
    assert inv.since.value == utc(2026, 3, 10)
    expected = sample_ws.denials(principal=TOM, since="2026-03-10", until="2026-03-11")
    assert inv.figures["kpis"].data[0].value == len(expected)
    # re-run with the same parameters: the analyst's choice stays
    inv.principal.value = ""
    assert Investigation(sample_ws, principal=TOM).principal.value == ""
    # a changed parameters cell: its new value is the default
    dana = "arn:aws:iam::264830159726:user/people/dana.kim"
    assert Investigation(sample_ws, principal=dana).principal.value == dana


def test_the_principal_filter_box_narrows_the_picker(sample_ws):
    inv = Investigation(sample_ws)
    inv.principal_filter.value = "tom.reyes"
    values = [v for _, v in inv.principal.options]
    assert values == ["", TOM]


def test_selecting_a_denial_shows_its_parsed_message_escaped(sample_ws):
    inv = Investigation(sample_ws, principal="arn:aws:sts::905173628441:assumed-role/"
                        "redteam-probe/xss-canary")  # fmt: skip
    assert inv.denials.options
    for _, event_id in inv.denials.options:
        inv.denials.value = event_id
        html = inv.detail.value
        assert "What AWS said" in html and "Not diagnosed" in html
        assert "<script" not in html and "<img" not in html
    assert "&lt;" in html


def test_an_empty_workspace_gives_empty_views_not_errors(tmp_path):
    from iamlab.face.report import build_report

    with Workspace(tmp_path / "empty") as ws:
        inv = Investigation(ws)
        assert [v for _, v in inv.principal.options] == [""]
        assert all(len(fig.data) == 0 or name == "kpis" for name, fig in inv.figures.items())
        assert inv.figures["kpis"].data[0].value == 0
        inv.quick.value = "last day"
        assert inv.since.value is None and "0 denials" in inv.status.value
        assert "No denials in this scope." in build_report(ws)


def test_the_face_package_names_its_public_api_and_loads_it_lazily():
    import subprocess
    import sys

    import iamlab.face

    for name in iamlab.face.__all__:
        assert getattr(iamlab.face, name) is not None
    code = "import sys, iamlab.face; print('plotly' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_chart_of_ones_own_binds_and_redraws_with_the_rest(sample_ws):
    inv = Investigation(sample_ws, chart_names=["over time"])
    assert list(inv.figures) == ["over time"]
    inv.bind("top one", lambda view: charts.denials_by_principal(view.frame, top=1))
    assert len({y for t in inv.figures["top one"].data for y in t.y}) == 1
    inv.principal.value = TOM
    assert sum(charts.trace_totals(inv.figures["top one"]).values()) == len(
        sample_ws.denials(principal=TOM)
    )
    with pytest.raises(KeyError, match="bound: over time, top one"):
        inv.show("heatmap")


def test_in_a_jupyter_kernel_every_bound_chart_is_displayed_in_its_output_widget(sample_ws):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    root = str(SAMPLE_DATA.parent)
    cells = [
        f"import sys; sys.path.insert(0, {root!r})\nimport iamlab\n"
        f"from iamlab.face import Investigation\n"
        f"ws = iamlab.Workspace({str(sample_ws.path)!r}, read_only=True)",
        "inv = Investigation(ws, chart_names=['over time', 'timeline'])",
        "inv.show('over time')",
        f"inv.principal.value = {TOM!r}\n"
        "print(sorted(t.name for t in inv.figures['over time'].data))",
    ]  # fmt: skip
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    printed = nb.cells[3].outputs[0]["text"]
    assert printed.strip() == str(sorted(sample_ws.denials(principal=TOM)["cause"].unique()))
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    shown = [o for w in state.values() if w["model_name"] == "OutputModel"
             for o in w["state"].get("outputs", [])]  # fmt: skip
    assert len(shown) == 2
    assert all("application/vnd.plotly.v1+json" in o["data"] for o in shown)


def test_the_denial_table_lists_the_newest_denials_escaped(sample_ws):
    frame = query.denial_events(sample_ws)
    html = widgets.denial_table_html(frame, limit=5)
    assert html.count("<tr>") == 6 and f"{len(frame) - 5} older denials" in html
    hostile = query.denial_events(
        sample_ws,
        Scope.of(principal="arn:aws:sts::905173628441:assumed-role/redteam-probe/xss-canary"),
    )
    html = widgets.denial_table_html(hostile)
    assert "<script" not in html and "<img" not in html and "<td onmouseover" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the user agent, shown literally
    inv = Investigation(sample_ws)
    inv.principal.value = TOM
    assert inv.table.value.count("<tr>") == len(sample_ws.denials(principal=TOM)) + 1
