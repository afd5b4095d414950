"""Parsed posts kept between builds, so that a post whose file has not changed is neither read
nor parsed again, and a site's pages can be rendered from the few posts that need their text.

One SQLite file in the user's cache folder (see files.cache_dir), keyed by the post file's
absolute path, size and modification time, and by what else shapes a parse (syndicate's
version, the time zone). Each post is stored twice over: without its HTML and its comments
(loaded for every post, so kept small: counts and dates are what lists of posts show), and
that HTML and those comments alone (loaded for the posts a feed or page shows).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sqlite3
from collections.abc import Generator
from dataclasses import fields, replace
from datetime import UTC
from pathlib import Path
from typing import Any

from syndicate.files import cache_dir
from syndicate.model import Comment, CommentSource, Enclosure, Episode, Post
from syndicate.posts.base import Parsed
from syndicate.posts.importers import parse_file
from syndicate.version import __version__

SCHEMA = """
DROP TABLE IF EXISTS posts;  -- syndicate 0.3.1's, which kept the comments' bodies in `light`
DROP TABLE IF EXISTS parsed_posts;  -- 0.4's, which kept every comment in `light`
CREATE TABLE IF NOT EXISTS cached_posts (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    parse_key TEXT NOT NULL,
    light BLOB,
    content TEXT,
    comments BLOB,
    warnings BLOB NOT NULL,
    error BLOB
);
"""


# What unpickling bytes that another version or layout of syndicate wrote can raise.
UNREADABLE_PICKLE = (
    pickle.UnpicklingError,
    EOFError,
    AttributeError,
    ImportError,
    TypeError,
    ValueError,
    IndexError,
)


def _comments(data: bytes | None) -> tuple[Comment, ...] | None:
    try:
        return pickle.loads(data) if data else ()
    except UNREADABLE_PICKLE:
        return None


class PostCache:
    def __init__(
        self, zone_name: str, path: Path | None = None, *, posts: Path | None = None
    ) -> None:
        """`posts`: the posts folder, as the loader names it; a post's key is its path under
        the folder's resolved path (posts.cache_keys), the same in full() as in the loader."""
        self.parse_key = f"{__version__}|{PARSER_REVISION}|{RECORDS}|{zone_name}"
        self.path = path or cache_dir() / "posts.sqlite3"
        self.db: sqlite3.Connection | None = None
        self._folders: dict[str, str] = {}  # a folder -> its resolved path (key_of)
        self._posts = (f"{posts}/", f"{posts.resolve()}/") if posts is not None else None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")  # a lost cache entry is re-parsed
            self.db.executescript(SCHEMA)
        except (sqlite3.Error, OSError):
            self.db = None  # no cache to be had: every post is parsed, nothing worse

    @property
    def available(self) -> bool:
        return self.db is not None

    def close(self) -> None:
        if self.db is not None:
            self.db.commit()
            self.db.close()

    def digest(self, path: Path, size: int, mtime_ns: int) -> str:
        key = f"{path}\0{size}\0{mtime_ns}\0{self.parse_key}".encode()
        return hashlib.blake2b(key, digest_size=12).hexdigest()

    def rows_under(self, folder: Path) -> Generator[tuple[Any, ...], None, None]:
        """(path, size, mtime_ns, light, warnings, error) of every file under `folder`, by path:
        one query, read a row at a time (at 100k posts all the rows at once took 110 MB)."""
        if self.db is None:
            return
        prefix = str(folder).rstrip("/") + "/"
        with contextlib.suppress(sqlite3.Error):
            yield from self.db.execute(
                "SELECT path, size, mtime_ns, light, warnings, error FROM cached_posts"
                " WHERE parse_key = ? AND substr(path, 1, ?) = ? ORDER BY path",
                (self.parse_key, len(prefix), prefix),
            )

    @staticmethod
    def outcome(row: tuple[Any, ...], size: int, mtime_ns: int) -> Parsed | None:
        """A row of rows_under as its file's outcome, when it is of this version of the file."""
        _, row_size, row_mtime, *stored = row
        return _parsed(*stored) if (row_size, row_mtime) == (size, mtime_ns) else None

    def entry(self, path: str) -> tuple[int, int, Parsed] | None:
        """What the cache holds for a file, whatever version of it: (size, mtime_ns, outcome)."""
        if self.db is None:
            return None
        try:
            row = self.db.execute(
                "SELECT size, mtime_ns, light, warnings, error FROM cached_posts"
                " WHERE parse_key = ? AND path = ?",
                (self.parse_key, path),
            ).fetchone()
        except sqlite3.Error:
            return None
        parsed = None if row is None else _parsed(*row[2:])
        return None if row is None or parsed is None else (row[0], row[1], parsed)

    def store(self, path: Path | str, size: int, mtime_ns: int, parsed: Parsed) -> None:
        if self.db is not None:  # pickled only when there is a cache to keep it
            self.store_row(path, size, mtime_ns, cache_row(parsed))

    def store_row(self, path: Path | str, size: int, mtime_ns: int, row: CacheRow) -> None:
        """A file's outcome as cache_row made it (in the worker that parsed the file)."""
        if self.db is None:
            return
        with contextlib.suppress(sqlite3.Error):  # not cached: parsed again next time
            self.db.execute(
                "INSERT OR REPLACE INTO cached_posts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (str(path), size, mtime_ns, self.parse_key, *row),
            )

    def commit(self) -> None:
        """Make what was stored visible to other connections (the render workers')."""
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.commit()

    def key_of(self, source: str) -> str:
        """A post file's row, as the loader keys it: its path under the posts folder's resolved
        path (a post in a linked subfolder too); a file elsewhere by its folder's resolved
        path and its name. A folder is resolved once, not for each post (an lstat a part)."""
        if self._posts is not None and source.startswith(self._posts[0]):
            return self._posts[1] + source[len(self._posts[0]) :]
        folder, name = os.path.split(source)
        resolved = self._folders.get(folder)
        if resolved is None:
            resolved = self._folders[folder] = os.path.realpath(folder)
        return os.path.join(resolved, name)

    def full(self, post: Post) -> Post:
        """The post with its HTML and its own comments, fetched from the cache when they were
        left out (and parsed again from its file should the cache have lost them). Comments
        appended after loading (backfed from elsewhere) follow its own."""
        if not post.content_deferred:
            return post
        row = None
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                row = self.db.execute(
                    "SELECT content, comments FROM cached_posts WHERE path = ?",
                    (self.key_of(post.source),),
                ).fetchone()
        own_comments = _comments(row[1]) if row is not None and row[0] is not None else None
        if row is None or row[0] is None or own_comments is None:
            parsed = parse_file(Path(post.source), post.published.tzinfo or UTC)
            content = parsed.post.content_html if parsed.post else ""
            own = parsed.post.comments if parsed.post else ()
        else:
            content, own = row[0], own_comments
        return replace(
            post,
            content_html=content,
            comments=(*own, *post.comments),
            content_deferred=False,
            deferred_comment_times=(),
        )


