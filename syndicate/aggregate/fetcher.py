"""Downloading and parsing one feed for `fetch`: a requests session per thread, a per-host
limit, a total deadline per exchange that `stop()` can cut short, and worker processes that
parse what the download threads bring when many feeds are due."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import requests

from syndicate.aggregate.deadline import Deadline
from syndicate.aggregate.http import (
    DEADLINE,
    FetchResult,
    HostLimiter,
    fetch_url,
    new_session,
)
from syndicate.aggregate.parse import ParsedFeed, parse_feed
from syndicate.errors import FeedError
from syndicate.model import Feed
from syndicate.urls import has_userinfo, with_userinfo_of, without_userinfo
from syndicate.workers import has_worker_server, worker_pool

if TYPE_CHECKING:
    from syndicate.archive.claims import HostSlots

# Due feeds from which a fetch parses in worker processes (parse_workers); fewer are parsed in
# the download threads, as starting the workers would cost more than it saves.
PARSE_IN_WORKERS_FROM = 16
PARSER_MODULES = ("syndicate.aggregate.parse",)
T = TypeVar("T")


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
        self,
        per_host: int = 2,
        parsers: ParserPool | None = None,
        *,
        deadline: float = DEADLINE,
        host_slots: HostSlots | None = None,
    ) -> None:
        self.stopped = threading.Event()
        self.limiter = (
            SharedHostLimiter(host_slots, self.stopped) if host_slots else HostLimiter(per_host)
        )
        self.local = threading.local()
        self.parsers = parsers
        self.deadline = deadline
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

    def parse_response(self, parser: Callable[..., T], result: FetchResult) -> T:
        """Parse a response's body with its Content-Type and Content-Location; links resolve
        against its URL less any password, so that none is stored in them."""
        assert result.content is not None
        reader = partial(
            parser,
            content_type=result.content_type,
            content_location=result.content_location,
        )
        return self.parse(reader, result.content, without_userinfo(result.body_url))

    def download(self, feed: Feed) -> Download:
        try:
            result = self.get(feed.url, etag=feed.etag, last_modified=feed.last_modified)
            parsed = None
            if result.content is not None:
                parsed = self.parse_response(parse_feed, result)
                parsed = _comment_feeds_signed_in(parsed, result.body_url)
        except FeedError as error:
            return Download(feed, error=error, stopped=self.stopped.is_set())
        if result.status == 200 and parsed is None:
            return Download(feed, result, error=FeedError(feed.url, "empty response"))
        return Download(feed, result, parsed)


class SharedHostLimiter(HostLimiter):
    """The per-host limit across several fetch workers of one archive: a slot of this
    process's (threads wait here first), then one of the host's slots in the database (see
    archive/claims.py HostSlots), held while the request is in flight."""

    def __init__(self, slots: HostSlots, stopped: threading.Event) -> None:
        super().__init__(slots.per_host)
        self.slots = slots
        self.stopped = stopped

    def slot(self, url: str) -> AbstractContextManager[None]:
        return self._shared(urlsplit(url).hostname or url)

    @contextmanager
    def _shared(self, host: str) -> Iterator[None]:
        with self._semaphore(host):
            held = self.slots.take(host, self.stopped)  # None once stopped: cut off anyway
            try:
                yield
            finally:
                if held is not None:
                    self.slots.give_back(held)


def _comment_feeds_signed_in(parsed: ParsedFeed, feed_url: str) -> ParsedFeed:
    """A comment feed beside a feed behind a password is fetched with the same credentials."""
    if not has_userinfo(feed_url):
        return parsed
    entries = tuple(
        replace(entry, comments_feed_url=with_userinfo_of(entry.comments_feed_url, feed_url))
        if entry.comments_feed_url
        else entry
        for entry in parsed.entries
    )
    return replace(parsed, entries=entries)


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
