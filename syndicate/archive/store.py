"""Storing copies: each fetched feed in one transaction (a fetch commits them in groups), so a
failed or interrupted store leaves the archive as it was before that feed. A new copy is placed,
before it is written, in the article the merge rules (rules.py) say it is a copy of."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from syndicate.archive.base import (
    MAX_VARIABLES,
    ArchiveBase,
    chunks,
    from_iso,
    iso,
    now_utc,
    wrap_exceptions,
)
from syndicate.archive.database import Database
from syndicate.archive.feeds import FeedProfile, FetchOutcome, update_feed_fetch
from syndicate.archive.media import enclosures_text
from syndicate.archive.rules import (
    DATE_WINDOW,
    CopyFacts,
    Evidence,
    normalize_url,
    same_article,
    title_key,
)
from syndicate.model import Feed, FeedComment, FeedEntry

# What a fetched entry sets in its copy, in the order of `NewCopy.values`.
COPY_VALUES = (
    "url",
    "norm_url",
    "title",
    "title_key",
    "author",
    "published",
    "updated",
    "summary_html",
    "content_html",
    "comments_feed_url",
    "source_digest",
    "enclosures",
    "image_url",
)
UPDATE_COPY = f"UPDATE copies SET {', '.join(f'{c} = ?' for c in COPY_VALUES)} WHERE id = ?"
INSERT_COPY = (
    "INSERT INTO copies (feed_url, guid, article_id, is_own, merge_rule, merge_evidence,"
    f" {', '.join(COPY_VALUES)}) VALUES ({', '.join('?' * (6 + len(COPY_VALUES)))})"
)
NEW_ARTICLE = "INSERT INTO articles DEFAULT VALUES"
INSERT_ORIGIN = "INSERT INTO origins (copy_id, norm_url, kind) VALUES (?, ?, ?)"


@dataclass(frozen=True)
class StoreResult:
    """What storing one feed did: copies new, changed (`updated`) and seen again as they were
    (`unchanged`), how many new ones joined another copy's article, and the comment feeds of
    the entries stored."""

    new: int
    updated: int
    merged: int
    comment_feeds: list[tuple[int, str]]  # (copy id, comment feed URL) of the entries stored
    unchanged: int = 0


@dataclass(frozen=True)
class StoredCopy:
    """A copy as the archive holds it: what `NewCopy` would write, to see if it changed."""

    id: int
    values: tuple[object, ...]
    origins: dict[str, str]


@dataclass(frozen=True)
class NewCopy:
    """An entry as its copy is written (`values`, in COPY_VALUES order) and merged (`facts`)."""

    guid: str
    values: tuple[object, ...]
    origins: dict[str, str]  # see named_origins
    facts: CopyFacts

    @classmethod
    def of(cls, entry: FeedEntry) -> NewCopy:
        norm_url, key = normalize_url(entry.url), title_key(entry.title)
        origins = named_origins(entry, norm_url)
        values = (
            entry.url,
            norm_url,
            entry.title,
            key,
            entry.author,
            iso(entry.published),
            iso(entry.updated),
            entry.summary_html,
            entry.content_html,
            entry.comments_feed_url,
            entry.source_digest,
            enclosures_text(entry.enclosures),
            entry.image_url,
        )
        facts = CopyFacts(
            norm_url=norm_url,
            norm_origins=frozenset(u for u, kind in origins.items() if kind == "article"),
            norm_sources=frozenset(u for u, kind in origins.items() if kind == "source"),
            title_key=key,
            published=entry.published and entry.published.astimezone(UTC),  # as _facts reads it
            html=entry.content_html or entry.summary_html,
        )
        return cls(entry.guid, values, origins, facts)

    def changes(self, stored: StoredCopy) -> bool:
        """Whether writing this copy would change the stored one."""
        return self.values != stored.values or self.origins != stored.origins


@dataclass
class Candidates:
    """Copies that a feed's new copies may be copies of (see `Storing._merge_candidates`)."""

    by_url: dict[str, set[int]] = field(default_factory=dict)  # its URL or an origin it names
    by_title: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # (published, id)
    # What the merge rules look at in each candidate, with its article: read for all of a
    # feed's candidates at once (a round trip per candidate is most of a store on a server).
    stored: dict[int, tuple[int, CopyFacts]] = field(default_factory=dict)

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

    def add(self, copy_id: int, article_id: int, facts: CopyFacts) -> None:
        """A copy just written is a candidate for the feed's later entries by URL (by title
        only copies of other feeds are)."""
        for url in facts.urls:
            self.by_url.setdefault(url, set()).add(copy_id)
        self.stored[copy_id] = (article_id, facts)


