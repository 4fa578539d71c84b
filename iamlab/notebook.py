"""What the guided notebooks (``iamlab/notebooks/``) call that the face room does not offer.

One call per cell: ``setup`` opens the workspace (building it from the bundled
sample when it does not exist yet) and makes plotly figures survive
JupyterLab, exported HTML and ``nbconvert``; ``loaded``, ``identity``,
``principals``, ``access_keys``, ``sessions`` answer step 1 from AWS or the
evidence; ``denial_table`` and ``what_to_fix`` show denials with every event
text escaped; ``evidence_coverage`` shows where the evidence is dark;
``athena_plan`` shows the denial search pushed down to Athena (a dry run:
SQL, partitions, scan estimate); ``questions``/``check``/``hint``
run the training lab against the sample's answer key, which the notebook never
reads itself.

    ws, inv = setup(workspace, snapshot, principal, since, until)   # setup cell
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from iamlab.errors import IamlabError, InputError
from iamlab.escape import html_text

__all__ = [
    "LAB_QUESTIONS",
    "NOTEBOOKS",
    "AthenaPlan",
    "Checked",
    "EvidenceCoverage",
    "Html",
    "access_keys",
    "athena_plan",
    "check",
    "denial_table",
    "evidence_coverage",
    "export_report",
    "fixes",
    "hint",
    "identity",
    "loaded",
    "principals",
    "questions",
    "sample_workspace",
    "sessions",
    "setup",
    "use_offline_plotly",
    "what_to_fix",
]

# The guided notebooks, shipped as package data (``iamlab lab`` copies them out;
# the repository's ``notebooks/`` is a link to this folder).
NOTEBOOKS = Path(__file__).parent / "notebooks"
NAMES = ("00-start-here", "01-who-am-i", "02-find-the-denial", "03-root-causes",
         "04-post-incident-review", "05-training-lab")  # fmt: skip
# The sample's evidence folders (as ``iamlab demo`` loads them) and its snapshot.
SAMPLE_EVIDENCE = ("cloudtrail", "lookup-events", "lake")
# plotly's own JSON for JupyterLab (its extension draws it) and an HTML copy with
# plotly.js inlined once (``notebook`` renderer, not ``notebook_connected``: no CDN),
# which nbconvert's HTML keeps. Plotly 6+ otherwise emits only the JSON, which
# nbconvert drops (plotly/plotly.py #5365).
RENDERER = "plotly_mimetype+notebook"


class Html:
    """HTML a cell displays (``_repr_html_``); ``text`` keeps it for tests and exports."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_html_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Html({len(self.text)} characters)"


# --- setup ----------------------------------------------------------------------------------------


def use_offline_plotly() -> None:
    """Make figures render in JupyterLab, exported HTML and after nbconvert, with no CDN.

    In a kernel, plotly.js is written into this cell's output now
    (``init_notebook_mode``): left pending, it would be written into the first
    widget output that shows a figure, and nbclient then stalls on that cell
    until its timeout (measured here with nbclient 0.11: 40 s cells, cf. jupyter/nbclient #312).
    """
    import plotly.io as pio

    from iamlab.face.widgets import in_kernel

    if in_kernel():
        from plotly.offline import init_notebook_mode

        init_notebook_mode(connected=False)  # sets RENDERER and writes plotly.js once
        return  # setting the default again would queue plotly.js for a widget output
    pio.renderers.default = RENDERER


def sample_dir(scratch: Path) -> Path:
    """Return the bundled sample's folder; an installed iamlab regenerates it under ``scratch``."""
    from iamlab.sample import default_dir

    sample = default_dir()
    if (sample / "labels.json").is_file():
        return sample
    sample = scratch / "sample_data"
    if not (sample / "labels.json").is_file():
        from iamlab.sample import generate

        generate(sample, force=True)
    return sample


def sample_workspace(path: str | Path, progress: bool = False) -> Any:
    """Return a Workspace at ``path`` holding the bundled sample, loaded and (when the
    diagnose room is installed) diagnosed against the sample's snapshot.

    Loading is idempotent, so calling it on a finished workspace adds nothing.
    """
    from iamlab.workspace import Workspace

    path = Path(path)
    sample = sample_dir(path.parent)
    ws = Workspace(path)
    ws.load(*(sample / name for name in SAMPLE_EVIDENCE), progress=progress)
    if hasattr(ws, "diagnose"):  # branch diagnose: Workspace.diagnose(snapshot)
        ws.diagnose(sample / "snapshot")
    return ws


