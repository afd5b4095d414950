"""fetch.py against a real HTTP server on 127.0.0.1; parse_feed on feeds shaped like real hosts'."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from syndicate.aggregate.http import (
    USER_AGENT,
    HostLimiter,
    fetch_url,
    new_session,
    next_retry_delay,
)
from syndicate.errors import FeedError

Route = Callable[[BaseHTTPRequestHandler], None]


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout tests) is expected, not worth a traceback."""


class Handler(BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))
        route = self.server.routes.get(urlsplit(self.path).path)
        if route is None:
            reply(self, 404, b"no such route")
        else:
            route(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def reply(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    content_length: bool = True,
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if content_length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def answer(status: int, body: bytes = b"", **headers: str) -> Route:
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return lambda handler: reply(handler, status, body, named)


def redirect(status: int, target: str) -> Route:
    return answer(status, Location=target)


@pytest.fixture(scope="module")
def running_server() -> Iterator[FeedServer]:
    server = FeedServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def server(running_server: FeedServer) -> FeedServer:
    running_server.routes.clear()
    running_server.seen.clear()
    return running_server


FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


# -- fetch_url -----------------------------------------------------------------------------------


def test_identifies_itself_and_asks_for_feeds(server: FeedServer) -> None:
    server.routes["/feed"] = answer(200, FEED, Content_Type="application/rss+xml")
    result = fetch_url(new_session(), server.url("/feed"))
    assert result.status == 200
    assert result.content == FEED
    assert result.content_type == "application/rss+xml"
    _, headers = server.seen[0]
    assert headers["User-Agent"] == USER_AGENT
    assert (
        USER_AGENT.startswith("syndicate/") and "+https://pypi.org/project/syndicate/" in USER_AGENT
    )
    assert "application/rss+xml" in headers["Accept"]
    assert "application/atom+xml" in headers["Accept"]


def test_conditional_get_gets_304_without_content(server: FeedServer) -> None:
    stamp = "Wed, 01 Mar 2023 10:00:00 GMT"

    def conditional(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            reply(handler, 304, headers={"ETag": '"v1"'}, content_length=False)
        else:
            reply(handler, 200, FEED, {"ETag": '"v1"', "Last-Modified": stamp})

    server.routes["/feed"] = conditional
    session = new_session()
    first = fetch_url(session, server.url("/feed"))
    assert (first.status, first.content, first.etag, first.last_modified) == (
        200,
        FEED,
        '"v1"',
        stamp,
    )
    second = fetch_url(session, server.url("/feed"), etag=first.etag, last_modified=stamp)
    assert second.status == 304
    assert second.content is None
    assert (second.etag, second.last_modified) == ('"v1"', stamp)
    _, headers = server.seen[1]
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == stamp


def test_gzip_body_is_decoded(server: FeedServer) -> None:
    server.routes["/feed"] = answer(200, gzip.compress(FEED), Content_Encoding="gzip")
    result = fetch_url(new_session(), server.url("/feed"))
    assert result.content == FEED
    assert "gzip" in server.seen[0][1]["Accept-Encoding"]


@pytest.mark.parametrize(
    ("chain", "stored"),
    [
        ([301], "/new"),
        ([308], "/new"),
        ([302], "/old"),
        ([303], "/old"),
        ([307], "/old"),
        ([301, 308], "/new"),
        ([301, 302], "/hop1"),  # the permanent part of the chain still counts
        ([302, 301], "/old"),
    ],
)
def test_only_permanent_redirects_change_the_url(
    server: FeedServer, chain: list[int], stored: str
) -> None:
    paths = ["/old"] + [f"/hop{i}" for i in range(1, len(chain))] + ["/new"]
    for status, here, there in zip(chain, paths, paths[1:], strict=False):
        server.routes[here] = redirect(status, there)  # relative Location, as servers send
    server.routes["/new"] = answer(200, FEED)
    result = fetch_url(new_session(), server.url("/old"))
    assert result.status == 200
    assert result.content == FEED
    assert result.requested_url == server.url("/old")
    assert result.url == server.url(stored)
    assert result.final_url == server.url("/new")


def test_redirect_loop_is_a_feed_error(server: FeedServer) -> None:
    server.routes["/a"] = redirect(302, "/b")
    server.routes["/b"] = redirect(302, "/a")
    with pytest.raises(FeedError, match="too many redirects"):
        fetch_url(new_session(), server.url("/a"))
    assert len(server.seen) == 11


def test_gone_is_a_result_not_an_error(server: FeedServer) -> None:
    server.routes["/feed"] = answer(410, b"gone")
    result = fetch_url(new_session(), server.url("/feed"))
    assert (result.status, result.content, result.retry_after) == (410, None, None)


def test_429_gives_retry_after_in_seconds(server: FeedServer) -> None:
    server.routes["/feed"] = answer(429, b"slow down", Retry_After="120")
    result = fetch_url(new_session(), server.url("/feed"))
    assert (result.status, result.content, result.retry_after) == (429, None, 120.0)


def test_503_gives_retry_after_from_an_http_date(server: FeedServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=300), usegmt=True)
    server.routes["/feed"] = answer(503, b"busy", Retry_After=when)
    result = fetch_url(new_session(), server.url("/feed"))
    assert result.status == 503
    assert result.retry_after is not None and 290 <= result.retry_after <= 300


@pytest.mark.parametrize("status", [500, 404, 403])
def test_other_error_statuses_raise_feed_error(server: FeedServer, status: int) -> None:
    server.routes["/feed"] = answer(status, b"oops")
    with pytest.raises(FeedError, match=str(status)) as raised:
        fetch_url(new_session(), server.url("/feed"))
    assert raised.value.url == server.url("/feed")
    assert raised.value.status == status


@pytest.mark.parametrize("declared", [True, False])
def test_body_over_max_bytes_is_refused(server: FeedServer, declared: bool) -> None:
    body = b"x" * 5000
    server.routes["/big"] = lambda handler: reply(handler, 200, body, content_length=declared)
    with pytest.raises(FeedError, match="larger than 1000 bytes"):
        fetch_url(new_session(), server.url("/big"), max_bytes=1000)
    server.routes["/fits"] = answer(200, body[:1000])
    assert fetch_url(new_session(), server.url("/fits"), max_bytes=1000).content == body[:1000]


def test_gzip_bomb_is_measured_after_decoding(server: FeedServer) -> None:
    bomb = gzip.compress(b"\0" * 200_000)
    assert len(bomb) < 1000
    server.routes["/bomb"] = answer(200, bomb, Content_Encoding="gzip")
    with pytest.raises(FeedError, match="larger than 10000 bytes"):
        fetch_url(new_session(), server.url("/bomb"), max_bytes=10_000)


def _stall_before_headers(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(0.5)


def _stall_mid_body(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    handler.wfile.write(b"<rss")
    handler.wfile.flush()
    time.sleep(0.5)


@pytest.mark.parametrize("route", [_stall_before_headers, _stall_mid_body])
def test_read_timeout_is_a_feed_error(server: FeedServer, route: Route) -> None:
    server.routes["/slow"] = route
    with pytest.raises(FeedError, match="stopped responding") as raised:
        fetch_url(new_session(), server.url("/slow"), timeout=(1.0, 0.2))
    assert "Traceback" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_connection_refused_is_a_feed_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed"
    with pytest.raises(FeedError, match=r"cannot connect: .*refused") as raised:
        fetch_url(new_session(), url, timeout=0.5)
    assert raised.value.url == url
    assert "HTTPConnectionPool" not in str(raised.value)


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "not a url"])
def test_unusable_url_is_a_feed_error(url: str) -> None:
    with pytest.raises(FeedError, match="not a usable URL"):
        fetch_url(new_session(), url)


def test_host_limiter_caps_concurrent_requests_per_host(server: FeedServer) -> None:
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def slow(handler: BaseHTTPRequestHandler) -> None:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        reply(handler, 200, FEED)

    server.routes["/slow"] = slow
    limiter = HostLimiter(per_host=2)
    statuses: list[int] = []

    def worker() -> None:
        with limiter.slot(server.url("/slow")):
            statuses.append(fetch_url(new_session(), server.url("/slow")).status)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    assert state["most"] == 2


def test_host_limiter_slots_are_per_host() -> None:
    limiter = HostLimiter(per_host=1)
    with limiter.slot("https://a.example/feed"):
        acquired = threading.Event()

        def other_host() -> None:
            with limiter.slot("https://b.example/feed"):
                acquired.set()

        thread = threading.Thread(target=other_host)
        thread.start()
        assert acquired.wait(1.0)
        thread.join()
        blocked = threading.Event()

        def same_host() -> None:
            with limiter.slot("https://a.example/other"):
                blocked.set()

        thread = threading.Thread(target=same_host)
        thread.start()
        assert not blocked.wait(0.05)
    assert blocked.wait(1.0)
    thread.join()


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0.0), (1, 60.0), (2, 120.0), (3, 240.0), (11, 61440.0), (12, 86400.0), (5000, 86400.0)],
)
def test_next_retry_delay_doubles_up_to_the_cap(failures: int, delay: float) -> None:
    assert next_retry_delay(failures) == delay
