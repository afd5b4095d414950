"""The archive's one error boundary: whatever SQLite raises leaves the archive as one of our
errors naming the file; what is not a storage failure (already subscribed, not found) has a type
of its own. Real SQLite files; a full database made real with PRAGMA max_page_count."""

from __future__ import annotations

import inspect
import pickle
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

import syndicate.archive
from syndicate.archive import Archive, CommentInput
from syndicate.archive.base import storage_error
from syndicate.cli import cli
from syndicate.errors import (
    AlreadySubscribed,
    ArchiveBusy,
    ArchiveDamaged,
    ArchiveError,
    ArchiveFull,
    NotFound,
    StorageError,
)
from tests.archive.entries import WHEN, entry

# The archive's own context managers translate inside them, and `translated_errors` is the
# boundary itself.
NOT_WRAPPED = {"transaction", "grouped_commits", "translated_errors", "snapshot"}


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path / "archive.sqlite3")


@pytest.fixture
def either(archive_location: Path | str) -> Iterator[Archive]:
    """An archive on each engine in turn (see tests/archive/conftest.py)."""
    with Archive(archive_location) as archive:
        yield archive


def public_methods() -> list[str]:
    return sorted(
        name
        for name, member in inspect.getmembers(Archive, inspect.isfunction)
        if not name.startswith("_") and name not in NOT_WRAPPED
    )


def test_every_public_method_is_inside_the_boundary() -> None:
    unwrapped = [
        name
        for name in public_methods()
        if not getattr(getattr(Archive, name), "wraps_exceptions", False)
    ]
    assert unwrapped == []


CALLS = {
    "articles": lambda a: a.articles(),
    "backfed_comments": lambda a: a.backfed_comments(),
    "feeds": lambda a: a.feeds(),
    "feed": lambda a: a.feed("https://x.example/feed"),
    "subscribe": lambda a: a.subscribe("https://x.example/feed"),
    "unsubscribe": lambda a: a.unsubscribe("https://x.example/feed"),
    "store_comments": lambda a: a.store_comments(1, []),
    "merge_articles": lambda a: a.merge_articles(1, 2),
    "split_copy": lambda a: a.split_copy(1, 1),
    "copy_text": lambda a: a.copy_text(1),
    "synced_digests": lambda a: a.synced_digests("urn:x"),
}


@pytest.mark.parametrize("method", sorted(CALLS))
def test_a_sqlite_error_in_any_method_is_ours_naming_the_file(
    archive: Archive, method: str
) -> None:
    archive.db.close()  # every statement now fails in SQLite's module: a programming error
    with pytest.raises(StorageError) as raised:
        CALLS[method](archive)
    assert str(raised.value).startswith(f"{archive.path}: ")
    assert isinstance(raised.value.__cause__, sqlite3.Error)


def test_a_full_database_is_archive_full_and_keeps_what_was_stored(archive: Archive) -> None:
    """max_page_count makes SQLite answer SQLITE_FULL as a full disk does, mid-statement."""
    first = archive.subscribe("https://first.example/feed")
    archive.store_entries(first, [entry("a"), entry("b")])
    (pages,) = archive.db.execute("PRAGMA page_count").fetchone()
    archive.db.execute(f"PRAGMA max_page_count = {pages + 2}")
    second = archive.subscribe("https://second.example/feed")
    big = [entry(f"big{n}", text="words " * 2000) for n in range(50)]
    with pytest.raises(ArchiveFull) as raised:
        archive.store_entries(second, big, etag='"2"')
    assert str(raised.value).startswith(f"{archive.path}: the disk is full")
    assert not archive.db.in_transaction
    assert not getattr(raised.value, "__notes__", None)  # the rollback went well
    assert {copy.guid for a in archive.articles() for copy in a.copies} == {"a", "b"}
    assert archive.feed(second.url).etag is None  # type: ignore[union-attr]  # whole or nothing
    with pytest.raises(ArchiveFull), archive.grouped_commits():  # and inside a group too
        archive.store_entries(second, big)
    archive.db.execute("PRAGMA max_page_count = 1073741823")
    assert archive.store_entries(second, big).new == len(big)  # the archive works on
    with closing(sqlite3.connect(archive.path)) as other:
        assert other.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_already_subscribed_is_its_own_error(either: Archive) -> None:
    archive = either
    archive.subscribe("https://user:secret@x.example/feed")
    with pytest.raises(AlreadySubscribed) as raised:
        archive.subscribe("https://user:secret@x.example/feed")
    assert not isinstance(raised.value, StorageError)
    assert raised.value.url == "https://user:secret@x.example/feed"
    assert str(raised.value) == "https://user:***@x.example/feed: already subscribed"


