"""Packaging facts a fresh machine depends on: one version, conda and pip alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import iamlab

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest's own dependency
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
# conda-forge spells a few packages differently; moto's server extra is its flask parts
CONDA_NAME = {"duckdb": "python-duckdb", "moto[server]": "moto"}


def _requirements() -> list[str]:
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    return [*project["dependencies"], *extras["notebooks"], *extras["test"]]


def _conda() -> dict[str, str]:
    text = (REPO / "environment.yml").read_text("utf-8")
    pins = re.findall(r"^\s+- ([A-Za-z0-9_.\-]+)(\S*)", text, flags=re.M)
    return {name: spec for name, spec in pins}


def test_the_version_has_one_source():
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "iamlab.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", iamlab.__version__)


@pytest.mark.parametrize("requirement", _requirements())
def test_environment_yml_lists_each_dependency_with_the_same_lower_bound(requirement):
    name, bound = re.match(r"([A-Za-z0-9_.\-\[\]]+)(.*)", requirement).groups()
    conda = _conda()
    conda_name = CONDA_NAME.get(name, name)
    assert conda_name in conda, f"{name} is in pyproject.toml but not in environment.yml"
    assert conda[conda_name] == bound.strip(), (name, bound, conda[conda_name])
    if name == "moto[server]":
        assert {"flask", "flask-cors"} <= set(conda)
