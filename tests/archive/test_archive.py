"""The archive's transactions: each stored feed whole or not at all, also when commits are grouped.

Real SQLite files, read back through a second connection as another process would see them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from syndicate.archive import Archive, Feed
from tests.archive.entries import WHEN, entry


def committed_guids(path: Path) -> set[str]:
    """What another connection sees: only what was committed."""
    with sqlite3.connect(path) as other:
        return {guid for (guid,) in other.execute("SELECT guid FROM copies")}


def committed_etag(path: Path, feed: Feed) -> str | None:
    with sqlite3.connect(path) as other:
        return other.execute("SELECT etag FROM feeds WHERE id = ?", (feed.id,)).fetchone()[0]


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path / "archive.sqlite3")


@pytest.fixture
def either(archive_location: Path | str) -> Iterator[Archive]:
    """An archive on each engine in turn (see tests/archive/conftest.py)."""
    with Archive(archive_location) as archive:
        yield archive


def feeds(archive: Archive, count: int) -> list[Feed]:
    return [archive.subscribe(f"https://site{number}.example/feed") for number in range(count)]


def test_grouped_feeds_are_committed_together_in_groups(archive: Archive) -> None:
    first, second, third = feeds(archive, 3)
    with archive.grouped_commits(most=2, seconds=3600):
        archive.store_entries(first, [entry("a")])
        assert committed_guids(archive.path) == set()  # the group is not full yet
        archive.store_entries(second, [entry("b")])
        assert committed_guids(archive.path) == {"a", "b"}
        archive.store_entries(third, [entry("c")])
        assert committed_guids(archive.path) == {"a", "b"}
    assert committed_guids(archive.path) == {"a", "b", "c"}


def test_a_feed_that_fails_midway_is_rolled_back_alone(archive: Archive) -> None:
    good, broken, later = feeds(archive, 3)
    with archive.grouped_commits(most=10, seconds=3600):
        archive.store_entries(good, [entry("a")], etag='"good"')
        with pytest.raises(TypeError):  # the second entry has no title: after the first's rows
            untitled = replace(entry("b2"), title=None)  # type: ignore[arg-type]
            archive.store_entries(broken, [entry("b1"), untitled], etag='"bad"')
        archive.store_entries(later, [entry("c")])
    assert committed_guids(archive.path) == {"a", "c"}
    assert committed_etag(archive.path, good) == '"good"'
    assert committed_etag(archive.path, broken) is None  # its validators went with its entries
    assert archive.copy_id(broken.url, "b1") is None


def test_an_interrupted_group_keeps_the_feeds_it_finished(archive: Archive) -> None:
    first, second = feeds(archive, 2)
    with pytest.raises(KeyboardInterrupt), archive.grouped_commits(most=10, seconds=3600):
        archive.store_entries(first, [entry("a")])
        archive.store_entries(second, [entry("b")])
        raise KeyboardInterrupt
    assert committed_guids(archive.path) == {"a", "b"}
    archive.store_entries(first, [entry("a2")])  # and the archive takes transactions again
    assert committed_guids(archive.path) == {"a", "b", "a2"}


def test_a_group_is_committed_after_its_time_even_when_not_full(archive: Archive) -> None:
    first, second = feeds(archive, 2)
    with archive.grouped_commits(most=1000, seconds=0):
        archive.store_entries(first, [entry("a")])
        assert committed_guids(archive.path) == {"a"}
        archive.store_entries(second, [entry("b")])
        assert committed_guids(archive.path) == {"a", "b"}


def test_entries_already_stored_are_updated_not_copied(either: Archive) -> None:
    archive = either
    (feed,) = feeds(archive, 1)
    archive.store_entries(feed, [entry("a"), entry("b")])
    stored = archive.store_entries(feed, [entry("b", title="Post b, revised"), entry("c")])
    assert (stored.new, stored.updated) == (1, 1)
    titles = {copy.guid: copy.title for e in archive.articles() for copy in e.copies}
    assert titles == {"a": "Post a", "b": "Post b, revised", "c": "Post c"}


TEXT = (
    "<p>Feeds let readers follow a site without an account, an algorithm or an inbox between"
    " them and the writer, and every reader chooses the program that shows them; that is why"
    " a small site should still publish one, and publish it with the full text of each post.</p>"
)


def article_of(archive: Archive, feed_url: str, guid: str) -> tuple[int, str | None]:
    row = archive.db.execute(
        "SELECT article_id, merge_rule FROM copies WHERE feed_url = ? AND guid = ?",
        (feed_url, guid),
    ).fetchone()
    return row[0], row[1]


def test_an_entry_naming_an_earlier_entry_of_its_own_feed_joins_it(either: Archive) -> None:
    archive = either
    (feed,) = feeds(archive, 1)
    original = entry("a")
    repost = replace(entry("b"), origin_urls=(str(original.url),))
    assert archive.store_entries(feed, [original, repost]).merged == 1
    assert article_of(archive, feed.url, "b") == (article_of(archive, feed.url, "a")[0], "link")


@pytest.mark.parametrize(
    ("apart", "merged"), [(timedelta(days=3), True), (timedelta(days=3, seconds=1), False)]
)
def test_same_title_and_text_merge_within_the_date_window(
    either: Archive, apart: timedelta, merged: bool
) -> None:
    archive = either
    first, second = feeds(archive, 2)
    title = "Why Feeds Still Matter"
    archive.store_entries(first, [replace(entry("a"), content_html=TEXT, title=title)])
    later = replace(entry("b"), published=WHEN + apart, content_html=TEXT, title=title)
    assert archive.store_entries(second, [later]).merged == int(merged)
    same = article_of(archive, first.url, "a")[0] == article_of(archive, second.url, "b")[0]
    assert same is merged
    assert archive.store_entries(second, [later]).merged == 0  # stored again: an update
