"""Charts of an investigation: pure functions from DataFrames (``iamlab.face.query``) to figures.

Notebooks, widgets, the report and tests share them. Conventions that let code
read a figure back: one fixed colour per cause everywhere (``COLORS``), each
trace named by its cause id (``resource-arn``, ``org-policy``, ...) or by an
outcome in ``OUTCOME_COLORS``, and ``trace_totals`` sums a figure per trace.
Every string that came from an event (principal, action, user agent,
message) reaches the figure through ``plotly_text``: plotly renders hover text
and tick labels as HTML. No data gives an empty figure whose title says so.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from iamlab.denials.grammar import CAUSES
from iamlab.escape import html_text

__all__ = [
    "COLORS",
    "OUTCOME_COLORS",
    "action_label",
    "choose_bin",
    "coverage_heatmap",
    "denials_by_principal",
    "denials_over_time",
    "kpi_cards",
    "kpi_html",
    "kpis",
    "principal_action_heatmap",
    "principal_timeline",
    "reported_vs_diagnosed",
    "short_name",
    "trace_totals",
]

# Colour-blind-safe (Okabe-Ito and Tableau tones), one per cause in CAUSES order.
_PALETTE = (
    "#E69F00", "#56B4E9", "#D55E00", "#CC79A7", "#0072B2",
    "#009E73", "#B8860B", "#8C564B", "#7F7F7F",
)  # fmt: skip
COLORS: dict[str, str] = dict(zip(CAUSES, _PALETTE, strict=True))
# Series that are not causes: a diagnosis without a cause names its verdict.
OUTCOME_COLORS: dict[str, str] = {
    "allowed-now": "#BCBD22",
    "needs-context": "#17BECF",
    "unknown": "#C7C7C7",
    "not denied": "#D9D9D9",
    "policy-change": "#222222",
}
_ALL_COLORS = {**COLORS, **OUTCOME_COLORS}
HOURLY_UP_TO = timedelta(days=7)  # longer windows are binned by day
MAX_TEXT = 300  # characters of a message or user agent shown in a hover


def plotly_text(value: Any) -> str:
    """``html_text`` for plotly's pseudo-HTML, which decodes ``&#34;`` but shows ``&quot;`` as is.

    Plotly turns only a few named entities back into characters (``&lt;``,
    ``&gt;``, ``&amp;``, numeric ones): a quote in a user agent would read
    ``&quot;`` in a hover. The numeric form is as inert in HTML and attributes.
    """
    return html_text(value).replace("&quot;", "&#34;")


def _color(name: str) -> str:
    return _ALL_COLORS.get(name, "#999999")


def _empty(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title=title,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": "nothing to show", "showarrow": False, "font": {"size": 16}}],
    )
    return fig


def _cut(text: Any) -> str:
    """Event text for a hover: escaped, and shortened to ``MAX_TEXT`` characters."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    s = str(text)
    return plotly_text(s if len(s) <= MAX_TEXT else s[:MAX_TEXT] + "...")


def _escaped(values: pd.Series, cut: bool = False) -> pd.Series:
    """Return ``values`` escaped (``_cut`` if ``cut``), each distinct value once; None is ""."""
    escape = _cut if cut else plotly_text
    table = {v: escape(v) for v in values.dropna().unique()}
    return values.map(table).fillna("").astype(object)


def short_name(arn: Any) -> str:
    """Return the readable part of a principal ARN (``role/DataEngineer``), else the text."""
    if arn is None or (isinstance(arn, float) and pd.isna(arn)):
        return "(unknown)"
    text = str(arn)
    parts = text.split(":", 5)
    return parts[5] if text.startswith("arn:") and len(parts) == 6 and parts[5] else text


def action_label(frame: pd.DataFrame) -> pd.Series:
    """The IAM action of each denial, or ``eventsource EventName`` when the message names none."""
    fallback = frame["event_source"].fillna("?") + " " + frame["event_name"].fillna("?")
    return frame["action"].fillna(fallback)


def _causes_in(frame: pd.DataFrame, column: str = "cause") -> list[str]:
    present = set(frame[column].dropna())
    return [c for c in CAUSES if c in present] + sorted(present - set(CAUSES))


def trace_totals(fig: go.Figure) -> dict[str, float]:
    """Return {trace name: sum of its values} (bars: y or x; heatmap: z; scatter: points)."""
    out: dict[str, float] = {}
    for trace in fig.data:
        if trace.type == "heatmap":
            values = [v for row in (trace.z or ()) for v in row if v is not None]
        elif trace.type == "bar":
            values = trace.x if trace.orientation == "h" else trace.y
            values = () if values is None else values
        elif trace.type == "indicator":
            values = [trace.value]
        else:
            values = [1] * (0 if trace.x is None else len(trace.x))
        out[trace.name] = out.get(trace.name, 0) + float(sum(values))
    return out


