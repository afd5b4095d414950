"""Servers on 127.0.0.1 that misbehave on purpose: they trickle, stall, lie about lengths or
are not HTTP at all. Each connection runs `behave(connection)` in its own thread; everything
stops by itself (bounded loops, a closed listener ends the accept loop)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

Behaviour = Callable[[socket.socket], None]


@contextmanager
def hostile_server(behave: Behaviour, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Yields the server's base URL (`http://host:port/`)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    listener.listen(64)
    listener.settimeout(0.1)
    stopping = threading.Event()
    connections: list[socket.socket] = []

    def handle(connection: socket.socket) -> None:
        with connection:
            try:
                read_request(connection)
                behave(connection)
            except OSError:  # the client gave up: that is what these servers are for
                pass

    def accept_loop() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            connections.append(connection)
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{listener.getsockname()[1]}/"
    finally:
        stopping.set()
        thread.join()
        listener.close()
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def read_request(connection: socket.socket, *, limit: float = 5.0) -> bytes:
    """Read up to the end of the request's headers (a GET has no body)."""
    connection.settimeout(limit)
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def trickle(connection: socket.socket, data: bytes, *, every: float, most: float = 30.0) -> None:
    """Send `data` a byte at a time, one every `every` seconds, for at most `most` seconds."""
    started = time.monotonic()
    for index in range(len(data)):
        if time.monotonic() - started > most:
            return
        connection.sendall(data[index : index + 1])
        time.sleep(every)


def response_head(length: int | None, content_type: str = "application/rss+xml") -> bytes:
    lines = ["HTTP/1.1 200 OK", f"Content-Type: {content_type}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def rss(title: str, entries: int, *, link: str = "https://site.example/") -> bytes:
    items = "".join(
        f"<item><title>{title} {n}</title><link>{link}{title.replace(' ', '-')}-{n}</link>"
        f"<guid>{link}{title.replace(' ', '-')}-{n}</guid>"
        f"<pubDate>Mon, 0{1 + n % 9} Jun 2026 10:00:00 GMT</pubDate>"
        f"<description>Entry {n} of {title}</description></item>"
        for n in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{link}</link><description>d</description>"
        f"{items}</channel></rss>"
    ).encode()
