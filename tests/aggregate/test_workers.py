"""Several `syndicate fetch` processes on one PostgreSQL archive (archive/claims.py): each due
feed is fetched by exactly one of them, no host sees more than two requests at once across
them all, and the feeds of a worker killed with SIGKILL are fetched by the others once its
lease has ended. Real processes, a real PostgreSQL (tests/backends.py) and loopback
feed servers, one per host on 127.0.0.2-5, that count requests per feed and in flight."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from syndicate.archive import Archive, CommentFeed
from tests.backends import PostgresServer, committed, postgres_server

HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
FEEDS_PER_HOST = 15
ENTRIES = 2
SERVE_SECONDS = 0.25  # each response is this slow, so that requests overlap
PUBLISHED = "Fri, 01 Mar 2024 08:00:00 GMT"
TALK_FEEDS_PER_HOST = 2  # feeds whose entries name comment feeds (in the comment feed test)
TALK_ENTRIES = 5


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@dataclass
class FeedHosts:
    """What the feed servers saw: each request's host, path and time; the most requests in
    flight at once per host."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[tuple[str, str, float]] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    most_in_flight: Counter[str] = field(default_factory=Counter)
    urls: list[str] = field(default_factory=list)

    def per_feed(self) -> Counter[str]:
        return Counter(f"{host}{path}" for host, path, _at in self.requests)


def feed_body(host: str, port: int, path: str) -> bytes:
    """A feed of ENTRIES entries; under /talk/, TALK_ENTRIES recent ones, each naming its
    comment feed on this server; under /comments/, a comment feed of one comment."""
    number = path.strip("/").replace("/", "-")
    if path.startswith("/comments/"):
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>Comments {number}</title><link>http://{host}/</link>"
            f"<item><title>By: Ann</title><guid>c-{number}</guid><dc:creator>Ann</dc:creator>"
            f"<description>A comment on {number}</description></item></channel></rss>"
        ).encode()
    talk = path.startswith("/talk/")
    published = format_datetime(datetime.now(UTC), usegmt=True) if talk else PUBLISHED
    items = "".join(
        f"<item><title>Post {host} {number} {n}</title>"
        f"<link>http://{host}/posts/{number}/{n}</link><guid>{number}-{n}</guid>"
        f"<pubDate>{published}</pubDate>"
        + (f"<wfw:commentRss>http://{host}:{port}/comments/{number}/{n}</wfw:commentRss>" * talk)
        + f"<description>Entry {n} of {number} on {host}</description></item>"
        for n in range(TALK_ENTRIES if talk else ENTRIES)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/"><channel>'
        f"<title>{host} {number}</title><link>http://{host}/</link>"
        f"<description>A feed</description>{items}</channel></rss>"
    ).encode()


