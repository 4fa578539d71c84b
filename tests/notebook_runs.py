"""Run the guided notebooks headless (papermill, kernel ``python3``) for the notebook tests.

Kernels see this checkout's iamlab first and no AWS credentials, config or
instance metadata of the machine, so step 1 answers from the evidence.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import iamlab
from iamlab.notebook import NOTEBOOKS

REPO = Path(iamlab.__file__).resolve().parents[1]
CELL_TIMEOUT = 120  # seconds per cell; a cell that stalls fails instead of hanging the suite
AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI")  # fmt: skip


def kernel_env(tmp: Path) -> dict[str, str]:
    """Return the environment a test kernel starts with: this checkout, no AWS identity."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env["AWS_CONFIG_FILE"] = str(tmp / "no-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp / "no-aws-credentials")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


def run_notebook(name: str, folder: Path, parameters: dict[str, Any]) -> dict:
    """Execute notebook ``name`` in ``folder`` with ``parameters``; return it as JSON."""
    import papermill
    import pytest

    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.ipynb"
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(kernel_env(folder))  # papermill's kernel inherits this process's env
    try:
        papermill.execute_notebook(
            str(NOTEBOOKS / f"{name}.ipynb"), str(out), parameters=parameters,
            kernel_name="python3", cwd=str(folder), execution_timeout=CELL_TIMEOUT,
            progress_bar=False, log_output=False,
        )  # fmt: skip
    except papermill.PapermillExecutionError as exc:
        pytest.fail(f"{name} failed in cell {exc.cell_index}: {exc.ename}: {exc.evalue}")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return json.loads(out.read_text("utf-8"))


def code_cells(nb: dict) -> list[dict]:
    """The code cells of an executed notebook (papermill's injected parameters included)."""
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def outputs_of(nb: dict, source: str) -> list[dict]:
    """The outputs of the one code cell whose source is ``source`` (stripped)."""
    found = [c for c in code_cells(nb) if "".join(c["source"]).strip() == source]
    assert len(found) == 1, f"{len(found)} cells read {source!r}"
    return found[0]["outputs"]


def figure(nb: dict, source: str) -> dict:
    """The plotly figure (its JSON) that the cell ``source`` displayed."""
    for out in outputs_of(nb, source):
        data = out.get("data", {})
        if "application/vnd.plotly.v1+json" in data:
            assert "text/html" in data, "no HTML copy: nbconvert would drop the figure"
            return data["application/vnd.plotly.v1+json"]
    raise AssertionError(f"{source!r} displayed no plotly figure")


def html(nb: dict, source: str) -> str:
    """The HTML the cell ``source`` displayed."""
    return "".join(
        "".join(out.get("data", {}).get("text/html", "")) for out in outputs_of(nb, source)
    )


def totals(fig: dict) -> dict[str, float]:
    """Sum of each named trace's values (bars: y, or x when horizontal)."""
    sums: dict[str, float] = {}
    for trace in fig["data"]:
        values = trace.get("x") if trace.get("orientation") == "h" else trace.get("y")
        if isinstance(values, dict):  # plotly 6+ may send typed arrays: count their items
            raise AssertionError(f"trace {trace.get('name')} holds a typed array: {values}")
        sums[trace.get("name")] = sums.get(trace.get("name"), 0) + sum(
            v for v in values or [] if isinstance(v, (int, float))
        )
    return sums
