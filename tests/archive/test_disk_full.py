"""A full disk, for real: the archive on a 1 MiB tmpfs that this test mounts (as root; skipped
otherwise), filled by fetching feeds served on 127.0.0.1. Through the library and the CLI alike
it is our error naming the file, and every feed stored before it filled is still there whole."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.aggregate.fetch import copy_input
from syndicate.aggregate.fetcher import Fetcher
from syndicate.archive import Archive, Feed
from syndicate.cli import cli
from syndicate.errors import ArchiveFull
from tests.conftest import FeedServer
from tests.hostile import rss

RSS = "application/rss+xml"
ENTRIES = 20  # per feed
MOST_FEEDS = 400  # a 1 MiB disk is full long before
BIG = 200  # entries of about 8 KiB: a feed of 1.6 MiB


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a tmpfs of 1 MiB, unmounted when the test ends."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        pytest.skip("no mount command")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def serve_feed(server: FeedServer, number: int, *, entries: int = ENTRIES) -> str:
    body = rss(f"Site {number}", entries, link=f"https://site-{number}.example/")
    return server.serve(f"feed{number}", body, Content_Type=RSS, ETag=f'"{number}"')


def serve_big_feed(server: FeedServer, *, entries: int, paragraph_words: int) -> str:
    """A feed of long entries (as a site that publishes its whole text gives them)."""
    text = "<p>" + " ".join(f"word{n}" for n in range(paragraph_words)) + "</p>"
    body = rss("Big", entries, link="https://big.example/").replace(
        b"<description>", b"<description>" + escape(text).encode()
    )
    return server.serve("big", body, Content_Type=RSS)


def fetch_and_store(archive: Archive, fetcher: Fetcher, feed: Feed) -> set[str]:
    """What `syndicate fetch` does for one feed, with the library: download, parse, store."""
    download = fetcher.download(feed)
    assert download.parsed is not None, download.error
    entries = [copy_input(entry) for entry in download.parsed.entries]
    archive.store_entries(feed, entries, title=download.parsed.title)
    return {entry.guid for entry in entries}


def stored_guids(path: Path, feed_url: str) -> set[str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT guid FROM copies WHERE feed_url = ?", (feed_url,))
        return {guid for (guid,) in rows}


def integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def assert_our_full_disk_error(error: BaseException, path: Path) -> None:
    assert isinstance(error, ArchiveFull) and not isinstance(error, sqlite3.Error)
    assert str(error).startswith(f"{path}: the disk is full"), error
    assert "cannot rollback" not in str(error) and not getattr(error, "__notes__", None)
    assert isinstance(error.__cause__, sqlite3.OperationalError)  # SQLite's, kept as the cause


def test_storing_through_the_library_on_a_full_disk(
    tiny_disk: Path, feed_server: FeedServer
) -> None:
    path = tiny_disk / "archive.sqlite3"
    fetcher = Fetcher(deadline=10)
    stored: dict[str, set[str]] = {}
    with Archive(path) as archive:
        with archive.grouped_commits(most=MOST_FEEDS):  # one commit: room for the entries
            feeds = [archive.subscribe(serve_feed(feed_server, n)) for n in range(MOST_FEEDS)]
        with pytest.raises(ArchiveFull) as raised:
            for feed in feeds:
                stored[feed.url] = fetch_and_store(archive, fetcher, feed)
        assert_our_full_disk_error(raised.value, path)
        failed = feeds[len(stored)]
        # The archive goes on answering, and a second try fails the same way.
        assert len(archive.articles()) == ENTRIES * len(stored)
        with pytest.raises(ArchiveFull):
            fetch_and_store(archive, fetcher, failed)
    assert len(stored) >= 10, "the disk filled before ten feeds: the test is not measuring"
    assert integrity(path) == "ok"
    for url, guids in stored.items():
        assert stored_guids(path, url) == guids
    assert stored_guids(path, failed.url) == set()  # whole or not at all


def test_a_feed_bigger_than_the_page_cache_when_the_disk_fills(
    tiny_disk: Path, feed_server: FeedServer
) -> None:
    """A feed whose changes outgrow the page cache is written to the WAL during its transaction;
    when the disk fills then, SQLite rolls the transaction back itself (a ROLLBACK after it
    used to fail with "cannot rollback - no transaction is active", hiding the full disk).
    The cache is made small here so that a feed of 1 MiB does what one of 64 MiB does."""
    path = tiny_disk / "archive.sqlite3"
    fetcher = Fetcher(deadline=10)
    with Archive(path) as archive:
        archive.db.execute("PRAGMA cache_size = 16")  # pages
        small = archive.subscribe(serve_feed(feed_server, 0))
        small_guids = fetch_and_store(archive, fetcher, small)
        big = archive.subscribe(serve_big_feed(feed_server, entries=BIG, paragraph_words=1000))
        with pytest.raises(ArchiveFull) as raised:
            fetch_and_store(archive, fetcher, big)
        assert_our_full_disk_error(raised.value, path)
        assert not archive.db.in_transaction
        # Given room, the same archive object takes the same feed whole.
        subprocess.run(["mount", "-o", "remount,size=16m", str(tiny_disk)], check=True)
        assert len(fetch_and_store(archive, fetcher, big)) == BIG
    assert integrity(path) == "ok"
    assert stored_guids(path, small.url) == small_guids
    assert len(stored_guids(path, big.url)) == BIG


def test_fetch_on_a_full_disk_says_so_in_one_line_and_exits_1(
    tiny_disk: Path, feed_server: FeedServer, tmp_path: Path
) -> None:
    """Each round subscribes ten more feeds and runs `syndicate fetch` (the earlier feeds
    answer 304, which is a small write too), until the disk is full."""
    path = tiny_disk / "archive.sqlite3"
    env = {
        "SYNDICATE_ARCHIVE": str(path),
        "SYNDICATE_POSTS": str(tmp_path / "no-posts"),
        "SYNDICATE_OUTPUT": str(tmp_path / "out"),
        "SYNDICATE_CACHE_DIR": str(tmp_path / "cache"),
    }
    stored: list[str] = []
    for round_number in range(MOST_FEEDS // 10):
        new = [serve_feed(feed_server, round_number * 10 + n) for n in range(10)]
        try:
            with Archive(path) as archive, archive.grouped_commits():
                for url in new:
                    archive.subscribe(url)
        except ArchiveFull:  # full already: the fetch that follows must say so too
            new = []
        result = CliRunner().invoke(cli, ["fetch"], env=env, catch_exceptions=False)
        if result.exit_code != 0:
            break
        assert all(len(stored_guids(path, url)) == ENTRIES for url in new), result.output
        stored += new
    assert result.exit_code == 1, result.output
    assert len(stored) >= 10, "the disk filled in the first round: the test is not measuring"
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {path}: the disk is full"), line
    assert "Traceback" not in result.output and "cannot rollback" not in result.output
    assert integrity(path) == "ok"
    for url in stored:
        assert len(stored_guids(path, url)) == ENTRIES
    for url in new:  # the round that filled the disk: each feed whole or not at all
        assert len(stored_guids(path, url)) in (0, ENTRIES)
    # The same from a real process.
    done = subprocess.run(
        [sys.executable, "-m", "syndicate", "fetch"],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: {path}: the disk is full"), line
    assert integrity(path) == "ok"


def fill(folder: Path) -> Path:
    """Take the rest of the disk with a file of something else."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(descriptor, b"x" * 4096)
    except OSError:
        pass  # ENOSPC
    finally:
        os.close(descriptor)
    return filler


def test_opening_an_archive_on_a_disk_that_something_else_filled(tiny_disk: Path) -> None:
    """Opening needs room for the WAL index (the -shm file): SQLite says "disk I/O error"."""
    path = tiny_disk / "archive.sqlite3"
    with Archive(path) as archive:
        archive.subscribe("https://x.example/feed")
    filler = fill(tiny_disk)
    with pytest.raises(ArchiveFull) as raised:
        Archive(path)
    assert_our_full_disk_error(raised.value, path)
    result = CliRunner().invoke(
        cli, ["archive"], env={"SYNDICATE_ARCHIVE": str(path)}, catch_exceptions=False
    )
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {path}: the disk is full"), line
    filler.unlink()
    with Archive(path) as archive:
        assert [feed.url for feed in archive.feeds()] == ["https://x.example/feed"]