@contextmanager
def feed_hosts(*, talk_feeds: int = 0) -> Iterator[FeedHosts]:
    """The feed servers, serving FEEDS_PER_HOST feeds each and `talk_feeds` feeds with
    comment feeds."""
    seen = FeedHosts()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host, port = self.server.server_address[:2]  # type: ignore[index]
            with seen.lock:
                seen.requests.append((host, self.path, time.monotonic()))
                seen.in_flight[host] += 1
                seen.most_in_flight[host] = max(seen.most_in_flight[host], seen.in_flight[host])
            try:
                time.sleep(SERVE_SECONDS)
                body = feed_body(str(host), int(port), self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            finally:
                with seen.lock:
                    seen.in_flight[host] -= 1

        def log_message(self, *args: object) -> None:
            pass

    with ExitStack() as servers:
        for host in HOSTS:
            server = ThreadingHTTPServer((host, 0), Handler)
            server.handle_error = lambda request, address: None  # type: ignore[method-assign]
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            servers.callback(server.server_close)
            servers.callback(server.shutdown)
            port = server.server_address[1]
            seen.urls += [f"http://{host}:{port}/feed/{n}" for n in range(FEEDS_PER_HOST)]
            seen.urls += [f"http://{host}:{port}/talk/{n}" for n in range(talk_feeds)]
        yield seen


def subscribed(pg_server: PostgresServer, hosts: FeedHosts) -> str:
    url = pg_server.new_archive()
    with Archive(url) as archive:
        for feed_url in hosts.urls:
            archive.subscribe(feed_url)
    return url


def worker(url: str, tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "syndicate", "--archive", url, "fetch", "--jobs", "4"],
        cwd=tmp_path,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fetched_count(stdout: str) -> int:
    match = re.search(r"fetched (\d+) feed\(s\)", stdout)
    assert match, stdout
    return int(match[1])


def stored_everything(url: str, hosts: FeedHosts) -> None:
    feeds = len(hosts.urls)
    assert committed(url, "SELECT COUNT(*) FROM copies") == [(feeds * ENTRIES,)]
    assert committed(url, "SELECT COUNT(*) FROM feeds WHERE last_status = 200") == [(feeds,)]
    assert committed(url, "SELECT COUNT(*) FROM feeds WHERE leased_by IS NOT NULL") == [(0,)]


def test_three_workers_fetch_each_feed_once_and_share_the_per_host_limit(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    with feed_hosts() as hosts:
        url = subscribed(pg_server, hosts)
        workers = [worker(url, tmp_path) for _ in range(3)]
        outputs = [process.communicate(timeout=120) for process in workers]
    for process, (_stdout, stderr) in zip(workers, outputs, strict=True):
        assert process.returncode == 0, stderr
    per_feed = hosts.per_feed()
    assert len(per_feed) == len(hosts.urls)
    assert set(per_feed.values()) == {1}, per_feed.most_common(3)
    assert max(hosts.most_in_flight.values()) == 2, hosts.most_in_flight  # held, and reached
    shares = [fetched_count(stdout) for stdout, _ in outputs]
    assert sum(shares) == len(hosts.urls)
    assert sum(1 for share in shares if share) >= 2, shares  # the work was shared
    stored_everything(url, hosts)
    assert committed(url, "SELECT COUNT(*) FROM fetch_workers") == [(0,)]  # each left
    # Started together, the three shared one round.
    assert committed(url, "SELECT COUNT(DISTINCT claimed_round) FROM feeds") == [(1,)]


def test_a_killed_workers_feeds_are_fetched_by_the_others_after_its_lease(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    lease = 2.0
    with feed_hosts() as hosts:
        url = subscribed(pg_server, hosts)
        victim = worker(url, tmp_path, SYNDICATE_LEASE_SECONDS=str(lease))
        pattern = f"%:{victim.pid}:%"
        deadline = time.monotonic() + 60
        while not (
            hosts.requests
            and committed(url, "SELECT 1 FROM feeds WHERE leased_by LIKE ?", (pattern,))
        ):
            assert time.monotonic() < deadline and victim.poll() is None
            time.sleep(0.02)
        others = [worker(url, tmp_path, SYNDICATE_LEASE_SECONDS=str(lease)) for _ in range(2)]
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        victim.wait(timeout=10)
        held = {
            row[0]
            for row in committed(url, "SELECT url FROM feeds WHERE leased_by LIKE ?", (pattern,))
        }
        outputs = [process.communicate(timeout=120) for process in others]
    assert held, "the killed worker held no feed"
    for process, (_stdout, stderr) in zip(others, outputs, strict=True):
        assert process.returncode == 0, stderr
    stored_everything(url, hosts)
    # Only the killed worker is still on the list, until a later one joins after its lease.
    assert [row[0] for row in committed(url, "SELECT worker FROM fetch_workers")] == [
        worker_name
        for (worker_name,) in committed(
            url, "SELECT worker FROM fetch_workers WHERE worker LIKE ?", (pattern,)
        )
    ]
    fetched_at: dict[str, list[float]] = {}
    for host, path, at in hosts.requests:
        fetched_at.setdefault(f"{host}{path}", []).append(at)
    for feed_url in held:
        key = re.sub(r":\d+", "", feed_url.removeprefix("http://"))
        # Renewed at most a third of a lease before the kill, so free 2/3 of a lease after.
        assert max(fetched_at[key]) >= killed_at + lease * 0.6, (key, fetched_at[key])
    # Every other feed was fetched once: only the killed worker's could be fetched twice.
    twice = {key for key, times in fetched_at.items() if len(times) > 1}
    assert twice <= {re.sub(r":\d+", "", u.removeprefix("http://")) for u in held}


def subscriptions_json(url: str) -> dict[str, dict[str, object]]:
    listed = subprocess.run(
        [sys.executable, "-m", "syndicate", "--archive", url, "subscriptions", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {each["url"]: each for each in json.loads(listed.stdout)}


def test_three_workers_poll_each_comment_feed_once_and_polled_counts_only_polls(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    with feed_hosts(talk_feeds=TALK_FEEDS_PER_HOST) as hosts:
        url = subscribed(pg_server, hosts)
        workers = [worker(url, tmp_path) for _ in range(3)]
        outputs = [process.communicate(timeout=120) for process in workers]
    for process, (_stdout, stderr) in zip(workers, outputs, strict=True):
        assert process.returncode == 0, stderr
    per_feed = hosts.per_feed()
    comment_feeds = {key: n for key, n in per_feed.items() if "/comments/" in key}
    talk_urls = [feed_url for feed_url in hosts.urls if "/talk/" in feed_url]
    # Every worker comes to the comment feeds (those of recent copies) once the round's
    # feeds are stored, and each is polled by one of them.
    assert len(comment_feeds) == len(talk_urls) * TALK_ENTRIES
    assert set(comment_feeds.values()) == {1}, Counter(comment_feeds).most_common(3)
    assert set(per_feed.values()) == {1}, per_feed.most_common(3)
    assert max(hosts.most_in_flight.values()) == 2, hosts.most_in_flight
    assert committed(url, "SELECT COUNT(*) FROM comments") == [(len(comment_feeds),)]
    assert committed(url, "SELECT COUNT(*) FROM comment_feeds WHERE leased_by IS NOT NULL") == [
        (0,)
    ]
    assert committed(url, "SELECT COUNT(DISTINCT claimed_round) FROM comment_feeds") == [(1,)]
    listed = subscriptions_json(url)
    for feed_url in hosts.urls:
        polled = TALK_ENTRIES if feed_url in talk_urls else 0
        assert listed[feed_url]["comment_feeds"] == {"polled": polled, "failing": []}

    # A claim makes the row of a comment feed never polled: it is not counted as polled.
    plain = hosts.urls[0]
    [(copy_id,)] = committed(url, "SELECT MIN(id) FROM copies WHERE feed_url = ?", (plain,))
    with Archive(url) as archive:
        claim = archive.join_round(lease=60)
        wanted = CommentFeed(copy_id, "http://127.0.0.2:9/comments/never")
        assert archive.claim_comment_feeds(claim, [wanted]) == [wanted]
        assert archive.claim_comment_feeds(claim, [wanted]) == []  # claimed in this round
        assert subscriptions_json(url)[plain]["comment_feeds"]["polled"] == 0
        archive.leave_round(claim)
    assert committed(
        url, "SELECT leased_by, claimed_round FROM comment_feeds WHERE copy_id = ?", (copy_id,)
    ) == [(None, None)]
