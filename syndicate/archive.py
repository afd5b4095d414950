"""The SQLite archive: subscriptions, every copy of every article, merge decisions, comments.

Schema versioned with PRAGMA user_version and migrated on open. Each fetched feed is stored in
one transaction (a fetch commits them in groups), so a failed or interrupted store leaves the
archive as it was before that feed. SQLite errors are
translated into ArchiveError here and nowhere else.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from syndicate.errors import ArchiveBusy, ArchiveError
from syndicate.merge import (
    DATE_WINDOW,
    CopyFacts,
    Evidence,
    normalize_url,
    same_article,
    title_key,
)
from syndicate.urls import hide_password

MIGRATIONS: tuple[str, ...] = (
    # 1: subscriptions, copies grouped into articles, origins and comments of copies.
    """
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        name TEXT,
        title TEXT,
        site_url TEXT,
        kind TEXT NOT NULL DEFAULT 'feed' CHECK (kind IN ('feed', 'own')),
        etag TEXT,
        last_modified TEXT,
        added TEXT NOT NULL,
        last_fetched TEXT,
        last_status INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        next_due TEXT,
        last_error TEXT,
        gone TEXT
    );
    CREATE TABLE articles (id INTEGER PRIMARY KEY);
    CREATE TABLE copies (
        id INTEGER PRIMARY KEY,
        feed_url TEXT NOT NULL,
        guid TEXT NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        url TEXT,
        norm_url TEXT,
        title TEXT NOT NULL,
        title_key TEXT NOT NULL,
        author TEXT,
        published TEXT,
        updated TEXT,
        summary_html TEXT NOT NULL DEFAULT '',
        content_html TEXT NOT NULL DEFAULT '',
        comments_feed_url TEXT,
        merge_rule TEXT,
        merge_evidence TEXT,
        is_own INTEGER NOT NULL DEFAULT 0,
        UNIQUE (feed_url, guid)
    );
    CREATE INDEX copies_by_article ON copies(article_id);
    CREATE INDEX copies_by_norm_url ON copies(norm_url);
    CREATE INDEX copies_by_title_key ON copies(title_key);
    CREATE TABLE origins (
        copy_id INTEGER NOT NULL REFERENCES copies(id) ON DELETE CASCADE,
        norm_url TEXT NOT NULL,
        PRIMARY KEY (norm_url, copy_id)
    ) WITHOUT ROWID;
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        copy_id INTEGER NOT NULL REFERENCES copies(id) ON DELETE CASCADE,
        guid TEXT NOT NULL,
        author TEXT NOT NULL,
        published TEXT,
        url TEXT,
        content_html TEXT NOT NULL,
        UNIQUE (copy_id, guid)
    );
    CREATE TABLE overrides (
        id INTEGER PRIMARY KEY,
        action TEXT NOT NULL CHECK (action IN ('merge', 'split')),
        copy_key TEXT NOT NULL,
        other_key TEXT,
        made TEXT NOT NULL
    );
    """,
    # 2: an origin is an article the copy says it copies, or a feed/site it says it came from.
    """
    ALTER TABLE origins ADD COLUMN kind TEXT NOT NULL DEFAULT 'article'
        CHECK (kind IN ('article', 'source'));
    CREATE INDEX copies_by_title_and_date ON copies(title_key, published);
    """,
    # 3: which version of our own post file a copy was synced from, to skip unchanged posts.
    """
    ALTER TABLE copies ADD COLUMN source_digest TEXT;
    CREATE INDEX copies_by_feed ON copies(feed_url);
    """,
    # 4: a copy's origins by copy (each new copy reads and replaces its own): without this
    # index every store scanned the whole table, and merging slowed as the archive grew.
    """
    CREATE INDEX origins_by_copy ON origins(copy_id);
    """,
    # 5: two indexes that others already cover (the (title_key, published) index and the
    # UNIQUE (feed_url, guid) one answer their queries), updated on every insert for nothing.
    """
    DROP INDEX copies_by_title_key;
    DROP INDEX copies_by_feed;
    """,
)
# A fetch commits the feeds it stores in groups of this many, or of what it stored in this
# many seconds (see Archive.grouped_commits).
COMMIT_GROUP_SIZE = 100
COMMIT_GROUP_SECONDS = 2.0
# How long a command waits for another process's write (a fetch's group commit takes a second
# or two at most) before it says the archive is busy.
BUSY_SECONDS = 30.0
MAX_VARIABLES = 500  # bound parameters per statement, well under SQLite's lowest limit (999)
OWN_POSTS_FEED = "urn:syndicate:own-posts"  # the feed our own posts are copies of
# What a fetched entry sets in its copy, in the order of `NewCopy.values`.
COPY_VALUES = (
    "url", "norm_url", "title", "title_key", "author", "published", "updated", "summary_html",
    "content_html", "comments_feed_url", "source_digest",
)  # fmt: skip
UPDATE_COPY = f"UPDATE copies SET {', '.join(f'{c} = ?' for c in COPY_VALUES)} WHERE id = ?"
INSERT_COPY = (
    "INSERT INTO copies (feed_url, guid, article_id, is_own, merge_rule, merge_evidence,"
    f" {', '.join(COPY_VALUES)}) VALUES ({', '.join('?' * (6 + len(COPY_VALUES)))})"
)
NEW_ARTICLE = "INSERT INTO articles DEFAULT VALUES"
# What listing the archive needs of a copy (not its text, which can be large).
COPY_COLUMNS = (
    "id, feed_url, guid, article_id, url, norm_url, title, published, merge_rule,"
    " merge_evidence, is_own"
)


@dataclass
class CommitGroup:
    """Transactions committed together (see `Archive.grouped_commits`)."""

    most: int
    seconds: float
    open: bool = False
    count: int = 0
    started: float = 0.0

    def begin(self) -> None:
        self.open, self.count, self.started = True, 0, time.monotonic()

    def finished_one(self) -> bool:
        """Count a finished transaction; True when the group is due to be committed."""
        self.count += 1
        return self.count >= self.most or time.monotonic() - self.started >= self.seconds


@dataclass(frozen=True)
class Feed:
    id: int
    url: str
    name: str | None
    title: str | None
    kind: str
    etag: str | None
    last_modified: str | None
    last_fetched: str | None
    last_status: int | None
    failures: int
    next_due: str | None
    last_error: str | None
    gone: str | None


@dataclass(frozen=True)
class CopyInput:
    """One entry of one feed, as the archive stores it."""

    guid: str
    url: str | None
    title: str
    author: str | None
    published: datetime | None
    updated: datetime | None
    summary_html: str
    content_html: str
    origin_urls: tuple[str, ...] = ()
    comments_feed_url: str | None = None
    source_urls: tuple[str, ...] = ()
    source_digest: str | None = None  # our own posts: the version of the post file


@dataclass(frozen=True)
class CommentInput:
    guid: str
    author: str
    published: datetime | None
    url: str | None
    content_html: str


@dataclass(frozen=True)
class StoreResult:
    new: int
    updated: int
    merged: int
    comment_feeds: list[tuple[int, str]]  # (copy id, comment feed URL) of the entries stored


@dataclass(frozen=True)
class NewCopy:
    """An entry as its copy is written (`values`, in COPY_VALUES order) and merged (`facts`)."""

    guid: str
    values: tuple[object, ...]
    origins: dict[str, str]  # see named_origins
    facts: CopyFacts

    @classmethod
    def of(cls, entry: CopyInput) -> NewCopy:
        norm_url, key = normalize_url(entry.url), title_key(entry.title)
        origins = named_origins(entry, norm_url)
        values = (
            entry.url, norm_url, entry.title, key, entry.author, iso(entry.published),
            iso(entry.updated), entry.summary_html, entry.content_html, entry.comments_feed_url,
            entry.source_digest,
        )  # fmt: skip
        facts = CopyFacts(
            norm_url=norm_url,
            norm_origins=frozenset(u for u, kind in origins.items() if kind == "article"),
            norm_sources=frozenset(u for u, kind in origins.items() if kind == "source"),
            title_key=key,
            published=entry.published and entry.published.astimezone(UTC),  # as _facts reads it
            html=entry.content_html or entry.summary_html,
        )
        return cls(entry.guid, values, origins, facts)


@dataclass
class Candidates:
    """Copies that a feed's new copies may be copies of (see `Archive._merge_candidates`)."""

    by_url: dict[str, set[int]] = field(default_factory=dict)  # its URL or an origin it names
    by_title: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # (published, id)

    def of(self, facts: CopyFacts) -> list[int]:
        """The candidates of one copy, oldest first: those sharing a URL with it, and those
        of its title key within DATE_WINDOW of its date (ISO dates compare as text)."""
        found: set[int] = set()
        for url in facts.urls:
            found |= self.by_url.get(url, set())
        same_title = self.by_title.get(facts.title_key) if facts.published else None
        if same_title and facts.published:  # most titles are new: no window to compute
            earliest, latest = (iso(facts.published + d) or "" for d in (-DATE_WINDOW, DATE_WINDOW))
            found.update(
                copy_id for published, copy_id in same_title if earliest <= published <= latest
            )
        return sorted(found)

    def add(self, copy_id: int, facts: CopyFacts) -> None:
        """A copy just written is a candidate for the feed's later entries by URL (by title
        only copies of other feeds are)."""
        for url in facts.urls:
            self.by_url.setdefault(url, set()).add(copy_id)


