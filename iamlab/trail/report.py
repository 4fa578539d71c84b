"""What a load did, per source, in numbers that must add up.

For every source: records seen = loaded + duplicates + rejected + filtered.
``rejected`` counts rows of the ``rejected`` table (a record, or a whole file
that could not be split into records); ``filtered`` counts records outside the
requested window/accounts/regions and CloudTrail Insights records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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
            },
            "sources": [asdict(s) for s in self.sources],
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "rejected": [{"file": f, "position": p, "reason": r} for f, p, r in self.rejected],
            "files_read": len(self.files_read),
        }

    def __repr__(self) -> str:  # a notebook cell shows the table, not the fields
        return str(self)

    def __str__(self) -> str:
        head = ("source", "files", "records", "loaded", "duplicates", "rejected", "filtered")
        rows = [
            (
                s.source,
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
            out.append(f"skipped {len(self.skipped)} files:")
            out += [f"  {f}: {r}" for f, r in self.skipped[:20]]
            if len(self.skipped) > 20:
                out.append(f"  ... and {len(self.skipped) - 20} more")
        if self.rejected:
            out.append(f"rejected {len(self.rejected)} (table 'rejected' has all of them):")
            out += [f"  {f} @ {p}: {r}" for f, p, r in self.rejected[:20]]
            if len(self.rejected) > 20:
                out.append(f"  ... and {len(self.rejected) - 20} more")
        return "\n".join(out)
