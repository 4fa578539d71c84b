"""iamlab lab: the lab folder (workspace + notebook copies) and JupyterLab serving notebook 00."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from conftest import SAMPLE_DATA

from iamlab.cli import main
from iamlab.errors import InputError
from iamlab.lab import copy_notebooks, prepare, serve
from iamlab.notebook import NAMES, NOTEBOOKS
from iamlab.workspace import Workspace


@pytest.fixture
def own_workspace(tmp_path):
    path = tmp_path / "cases" / "incident-42"
    with Workspace(path) as ws:
        ws.load(SAMPLE_DATA / "lake", progress=False)
    return path


def parameters_of(path) -> str:
    nb = json.loads(path.read_text("utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    return "".join(cell["source"])


def test_a_given_workspace_gets_the_notebooks_next_to_it_pointing_at_it(own_workspace):
    before = {p: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}
    root, ws = prepare(own_workspace, progress=False)
    assert root == own_workspace.resolve().parent and ws == own_workspace
    assert sorted(p.stem for p in root.glob("*.ipynb")) == sorted(NAMES)
    assert 'workspace = "incident-42"  # workspace folder' in parameters_of(
        root / "00-start-here.ipynb"
    )
    assert {p: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")} == before  # package untouched


def test_an_analysts_edited_copy_is_never_overwritten(tmp_path):
    (tmp_path / "00-start-here.ipynb").write_text("mine", "utf-8")
    written = copy_notebooks(tmp_path, tmp_path / "ws")
    assert (tmp_path / "00-start-here.ipynb").read_text("utf-8") == "mine"
    assert len(written) == len(NAMES) - 1


def test_a_folder_that_is_no_workspace_is_refused_naming_it(tmp_path, capsys):
    with pytest.raises(InputError, match="No workspace at .*nothing-here"):
        prepare(tmp_path / "nothing-here")
    assert main(["lab", str(tmp_path / "nothing-here"), "--no-browser"]) == 2
    assert "nothing-here" in capsys.readouterr().err


def test_jupyterlab_serves_notebook_00_on_loopback_with_its_token(
    own_workspace, tmp_path, monkeypatch
):
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    root, _ = prepare(own_workspace, progress=False)
    with serve(root) as server:
        assert server.url.startswith(f"http://127.0.0.1:{server.port}/lab/tree/00-start-here")
        assert server.serves_first_notebook()
        api = f"http://127.0.0.1:{server.port}/api/contents/00-start-here.ipynb"
        with pytest.raises(urllib.error.HTTPError) as refused:  # no token, no notebook
            urllib.request.urlopen(api, timeout=5)
        assert refused.value.code == 403
        process = server.process
    assert process.poll() is not None  # stopped when the block ended