def setup(
    workspace: str | Path | None = "workspace",
    snapshot: str | Path | None = None,
    principal: str | None = None,
    since: Any = None,
    until: Any = None,
    name: str = "investigation",
) -> tuple[Any, Any]:
    """Return (workspace, Investigation) for a notebook's parameters; set up plotly.

    ``workspace``: a workspace folder; a missing one (or None: ``./workspace``)
    is built from the bundled sample. ``snapshot``: a snapshot folder; None
    takes the bundled sample's when the workspace is the sample's. The
    Investigation's controls start at ``principal``/``since``/``until``.
    Raises InputError for a path that is a file or a bad time window.
    """
    from iamlab.face import Investigation
    from iamlab.workspace import DB_NAME, Workspace

    use_offline_plotly()
    pd.set_option("display.max_colwidth", None)  # ARNs are long; a cut one names nobody
    path = Path(workspace or "workspace").expanduser()
    built = not (path / DB_NAME).exists()
    ws = sample_workspace(path) if built else Workspace(path, read_only=True)
    if snapshot is None and (built or _is_sample(ws)):
        snapshot = sample_dir(path.parent) / "snapshot"
    inv = Investigation(
        ws, principal=principal, since=since, until=until, snapshot=snapshot, name=name
    )
    return ws, inv


def _is_sample(ws: Any) -> bool:
    """True when the workspace holds the sample's labelled events (its snapshot then fits)."""
    first = _labels(None)["scenarios"][0]["event_ids"][0] if _has_labels() else None
    if first is None:
        return False
    found = ws.sql("SELECT count(*) FROM events WHERE event_id = $id", {"id": first})
    return bool(found.iloc[0, 0])


# --- what was loaded (notebook 00) ---------------------------------------------------------------

LOADED_SQL = """
SELECT (SELECT count(*) FROM events) AS events,
       (SELECT count(*) FROM denials) AS denials,
       (SELECT count(DISTINCT account_id) FROM events) AS accounts,
       (SELECT count(DISTINCT aws_region) FROM events) AS regions,
       (SELECT count(DISTINCT principal_arn) FROM events) AS principals,
       (SELECT min(event_time) FROM events) AS first_event,
       (SELECT max(event_time) FROM events) AS last_event,
       (SELECT count(*) FROM rejected) AS rejected
"""


def loaded(ws: Any) -> pd.DataFrame:
    """Return one row: events, denials, accounts, regions, principals, first/last, rejected."""
    return ws.sql(LOADED_SQL)


# --- step 1: who am I, and who is in the evidence ------------------------------------------------


def identity(profile: str | None = None) -> pd.DataFrame:
    """Return the caller identity and its credential-source warnings, or why there is none.

    Never raises for missing or broken credentials: an analyst with only a
    folder of logs reads the evidence instead (one row ``source: none``).
    """
    from iamlab.aws.identity import whoami

    try:
        found = whoami(profile=profile)
    except IamlabError as exc:
        return pd.DataFrame(
            [
                {
                    "source": "none",
                    "detail": str(exc),
                    "next": "read the principals, keys and sessions of the evidence",
                }
            ]
        )
    fields = found.to_dict()
    fields["warnings"] = "; ".join(fields["warnings"]) or "none"
    fields["unexpected"] = "; ".join(fields["unexpected"]) or "none"
    return pd.DataFrame([fields])


PRINCIPALS_SQL = """
SELECT e.principal_arn, any_value(e.principal_type) AS principal_type,
       any_value(e.account_id) AS account_id, count(*) AS calls,
       count(d.event_id) AS denials, min(e.event_time) AS first_seen,
       max(e.event_time) AS last_seen
FROM events e LEFT JOIN denials d ON d.event_id = e.event_id
WHERE e.principal_arn IS NOT NULL
  AND ($since IS NULL OR e.event_time >= $since) AND ($until IS NULL OR e.event_time < $until)
GROUP BY e.principal_arn
ORDER BY denials DESC, calls DESC, e.principal_arn
"""

KEYS_SQL = """
SELECT e.access_key_id, any_value(e.principal_arn) AS principal_arn,
       count(DISTINCT e.principal_arn) AS principals, count(*) AS calls,
       count(d.event_id) AS denials, min(e.event_time) AS first_seen,
       max(e.event_time) AS last_seen,
       string_agg(DISTINCT e.source_ip, ', ' ORDER BY e.source_ip) AS source_ips
FROM events e LEFT JOIN denials d ON d.event_id = e.event_id
WHERE e.access_key_id IS NOT NULL
  AND ($principal IS NULL OR e.principal_arn = $principal)
  AND ($since IS NULL OR e.event_time >= $since) AND ($until IS NULL OR e.event_time < $until)
GROUP BY e.access_key_id
ORDER BY denials DESC, calls DESC, e.access_key_id
"""

