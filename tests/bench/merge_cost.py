"""Merge cost per new entry with the archive already holding 10k (100k, ...) entries.

The archive is pre-filled once through the Python API (`Archive.store_entries` with
`CopyInput` records, feeds of 20 entries with 10% cross-posts, as fetch would store them) and
cached in the work folder. Each timed run stores, in a fresh copy of it, one batch of 1,000 new
entries from a new feed, half of them cross-posts of archived articles, and divides the time of
that `store_entries` call by the batch size (the WAL checkpoint after it is timed apart: see
time_batch).
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import syndicate.archive
from syndicate.archive import Archive, CopyInput

from . import feedcorpus
from .feeds import copy_archive
from .folders import discard, fresh_dir

FORMAT = 1  # bump when the pre-fill changes
# New entries per timed batch: with 200, a batch took about 40 ms, and the machine's jitter moved
# the 100k/10k ratio of medians between 0.9 and 1.6; a batch of 1,000 lasts long enough.
BATCH = 1000
NEW_FEED = "https://new-site.example/feed.xml"


@dataclass(frozen=True)
class MergeFigures:
    archive_entries: int
    batch: int
    cross_posts: int
    ms_per_entry: float
    samples_ms: list[float]
    merged: int  # of the batch's cross-posts, how many joined their article
    prefill_seconds: float | None  # None when the archive came from the cache
    checkpoint_ms: float = 0.0  # the WAL checkpoint after the batch (median), not in ms_per_entry

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def copy_input(entry: feedcorpus.Entry) -> CopyInput:
    """What fetch would store for the entry: the origin its content or links name."""
    return CopyInput(
        guid=entry.guid,
        url=entry.url,
        title=entry.title,
        author=entry.author,
        published=entry.published,
        updated=None,
        summary_html=entry.summary_html,
        content_html=entry.content_html,
        origin_urls=(entry.origin_url,) if entry.origin_url else (),
    )


def feed_url(index: int) -> str:
    return f"{feedcorpus.site_url(index)}feed.xml"


def archive_code_key() -> str:
    """A pre-filled archive is stale once the code that stores and merges changes: what it
    computes at store time (keys, origins, indexes) is what the timed batch is merged against."""
    digest = hashlib.sha256()
    for module in sorted(Path(str(syndicate.archive.__file__)).parent.glob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()[:10]


def ensure_archive(workdir: Path, *, entries: int, seed: int) -> tuple[Path, float | None]:
    """The pre-filled archive for `entries` entries; the seconds filling took, if it was made."""
    name = f"archive-n{entries}-s{seed}-v{FORMAT}-{archive_code_key()}.sqlite3"
    path = workdir / "archives" / name
    if path.exists():
        return path, None
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"archive-n{entries}-s{seed}-*"):  # older code, or unfinished
        stale.unlink()
    partial = path.with_suffix(".partial")
    started = time.perf_counter()
    feeds = max(entries // feedcorpus.PER_FEED, 2)
    with Archive(partial) as archive:
        for index in range(feeds):
            feed = archive.subscribe(feed_url(index))
            source = feedcorpus.source_feed(seed, index, feeds=feeds)
            archive.store_entries(feed, [copy_input(entry) for entry in source.entries])
    partial.rename(path)  # closed: the WAL was checkpointed into the file
    return path, time.perf_counter() - started


def batch(seed: int, *, archived_feeds: int, size: int = BATCH) -> list[CopyInput]:
    """`size` new entries: half new articles, half cross-posts of archived originals."""
    rng = random.Random(f"{seed}:batch:{archived_feeds}")
    new_feed = archived_feeds + 1  # a site number no archived feed has
    entries = [feedcorpus.original(seed, new_feed, slot) for slot in range(size // 2)]
    for slot in range(size // 2, size):
        source_feed, source_slot = archived_original(seed, rng, archived_feeds)
        kind = feedcorpus.COPY_KINDS[slot % len(feedcorpus.COPY_KINDS)]
        source = feedcorpus.original(seed, source_feed, source_slot)
        url = feedcorpus.entry_url(new_feed, slot)
        entries.append(feedcorpus.copy_of(source, kind, url=url, published=source.published))
    rng.shuffle(entries)
    return [copy_input(entry) for entry in entries]


def archived_original(seed: int, rng: random.Random, feeds: int) -> tuple[int, int]:
    while True:
        feed, slot = rng.randrange(feeds), rng.randrange(feedcorpus.PER_FEED)
        if not feedcorpus.is_copy(seed, feed, slot):
            return feed, slot


def time_batch(archive_file: Path, entries: Sequence[CopyInput]) -> tuple[float, float, int]:
    """Seconds that one `store_entries` of the batch takes, seconds of the WAL checkpoint after
    it, and how many entries it merged.

    SQLite copies the WAL's pages into the database file (and fsyncs it) once the WAL holds
    1,000 pages, whatever wrote them; a batch of 1,000 entries reaches that, and its cost is
    disk writes scattered over the file, larger in a larger file, not merging. So the batch is
    timed with the automatic checkpoint off, and the checkpoint apart."""
    with Archive(archive_file) as archive:
        feed = archive.subscribe(NEW_FEED)
        archive.db.execute("PRAGMA wal_autocheckpoint = 0")
        started = time.perf_counter()
        stored = archive.store_entries(feed, entries)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        archive.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        checkpoint = time.perf_counter() - started
    return seconds, checkpoint, stored.merged


def measure_merge(
    workdir: Path, *, entries: int, seed: int, repeat: int, log: Callable[[str], None]
) -> MergeFigures:
    log(f"merge cost with {entries} archived entries (pre-filling once if not cached)")
    prefilled, prefill_seconds = ensure_archive(workdir, entries=entries, seed=seed)
    feeds = max(entries // feedcorpus.PER_FEED, 2)
    new_entries = batch(seed, archived_feeds=feeds)
    run_dir = fresh_dir(workdir, workdir / "runs" / f"merge-n{entries}")
    samples, checkpoints, merged = [], [], 0
    try:
        for number in range(repeat):
            copy = copy_archive(prefilled, run_dir / f"archive-{number}.sqlite3")
            seconds, checkpoint, merged = time_batch(copy, new_entries)
            samples.append(seconds * 1000 / len(new_entries))
            checkpoints.append(checkpoint * 1000)
    finally:
        discard(workdir, run_dir)
    return MergeFigures(
        archive_entries=entries,
        batch=len(new_entries),
        cross_posts=len(new_entries) // 2,
        ms_per_entry=statistics.median(samples),
        samples_ms=[round(s, 4) for s in samples],
        merged=merged,
        prefill_seconds=prefill_seconds,
        checkpoint_ms=statistics.median(checkpoints),
    )
