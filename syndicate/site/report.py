"""What a build did (BuildReport), and the stamp that records it for the next build."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.config import Settings
from syndicate.errors import PostError, PostWarning
from syndicate.site.freshness import Stamp, archive_state

if TYPE_CHECKING:
    from syndicate.site.writer import WriteReport


@dataclass
class BuildReport:
    posts: int = 0
    drafts: int = 0
    # Each names its file and line as data; str() of one is the line the CLI prints.
    errors: list[PostError] = field(default_factory=list)
    warnings: list[PostWarning] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    skipped_writing: bool = False  # --strict with errors: nothing was written
    # Posts dated after the build's now, held back: (slug, date), soonest first.
    scheduled: list[tuple[str, datetime]] = field(default_factory=list)
    up_to_date: bool = False  # nothing changed since the last build: nothing was done
    edits_only: bool = False  # only edited posts' files and the feeds showing them were rendered
    folders: str = ""  # the output's subfolders once written (files.folders_state)

    @property
    def problems(self) -> list[PostError]:
        """Every error and warning (a PostWarning), each with its `path`, `line`, `message`."""
        return [*self.errors, *self.warnings]

    def absorb(self, writes: WriteReport) -> None:
        self.written, self.unchanged, self.removed, self.folders = (
            writes.written,
            writes.unchanged,
            writes.removed,
            writes.folders,
        )


def stamp_of(report: BuildReport, inputs: str, settings: Settings) -> Stamp:
    """What the build that wrote the output folder's files was made from, and what it left."""
    return Stamp(
        inputs=inputs,
        archive=archive_state(settings),
        posts=report.posts,
        drafts=report.drafts,
        errors=[problem_fields(error) for error in report.errors],
        warnings=[problem_fields(warning) for warning in report.warnings],
        files=len(report.written) + report.unchanged,
        scheduled=[[slug, when.isoformat()] for slug, when in report.scheduled],
        folders=report.folders,
    )


def problem_fields(problem: PostError) -> tuple[str, str, int | None]:
    """A report's error or warning as the stamp keeps it (PostError's arguments)."""
    return (str(problem.path), problem.message, problem.line)
