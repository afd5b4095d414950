"""The public Python API, re-exported by `syndicate/__init__.py`; the CLI only wraps it.

    import syndicate

    settings = syndicate.load_settings(overrides={"posts": "posts", "output": "public"})
    report = syndicate.build(settings)
    for problem in report.problems:
        print(problem.path, problem.line, problem.message)

    with syndicate.open_archive(settings) as archive:
        archive.subscribe("https://example.org/feed/")
        archive.fetch()
        for article in archive.articles():
            ...

Heavy modules (feedgen, requests, lxml) are imported by the calls that use them, so that
`import syndicate` and a build with nothing to do stay cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syndicate.config import Settings

if TYPE_CHECKING:
    from syndicate.aggregate import FetchReport
    from syndicate.archive import Archive, CommentFeed, Feed, FeedProfile
    from syndicate.archive.copy import CopyReport, Progress
    from syndicate.publish import PublishReport
    from syndicate.site.backfeed import Redaction
    from syndicate.site.report import BuildReport
    from syndicate.wordpress import ImportReport


def build(settings: Settings) -> BuildReport:
    """Write the site for `settings` (posts, archive) into its output folder."""
    from syndicate.site.build import build_site

    return build_site(settings)


def publish(settings: Settings, *, stop: threading.Event | None = None) -> PublishReport:
    """What cron runs: fetch (when subscribed), build, ping the WebSub hub, under the lock."""
    from syndicate.publish import publish as publish_site

    return publish_site(settings, stop=stop)


def import_wordpress(
    settings: Settings, export: Path, posts_dir: Path, *, force: bool = False
) -> ImportReport:
    """Write each post and page of a WordPress export (WXR) into `posts_dir` as Markdown with
    its comments, in the site's time zone; files edited since the last import are kept."""
    from syndicate.wordpress import import_wordpress as import_export

    return import_export(export, posts_dir, zone=settings.zone, force=force)


def copy_archive(
    source: Path | str, dest: Path | str, *, progress: Progress | None = None
) -> CopyReport:
    """Copy the archive at `source` (a SQLite file or a `postgresql://` URL) into `dest`,
    which must be empty or missing: every subscription with its validators and backoff,
    every article, copy, merge decision, override, comment and comment feed, with their
    ids, read at one moment of `source`. `progress(table, rows)` hears of each table."""
    from syndicate.archive import Archive
    from syndicate.archive.copy import copy_archive as copy_all
    from syndicate.archive.copy import source_exists
    from syndicate.errors import NotFound

    if not source_exists(source):
        raise NotFound("archive", str(source), f"{source}: no archive there to copy")
    with Archive(source) as reading, Archive(dest) as writing:
        return copy_all(reading, writing, progress=progress)


@dataclass(frozen=True)
class Subscribed:
    """A new subscription; `unchecked` says why the URL could not be checked now, if so."""

    feed: Feed
    unchecked: str | None = None


@dataclass(frozen=True)
class Subscription:
    """A subscription as `subscriptions` lists it: the feed, what it says of itself (plain
    text, http(s) URLs) and the comment feeds of its copies."""

    feed: Feed
    profile: FeedProfile
    comment_feeds: tuple[CommentFeed, ...] = ()

    def failing_comment_feeds(self) -> list[CommentFeed]:
        return [each for each in self.comment_feeds if each.failures or each.gone]

    def redacted(self, shown: Redaction) -> Subscription:
        """With every URL and error as `shown` shows them (no password on a screen)."""
        return replace(
            self,
            feed=shown.feed(self.feed),
            comment_feeds=tuple(
                replace(each, url=shown.show(each.url), last_error=shown.some_text(each.last_error))
                for each in self.comment_feeds
            ),
        )

    def to_json(self) -> dict[str, object]:
        """As `subscriptions --json` prints it: the feed's fields, its profile's, and its
        comment feeds: how many are polled, and those failing or gone."""
        return {
            **self.feed.to_json(),
            **asdict(self.profile),
            "comment_feeds": {
                "polled": len(self.comment_feeds),
                "failing": [each.to_json() for each in self.failing_comment_feeds()],
            },
        }


@dataclass
class OpmlImport:
    """What importing an OPML file did: feeds added, already there, and entries skipped."""

    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not http(s) feed addresses


class OpenArchive:
    """The archive of `settings`, open: subscriptions, fetching, articles, manual merges."""

    def __init__(self, archive: Archive, settings: Settings) -> None:
        self.store = archive
        self.settings = settings

    def subscribe(self, url: str, *, name: str | None = None) -> Subscribed:
        """Follow a feed URL, or the first feed a site page advertises (http(s) only)."""
        from syndicate.aggregate import subscribe

        feed, unchecked = subscribe(self.store, url, name=name, deadline=self.settings.deadline)
        return Subscribed(feed, unchecked)

    def import_opml(self, path: Path) -> OpmlImport:
        """Subscribe to every feed of an OPML file without fetching them (fetch checks them)."""
        from syndicate.aggregate.opml import read_opml

        listing = read_opml(path)
        done = OpmlImport(skipped=list(listing.skipped))
        for outline in listing.outlines:
            if self.store.feed(outline.url):
                done.already.append(outline.url)
                continue
            self.store.subscribe(outline.url, name=outline.title)
            done.added.append(outline.url)
        return done

    def unsubscribe(self, url: str) -> None:
        """Stop following a feed; what it brought into the archive stays."""
        self.store.unsubscribe(url)

    def subscriptions(self) -> list[Feed]:
        return self.store.feeds()

    def subscription_details(self) -> list[Subscription]:
        """Every subscription with what its feed says of itself and the comment feeds of
        its copies (how polling each went)."""
        from syndicate.archive import FeedProfile

        profiles = self.store.feed_profiles()
        comment_feeds = self.store.comment_feeds_by_subscription()
        return [
            Subscription(
                feed,
                profiles.get(feed.url, FeedProfile()),
                tuple(comment_feeds.get(feed.url, ())),
            )
            for feed in self.store.feeds()
        ]

    def fetch(
        self,
        *,
        jobs: int | None = None,
        on_feed_done: Callable[[Feed], None] | None = None,
        stop: threading.Event | None = None,
    ) -> FetchReport:
        """Fetch every due feed and its comment feeds; merge and store them."""
        from syndicate.aggregate import fetch_all

        return fetch_all(
            self.store,
            self.settings,
            jobs=jobs or self.settings.jobs,
            on_feed_done=on_feed_done,
            stop=stop,
        )

    def due(self) -> int:
        """How many subscriptions a fetch now would fetch."""
        from syndicate.archive import now_utc

        return len(self.store.due_feeds(now_utc()))

    def articles(self, *, limit: int | None = None) -> list[Any]:
        """Every article, newest first, with its copies and comments."""
        return self.store.articles(limit=limit)

    def merge(self, entry: int, other: int) -> None:
        """Merge entry `other` into `entry`; later fetches keep them together."""
        self.store.merge_articles(entry, other)

    def split(self, entry: int, copy: int) -> int:
        """Take `copy` out of `entry` into an entry of its own; returns the new entry."""
        return self.store.split_copy(entry, copy)


@contextmanager
def open_archive(settings: Settings) -> Iterator[OpenArchive]:
    """The archive of `settings` (a SQLite file or a PostgreSQL database), open for the block
    (created when missing)."""
    from syndicate.archive import Archive

    with Archive(settings.archive) as archive:
        yield OpenArchive(archive, settings)