SESSIONS_SQL = """
SELECT e.principal_arn AS session, e.session_issuer_arn AS role, count(*) AS calls,
       count(d.event_id) AS denials, min(e.event_time) AS first_seen,
       max(e.event_time) AS last_seen
FROM events e LEFT JOIN denials d ON d.event_id = e.event_id
WHERE e.session_issuer_arn IS NOT NULL
  AND ($principal IS NULL OR e.principal_arn = $principal OR e.session_issuer_arn = $principal)
  AND ($since IS NULL OR e.event_time >= $since) AND ($until IS NULL OR e.event_time < $until)
GROUP BY e.principal_arn, e.session_issuer_arn
ORDER BY denials DESC, calls DESC, session
"""


def _window(inv: Any) -> dict[str, Any]:
    scope = inv.scope()
    return {"principal": scope.principal, "since": scope.since, "until": scope.until}


def principals(inv: Any) -> pd.DataFrame:
    """Return every principal that called in the investigation's window, most denied first."""
    params = _window(inv)
    del params["principal"]
    return inv.ws.sql(PRINCIPALS_SQL, params)


def access_keys(inv: Any) -> pd.DataFrame:
    """Return the access keys used in the window (shortened), with their kind and callers.

    ``kind`` is from the key id's prefix (AWS's documented unique-id prefixes):
    ``AKIA`` a long-term user key, ``ASIA`` temporary STS credentials. One key
    used by several principals, or a long-term key where a role was expected,
    is a credential-source trap worth a second look.
    """
    from iamlab.aws.redact import redact_key

    keys = inv.ws.sql(KEYS_SQL, _window(inv))
    kinds = {"AKIA": "long-term (user)", "ASIA": "temporary (STS)"}
    keys.insert(1, "kind", keys["access_key_id"].str[:4].map(kinds).fillna("other"))
    keys["access_key_id"] = keys["access_key_id"].map(redact_key)
    return keys


def sessions(inv: Any) -> pd.DataFrame:
    """Return the role sessions in the window: session ARN, its role, calls and denials."""
    return inv.ws.sql(SESSIONS_SQL, _window(inv))


# --- steps 2 and 3: denials and what to fix ------------------------------------------------------

TABLE_COLUMNS = ("event_time", "who", "action", "cause", "error_code", "error_message",
                 "user_agent", "source_ip", "event_id")  # fmt: skip


def denial_table(inv: Any, limit: int = 200) -> Html:
    """Return the denials in the controls' scope as an HTML table, newest first, text escaped.

    Every cell goes through ``html_text``: user agents, messages and ARNs are
    written by whoever made the request.
    """
    frame = inv.view().frame.sort_values("event_time", ascending=False)
    head = "".join(f"<th>{c}</th>" for c in TABLE_COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html_text(_cell(row[c]))}</td>" for c in TABLE_COLUMNS) + "</tr>"
        for _, row in frame.head(limit).iterrows()
    )
    more = f"<p>{len(frame) - limit} more not shown.</p>" if len(frame) > limit else ""
    return Html(
        f'<p>{len(frame)} denials in scope.</p><table class="iamlab-denials">'
        f"<tr>{head}</tr>{rows}</table>{more}"
    )


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


def what_to_fix(inv: Any, cause: str, limit: int = 3) -> Html:
    """Return the denials of ``cause`` in scope, one panel per principal and action:
    the message, the diagnosis with the deciding statement quoted, and the proven fix.

    Without stored diagnoses each panel says how to get them (``iamlab diagnose``).
    """
    from iamlab.face.detail import deciding_statement, finding_html, loads
    from iamlab.face.query import diagnoses

    frame = inv.view(inv.scope().but(causes=(cause,))).frame
    if frame.empty:
        return Html(f"<p>No <code>{html_text(cause)}</code> denials in scope.</p>")
    firsts = frame.drop_duplicates(["who", "action"]).head(limit)
    found = diagnoses(inv.ws, list(firsts["event_id"])).set_index("event_id")
    panels = []
    for _, row in firsts.iterrows():
        diagnosis = found.loc[row["event_id"]].to_dict() if row["event_id"] in found.index else None
        if diagnosis is not None:
            diagnosis["event_id"] = row["event_id"]
        statement = (
            deciding_statement(inv.snapshot, loads(diagnosis.get("deciding")))
            if diagnosis
            else None
        )
        panels.append(finding_html(row.to_dict(), diagnosis, statement))
    groups = frame.groupby(["who", "action"], dropna=False).ngroups
    more = f"<p>{groups - len(firsts)} more principal/action pairs.</p>" if groups > limit else ""
    return Html(
        f"<p>{len(frame)} <code>{html_text(cause)}</code> denials in scope.</p>"
        + "\n".join(panels)
        + more
    )


