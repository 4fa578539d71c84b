"""Every data case under tests/cases/**/*.json, evaluated by the engine, one test id per case.

The cases are written from AWS's documentation (aws-facts.md sections 4 and 5),
independently of the engine; a failure prints the engine's full explanation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamlab.policy.cases import run_case

CASES_DIR = Path(__file__).parent / "cases"


def _cases() -> list[pytest.param]:
    params = []
    files = sorted(CASES_DIR.rglob("*.json"))
    assert len(files) > 20, f"no case files under {CASES_DIR}"
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else [data]
        for i, case in enumerate(items):
            if not isinstance(case, dict) or "request" not in case:
                continue  # e.g. rules.json, the index of documented rules
            rel = f.relative_to(CASES_DIR).as_posix()
            params.append(
                pytest.param(f"{rel}#{i}", case, id=f"{rel}#{i}:{case.get('name', '')[:80]}")
            )
    return params


CASES = _cases()


def test_there_are_cases() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize(("where", "case"), CASES)
def test_case(where: str, case: dict) -> None:
    result = run_case(case, where)
    assert result.passed, "\n".join(result.problems) + "\n\n" + result.explanation
