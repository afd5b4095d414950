"""The build rows of the table: a row per step (a full build, then each kind of change) with
both tools' median times, their ratio and what each wrote; the full build's CPU against the
library floor (floor.py); and the peak memory.

Targets (issue 17): a full build at about 0.75x Hugo's time for the same work, at 10k posts;
its CPU within 1.3x the library floor at 10k; no change at least 50x faster than Hugo, every
single-post change at least 30x, at 3k and at 10k posts; memory under 500 MB at 100k.
"""

from __future__ import annotations

from dataclasses import dataclass

from .outputs import OutputFigures
from .report import Row
from .runner import BuildFigures, Summary

FULL_TARGET_POSTS = 10_000
CHANGE_TARGET_POSTS = (3_000, 10_000)
MEMORY_POSTS = 100_000
MEMORY_LIMIT_MB = 500.0
FLOOR_LIMIT = 1.3


@dataclass(frozen=True)
class Step:
    key: str  # in BuildFigures.syndicate and .hugo
    name: str
    limit: float | None  # the greatest syndicate / Hugo ratio that meets the target
    target: str


STEPS = (
    Step("full", "full build", 0.75, "≤ 0.75 (issue 17)"),
    Step("no_change", "no-change rebuild", 1 / 50, "≤ 0.02 (50× faster)"),
    Step("body_edit", "one body edited", 1 / 30, "≤ 0.033 (30× faster)"),
    Step("title_edit", "one title edited", 1 / 30, "≤ 0.033 (30× faster)"),
    Step("date_edit", "one date edited", 1 / 30, "≤ 0.033 (30× faster)"),
    Step("tag_edit", "one post's tags edited", 1 / 30, "≤ 0.033 (30× faster)"),
    Step("comment_added", "one comment added", 1 / 30, "≤ 0.033 (30× faster)"),
    Step("comment_removed", "one comment removed", 1 / 30, "≤ 0.033 (30× faster)"),
    Step("post_added", "one post added", 1 / 30, "≤ 0.033 (30× faster)"),
    Step("post_deleted", "one post deleted", 1 / 30, "≤ 0.033 (30× faster)"),
)


def build_rows(figures: BuildFigures) -> list[Row]:
    if figures.error:
        return [Row("syndicate build", figures.size, None, notes=f"FAILED: {figures.error}")]
    rows = [step_row(figures, step) for step in STEPS]
    warm = figures.syndicate["full_warm_cache"]
    rows.append(
        Row(
            "full build, warm post cache",
            figures.size,
            warm.seconds,
            target="(new output folder, posts parsed before)",
            written=written(warm.output),
            notes=spread(warm) + f"; CPU {warm.cpu_seconds:.1f} s",
        )
    )
    if figures.floor is not None:
        rows.append(floor_row(figures, figures.floor))
    rows.append(memory_row(figures))
    return rows


def step_row(figures: BuildFigures, step: Step) -> Row:
    mine, theirs = figures.syndicate[step.key], figures.hugo.get(step.key)
    ratio = mine.seconds / theirs.seconds if theirs else None
    at_size = (
        figures.size == FULL_TARGET_POSTS
        if step.key == "full"
        else figures.size in CHANGE_TARGET_POSTS
    )
    notes = spread(mine) + (f", Hugo {spread(theirs, named=False)}" if theirs else "")
    notes += f"; CPU {mine.cpu_seconds:.1f} s" + (
        f" / Hugo {theirs.cpu_seconds:.1f} s" if theirs else ""
    )
    notes += f"; peak {mine.peak_mb:.0f} MB" + (
        f" / Hugo {theirs.peak_mb:.0f} MB" if theirs else ""
    )
    notes += f"; others' load {mine.others_cores:.1f}" + (
        f" / {theirs.others_cores:.1f}" if theirs else ""
    )
    if step.key == "full" and theirs:
        notes += "; " + equal_work(mine.output, theirs.output)
    return Row(
        step.name,
        figures.size,
        mine.seconds,
        theirs.seconds if theirs else None,
        ratio=ratio,
        target=step.target,
        met=None if ratio is None or step.limit is None else ratio <= step.limit,
        at_target_size=at_size,
        notes=notes,
        written=written(mine.output),
        hugo_written=written(theirs.output) if theirs else "",
    )


def floor_row(figures: BuildFigures, floor: Summary) -> Row:
    """The full build's CPU seconds (workers included) against the libraries' alone."""
    build_cpu = figures.syndicate["full"].cpu_seconds
    ratio = build_cpu / floor.seconds if floor.seconds else None
    return Row(
        "full build CPU / library floor",
        figures.size,
        build_cpu,
        ratio=ratio,
        target=f"≤ {FLOOR_LIMIT} × floor",
        met=None if ratio is None else ratio <= FLOOR_LIMIT,
        at_target_size=figures.size == FULL_TARGET_POSTS,
        written=written(floor.output),
        notes=f"CPU-s; floor {floor.seconds:.1f} CPU-s (min/median/max "
        f"{min(floor.samples):.1f}/{floor.seconds:.1f}/{max(floor.samples):.1f}, floor.py: "
        "the libraries alone, one process)",
    )


def memory_row(figures: BuildFigures) -> Row:
    full, hugo = figures.syndicate["full"], figures.hugo.get("full")
    peak = max(step.peak_mb for step in figures.syndicate.values())
    return Row(
        "build peak memory (max of steps)",
        figures.size,
        peak,
        hugo.peak_mb if hugo else None,
        "MB",
        peak / hugo.peak_mb if hugo else None,
        f"< {MEMORY_LIMIT_MB:.0f} MB at 100k",
        peak < MEMORY_LIMIT_MB,
        figures.size == MEMORY_POSTS,
        f"full build: process {full.peak_rss_mb:.0f} MB RSS, with workers "
        f"{full.tree_peak_pss_mb:.0f} MB PSS ({full.tree_peak_rss_mb:.0f} MB summed RSS)",
    )


def spread(summary: Summary, *, named: bool = True) -> str:
    """min/median/max of the runs' seconds."""
    figures = f"{summary.least:.3g}/{summary.seconds:.3g}/{summary.most:.3g} s"
    return f"min/median/max {figures}" if named else figures


def written(output: OutputFigures | None) -> str:
    if output is None:
        return ""
    return f"{output.written_files:,} f, {megabytes(output.written_bytes)}"


def equal_work(mine: OutputFigures | None, theirs: OutputFigures | None) -> str:
    """How far the tools' output folders differ: the check that they did the same work."""
    if mine is None or theirs is None:
        return ""
    files = theirs.files / mine.files - 1 if mine.files else 0.0
    size = theirs.bytes / mine.bytes - 1 if mine.bytes else 0.0
    return (
        f"output {mine.files:,} files {megabytes(mine.bytes)}, Hugo {theirs.files:,} files "
        f"{megabytes(theirs.bytes)} (Hugo {files:+.1%} files, {size:+.1%} bytes)"
    )


def megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.1f} kB"