@dataclass(frozen=True)
class Placement:
    """Where a new copy goes: the article that the evidence says it is a copy of."""

    article_id: int
    evidence: Evidence


class Storing(ArchiveBase):
    @wrap_exceptions
    def store_entries(
        self,
        feed: Feed,
        entries: Sequence[FeedEntry],
        *,
        url: str | None = None,
        status: int = 200,
        etag: str | None = None,
        last_modified: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
        fetched: datetime | None = None,
        profile: FeedProfile | None = None,
    ) -> StoreResult:
        """Store one fetched feed in one transaction: its validators, its entries, the merges.

        A copy already stored is written again only when what it says changed."""
        outcome = FetchOutcome(
            url or feed.url,
            fetched or now_utc(),
            status,
            etag,
            last_modified,
            title,
            site_url,
            profile,
        )
        target_url = outcome.url
        merged = updated = 0
        with self.transaction() as db:
            update_feed_fetch(db, feed, outcome, worker=self.worker)
            unique = unique_by_guid(entries)
            known = self._stored_copies(db, target_url, [entry.guid for entry in unique])
            copies = {entry.guid: NewCopy.of(entry) for entry in unique}
            for guid, old in known.items():  # first: the new copies' candidates see them
                if copies[guid].changes(old):
                    self._update_copy(db, old.id, copies[guid])
                    updated += 1
            stored = {guid: old.id for guid, old in known.items()}
            new_copies = [copy for guid, copy in copies.items() if guid not in stored]
            lock_merge_keys(db, new_copies)
            candidates = self._merge_candidates(db, new_copies, target_url)
            origins: list[tuple[int, str, str]] = []  # written at once, after the copies
            for copy in new_copies:
                place = self._place_new_copy(db, copy.facts, candidates)
                copy_id, article_id = self._insert_copy(
                    db, target_url, copy, place, is_own=feed.kind == "own"
                )
                origins += origin_rows(copy_id, copy)
                # a later entry may be a copy of this one
                candidates.add(copy_id, article_id, copy.facts)
                stored[copy.guid] = copy_id
                merged += place is not None
            if origins:
                db.executemany(INSERT_ORIGIN, origins)
            comment_feeds = [
                (stored[entry.guid], entry.comments_feed_url)
                for entry in unique
                if entry.comments_feed_url
            ]
        return StoreResult(
            new=len(new_copies),
            updated=updated,
            merged=merged,
            comment_feeds=comment_feeds,
            unchanged=len(known) - updated,
        )

    @wrap_exceptions
    def store_comments(self, copy_id: int, comments: Iterable[FeedComment]) -> int:
        """Store a copy's comments; returns how many were new or changed."""
        with self.transaction() as db:
            count = 0
            for comment in comments:
                count += db.execute(
                    """INSERT INTO comments (copy_id, guid, author, published, url, content_html)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (copy_id, guid) DO UPDATE SET author = excluded.author,
                           published = excluded.published, url = excluded.url,
                           content_html = excluded.content_html
                       WHERE comments.author IS DISTINCT FROM excluded.author
                           OR comments.published IS DISTINCT FROM excluded.published
                           OR comments.url IS DISTINCT FROM excluded.url
                           OR comments.content_html IS DISTINCT FROM excluded.content_html""",
                    (
                        copy_id,
                        comment.guid,
                        comment.author,
                        iso(comment.published),
                        comment.url,
                        comment.content_html,
                    ),
                ).rowcount
            return count

    @wrap_exceptions
    def prune_copies(self, feed_url: str, keep_guids: set[str]) -> int:
        """Remove a feed's copies that are no longer there (our own deleted posts), and the
        articles left with no copy; returns how many copies went."""
        with self.transaction() as db:
            db.lock_keys([ARTICLES_LOCK])  # see lock_merge_keys
            rows = db.execute("SELECT id, guid FROM copies WHERE feed_url = ?", (feed_url,))
            gone = [row["id"] for row in rows if row["guid"] not in keep_guids]
            for copy_id in gone:
                db.execute("DELETE FROM copies WHERE id = ?", (copy_id,))
            db.execute(
                "DELETE FROM articles WHERE id NOT IN (SELECT DISTINCT article_id FROM copies)"
            )
        return len(gone)

    @staticmethod
    def _stored_copies(
        db: sqlite3.Connection, feed_url: str, guids: list[str]
    ) -> dict[str, StoredCopy]:
        """guid -> the stored copy, of those of a feed's entries that the archive has."""
        found: dict[str, StoredCopy] = {}
        for chunk in chunks(guids, MAX_VARIABLES - 1):
            rows = db.execute(
                f"SELECT guid, id, {', '.join(COPY_VALUES)} FROM copies WHERE feed_url = ?"
                f" AND guid IN ({', '.join('?' * len(chunk))})",
                (feed_url, *chunk),
            )
            for row in rows:
                found[row["guid"]] = StoredCopy(row["id"], tuple(row)[2:], {})
        by_id = {copy.id: copy for copy in found.values()}
        for ids in chunks(sorted(by_id)):
            rows = db.execute(
                "SELECT copy_id, norm_url, kind FROM origins"
                f" WHERE copy_id IN ({', '.join('?' * len(ids))})",
                ids,
            )
            for copy_id, url, kind in rows:
                by_id[copy_id].origins[url] = kind
        return found

    def _update_copy(self, db: sqlite3.Connection, copy_id: int, copy: NewCopy) -> None:
        """A stored entry's new version: its values and origins (where it stands is kept)."""
        db.execute(UPDATE_COPY, (*copy.values, copy_id))
        db.execute("DELETE FROM origins WHERE copy_id = ?", (copy_id,))
        self._insert_origins(db, copy_id, copy)

    def _insert_copy(
        self,
        db: sqlite3.Connection,
        feed_url: str,
        copy: NewCopy,
        place: Placement | None,
        *,
        is_own: bool,
    ) -> tuple[int, int]:
        """Write a new copy once, into the article it was placed in or a new one of its own
        (its origins are the caller's to write); its id and its article's."""
        if place is None:
            article_id, rule, detail = db.execute(NEW_ARTICLE).lastrowid, None, None
        else:
            article_id, rule, detail = place.article_id, place.evidence.rule, place.evidence.detail
        row = (feed_url, copy.guid, article_id, int(is_own), rule, detail, *copy.values)
        copy_id = db.execute(INSERT_COPY, row).lastrowid
        assert copy_id is not None and article_id is not None
        return copy_id, article_id

    @staticmethod
    def _insert_origins(db: sqlite3.Connection, copy_id: int, copy: NewCopy) -> None:
        if copy.origins:
            db.executemany(INSERT_ORIGIN, origin_rows(copy_id, copy))

    def _place_new_copy(
        self, db: sqlite3.Connection, facts: CopyFacts, candidates: Candidates
    ) -> Placement | None:
        """The article of the first candidate that the evidence says the copy is a copy of;
        None when it is an article of its own. Decided before the copy is written, so that a
        copy is written once, already in its article."""
        for candidate_id in candidates.of(facts):
            article_id, stored = candidates.stored[candidate_id]
            evidence = same_article(facts, stored)
            if evidence:
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
        for chunk in chunks(urls, MAX_VARIABLES // 2):
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
        for chunk in chunks(keys, MAX_VARIABLES - 1):
            rows = db.execute(
                "SELECT title_key, published, id FROM copies WHERE title_key IN"
                f" ({', '.join('?' * len(chunk))}) AND published IS NOT NULL AND feed_url != ?",
                (*chunk, feed_url),
            )
            for key, published, copy_id in rows:
                candidates.by_title.setdefault(key, []).append((published, copy_id))
        wanted = {found for copy in copies for found in candidates.of(copy.facts)}
        candidates.stored.update(stored_facts(db, sorted(wanted)))
        return candidates


# Taken shared by every store and exclusively by what rewrites or deletes articles (a manual
# merge or split, a prune): a store never places a copy in an article being deleted.
ARTICLES_LOCK = "syndicate:articles"


def lock_merge_keys(db: Database, copies: Sequence[NewCopy]) -> None:
    """Before a store reads its merge candidates (PostgreSQL; SQLite's writers take turns):
    lock every index key through which a new copy finds them (`Candidates.of`: its URLs,
    origins and sources, its title key when it has a date). Two workers storing copies of one
    article at once then share a key: the second waits, and, in READ COMMITTED, reads the
    first's committed copy, so the two make one article."""
    db.lock_keys([ARTICLES_LOCK], shared=True)
    keys = {f"url:{url}" for copy in copies for url in copy.facts.urls}
    keys |= {
        f"title:{copy.facts.title_key}"
        for copy in copies
        if copy.facts.title_key and copy.facts.published
    }
    db.lock_keys(keys)


def stored_facts(
    db: sqlite3.Connection, copy_ids: Sequence[int]
) -> dict[int, tuple[int, CopyFacts]]:
    """What the merge rules look at in copies already in the archive, with their articles:
    two statements a chunk of copies, whatever their number."""
    found: dict[int, tuple[int, CopyFacts]] = {}
    for chunk in chunks(copy_ids, MAX_VARIABLES):
        marks = ", ".join("?" * len(chunk))
        origins: dict[int, dict[str, set[str]]] = {
            copy_id: {"article": set(), "source": set()} for copy_id in chunk
        }
        named = db.execute(
            f"SELECT copy_id, norm_url, kind FROM origins WHERE copy_id IN ({marks})", chunk
        )
        for copy_id, url, kind in named:
            origins[copy_id][kind].add(url)
        rows = db.execute(
            "SELECT id, article_id, norm_url, title_key, published, summary_html, content_html"
            f" FROM copies WHERE id IN ({marks})",
            chunk,
        )
        for row in rows:
            own = origins[row["id"]]
            found[row["id"]] = (
                row["article_id"],
                CopyFacts(
                    norm_url=row["norm_url"],
                    norm_origins=frozenset(own["article"]),
                    norm_sources=frozenset(own["source"]),
                    title_key=row["title_key"],
                    published=from_iso(row["published"]),
                    html=row["content_html"] or row["summary_html"],
                ),
            )
    return found


def origin_rows(copy_id: int, copy: NewCopy) -> list[tuple[int, str, str]]:
    return [(copy_id, url, kind) for url, kind in sorted(copy.origins.items())]


def named_origins(entry: FeedEntry, norm_url: str | None) -> dict[str, str]:
    """{normalised URL: "article" or "source"} that a copy names besides its own URL."""
    rows: dict[str, str] = {}
    for kind, urls in (("source", entry.source_urls), ("article", entry.origin_urls)):
        for url in urls:
            normalized = normalize_url(url)
            if normalized and normalized != norm_url:
                rows[normalized] = kind  # an article origin wins over a source
    return rows


def unique_by_guid(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """A feed that repeats an item is one entry, not two (the first occurrence wins)."""
    seen: dict[str, FeedEntry] = {}
    for entry in entries:
        seen.setdefault(entry.guid, entry)
    return list(seen.values())
