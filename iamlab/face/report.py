"""One self-contained HTML report of an investigation: opens anywhere, with no network.

Scope and time window, KPI cards, the cause chart, evidence coverage (where
the CloudTrail evidence is dark, and an account x day heatmap), a findings table, one panel
per finding (deciding statement and proven fix when the denials were
diagnosed; otherwise the reported cause and the parsed message), and
provenance: evidence files with their SHA-256, the snapshot's time, the
versions that made it, and the SQL of every query. plotly.js is embedded
(no CDN) and a Content-Security-Policy forbids the page any network request.
Event text is escaped with ``html_text``; ``mask=True`` pseudonymises it first.

Example::

    from iamlab.face.report import write_report
    write_report(ws, "case-42.html", snapshot="snapshot/", since="2026-03-10", mask=True)
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from iamlab.errors import InputError
from iamlab.escape import html_text
from iamlab.face import charts, query
from iamlab.face.detail import deciding_statement, finding_html, loads
from iamlab.face.mask import Masker
from iamlab.face.query import Scope
from iamlab.prevent.coverage import DAYS_SQL, HOURS_SQL, PAIRS_SQL, Coverage, account_days, coverage

__all__ = [
    "Finding",
    "build_report",
    "coverage_html",
    "evidence",
    "findings",
    "provenance",
    "write_report",
]

MAX_PANELS = 100  # findings shown as panels; the table lists them all
VERSIONS_OF = ("duckdb", "pandas", "pyarrow", "plotly", "ipywidgets", "boto3")
EVIDENCE_SQL = """
SELECT source, count(*) AS events FROM events GROUP BY source ORDER BY source
"""
LOADS_SQL = "SELECT load_id, started_at, finished_at, sources FROM loads ORDER BY load_id"

# What the page may do: run its own inline plotly.js and styles, show data: images; nothing
# else (no eval: plotly.js draws these charts without it, checked in Chromium).
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:; font-src data:; connect-src 'none'")  # fmt: skip

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
.kpis { display: flex; gap: 1em; } .kpi { border: 1px solid #ddd; border-radius: 6px;
  padding: .6em 1.2em; min-width: 8em; } .kpi-value { font-size: 2em; font-weight: bold; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ddd;
  padding: .25em .5em; text-align: left; vertical-align: top; font-size: .9em; }
pre { background: #f6f6f6; padding: .5em; white-space: pre-wrap; word-break: break-all; }
.finding { border: 1px solid #ddd; border-radius: 6px; padding: 0 1em; margin: 1em 0; }
.diff { display: flex; gap: 1em; } .diff > div { flex: 1; min-width: 0; }
blockquote.statement { margin: 0; border-left: 4px solid #d55e00; padding-left: .5em; }
.note { color: #555; } code { font-size: .9em; }
table.coverage td:first-child { color: #b2182b; white-space: nowrap; }
"""


@dataclass
class Finding:
    """Denials grouped by who was denied what, and why (reported, and diagnosed if known)."""

    who: str
    action: str
    cause: str
    diagnosed: str | None
    count: int
    first: datetime
    last: datetime
    example: dict[str, Any]
    diagnosis: dict[str, Any] | None


def findings(frame: pd.DataFrame, diagnoses: pd.DataFrame) -> list[Finding]:
    """Return the findings of a ``denial_events`` frame, most denials first.

    One finding per (principal, action, reported cause, diagnosed outcome);
    its example is the latest denial, with that denial's diagnosis.
    """
    if frame.empty:
        return []
    by_id = {r["event_id"]: r for r in diagnoses.to_dict("records")} if not diagnoses.empty else {}
    data = frame.assign(
        act=charts.action_label(frame),
        found=[_outcome(by_id.get(e)) for e in frame["event_id"]],
    )
    out = []
    for (who, act, cause, found), rows in data.groupby(
        ["who", "act", "cause", "found"], dropna=False, sort=False
    ):
        example = rows.sort_values("event_time").iloc[-1].to_dict()
        out.append(Finding(
            who=who, action=act, cause=cause, diagnosed=found or None, count=len(rows),
            first=rows["event_time"].min(), last=rows["event_time"].max(),
            example=example, diagnosis=by_id.get(example["event_id"]),
        ))  # fmt: skip
    return sorted(out, key=lambda f: (-f.count, f.first))


def _outcome(diagnosis: dict[str, Any] | None) -> str:
    if not diagnosis:
        return ""
    return diagnosis.get("cause") or diagnosis.get("verdict") or "unknown"