# --- denials over time, stacked by cause (the signature chart) ----------------------------------


def choose_bin(since: datetime | None, until: datetime | None) -> str:
    """Return the pandas frequency for a window: ``"h"`` up to 7 days, else ``"D"``."""
    if since is None or until is None:
        return "h"
    return "h" if until - since <= HOURLY_UP_TO else "D"


def denials_over_time(
    frame: pd.DataFrame,
    changes: pd.DataFrame | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    title: str = "Denials over time by cause",
) -> go.Figure:
    """Return stacked bars of denials per hour or day, one trace per cause, with a range slider.

    ``frame`` is ``query.denial_events``; ``changes`` (``query.policy_changes``)
    adds a vertical line and a ``policy-change`` marker per policy change.
    ``since``/``until`` choose the bin (default: the span of ``frame``).
    """
    if frame.empty:
        return _empty(f"{title}: no denials in this window")
    times = frame["event_time"]
    freq = choose_bin(since or times.min(), until or times.max())
    data = frame.assign(bin=times.dt.floor(freq), who_short=frame["who"].map(short_name))
    counts = data.groupby(["bin", "cause"], dropna=False).size()
    top = (
        data.groupby(["bin", "cause", "who_short"]).size().sort_values(ascending=False)
        .groupby(level=[0, 1]).head(3)
    )  # fmt: skip
    busiest: dict[tuple[Any, str], list[str]] = {}
    for (when, cause, who), k in top.items():
        busiest.setdefault((when, cause), []).append(f"{plotly_text(who)}: {k}")
    fig = go.Figure()
    for cause in _causes_in(data):
        rows = counts.xs(cause, level="cause").sort_index()
        hover = [
            f"<b>{cause}</b> {when:%Y-%m-%d %H:%M} UTC: {n} denials<br>"
            + "<br>".join(busiest.get((when, cause), []))
            for when, n in rows.items()
        ]
        fig.add_bar(
            x=list(rows.index), y=[int(v) for v in rows.values], name=cause,
            marker_color=_color(cause), hovertext=hover, hoverinfo="text",
        )  # fmt: skip
    fig.update_layout(
        title=f"{title} (per {'hour' if freq == 'h' else 'day'}, UTC)",
        barmode="stack",
        legend_title_text="cause",
        yaxis_title="denials",
    )
    fig.update_xaxes(rangeslider_visible=True, type="date")
    if changes is not None and not changes.empty:
        _mark_changes(fig, changes)
    return fig


def _mark_changes(fig: go.Figure, changes: pd.DataFrame) -> None:
    for when in changes["event_time"]:
        fig.add_shape(
            type="line", x0=when, x1=when, yref="paper", y0=0, y1=1,
            line={"color": _color("policy-change"), "dash": "dot", "width": 1},
        )  # fmt: skip
    hover = [
        f"<b>{plotly_text(r.event_name)}</b> {r.event_time:%Y-%m-%d %H:%M:%S} UTC<br>"
        f"by {plotly_text(short_name(r.principal_arn))} in {plotly_text(r.account_id)}<br>"
        f"{_cut(r.request_parameters)}"
        for r in changes.itertuples()
    ]
    fig.add_scatter(
        x=list(changes["event_time"]), y=[0] * len(changes), name="policy-change",
        mode="markers", marker={"symbol": "triangle-up", "size": 12,
                                "color": _color("policy-change")},
        hovertext=hover, hoverinfo="text",
    )  # fmt: skip


# --- who was denied -----------------------------------------------------------------------------


def denials_by_principal(frame: pd.DataFrame, top: int = 10) -> go.Figure:
    """Return horizontal bars of the ``top`` principals by denials, split by cause."""
    title = f"Top {top} principals by denials"
    if frame.empty:
        return _empty(f"{title}: no denials in this window")
    data = frame.assign(label=frame["who"].map(short_name))
    order = data.groupby("who").size().sort_values(ascending=False).head(top)
    data = data[data["who"].isin(order.index)]
    labels = [plotly_text(short_name(w)) for w in order.index[::-1]]  # largest on top
    counts = data.groupby(["cause", "who"]).size()
    fig = go.Figure()
    for cause in _causes_in(data):
        per = counts.xs(cause, level="cause")
        values = [int(per.get(w, 0)) for w in order.index[::-1]]
        hover = [
            f"{plotly_text(w)}<br><b>{cause}</b>: {v}"
            for w, v in zip(order.index[::-1], values, strict=True)
        ]
        fig.add_bar(
            y=labels, x=values, name=cause, orientation="h", marker_color=_color(cause),
            hovertext=hover, hoverinfo="text",
        )  # fmt: skip
    fig.update_layout(title=title, barmode="stack", legend_title_text="cause",
                      xaxis_title="denials")  # fmt: skip
    return fig


