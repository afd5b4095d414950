"""Subscriptions: following and leaving feeds, and what each fetch of one says (validators,
failures and when to try again, a permanent move)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields
from datetime import datetime

from syndicate.archive.base import ArchiveBase, from_iso, iso, now_utc, wrap_exceptions
from syndicate.errors import AlreadySubscribed, ArchiveError, NotFound
from syndicate.model import Feed
from syndicate.urls import hide_password


@dataclass(frozen=True)
class FeedProfile:
    """What a feed says of itself besides its title and site, as the parser cleaned it
    (plain text, http(s) URLs): its subtitle or description, author, generator and image."""

    subtitle: str | None = None
    author: str | None = None
    generator: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class FetchOutcome:
    """What a fetch that worked says of its feed: where it lives from now on, its validators,
    its title and site (None: keep what is stored), its profile (None: keep what is stored,
    as after a 304), and when it was fetched."""

    url: str
    fetched: datetime
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    site_url: str | None = None
    profile: FeedProfile | None = None


class LeaseLost(ArchiveError):
    """A feed's lease ended and another worker took it over: what this one fetched of it is
    not stored (the other's is)."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"{url}: taken over by another worker after the lease ended")

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.url,))


class Subscriptions(ArchiveBase):
    @wrap_exceptions
    def subscribe(self, url: str, *, name: str | None = None, kind: str = "feed") -> Feed:
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone():
                raise AlreadySubscribed(url)
            db.execute(
                "INSERT INTO feeds (url, name, kind, added) VALUES (?, ?, ?, ?)",
                (url, name, kind, iso(now_utc())),
            )
        return self._existing_feed(url)

    @wrap_exceptions
    def ensure_feed(self, url: str, *, kind: str) -> Feed:
        """The feed, subscribed now if it was not (at once with another process, too)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO feeds (url, kind, added) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (url, kind, iso(now_utc())),
            )
        return self._existing_feed(url)

    @wrap_exceptions
    def unsubscribe(self, url: str) -> None:
        """End a subscription; what it brought into the archive stays there."""
        with self.transaction() as db:
            if not db.execute("DELETE FROM feeds WHERE url = ? AND kind = 'feed'", (url,)).rowcount:
                raise NotFound("subscription", url, f"{hide_password(url)}: not subscribed")

    @wrap_exceptions
    def feed(self, url: str) -> Feed | None:
        row = self.db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return feed_record(row) if row else None

    def _existing_feed(self, url: str) -> Feed:
        feed = self.feed(url)
        assert feed is not None
        return feed

    @wrap_exceptions
    def feeds(self, *, kind: str = "feed") -> list[Feed]:
        rows = self.db.execute("SELECT * FROM feeds WHERE kind = ? ORDER BY url", (kind,))
        return [feed_record(row) for row in rows]

    @wrap_exceptions
    def due_feeds(self, moment: datetime) -> list[Feed]:
        return [feed for feed in self.feeds() if not feed.gone and is_due(feed, moment)]

    @wrap_exceptions
    def feed_profiles(self) -> dict[str, FeedProfile]:
        """Subscription URL -> what the feed last said of itself."""
        rows = self.db.execute(
            "SELECT url, subtitle, author, generator, image_url FROM feeds WHERE kind = 'feed'"
        )
        return {row["url"]: FeedProfile(*tuple(row)[1:]) for row in rows}

    @wrap_exceptions
    def record_success(self, feed: Feed, outcome: FetchOutcome) -> None:
        """Cache validators and clear failures; a permanent redirect moves the subscription."""
        with self.transaction() as db:
            update_feed_fetch(db, feed, outcome, worker=self.worker)

    @wrap_exceptions
    def record_failure(
        self,
        feed: Feed,
        *,
        message: str,
        status: int | None,
        fetched: datetime,
        retry_at: datetime | None,
        gone: bool = False,
    ) -> None:
        """Note why a fetch failed and when to try again; the feed's copies are untouched."""
        with self.transaction() as db:
            recorded = db.execute(
                f"""UPDATE feeds SET last_fetched = ?, last_status = ?, failures = failures + 1,
                       next_due = ?, last_error = ?, gone = CASE WHEN ? THEN ? ELSE gone END,
                       {RELEASED}""",
                (
                    iso(fetched),
                    status,
                    iso(retry_at),
                    message,
                    gone,
                    iso(fetched),
                    feed.id,
                    self.worker,
                ),
            )
            require_lease(db, recorded.rowcount, feed)


def is_due(feed: Feed, moment: datetime) -> bool:
    due = from_iso(feed.next_due)
    return due is None or due <= moment


# The end of an UPDATE that records a fetch of a feed: the feed's lease is released, and only
# by the worker holding it (or when none does: SQLite, a single fetch).
RELEASED = (
    "leased_by = NULL, lease_until = NULL WHERE id = ? AND (leased_by IS NULL OR leased_by = ?)"
)


def require_lease(db: sqlite3.Connection, updated: int, feed: Feed) -> None:
    """Raise LeaseLost when the UPDATE fenced by RELEASED found the feed leased by another
    worker (the caller's transaction is then rolled back)."""
    if not updated and db.execute("SELECT 1 FROM feeds WHERE id = ?", (feed.id,)).fetchone():
        raise LeaseLost(hide_password(feed.url))


def update_feed_fetch(
    db: sqlite3.Connection, feed: Feed, outcome: FetchOutcome, *, worker: str | None = None
) -> None:
    """A fetch that worked, inside the caller's transaction: the validators and title it
    brought, failures cleared, the lease released; a feed found at a new URL moves there
    with its copies. The feed leased by another `worker` than this one raises LeaseLost."""
    url = outcome.url
    if url != feed.url:
        if db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone():
            db.execute("DELETE FROM feeds WHERE id = ?", (feed.id,))  # already subscribed there
            return
        db.execute("UPDATE copies SET feed_url = ? WHERE feed_url = ?", (url, feed.url))
    if outcome.profile is not None:
        profile = outcome.profile
        db.execute(
            "UPDATE feeds SET subtitle = ?, author = ?, generator = ?, image_url = ? WHERE id = ?",
            (profile.subtitle, profile.author, profile.generator, profile.image_url, feed.id),
        )
    recorded = db.execute(
        f"""UPDATE feeds SET url = ?, etag = COALESCE(?, etag),
               last_modified = COALESCE(?, last_modified), title = COALESCE(?, title),
               site_url = COALESCE(?, site_url), last_fetched = ?, last_status = ?,
               failures = 0, next_due = NULL, last_error = NULL, {RELEASED}""",
        (
            url,
            outcome.etag,
            outcome.last_modified,
            outcome.title,
            outcome.site_url,
            iso(outcome.fetched),
            outcome.status,
            feed.id,
            worker,
        ),
    )
    require_lease(db, recorded.rowcount, feed)


def feed_record(row: sqlite3.Row) -> Feed:
    return Feed(**{field.name: row[field.name] for field in FEED_FIELDS})


FEED_FIELDS = fields(Feed)  # each is a column of the feeds table
