"""`syndicate copy-archive SOURCE DEST` between any two engines: everything an archive holds
arrives with its ids (subscriptions with validators and backoff, merges by link, by content
and by hand, a split, comments, comment feed state, enclosures), `archive --json` and
`subscriptions --json` are the same after, and new rows are numbered after the copied ones.
A real PostgreSQL (tests/backends.py) and SQLite files under tmp_path."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.api import copy_archive
from syndicate.archive import Archive, CommentFeed, CommentFeedOutcome, FeedComment, FeedProfile
from syndicate.archive.copy import COPIED_TABLES, NOT_COPIED_TABLES
from syndicate.cli import cli
from syndicate.errors import ArchiveError
from syndicate.model import Enclosure, FeedEntry
from tests.archive.entries import WHEN, entry
from tests.backends import PostgresServer, committed

TEXT = (
    "<p>Feeds let readers follow a site without an account, an algorithm or an inbox between"
    " them and the writer, and every reader chooses the program that shows them.</p>"
)
EPISODE = Enclosure("https://one.example/a.mp3", 12345, "audio/mpeg", duration=61, title="A")


def kept_by_content(guid: str) -> FeedEntry:
    return replace(entry(guid), title="Why feeds", content_html=TEXT)


def fill(location: Path | str) -> None:
    """An archive with something in every table and every kind of state."""
    with Archive(location) as archive:
        one = archive.subscribe("https://one.example/feed", name="One")
        two = archive.subscribe("https://two.example/feed")
        failing = archive.subscribe("https://three.example/feed")
        archive.subscribe("https://four.example/feed")  # never fetched
        first = replace(
            entry("a"),
            enclosures=(EPISODE,),
            comments_feed_url="https://one.example/a/comments",
            source_urls=("https://elsewhere.example/",),
        )
        archive.store_entries(
            one,
            [first, replace(entry("b"), content_html=TEXT), entry("e"), kept_by_content("g")],
            etag='"v1"',
            last_modified="Fri, 01 Mar 2024 08:00:00 GMT",
            title="One's feed",
            site_url="https://one.example/",
            fetched=WHEN,
            profile=FeedProfile("About one", "Ann", "Hugo", "https://one.example/logo.png"),
        )
        by_link = replace(entry("f"), url=first.url, title="Another title")
        by_content = replace(
            entry("c"), title=entry("b").title, content_html=TEXT, published=WHEN + timedelta(1)
        )
        later = [by_link, by_content, entry("d"), kept_by_content("h")]
        stored = archive.store_entries(two, later, fetched=WHEN)
        assert stored.merged == 3  # one by link, two by content (one is split off below)
        archive.record_failure(
            failing,
            message="HTTP 503: the server asks to retry later",
            status=503,
            fetched=WHEN,
            retry_at=WHEN + timedelta(hours=1),
        )
        copy_a, copy_f = archive.copy_id(one.url, "a"), archive.copy_id(two.url, "f")
        assert copy_a and copy_f
        archive.store_comments(
            copy_a,
            [
                FeedComment("k1", "Ann", WHEN, "https://one.example/a#k1", "<p>Hi</p>"),
                FeedComment("k2", "Bob", None, None, "<p>Undated</p>"),
            ],
        )
        polled = CommentFeed(copy_a, "https://one.example/a/comments")
        archive.record_comment_feed(polled, CommentFeedOutcome(WHEN, 200, '"c1"', "then"))
        broken = CommentFeed(copy_f, "https://two.example/f/comments")
        archive.record_comment_feed(
            broken,
            CommentFeedOutcome(WHEN, 500, error="HTTP 500", retry_at=WHEN + timedelta(hours=2)),
        )
        by_guid = {c.guid: a.id for a in archive.articles() for c in a.copies}
        archive.split_copy(by_guid["b"], archive.copy_id(two.url, "c") or 0)
        archive.merge_articles(by_guid["e"], by_guid["d"])


def shown(location: Path | str, *command: str) -> str:
    result = CliRunner().invoke(
        cli, ["--archive", str(location), *command, "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def views(location: Path | str) -> tuple[str, str]:
    return shown(location, "archive"), shown(location, "subscriptions")


def copied(source: Path | str, dest: Path | str) -> str:
    result = CliRunner().invoke(
        cli, ["copy-archive", str(source), str(dest)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def table_rows(location: Path | str) -> dict[str, list[tuple[object, ...]]]:
    """Every copied table's rows, by id (what the JSON does not show: the ids themselves,
    the override records, the validators of comment feeds)."""
    keys = {"origins": "copy_id, norm_url", "comment_feeds": "copy_id"}
    return {
        table: committed(location, f"SELECT * FROM {table} ORDER BY {keys.get(table, 'id')}")
        for table in COPIED_TABLES
        if table not in ("feeds", "comment_feeds")  # their lease columns are not copied
    } | {
        "feeds": committed(
            location,
            "SELECT id, url, etag, last_modified, failures, next_due FROM feeds ORDER BY id",
        ),
        "comment_feeds": committed(
            location,
            "SELECT copy_id, url, etag, failures, next_due FROM comment_feeds ORDER BY copy_id",
        ),
    }


def test_sqlite_to_postgresql_and_back_keeps_everything(
    tmp_path: Path, postgres_location: str
) -> None:
    source = tmp_path / "archive.sqlite3"
    fill(source)
    before = views(source)
    said = copied(source, postgres_location)
    assert views(postgres_location) == before
    back = tmp_path / "back.sqlite3"
    copied(postgres_location, back)
    assert views(back) == before
    assert table_rows(back) == table_rows(source)
    articles = json.loads(before[0])
    rules = {copy["merge_rule"] for article in articles for copy in article["copies"]}
    assert {"link", "content", "manual"} <= rules
    subscriptions = {each["url"]: each for each in json.loads(before[1])}
    assert subscriptions["https://one.example/feed"]["etag"] == '"v1"'
    assert subscriptions["https://three.example/feed"]["failures"] == 1
    assert "feeds: 4" in said and "comments: 2" in said and "overrides: 2" in said


def test_an_archive_made_on_postgresql_copies_to_sqlite(
    tmp_path: Path, postgres_location: str
) -> None:
    fill(postgres_location)
    dest = tmp_path / "copy.sqlite3"
    copied(postgres_location, dest)
    assert views(dest) == views(postgres_location)
    assert table_rows(dest) == table_rows(postgres_location)


def test_sqlite_to_sqlite(tmp_path: Path) -> None:
    fill(tmp_path / "a.sqlite3")
    copied(tmp_path / "a.sqlite3", tmp_path / "b.sqlite3")
    assert views(tmp_path / "b.sqlite3") == views(tmp_path / "a.sqlite3")


def test_new_rows_are_numbered_after_the_copied_ones(
    tmp_path: Path, postgres_location: str
) -> None:
    fill(tmp_path / "archive.sqlite3")
    copy_archive(tmp_path / "archive.sqlite3", postgres_location)
    with Archive(postgres_location) as archive:
        highest = {
            table: archive.db.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0]
            for table in ("feeds", "articles", "copies", "comments", "overrides")
        }
        feed = archive.subscribe("https://five.example/feed")
        archive.store_entries(feed, [entry("z")])
        (copy,) = [c for a in archive.articles() for c in a.copies if c.guid == "z"]
        archive.store_comments(copy.id, [FeedComment("n", "Cy", None, None, "<p>New</p>")])
        by_guid = {c.guid: a.id for a in archive.articles() for c in a.copies}
        archive.merge_articles(by_guid["a"], by_guid["z"])
    assert feed.id == highest["feeds"] + 1
    assert copy.id == highest["copies"] + 1
    assert by_guid["z"] == highest["articles"] + 1
    assert committed(postgres_location, "SELECT MAX(id) FROM comments") == [
        (highest["comments"] + 1,)
    ]
    assert committed(postgres_location, "SELECT MAX(id) FROM overrides") == [
        (highest["overrides"] + 1,)
    ]


def test_every_table_is_copied_or_said_to_be_working_state(tmp_path: Path) -> None:
    Archive(tmp_path / "archive.sqlite3").close()
    with closing(sqlite3.connect(tmp_path / "archive.sqlite3")) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables - NOT_COPIED_TABLES == set(COPIED_TABLES)


def test_a_destination_that_holds_an_archive_is_refused(
    tmp_path: Path, archive_location: Path | str
) -> None:
    fill(tmp_path / "source.sqlite3")
    with Archive(archive_location) as dest:
        dest.subscribe("https://mine.example/feed")
    result = CliRunner().invoke(
        cli, ["copy-archive", str(tmp_path / "source.sqlite3"), str(archive_location)]
    )
    assert result.exit_code == 2, result.output
    assert "already holds an archive (feeds has rows)" in result.output
    assert committed(archive_location, "SELECT url FROM feeds") == [("https://mine.example/feed",)]


def test_a_missing_source_is_refused_and_nothing_is_made(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["copy-archive", str(tmp_path / "none.sqlite3"), str(tmp_path / "dest.sqlite3")]
    )
    assert result.exit_code == 2, result.output
    assert "no archive there to copy" in result.output
    assert not (tmp_path / "none.sqlite3").exists()


def test_text_with_a_nul_is_refused_by_name_and_postgresql_is_left_empty(
    tmp_path: Path, postgres_location: str
) -> None:
    source = tmp_path / "archive.sqlite3"
    fill(source)
    with closing(sqlite3.connect(source)) as db, db:
        db.execute("UPDATE copies SET title = ? WHERE guid = 'd'", ("a\x00b",))
    with pytest.raises(ArchiveError, match=r"copies row \d+ has a NUL character in title"):
        copy_archive(source, postgres_location)
    for table in COPIED_TABLES:
        assert committed(postgres_location, f"SELECT COUNT(*) FROM {table}") == [(0,)]


def test_a_password_in_either_url_is_never_printed(
    tmp_path: Path, pg_server: PostgresServer
) -> None:
    """As a real process, as cron would run it (the test cluster trusts every password)."""
    source = tmp_path / "archive.sqlite3"
    fill(source)
    user = pg_server.cluster.user
    url = pg_server.new_archive().replace(f"://{user}@", f"://{user}:s3cret@", 1)
    assert "s3cret" in url
    ran = subprocess.run(
        [sys.executable, "-m", "syndicate", "copy-archive", str(source), url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert f"://{user}:***@" in ran.stdout  # the destination, named without its password
    again = subprocess.run(
        [sys.executable, "-m", "syndicate", "copy-archive", str(source), url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2
    assert "already holds an archive" in again.stderr
    assert "s3cret" not in ran.stdout + ran.stderr + again.stdout + again.stderr
