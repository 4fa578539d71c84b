"""CloudTrail evidence into the workspace's ``events`` table, losing nothing.

One module per job: ``discover`` (what files a source names, pruned by the S3
layout in ``layout``), ``s3`` (listing, parallel download, ETag cache),
``engine`` (bundles and one INSERT into DuckDB; ``sql`` holds its queries, ``schema.sql`` the
tables), ``decode`` and ``lake`` (the careful Python path for every other
shape), ``report`` (the reconciled ``LoadReport``), ``progress`` (tqdm).
``stream`` reads any file in bounded memory. The entry point is
``iamlab.workspace.Workspace.load``.

Hostile evidence: limits and what happens past them
- Content bytes per file (``max_object_bytes``, default 512 MiB, gzip counted
  decompressed with every member): a file known to be bigger is rejected
  unread; one found bigger while read keeps the records before the cap and
  rejects the rest in one row. Plain NDJSON and CSV are not capped (no
  amplification; read a line at a time).
- One record (``decode.MAX_RECORD_BYTES``, 2 MiB: CloudTrail documents at most
  1 MB per event): a longer record is rejected with its size, in every format.
- DuckDB reads a file whole only up to ``engine.FAST_FILE_BYTES`` (32 MiB
  decompressed, its size proven first); bigger files go to the careful path.
- Peak memory of loading any single input: at most 1.5 GB
  (``benchmarks/hostile.py`` measures every hostile input at real size: 1 GiB
  gzip bombs, 64 MB fields; the worst measured is printed next to the bound).
- eventTime: an ISO-8601 instant in 2013-01-01 (inclusive) .. 2100-01-01
  (exclusive), UTC; anything else is rejected with the value.
- A bad record, invalid UTF-8 (never loaded altered) or a cut-off tail is one
  rejected row with its byte offset; every complete record around it loads.
- Symbolic links are followed once; loops, dangling links, FIFOs, devices and
  sockets are skipped with a reason; a source named explicitly that cannot be
  read is an InputError.
- Records without an eventID load under ``derived-<md5>`` (``event_id_derived``);
  records sharing an eventID with other content are both kept and listed in
  ``conflicts``.
"""

from iamlab.trail.report import LoadReport, SourceCounts

__all__ = ["LoadReport", "SourceCounts"]
