"""The comment feeds of other sites' copies, polled as feeds are: validators for a
conditional GET, failures with a time to try again (backoff), gone when they say 410.

A copy has one comment feed (its `comments_feed_url`); its state is a row keyed by the copy,
made by the first poll (or, with several workers on PostgreSQL, by the first claim of it:
archive/claims.py) and reset when the copy names another URL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from syndicate.archive.base import ArchiveBase, chunks, from_iso, iso, wrap_exceptions

COMMENT_FEED_COLUMNS = (
    "url, etag, last_modified, last_fetched, last_status, failures, next_due, last_error, gone"
)


@dataclass(frozen=True)
class CommentFeed:
    """One copy's comment feed and how polling it went (dates ISO 8601 text in UTC)."""

    copy_id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_fetched: str | None = None
    last_status: int | None = None
    failures: int = 0
    next_due: str | None = None
    last_error: str | None = None
    gone: str | None = None

    def is_due(self, moment: datetime) -> bool:
        due = from_iso(self.next_due)
        return not self.gone and (due is None or due <= moment)

    def to_json(self) -> dict[str, object]:
        """As `subscriptions --json` lists a failing one (without the copy's number)."""
        shown = asdict(self)
        del shown["copy_id"]
        return shown


@dataclass(frozen=True)
class CommentFeedOutcome:
    """What one poll of a comment feed said. `error` None: it worked (`status` 200 or 304,
    validators to keep); else `retry_at` says when to try again (None with `gone`: never)."""

    fetched: datetime
    status: int | None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    gone: bool = False


class CommentFeeds(ArchiveBase):
    @wrap_exceptions
    def due_comment_feeds(
        self, feeds: Iterable[tuple[int, str]], moment: datetime
    ) -> list[CommentFeed]:
        """Of these (copy id, comment feed URL) pairs, in order and once each, the comment
        feeds to poll now, with their stored validators: those never polled, those whose
        copy names a new URL, and the others unless they back off or are gone."""
        wanted = list(dict.fromkeys(feeds))
        known = self._comment_feeds({copy_id for copy_id, _url in wanted})
        due = []
        for copy_id, url in wanted:
            state = known.get(copy_id)
            if state is None or state.url != url:
                due.append(CommentFeed(copy_id, url))
            elif state.is_due(moment):
                due.append(state)
        return due

    @wrap_exceptions
    def record_comment_feed(self, feed: CommentFeed, outcome: CommentFeedOutcome) -> None:
        """Note how polling a comment feed went: validators kept and failures cleared when it
        worked, else one failure more and when to try again; its lease released. One whose
        lease another worker has taken over (this one was too slow) is left to that one."""
        failed = outcome.error is not None
        if failed:  # the validators the next try sends stay those of the last success
            etag, last_modified, failures = feed.etag, feed.last_modified, feed.failures + 1
        else:
            etag, last_modified, failures = outcome.etag, outcome.last_modified, 0
        with self.transaction() as db:
            db.execute(
                f"""INSERT INTO comment_feeds (copy_id, {COMMENT_FEED_COLUMNS})
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (copy_id) DO UPDATE SET url = excluded.url,
                        etag = excluded.etag, last_modified = excluded.last_modified,
                        last_fetched = excluded.last_fetched,
                        last_status = excluded.last_status, failures = excluded.failures,
                        next_due = excluded.next_due, last_error = excluded.last_error,
                        gone = excluded.gone, leased_by = NULL, lease_until = NULL
                    WHERE comment_feeds.leased_by IS NULL OR comment_feeds.leased_by = ?""",
                (
                    feed.copy_id,
                    feed.url,
                    etag,
                    last_modified,
                    iso(outcome.fetched),
                    outcome.status,
                    failures,
                    iso(outcome.retry_at) if failed else None,
                    outcome.error,
                    iso(outcome.fetched) if outcome.gone else None,
                    self.worker,
                ),
            )

    @wrap_exceptions
    def comment_feeds_by_subscription(self) -> dict[str, list[CommentFeed]]:
        """Subscription URL -> the comment feeds polled for its copies, by copy (not those
        only claimed by a worker so far: a claim makes a row, a poll dates it)."""
        rows = self.db.execute(
            f"""SELECT comment_feeds.copy_id, {_qualified(COMMENT_FEED_COLUMNS)},
                       copies.feed_url AS subscription
                FROM comment_feeds JOIN copies ON copies.id = comment_feeds.copy_id
                WHERE comment_feeds.last_fetched IS NOT NULL
                ORDER BY comment_feeds.copy_id"""
        )
        found: dict[str, list[CommentFeed]] = {}
        for row in rows:
            found.setdefault(row["subscription"], []).append(comment_feed_record(row))
        return found

    def _comment_feeds(self, copy_ids: set[int]) -> dict[int, CommentFeed]:
        found: dict[int, CommentFeed] = {}
        for chunk in chunks(sorted(copy_ids)):
            rows = self.db.execute(
                f"SELECT copy_id, {COMMENT_FEED_COLUMNS} FROM comment_feeds"
                f" WHERE copy_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update((row["copy_id"], comment_feed_record(row)) for row in rows)
        return found


def _qualified(columns: str) -> str:
    return ", ".join(f"comment_feeds.{column.strip()}" for column in columns.split(","))


def comment_feed_record(row: sqlite3.Row) -> CommentFeed:
    return CommentFeed(
        copy_id=row["copy_id"],
        url=row["url"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_fetched=row["last_fetched"],
        last_status=row["last_status"],
        failures=row["failures"],
        next_due=row["next_due"],
        last_error=row["last_error"],
        gone=row["gone"],
    )
