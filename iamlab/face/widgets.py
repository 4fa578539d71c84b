"""Controls that drive every chart and table of an investigation (ipywidgets 8), kept thin.

The logic is in plain functions that tests call directly (``principal_items``,
``filter_items``, ``quick_range``, ``denial_items``); ``Investigation`` only
wires widgets to them. Each notebook cell is one call::

    inv = Investigation(ws, principal=principal, since=since, until=until)  # parameters cell
    inv.controls()            # principal picker, time window, cause/account/region filters
    inv.show("over time")     # a chart bound to the controls
    inv.explorer()            # the denial table and the selected denial's diagnosis

Controls keep their value when a cell is re-run (a module-level registry
keyed by the investigation's name, the control and its default, after
msticpy's registered widgets), and take their defaults from what the
notebook's papermill ``parameters`` cell passed in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import ipywidgets as W
import pandas as pd
import plotly.graph_objects as go

from iamlab.errors import IamlabError
from iamlab.escape import html_text
from iamlab.face import charts, query
from iamlab.face.detail import deciding_statement, finding_html, loads
from iamlab.face.query import Scope

__all__ = [
    "CHARTS",
    "QUICK_RANGES",
    "Investigation",
    "View",
    "denial_items",
    "denial_table_html",
    "filter_items",
    "in_kernel",
    "principal_items",
    "quick_range",
]

QUICK_RANGES: dict[str, timedelta | None] = {
    "last hour": timedelta(hours=1),
    "last day": timedelta(days=1),
    "last week": timedelta(days=7),
    "all": None,
}
ALL_PRINCIPALS = ""  # the picker's value for "every principal"

# (investigation name, control, its default) -> the value last chosen: what a re-run cell finds
_REGISTRY: dict[tuple[str, str, str], Any] = {}


# --- the logic (plain functions) ----------------------------------------------------------------


def principal_items(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Return (label, principal) per principal, busiest first.

    A label reads ``role/DataEngineer - 41 denials (resource-arn 60%)``: the
    short name, the count and the commonest cause's share. Labels are plain
    text (ipywidgets shows option labels as text, never HTML).
    """
    if frame.empty:
        return []
    counts = frame.groupby(["who", "cause"], dropna=False).size().rename("n").reset_index()
    totals = counts.groupby("who")["n"].sum().sort_values(ascending=False, kind="stable")
    top = counts.sort_values(["n", "cause"], ascending=[False, True]).drop_duplicates("who")
    top = top.set_index("who")
    items = []
    for who, total in totals.items():
        cause, n = top.at[who, "cause"], top.at[who, "n"]
        share = f"{cause} {round(100 * n / total)}%"
        noun = "denial" if total == 1 else "denials"
        items.append((f"{charts.short_name(who)} - {total} {noun} ({share})", who))
    return items


def filter_items(items: list[tuple[str, str]], text: str) -> list[tuple[str, str]]:
    """Return the items whose label or value contains ``text`` (any case); all when empty."""
    needle = (text or "").strip().lower()
    if not needle:
        return list(items)
    return [(label, v) for label, v in items if needle in label.lower() or needle in v.lower()]


def quick_range(name: str, last: datetime | None) -> tuple[datetime | None, datetime | None]:
    """Return (since, until) for a quick range ending at ``last``, the evidence's last event.

    Investigations look at the past, so "last day" is the day before the last
    event, not before now. ``all`` (or no evidence) is (None, None).
    """
    if name not in QUICK_RANGES:
        raise ValueError(f"quick range {name!r} is not one of {', '.join(QUICK_RANGES)}")
    span = QUICK_RANGES[name]
    if span is None or last is None:
        return None, None
    until = last + timedelta(seconds=1)  # until is exclusive: keep the last event
    return until - span, until


def denial_items(frame: pd.DataFrame, limit: int = 2000) -> list[tuple[str, str]]:
    """Return (label, event_id) per denial for the explorer, newest first, at most ``limit``."""
    rows = frame.sort_values("event_time", ascending=False).head(limit)
    return [
        (f"{r.event_time:%Y-%m-%d %H:%M:%S}  {r.cause:<20}  {charts.short_name(r.who)}  "
         f"{r.action or r.event_name}", r.event_id)
        for r in rows.itertuples()
    ]  # fmt: skip


