"""Hostile event text in the notebooks: shown literally, inert, in JupyterLab and exported HTML.

The sample's hostile events (``hostile_event_ids`` in its labels) carry
``<script>alert(1)</script>``, ``"><img src=x onerror=alert(1)>`` and
``</td><td onmouseover=alert('ua')>`` in user agents, request parameters and
error messages. Notebook 02 shows the messages and user agents (the denial
table, the explorer, the timeline's hover); the S3 keys of the request
parameters appear inside the messages. Needs Debian's chromium and Playwright's Python package;
network: loopback and file:// only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import launch, need_chromium, run_all_in_lab
from conftest import SAMPLE_DATA
from notebook_runs import run_notebook

from iamlab.escape import printable
from iamlab.lab import FIRST, prepare, serve
from iamlab.workspace import Workspace

HOSTILE_IDS = json.loads((SAMPLE_DATA / "labels.json").read_text("utf-8"))["hostile_event_ids"]
NOTEBOOK = "02-find-the-denial"
CANARY = "arn:aws:sts::905173628441:assumed-role/redteam-probe/xss-canary"
# markup that would exist, or text that would be there, had any payload been parsed as HTML
INJECTED = "img[src='x'], [onerror], [onmouseover]"
# Record alert() without a dialog too, in case a page replaces the dialog handler's path.
NBCONVERT_ASSETS = ("https://cdnjs.cloudflare.com/ajax/libs/require.js/",
                    "https://cdnjs.cloudflare.com/ajax/libs/mathjax/",
                    "https://unpkg.com/@jupyter-widgets/html-manager@")  # fmt: skip
TRAP = "window.__ran = []; window.alert = (m) => window.__ran.push(String(m));"


def hostile_denials(workspace: Path) -> list[dict]:
    """The sample's hostile denials (message and user agent) as the workspace holds them."""
    with Workspace(workspace, read_only=True) as ws:
        frame = ws.sql(
            "SELECT d.event_id, d.error_message, e.user_agent FROM denials d "
            "JOIN events e USING (event_id) WHERE list_contains($ids, d.event_id)",
            {"ids": HOSTILE_IDS},
        )
    rows = frame.to_dict("records")
    assert len(rows) == 2 and all("<" in r["error_message"] + r["user_agent"] for r in rows)
    return rows


def shown_literally(rows: list[dict]) -> list[str]:
    """What a person must read: each message and user agent, control characters made visible."""
    return [printable(r[k]) for r in rows for k in ("error_message", "user_agent")]


def trapped_page(browser, width: int) -> tuple:
    """A new page where ``alert`` only records and dialogs are recorded and dismissed."""
    page = browser.new_page(viewport={"width": width, "height": 1800})
    page.add_init_script(TRAP)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return page, dialogs


def assert_nothing_ran(page, dialogs: list[str]) -> None:
    assert dialogs == []
    assert page.evaluate("window.__ran") == []
    assert page.locator(INJECTED).count() == 0
    scripts = page.evaluate("[...document.scripts].map(s => s.textContent)")
    assert [s for s in scripts if "<script>alert" in s or "<img src=x" in s] == []


# --- JupyterLab ---------------------------------------------------------------------------------


@pytest.fixture
def lab(tmp_path, monkeypatch):
    need_chromium()
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    root, workspace = prepare(None, root=tmp_path / "iamlab-lab", progress=False)
    rows = hostile_denials(workspace)  # read before the kernel opens the workspace
    with serve(root) as server:
        yield server, rows, tmp_path


def test_hostile_text_in_notebook_02_shows_literally_in_jupyterlab_and_runs_nothing(lab):
    sync_api = need_chromium()
    server, rows, tmp = lab
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page, dialogs = trapped_page(browser, 1400)
        run_all_in_lab(page, server.url.replace(FIRST, f"{NOTEBOOK}.ipynb"))
        try:
            # nb.denial_table's table and the explorer's, then the explorer's denial picker
            page.wait_for_function(
                "document.querySelectorAll('table.iamlab-denials').length >= 1"
                " && document.querySelectorAll('.widget-select select').length >= 2",
                timeout=180_000,
            )
        finally:
            page.screenshot(path=str(tmp / "02-after-run-all.png"), full_page=True)
        table = page.locator("table.iamlab-denials").first.inner_text()
        for text in shown_literally(rows):
            assert text in table, f"{text!r} is not shown as text in the denial table"
        assert "<script>alert(1)</script>" in table and "\\n<script>alert('x')</script>" in table

        # the explorer's panel is an ipywidgets HTML widget: its value becomes innerHTML
        picker = page.locator(".widget-select select").last
        canary = [o for o in picker.locator("option").all_text_contents() if "xss-canary" in o]
        assert len(canary) == 2
        # every cell has run (the kernel is idle), and the picker is on screen: JupyterLab
        # renders only the cells near the viewport
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=180_000
        )
        picker.scroll_into_view_if_needed()
        picker.select_option(label=canary[0])
        # the explorer's detail panel (an HTML widget), wherever its cell sits in the notebook
        panel = ".widget-html-content"
        page.wait_for_function(
            f"() => Array.from(document.querySelectorAll('{panel}'))"
            ".some(e => e.innerText.includes('larkspur-security-findings'))",
            timeout=30_000,
        )
        detail = "\n".join(page.locator(panel).all_inner_texts())
        assert any(printable(r["error_message"]) in detail for r in rows)
        page.screenshot(path=str(tmp / "02-explorer-canary.png"), full_page=True)
        assert_nothing_ran(page, dialogs)
        browser.close()


