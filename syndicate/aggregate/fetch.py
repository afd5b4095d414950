"""`syndicate fetch`: every due subscription and its entries' comment feeds, into the archive.

Downloads run in a thread pool (fetcher.py); each feed is stored here, in this thread, in one
transaction (a savepoint) as soon as it has been downloaded and parsed, in the order they
finish; what is ready at once is committed together, and no transaction is open while the
network is waited for. Comment feeds are polled as feeds are (archive/comment_feeds.py):
with the validators of their last poll, and after a failure only when their backoff ends;
a comment feed that starts failing is a warning, said once."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from syndicate.aggregate.fetcher import Download, Fetcher, parse_workers
from syndicate.aggregate.http import RETRY_LATER, FetchResult, next_retry_delay
from syndicate.aggregate.parse import ParsedFeed, parse_comments
from syndicate.archive import (
    COMMIT_GROUP_SIZE,
    Archive,
    Claim,
    CommentFeed,
    CommentFeedOutcome,
    FeedProfile,
    LeaseLost,
    now_utc,
)
from syndicate.archive.claims import HostSlots, lease_seconds
from syndicate.archive.feeds import FetchOutcome
from syndicate.archive.own_posts import sync_own_posts
from syndicate.config import Settings
from syndicate.errors import FeedError
from syndicate.model import Feed, FeedComment, FeedEntry
from syndicate.urls import hide_password

GONE = 410
T = TypeVar("T")
U = TypeVar("U")
WAIT_STEP = 0.2  # seconds between looks at the stop flag while waiting for downloads
GATHER_SECONDS = 0.25  # how long finished feeds are gathered into one commit, at most
# Comments keep coming after a post's feed has moved on: the comment feeds of copies this
# recent are polled on every fetch, not only when their entry changes.
CONVERSATION_WINDOW = timedelta(days=14)
PER_HOST = 2  # requests in flight to one host at once (across every worker of an archive)
CLAIM_PER_JOB = 4  # one of several workers claims this many feeds per download thread


@dataclass
class FetchReport:
    """What a fetch did. Entries count as `updated` only when what the archive holds of them
    changed, `unchanged` when seen again as they were; `comments` are those new or changed.
    `errors` are feeds that failed (`URL: message`, exit status 1); `warnings` what a person
    should know without anything having failed: a subscription moved or ended, a comment
    feed that started failing (said once, when it starts; it is retried with backoff)."""

    fetched: int = 0
    not_modified: int = 0
    new_entries: int = 0
    updated_entries: int = 0
    unchanged_entries: int = 0
    merged: int = 0
    comments: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stopped: bool = False  # a signal ended the fetch: what finished was committed


@dataclass(frozen=True)
class CommentDownload:
    """What a download thread brings back for one comment feed: a response and its
    comments, or an error."""

    feed: CommentFeed
    result: FetchResult | None = None
    comments: tuple[FeedComment, ...] = ()
    error: FeedError | None = None
    stopped: bool = False  # cut off by a stop: nothing to record


def fetch_all(
    archive: Archive,
    settings: Settings,
    *,
    jobs: int,
    now: datetime | None = None,
    on_feed_done: Callable[[Feed], None] | None = None,
    stop: threading.Event | None = None,
) -> FetchReport:
    """Fetch every due subscription and its entries' comment feeds; merge and store them.

    Each feed is stored whole or not at all, as soon as it has been downloaded and parsed, in
    whatever order the downloads finish; what is ready is committed together, and no
    transaction is open while waiting on the network, so other commands are held back for a
    commit's time at most. When `stop` is set (a signal), what finished is committed, the
    downloads under way are cut off, and the report says `stopped`.

    On PostgreSQL this is one of any number of workers at once (archive/claims.py): it
    claims due feeds in batches, each leased to it, then due comment feeds the same way,
    and holds the per-host limit with the others; see `_batches`, `_comment_batches`."""
    now = now or now_utc()
    stop = stop or threading.Event()
    report = FetchReport()
    claim = None
    if archive.fetches_in_rounds:  # one of several workers: claim feeds, do not take them all
        claim = archive.join_round(lease=lease_seconds(settings.deadline))
    try:
        sync_own_posts(archive, settings)
        due = archive.due_feeds(now)
        _fetch_due(
            archive,
            settings,
            claim,
            due,
            jobs=jobs,
            now=now,
            report=report,
            stop=stop,
            on_feed_done=on_feed_done,
        )
    finally:
        if claim is not None:
            archive.leave_round(claim)
    report.stopped = stop.is_set()
    return report


def _fetch_due(
    archive: Archive,
    settings: Settings,
    claim: Claim | None,
    due: list[Feed],
    *,
    jobs: int,
    now: datetime,
    report: FetchReport,
    stop: threading.Event,
    on_feed_done: Callable[[Feed], None] | None,
) -> None:
    """The due feeds (in batches claimed for this worker when there is a `claim`), then the
    comment feeds of what was stored."""
    slots = archive.host_slots(per_host=PER_HOST) if claim else None
    with (
        parse_workers(len(due), jobs) as parsers,
        ThreadPoolExecutor(max_workers=jobs) as pool,
        _closing(slots),
    ):
        fetcher = Fetcher(PER_HOST, parsers=parsers, deadline=settings.deadline, host_slots=slots)
        with _stopping(fetcher, stop):
            comment_feeds: list[tuple[int, str]] = []

            def store_feed(download: Download) -> None:
                if download.stopped:
                    return
                try:
                    comment_feeds.extend(store_download(archive, download, report, now))
                except LeaseLost as lost:  # another worker's outcome is the one stored
                    report.warnings.append(str(lost))
                if on_feed_done:
                    on_feed_done(download.feed)

            renew = partial(archive.renew, claim) if claim else None
            lease = claim.lease if claim else 0.0
            for batch in _batches(
                archive, claim, due, now=now, limit=CLAIM_PER_JOB * jobs, stop=stop
            ):
                _store_as_finished(
                    archive,
                    pool,
                    fetcher.download,
                    batch,
                    store_feed,
                    stop,
                    renew=renew,
                    renew_every=lease / 3,
                )
            if not stop.is_set():
                recent = archive.recent_comment_feeds(now - CONVERSATION_WINDOW)
                due_comments = archive.due_comment_feeds([*comment_feeds, *recent], now)
                download = partial(download_comments, fetcher)
                store = partial(store_comment_download, archive, report=report, now=now)
                for comment_batch in _comment_batches(
                    archive, claim, due_comments, limit=CLAIM_PER_JOB * jobs, stop=stop
                ):
                    _store_as_finished(
                        archive,
                        pool,
                        download,
                        comment_batch,
                        store,
                        stop,
                        renew=renew,
                        renew_every=lease / 3,
                    )


def _batches(
    archive: Archive,
    claim: Claim | None,
    due: list[Feed],
    *,
    now: datetime,
    limit: int,
    stop: threading.Event,
) -> Iterator[list[Feed]]:
    """Alone, every due feed at once. One of several workers, the feeds claimed for this one,
    a batch at a time as the last is stored, until none is left in the round; while other
    workers still hold leases, this one waits (and keeps its own round alive), as their
    leases may end unreleased (a worker killed) and their feeds become this one's."""
    if claim is None:
        yield due
        return
    while not stop.is_set():
        batch = archive.claim_due_feeds(claim, now, limit=limit)
        if batch:
            yield batch
        elif archive.others_hold_feeds(claim):
            archive.renew(claim)
            stop.wait(min(1.0, claim.lease / 4))
        else:
            return