# A file's outcome as the cache keeps it: its post's light copy, HTML and comments (pickled,
# but the HTML), its warnings and its error (pickled).
CacheRow = tuple[bytes | None, str | None, bytes | None, bytes, bytes | None]


def cache_row(parsed: Parsed) -> CacheRow:
    light = content = comments = None
    if parsed.post is not None:
        light = pickle.dumps(light_copy(parsed.post), protocol=pickle.HIGHEST_PROTOCOL)
        content = parsed.post.content_html
        comments = pickle.dumps(parsed.post.comments, protocol=pickle.HIGHEST_PROTOCOL)
    warnings = pickle.dumps(parsed.warnings) if parsed.warnings else b""
    error = pickle.dumps(parsed.error) if parsed.error is not None else None
    return light, content, comments, warnings, error


def row_outcome(row: CacheRow) -> Parsed | None:
    """What a build keeps of a file cache_row was made of: its post's light copy."""
    return _parsed(row[0], row[3], row[4])


def _parsed(light: bytes | None, warnings: bytes, error: bytes | None) -> Parsed | None:
    """A file's outcome from its cache columns; None when they cannot be read back (written by
    another layout of syndicate's modules): the file is parsed again."""
    try:
        post = pickle.loads(light) if light is not None else None
        failure = pickle.loads(error) if error is not None else None
        return Parsed(post, pickle.loads(warnings) if warnings else (), failure)
    except UNREADABLE_PICKLE:
        return None


def _records_key() -> str:
    """The shape of the records the cache pickles: a field added, removed or moved to another
    module gives another key, and rows of the old shape are never read."""
    shapes = [
        f"{record.__module__}.{record.__qualname__}:{','.join(f.name for f in fields(record))}"
        for record in (Post, Comment, CommentSource, Enclosure, Episode)
    ]
    return hashlib.blake2b("|".join(shapes).encode(), digest_size=6).hexdigest()


RECORDS = _records_key()
# Bumped when an importer reads the same file differently (summaries, media, ...) while the
# records keep their shape: rows parsed by the older rules are never read.
PARSER_REVISION = 4


def light_copy(post: Post) -> Post:
    """What every build loads of a post: no HTML, and of its comments only when they were left."""
    return replace(
        post,
        content_html="",
        comments=(),
        content_deferred=True,
        deferred_comment_times=tuple(post.comment_times()),
    )