# --- an executed notebook exported by nbconvert ---------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Notebook 02 run on the sample (principal: the canary) and exported to one HTML file."""
    nbconvert = pytest.importorskip("nbconvert")
    folder = tmp_path_factory.mktemp("export")
    run_notebook(NOTEBOOK, folder / "run", {"principal": CANARY})
    body, _ = nbconvert.HTMLExporter().from_filename(str(folder / "run" / f"{NOTEBOOK}.ipynb"))
    out = folder / f"{NOTEBOOK}.html"
    out.write_text(body, "utf-8")
    return out, hostile_denials(folder / "run" / "workspace")


@pytest.fixture(scope="module")
def browser():
    sync_api = need_chromium()
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def test_an_exported_notebook_02_draws_its_charts_offline_and_shows_hostile_text_inert(
    exported, browser
):
    path, rows = exported
    page, dialogs = trapped_page(browser, 1300)
    requests: list[str] = []

    def route(r):
        requests.append(r.request.url)
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    page.screenshot(path=str(path.with_suffix(".png")), full_page=True)
    plots = page.locator(".js-plotly-plot")
    assert plots.count() >= 2  # who is denied most, the canary's timeline
    assert plots.first.locator("g.trace.bars path").count() > 0
    assert any("xss-canary" in t for t in plots.first.locator("g.ytick").all_text_contents())
    heatmap = plots.filter(has=page.locator("g.hm"))  # evidence coverage, account x day
    heatmap.locator("g.hm image").wait_for(timeout=30_000)
    assert heatmap.count() == 1
    assert "583016249871" in heatmap.locator("g.ytick").all_text_contents()

    text = page.inner_text("body")
    for shown in shown_literally(rows):
        assert shown in text, f"{shown!r} is not shown as text in the exported page"
    assert_nothing_ran(page, dialogs)
    # Every request but the page was refused; what was asked for is nbconvert's own template
    # (require.js, MathJax, the widget manager), never plotly.js nor anything from event text.
    remote = [u for u in requests if not u.startswith("file://")]
    assert [u for u in remote if not u.startswith(NBCONVERT_ASSETS)] == []
    assert [u for u in requests if "alert" in u or u.endswith("/x")] == []
    assert [u for u in requests if u.startswith("file://")] == [path.as_uri()]
    page.close()


def test_the_exported_timeline_hover_shows_a_hostile_user_agent_and_message_as_text(
    exported, browser
):
    path, _ = exported
    page, dialogs = trapped_page(browser, 1300)
    page.route("**/*", lambda r: r.continue_() if r.request.url == path.as_uri() else r.abort())
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    # the canary's PutParameter call: its user agent and error message carry the payloads
    found = page.evaluate(
        """() => { for (const gd of document.querySelectorAll('.js-plotly-plot'))
              for (const [c, t] of gd.data.entries())
                for (const [i, h] of (t.hovertext || []).entries())
                  if (String(h).includes('PutParameter')) {
                    Plotly.Fx.hover(gd, [{curveNumber: c, pointNumber: i}]);
                    return gd.querySelector('.hoverlayer').textContent; }
              return null; }"""
    )
    assert found is not None, "no PutParameter point in the exported timeline"
    assert 'user agent: "><img src=x onerror=alert(1)> aws-cli/2.24.18' in found
    assert "Value '<script>alert(1)</script>' at 'name'" in found
    assert "&quot;" not in found and "&#" not in found  # characters, not entities, are shown
    assert_nothing_ran(page, dialogs)
    page.close()