def _comment_batches(
    archive: Archive,
    claim: Claim | None,
    due: list[CommentFeed],
    *,
    limit: int,
    stop: threading.Event,
) -> Iterator[list[CommentFeed]]:
    """Alone, every due comment feed at once. One of several workers, those of each `limit`
    of them that no other worker has claimed in this round, claimed for this one a batch at
    a time as the last is stored (the workers come to the comment feeds together, once the
    round's feeds are stored, and share them out this way)."""
    if claim is None:
        yield due
        return
    for start in range(0, len(due), limit):
        if stop.is_set():
            return
        batch = archive.claim_comment_feeds(claim, due[start : start + limit])
        if batch:
            yield batch


@contextmanager
def _closing(slots: HostSlots | None) -> Iterator[None]:
    try:
        yield
    finally:
        if slots is not None:
            slots.close()


@contextmanager
def _stopping(fetcher: Fetcher, stop: threading.Event) -> Iterator[None]:
    """Cut off the fetcher's exchanges as soon as `stop` is set, from a watching thread (the
    storing thread may be waiting for them)."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            if stop.is_set():
                fetcher.stop()
                return

    watcher = threading.Thread(target=watch, name="syndicate-stop-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _gathered(
    finished: queue.SimpleQueue[tuple[int, Future[U]]], *, most: int
) -> list[tuple[int, Future[U]]]:
    """What else finishes within GATHER_SECONDS (no transaction is open meanwhile): a commit
    writes every index page its inserts touched, so one a feed cost a fifth of storing them."""
    gathered: list[tuple[int, Future[U]]] = []
    until = time.monotonic() + GATHER_SECONDS
    while len(gathered) < most:
        try:
            gathered.append(finished.get(timeout=max(0.0, until - time.monotonic())))
        except queue.Empty:
            break
    return gathered


def _put_indexed(
    finished: queue.SimpleQueue[tuple[int, Future[U]]], index: int, future: Future[U]
) -> None:
    finished.put((index, future))


def _store_as_finished(
    archive: Archive,
    pool: ThreadPoolExecutor,
    work: Callable[[T], U],
    items: Sequence[T],
    store: Callable[[U], None],
    stop: threading.Event,
    *,
    renew: Callable[[], None] | None = None,
    renew_every: float = 0.0,
) -> None:
    """Run `work` on every item in the pool and `store` each outcome here, in the order they
    finish. What has finished by the time one is ready is stored in one group commit, which
    is committed before waiting for more. `renew` (a worker's leases) is called every
    `renew_every` seconds meanwhile, between transactions."""
    finished: queue.SimpleQueue[tuple[int, Future[U]]] = queue.SimpleQueue()
    futures = [pool.submit(work, item) for item in items]
    for index, future in enumerate(futures):
        future.add_done_callback(partial(_put_indexed, finished, index))
    remaining = len(items)
    renew_at = time.monotonic() + renew_every
    while remaining and not stop.is_set():
        if renew and time.monotonic() >= renew_at:
            renew()
            renew_at = time.monotonic() + renew_every
        try:
            ready = [finished.get(timeout=WAIT_STEP)]
        except queue.Empty:
            continue
        ready += _gathered(finished, most=min(remaining, COMMIT_GROUP_SIZE) - 1)
        remaining -= len(ready)
        with archive.grouped_commits():
            for _index, future in sorted(ready, key=lambda pair: pair[0]):
                if not future.cancelled():
                    store(future.result())  # a worker's own bug is raised here
    if stop.is_set():
        for future in futures:
            future.cancel()  # those not started; the others are being cut off


def store_download(
    archive: Archive, download: Download, report: FetchReport, now: datetime
) -> list[tuple[int, str]]:
    """Record one feed's outcome; returns the comment feeds of the entries it stored."""
    feed, result = download.feed, download.result
    if download.error is not None:
        error = download.error
        _record_failure(archive, feed, error.message, error.status, None, now, report)
    elif result is None:
        raise AssertionError("a download without a result or an error")
    elif result.status == GONE:
        archive.record_failure(
            feed,
            message="410 Gone: subscription ended",
            status=GONE,
            fetched=now,
            retry_at=None,
            gone=True,
        )
        report.warnings.append(f"{hide_password(feed.url)}: 410 Gone, the subscription has ended")
    elif result.status in RETRY_LATER:
        message = f"HTTP {result.status}: the server asks to retry later"
        _record_failure(archive, feed, message, result.status, result.retry_after, now, report)
    elif result.status == 304:
        archive.record_success(
            feed, FetchOutcome(result.url, now, 304, result.etag, result.last_modified)
        )
        report.not_modified += 1
    else:
        assert download.parsed is not None
        stored = archive.store_entries(
            feed,
            [copy_input(entry) for entry in download.parsed.entries],
            url=result.url,
            status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            title=download.parsed.title,
            site_url=download.parsed.site_url,
            fetched=now,
            profile=profile_of(download.parsed),
        )
        report.fetched += 1
        report.new_entries += stored.new
        report.updated_entries += stored.updated
        report.unchanged_entries += stored.unchanged
        report.merged += stored.merged
        if result.url != feed.url:
            report.warnings.append(
                f"{hide_password(feed.url)}: moved permanently to {hide_password(result.url)}"
            )
        return stored.comment_feeds
    return []


def _record_failure(
    archive: Archive,
    feed: Feed,
    message: str,
    status: int | None,
    retry_after: float | None,
    now: datetime,
    report: FetchReport,
) -> None:
    delay = max(next_retry_delay(feed.failures + 1), retry_after or 0.0)
    retry_at = now + timedelta(seconds=delay)
    archive.record_failure(feed, message=message, status=status, fetched=now, retry_at=retry_at)
    report.errors.append(f"{hide_password(feed.url)}: {message}")


def profile_of(parsed: ParsedFeed) -> FeedProfile:
    return FeedProfile(parsed.subtitle, parsed.author, parsed.generator, parsed.image_url)


def download_comments(fetcher: Fetcher, feed: CommentFeed) -> CommentDownload:
    """One comment feed, with the validators of its last poll (in a download thread)."""
    try:
        result = fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        comments: tuple[FeedComment, ...] = ()
        if result.content is not None:
            comments = fetcher.parse_response(parse_comments, result)
    except FeedError as error:
        return CommentDownload(feed, error=error, stopped=fetcher.stopped.is_set())
    return CommentDownload(feed, result, comments)


def store_comment_download(
    archive: Archive, download: CommentDownload, *, report: FetchReport, now: datetime
) -> None:
    """Store a comment feed's comments and how polling it went (in the storing thread)."""
    feed, result = download.feed, download.result
    if download.stopped:
        return
    if download.error is not None:
        error = download.error
        _comment_feed_failed(archive, feed, error.message, error.status, None, now, report)
    elif result is None:
        raise AssertionError("a comment download without a result or an error")
    elif result.status == GONE:
        gone = CommentFeedOutcome(now, GONE, error="410 Gone: no more comments", gone=True)
        archive.record_comment_feed(feed, gone)
    elif result.status in RETRY_LATER:
        message = f"HTTP {result.status}: the server asks to retry later"
        _comment_feed_failed(archive, feed, message, result.status, result.retry_after, now, report)
    else:
        if result.status != 304:
            report.comments += archive.store_comments(feed.copy_id, download.comments)
        outcome = CommentFeedOutcome(now, result.status, result.etag, result.last_modified)
        archive.record_comment_feed(feed, outcome)


def _comment_feed_failed(
    archive: Archive,
    feed: CommentFeed,
    message: str,
    status: int | None,
    retry_after: float | None,
    now: datetime,
    report: FetchReport,
) -> None:
    """A comment feed that failed waits, as a feed does; a person hears of it once, when it
    starts failing (it is another site's, and nothing of ours failed)."""
    delay = max(next_retry_delay(feed.failures + 1), retry_after or 0.0)
    outcome = CommentFeedOutcome(
        now, status, error=message, retry_at=now + timedelta(seconds=delay)
    )
    archive.record_comment_feed(feed, outcome)
    if feed.failures == 0:
        report.warnings.append(
            f"{hide_password(feed.url)}: {message} (a comment feed: retried with backoff, "
            "reported again only after it has worked)"
        )


def copy_input(entry: FeedEntry) -> FeedEntry:
    """A parsed entry as the archive stores it: dated by its <updated> when that is all it
    has (Atom entries may have only <updated>)."""
    if entry.published or not entry.updated:
        return entry
    return replace(entry, published=entry.updated)
