"""Reading the archive: its articles with every copy and comment (model.Article), the comments
left elsewhere on copies of our own posts, and what fetching and syncing need to look up."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from syndicate.archive.base import ArchiveBase, from_iso, iso, wrap_exceptions
from syndicate.archive.media import enclosures_of
from syndicate.model import ArchivedComment, ArchivedCopy, Article

# What listing the archive needs of a copy (not its text, which can be large).
COPY_COLUMNS = (
    "id, feed_url, guid, article_id, url, norm_url, title, published, merge_rule,"
    " merge_evidence, is_own, enclosures, image_url"
)


class Queries(ArchiveBase):
    @wrap_exceptions
    def articles(self, *, limit: int | None = None) -> list[Article]:
        """Archive entries, newest first (the newest `limit` of them, by their earliest
        copy's date, when a limit is given)."""
        feeds = feed_titles(self.db)
        wanted = ""
        if limit is not None:
            wanted = (
                " WHERE article_id IN (SELECT article_id FROM copies GROUP BY article_id"
                f" ORDER BY MIN(published) DESC NULLS LAST, article_id DESC LIMIT {int(limit)})"
            )
        copies_by_article: dict[int, list[sqlite3.Row]] = {}
        for row in self.db.execute(f"SELECT {COPY_COLUMNS} FROM copies{wanted} ORDER BY id"):
            copies_by_article.setdefault(row["article_id"], []).append(row)
        copy_ids = {row["id"] for rows in copies_by_article.values() for row in rows}
        comments_by_copy: dict[int, list[sqlite3.Row]] = {}
        for row in self.db.execute("SELECT * FROM comments ORDER BY published NULLS FIRST, id"):
            if row["copy_id"] in copy_ids:
                comments_by_copy.setdefault(row["copy_id"], []).append(row)
        origins_by_copy: dict[int, set[str]] = {}
        for copy_id, origin in self.db.execute("SELECT copy_id, norm_url FROM origins"):
            if copy_id in copy_ids:
                origins_by_copy.setdefault(copy_id, set()).add(origin)
        dated: list[tuple[str, int, Article]] = []
        for article_id, copies in copies_by_article.items():
            named = set().union(*(origins_by_copy.get(row["id"], set()) for row in copies))
            ordered = canonical_first(copies, named)
            article = article_record(article_id, ordered, feeds, comments_by_copy)
            dated.append((ordered[0]["published"] or "", article_id, article))
        dated.sort(key=lambda item: item[:2], reverse=True)  # ISO dates in UTC sort as text
        return [article for _published, _id, article in dated]

    @wrap_exceptions
    def backfed_comments(self) -> dict[str, list[ArchivedComment]]:
        """For each of our own posts (by its page URL), the comments left on its copies
        elsewhere, oldest first."""
        feeds = feed_titles(self.db)
        rows = self.db.execute(
            """SELECT own.url AS own_url, source.url AS source_url, source.feed_url, comment.*
               FROM copies AS own
               JOIN copies AS source
                 ON source.article_id = own.article_id AND source.is_own = 0
               JOIN comments AS comment ON comment.copy_id = source.id
               WHERE own.is_own = 1
               ORDER BY comment.published NULLS FIRST, comment.id"""
        )
        found: dict[str, list[ArchivedComment]] = {}
        for row in rows:
            comment = comment_record(
                row, copy_url=row["source_url"], feed_url=row["feed_url"], on_own=False, feeds=feeds
            )
            found.setdefault(row["own_url"], []).append(comment)
        return found

    @wrap_exceptions
    def recent_comment_feeds(self, since: datetime) -> list[tuple[int, str]]:
        """(copy id, comment feed URL) of copies published since then, of feeds still
        subscribed: conversations that may still be going on, whose comment feeds are polled
        even when their feed is not."""
        rows = self.db.execute(
            "SELECT copies.id, copies.comments_feed_url FROM copies"
            " JOIN feeds ON feeds.url = copies.feed_url AND feeds.gone IS NULL"
            " WHERE copies.comments_feed_url IS NOT NULL AND copies.is_own = 0"
            " AND copies.published >= ? ORDER BY copies.id",
            (iso(since),),
        )
        return [(row[0], row[1]) for row in rows]

    @wrap_exceptions
    def copy_id(self, feed_url: str, guid: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM copies WHERE feed_url = ? AND guid = ?", (feed_url, guid)
        ).fetchone()
        return row[0] if row else None

    @wrap_exceptions
    def synced_digests(self, feed_url: str) -> dict[str, str | None]:
        """guid -> source_digest of a feed's copies (our own posts' versions)."""
        rows = self.db.execute(
            "SELECT guid, source_digest FROM copies WHERE feed_url = ?", (feed_url,)
        )
        return {row[0]: row[1] for row in rows}

    @wrap_exceptions
    def copy_text(self, copy_id: int) -> tuple[str, str]:
        """A copy's (summary_html, content_html), for republishing it."""
        row = self.db.execute(
            "SELECT summary_html, content_html FROM copies WHERE id = ?", (copy_id,)
        ).fetchone()
        return (row[0], row[1]) if row else ("", "")


def feed_titles(db: sqlite3.Connection) -> dict[str, str | None]:
    """Feed URL -> what to call the feed: the name given on subscribing, else its own title."""
    rows = db.execute("SELECT url, name, title FROM feeds")
    return {url: name or title for url, name, title in rows}


def canonical_first(copies: list[sqlite3.Row], named_origins: set[str]) -> list[sqlite3.Row]:
    """Our own post first; else the copy others name as the origin; else the earliest."""

    def rank(row: sqlite3.Row) -> tuple[int, int, str, int]:
        return (
            0 if row["is_own"] else 1,
            0 if row["norm_url"] in named_origins else 1,
            row["published"] or "9999",
            row["id"],
        )

    return sorted(copies, key=rank)


def article_record(
    article_id: int,
    ordered: list[sqlite3.Row],
    feeds: dict[str, str | None],
    comments_by_copy: dict[int, list[sqlite3.Row]],
) -> Article:
    """An article from its copies' rows, canonical first, and their comments' rows."""
    canonical = ordered[0]
    return Article(
        id=article_id,
        title=canonical["title"],
        published=from_iso(canonical["published"]),
        copies=tuple(copy_record(row, feeds) for row in ordered),
        comments=tuple(
            comment_record(
                comment,
                copy_url=row["url"],
                feed_url=row["feed_url"],
                on_own=bool(row["is_own"]),
                feeds=feeds,
            )
            for row in ordered
            for comment in comments_by_copy.get(row["id"], [])
        ),
    )


def copy_record(row: sqlite3.Row, feeds: dict[str, str | None]) -> ArchivedCopy:
    return ArchivedCopy(
        id=row["id"],
        guid=row["guid"],
        url=row["url"],
        feed_url=row["feed_url"],
        feed_title=feeds.get(row["feed_url"]),
        title=row["title"],
        published=from_iso(row["published"]),
        own=bool(row["is_own"]),
        merge_rule=row["merge_rule"],
        merge_evidence=row["merge_evidence"],
        enclosures=enclosures_of(row["enclosures"]),
        image_url=row["image_url"],
    )


def comment_record(
    comment: sqlite3.Row,
    *,
    copy_url: str | None,
    feed_url: str,
    on_own: bool,
    feeds: dict[str, str | None],
) -> ArchivedComment:
    """A comment's row, with the copy it was left on: its URL, its feed, whether it is ours."""
    return ArchivedComment(
        guid=comment["guid"],
        author=comment["author"],
        published=from_iso(comment["published"]),
        url=comment["url"],
        content_html=comment["content_html"],
        source=copy_url or feed_url,
        source_feed=feed_url,
        source_title=feeds.get(feed_url),
        source_is_own=on_own,
    )
