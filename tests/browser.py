"""Debian's Chromium for the browser tests: where it is, how it starts, and JupyterLab's Run All.

``playwright install`` cannot download a browser here, so the tests launch the
system's ``/usr/bin/chromium``. CI (``CI`` set) installs it in ``.ci/run``, so
there its absence fails instead of skipping.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def need_chromium() -> Any:
    """Return ``playwright.sync_api``, or skip (fail in CI) when Chromium is missing."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + ": .ci/run installs it, so CI must have it")
        pytest.skip(message)
    return pytest.importorskip("playwright.sync_api")


def launch(playwright: Any) -> Any:
    """Start the system's Chromium headless, with no background traffic."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def run_all_in_lab(page: Any, url: str) -> None:
    """Open ``url`` in JupyterLab (loopback only), pick the kernel if asked, and Run All Cells."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith("http://127.0.0.1") else r.abort(),
    )
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    kernel = page.get_by_role("button", name="Select", exact=True)  # "Select Kernel"
    with contextlib.suppress(PlaywrightTimeout):
        kernel.click(timeout=15_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_text("Run All Cells", exact=True).click()
