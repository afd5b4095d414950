"""Servers that trickle, stall, lie or are not HTTP: every exchange ends within its deadline,
a lie is a failure with nothing stored, and the feeds beside a bad one are unaffected.

Real sockets on 127.0.0.1 (tests/hostile.py), the real fetcher and the real CLI, on a SQLite
archive and on a PostgreSQL one."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from syndicate.aggregate.http import fetch_url, new_session
from syndicate.cli import cli
from syndicate.errors import FeedError, UnsupportedURL
from tests.conftest import ArchiveLocation
from tests.hostile import hostile_server, response_head, rss, trickle

FEED = rss("Trickled", 20)


def trickled_body(connection: socket.socket) -> None:
    connection.sendall(response_head(len(FEED)))
    trickle(connection, FEED, every=0.05)


def trickled_headers(connection: socket.socket) -> None:
    trickle(connection, response_head(len(FEED)) + FEED, every=0.1)


def stall_renewed_under_read_timeout(connection: socket.socket) -> None:
    """Headers at once, then a byte just before each read timeout would fire."""
    connection.sendall(response_head(len(FEED)))
    trickle(connection, FEED, every=0.8)


def trickle_without_length(connection: socket.socket) -> None:
    """No Content-Length: a body cut off by the deadline would look complete."""
    connection.sendall(response_head(None))
    connection.sendall(FEED[:200])
    trickle(connection, FEED[200:], every=0.05)


@pytest.mark.parametrize(
    "behave",
    [trickled_body, trickled_headers, stall_renewed_under_read_timeout, trickle_without_length],
)
def test_an_exchange_ends_at_its_deadline_however_the_server_trickles(behave) -> None:  # type: ignore[no-untyped-def]
    with hostile_server(behave) as base:
        started = time.monotonic()
        with pytest.raises(FeedError, match=r"deadline \(1\.5 s\)"):
            fetch_url(new_session(), base + "feed", timeout=(1.0, 1.0), deadline=1.5)
        took = time.monotonic() - started
    assert 1.4 < took < 3.0, took


def test_a_session_works_again_after_an_exchange_was_cut_off() -> None:
    session = new_session()
    with hostile_server(trickled_body) as slow, pytest.raises(FeedError, match="deadline"):
        fetch_url(session, slow + "feed", deadline=0.5)

    def prompt(connection: socket.socket) -> None:
        connection.sendall(response_head(len(FEED)) + FEED)

    with hostile_server(prompt) as fast:
        assert fetch_url(session, fast + "feed", deadline=5).content == FEED


def short_body(connection: socket.socket) -> None:
    """Says twice the length it sends, then closes."""
    connection.sendall(response_head(2 * len(FEED)) + FEED)


def test_a_body_shorter_than_its_content_length_is_refused() -> None:
    with (
        hostile_server(short_body) as base,
        pytest.raises(FeedError, match=r"cut short|connection broken"),
    ):
        fetch_url(new_session(), base + "feed", deadline=5)


def not_http(connection: socket.socket) -> None:
    banner = b"SSH-2.0-OpenSSH_9.2\x1b[31m\x00" + b"A" * 5000 + b"\r\n"
    connection.sendall(banner)


def test_a_non_http_peers_banner_is_cut_and_escaped() -> None:
    with hostile_server(not_http) as base, pytest.raises(FeedError) as raised:
        fetch_url(new_session(), base + "feed", deadline=5)
    message = raised.value.message
    assert len(message) <= 200
    assert message.isprintable()
    assert "\x1b" not in message and "\x00" not in message


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/1",
        "dict://127.0.0.1:2628/d:feed",
        "javascript:alert(1)",
        "ftp://127.0.0.1/feed.xml",
    ],
)
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(UnsupportedURL, match="only http and https"):
        fetch_url(new_session(), url)


# -- through the CLI -----------------------------------------------------------------------------


class Folder:
    def __init__(self, root: Path, archive: ArchiveLocation, deadline: float = 1.5) -> None:
        self.root = root
        self.env = {
            "SYNDICATE_ARCHIVE": str(archive),
            "SYNDICATE_POSTS": str(root / "posts"),
            "SYNDICATE_OUTPUT": str(root / "out"),
            "SYNDICATE_DEADLINE": str(deadline),
            "SYNDICATE_CACHE_DIR": str(root / "cache"),
        }
        posts = root / "posts"
        posts.mkdir(exist_ok=True)
        (posts / "hello.md").write_text("---\ntitle: Hello\ndate: 2026-01-02\n---\nHi.\n")

    def run(self, *args: str) -> Result:
        result = CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    def subscriptions(self) -> list[dict[str, object]]:
        result = self.run("subscriptions", "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def archive(self) -> list[dict[str, object]]:
        result = self.run("archive", "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def folder(tmp_path: Path, archive_location: ArchiveLocation) -> Folder:
    return Folder(tmp_path, archive_location)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1/", "dict://127.0.0.1/", "javascript:x"]
)
def test_subscribe_refuses_odd_schemes_and_stores_nothing(folder: Folder, url: str) -> None:
    result = folder.run("subscribe", url)
    assert result.exit_code == 2, result.output
    assert "only http and https" in result.stderr
    assert folder.subscriptions() == []


def test_subscribe_to_a_trickling_feed_ends_at_the_deadline(folder: Folder) -> None:
    with hostile_server(trickled_body) as base:
        started = time.monotonic()
        result = folder.run("subscribe", base + "feed")
        took = time.monotonic() - started
    assert took < 4, took
    assert result.exit_code == 0, result.output  # kept, and retried by fetch with backoff
    assert "deadline" in result.stderr


def test_fetch_cuts_off_a_trickling_feed_and_stores_the_others(folder: Folder) -> None:

    def good(connection: socket.socket) -> None:
        body = rss("Good", 3, link=f"https://good{connection.getsockname()[1]}.example/")
        connection.sendall(response_head(len(body)) + body)

    with hostile_server(trickled_body) as slow, hostile_server(good) as fast:
        for url in (slow + "feed", fast + "a", fast + "b", fast + "c"):
            assert folder.run("subscribe", url).exit_code == 0
        started = time.monotonic()
        result = folder.run("fetch")
        took = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert f"error: {slow}feed: no complete answer within the deadline (1.5 s)" in result.stderr
    assert "fetched 3 feed(s)" in result.stdout
    assert took < 6, took
    by_url = {feed["url"]: feed for feed in folder.subscriptions()}
    failed = by_url[slow + "feed"]
    assert failed["failures"] == 1 and "deadline" in str(failed["last_error"])
    assert failed["next_due"]  # backoff like any other failure
    assert all(by_url[fast + path]["failures"] == 0 for path in "abc")


def test_a_short_body_stores_nothing_and_fails_the_feed(folder: Folder) -> None:
    with hostile_server(short_body) as base:
        assert folder.run("subscribe", base + "feed").exit_code == 0
        result = folder.run("fetch")
    assert result.exit_code == 1, result.output
    assert "cut short" in result.stderr or "connection broken" in result.stderr
    assert not [a for a in folder.archive() if "Trickled" in str(a["title"])]


def test_publish_with_a_stalled_feed_finishes_and_frees_the_lock(
    tmp_path: Path, folder: Folder
) -> None:
    with hostile_server(stall_renewed_under_read_timeout) as base:
        assert folder.run("subscribe", base + "feed").exit_code == 0
        started = time.monotonic()
        first = folder.run("publish")
        took = time.monotonic() - started
        second = folder.run("publish")  # the lock was let go: not 75
    assert took < 6, took
    assert first.exit_code == 1, first.output
    assert "deadline" in first.stderr
    assert second.exit_code == 0, second.output  # the failed feed is not due yet (backoff)
    assert (tmp_path / "out" / "archive.xml").is_file()  # the site was built


def test_a_trickling_websub_hub_is_cut_off(folder: Folder) -> None:

    def trickling_hub(connection: socket.socket) -> None:
        trickle(connection, b"HTTP/1.1 204 No Content\r\n\r\n", every=0.3)

    with hostile_server(trickling_hub) as hub:
        folder.env["SYNDICATE_HUB"] = hub
        started = time.monotonic()
        result = folder.run("publish")
        took = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert "deadline" in result.stderr and "will be retried" in result.stderr
    assert took < 5, took
