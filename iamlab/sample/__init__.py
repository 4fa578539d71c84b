"""The bundled sample investigation: a small AWS organization and its evidence.

``generate(out_dir)`` writes a seeded, deterministic sample (IAM snapshot,
CloudTrail in S3 export layout, lookup-events and Lake outputs, labels);
``check(dir)`` validates a sample folder and returns its scenario summary.
"""

from __future__ import annotations

from pathlib import Path

from iamlab.sample.checks import check
from iamlab.sample.write.generate import DEFAULT_SEED, generate

__all__ = ["DEFAULT_SEED", "check", "default_dir", "generate"]


def default_dir() -> Path:
    """The repository's ``sample_data/`` (source checkout), else ``./sample_data``."""
    repo = Path(__file__).resolve().parents[2] / "sample_data"
    return repo if (repo / "labels.json").is_file() else Path("sample_data")
