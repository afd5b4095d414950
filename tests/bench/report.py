"""The one table, the JSON file and the optional plot (the build rows: report_builds.py).

Each issue target is judged at the size the issue names (1,000 feeds, a 100k archive; the
builds' in report_builds.py); at other sizes the verdict is shown in parentheses, as an
indication only.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .feeds import FetchFigures, FetchSummary
from .merge_cost import MergeFigures
from .runner import Summary
from .versus_reader import VersusReader

TARGET_FEEDS = 1_000
TARGET_ARCHIVE = 100_000
COLUMNS = (
    "measurement",
    "N",
    "syndicate",
    "Hugo",
    "ratio",
    "target",
    "met?",
    "written",
    "Hugo written",
    "notes",
)


@dataclass(frozen=True)
class Row:
    measurement: str
    n: int
    syndicate: float | None
    hugo: float | None = None
    unit: str = "s"
    ratio: float | None = None  # syndicate / Hugo, or what `target` says it is
    target: str = ""
    met: bool | None = None
    at_target_size: bool = True  # False: the verdict is only an indication
    notes: str = ""
    written: str = ""  # files and bytes syndicate wrote (a build row)
    hugo_written: str = ""  # and Hugo


# -- rows ---------------------------------------------------------------------------------------


def startup_row(startup: Summary | None) -> Row:
    if startup is None:
        return Row("CLI start-up (--version)", 0, None, notes="FAILED")
    notes = f"interpreter + imports: the floor under every build; peak RSS {startup.peak_mb:.0f} MB"
    return Row("CLI start-up (--version)", 0, startup.seconds, notes=notes)


def fetch_rows(figures: FetchFigures) -> list[Row]:
    if figures.error:
        return [Row("fetch", figures.feeds, None, notes=f"FAILED: {figures.error}")]
    rows = []
    for key, run in figures.runs.items():
        share = run.store_share
        rows.append(
            Row(
                f"fetch --jobs {run.jobs}",
                figures.feeds,
                run.seconds,
                target="store+merge ≤ 10%",
                met=None if share is None else share <= 0.10,
                at_target_size=figures.feeds == TARGET_FEEDS and key != "1",
                notes=fetch_notes(figures, run, figures.runs.get("1")),
            )
        )
    return rows


def fetch_notes(figures: FetchFigures, run: FetchSummary, single: FetchSummary | None) -> str:
    """What was stored and merged, and the share of the run that storing+merging took."""
    notes = (
        f"{run.new_entries} new, {run.merged} merged of {figures.copies} copies; store+merge "
        f"{_percent(run.store_share)} of the CPU time (merge decisions "
        f"{_percent(run.merge_share)}); in store+merge {_percent(run.share(run.store_seconds))}"
        " of the wall time"
    )
    if single is not None and single is not run:
        notes += f"; {single.seconds / run.seconds:.2f}× as fast as --jobs 1"
    return notes


def versus_reader_row(figures: VersusReader) -> Row:
    """syndicate's median time with reader's in the Hugo column (the ratio is syndicate's
    over reader's), the spreads and what each stored in the notes."""
    name = "fetch --jobs 8 vs reader update_feeds(workers=8)"
    if figures.error or not figures.syndicate or not figures.reader:
        return Row(name, figures.feeds, None, notes=f"FAILED: {figures.error}")
    ours, theirs = figures.syndicate, figures.reader
    ratios = figures.ratios
    notes = (
        f"varied feeds on {figures.hosts} host(s); syndicate min/median/max "
        f"{ours.least:.2f}/{ours.median:.2f}/{ours.most:.2f} s, reader "
        f"{theirs.least:.2f}/{theirs.median:.2f}/{theirs.most:.2f} s; per-run ratio "
        f"{min(ratios):.2f}-{max(ratios):.2f}; entries stored {figures.syndicate_entries} "
        f"vs {figures.reader_entries}; syndicate merged {figures.syndicate_merged} of "
        f"{figures.copies} cross-posted copies"
    )
    return Row(
        name,
        figures.feeds,
        ours.median,
        hugo=theirs.median,
        ratio=ours.median / theirs.median,
        target="(reader's time: below 1 is faster)",
        notes=notes,
    )


def merge_rows(figures: Sequence[MergeFigures]) -> list[Row]:
    rows = [
        Row(
            "merge per new entry",
            each.archive_entries,
            each.ms_per_entry,
            unit="ms",
            notes=f"batch {each.batch}: {each.merged}/{each.cross_posts} cross-posts merged;"
            f" WAL checkpoint after it {each.checkpoint_ms:.0f} ms (not in the figure)",
        )
        for each in figures
    ]
    if len(figures) >= 2:
        smallest = min(figures, key=lambda each: each.archive_entries)
        largest = max(figures, key=lambda each: each.archive_entries)
        ratio = largest.ms_per_entry / smallest.ms_per_entry
        rows.append(
            Row(
                f"merge flatness {largest.archive_entries}/{smallest.archive_entries}",
                largest.archive_entries,
                None,
                ratio=ratio,
                target="≤ 1.5",
                met=ratio <= 1.5,
                at_target_size=largest.archive_entries >= TARGET_ARCHIVE,
                notes="ms per new entry, largest archive / smallest",
            )
        )
    return rows


# -- output -------------------------------------------------------------------------------------


def cells(row: Row) -> list[str]:
    return [
        row.measurement,
        str(row.n) if row.n else "",
        _amount(row.syndicate, row.unit),
        _amount(row.hugo, row.unit),
        "" if row.ratio is None else f"{row.ratio:.3g}",
        row.target,
        _verdict(row),
        row.written,
        row.hugo_written,
        row.notes,
    ]


def table(rows: Sequence[Row], *, remarks: Sequence[str] = ()) -> str:
    grid = [list(COLUMNS), *(cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in grid) for column in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in grid
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join([line.rstrip() for line in lines] + [f"note: {text}" for text in remarks])


def write_json(path: Path, results: dict[str, Any], rows: Sequence[Row]) -> None:
    payload = {**results, "rows": [asdict(row) | {"cells": cells(row)} for row in rows]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def write_plot(path: Path, rows: Sequence[Row]) -> bool:
    """A bar per timed measurement (log scale); False when matplotlib is not installed."""
    if importlib.util.find_spec("matplotlib") is None:
        return False
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    timed = [row for row in rows if row.unit == "s" and row.syndicate is not None]
    labels = [f"{row.measurement}\nN={row.n}" for row in timed]
    positions = range(len(timed))
    figure, axes = pyplot.subplots(figsize=(max(6.0, len(timed) * 0.9), 4.5))
    axes.bar(
        [p - 0.2 for p in positions], [row.syndicate or 0 for row in timed], 0.4, label="syndicate"
    )
    axes.bar([p + 0.2 for p in positions], [row.hugo or 0 for row in timed], 0.4, label="Hugo")
    axes.set_xticks(list(positions), labels, rotation=45, ha="right", fontsize=7)
    axes.set_yscale("log")
    axes.set_ylabel("seconds (median)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    return True


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} {unit}" if unit == "MB" else f"{value:.3g} {unit}"


def _percent(share: float | None) -> str:
    return "?" if share is None else f"{share:.1%}"


def _verdict(row: Row) -> str:
    if row.met is None:
        return ""
    verdict = "yes" if row.met else "NO"
    return verdict if row.at_target_size else f"({verdict.lower()})"