def fixes(inv: Any, limit: int = 3) -> Html:
    """Return ``what_to_fix`` for every cause that has denials in scope, commonest first."""
    causes = inv.view().frame["cause"].value_counts()
    if causes.empty:
        return Html("<p>No denials in scope.</p>")
    return Html(
        "\n".join(
            f"<h3>{html_text(cause)}</h3>" + what_to_fix(inv, cause, limit).text
            for cause in causes.index
        )
    )


def export_report(inv: Any, out: str | Path, mask: bool = False) -> Html:
    """Write the HTML report of the controls' scope to ``out``; return a line linking to it.

    The report embeds plotly.js and opens with no network (``iamlab.face.report``).
    """
    from iamlab.face import write_report

    scope = inv.scope()
    path = write_report(
        inv.ws,
        out,
        snapshot=inv.snapshot,
        principal=scope.principal,
        since=scope.since,
        until=scope.until,
        causes=scope.causes,
        accounts=scope.accounts,
        regions=scope.regions,
        mask=mask,
    )
    return Html(
        f'<p>Report written to <a href="{html_text(path.as_posix())}" '
        f'target="_blank">{html_text(path)}</a> ({path.stat().st_size:,} bytes).</p>'
    )


# --- is the evidence complete? (notebook 02) -----------------------------------------------------


@dataclass(frozen=True)
class EvidenceCoverage:
    """Where the evidence is dark (``coverage``), as the table of gaps and the account x day
    heatmap that one cell shows, the table first."""

    coverage: Any  # iamlab.prevent.Coverage
    table: Html
    heatmap: Any  # plotly Figure

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.table, self.heatmap)


def evidence_coverage(inv: Any) -> EvidenceCoverage:
    """Return the coverage of the controls' window, as ``iamlab coverage`` reports it.

    Dark accounts (known only with the investigation's snapshot), dark (account,
    Region) pairs, silent stretches, denials without their issuing AssumeRole and
    trail problems, text escaped (``iamlab.face.report.coverage_html``); the heatmap
    counts events per account and day, a row of red cells an account without any.
    """
    from iamlab.face.charts import coverage_heatmap
    from iamlab.face.report import coverage_html, evidence

    scope = inv.scope()
    cov, matrix = evidence(inv.ws, inv.snapshot, scope.since, scope.until)
    table = Html(coverage_html(cov, snapshot=inv.snapshot is not None))
    return EvidenceCoverage(cov, table, coverage_heatmap(matrix))


# --- the search where the trail lives (notebook 02) ----------------------------------------------

# What a plan is written for when the notebook names no Athena table: the README's example
# names (``iamlab athena setup`` creates ``cloudtrail_logs``) and Athena's default workgroup.
EXAMPLE_DATABASE = "trail"
EXAMPLE_TABLE = "cloudtrail_logs"
EXAMPLE_WORKGROUP = "primary"  # from memory: every account's Athena has a workgroup "primary"
# An assumed size of one account-Region-day of trail (the README's dry-run example), for an
# estimate without credentials; pass the real typical size (or measure: iamlab athena denials).
ASSUMED_PARTITION_BYTES = 500_000_000

WINDOW_SQL = """
SELECT min(event_time) AS first, max(event_time) AS last,
       list(DISTINCT recipient_account_id ORDER BY recipient_account_id)
           FILTER (WHERE recipient_account_id IS NOT NULL) AS accounts,
       list(DISTINCT aws_region ORDER BY aws_region)
           FILTER (WHERE aws_region IS NOT NULL) AS regions
FROM events
WHERE ($since IS NULL OR event_time >= $since) AND ($until IS NULL OR event_time < $until)
"""


