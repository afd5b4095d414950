"""`syndicate serve` against slow clients: half-sent requests must not keep anyone else waiting.

One test runs `syndicate serve` as a real process under a 1024-file limit (a common default);
the others run the same waitress server in a thread with short deadlines, so that they finish in
seconds. Every client is a real socket on 127.0.0.1."""

from __future__ import annotations

import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import requests
from waitress import wasyncore

from syndicate.serve import (
    FILES_PER_CONNECTION,
    MAX_CONNECTIONS,
    SPARE_FILES,
    connection_limit,
    make_app,
    make_server,
)
from tests.conftest import free_port

SLOW_CLIENTS = 300
# Half a request line, and a request line with half its headers: neither ever ends.
HALF_REQUESTS = (
    b"GET /index.html HT",
    b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\nX-Slow: ",
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    output = tmp_path / "feeds"
    output.mkdir()
    (output / "index.html").write_text("<!doctype html><p>" + "Words here. " * 2000)
    return output


def normal_request(base_url: str) -> float:
    """Seconds a plain GET took to bring its whole 200 answer (a fresh connection each time)."""
    started = time.monotonic()
    response = requests.get(base_url + "index.html", headers={"Connection": "close"}, timeout=10)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.content.endswith(b"Words here. ")
    return elapsed


def slow_clients(port: int, count: int) -> list[socket.socket]:
    clients = []
    for n in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.sendall(HALF_REQUESTS[n % len(HALF_REQUESTS)])
        clients.append(client)
    return clients


def is_closed(client: socket.socket) -> bool:
    """Whether the server hung up on this client (without waiting for it to)."""
    client.setblocking(False)
    try:
        return client.recv(1024) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        client.settimeout(5)


def close_all(clients: list[socket.socket]) -> None:
    for client in clients:
        client.close()


@contextmanager
def serve_process(folder: Path, *, open_files: int) -> Iterator[str]:
    """`python -m syndicate serve FOLDER` with RLIMIT_NOFILE (soft and hard) at `open_files`."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = open_files if hard == resource.RLIM_INFINITY else min(open_files, hard)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "syndicate", "serve", str(folder), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)),
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert process.poll() is None, f"serve exited with {process.returncode}"
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def serve_thread(folder: Path, **limits: Any) -> Iterator[str]:
    """The server `syndicate serve` runs, in a thread of this process, with `limits`."""
    server = make_server(make_app(folder), host="127.0.0.1", port=0, threads=4, **limits)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/"
    finally:
        # Closed from the server's own loop, which then ends for want of sockets.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive()


def test_a_visitor_is_answered_while_300_clients_trickle(folder: Path) -> None:
    with serve_process(folder, open_files=1024) as base_url:
        port = int(base_url.rsplit(":", 1)[1].strip("/"))
        clients = slow_clients(port, SLOW_CLIENTS)
        try:
            timings = [normal_request(base_url)]
            for _ in range(3):  # a byte from each every 2 s keeps them all short of any timeout
                time.sleep(2)
                for client in clients:
                    client.sendall(b"a")
                timings.append(normal_request(base_url))
            still_open = sum(not is_closed(client) for client in clients)
        finally:
            close_all(clients)
    print(
        f"\nnormal request during {SLOW_CLIENTS} slow clients: "
        + ", ".join(f"{seconds * 1000:.1f} ms" for seconds in timings)
        + f" (median {statistics.median(timings) * 1000:.1f} ms)"
    )
    assert still_open == SLOW_CLIENTS  # the server held every slow client and still answered
    assert max(timings) < 1.0, timings


def test_a_request_that_trickles_past_the_deadline_is_dropped(folder: Path) -> None:
    with serve_thread(folder, request_deadline=1.0, cleanup_interval=1, idle_timeout=60) as url:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        clients = slow_clients(port, 10)
        started = time.monotonic()
        dropped_after: dict[int, float] = {}
        try:
            while len(dropped_after) < len(clients) and time.monotonic() - started < 6:
                time.sleep(0.25)  # a byte every 0.25 s: never 60 s of silence
                for n, client in enumerate(clients):
                    if n in dropped_after:
                        continue
                    if is_closed(client):
                        dropped_after[n] = time.monotonic() - started
                    else:
                        with suppress(OSError):
                            client.sendall(b"a")
            assert normal_request(url) < 1.0
        finally:
            close_all(clients)
    assert len(dropped_after) == len(clients), dropped_after
    assert all(1.0 <= seconds < 4.0 for seconds in dropped_after.values()), dropped_after


def test_a_slow_request_that_ends_in_time_is_answered(folder: Path) -> None:
    request = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with serve_thread(folder, request_deadline=3.0, cleanup_interval=1) as url:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            for start in range(0, len(request), 8):  # over about 1.5 s, inside the deadline
                client.sendall(request[start : start + 8])
                time.sleep(0.15)
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b"Words here. ")


def test_a_full_server_frees_its_slots_at_the_deadline(folder: Path) -> None:
    limits = {"request_deadline": 1.0, "cleanup_interval": 1, "max_connections": 20}
    with serve_thread(folder, **limits) as url:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        clients = slow_clients(port, 20)  # every slot taken
        try:
            waited = normal_request(url)
        finally:
            close_all(clients)
    # Answered once the deadline dropped the slow ones, not never.
    assert 0.5 < waited < 4.0, waited


def test_a_silent_connection_is_closed_after_the_idle_timeout(folder: Path) -> None:
    with serve_thread(folder, idle_timeout=1, cleanup_interval=1) as url:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            started = time.monotonic()
            assert client.recv(1024) == b""  # the server hangs up; recv's timeout would raise
            assert time.monotonic() - started < 4.0


@pytest.mark.parametrize(
    ("open_files", "connections"),
    [(1024, 448), (4096, 1984), (20000, MAX_CONNECTIONS), (1 << 20, MAX_CONNECTIONS), (100, 16)],
)
def test_the_connection_limit_follows_the_open_files_limit(
    open_files: int, connections: int
) -> None:
    assert connection_limit(open_files) == connections
    assert connection_limit(1024) > SLOW_CLIENTS  # the common default still holds the test's load


def open_files_in_a_child(soft: int, hard: int) -> tuple[int, int]:
    """What open_files_limit() returns in a fresh process started with these limits, and the
    soft limit that process has afterwards."""
    script = (
        "import resource; from syndicate.serve import open_files_limit;"
        "print(open_files_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)),
    )
    reported, now = result.stdout.split()
    return int(reported), int(now)


def test_the_soft_open_files_limit_is_raised_towards_the_hard_one() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip(f"hard RLIMIT_NOFILE is {hard}: nothing to raise towards")
    assert open_files_in_a_child(1024, 2048) == (2048, 2048)  # as far as the hard limit allows
    assert open_files_in_a_child(1024, 1024) == (1024, 1024)  # and no further
    wanted = SPARE_FILES + FILES_PER_CONNECTION * MAX_CONNECTIONS
    if hard == resource.RLIM_INFINITY or hard > wanted:  # only as far as the connections need
        assert open_files_in_a_child(1024, wanted + 1000) == (wanted, wanted)