def principal_action_heatmap(
    frame: pd.DataFrame, top_principals: int = 15, top_actions: int = 20
) -> go.Figure:
    """Return a heatmap of denials per principal (rows) and action (columns), busiest first."""
    title = "Denials by principal and action"
    if frame.empty:
        return _empty(f"{title}: no denials in this window")
    data = frame.assign(act=action_label(frame))
    who = data.groupby("who").size().sort_values(ascending=False).head(top_principals).index
    acts = data.groupby("act").size().sort_values(ascending=False).head(top_actions).index
    data = data[data["who"].isin(who) & data["act"].isin(acts)]
    table = data.pivot_table(index="who", columns="act", values="event_id", aggfunc="count")
    table = table.reindex(index=who[::-1], columns=acts).fillna(0).astype(int)
    hover = [
        [f"{plotly_text(w)}<br>{plotly_text(a)}: {table.at[w, a]}" for a in table.columns]
        for w in table.index
    ]
    fig = go.Figure(
        go.Heatmap(
            z=table.values.tolist(),
            x=[plotly_text(a) for a in table.columns],
            y=[plotly_text(short_name(w)) for w in table.index],
            name="denials",
            colorscale="Reds",
            hovertext=hover,
            hoverinfo="text",
        )  # fmt: skip
    )
    fig.update_layout(title=title, xaxis_tickangle=-40)
    return fig


def principal_timeline(calls: pd.DataFrame, principal: str | None = None) -> go.Figure:
    """Return one principal's calls over time (``query.principal_calls``), denials by cause.

    Calls that were not denied form the ``not denied`` trace; each denial is a
    marker in its cause's colour. Hover text is the event's details, escaped.
    """
    title = f"Calls by {plotly_text(short_name(principal))}" if principal else "Calls"
    if calls.empty:
        return _empty(f"{title}: no calls in this window")
    data = calls.assign(
        cause=calls["cause"].fillna("not denied"),
        hover=(
            "<b>" + _escaped(calls["event_name"]) + "</b> (" + _escaped(calls["event_source"])
            + ") " + calls["event_time"].dt.strftime("%Y-%m-%d %H:%M:%S") + " UTC<br>region "
            + _escaped(calls["aws_region"]) + ", from " + _escaped(calls["source_ip"])
            + "<br>user agent: " + _escaped(calls["user_agent"], cut=True)
            + ("<br>" + _escaped(calls["error_code"]) + ": "
               + _escaped(calls["error_message"], cut=True)).where(calls["error_code"].notna(), "")
        ),
        when=calls["event_time"].dt.tz_convert("UTC").dt.tz_localize(None),
        event=_escaped(calls["event_name"]),
    )  # fmt: skip
    fig = go.Figure()
    for name in ["not denied", *_causes_in(data[data["cause"] != "not denied"])]:
        rows = data[data["cause"] == name]
        if rows.empty:
            continue
        denied = name != "not denied"
        fig.add_scatter(
            x=rows["when"].to_numpy(), y=rows["event"].to_numpy(), name=name, mode="markers",
            hovertext=rows["hover"].to_numpy(), hoverinfo="text",
            marker={"color": _color(name), "size": 10 if denied else 6,
                    "symbol": "x" if denied else "circle"},
        )  # fmt: skip
    fig.update_layout(title=title, legend_title_text="outcome", yaxis_title="event")
    fig.update_xaxes(rangeslider_visible=True, type="date")
    return fig


# --- what the replay said -----------------------------------------------------------------------


def outcome(diagnoses: pd.DataFrame) -> pd.Series:
    """The diagnosed cause of each row, or its verdict when the replay found no cause."""
    return diagnoses["cause"].fillna(diagnoses["verdict"]).fillna("unknown")


def reported_vs_diagnosed(diagnoses: pd.DataFrame) -> go.Figure:
    """Return bars per reported cause, stacked by diagnosed cause (``query.diagnoses``).

    Shows, for instance, how many ``undetailed`` or ``missing-action`` denials
    the replay found to be ``resource-arn``; a row with no diagnosed cause is
    counted under its verdict (``allowed-now``, ``needs-context``, ``unknown``).
    """
    title = "Reported versus diagnosed cause"
    if diagnoses.empty:
        return _empty(f"{title}: no diagnoses (run iamlab diagnose with a snapshot)")
    data = diagnoses.assign(
        reported=diagnoses["reported_cause"].fillna("unknown"), found=outcome(diagnoses)
    )
    reported = _causes_in(data, "reported")
    counts = data.groupby(["found", "reported"]).size()
    fig = go.Figure()
    names = _causes_in(data, "found")
    for name in names:
        per = counts.xs(name, level="found")
        values = [int(per.get(r, 0)) for r in reported]
        fig.add_bar(x=reported, y=values, name=name, marker_color=_color(name),
                    hovertemplate=f"reported %{{x}}<br>diagnosed {plotly_text(name)}: %{{y}}"
                    "<extra></extra>")  # fmt: skip
    fig.update_layout(
        title=title,
        barmode="stack",
        legend_title_text="diagnosed",
        xaxis_title="reported cause (from the message)",
        yaxis_title="denials",
    )
    return fig