TABLE_COLUMNS = ("event_time", "who", "action", "cause", "error_code", "account_id",
                 "aws_region", "source_ip", "user_agent")  # fmt: skip


def denial_table_html(frame: pd.DataFrame, limit: int = 200) -> str:
    """Return the newest ``limit`` denials as an HTML table, every cell escaped."""
    if frame.empty:
        return "<p>No denials in this scope.</p>"
    rows = frame.sort_values("event_time", ascending=False).head(limit)
    head = "".join(f"<th>{c}</th>" for c in TABLE_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html_text(_cell(row[c]))}</td>" for c in TABLE_COLUMNS) + "</tr>"
        for _, row in rows.iterrows()
    )
    more = f"<p>{len(frame) - limit} older denials not shown.</p>" if len(frame) > limit else ""
    return f'<table class="denials"><tr>{head}</tr>{body}</table>{more}'


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else str(value)


# --- what every bound chart draws from ---------------------------------------------------------


class View:
    """The data of one scope, each part read only when a chart asks for it.

    Parts that do not depend on the principal (the scope's denials without
    its principal, the window's denials and policy changes, their
    diagnoses) come from ``cache``, which the ``Investigation`` keeps across
    redraws, so changing the principal filters frames in pandas.
    """

    def __init__(self, ws: Any, scope: Scope, cache: dict[str, tuple[Any, Any]]) -> None:
        self.ws, self.scope, self._cache = ws, scope, cache

    def _cached(self, part: str, key: Any, read: Callable[[], Any]) -> Any:
        held = self._cache.get(part)
        if held is None or held[0] != key:
            held = self._cache[part] = (key, read())
        return held[1]

    @property
    def base(self) -> pd.DataFrame:
        """The scope's denials for every principal."""
        key = self.scope.but(principal=None)
        return self._cached("base", key, lambda: query.denial_events(self.ws, key))

    @property
    def window(self) -> pd.DataFrame:
        """The window's denials with no other filter (a principal's timeline marks them all)."""
        key = Scope(since=self.scope.since, until=self.scope.until)
        if key == self.scope.but(principal=None):
            return self.base
        return self._cached("window", key, lambda: query.denial_events(self.ws, key))

    @cached_property
    def frame(self) -> pd.DataFrame:
        return query.only_principal(self.base, self.scope.principal)

    @property
    def changes(self) -> pd.DataFrame:
        key = (self.scope.since, self.scope.until)
        return self._cached("changes", key, lambda: query.policy_changes(self.ws, self.scope))

    @cached_property
    def calls(self) -> pd.DataFrame:
        return query.principal_calls(
            self.ws, self.scope.principal or "", self.scope, denials=self.window
        )

    @cached_property
    def diagnoses(self) -> pd.DataFrame:
        every = self._cached(
            "diagnoses",
            self.scope.but(principal=None),
            lambda: query.diagnoses(self.ws, list(self.base["event_id"])),
        )
        return every[every["event_id"].isin(self.frame["event_id"])]


def _timeline(v: View) -> go.Figure:
    if not v.scope.principal:
        return charts._empty("A principal's calls: no principal picked")
    return charts.principal_timeline(v.calls, v.scope.principal)


# The charts an Investigation binds by default: name -> draw(view).
CHARTS: dict[str, Callable[[View], go.Figure]] = {
    "over time": lambda v: charts.denials_over_time(v.frame, v.changes, v.scope.since,
                                                    v.scope.until),
    "by principal": lambda v: charts.denials_by_principal(v.frame),
    "heatmap": lambda v: charts.principal_action_heatmap(v.frame),
    "timeline": _timeline,
    "reported vs diagnosed": lambda v: charts.reported_vs_diagnosed(v.diagnoses),
    "kpis": lambda v: charts.kpi_cards(charts.kpis(v.frame, v.diagnoses)),
}  # fmt: skip


# --- the widgets --------------------------------------------------------------------------------