@dataclass(frozen=True)
class Placement:
    """Where a new copy goes: the article that the evidence says it is a copy of."""

    article_id: int
    evidence: Evidence


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def named_origins(entry: CopyInput, norm_url: str | None) -> dict[str, str]:
    """{normalised URL: "article" or "source"} that a copy names besides its own URL."""
    rows: dict[str, str] = {}
    for kind, urls in (("source", entry.source_urls), ("article", entry.origin_urls)):
        for url in urls:
            normalized = normalize_url(url)
            if normalized and normalized != norm_url:
                rows[normalized] = kind  # an article origin wins over a source
    return rows


class Archive:
    """One open archive file. Not shared between threads: fetch in threads, store here."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_SECONDS)
            self.db.row_factory = sqlite3.Row
            # Another run's commit (a fetch commits a group of feeds at once) is waited for.
            self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
            self._check_intact()
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL keeps the file consistent through any crash (a power cut may
            # lose the last commits, never half of one) and spares an fsync per stored feed.
            self.db.execute("PRAGMA synchronous = NORMAL")
            # A fetch commits 100 feeds (2,000 copies and their indexes) at once: in SQLite's
            # default 2 MB of cache their pages spilled to the WAL mid-transaction and index
            # pages were read again (1,000 inserts into a 100k archive: 51-68 ms, 32-38 ms with
            # this). Memory is taken only as pages are used.
            self.db.execute("PRAGMA cache_size = -65536")
            self._group: CommitGroup | None = None
            self._migrate()
        except ArchiveError:
            self._close_quietly()
            raise
        except (sqlite3.Error, OSError) as exc:
            self._close_quietly()
            if isinstance(exc, sqlite3.Error) and _is_busy(exc):
                raise ArchiveBusy(path, BUSY_SECONDS) from exc
            if isinstance(exc, sqlite3.DatabaseError) and _is_damage(exc):
                raise ArchiveError(_damaged(path, str(exc))) from exc
            raise ArchiveError(f"{path}: cannot open the archive: {exc}") from exc

    def _check_intact(self) -> None:
        """SQLite's quick check (about 0.15 s for 200 MB): a damaged archive is refused before
        anything reads or writes it, rather than failing halfway or taking writes."""
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            said = " ".join("; ".join(problems).replace("*** in database main ***", "").split())
            raise ArchiveError(_damaged(self.path, said))

    def _close_quietly(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise ArchiveError(
                f"{self.path}: archive schema {version} is newer than this syndicate "
                f"understands ({len(MIGRATIONS)}); upgrade syndicate"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                # Another process opening the same new archive may have migrated it meanwhile.
                if self.db.execute("PRAGMA user_version").fetchone()[0] >= number:
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back whole on any error.

        Inside `grouped_commits()` it is a savepoint of the group's transaction: still rolled
        back whole on any error, and committed with the others of its group."""
        if self._group is not None:
            with self._savepoint(self._group):
                yield self.db
            return
        self._begin()
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._commit()

    @contextmanager
    def grouped_commits(
        self, *, most: int = COMMIT_GROUP_SIZE, seconds: float = COMMIT_GROUP_SECONDS
    ) -> Iterator[None]:
        """Commit the transactions made inside this block in groups (of at most `most`, at
        most `seconds` apart) rather than one by one.

        Each commit writes every index page its inserts touched: committing each of the 1,000
        feeds of a fetch took about a fifth of the time spent storing them. Each transaction stays
        whole: one that fails is rolled back alone, and whatever ends the block, those that
        finished are committed, so an interruption never leaves part of one."""
        if self._group is not None:  # already grouping
            yield
            return
        group = self._group = CommitGroup(most, seconds)
        try:
            yield
        finally:
            self._group = None
            if group.open and self.db.in_transaction:
                self._commit()

    @contextmanager
    def _savepoint(self, group: CommitGroup) -> Iterator[None]:
        if not group.open:
            self._begin()
            group.begin()
        self.db.execute("SAVEPOINT stored")
        try:
            yield
        except BaseException:
            if self.db.in_transaction:  # SQLite ends the transaction itself on some errors
                self.db.execute("ROLLBACK TO stored")
                self.db.execute("RELEASE stored")
            else:
                group.open = False
            raise
        self.db.execute("RELEASE stored")
        if group.finished_one():
            group.open = False
            self._commit()

    def _begin(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            if _is_busy(exc):
                raise ArchiveBusy(self.path, BUSY_SECONDS) from exc
            raise ArchiveError(f"{self.path}: {exc}") from exc

    def _commit(self) -> None:
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.db.rollback()
            if _is_busy(exc):
                raise ArchiveBusy(self.path, BUSY_SECONDS) from exc
            raise ArchiveError(f"{self.path}: {exc}") from exc

    # -- subscriptions ------------------------------------------------------------------------

    def subscribe(self, url: str, *, name: str | None = None, kind: str = "feed") -> Feed:
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone():
                raise ArchiveError(f"already subscribed to {hide_password(url)}")
            db.execute(
                "INSERT INTO feeds (url, name, kind, added) VALUES (?, ?, ?, ?)",
                (url, name, kind, iso(now_utc())),
            )
        feed = self.feed(url)
        assert feed is not None
        return feed

    def ensure_feed(self, url: str, *, kind: str) -> Feed:
        """The feed, subscribed now if it was not (at once with another process, too)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO feeds (url, kind, added) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (url, kind, iso(now_utc())),
            )
        feed = self.feed(url)
        assert feed is not None
        return feed

    def unsubscribe(self, url: str) -> None:
        """End a subscription; what it brought into the archive stays there."""
        with self.transaction() as db:
            if not db.execute("DELETE FROM feeds WHERE url = ? AND kind = 'feed'", (url,)).rowcount:
                raise ArchiveError(f"not subscribed to {hide_password(url)}")

    def prune_copies(self, feed_url: str, keep_guids: set[str]) -> int:
        """Remove a feed's copies that are no longer there (our own deleted posts), and the
        articles left with no copy; returns how many copies went."""
        with self.transaction() as db:
            rows = db.execute("SELECT id, guid FROM copies WHERE feed_url = ?", (feed_url,))
            gone = [row["id"] for row in rows if row["guid"] not in keep_guids]
            for copy_id in gone:
                db.execute("DELETE FROM copies WHERE id = ?", (copy_id,))
            db.execute(
                "DELETE FROM articles WHERE id NOT IN (SELECT DISTINCT article_id FROM copies)"
            )
        return len(gone)

    def copy_id(self, feed_url: str, guid: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM copies WHERE feed_url = ? AND guid = ?", (feed_url, guid)
        ).fetchone()
        return row[0] if row else None

    def feed(self, url: str) -> Feed | None:
        row = self.db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return _feed(row) if row else None

    def feeds(self, *, kind: str = "feed") -> list[Feed]:
        rows = self.db.execute("SELECT * FROM feeds WHERE kind = ? ORDER BY url", (kind,))
        return [_feed(row) for row in rows]

    def due_feeds(self, moment: datetime) -> list[Feed]:
        return [
            feed
            for feed in self.feeds()
            if not feed.gone and (feed.next_due is None or from_iso(feed.next_due) <= moment)  # type: ignore[operator]
        ]

    def record_success(
        self, feed: Feed, *, url: str, status: int, etag: str | None, last_modified: str | None,
        title: str | None, site_url: str | None, fetched: datetime,
    ) -> None:  # fmt: skip
        """Cache validators and clear failures; a permanent redirect moves the subscription."""
        with self.transaction() as db:
            self._update_feed_fetch(
                db, feed, url, status, etag, last_modified, title, site_url, fetched
            )

    def _update_feed_fetch(
        self, db: sqlite3.Connection, feed: Feed, url: str, status: int, etag: str | None,
        last_modified: str | None, title: str | None, site_url: str | None, fetched: datetime,
    ) -> None:  # fmt: skip
        if url != feed.url:
            if db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone():
                db.execute("DELETE FROM feeds WHERE id = ?", (feed.id,))  # already subscribed there
                return
            db.execute("UPDATE copies SET feed_url = ? WHERE feed_url = ?", (url, feed.url))
        db.execute(
            """UPDATE feeds SET url = ?, etag = COALESCE(?, etag),
                   last_modified = COALESCE(?, last_modified), title = COALESCE(?, title),
                   site_url = COALESCE(?, site_url), last_fetched = ?, last_status = ?,
                   failures = 0, next_due = NULL, last_error = NULL
               WHERE id = ?""",
            (url, etag, last_modified, title, site_url, iso(fetched), status, feed.id),
        )

    def record_failure(
        self, feed: Feed, *, message: str, status: int | None, fetched: datetime,
        retry_at: datetime | None, gone: bool = False,
    ) -> None:  # fmt: skip
        """Note why a fetch failed and when to try again; the feed's copies are untouched."""
        with self.transaction() as db:
            db.execute(
                """UPDATE feeds SET last_fetched = ?, last_status = ?, failures = failures + 1,
                       next_due = ?, last_error = ?, gone = CASE WHEN ? THEN ? ELSE gone END
                   WHERE id = ?""",
                (iso(fetched), status, iso(retry_at), message, gone, iso(fetched), feed.id),
            )

    # -- storing entries ----------------------------------------------------------------------

    def store_entries(
        self, feed: Feed, entries: Sequence[CopyInput], *, url: str | None = None,
        status: int = 200, etag: str | None = None, last_modified: str | None = None,
        title: str | None = None, site_url: str | None = None, fetched: datetime | None = None,
    ) -> StoreResult:  # fmt: skip
        """Store one fetched feed in one transaction: its validators, its entries, the merges."""
        fetched = fetched or now_utc()
        target_url = url or feed.url
        merged = 0
        with self.transaction() as db:
            self._update_feed_fetch(
                db, feed, target_url, status, etag, last_modified, title, site_url, fetched
            )
            unique = unique_by_guid(entries)
            stored = self._copy_ids(db, target_url, [entry.guid for entry in unique])
            copies = {entry.guid: NewCopy.of(entry) for entry in unique}
            for guid, copy_id in stored.items():  # first: the new copies' candidates see them
                self._update_copy(db, copy_id, copies[guid])
            new_copies = [copy for guid, copy in copies.items() if guid not in stored]
            candidates = self._merge_candidates(db, new_copies, target_url)
            for copy in new_copies:
                place = self._place_new_copy(db, copy.facts, candidates)
                copy_id = self._insert_copy(db, target_url, copy, place, feed.kind == "own")
                candidates.add(copy_id, copy.facts)  # a later entry may be a copy of this one
                stored[copy.guid] = copy_id
                merged += place is not None
            new, updated = len(new_copies), len(unique) - len(new_copies)
            comment_feeds = [
                (stored[entry.guid], entry.comments_feed_url)
                for entry in unique
                if entry.comments_feed_url
            ]
        return StoreResult(new=new, updated=updated, merged=merged, comment_feeds=comment_feeds)

    @staticmethod
    def _copy_ids(db: sqlite3.Connection, feed_url: str, guids: list[str]) -> dict[str, int]:
        """guid -> copy id of those of a feed's entries that the archive already has."""
        found: dict[str, int] = {}
        for chunk in _chunks(guids, MAX_VARIABLES - 1):
            rows = db.execute(
                f"SELECT guid, id FROM copies WHERE feed_url = ? AND guid IN"
                f" ({', '.join('?' * len(chunk))})",
                (feed_url, *chunk),
            )
            found.update((guid, copy_id) for guid, copy_id in rows)
        return found

    def _update_copy(self, db: sqlite3.Connection, copy_id: int, copy: NewCopy) -> None:
        """A stored entry's new version: its values and origins (where it stands is kept)."""
        db.execute(UPDATE_COPY, (*copy.values, copy_id))
        db.execute("DELETE FROM origins WHERE copy_id = ?", (copy_id,))
        self._insert_origins(db, copy_id, copy)

    def _insert_copy(
        self, db: sqlite3.Connection, feed_url: str, copy: NewCopy, place: Placement | None,
        is_own: bool,
    ) -> int:  # fmt: skip
        """Write a new copy once, into the article it was placed in or a new one of its own."""
        if place is None:
            article_id, rule, detail = db.execute(NEW_ARTICLE).lastrowid, None, None
        else:
            article_id, rule, detail = place.article_id, place.evidence.rule, place.evidence.detail
        row = (feed_url, copy.guid, article_id, int(is_own), rule, detail, *copy.values)
        copy_id = db.execute(INSERT_COPY, row).lastrowid
        assert copy_id is not None
        self._insert_origins(db, copy_id, copy)
        return copy_id

    @staticmethod
    def _insert_origins(db: sqlite3.Connection, copy_id: int, copy: NewCopy) -> None:
        if copy.origins:
            db.executemany(
                "INSERT INTO origins (copy_id, norm_url, kind) VALUES (?, ?, ?)",
                [(copy_id, url, kind) for url, kind in sorted(copy.origins.items())],
            )

    def _place_new_copy(
        self, db: sqlite3.Connection, facts: CopyFacts, candidates: Candidates
    ) -> Placement | None:
        """The article of the first candidate that the evidence says the copy is a copy of;
        None when it is an article of its own. Decided before the copy is written, so that a
        copy is written once, already in its article."""
        for candidate_id in candidates.of(facts):
            evidence = same_article(facts, self._facts(db, candidate_id))
            if evidence:
                (article_id,) = db.execute(
                    "SELECT article_id FROM copies WHERE id = ?", (candidate_id,)
                ).fetchone()
                return Placement(article_id, evidence)
        return None

    def _merge_candidates(
        self, db: sqlite3.Connection, copies: Sequence[NewCopy], feed_url: str
    ) -> Candidates:
        """What the indexes hold that a feed's new copies may be copies of, read at once for
        the whole feed: copies by URL or by an origin they name, and, of other feeds, copies
        by title key (`Candidates.of` keeps those of a copy's date)."""
        candidates = Candidates()
        urls = sorted({url for copy in copies for url in copy.facts.urls})
        for chunk in _chunks(urls, MAX_VARIABLES // 2):
            marks = ", ".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT norm_url, id FROM copies WHERE norm_url IN ({marks}) UNION ALL"
                f" SELECT norm_url, copy_id FROM origins WHERE norm_url IN ({marks})",
                (*chunk, *chunk),
            )
            for url, copy_id in rows:
                candidates.by_url.setdefault(url, set()).add(copy_id)
        keys = sorted(
            {c.facts.title_key for c in copies if c.facts.title_key and c.facts.published}
        )
        for chunk in _chunks(keys, MAX_VARIABLES - 1):
            rows = db.execute(
                "SELECT title_key, published, id FROM copies WHERE title_key IN"
                f" ({', '.join('?' * len(chunk))}) AND published IS NOT NULL AND feed_url != ?",
                (*chunk, feed_url),
            )
            for key, published, copy_id in rows:
                candidates.by_title.setdefault(key, []).append((published, copy_id))
        return candidates

    def _facts(self, db: sqlite3.Connection, copy_id: int) -> CopyFacts:
        row = db.execute(
            "SELECT norm_url, title_key, published, summary_html, content_html"
            " FROM copies WHERE id = ?",
            (copy_id,),
        ).fetchone()
        named = db.execute("SELECT norm_url, kind FROM origins WHERE copy_id = ?", (copy_id,))
        origins: dict[str, set[str]] = {"article": set(), "source": set()}
        for url, kind in named:
            origins[kind].add(url)
        return CopyFacts(
            norm_url=row["norm_url"],
            norm_origins=frozenset(origins["article"]),
            norm_sources=frozenset(origins["source"]),
            title_key=row["title_key"],
            published=from_iso(row["published"]),
            html=row["content_html"] or row["summary_html"],
        )

    @staticmethod
    def _move_article(db: sqlite3.Connection, source: int, target: int) -> None:
        db.execute("UPDATE copies SET article_id = ? WHERE article_id = ?", (target, source))
        db.execute("DELETE FROM articles WHERE id = ?", (source,))

    def store_comments(self, copy_id: int, comments: Iterable[CommentInput]) -> int:
        with self.transaction() as db:
            count = 0
            for comment in comments:
                db.execute(
                    """INSERT INTO comments (copy_id, guid, author, published, url, content_html)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (copy_id, guid) DO UPDATE SET author = excluded.author,
                           published = excluded.published, url = excluded.url,
                           content_html = excluded.content_html""",
                    (copy_id, comment.guid, comment.author, iso(comment.published), comment.url,
                     comment.content_html),
                )  # fmt: skip
                count += 1
            return count

    # -- manual overrides ---------------------------------------------------------------------

    def merge_articles(self, keep: int, other: int) -> None:
        """Put every copy of article `other` into article `keep`; later fetches keep it so."""
        with self.transaction() as db:
            self._require_article(db, keep)
            self._require_article(db, other)
            if keep == other:
                raise ArchiveError(f"entry {keep} cannot be merged with itself")
            db.execute(
                "UPDATE copies SET merge_rule = 'manual', merge_evidence = ? WHERE article_id = ?",
                (f"merged by hand into entry {keep}", other),
            )
            self._move_article(db, other, keep)
            db.execute(
                "INSERT INTO overrides (action, copy_key, other_key, made)"
                " VALUES ('merge', ?, ?, ?)",
                (self._article_key(db, keep), str(other), iso(now_utc())),
            )

    def split_copy(self, article: int, copy_id: int) -> int:
        """Take a copy out of its article into an article of its own; returns the new entry id."""
        with self.transaction() as db:
            self._require_article(db, article)
            row = db.execute(
                "SELECT feed_url, guid FROM copies WHERE id = ? AND article_id = ?",
                (copy_id, article),
            ).fetchone()
            if not row:
                raise ArchiveError(f"entry {article} has no copy {copy_id}")
            if (
                db.execute(
                    "SELECT COUNT(*) FROM copies WHERE article_id = ?", (article,)
                ).fetchone()[0]
                < 2
            ):
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

    @staticmethod
    def _require_article(db: sqlite3.Connection, article: int) -> None:
        if not db.execute("SELECT 1 FROM articles WHERE id = ?", (article,)).fetchone():
            raise ArchiveError(f"no archive entry {article}")

    @staticmethod
    def _article_key(db: sqlite3.Connection, article: int) -> str:
        rows = db.execute(
            "SELECT feed_url, guid FROM copies WHERE article_id = ? ORDER BY id LIMIT 1", (article,)
        ).fetchone()
        return json.dumps([rows["feed_url"], rows["guid"]]) if rows else str(article)

    # -- reading ------------------------------------------------------------------------------

    def articles(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Archive entries as the `archive --json` schema has them, newest first (the newest
        `limit` of them, by their earliest copy's date, when a limit is given)."""
        feeds = {row["url"]: row for row in self.db.execute("SELECT url, name, title FROM feeds")}
        wanted = ""
        if limit is not None:
            wanted = (
                " WHERE article_id IN (SELECT article_id FROM copies GROUP BY article_id"
                f" ORDER BY MIN(published) DESC, article_id DESC LIMIT {int(limit)})"
            )
        copies_by_article: dict[int, list[sqlite3.Row]] = {}
        for row in self.db.execute(f"SELECT {COPY_COLUMNS} FROM copies{wanted} ORDER BY id"):
            copies_by_article.setdefault(row["article_id"], []).append(row)
        copy_ids = {row["id"] for rows in copies_by_article.values() for row in rows}
        comments_by_copy: dict[int, list[sqlite3.Row]] = {}
        for row in self.db.execute("SELECT * FROM comments ORDER BY published, id"):
            if row["copy_id"] in copy_ids:
                comments_by_copy.setdefault(row["copy_id"], []).append(row)
        origins_by_copy: dict[int, set[str]] = {}
        for copy_id, origin in self.db.execute("SELECT copy_id, norm_url FROM origins"):
            if copy_id in copy_ids:
                origins_by_copy.setdefault(copy_id, set()).add(origin)
        entries = []
        for article_id, copies in copies_by_article.items():
            named = set().union(*(origins_by_copy.get(row["id"], set()) for row in copies))
            entries.append(_article_record(article_id, copies, named, feeds, comments_by_copy))
        return sorted(entries, key=lambda e: (e["published"] or "", e["id"]), reverse=True)

    def backfed_comments(self) -> dict[str, list[dict[str, Any]]]:
        """For each of our own posts (by its page URL), the comments left on its copies
        elsewhere, as `articles()` gives comments, oldest first."""
        feeds = {row["url"]: row for row in self.db.execute("SELECT url, name, title FROM feeds")}
        rows = self.db.execute(
            """SELECT own.url AS own_url, source.url AS source_url, source.feed_url, comment.*
               FROM copies AS own
               JOIN copies AS source
                 ON source.article_id = own.article_id AND source.is_own = 0
               JOIN comments AS comment ON comment.copy_id = source.id
               WHERE own.is_own = 1
               ORDER BY comment.published, comment.id"""
        )
        found: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            found.setdefault(row["own_url"], []).append(
                {
                    "author": row["author"],
                    "published": row["published"],
                    "source": row["source_url"] or row["feed_url"],
                    "source_feed": row["feed_url"],
                    "source_title": _feed_title(feeds.get(row["feed_url"])),
                    "source_is_own": False,
                    "guid": row["guid"],
                    "url": row["url"],
                    "content_html": row["content_html"],
                }
            )
        return found

    def recent_comment_feeds(self, since: datetime) -> list[tuple[int, str]]:
        """(copy id, comment feed URL) of copies published since then: conversations that
        may still be going on, whose comment feeds are polled even when their feed is not."""
        rows = self.db.execute(
            "SELECT id, comments_feed_url FROM copies WHERE comments_feed_url IS NOT NULL"
            " AND is_own = 0 AND published >= ? ORDER BY id",
            (iso(since),),
        )
        return [(row[0], row[1]) for row in rows]

    def synced_digests(self, feed_url: str) -> dict[str, str | None]:
        """guid -> source_digest of a feed's copies (our own posts' versions)."""
        rows = self.db.execute(
            "SELECT guid, source_digest FROM copies WHERE feed_url = ?", (feed_url,)
        )
        return {row[0]: row[1] for row in rows}

    def copy_text(self, copy_id: int) -> tuple[str, str]:
        """A copy's (summary_html, content_html), for republishing it."""
        row = self.db.execute(
            "SELECT summary_html, content_html FROM copies WHERE id = ?", (copy_id,)
        ).fetchone()
        return (row[0], row[1]) if row else ("", "")


def _is_busy(error: sqlite3.Error) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _is_damage(error: sqlite3.DatabaseError) -> bool:
    text = str(error)
    return "malformed" in text or "not a database" in text or "corrupt" in text


def _damaged(path: Path, problem: str) -> str:
    return (
        f"{path}: the archive is damaged ({problem}); nothing was read or written. "
        f"Keep a copy, then recover what SQLite can: "
        f"sqlite3 {path} .recover | sqlite3 {path}.recovered, and move {path}.recovered "
        f"to {path} (or restore a backup)"
    )


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique_by_guid(entries: Sequence[CopyInput]) -> list[CopyInput]:
    """A feed that repeats an item is one entry, not two (the first occurrence wins)."""
    seen: dict[str, CopyInput] = {}
    for entry in entries:
        seen.setdefault(entry.guid, entry)
    return list(seen.values())


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


def _article_record(
    article_id: int, copies: list[sqlite3.Row], named_origins: set[str],
    feeds: dict[str, sqlite3.Row], comments_by_copy: dict[int, list[sqlite3.Row]],
) -> dict[str, Any]:  # fmt: skip
    ordered = canonical_first(copies, named_origins)
    canonical = ordered[0]
    return {
        "id": article_id,
        "title": canonical["title"],
        "published": canonical["published"],
        "copies": [
            {
                "id": row["id"],
                "guid": row["guid"],
                "url": row["url"],
                "feed": row["feed_url"],
                "feed_title": _feed_title(feeds.get(row["feed_url"])),
                "title": row["title"],
                "published": row["published"],
                "own": bool(row["is_own"]),
                "merge_rule": row["merge_rule"],
                "merge_evidence": row["merge_evidence"],
            }
            for row in ordered
        ],
        "comments": [
            {
                "author": comment["author"],
                "published": comment["published"],
                "source": row["url"] or row["feed_url"],
                "source_feed": row["feed_url"],
                "source_title": _feed_title(feeds.get(row["feed_url"])),
                "source_is_own": bool(row["is_own"]),
                "guid": comment["guid"],
                "url": comment["url"],
                "content_html": comment["content_html"],
            }
            for row in ordered
            for comment in comments_by_copy.get(row["id"], [])
        ],
    }


def _feed_title(row: sqlite3.Row | None) -> str | None:
    if row is None:
        return None
    return row["name"] or row["title"]


def _feed(row: sqlite3.Row) -> Feed:
    return Feed(
        id=row["id"], url=row["url"], name=row["name"], title=row["title"], kind=row["kind"],
        etag=row["etag"], last_modified=row["last_modified"], last_fetched=row["last_fetched"],
        last_status=row["last_status"], failures=row["failures"], next_due=row["next_due"],
        last_error=row["last_error"], gone=row["gone"],
    )  # fmt: skip
