"""A slow feed holds nothing back: the others are stored as they finish, other commands and
other fetches run meanwhile, and SIGTERM or Ctrl-C commits what finished and exits.

Real `syndicate` processes on one archive (a SQLite file, and a PostgreSQL database), feeds
served on 127.0.0.1, real signals."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from syndicate import archive as archive_module
from syndicate.cli import cli
from tests.backends import PostgresServer, committed, is_postgres
from tests.conftest import ArchiveLocation
from tests.hostile import hostile_server, response_head, rss, trickle

SLOW_DEADLINE = 20.0


def slow_feed(connection: socket.socket) -> None:
    """Headers, then a byte a second: done long after every other feed (or cut off)."""
    body = rss("Slow", 2, link="https://slow.example/")
    connection.sendall(response_head(len(body)))
    trickle(connection, body, every=1.0, most=SLOW_DEADLINE)


ANSWERS = itertools.count()


def good_feed(connection: socket.socket) -> None:
    """A feed of three entries of its own each time it is asked."""
    answer = next(ANSWERS)
    body = rss(f"Good {answer}", 3, link=f"https://good-{answer}.example/")
    connection.sendall(response_head(len(body)) + body)


class Folder:
    """One archive and posts folder, used by CLI calls here and by real subprocesses."""

    def __init__(self, root: Path, archive: ArchiveLocation) -> None:
        self.root = root
        self.archive = archive
        posts = root / "posts"
        posts.mkdir()
        (posts / "hello.md").write_text("---\ntitle: Hello\ndate: 2026-01-02\n---\nHi.\n")
        self.env = {
            "SYNDICATE_ARCHIVE": str(self.archive),
            "SYNDICATE_POSTS": str(posts),
            "SYNDICATE_OUTPUT": str(root / "out"),
            "SYNDICATE_CACHE_DIR": str(root / "cache"),
            "SYNDICATE_DEADLINE": str(SLOW_DEADLINE),
        }

    def run(self, *args: str, **env: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            cli, list(args), env={**self.env, **env}, catch_exceptions=False
        )
        assert "Traceback" not in result.output
        return result.exit_code, result.stdout, result.stderr

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "syndicate", *args],
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stored_titles(self) -> set[str]:
        """What another reader of the archive sees committed now."""
        return {title for (title,) in committed(self.archive, "SELECT title FROM copies")}


@pytest.fixture
def folder(tmp_path: Path, archive_location: ArchiveLocation) -> Folder:
    return Folder(tmp_path, archive_location)


@pytest.fixture
def servers() -> Iterator[tuple[str, str]]:
    with hostile_server(slow_feed) as slow, hostile_server(good_feed) as good:
        yield slow, good


def wait_for(condition: object, *, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if condition():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {within} s")


def subscribe_all(folder: Folder, slow: str, good: str, count: int = 5) -> None:
    # The slow feed first: in download order, nothing after it would be stored before it.
    # Subscribing checks the feed: cut that short (the fetch is what is tested).
    assert folder.run("subscribe", slow + "feed", SYNDICATE_DEADLINE="0.2")[0] == 0
    for n in range(count):
        assert folder.run("subscribe", f"{good}feed{n}")[0] == 0


def test_finished_feeds_are_committed_while_a_slow_one_downloads(
    folder: Folder, servers: tuple[str, str]
) -> None:
    slow, good = servers
    folder.env["SYNDICATE_DEADLINE"] = "60"
    subscribe_all(folder, slow, good)
    fetch = folder.start("fetch", "--jobs", "2")
    try:
        took = wait_for(
            lambda: len({t for t in folder.stored_titles() if "Good" in t}) >= 15, within=8
        )
        assert fetch.poll() is None  # the slow feed is still coming in
        # Other commands write meanwhile, at once: no transaction is held open on the network.
        started = time.monotonic()
        assert folder.run("subscribe", good + "late")[0] == 0
        code, out, err = folder.run("archive", "--json")
        assert code == 0, err
        ids = [entry["id"] for entry in json.loads(out)[:2]]
        assert folder.run("merge", str(ids[0]), str(ids[1]))[0] == 0
        assert time.monotonic() - started < 3
    finally:
        fetch.send_signal(signal.SIGTERM)
        fetch.communicate(timeout=10)
    assert took < 8


def test_sigterm_commits_what_finished_and_exits_with_a_clear_line(
    folder: Folder, servers: tuple[str, str]
) -> None:
    slow, good = servers
    subscribe_all(folder, slow, good)
    fetch = folder.start("fetch", "--jobs", "3")
    wait_for(lambda: len({t for t in folder.stored_titles() if "Good" in t}) >= 15, within=8)
    stored_before = folder.stored_titles()
    sent = time.monotonic()
    fetch.send_signal(signal.SIGTERM)
    _out, err = fetch.communicate(timeout=10)
    exited_after = time.monotonic() - sent
    assert fetch.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert exited_after < 3, exited_after
    assert folder.stored_titles() >= stored_before
    # The slow feed was cut off by the stop, not failed: nothing is recorded against it.
    _code, listing, _ = folder.run("subscriptions", "--json")
    slow_feed_state = next(f for f in json.loads(listing) if f["url"] == slow + "feed")
    assert slow_feed_state["failures"] == 0
    if is_postgres(folder.archive):  # the stopped process left no session (nor transaction)
        others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        wait_for(lambda: committed(folder.archive, others) == [(1,)], within=5)
    else:
        with sqlite3.connect(folder.archive) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sigint_too(folder: Folder, servers: tuple[str, str]) -> None:
    slow, good = servers
    subscribe_all(folder, slow, good, count=2)
    fetch = folder.start("fetch")
    wait_for(lambda: len({t for t in folder.stored_titles() if "Good" in t}) >= 6, within=8)
    fetch.send_signal(signal.SIGINT)
    _, err = fetch.communicate(timeout=10)
    assert fetch.returncode == 128 + signal.SIGINT, err
    assert "stopped by SIGINT" in err and "Traceback" not in err


def test_three_fetches_at_once_on_a_new_archive_all_succeed(folder: Folder) -> None:
    with hostile_server(good_feed) as good:
        for n in range(6):
            assert folder.run("subscribe", f"{good}feed{n}")[0] == 0
        fetches = [folder.start("fetch") for _ in range(3)]
        results = [(*f.communicate(timeout=60), f.returncode) for f in fetches]
    for _out, err, code in results:
        assert code == 0, err
        assert "already subscribed" not in err and "locked" not in err


def test_three_fetches_at_once_on_an_archive_created_by_none_of_them(
    tmp_path: Path, archive_engine: str, request: pytest.FixtureRequest
) -> None:
    """Each opens (and migrates) the missing archive, or the database with no tables yet, and
    syncs the own posts at the same moment: none may fail on the others' writes."""
    archive: ArchiveLocation = tmp_path / "archive.sqlite3"
    if archive_engine == "postgres":
        pg_server: PostgresServer = request.getfixturevalue("pg_server")
        archive = pg_server.new_empty_database()
    with hostile_server(good_feed):
        folder = Folder(tmp_path, archive)
        fetches = [folder.start("fetch") for _ in range(3)]
        results = [(*f.communicate(timeout=60), f.returncode) for f in fetches]
    for _out, err, code in results:
        assert code == 0, err


