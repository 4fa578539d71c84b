"""What a load did, per source, in numbers that must add up.

For every source: records seen = loaded + duplicates + rejected + filtered.
``rejected`` counts rows of the ``rejected`` table (a record, or a whole file
that could not be split into records); ``filtered`` counts records outside the
requested window/accounts/regions and CloudTrail Insights records.
``conflicts`` counts loaded records whose eventID another record holds with
other content (both are kept: they are not duplicates).

Everything in the printed report that came from the evidence (file and S3 key
names, JSON keys, eventTime text, CSV headers in reasons) goes through
``iamlab.escape.printable``; ``to_dict()`` keeps the raw values (JSON output
escapes by itself).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from iamlab.escape import printable

_FOLDER_FILES = re.compile(r"; (\d+) files? in it$")  # how discover words a skipped folder


@dataclass
class SourceCounts:
    """Tallies for one source given to ``load`` (a path, glob or s3:// URL)."""

    source: str
    files: int = 0
    files_skipped: int = 0
    files_pruned: int = 0
    bytes: int = 0
    seen: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejected: int = 0
    filtered: int = 0
    conflicts: int = 0  # of loaded: records whose eventID another record holds

    @property
    def reconciles(self) -> bool:
        return self.seen == self.loaded + self.duplicates + self.rejected + self.filtered


@dataclass(repr=False)
class LoadReport:
    """Returned by ``Workspace.load``; ``print`` it for a table, ``to_dict()`` for JSON."""

    load_id: int
    sources: list[SourceCounts]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # file, reason
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # file, position, reason
    # event_id, file, position of this load's records whose eventID is held with other content
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)
    files_read: list[str] = field(default_factory=list)
    seconds: float = 0.0
    downloaded: int = 0  # S3 objects fetched (not served from the cache)

    @property
    def seen(self) -> int:
        return sum(s.seen for s in self.sources)

    @property
    def loaded(self) -> int:
        return sum(s.loaded for s in self.sources)

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in self.sources)

    @property
    def rejected_count(self) -> int:
        return sum(s.rejected for s in self.sources)

    @property
    def filtered(self) -> int:
        return sum(s.filtered for s in self.sources)

    @property
    def conflicts_count(self) -> int:
        return sum(s.conflicts for s in self.sources)

    @property
    def reconciles(self) -> bool:
        return all(s.reconciles for s in self.sources)

    def to_dict(self) -> dict:
        return {
            "load_id": self.load_id,
            "seconds": round(self.seconds, 3),
            "downloaded": self.downloaded,
            "totals": {
                "seen": self.seen,
                "loaded": self.loaded,
                "duplicates": self.duplicates,
                "rejected": self.rejected_count,
                "filtered": self.filtered,
                "conflicts": self.conflicts_count,
            },
            "sources": [asdict(s) for s in self.sources],
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "rejected": [{"file": f, "position": p, "reason": r} for f, p, r in self.rejected],
            "conflicts": [{"event_id": e, "file": f, "position": p} for e, f, p in self.conflicts],
            "files_read": len(self.files_read),
        }

    def __repr__(self) -> str:  # a notebook cell shows the table, not the fields
        return str(self)

    def __str__(self) -> str:
        head = ("source", "files", "seen", "loaded", "duplicates", "rejected", "filtered")
        rows = [
            (
                printable(s.source),
                str(s.files),
                str(s.seen),
                str(s.loaded),
                str(s.duplicates),
                str(s.rejected),
                str(s.filtered),
            )
            for s in self.sources
        ]
        if len(rows) > 1:
            rows.append(
                (
                    "total",
                    str(sum(s.files for s in self.sources)),
                    str(self.seen),
                    str(self.loaded),
                    str(self.duplicates),
                    str(self.rejected_count),
                    str(self.filtered),
                )
            )
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

        def line(r: tuple[str, ...]) -> str:
            return "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )

        out = [f"load {self.load_id}: {self.loaded} events loaded in {self.seconds:.1f}s"]
        out += [line(head), line(tuple("-" * w for w in widths))] + [line(r) for r in rows]
        pruned = sum(s.files_pruned for s in self.sources)
        if pruned:
            out.append(
                f"{pruned} files/folders not read: outside the requested window/accounts/regions"
            )
        if self.downloaded:
            out.append(f"{self.downloaded} S3 objects downloaded")
        if self.skipped:
            out.append(self._skipped_line())
            out += [f"  {printable(f)}: {printable(r)}" for f, r in self.skipped[:20]]
            if len(self.skipped) > 20:
                out.append(f"  ... and {len(self.skipped) - 20} more")
        if self.rejected:
            out.append(f"rejected {len(self.rejected)} (table 'rejected' has all of them):")
            out += [
                f"  {printable(f)} @ {printable(p)}: {printable(r)}"
                for f, p, r in self.rejected[:20]
            ]
            if len(self.rejected) > 20:
                out.append(f"  ... and {len(self.rejected) - 20} more")
        if self.conflicts:
            out.append(
                f"conflicting ids: {len(self.conflicts)} records loaded share an eventID with "
                "other content (kept, not duplicates; table 'conflicts' has all of them):"
            )
            out += [
                f"  {printable(e)}: {printable(f)} @ {printable(p)}"
                for e, f, p in self.conflicts[:20]
            ]
            if len(self.conflicts) > 20:
                out.append(f"  ... and {len(self.conflicts) - 20} more")
        return "\n".join(out)

    def _skipped_line(self) -> str:
        """'skipped 2 folders (318 files) and 1 file:': folders end with '/' (discover)."""
        folders = [r for f, r in self.skipped if f.endswith("/")]
        files = len(self.skipped) - len(folders)
        counts = [int(m[1]) for r in folders if (m := _FOLDER_FILES.search(r))]
        held = sum(counts)
        parts = []
        if folders:
            s = "s" if len(folders) != 1 else ""
            inside = f" ({held} file{'s' if held != 1 else ''})" if counts else ""
            parts.append(f"{len(folders)} folder{s}{inside}")
        if files or not folders:
            parts.append(f"{files} file{'s' if files != 1 else ''}")
        return f"skipped {' and '.join(parts)}:"