# --- where the evidence is dark -------------------------------------------------------------------

DARK_COLOR = "#B2182B"  # a cell without events: red, apart from the blues of the counts
_EVENT_SCALE = ("#DEEBF7", "#08519C")  # fewest to most events


def coverage_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Return CloudTrail events per account (rows) and UTC day (columns), dark cells in red.

    ``matrix`` is ``iamlab.prevent.account_days``: a row of zeros is an account
    of the organization that delivered nothing. The colour scale steps at half
    an event, so a 0 never shades into a small count. Account labels come from
    the evidence, hence ``plotly_text``.
    """
    title = "CloudTrail events by account and day (UTC)"
    if matrix.empty:
        return _empty(f"{title}: no accounts or days in this window")
    counts = matrix.astype("int64")
    days = [f"{pd.Timestamp(d):%Y-%m-%d}" for d in counts.columns]
    accounts = [plotly_text(a) for a in counts.index]
    top = max(int(counts.to_numpy().max()), 1)
    step = 0.5 / top
    hover = [
        [
            f"account {a}<br>{d}: " + (f"{n:,} events" if n else "no events (dark)")
            for d, n in zip(days, row, strict=True)
        ]
        for a, row in zip(accounts, counts.to_numpy().tolist(), strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=counts.to_numpy().tolist(),
            x=days,
            y=accounts,
            name="events",
            zmin=0,
            zmax=top,
            xgap=2,
            ygap=2,
            hovertext=hover,
            hoverinfo="text",
            colorscale=[
                [0, DARK_COLOR],
                [step, DARK_COLOR],
                [step, _EVENT_SCALE[0]],
                [1, _EVENT_SCALE[1]],
            ],
            colorbar={"title": {"text": "events"}},
        )  # fmt: skip
    )
    fig.update_layout(
        title=f"{title}; red: no events",
        height=160 + 32 * len(accounts),
        xaxis={"type": "category", "title": "day"},
        yaxis={"type": "category", "title": "account", "autorange": "reversed"},
    )
    return fig


# --- KPI cards ----------------------------------------------------------------------------------


def kpis(frame: pd.DataFrame, diagnoses: pd.DataFrame | None = None) -> dict[str, int | None]:
    """Return {denials, principals, causes, fixes verified} (fixes: None without diagnoses)."""
    verified = None
    if diagnoses is not None and not diagnoses.empty:
        verified = int(sum(_fix_verified(f) for f in diagnoses["fix"]))
    return {
        "denials": len(frame),
        "principals": int(frame["who"].nunique()) if not frame.empty else 0,
        "causes": int(frame["cause"].nunique()) if not frame.empty else 0,
        "fixes verified": verified,
    }


def _fix_verified(fix: Any) -> bool:
    if isinstance(fix, str):
        try:
            fix = json.loads(fix)
        except ValueError:
            return False
    return isinstance(fix, dict) and fix.get("verified") is True


def kpi_cards(values: dict[str, int | None]) -> go.Figure:
    """Return the KPI cards as one small figure of number indicators, one trace per KPI."""
    fig = go.Figure()
    n = len(values)
    for i, (name, value) in enumerate(values.items()):
        fig.add_trace(go.Indicator(
            mode="number", value=value if value is not None else 0, name=name,
            title={"text": name if value is not None else f"{name} (not diagnosed)"},
            domain={"x": [i / n, (i + 1) / n - 0.02], "y": [0, 1]},
        ))  # fmt: skip
    fig.update_layout(height=160, margin={"t": 30, "b": 10, "l": 10, "r": 10})
    return fig


def kpi_html(values: dict[str, int | None]) -> str:
    """Return the KPI cards as HTML (``<div class="kpis">``), for reports and widgets."""
    cards = "".join(
        f'<div class="kpi"><div class="kpi-value">{"-" if v is None else v}</div>'
        f'<div class="kpi-name">{plotly_text(k)}</div></div>'
        for k, v in values.items()
    )
    return f'<div class="kpis">{cards}</div>'
