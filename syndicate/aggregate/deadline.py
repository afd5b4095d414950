"""A total deadline on an HTTP exchange, kept even when a peer trickles bytes.

requests' timeouts limit each wait on the socket, so a server that sends a byte every few
seconds (headers or body) is never cut off. Here every socket that requests opens or reuses
inside `Deadline.running()` is watched, and when the deadline passes a timer shuts it down:
whatever read or write is blocked on it returns at once, and the caller, seeing `expired`,
reports the deadline instead of whatever the broken read looked like (a short body, a reset).

A session gets this by `watch_sockets(session)`; the deadline in force is the one this thread
is running, so one session per thread (as the fetcher keeps) is all that is needed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_running = threading.local()


class Deadline:
    """At most `seconds` for everything done inside `running()` on watched sockets."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._started = 0.0
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        return max(0.0, self.seconds - (time.monotonic() - self._started))

    @contextmanager
    def running(self) -> Iterator[Deadline]:
        """Start the clock and watch this thread's sockets until the block ends."""
        self._started = time.monotonic()
        self._timer = threading.Timer(self.seconds, self.expire)
        self._timer.daemon = True
        self._timer.start()
        outer = getattr(_running, "deadline", None)
        _running.deadline = self
        try:
            yield self
        finally:
            _running.deadline = outer
            self._timer.cancel()
            with self._lock:
                self._sockets.clear()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self.expired:
                _shut_down(sock)
            elif sock not in self._sockets:
                self._sockets.append(sock)

    def expire(self) -> None:
        """Cut off the exchange now (the timer calls this; so does a fetch being stopped)."""
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    """Shut the descriptor down under any TLS layer, so that a blocked read returns."""
    with suppress(OSError):  # already closed, detached by a TLS wrap, or never connected
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(sock: Any) -> None:
    deadline = getattr(_running, "deadline", None)
    if deadline is not None and isinstance(sock, socket.socket):
        deadline.watch(sock)


class _WatchedConnection(HTTPConnection):
    """A connection that hands its socket to the deadline this thread runs, for a new socket
    (before and after a TLS handshake) as for one reused from the pool."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)
        super().request(*args, **kwargs)

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def watch_sockets(session: requests.Session) -> requests.Session:
    """Make the session's connections keep the deadline that the calling thread runs."""
    adapter = _WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