class WriteHeld:
    """Another connection in the middle of a write: on SQLite, the file's write lock; on
    PostgreSQL, a lock on the subscriptions' table that every write to it waits for."""

    def __init__(self, location: ArchiveLocation) -> None:
        if is_postgres(location):
            import psycopg

            self.connection: Any = psycopg.connect(str(location))
            self.connection.execute("LOCK TABLE feeds IN EXCLUSIVE MODE")
        else:
            self.connection = sqlite3.connect(
                location, isolation_level=None, check_same_thread=False
            )
            self.connection.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        self.connection.rollback()
        self.connection.close()


def test_a_write_held_past_the_wait_is_reported_as_busy(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert folder.run("subscriptions")[0] == 0  # makes the archive
    monkeypatch.setattr(archive_module, "BUSY_SECONDS", 0.5)
    holder = WriteHeld(folder.archive)
    try:
        code, _out, err = folder.run("subscribe", "http://127.0.0.1:9/feed")
    finally:
        holder.close()
    assert code == 75, err
    assert "the archive is busy" in err and "try again later" in err
    assert folder.run("subscriptions", "--json")[1] == "[]\n"  # nothing half-stored


def test_a_write_that_ends_within_the_wait_is_waited_for(folder: Folder) -> None:
    assert folder.run("subscriptions")[0] == 0
    holder = WriteHeld(folder.archive)
    timer = threading.Timer(1.5, holder.connection.commit)
    timer.start()
    try:
        started = time.monotonic()
        code, _out, err = folder.run("subscribe", "http://127.0.0.1:9/feed")
        waited = time.monotonic() - started
    finally:
        timer.join()
        holder.close()
    assert code == 0, err
    assert waited >= 1.4  # it did wait for the other write


def test_sigterm_during_publish_stores_what_finished_builds_nothing_and_frees_the_lock(
    tmp_path: Path, folder: Folder, servers: tuple[str, str]
) -> None:
    slow, good = servers
    subscribe_all(folder, slow, good, count=2)
    publish = folder.start("publish")
    wait_for(lambda: len({t for t in folder.stored_titles() if "Good" in t}) >= 6, within=8)
    publish.send_signal(signal.SIGTERM)
    _, err = publish.communicate(timeout=10)
    assert publish.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "index.html").exists()  # the next run builds
    folder.env["SYNDICATE_DEADLINE"] = "0.5"
    code, _out, err = folder.run("publish")
    assert code in (0, 1), err  # not 75: the lock went with the stopped run
    assert (tmp_path / "out" / "index.html").exists()