@dataclass(frozen=True)
class AthenaPlan:
    """A dry run of the Athena denial search: its Trino SQL, partitions, scan estimate, and
    how many rows its DuckDB twin returns on this workspace. Nothing was sent to AWS."""

    source: str  # athena://<workgroup>/<database.table>
    sql: str  # what Athena would run (Trino)
    partitions: list[tuple[str, str, str]]  # account, Region, yyyy/MM/dd
    estimate_bytes: int
    estimate_cost: float  # dollars at Athena's published price
    how: str  # how the estimate was made
    twin_rows: int  # rows of the DuckDB twin of the same query over this workspace
    twin_sql: str

    def _repr_html_(self) -> str:
        days = sorted({d for _, _, d in self.partitions})
        span = f"{days[0]} to {days[-1]}" if days else "none"
        sql = "\n".join(html_text(line) for line in self.sql.split("\n"))  # keeps line breaks
        return (
            f'<div class="iamlab-athena-plan"><p>Dry run for <code>{html_text(self.source)}'
            f"</code>: nothing was sent to AWS.</p><ul>"
            f"<li>partitions touched: {len(self.partitions):,} (days {html_text(span)})</li>"
            f"<li>estimated scan: {self.estimate_bytes:,} bytes, about "
            f"${self.estimate_cost:.2f} ({html_text(self.how)})</li>"
            f"<li>the DuckDB twin of this query returns {self.twin_rows:,} denials "
            f"on this workspace</li></ul>"
            f"<details><summary>The SQL Athena would run (Trino)</summary>"
            f"<pre>{sql}</pre></details></div>"
        )


def athena_plan(
    inv: Any,
    database: str | None = None,
    table: str = EXAMPLE_TABLE,
    workgroup: str | None = None,
    accounts: Any = None,
    regions: Any = None,
    since: Any = None,
    until: Any = None,
    partition_bytes: int | None = None,
) -> AthenaPlan:
    """Return the dry run of pushing the controls' denial search to Athena, with no credentials.

    Unset values come from the investigation: its window (else the workspace's
    first event to the day after its last), its principal, and its accounts and
    Regions (else those in the workspace's events). ``database`` None writes the
    plan for ``trail.cloudtrail_logs``; ``partition_bytes`` None assumes
    ``ASSUMED_PARTITION_BYTES`` per account-Region-day. Raises InputError for a
    bad value or a workspace with no events in the window. To run it, drop the
    dry run: ``Workspace.load_from_athena`` or ``iamlab athena denials``.
    """
    from datetime import timedelta

    from iamlab.aws.athena import price
    from iamlab.denials.pushdown import denial_query, twin_table
    from iamlab.times import parse_time

    sc = inv.scope()
    since = parse_time(since, "since") if since is not None else sc.since
    until = parse_time(until, "until") if until is not None else sc.until
    found = inv.ws.sql(WINDOW_SQL, {"since": since, "until": until}).iloc[0]
    if pd.isna(found["first"]):
        raise InputError(
            "No events in the window to plan an Athena search from; widen since/until "
            "or pass since, until, accounts and regions"
        )
    since = since if since is not None else found["first"].to_pydatetime()
    if until is None:
        last = found["last"].to_pydatetime()
        until = last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    accounts = list(accounts or sc.accounts or found["accounts"])
    regions = list(regions or sc.regions or found["regions"])
    if not accounts or not regions:  # else the plan would ask Glue for them, with credentials
        raise InputError(
            "No account or Region in the window's events to plan partitions for; "
            "pass accounts=[...] and regions=[...]"
        )
    principals = [sc.principal] if sc.principal else []
    search, _ = inv.ws.load_from_athena(
        database or EXAMPLE_DATABASE, table, workgroup or EXAMPLE_WORKGROUP, since, until,
        accounts, regions, principals, dry_run=True,
        partition_bytes=ASSUMED_PARTITION_BYTES if partition_bytes is None else partition_bytes,
    )  # fmt: skip
    planned = search.queries[0]
    how = planned.estimate.how
    if partition_bytes is None:
        how += "; an assumed size: pass partition_bytes, your trail's typical account-Region-day"
    twin = denial_query("duckdb", "cloudtrail_twin", search.scope)
    with inv.ws.connect() as con:
        twin_table(con)
        rows = con.execute(f"SELECT count(*) FROM ({twin.duckdb})").fetchone()[0]

    return AthenaPlan(
        search.source, planned.sql, planned.pushdown.partitions, planned.estimate.bytes,
        price(planned.estimate.bytes), how, int(rows), twin.duckdb,
    )  # fmt: skip


# --- the training lab (notebook 05) --------------------------------------------------------------