def test_what_is_not_there_is_not_found(either: Archive) -> None:
    archive = either
    feed = archive.subscribe("https://x.example/feed")
    archive.store_entries(feed, [entry("a"), entry("b")])
    entry_id = archive.articles()[0].id
    cases = [
        (lambda: archive.unsubscribe("https://y.example/feed"), "subscription"),
        (lambda: archive.merge_articles(entry_id, 999), "entry"),
        (lambda: archive.split_copy(999, 1), "entry"),
        (lambda: archive.split_copy(entry_id, 999), "copy"),
    ]
    for call, kind in cases:
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.kind == kind and not isinstance(raised.value, StorageError)
    with pytest.raises(ArchiveError, match="cannot be merged with itself"):
        archive.merge_articles(entry_id, entry_id)


def test_a_write_held_by_another_process_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "archive.sqlite3"
    Archive(path).close()
    monkeypatch.setattr(syndicate.archive, "BUSY_SECONDS", 0.2)
    with closing(sqlite3.connect(path, isolation_level=None)) as holder, Archive(path) as archive:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(ArchiveBusy) as raised:
            archive.subscribe("https://x.example/feed")
        holder.execute("ROLLBACK")
        assert raised.value.waited == 0.2
        archive.subscribe("https://x.example/feed")  # and works once the other is done


def test_comments_are_stored_through_the_boundary_too(either: Archive) -> None:
    archive = either
    feed = archive.subscribe("https://x.example/feed")
    archive.store_entries(feed, [entry("a")])
    copy_id = archive.copy_id(feed.url, "a")
    assert copy_id is not None
    comment = CommentInput(guid="c", author="Ann", published=WHEN, url=None, content_html="Hi")
    assert archive.store_comments(copy_id, [comment]) == 1
    (article,) = archive.articles()
    assert [c.author for c in article.comments] == ["Ann"]


def test_sqlite_errors_map_by_their_result_codes(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    with closing(sqlite3.connect(":memory:")) as db, pytest.raises(sqlite3.Error) as syntax:
        db.execute("SELEKT 1")
    assert type(storage_error(syntax.value, path, waited=1)) is StorageError
    not_a_database = tmp_path / "not.sqlite3"
    not_a_database.write_bytes(b"this is not SQLite" * 500)
    with closing(sqlite3.connect(not_a_database)) as db, pytest.raises(sqlite3.Error) as damaged:
        db.execute("SELECT * FROM sqlite_master")
    assert isinstance(storage_error(damaged.value, path, waited=1), ArchiveDamaged)


def test_opening_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 999")
    with pytest.raises(ArchiveError, match="newer than this syndicate understands"):
        Archive(path)


@pytest.mark.parametrize(
    "error",
    [
        ArchiveFull(Path("/a.sqlite3"), "database or disk is full"),
        ArchiveDamaged(Path("/a.sqlite3"), "malformed"),
        StorageError(Path("/a.sqlite3"), "disk I/O error"),
        AlreadySubscribed("https://x.example/feed"),
        NotFound("entry", 3, "no archive entry 3"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_the_errors_pickle_whole(error: ArchiveError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)


def test_the_cli_keeps_its_exit_statuses(tmp_path: Path) -> None:
    env = {"SYNDICATE_ARCHIVE": str(tmp_path / "archive.sqlite3")}

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.output

    with Archive(tmp_path / "archive.sqlite3") as archive:
        archive.subscribe("http://127.0.0.1:9/feed")
    assert run("subscribe", "http://127.0.0.1:9/feed") == (
        2,
        "error: http://127.0.0.1:9/feed: already subscribed\n",
    )
    assert run("merge", "1", "2") == (2, "error: no archive entry 1\n")
    assert run("unsubscribe", "http://127.0.0.1:9/other") == (
        2,
        "error: http://127.0.0.1:9/other: not subscribed\n",
    )