def _sha256(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


def provenance(ws: Any, snapshot: Any = None) -> dict[str, Any]:
    """Return where the report's facts come from: evidence files and hashes, loads, versions.

    A file that is gone or unreadable now has ``sha256`` None (said so in the report).
    """
    evidence = [
        {"source": r.source, "events": int(r.events),
         "sha256": None if r.source.startswith("s3://") else _sha256(Path(r.source))}
        for r in ws.sql(EVIDENCE_SQL).itertuples()
    ]  # fmt: skip
    loads_ = [
        {"load": int(r.load_id), "started": str(r.started_at), "finished": str(r.finished_at),
         "sources": loads(r.sources)}
        for r in ws.sql(LOADS_SQL).itertuples()
    ]  # fmt: skip
    versions = {"iamlab": _version("iamlab"), "python": platform.python_version()}
    versions.update({name: _version(name) for name in VERSIONS_OF})
    snap = None
    if snapshot is not None:
        manifest = getattr(snapshot, "manifest", {}) or {}
        snap = {"folder": str(getattr(snapshot, "root", "")), "created": manifest.get("created"),
                "caller": (manifest.get("caller") or {}).get("Arn"),
                "accounts": manifest.get("accounts")}  # fmt: skip
    return {"workspace": str(ws.path), "evidence": evidence, "loads": loads_,
            "snapshot": snap, "versions": versions}  # fmt: skip


def _version(name: str) -> str:
    if name == "iamlab":
        import iamlab

        return iamlab.__version__
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def build_report(
    ws: Any,
    scope: Scope | None = None,
    snapshot: Any = None,
    mask: bool = False,
    mask_key: bytes | str | None = None,
    title: str = "iamlab investigation report",
) -> str:
    """Return the report of ``scope`` in workspace ``ws`` as one HTML document.

    ``snapshot`` (a ``Snapshot`` or its folder) lets the panels quote the
    deciding statements of stored diagnoses, and the coverage section name the
    organization's accounts that delivered no event. ``mask`` pseudonymises account
    ids, principal and resource names, IPs and key ids (``mask.Masker``),
    keyed by ``mask_key`` or a random key. Raises InputError for a bad scope
    or snapshot folder.
    """
    scope = scope or Scope()
    if snapshot is not None and not hasattr(snapshot, "find_statement"):
        from iamlab.snapshot import load

        snapshot = load(snapshot)
    frame = query.denial_events(ws, scope)
    diagnosed = query.diagnoses(ws, list(frame["event_id"]))
    changes = query.policy_changes(ws, scope)
    origin = provenance(ws, snapshot)
    masker = Masker(mask_key) if mask else None
    shown_scope = scope.describe()
    if masker:
        masker.learn(frame)
        masker.learn(changes)
        frame, changes = masker.frame(frame), masker.frame(changes)
        diagnosed = masker.frame(diagnosed)
        origin = masker.value(origin)
        shown_scope = masker.text(shown_scope)
    found = findings(frame, diagnosed)
    values = charts.kpis(frame, diagnosed if query.has_diagnoses(ws) else None)
    cause_chart = charts.denials_over_time(frame, changes, scope.since, scope.until)
    figures = [cause_chart, charts.denials_by_principal(frame)]
    if not diagnosed.empty:
        figures.append(charts.reported_vs_diagnosed(diagnosed))
    cov, matrix = evidence(ws, snapshot, scope.since, scope.until)
    if masker:
        matrix = matrix.rename(index=masker.text)
    figures.append(charts.coverage_heatmap(matrix))
    plots = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        for i, fig in enumerate(figures)
    ]
    heatmap = plots.pop()  # plotly.js is inlined once, by the first figure above it
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    if not frame.empty:
        shown_scope += (
            f"; the denials run from {frame['event_time'].min():%Y-%m-%d %H:%M} "
            f"to {frame['event_time'].max():%Y-%m-%d %H:%M} UTC"
        )
    body = [
        f"<h1>{html_text(title)}</h1>",
        f"<p>Scope: {html_text(shown_scope)}. Made {made} by iamlab "
        f"{html_text(origin['versions']['iamlab'])}"
        + (" (masked: names, accounts, IPs and key ids are keyed pseudonyms)" if mask else "")
        + ".</p>",
        charts.kpi_html(values),
        "<h2>Denials over time</h2>", *plots,
        "<h2>Is the evidence complete?</h2>",
        coverage_html(cov, masker, snapshot is not None), heatmap,
        "<h2>Findings</h2>", _findings_table(found),
        *_panels(found, snapshot, masker),
        "<h2>Provenance</h2>", _provenance_html(origin, scope, mask, cov),
    ]  # fmt: skip
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{html_text(title)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_report(ws: Any, out: str | Path, **options: Any) -> Path:
    """Write ``build_report(ws, **options)`` to ``out`` (``since``/``until``/``principal``/
    ``causes`` give the scope); return the path. Raises InputError when ``out`` is a folder."""
    path = Path(out)
    if path.is_dir():
        raise InputError(f"--out {str(path)!r} is a folder; name the report file, e.g. report.html")
    scope_keys = ("principal", "since", "until", "causes", "accounts", "regions")
    scope = Scope.of(**{k: options.pop(k) for k in scope_keys if k in options})
    html = build_report(ws, scope, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, "utf-8")
    return path


def evidence(
    ws: Any, snapshot: Any = None, since: Any = None, until: Any = None
) -> tuple[Coverage, pd.DataFrame]:
    """Return the window's evidence coverage and its account x day event counts.

    ``since``/``until`` None: the workspace's first and last event hours. Without
    a snapshot only the accounts in the evidence are known (``Coverage.notes``).
    """
    with ws.connect() as con:
        cov = coverage(con, snapshot, since, until)
        matrix = account_days(con, cov.since, cov.until, cov.accounts)
    return cov, matrix


def coverage_html(cov: Coverage, masker: Masker | None = None, snapshot: bool = True) -> str:
    """Return where the evidence is dark as HTML: a lead line, a table of gaps, the notes.

    Accounts, Regions, session ARNs and trail names come from the evidence or the
    snapshot: escaped, and pseudonymised by ``masker``. ``snapshot`` False says
    that an organization account without any event cannot be listed.
    """

    def show(value: Any) -> str:
        return html_text(masker.text(value) if masker else value)

    rows = [
        ("account without evidence", a, "", "no CloudTrail event in the window")
        for a in cov.dark_accounts
    ]
    rows += [
        ("dark Region", a, r, "no event here, while the organization has successful calls there")
        for a, r in cov.dark_regions
    ]
    rows += [
        ("silent stretch", a, "", f"no events {s:%Y-%m-%d %H:%M} to {e:%Y-%m-%d %H:%M} UTC")
        for a, s, e in cov.silent
    ]
    sessions = Counter(session for _event, session in cov.missing_sessions)
    rows += [
        ("denial without its AssumeRole", _account_of(session), session,
         f"{n} denial{'' if n == 1 else 's'}: the session policy it may have passed is unknown")
        for session, n in sessions.most_common()
    ]  # fmt: skip
    rows += [("trail problem", a, t, p) for a, t, p in cov.trails]
    known = "" if snapshot else (
        " Without a snapshot the organization's accounts are unknown: an account that "
        "delivered nothing is not listed (give a snapshot)."
    )  # fmt: skip
    if not cov.accounts:
        return f"<p>No CloudTrail event in this window: the evidence covers nothing.{known}</p>"
    lead = (
        f"<p>Window {cov.since:%Y-%m-%d %H:%M} to {cov.until:%Y-%m-%d %H:%M} UTC, "
        f"{len(cov.accounts)} accounts: "
        + ("no gap found." if not rows else f"{len(rows)} gap{'' if len(rows) == 1 else 's'}.")
        + " Dark means no evidence here, not that nothing happened: an account may not use "
        f"a Region. A diagnosis near a gap may lack its context events.{known}</p>"
    )
    table = "".join(
        f"<tr><td>{html_text(kind)}</td><td>{show(account)}</td><td>{show(where)}</td>"
        f"<td>{show(what)}</td></tr>"
        for kind, account, where, what in rows
    )
    head = "<tr><th>gap</th><th>account</th><th>Region or trail</th><th>what is missing</th></tr>"
    notes = "".join(f'<p class="note">note: {show(n)}</p>' for n in cov.notes)
    return lead + (f'<table class="coverage">{head}{table}</table>' if rows else "") + notes


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _findings_table(found: list[Finding]) -> str:
    if not found:
        return "<p>No denials in this scope.</p>"
    head = ("<tr><th>#</th><th>principal</th><th>action</th><th>reported cause</th>"
            "<th>diagnosed</th><th>denials</th><th>first</th><th>last</th></tr>")  # fmt: skip
    rows = "".join(
        f'<tr><td><a href="#finding-{i}">{i}</a></td><td>{html_text(f.who)}</td>'
        f"<td>{html_text(f.action)}</td><td>{html_text(f.cause)}</td>"
        f"<td>{html_text(f.diagnosed or 'not diagnosed')}</td><td>{f.count}</td>"
        f"<td>{f.first:%Y-%m-%d %H:%M}</td><td>{f.last:%Y-%m-%d %H:%M}</td></tr>"
        for i, f in enumerate(found, 1)
    )
    return f'<table class="findings">{head}{rows}</table>'


def _panels(found: list[Finding], snapshot: Any, masker: Masker | None) -> list[str]:
    out = []
    for i, f in enumerate(found[:MAX_PANELS], 1):
        statement = None
        if f.diagnosis:
            statement = deciding_statement(snapshot, loads(f.diagnosis.get("deciding")))
            if masker and statement:
                statement = masker.value(statement)
        out.append(
            f'<div id="finding-{i}"><h3>Finding {i}: {f.count} denial'
            f"{'' if f.count == 1 else 's'} of {html_text(f.who)}, "
            f"{f.first:%Y-%m-%d %H:%M} to {f.last:%Y-%m-%d %H:%M} UTC; the latest:</h3>"
            + finding_html(f.example, f.diagnosis, statement)
            + "</div>"
        )
    if len(found) > MAX_PANELS:
        out.append(
            f"<p>{len(found) - MAX_PANELS} more findings are in the table above; "
            "narrow the scope (--since, --until, --principal) for their panels.</p>"
        )
    return out


def _provenance_html(origin: dict[str, Any], scope: Scope, mask: bool, cov: Any) -> str:
    files = "".join(
        f"<tr><td>{html_text(e['source'])}</td><td>{e['events']}</td>"
        f"<td><code>{html_text(e['sha256'] or 'not readable now')}</code></td></tr>"
        for e in origin["evidence"]
    )
    loads_ = "".join(
        f"<tr><td>{e['load']}</td><td>{html_text(e['started'])}</td>"
        f"<td>{html_text(json.dumps(e['sources']))}</td></tr>"
        for e in origin["loads"]
    )
    versions = ", ".join(f"{html_text(k)} {html_text(v)}" for k, v in origin["versions"].items())
    snap = origin["snapshot"]
    snap_html = (
        f"<p>Snapshot {html_text(snap['folder'])}, taken {html_text(snap['created'])} by "
        f"{html_text(snap['caller'])}.</p>"
        if snap
        else "<p>No snapshot given: causes are those AWS reported, not replayed.</p>"
    )
    params = {k: (v.isoformat() if isinstance(v, datetime) else v)
              for k, v in scope.params().items()}  # fmt: skip
    if mask:
        params = {k: ("(masked)" if v and k == "principal" else v) for k, v in params.items()}
    queries = [
        ("denials in scope", query.DENIAL_EVENTS_SQL, params),
        ("policy changes", query.POLICY_CHANGES_SQL, {"names": list(query.POLICY_CHANGE_EVENTS),
                                                      "since": params["since"],
                                                      "until": params["until"]}),
        ("stored diagnoses", query.DIAGNOSES_SQL, {"ids": "(the denials above)"}),
        ("evidence files", EVIDENCE_SQL, {}),
        ("loads", LOADS_SQL, {}),
    ]  # fmt: skip
    window = {"since": cov.since.isoformat(), "until": cov.until.isoformat()}
    queries += [
        ("coverage: events by account and Region", PAIRS_SQL, window),
        ("coverage: hours with events", HOURS_SQL, window),
        ("coverage: events by account and day", DAYS_SQL, window),
    ]
    sql = "".join(
        f"<h4>{html_text(name)}</h4><pre>{html_text(text.strip())}</pre>"
        f"<p>parameters: <code>{html_text(json.dumps(p, default=str))}</code></p>"
        for name, text, p in queries
    )
    return (
        f"<p>Workspace {html_text(origin['workspace'])}. Versions: {versions}.</p>"
        + snap_html
        + "<h3>Evidence files (SHA-256 now)</h3><table><tr><th>file</th><th>events</th>"
        f"<th>sha256</th></tr>{files}</table>"
        f"<h3>Loads</h3><table><tr><th>load</th><th>started</th><th>sources</th></tr>{loads_}"
        f"</table><h3>Queries</h3>{sql}"
    )