# Question id -> (scenario id in labels.json, what is asked). The question text
# names the scenario by its title; the answer is read from the labels only when
# an answer is checked.
LAB_QUESTIONS: dict[str, tuple[str, str]] = {
    "q1": ("missing-action-lambda-config", "cause"),
    "q2": ("resource-arn-s3-payroll", "cause"),
    "q3": ("org-policy-scp-region", "policy_name"),
    "q4": ("permissions-boundary-secrets", "cause"),
    "q5": ("undetailed-s3-partner", "cause"),
    "q6": ("vpc-endpoint-secrets", "cause"),
}
_ASKS = {
    "cause": "Which root cause (one of: {causes}) explains: {title}?",
    "policy_name": "Which policy (its name) decided: {title}?",
}
_HINTS = {
    "cause": "Filter the trail to {who} and read the error message of a {action} denial; "
    "then see what the replay says in notebook 03.",
    "policy_name": "The message of a {action} denial names the policy type; the diagnosis "
    "(or the snapshot) names the policy.",
}


def _has_labels() -> bool:
    from iamlab.sample import default_dir

    return (default_dir() / "labels.json").is_file()


def _labels(path: str | Path | None) -> dict[str, Any]:
    from iamlab.sample import default_dir

    file = Path(path) if path else default_dir() / "labels.json"
    try:
        return json.loads(file.read_text("utf-8"))
    except OSError as exc:
        raise InputError(
            f"No answer key at {str(file)!r} ({exc.strerror}); the lab needs "
            "the sample's labels.json (iamlab sample DIR writes one)"
        ) from exc
    except ValueError as exc:
        raise InputError(f"{str(file)!r} is not JSON: {exc}") from exc


def _scenario(qid: str, labels: str | Path | None) -> tuple[dict[str, Any], str]:
    if qid not in LAB_QUESTIONS:
        raise InputError(f"No question {qid!r}; the lab asks {', '.join(LAB_QUESTIONS)}")
    wanted, asks = LAB_QUESTIONS[qid]
    for scenario in _labels(labels)["scenarios"]:
        if scenario["id"] == wanted:
            return scenario, asks
    raise InputError(f"The answer key has no scenario {wanted!r} (question {qid})")


def questions(labels: str | Path | None = None) -> pd.DataFrame:
    """Return the lab's questions (id and text), without their answers."""
    from iamlab.denials.grammar import CAUSES

    rows = []
    for qid in LAB_QUESTIONS:
        scenario, asks = _scenario(qid, labels)
        text = _ASKS[asks].format(causes=", ".join(CAUSES), title=scenario["title"])
        rows.append({"question": qid, "ask": text})
    return pd.DataFrame(rows)


def _expected(scenario: dict[str, Any], asks: str) -> str:
    if asks == "policy_name":
        return str(scenario["decisive"]["policy_name"])
    return str(scenario.get("diagnosed_cause") or scenario["cause"])  # undetailed: the real one


@dataclass(frozen=True)
class Checked:
    """One checked answer: the question, what was answered, right or not, and a hint."""

    question: str
    answer: str | None
    correct: bool
    hint: str

    def _repr_html_(self) -> str:
        if self.answer is None:
            verdict = "not answered yet"
        else:
            verdict = "correct" if self.correct else "not this one"
        tip = "" if self.correct else f"<br>hint: {html_text(self.hint)}"
        return (
            f'<p class="iamlab-check" data-question="{html_text(self.question)}" '
            f'data-correct="{str(self.correct).lower()}"><b>{html_text(self.question)}</b>: '
            f"{html_text(self.answer)} &rarr; {verdict}{tip}</p>"
        )


def hint(qid: str, labels: str | Path | None = None) -> str:
    """Return a hint for question ``qid`` that points at where to look, not at the answer."""
    scenario, asks = _scenario(qid, labels)
    from iamlab.face.charts import short_name

    return _HINTS[asks].format(
        who=short_name(scenario.get("principal")), action=scenario.get("action")
    )


def check(qid: str, answer: str | None, labels: str | Path | None = None) -> Checked:
    """Return whether ``answer`` answers question ``qid`` (case and spaces ignored).

    The answer key is the sample's ``labels.json`` (or ``labels``), read here,
    so a notebook never holds it. Raises InputError for an unknown question.
    """
    scenario, asks = _scenario(qid, labels)
    given = None if answer is None else str(answer)
    right = given is not None and given.strip().lower() == _expected(scenario, asks).lower()
    return Checked(qid, given, right, hint(qid, labels))
