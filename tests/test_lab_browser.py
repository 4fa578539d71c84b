"""JupyterLab in a real browser: notebook 00 runs, draws the cause chart, and follows the picker.

Runs by default in the suite. It needs Debian's chromium (`apt-get install -y chromium`);
Playwright's Python package drives it (no `playwright install`). Network: loopback only.
"""

from __future__ import annotations

import pytest
from browser import launch, need_chromium, run_all_in_lab

from iamlab.lab import prepare, serve


@pytest.fixture
def lab(tmp_path, monkeypatch):
    need_chromium()
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    root, _ = prepare(None, root=tmp_path / "iamlab-lab", progress=False)
    with serve(root) as server:
        yield server, tmp_path


def test_notebook_00_draws_the_cause_chart_and_redraws_it_for_a_picked_principal(lab):
    sync_api = need_chromium()
    server, tmp = lab
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        run_all_in_lab(page, server.url)
        try:
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=120_000
            )
        finally:
            page.screenshot(path=str(tmp / "after-run-all.png"), full_page=True)
        page.wait_for_selector(".widget-select select", timeout=60_000)
        bound = page.locator(".js-plotly-plot").last
        bound.locator("g.trace.bars path").first.wait_for(timeout=30_000)
        before = bound.locator(".legendtext").all_text_contents()
        bars_before = bound.locator("g.trace.bars path").count()
        assert "org-policy" in before and bars_before > 10
        page.screenshot(path=str(tmp / "notebook-00.png"), full_page=True)

        picker = page.locator(".widget-select select").first
        tom = [o for o in picker.locator("option").all_text_contents() if "tom.reyes" in o][0]
        picker.select_option(label=tom)
        page.wait_for_function(
            """(n) => { const plots = document.querySelectorAll('.js-plotly-plot');
                const last = plots[plots.length - 1];
                return last && last.querySelectorAll('g.trace.bars path').length !== n; }""",
            arg=bars_before,
            timeout=30_000,
        )
        after = page.locator(".js-plotly-plot").last.locator(".legendtext").all_text_contents()
        assert after != before and "org-policy" not in after and "missing-action" in after
        page.screenshot(path=str(tmp / "notebook-00-tom.png"), full_page=True)
        assert dialogs == []
        browser.close()
