"""The archive on PostgreSQL: the same tables and results as on SQLite, its errors as ours by
SQLSTATE, and a PostgreSQL URL kept as a URL wherever the archive is set. A real server (one
cluster for the session, tests/backends.py); SQLite files under tmp_path to compare."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

import syndicate.archive
from syndicate.archive import Archive, FeedComment
from syndicate.archive.postgres import postgres_sql, storage_error
from syndicate.archive.schema import MIGRATIONS
from syndicate.cli import cli
from syndicate.config import DatabaseURL, load_settings
from syndicate.errors import (
    ArchiveBusy,
    ArchiveDamaged,
    ArchiveError,
    ArchiveFull,
    ArchiveUnavailable,
    StorageError,
)
from syndicate.site.freshness import archive_state
from tests.archive.entries import WHEN, entry
from tests.backends import PostgresServer, committed
from tests.conftest import BASE_URL

TEXT = (
    "<p>Feeds let readers follow a site without an account, an algorithm or an inbox between"
    " them and the writer, and every reader chooses the program that shows them.</p>"
)


@pytest.fixture
def either(archive_location: Path | str) -> Iterator[Archive]:
    with Archive(archive_location) as archive:
        yield archive


# -- the SQL, translated -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT 1 FROM feeds WHERE url = ? AND x LIKE '50%'", "url = %s AND x LIKE '50%%'"),
        ("SELECT '?' FROM t WHERE a = ?", "SELECT '?' FROM t WHERE a = %s"),
        ("SELECT * FROM comments ORDER BY published, id", "ORDER BY published NULLS FIRST, id"),
        (
            "SELECT a FROM c GROUP BY a ORDER BY MIN(published) DESC, a DESC LIMIT 5",
            "ORDER BY MIN(published) DESC NULLS LAST, a DESC NULLS LAST LIMIT 5",
        ),
        ("SELECT * FROM feeds ORDER BY url NULLS LAST", "ORDER BY url NULLS LAST"),
        (
            "INSERT INTO comments (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET b = excluded.b"
            " WHERE comments.b IS DISTINCT FROM excluded.b OR c IS NOT NULL",
            "WHERE comments.b IS DISTINCT FROM excluded.b OR c IS NOT NULL RETURNING id",
        ),
        ("INSERT INTO articles DEFAULT VALUES", "INSERT INTO articles DEFAULT VALUES RETURNING id"),
        ("INSERT INTO origins (copy_id) VALUES (?)", "INSERT INTO origins (copy_id) VALUES (%s)"),
    ],
)
def test_sqlite_statements_are_translated_for_postgresql(sqlite: str, postgres: str) -> None:
    assert postgres in postgres_sql(sqlite).text


def test_both_engines_have_the_same_columns(tmp_path: Path, postgres_location: str) -> None:
    path = tmp_path / "archive.sqlite3"
    Archive(path).close()
    with closing(sqlite3.connect(path)) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        on_sqlite = {
            (table, name, bool(notnull or primary))
            for table in tables
            for _cid, name, _type, notnull, _default, primary in db.execute(
                f"PRAGMA table_info({table})"
            )
        }
    on_postgres = set(
        (table, name, nullable == "NO")
        for table, name, nullable in committed(
            postgres_location,
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name <> 'schema_version'",
        )
    )
    assert on_postgres == on_sqlite
    text_collations = committed(
        postgres_location,
        "SELECT DISTINCT collation_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type = 'text'",
    )
    assert text_collations == [("C",)]  # byte order, as SQLite compares text


# -- the same results on both engines ------------------------------------------------------------


def test_feeds_sort_by_their_bytes_on_both_engines(either: Archive) -> None:
    urls = ["https://b.org/", "https://B.org/", "https://a.org/x", "https://a.org/X"]
    for url in urls:
        either.subscribe(url)
    assert [feed.url for feed in either.feeds()] == sorted(urls)


def test_undated_comments_come_first_and_undated_articles_last(either: Archive) -> None:
    feed = either.subscribe("https://x.example/feed")
    undated = replace(entry("u"), published=None)
    either.store_entries(feed, [entry("a"), undated])
    copy_id = either.copy_id(feed.url, "a")
    assert copy_id is not None
    comments = [
        FeedComment(guid="late", author="B", published=WHEN, url=None, content_html="x"),
        FeedComment(guid="none", author="A", published=None, url=None, content_html="y"),
        FeedComment(
            guid="half",
            author="C",
            published=WHEN.replace(microsecond=500000),
            url=None,
            content_html="z",
        ),
    ]
    either.store_comments(copy_id, comments)
    (newest,) = either.articles(limit=1)
    assert newest.copies[0].guid == "a"  # an undated article is not the newest
    assert [c.guid for c in newest.comments] == ["none", "late", "half"]


def test_a_changed_comment_is_stored_again_and_an_unchanged_one_is_not(either: Archive) -> None:
    feed = either.subscribe("https://x.example/feed")
    either.store_entries(feed, [entry("a")])
    copy_id = either.copy_id(feed.url, "a")
    assert copy_id is not None
    comment = FeedComment(guid="c", author="Ann", published=WHEN, url=None, content_html="Hi")
    assert either.store_comments(copy_id, [comment]) == 1
    assert either.store_comments(copy_id, [comment]) == 0
    assert either.store_comments(copy_id, [replace(comment, url="https://x.example/c")]) == 1


def build_one_archive(location: Path | str) -> str:
    """The same feeds, merges (by the rules and by hand), a split, a comment and a failure;
    `archive --json` of it. The split comes before the manual merge: SQLite numbers a new
    article with the highest id a merge deleted, PostgreSQL never reuses one."""
    with Archive(location) as archive:
        first = archive.subscribe("https://one.example/feed", name="One")
        second = archive.subscribe("https://two.example/feed")
        archive.store_entries(first, [entry("a"), replace(entry("b"), content_html=TEXT)])
        title = entry("b").title
        later = replace(entry("c"), title=title, content_html=TEXT, published=WHEN + timedelta(1))
        assert archive.store_entries(second, [later, entry("d")]).merged == 1
        copy_id = archive.copy_id(first.url, "a")
        assert copy_id is not None
        comment = FeedComment(guid="k", author="Ann", published=None, url=None, content_html="Hi")
        archive.store_comments(copy_id, [comment])
        by_guid = {c.guid: a.id for a in archive.articles() for c in a.copies}
        archive.split_copy(by_guid["b"], archive.copy_id(second.url, "c") or 0)
        archive.merge_articles(by_guid["a"], by_guid["d"])
        archive.record_failure(second, message="HTTP 500", status=500, fetched=WHEN, retry_at=WHEN)
    result = CliRunner().invoke(
        cli, ["--archive", str(location), "archive", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_archive_json_is_identical_on_both_engines(tmp_path: Path, postgres_location: str) -> None:
    on_sqlite = build_one_archive(tmp_path / "archive.sqlite3")
    assert build_one_archive(postgres_location) == on_sqlite
    assert '"merge_rule": "manual"' in on_sqlite


# -- what only PostgreSQL does ------------------------------------------------------------------


def test_a_lock_held_by_another_session_is_busy(
    postgres_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(syndicate.archive, "BUSY_SECONDS", 0.2)
    holder = psycopg.connect(postgres_location, autocommit=True)
    with holder, Archive(postgres_location) as archive:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE feeds IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(ArchiveBusy) as raised:
            archive.subscribe("https://x.example/feed")
        holder.execute("ROLLBACK")
        assert raised.value.waited == 0.2
        archive.subscribe("https://x.example/feed")  # and works once the other is done


def test_a_connection_the_server_ended_is_unavailable(postgres_location: str) -> None:
    archive = Archive(postgres_location)
    (pid,) = archive.db.execute("SELECT pg_backend_pid()").fetchone()
    committed(postgres_location, "SELECT pg_terminate_backend(?)", (pid,))
    with pytest.raises(ArchiveUnavailable) as raised:
        archive.subscribe("https://x.example/feed")
    assert "what was being stored was not written" in str(raised.value)
    assert isinstance(raised.value.__cause__, psycopg.OperationalError)


def test_an_unreachable_server_cannot_be_opened_and_its_password_is_not_shown(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.cluster.url("nowhere").replace("://", "://u:secret@", 1)
    url = url.replace(f"@{pg_server.cluster.user}@", "@")
    with pytest.raises(StorageError, match="cannot open the archive") as raised:
        Archive(url)
    assert "secret" not in str(raised.value) and "u:***@" in str(raised.value)


@pytest.mark.parametrize(
    ("error", "ours"),
    [
        (psycopg.errors.DiskFull("no space left on device"), ArchiveFull),
        (psycopg.errors.DataCorrupted("invalid page in block 7"), ArchiveDamaged),
        (psycopg.errors.SerializationFailure("could not serialize access"), ArchiveBusy),
        (psycopg.errors.DeadlockDetected("deadlock detected"), ArchiveBusy),
        (psycopg.errors.QueryCanceled("canceling statement"), ArchiveBusy),
        (psycopg.errors.AdminShutdown("terminating connection"), ArchiveUnavailable),
        (psycopg.errors.UndefinedTable('relation "x" does not exist'), StorageError),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else value.__name__,
)
def test_postgresql_errors_map_by_their_sqlstate(
    error: psycopg.Error, ours: type[ArchiveError]
) -> None:
    translated = storage_error(error, "postgresql://h/db", waited=1)
    assert type(translated) is ours
    assert str(translated).startswith("postgresql://h/db: ")
    if ours is ArchiveDamaged:
        assert "restore the database from a backup" in str(translated)
        assert "sqlite3" not in str(translated)


def test_a_nul_in_stored_text_is_a_storage_error_not_a_traceback(postgres_location: str) -> None:
    with Archive(postgres_location) as archive:
        feed = archive.subscribe("https://x.example/feed")
        with pytest.raises(StorageError, match="NUL"):
            archive.store_entries(feed, [replace(entry("a"), title="a\x00b")])
        assert archive.articles() == []  # nothing of that feed was stored


def test_archives_opened_at_once_are_migrated_once(pg_server: PostgresServer) -> None:
    url = pg_server.cluster.new_database()  # empty: each opening races to migrate it
    failures: list[BaseException] = []

    def open_it() -> None:
        try:
            Archive(url).close()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert committed(url, "SELECT version FROM schema_version") == [(len(MIGRATIONS),)]


def test_a_newer_schema_is_refused(postgres_location: str) -> None:
    committed(postgres_location, "UPDATE schema_version SET version = 999")
    with pytest.raises(ArchiveError, match="newer than this syndicate understands"):
        Archive(postgres_location)


# -- a URL stays a URL -----------------------------------------------------------------------


def test_the_archive_setting_keeps_a_url_from_each_layer(tmp_path: Path) -> None:
    url = "postgresql://syndicate:secret@db.internal:5433/feeds"
    config = tmp_path / "syndicate.toml"
    config.write_text(f'[archive]\npath = "{url}"\n', encoding="utf-8")
    from_file = load_settings(config, environ={}).archive
    from_env = load_settings(environ={"SYNDICATE_ARCHIVE": url}).archive
    from_option = load_settings(overrides={"archive": DatabaseURL(url)}, environ={}).archive
    for archive in (from_file, from_env, from_option):
        assert isinstance(archive, DatabaseURL) and archive == url
    assert "secret" not in repr(from_file)
    assert load_settings(environ={"SYNDICATE_ARCHIVE": "a.sqlite3"}).archive == Path("a.sqlite3")


def test_the_cli_opens_a_database_given_by_url(postgres_location: str) -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(
            cli, ["--archive", postgres_location, *args], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result.output

    run("subscribe", "https://x.example/feed")
    assert committed(postgres_location, "SELECT url FROM feeds") == [("https://x.example/feed",)]
    assert "https://x.example/feed" in run("subscriptions")


def build(archive: str, posts: Path, output: Path) -> list[str]:
    """The titles of archive.json's items after a build with the archive at `archive`."""
    args = ["--archive", archive, "build", str(posts), "-o", str(output)]
    result = CliRunner().invoke(cli, [*args, "--base-url", BASE_URL], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    items = json.loads((output / "archive.json").read_text(encoding="utf-8"))["items"]
    return [item["title"] for item in items]


def test_a_build_shows_what_was_stored_in_the_database_since_the_last(
    postgres_location: str, seed_posts: Path, tmp_path: Path
) -> None:
    with Archive(postgres_location) as archive:
        archive.store_entries(archive.subscribe("https://x.example/feed"), [entry("a")])
    assert "Post a" in build(postgres_location, seed_posts, tmp_path / "out")
    with Archive(postgres_location) as archive:
        feed = archive.feed("https://x.example/feed")
        assert feed is not None
        archive.store_entries(feed, [entry("a"), entry("b")])
    assert "Post b" in build(postgres_location, seed_posts, tmp_path / "out")


def test_the_database_revision_moves_with_each_write_and_not_with_reads(
    postgres_location: str,
) -> None:
    settings = load_settings(overrides={"archive": DatabaseURL(postgres_location)}, environ={})
    before = archive_state(settings)
    with Archive(postgres_location) as archive:
        archive.feeds()
        archive.articles()
    assert archive_state(settings) == before != []
    with Archive(postgres_location) as archive:
        archive.subscribe("https://x.example/feed")
    assert archive_state(settings) not in (before, [])


def test_an_unreachable_database_has_no_revision(postgres_location: str) -> None:
    gone = postgres_location.rsplit("/", 1)[0] + "/no_such_database"
    settings = load_settings(overrides={"archive": DatabaseURL(gone)}, environ={})
    assert archive_state(settings) == []
