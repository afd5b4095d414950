from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from syndicate.cli import cli
from tests.backends import PostgresServer, postgres_server

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_7d488e9d4f938514.txt"
BASE_URL = "https://blog.example.org/"


@pytest.fixture
def seed_posts(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


def run_build(posts: Path, output: Path, *extra: str, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner()
    args = ["build", str(posts), "-o", str(output), "--base-url", BASE_URL, *extra]
    return runner.invoke(cli, args, catch_exceptions=False, env=env)


def write_posts(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Post files by name into `folder` (text as UTF-8, bytes as they are)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


def local_file(output: Path, url: str) -> Path:
    """The file under the output folder that a URL of the built site names."""
    assert url.startswith(BASE_URL), url
    return output / url.removeprefix(BASE_URL).split("#")[0]


# -- a real HTTP server on 127.0.0.1 -------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FeedServer:
    """Serves `routes` (path -> Route) and records every request's path and headers."""

    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def serve(self, path: str, body: bytes | str, *, status: int = 200, **headers: str) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes["/" + path.lstrip("/")] = Route(data, status, headers)
        return self.url(path)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.requests if seen == "/" + path.lstrip("/")]


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers)))
            route = state.routes.get(self.path.split("?")[0])
            if route is None:
                self.send_error(404)
                return
            etag = route.headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as base_url:
        state.base_url = base_url
        yield state


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 for the block, in a thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # a client hung up
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# -- `syndicate serve` as a real process -------------------------------------------------------


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen[str]

    def log_lines(self) -> list[str]:
        """What the server logged so far (-v: one line per request)."""
        return list(self._lines)

    _lines: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(folder: Path, *, port: int | None = None) -> Iterator[Served]:
    """`python -m syndicate -v serve FOLDER` on a free port, until the block ends."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "syndicate", "-v", "serve", str(folder), "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}/", process)
    reader = threading.Thread(target=_collect, args=(process, served._lines), daemon=True)
    reader.start()
    try:
        _wait_until_listening(port, process)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=10)


def _collect(process: subprocess.Popen[str], lines: list[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line.rstrip("\n"))


def _wait_until_listening(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError("serve did not start listening")


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test gets its own syndicate cache folder (parsed posts, build stamps)."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("SYNDICATE_CACHE_DIR", str(folder))
    return folder


# -- the archive on both engines (tests/backends.py) ------------------------------------------

ArchiveLocation = Path | str  # a SQLite file, or a postgresql:// URL


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the whole session (started on first use)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def archive_engine(request: pytest.FixtureRequest) -> str:
    """The engine of a test's archives: each test that takes it runs on SQLite and on
    PostgreSQL."""
    return str(request.param)


@pytest.fixture
def new_archive_location(
    archive_engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[str], ArchiveLocation]:
    """Makes more archives on the test's engine, for a test that needs two: a SQLite file
    `NAME.sqlite3` under tmp_path, or a fresh PostgreSQL database (the name is then unused)."""

    def new(name: str = "archive") -> ArchiveLocation:
        if archive_engine == "sqlite":
            return tmp_path / f"{name}.sqlite3"
        server: PostgresServer = request.getfixturevalue("pg_server")
        return server.new_archive()

    return new


@pytest.fixture
def archive_location(new_archive_location: Callable[[str], ArchiveLocation]) -> ArchiveLocation:
    """Where a test's archive lives: a SQLite file, or a fresh PostgreSQL database's URL."""
    return new_archive_location("archive")


@pytest.fixture
def postgres_location(pg_server: PostgresServer) -> str:
    """A fresh PostgreSQL archive, for the tests of what only PostgreSQL does."""
    return pg_server.new_archive()
