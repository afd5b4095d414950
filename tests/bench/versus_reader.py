"""syndicate against the reader library on the same feeds in the same run: `syndicate fetch
--jobs 8` and reader's `update_feeds(workers=8)`, each a whole process on a fresh copy of a
database where the feeds were subscribed beforehand, taking turns `repeat` times.

The feeds are the varied corpus (feedcorpus.varied_document): RSS, Atom, JSON Feed 1.1 and
1.0, RSS in windows-1251 known only from the HTTP charset, RSS with a DOCTYPE entity, served
over loopback from `hosts` addresses (syndicate allows 2 connections a host, reader has no
such limit: spread the feeds over as many hosts as workers for a like-for-like run)."""

from __future__ import annotations

import json
import re
import statistics
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import feedcorpus
from .commands import clean_env, syndicate_command
from .feeds import FeedServer, copy_archive, write_opml
from .folders import discard, fresh_dir
from .procs import ProcessRun, checked, run_process

WORKERS = 8
_NEW_ENTRIES = re.compile(r"(\d+) new")
_MERGED = re.compile(r"(\d+) merged")
READER_SCRIPT = Path(__file__).with_name("reader_fetch.py")


@dataclass(frozen=True)
class Spread:
    """Wall seconds of each run, and their least, median and most."""

    samples: list[float]

    @property
    def least(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def most(self) -> float:
        return max(self.samples)

    def as_json(self) -> dict[str, Any]:
        return {
            "samples": [round(s, 4) for s in self.samples],
            "min": self.least,
            "median": self.median,
            "max": self.most,
        }


@dataclass
class VersusReader:
    feeds: int
    entries: int
    hosts: int
    styles: dict[str, int] = field(default_factory=dict)  # suffix -> feeds of that style
    copies: int = 0  # entries that are cross-posts of another feed's (in another format)
    syndicate: Spread | None = None
    reader: Spread | None = None
    syndicate_entries: int | None = None  # what each stored: the same work, or not
    reader_entries: int | None = None
    syndicate_merged: int | None = None  # copies syndicate put in another copy's article
    syndicate_cpu_seconds: float | None = None
    reader_cpu_seconds: float | None = None
    error: str | None = None

    @property
    def ratios(self) -> list[float]:
        """syndicate's time over reader's, run by run (each pair ran back to back)."""
        if not self.syndicate or not self.reader:
            return []
        return [s / r for s, r in zip(self.syndicate.samples, self.reader.samples, strict=True)]

    def as_json(self) -> dict[str, Any]:
        figures = asdict(self)
        for name in ("syndicate", "reader"):
            spread = getattr(self, name)
            figures[name] = spread.as_json() if spread else None
        figures["ratios"] = [round(r, 3) for r in self.ratios]
        return figures


def serve_varied(
    server: FeedServer, *, feeds: int, seed: int
) -> tuple[list[tuple[str, str]], dict[str, int], int]:
    """Render every feed in its style into the server's routes; returns (title, URL) pairs,
    the feeds of each style and the cross-posted copies among the entries."""
    outlines: list[tuple[str, str]] = []
    styles: dict[str, int] = {}
    copies = 0
    for index in range(feeds):
        feed = feedcorpus.source_feed(seed, index, feeds=feeds)
        suffix, _content_type = feedcorpus.varied_style(feed)
        path = f"/varied/{index}{suffix}"
        url = server.url(path, host=index)
        server.routes[path] = feedcorpus.varied_document(feed, url)
        outlines.append((feed.title, url))
        styles[suffix] = styles.get(suffix, 0) + 1
        copies += sum(entry.kind != "original" for entry in feed.entries)
    return outlines, styles, copies


def reader_template(path: Path, urls: list[str]) -> Path:
    from reader import make_reader

    reader = make_reader(str(path))
    for url in urls:
        reader.add_feed(url)
    reader.close()
    return path


def measure_versus_reader(
    workdir: Path, *, feeds: int, seed: int, repeat: int, hosts: int, log: Callable[[str], None]
) -> VersusReader:
    run_dir = fresh_dir(workdir, workdir / "runs" / f"versus-reader-k{feeds}")
    env = clean_env(run_dir)
    try:
        with FeedServer(hosts=hosts) as server:
            outlines, styles, copies = serve_varied(server, feeds=feeds, seed=seed)
            figures = VersusReader(feeds, feeds * feedcorpus.PER_FEED, hosts, styles, copies)
            ours = run_dir / "subscribed.sqlite3"
            opml = write_opml(run_dir / "subscriptions.opml", outlines)
            command = [*syndicate_command(), "--archive", str(ours), "subscribe", "--opml"]
            checked(run_process([*command, str(opml)], env=env, cwd=run_dir), "subscribe")
            theirs = reader_template(run_dir / "reader.sqlite", [url for _, url in outlines])
            ours_runs: list[ProcessRun] = []
            theirs_runs: list[ProcessRun] = []
            for number in range(repeat):
                log(f"versus reader k={feeds}: run {number + 1} of {repeat}")
                ours_runs.append(_syndicate_run(ours, run_dir, env, number))
                theirs_runs.append(_reader_run(theirs, run_dir, env, number))
            figures.syndicate = Spread([run.seconds for run in ours_runs])
            figures.reader = Spread([run.seconds for run in theirs_runs])
            figures.syndicate_cpu_seconds = statistics.median(r.cpu_seconds for r in ours_runs)
            figures.reader_cpu_seconds = statistics.median(r.cpu_seconds for r in theirs_runs)
            figures.syndicate_entries = _count(_NEW_ENTRIES, ours_runs[-1].stdout)
            figures.syndicate_merged = _count(_MERGED, ours_runs[-1].stdout)
            figures.reader_entries = json.loads(theirs_runs[-1].stdout)["entries"]
    finally:
        discard(workdir, run_dir)
    return figures


def _syndicate_run(template: Path, run_dir: Path, env: dict[str, str], number: int) -> ProcessRun:
    archive = copy_archive(template, run_dir / f"ours-{number}.sqlite3")
    command = [*syndicate_command(), "--archive", str(archive), "fetch", "--jobs", str(WORKERS)]
    return checked(run_process(command, env=env, cwd=run_dir), "syndicate fetch")


def _reader_run(template: Path, run_dir: Path, env: dict[str, str], number: int) -> ProcessRun:
    database = copy_archive(template, run_dir / f"reader-{number}.sqlite")
    command = [sys.executable, str(READER_SCRIPT), str(database), str(WORKERS)]
    run = checked(run_process(command, env=env, cwd=run_dir), "reader update_feeds")
    if json.loads(run.stdout)["errors"]:
        raise RuntimeError(f"reader failed on some feeds: {run.stdout.strip()}")
    return run


def _count(pattern: re.Pattern[str], output: str) -> int | None:
    found = pattern.search(output)
    return int(found.group(1)) if found else None
