"""Finding 8 of issue 11: no worker process outlives the `fetch` or `build` that made it.

Each test runs the command as a real process, waits until its parse or render workers are
alive, records every process below it (the forkserver, its workers, the resource tracker),
kills the command with SIGKILL and requires every recorded process to be gone within a few
seconds. Gone means no such process, or only its zombie (an orphan's zombie waits for init,
which in a container may never reap it); a number reused by a new process does not count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from syndicate.archive import Archive
from tests.conftest import BASE_URL, ArchiveLocation, write_posts

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="walks the tree in /proc"),
    pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no worker processes"),
]
FEEDS = 24
ANSWERED_AT_ONCE = 4  # requests answered at once (their feeds go to the parse workers)
GONE_WITHIN = 5.0  # seconds after the kill
Process = tuple[int, int]  # (pid, start time): a pid alone may be reused


def rss(number: int) -> bytes:
    items = "".join(
        f"<item><title>Entry {number}.{i}</title><link>https://site{number}.example/{i}</link>"
        f"<guid>https://site{number}.example/{i}</guid>"
        f"<pubDate>Mon, 0{1 + i} Jan 2024 10:00:00 GMT</pubDate></item>"
        for i in range(3)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {number}</title>'
        f"<link>https://site{number}.example/</link>{items}</channel></rss>"
    ).encode()


class SlowFeeds:
    """Answers the first few requests at once and holds every later one until `release`."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.requests = 0
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with state.lock:
                    state.requests += 1
                    seen = state.requests
                if seen > ANSWERED_AT_ONCE:
                    state.release.wait(60)
                body = rss(seen)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/"


@pytest.fixture
def slow_feeds() -> Iterator[SlowFeeds]:
    feeds = SlowFeeds()
    thread = threading.Thread(target=feeds.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield feeds
    finally:
        feeds.release.set()
        feeds.server.shutdown()
        feeds.server.server_close()


# -- the process tree, from /proc ------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, None when there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # the command name may hold spaces and parens
    return fields[0], int(fields[1]), int(fields[19])


def descendants(root: int) -> dict[Process, int]:
    """Every live process below `root`, with its depth (1: a child)."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[0] != "Z":
            children.setdefault(stat[1], []).append((int(entry.name), stat[2]))
    found: dict[Process, int] = {}
    level, depth = [root], 1
    while level:
        below = [process for pid in level for process in children.get(pid, [])]
        found.update(dict.fromkeys(below, depth))
        level, depth = [pid for pid, _start in below], depth + 1
    return found


def running(process: Process) -> bool:
    stat = _stat(process[0])
    return stat is not None and stat[2] == process[1] and stat[0] not in ("Z", "X")


def tree_with_workers(command: subprocess.Popen[bytes], timeout: float) -> dict[Process, int]:
    """The command's process tree, as soon as a worker (a forkserver's child) is in it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if command.poll() is not None:
            raise AssertionError(f"the command ended ({command.returncode}) before workers ran")
        tree = descendants(command.pid)
        if any(depth >= 2 for depth in tree.values()):
            return tree
        time.sleep(0.005)
    raise AssertionError(f"no worker processes within {timeout} s")


def kill_and_time(command: subprocess.Popen[bytes], tree: dict[Process, int]) -> float:
    """SIGKILL the command; seconds until every process of `tree` has gone."""
    os.kill(command.pid, signal.SIGKILL)
    killed = time.monotonic()
    command.wait(timeout=10)
    while time.monotonic() - killed < 15:
        left = [process for process in tree if running(process)]
        if not left:
            return time.monotonic() - killed
        time.sleep(0.02)
    for pid, _start in left:  # do not leave them behind for the next tests
        os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"still running 15 s after the kill: {left}")


def command_env(tmp_path: Path) -> dict[str, str]:
    """Nothing outside tmp_path: no syndicate.toml, archive or output but the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["SYNDICATE_CACHE_DIR"] = os.environ.get("SYNDICATE_CACHE_DIR", str(tmp_path / "cache"))
    return env


# -- the tests -------------------------------------------------------------------------------


def test_kill_9_of_fetch_leaves_no_worker_running(
    tmp_path: Path, slow_feeds: SlowFeeds, archive_location: ArchiveLocation
) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text(
        f'[site]\nposts = "{tmp_path / "posts"}"\noutput = "{tmp_path / "out"}"\n', "utf-8"
    )
    with Archive(archive_location) as archive:
        for number in range(FEEDS):
            archive.subscribe(f"{slow_feeds.base_url}feed-{number:02}.xml")
    command = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "syndicate",
            "--config",
            str(config),
            "--archive",
            str(archive_location),
            "fetch",
            "--jobs",
            "8",
        ],
        cwd=tmp_path,
        env=command_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        tree = tree_with_workers(command, timeout=30)
        deadline = time.monotonic() + 10  # and downloads held by the server, still to parse
        while slow_feeds.requests <= ANSWERED_AT_ONCE and time.monotonic() < deadline:
            time.sleep(0.01)
        tree.update(descendants(command.pid))
        assert slow_feeds.requests > ANSWERED_AT_ONCE
        assert command.poll() is None
        took = kill_and_time(command, tree)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert took < GONE_WITHIN, f"{len(tree)} processes took {took:.2f} s to go"
    print(f"fetch: {len(tree)} processes below it, all gone {took:.2f} s after kill -9")


def test_kill_9_of_build_leaves_no_worker_running(
    tmp_path: Path, archive_location: ArchiveLocation
) -> None:
    """Enough posts for parse workers (sources: 64 files) and render workers (site: 200 units)."""
    posts = write_posts(
        tmp_path / "posts",
        {
            f"2024-01-{1 + n % 28:02}-post-{n}.md": (
                f"---\ntitle: Post {n}\ndate: 2024-01-{1 + n % 28:02}T10:00:00Z\n---\n"
                + f"Paragraph {n} with *some* Markdown.\n\n" * 40
            )
            for n in range(1500)
        },
    )
    command = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "syndicate",
            "--archive",
            str(archive_location),
            "build",
            str(posts),
            "-o",
            str(tmp_path / "out"),
            "--base-url",
            BASE_URL,
        ],
        cwd=tmp_path,
        env=command_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        tree = tree_with_workers(command, timeout=60)
        time.sleep(0.2)  # the rest of the pool starting
        tree.update(descendants(command.pid))
        assert command.poll() is None, "the build ended before it could be killed"
        took = kill_and_time(command, tree)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert took < GONE_WITHIN, f"{len(tree)} processes took {took:.2f} s to go"
    print(f"build: {len(tree)} processes below it, all gone {took:.2f} s after kill -9")
