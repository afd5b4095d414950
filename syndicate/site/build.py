"""`syndicate build` as a library call: skip at once when nothing changed (freshness.py),
else hand the work to site.py, which is imported only then (it brings every renderer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from syndicate.config import Settings
from syndicate.site.freshness import (
    Stamp,
    archive_state,
    inputs_digest,
    scan_inputs,
    unchanged_since_last_build,
)

if TYPE_CHECKING:
    from syndicate.site.writer import WriteReport


@dataclass
class BuildReport:
    posts: int = 0
    drafts: int = 0
    errors: list[str] = field(default_factory=list)  # "FILE:LINE: message"
    warnings: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    skipped_writing: bool = False  # --strict with errors: nothing was written
    up_to_date: bool = False  # nothing changed since the last build: nothing was done
    edits_only: bool = False  # only edited posts' files and the feeds showing them were rendered
    folders: str = ""  # the output's subfolders once written (freshness.folders_state)

    def absorb(self, writes: WriteReport) -> None:
        self.written, self.unchanged, self.removed, self.folders = (
            writes.written,
            writes.unchanged,
            writes.removed,
            writes.folders,
        )


def build_site(settings: Settings, *, lock_held: bool = False) -> BuildReport:
    # Digest the inputs before reading them: a post edited during the build is seen next time.
    scanned = scan_inputs(settings.posts)
    inputs = inputs_digest(settings, scanned)
    stamp = unchanged_since_last_build(settings, inputs)
    if stamp is not None:
        return BuildReport(
            posts=stamp.posts, drafts=stamp.drafts, errors=list(stamp.errors),
            warnings=list(stamp.warnings), unchanged=stamp.files, up_to_date=True,
        )  # fmt: skip
    from syndicate.site import edits, plan

    report = edits.build_after_edits(
        settings, lock_held=lock_held, stamp_inputs=inputs, scanned=scanned
    )
    if report is not None:
        return report
    del scanned  # a full build scans for itself; at 100k posts this list is 20 MB
    return plan.build(settings, lock_held=lock_held, stamp_inputs=inputs)


def stamp_of(report: BuildReport, inputs: str, settings: Settings) -> Stamp:
    """What the build that wrote the output folder's files was made from, and what it left."""
    return Stamp(
        inputs=inputs, archive=archive_state(settings), posts=report.posts, drafts=report.drafts,
        errors=report.errors, warnings=report.warnings,
        files=len(report.written) + report.unchanged,
        folders=report.folders,
    )  # fmt: skip
