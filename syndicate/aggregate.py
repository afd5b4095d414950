"""Fetching every subscription into the archive: the library behind `syndicate fetch`.

Downloads run in a thread pool (at most a couple of connections per host), parsing in worker
processes when many feeds are due (else in the download threads); storing runs in this
thread, one transaction (a savepoint) per feed, in a stable order so that the same inputs give
the same merges; the feeds' transactions are committed in groups.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from html import escape
from typing import TypeVar

import requests

from syndicate.archive import COMMIT_GROUP_SIZE, OWN_POSTS_FEED, Archive, now_utc
from syndicate.config import Settings
from syndicate.deadline import Deadline
from syndicate.errors import FeedError
from syndicate.fetch import (
    DEADLINE,
    RETRY_LATER,
    FetchResult,
    HostLimiter,
    fetch_url,
    new_session,
    next_retry_delay,
    require_http_url,
)
from syndicate.layout import Layout
from syndicate.model import Comment, Feed, FeedComment, FeedEntry, Post
from syndicate.parse import ParsedFeed, discover_feeds, parse_comments, parse_feed
from syndicate.sources import load_posts
from syndicate.urls import has_userinfo, hide_password, with_userinfo_of, without_userinfo
from syndicate.workers import has_worker_server, worker_pool

GONE = 410
# Due feeds from which a fetch parses in worker processes (parse_workers); fewer are parsed in
# the download threads, as starting the workers would cost more than it saves.
PARSE_IN_WORKERS_FROM = 16
PARSER_MODULES = ("syndicate.parse",)
T = TypeVar("T")
U = TypeVar("U")
WAIT_STEP = 0.2  # seconds between looks at the stop flag while waiting for downloads
GATHER_SECONDS = 0.25  # how long finished feeds are gathered into one commit, at most
# Comments keep coming after a post's feed has moved on: the comment feeds of copies this
# recent are polled on every fetch, not only when their entry changes.
CONVERSATION_WINDOW = timedelta(days=14)


@dataclass
class FetchReport:
    fetched: int = 0
    not_modified: int = 0
    new_entries: int = 0
    updated_entries: int = 0
    merged: int = 0
    comments: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: bool = False  # a signal ended the fetch: what finished was committed


@dataclass(frozen=True)
class Download:
    """What a worker brings back for one feed: a response and its parse, or an error."""

    feed: Feed
    result: FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: FeedError | None = None
    stopped: bool = False  # cut off by a stop: not the feed's failure, nothing to record


class Fetcher:
    """HTTP for worker threads: one requests session per thread, a shared per-host limit, a
    total deadline on each exchange; parsing in worker processes when there are some
    (`parse_workers`), else in the thread. `stop()` cuts off every exchange under way."""

    def __init__(
        self, per_host: int = 2, parsers: ParserPool | None = None, *, deadline: float = DEADLINE
    ) -> None:
        self.limiter = HostLimiter(per_host)
        self.local = threading.local()
        self.parsers = parsers
        self.deadline = deadline
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._running: set[Deadline] = set()

    def parse(self, parser: Callable[[bytes, str], T], content: bytes, url: str) -> T:
        if self.parsers is None:
            return parser(content, url)
        return self.parsers.parse(parser, content, url)

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = new_session()
        return self.local.session

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        with self.limiter.slot(url), self._exchange() as clock:
            return fetch_url(
                self.session(), url, etag=etag, last_modified=last_modified, deadline=clock
            )

    @contextmanager
    def _exchange(self) -> Iterator[Deadline]:
        """A deadline for one exchange, known to `stop()` while it runs."""
        clock = Deadline(self.deadline)
        with self._lock:
            self._running.add(clock)
        try:
            if self.stopped.is_set():
                clock.expire()
            yield clock
        finally:
            with self._lock:
                self._running.discard(clock)

    def stop(self) -> None:
        """Cut off every exchange under way and start no more (a SIGTERM, a Ctrl-C)."""
        self.stopped.set()
        with self._lock:
            running = list(self._running)
        for clock in running:
            clock.expire()

    def download(self, feed: Feed) -> Download:
        try:
            result = self.get(feed.url, etag=feed.etag, last_modified=feed.last_modified)
            body_url = result.final_url or result.url  # where relative links resolve
            parsed = None
            if result.content is not None:
                # Links resolve against the URL less any password, so none is stored in them.
                parsed = self.parse(parse_feed, result.content, without_userinfo(body_url))
                parsed = _comment_feeds_signed_in(parsed, body_url)
        except FeedError as error:
            return Download(feed, error=error, stopped=self.stopped.is_set())
        if result.status == 200 and parsed is None:
            return Download(feed, result, error=FeedError(feed.url, "empty response"))
        return Download(feed, result, parsed)


def _comment_feeds_signed_in(parsed: ParsedFeed, feed_url: str) -> ParsedFeed:
    """A comment feed beside a feed behind a password is fetched with the same credentials."""
    if not has_userinfo(feed_url):
        return parsed
    entries = tuple(
        replace(entry, comments_feed_url=with_userinfo_of(entry.comments_feed_url, feed_url))
        if entry.comments_feed_url else entry
        for entry in parsed.entries
    )  # fmt: skip
    return replace(parsed, entries=entries)


def fetch_all(
    archive: Archive, settings: Settings, *, jobs: int, now: datetime | None = None,
    on_feed_done: Callable[[Feed], None] | None = None, stop: threading.Event | None = None,
) -> FetchReport:  # fmt: skip
    """Fetch every due subscription and its entries' comment feeds; merge and store them.

    Each feed is stored whole or not at all, as soon as it has been downloaded and parsed, in
    whatever order the downloads finish; what is ready is committed together, and no
    transaction is open while waiting on the network, so other commands are held back for a
    commit's time at most. When `stop` is set (a signal), what finished is committed, the
    downloads under way are cut off, and the report says `stopped`."""
    now = now or now_utc()
    stop = stop or threading.Event()
    report = FetchReport()
    sync_own_posts(archive, settings)
    due = archive.due_feeds(now)
    with (
        parse_workers(len(due), jobs) as parsers,
        ThreadPoolExecutor(max_workers=jobs) as pool,
    ):
        fetcher = Fetcher(parsers=parsers, deadline=settings.deadline)
        with _stopping(fetcher, stop):
            comment_feeds: list[tuple[int, str]] = []

            def store_feed(download: Download) -> None:
                if download.stopped:
                    return
                comment_feeds.extend(store_download(archive, download, report, now))
                if on_feed_done:
                    on_feed_done(download.feed)

            _store_as_finished(archive, pool, fetcher.download, due, store_feed, stop)
            if not stop.is_set():
                recent = archive.recent_comment_feeds(now - CONVERSATION_WINDOW)
                comment_feeds += [pair for pair in recent if pair not in comment_feeds]

                def get_comments(pair: tuple[int, str]) -> tuple[int, tuple[FeedComment, ...]]:
                    return pair[0], _download_comments(fetcher, pair[1], report)

                def store_thread(done: tuple[int, tuple[FeedComment, ...]]) -> None:
                    copy_id, comments = done
                    report.comments += archive.store_comments(copy_id, comments)

                _store_as_finished(archive, pool, get_comments, comment_feeds, store_thread, stop)
    report.stopped = stop.is_set()
    return report


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
    archive: Archive, pool: ThreadPoolExecutor, work: Callable[[T], U], items: Sequence[T],
    store: Callable[[U], None], stop: threading.Event,
) -> None:  # fmt: skip
    """Run `work` on every item in the pool and `store` each outcome here, in the order they
    finish. What has finished by the time one is ready is stored in one group commit, which
    is committed before waiting for more."""
    finished: queue.SimpleQueue[tuple[int, Future[U]]] = queue.SimpleQueue()
    futures = [pool.submit(work, item) for item in items]
    for index, future in enumerate(futures):
        future.add_done_callback(partial(_put_indexed, finished, index))
    remaining = len(items)
    while remaining and not stop.is_set():
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


class ParserPool:
    """Worker processes that parse for the download threads. When one dies (a parser crash
    on a hostile feed, the kernel's OOM killer), the feeds being parsed then fail with an
    error, and the pool is replaced for the feeds after them."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.lock = threading.Lock()
        self.pool = worker_pool(workers, preload=PARSER_MODULES)

    def parse(self, parser: Callable[[bytes, str], T], content: bytes, url: str) -> T:
        pool = self.pool
        try:
            return pool.submit(parser, content, url).result()
        except BrokenProcessPool:
            with self.lock:
                if self.pool is pool:  # the first thread to see it replaces it
                    pool.shutdown(wait=False)
                    self.pool = worker_pool(self.workers, preload=PARSER_MODULES)
            message = "the worker process parsing it stopped (a crash, or out of memory)"
            raise FeedError(url, message) from None

    def close(self) -> None:
        self.pool.shutdown()


@contextmanager
def parse_workers(feeds: int, jobs: int) -> Iterator[ParserPool | None]:
    """Worker processes that parse what the download threads bring, when there are enough
    feeds to repay starting them (and a second core): parsing is most of a fetch's CPU, and
    in the download threads it held the GIL that storing waits for. At most `jobs` of them,
    as there are at most `jobs` downloads to parse at once."""
    cores = os.cpu_count() or 1
    if feeds < PARSE_IN_WORKERS_FROM or cores < 2 or not has_worker_server():
        yield None
        return
    parsers = ParserPool(min(jobs, cores))
    try:
        yield parsers
    finally:
        parsers.close()


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
        archive.record_failure(feed, message="410 Gone: subscription ended", status=GONE,
                               fetched=now, retry_at=None, gone=True)  # fmt: skip
        report.notes.append(f"{hide_password(feed.url)}: 410 Gone, the subscription has ended")
    elif result.status in RETRY_LATER:
        message = f"HTTP {result.status}: the server asks to retry later"
        _record_failure(archive, feed, message, result.status, result.retry_after, now, report)
    elif result.status == 304:
        archive.record_success(feed, url=result.url, status=304, etag=result.etag,
                               last_modified=result.last_modified, title=None, site_url=None,
                               fetched=now)  # fmt: skip
        report.not_modified += 1
    else:
        assert download.parsed is not None
        stored = archive.store_entries(
            feed, [copy_input(entry) for entry in download.parsed.entries], url=result.url,
            status=result.status, etag=result.etag, last_modified=result.last_modified,
            title=download.parsed.title, site_url=download.parsed.site_url, fetched=now,
        )  # fmt: skip
        report.fetched += 1
        report.new_entries += stored.new
        report.updated_entries += stored.updated
        report.merged += stored.merged
        if result.url != feed.url:
            report.notes.append(
                f"{hide_password(feed.url)}: moved permanently to {hide_password(result.url)}"
            )
        return stored.comment_feeds
    return []


def _record_failure(
    archive: Archive, feed: Feed, message: str, status: int | None, retry_after: float | None,
    now: datetime, report: FetchReport,
) -> None:  # fmt: skip
    delay = max(next_retry_delay(feed.failures + 1), retry_after or 0.0)
    retry_at = now + timedelta(seconds=delay)
    archive.record_failure(feed, message=message, status=status, fetched=now, retry_at=retry_at)
    report.errors.append(f"{hide_password(feed.url)}: {message}")


def _download_comments(fetcher: Fetcher, url: str, report: FetchReport) -> tuple[FeedComment, ...]:
    try:
        result = fetcher.get(url)
        if result.content is None:
            return ()
        body_url = without_userinfo(result.final_url or result.url)
        return fetcher.parse(parse_comments, result.content, body_url)
    except FeedError as error:
        report.errors.append(f"comments {error}")
        return ()


def copy_input(entry: FeedEntry) -> FeedEntry:
    """A parsed entry as the archive stores it: dated by its <updated> when that is all it
    has (Atom entries may have only <updated>)."""
    if entry.published or not entry.updated:
        return entry
    return replace(entry, published=entry.updated)


def sync_own_posts(
    archive: Archive, settings: Settings, posts: Iterable[Post] | None = None,
    *, full: Callable[[Post], Post] = lambda post: post,
) -> None:  # fmt: skip
    """The site's own posts take part in every merge, as copies of a feed of kind 'own'.

    Only posts whose file changed since they were last synced are stored again."""
    if posts is None:
        if not settings.posts.is_dir():
            return
        posts = load_posts(settings.posts, zone=settings.zone).posts
    layout = Layout.for_settings(settings)
    posts = list(posts)
    own = archive.feed(OWN_POSTS_FEED) or archive.ensure_feed(OWN_POSTS_FEED, kind="own")
    synced = archive.synced_digests(OWN_POSTS_FEED)
    changed = [
        full(post)
        for post in posts
        if not post.digest or synced.get(layout.post_id(post)) != post.digest
    ]
    if changed:
        copies = [own_copy(post, layout) for post in changed]
        archive.store_entries(own, copies, title=settings.title, site_url=settings.base_url)
    current = {layout.post_id(post) for post in posts}
    if set(synced) - current:
        archive.prune_copies(OWN_POSTS_FEED, current)
    for post in changed:
        copy_id = archive.copy_id(OWN_POSTS_FEED, layout.post_id(post))
        if copy_id is not None and post.comments:
            archive.store_comments(copy_id, (own_comment(post, c, layout) for c in post.comments))


def own_copy(post: Post, layout: Layout) -> FeedEntry:
    return FeedEntry(
        guid=layout.post_id(post), url=layout.url(layout.post_page(post)), title=post.title,
        author=post.author, published=post.published, updated=post.updated,
        summary_html=escape(post.summary, quote=False), content_html=post.content_html,
        source_digest=post.digest or None,
    )  # fmt: skip


def own_comment(post: Post, comment: Comment, layout: Layout) -> FeedComment:
    return FeedComment(
        guid=layout.comment_id(post, comment), author=comment.author, published=comment.published,
        url=layout.comment_url(post, comment), content_html=comment.content_html,
    )  # fmt: skip


def subscribe(
    archive: Archive, url: str, *, name: str | None = None, deadline: float = DEADLINE
) -> tuple[Feed, str | None]:
    """Subscribe to a feed URL, or to the first feed a site page advertises.

    Only http(s) URLs are taken (UnsupportedURL). Returns the subscription and, when the URL
    could not be checked now, why (it is kept: a feed that is down today is fetched, with
    backoff, by later runs)."""
    require_http_url(url)
    fetcher = Fetcher(deadline=deadline)
    try:
        result = fetcher.get(url)
    except FeedError as error:
        return archive.subscribe(url, name=name), str(error)
    if result.content is None:
        return archive.subscribe(result.url, name=name), None
    problem = _feed_problem(result.content, result.url)
    if problem is None:
        return archive.subscribe(result.url, name=name), None
    if not _is_html(result):
        raise problem
    for advertised in discover_feeds(result.content, result.url):
        try:
            candidate = fetcher.get(advertised)
        except FeedError:
            continue
        if (
            candidate.content is not None
            and _feed_problem(candidate.content, candidate.url) is None
        ):
            return archive.subscribe(candidate.url, name=name), None
    raise FeedError(url, "an HTML page that advertises no feed that can be read")


def _feed_problem(content: bytes, url: str) -> FeedError | None:
    try:
        parse_feed(content, url)
    except FeedError as error:
        return error
    return None


def _is_html(result: FetchResult) -> bool:
    if result.content_type and "html" in result.content_type.lower():
        return True
    start = (result.content or b"")[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))
