"""Manual merges and splits: decisions a person made about which copies are one article.
Each is recorded as an override (the copies named by feed and guid) besides being applied."""

from __future__ import annotations

import json
import sqlite3

from syndicate.archive.base import ArchiveBase, iso, now_utc, wrap_exceptions
from syndicate.archive.store import ARTICLES_LOCK
from syndicate.errors import ArchiveError, NotFound


class Overrides(ArchiveBase):
    @wrap_exceptions
    def merge_articles(self, keep: int, other: int) -> None:
        """Put every copy of article `other` into article `keep`; later fetches keep it so."""
        with self.transaction() as db:
            db.lock_keys([ARTICLES_LOCK])  # no store places a copy in `other` meanwhile
            require_article(db, keep)
            require_article(db, other)
            if keep == other:
                raise ArchiveError(f"entry {keep} cannot be merged with itself")
            db.execute(
                "UPDATE copies SET merge_rule = 'manual', merge_evidence = ? WHERE article_id = ?",
                (f"merged by hand into entry {keep}", other),
            )
            db.execute("UPDATE copies SET article_id = ? WHERE article_id = ?", (keep, other))
            db.execute("DELETE FROM articles WHERE id = ?", (other,))
            db.execute(
                "INSERT INTO overrides (action, copy_key, other_key, made)"
                " VALUES ('merge', ?, ?, ?)",
                (article_key(db, keep), str(other), iso(now_utc())),
            )

    @wrap_exceptions
    def split_copy(self, article: int, copy_id: int) -> int:
        """Take a copy out of its article into an article of its own; returns the new entry id."""
        with self.transaction() as db:
            db.lock_keys([ARTICLES_LOCK])  # the copy is split from the article as stored now
            require_article(db, article)
            row = db.execute(
                "SELECT feed_url, guid FROM copies WHERE id = ? AND article_id = ?",
                (copy_id, article),
            ).fetchone()
            if not row:
                raise NotFound("copy", copy_id, f"entry {article} has no copy {copy_id}")
            (copies,) = db.execute(
                "SELECT COUNT(*) FROM copies WHERE article_id = ?", (article,)
            ).fetchone()
            if copies < 2:
                raise ArchiveError(f"copy {copy_id} is the only copy of entry {article}")
            new_article = db.execute("INSERT INTO articles DEFAULT VALUES").lastrowid
            db.execute(
                """UPDATE copies SET article_id = ?, merge_rule = 'manual',
                       merge_evidence = ? WHERE id = ?""",
                (new_article, f"split by hand from entry {article}", copy_id),
            )
            db.execute(
                "INSERT INTO overrides (action, copy_key, other_key, made)"
                " VALUES ('split', ?, ?, ?)",
                (json.dumps([row["feed_url"], row["guid"]]), str(article), iso(now_utc())),
            )
            assert new_article is not None
            return new_article


def require_article(db: sqlite3.Connection, article: int) -> None:
    if not db.execute("SELECT 1 FROM articles WHERE id = ?", (article,)).fetchone():
        raise NotFound("entry", article, f"no archive entry {article}")


def article_key(db: sqlite3.Connection, article: int) -> str:
    """The article as its first copy names it (feed URL and guid), which outlives its id."""
    rows = db.execute(
        "SELECT feed_url, guid FROM copies WHERE article_id = ? ORDER BY id LIMIT 1", (article,)
    ).fetchone()
    return json.dumps([rows["feed_url"], rows["guid"]]) if rows else str(article)