class Investigation:
    """Controls bound to charts and tables: changing a control redraws every bound view.

    ``workspace``: a ``Workspace`` or its folder (opened read-only).
    ``principal``, ``since``, ``until``, ``causes``, ``accounts``, ``regions``:
    the defaults (papermill parameters); a value the analyst chose in an earlier
    run of the cell wins over them. ``snapshot`` (a ``Snapshot`` or folder)
    lets the explorer quote deciding statements. ``chart_names``: which of
    ``CHARTS`` to bind (default: all; ``bind`` adds your own). ``name`` keys
    the remembered values (two investigations in one notebook use two
    names). Raises InputError for a bad default.
    """

    def __init__(
        self,
        workspace: Any,
        principal: str | None = None,
        since: Any = None,
        until: Any = None,
        causes: Any = (),
        accounts: Any = (),
        regions: Any = (),
        snapshot: Any = None,
        name: str = "investigation",
        chart_names: Any = None,
    ) -> None:
        from iamlab.workspace import Workspace

        self.ws = (
            workspace if isinstance(workspace, Workspace) else Workspace(workspace, read_only=True)
        )
        self.name = name
        self.snapshot = _snapshot(snapshot)
        default = Scope.of(principal, since, until, causes, accounts, regions)
        self.last = query.evidence_window(self.ws)[1]  # quick ranges end here
        self._cache: dict[str, tuple[Any, Any]] = {}
        self._current: View | None = None
        self._hold = False
        self.figures: dict[str, go.Figure] = {}
        self.outputs: dict[str, W.Output] = {}
        self._draw: dict[str, Callable[[View], go.Figure]] = {}
        self.status = W.HTML()
        self.redraws = 0

        everything = query.denial_events(self.ws, Scope())
        self._items = principal_items(everything)
        self._items_of: pd.DataFrame | None = None
        self.principal_filter = W.Text(placeholder="filter principals", description="find")
        self.principal = W.Select(description="principal", rows=8,
                                  layout=W.Layout(width="60%"))  # fmt: skip
        self.quick = W.ToggleButtons(options=list(QUICK_RANGES), value=None, description="window")
        self.since = W.DatetimePicker(description="since")
        self.until = W.DatetimePicker(description="until")
        self.causes = W.SelectMultiple(options=_values(everything, "cause"), description="causes")
        self.accounts = W.SelectMultiple(
            options=_values(everything, "account_id"), description="accounts"
        )
        self.regions = W.SelectMultiple(
            options=_values(everything, "aws_region"), description="regions"
        )
        self.table = W.HTML()
        self.denials = W.Select(description="denial", rows=10, layout=W.Layout(width="95%"))
        self.detail = W.HTML()

        self._restore("since", self.since, default.since)
        self._restore("until", self.until, default.until)
        for control in ("causes", "accounts", "regions"):
            widget = getattr(self, control)
            wanted = tuple(v for v in getattr(default, control) if v in widget.options)
            self._restore(control, widget, wanted)
        self._restore_principal(default.principal)

        for control in ("principal", "since", "until", "causes", "accounts", "regions"):
            getattr(self, control).observe(self._changed, names="value")
        self.principal_filter.observe(lambda _: self._offer_principals(), names="value")
        self.quick.observe(self._quick_changed, names="value")
        self.denials.observe(lambda _: self._show_detail(), names="value")
        for chart in chart_names or CHARTS:
            self.bind(chart, CHARTS[chart])
        self.refresh()

    # --- registry: a re-run cell finds the analyst's values again ----------------------------

    def _key(self, control: str, default: Any) -> tuple[str, str, str]:
        return (self.name, control, repr(default))

    def _restore(self, control: str, widget: W.ValueWidget, default: Any) -> None:
        key = self._key(control, default)
        widget.value = _REGISTRY.get(key, default)
        widget.observe(lambda change: _REGISTRY.__setitem__(key, change["new"]), names="value")

    def _restore_principal(self, default: str | None) -> None:
        key = self._key("principal", default)
        wanted = _REGISTRY.get(key, default) or ALL_PRINCIPALS
        self._offer_principals(wanted)
        self.principal.observe(
            lambda change: _REGISTRY.__setitem__(key, change["new"]), names="value"
        )

    # --- scope and data ----------------------------------------------------------------------

    def scope(self) -> Scope:
        """Return the scope the controls say now (raises InputError for since >= until)."""
        return Scope.of(
            self.principal.value or None, self.since.value, self.until.value,
            self.causes.value, self.accounts.value, self.regions.value,
        )  # fmt: skip

    def view(self, scope: Scope | None = None) -> View:
        """Return the data of ``scope`` (default: the controls'), reading what is not cached."""
        return View(self.ws, scope or self.scope(), self._cache)

    # --- binding -----------------------------------------------------------------------------

    def bind(self, name: str, draw: Callable[[View], go.Figure]) -> None:
        """Bind chart ``name`` drawn by ``draw(view)``; it redraws on every control change."""
        self._draw[name] = draw
        self.outputs.setdefault(name, W.Output())
        if not self._hold and self._current is not None:
            self._redraw({name: draw}, self._current)

    def refresh(self) -> None:
        """Redraw every bound chart and table from the controls' scope."""
        try:
            view = self.view()
            base = view.base
        except IamlabError as exc:
            self.status.value = f'<span class="error">{html_text(exc)}</span>'
            return
        self.status.value = f"{len(view.frame)} denials: {html_text(view.scope.describe())}"
        if base is not self._items_of:  # the picker lists who is in this window
            self._items, self._items_of = principal_items(base), base
            self._offer_principals()
        self._current = view
        self._redraw(self._draw, view)
        self.table.value = denial_table_html(view.frame)
        with self._holding():
            self.denials.options = denial_items(view.frame)
        self._show_detail()
        self.redraws += 1

    def _redraw(self, draws: dict[str, Callable[[View], go.Figure]], view: View) -> None:
        for name, draw in draws.items():
            fig = draw(view)
            self.figures[name] = fig
            if in_kernel():
                from IPython.display import display

                out = self.outputs[name]
                out.clear_output(wait=True)
                with out:
                    display(fig)

    @contextlib.contextmanager
    def _holding(self) -> Iterator[None]:
        hold, self._hold = self._hold, True
        try:
            yield
        finally:
            self._hold = hold

    def _changed(self, _change: dict) -> None:
        if not self._hold:
            self.refresh()

    def _quick_changed(self, change: dict) -> None:
        if change["new"] is None:
            return
        since, until = quick_range(change["new"], self.last)
        with self._holding():
            self.since.value, self.until.value = since, until
        self.refresh()

    def _offer_principals(self, wanted: str | None = None) -> None:
        wanted = self.principal.value if wanted is None else wanted
        options = [
            ("every principal", ALL_PRINCIPALS),
            *filter_items(self._items, self.principal_filter.value),
        ]
        if wanted and wanted not in {v for _, v in options}:
            options.append((charts.short_name(wanted), wanted))  # a parameter not in the list
        with self._holding():
            self.principal.options = options
            self.principal.value = wanted or ALL_PRINCIPALS

    def _show_detail(self) -> None:
        self.detail.value = self.detail_html(self.denials.value)

    def detail_html(self, event_id: str | None) -> str:
        """Return the explorer's panel for one denial: message, diagnosis, statement, fix."""
        if not event_id or self._current is None:
            return "<p>Select a denial above.</p>"
        base = self._current.base
        rows = base[base["event_id"] == event_id]
        if rows.empty:
            return "<p>That denial is outside the current scope.</p>"
        found = query.diagnoses(self.ws, [event_id])
        diagnosis = found.iloc[0].to_dict() if not found.empty else None
        statement = (
            deciding_statement(self.snapshot, loads(diagnosis.get("deciding")))
            if diagnosis
            else None
        )
        return finding_html(rows.iloc[0].to_dict(), diagnosis, statement)

    # --- what notebook cells display ---------------------------------------------------------

    def controls(self) -> W.Widget:
        """Return the control panel: principal picker with its filter, window, filters."""
        return W.VBox([
            W.HBox([self.principal_filter]), self.principal,
            W.HBox([self.quick]), W.HBox([self.since, self.until]),
            W.HBox([self.causes, self.accounts, self.regions]), self.status,
        ])  # fmt: skip

    def show(self, name: str) -> W.Output:
        """Return the output area of bound chart ``name`` (a notebook cell displays it)."""
        if name not in self._draw:
            raise KeyError(f"no chart {name!r}; bound: {', '.join(self._draw)}")
        return self.outputs[name]

    def explorer(self) -> W.Widget:
        """Return the denial explorer: the table of denials in scope, a picker, the selected one."""
        return W.VBox([self.table, self.denials, self.detail])


def _values(frame: pd.DataFrame, column: str) -> list[str]:
    return sorted(str(v) for v in frame[column].dropna().unique())


def in_kernel() -> bool:
    """True inside a Jupyter kernel, where figures are displayed (never a browser window)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _snapshot(snapshot: Any) -> Any:
    if snapshot is None or hasattr(snapshot, "find_statement"):
        return snapshot
    from iamlab.snapshot import load

    return load(snapshot)
