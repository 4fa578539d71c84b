"""CloudTrail evidence into the workspace's ``events`` table, losing nothing.

One module per job: ``discover`` (what files a source names, pruned by the S3
layout in ``layout``), ``s3`` (listing, parallel download, ETag cache),
``engine`` (bundles and one INSERT into DuckDB; ``sql`` holds its queries, ``schema.sql`` the
tables), ``decode`` and ``lake`` (the careful Python path for every other
shape), ``report`` (the reconciled ``LoadReport``), ``progress`` (tqdm).
The entry point is ``iamlab.workspace.Workspace.load``.
"""

from iamlab.trail.report import LoadReport, SourceCounts

__all__ = ["LoadReport", "SourceCounts"]
