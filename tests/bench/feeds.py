"""Fetch + merge: K loopback feeds served by a local ThreadingHTTPServer, subscribed through
OPML, fetched by `syndicate fetch --jobs 1` and `--jobs 8` into fresh archives.

syndicate allows at most two connections per host, so with every feed on 127.0.0.1 `--jobs 8`
runs two downloads at once; `hosts` > 1 spreads the feeds over 127.0.0.1, 127.0.0.2, ... (one
server per loopback address, the same routes) to see what more hosts would give.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from xml.sax.saxutils import quoteattr

from . import feedcorpus
from .commands import clean_env, probe_command, syndicate_command
from .folders import discard, fresh_dir
from .procs import ProcessRun, checked, run_process

JOBS = (1, 8)
SERVER_LIFETIME = 3600.0  # seconds: the server stops by itself even if the harness is stuck
CONTENT_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    **{suffix: content_type for suffix, content_type in feedcorpus.VARIED_STYLES},
}
STORE = ("store_entries",)  # storing one feed, its merges included
# The merge decisions within it: finding what a feed's new copies may be copies of, and
# weighing the evidence for each.
MERGE_DECISIONS = ("_merge_candidates", "_place_new_copy")
_FETCH_LINE = re.compile(r"(\d+) new.*?(\d+) merged")


@dataclass(frozen=True)
class FetchSummary:
    jobs: int
    seconds: float
    cpu_seconds: float  # user + system time of the process and its parse workers
    peak_rss_mb: float
    samples: list[float]
    store_seconds: float | None  # wall time in Archive.store_entries: storing and merging
    merge_seconds: float | None  # wall time in the merge decisions (MERGE_DECISIONS)
    store_cpu_seconds: float | None  # the storing thread's CPU time in store_entries
    merge_cpu_seconds: float | None
    new_entries: int | None
    merged: int | None
    output: str

    def share(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds / self.seconds

    @property
    def store_share(self) -> float | None:
        """Of all the CPU time the run took, the share spent storing and merging."""
        if self.store_cpu_seconds is None or not self.cpu_seconds:
            return None
        return self.store_cpu_seconds / self.cpu_seconds

    @property
    def merge_share(self) -> float | None:
        """Of all the CPU time the run took, the share spent in merge decisions."""
        if self.merge_cpu_seconds is None or not self.cpu_seconds:
            return None
        return self.merge_cpu_seconds / self.cpu_seconds


@dataclass
class FetchFigures:
    feeds: int
    entries: int
    copies: int
    hosts: int
    subscribe_seconds: float | None = None
    runs: dict[str, FetchSummary] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        figures = asdict(self)
        for key, summary in self.runs.items():
            figures["runs"][key] |= {
                "store_share": summary.store_share,
                "merge_share": summary.merge_share,
                "store_wall_share": summary.share(summary.store_seconds),
                "merge_wall_share": summary.share(summary.merge_seconds),
            }
        return figures


# -- the loopback server ------------------------------------------------------------------------


def handler_for(routes: dict[str, bytes]) -> type[BaseHTTPRequestHandler]:
    class FeedHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real feed servers
        # The headers and the body go out in two writes: with Nagle's algorithm the body waits
        # for the client's delayed ACK of the headers, 40 ms a feed that no real server adds.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            body = routes.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPES[Path(self.path).suffix])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a thousand requests would drown the table."""

    return FeedHandler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


class FeedServer:
    """Serves `routes` (path -> body) on 127.0.0.1[..N]; stops on exit or after `lifetime` s."""

    def __init__(self, *, hosts: int = 1, lifetime: float = SERVER_LIFETIME) -> None:
        self.routes: dict[str, bytes] = {}
        self.hosts = hosts
        self.lifetime = lifetime
        self.servers: list[QuietServer] = []
        self.timer = threading.Timer(lifetime, self.stop)

    def __enter__(self) -> FeedServer:
        handler = handler_for(self.routes)
        first = QuietServer(("127.0.0.1", 0), handler)
        self.servers = [first] + [
            QuietServer((f"127.0.0.{number}", first.server_port), handler)
            for number in range(2, self.hosts + 1)
        ]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self.timer.cancel()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers = []

    def url(self, path: str, *, host: int = 0) -> str:
        return f"http://127.0.0.{host % self.hosts + 1}:{self.servers[0].server_port}{path}"


# -- subscribing and fetching -------------------------------------------------------------------


def write_opml(path: Path, outlines: list[tuple[str, str]]) -> Path:
    lines = [
        f"<outline type='rss' text={quoteattr(t)} xmlUrl={quoteattr(u)}/>" for t, u in outlines
    ]
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0"><head><title>bench</title>'
        "</head><body>\n" + "\n".join(lines) + "\n</body></opml>\n",
        encoding="utf-8",
    )
    return path


def serve_feeds(server: FeedServer, *, feeds: int, seed: int) -> tuple[list[tuple[str, str]], int]:
    """Render every feed into the server's routes; returns (title, URL) pairs and the copies."""
    outlines, copies = [], 0
    for index in range(feeds):
        feed = feedcorpus.source_feed(seed, index, feeds=feeds)
        path = f"/feeds/{index}{'.atom' if feed.is_atom else '.rss'}"
        url = server.url(path, host=index)
        server.routes[path] = feedcorpus.document(feed, url)
        outlines.append((feed.title, url))
        copies += sum(entry.kind != "original" for entry in feed.entries)
    return outlines, copies


def measure_fetch(
    workdir: Path, *, feeds: int, seed: int, repeat: int, hosts: int, log: Callable[[str], None]
) -> FetchFigures:
    run_dir = fresh_dir(workdir, workdir / "runs" / f"fetch-k{feeds}")
    env = clean_env(run_dir)
    try:
        with FeedServer(hosts=hosts) as server:
            outlines, copies = serve_feeds(server, feeds=feeds, seed=seed)
            figures = FetchFigures(feeds, feeds * feedcorpus.PER_FEED, copies, hosts)
            template = run_dir / "subscribed.sqlite3"
            opml = write_opml(run_dir / "subscriptions.opml", outlines)
            command = [*syndicate_command(), "--archive", str(template), "subscribe"]
            subscribed = run_process([*command, "--opml", str(opml)], env=env, cwd=run_dir)
            figures.subscribe_seconds = checked(subscribed, "subscribe --opml").seconds
            for jobs in JOBS:
                log(f"fetch k={feeds} --jobs {jobs} ({repeat} run(s))")
                figures.runs[str(jobs)] = fetch_runs(template, run_dir, env, jobs, repeat)
    finally:
        discard(workdir, run_dir)
    return figures


def fetch_runs(
    template: Path, run_dir: Path, env: dict[str, str], jobs: int, repeat: int
) -> FetchSummary:
    runs: list[tuple[ProcessRun, dict[str, Any]]] = []
    for number in range(repeat):
        archive = copy_archive(template, run_dir / f"archive-j{jobs}-{number}.sqlite3")
        probe_file = run_dir / f"probe-j{jobs}-{number}.json"
        command = [*probe_command(), "--archive", str(archive), "fetch", "--jobs", str(jobs)]
        run = run_process(
            command, env=env | {"SYNDICATE_BENCH_PROBE": str(probe_file)}, cwd=run_dir
        )
        checked(run, f"fetch --jobs {jobs}")
        runs.append((run, json.loads(probe_file.read_text(encoding="utf-8"))))
    return summarize_fetch(jobs, runs)


def summarize_fetch(jobs: int, runs: list[tuple[ProcessRun, dict[str, Any]]]) -> FetchSummary:
    def probe_median(methods: tuple[str, ...], clock: str = "seconds") -> float | None:
        """The median over runs of the time the methods took together (those it has)."""
        times = [probe.get(clock, {}) for _, probe in runs]
        present = [sum(t[m] for m in methods if m in t) for t in times if set(methods) & set(t)]
        return statistics.median(present) if present else None

    last_output = runs[-1][0].stdout.strip()
    counts = _FETCH_LINE.search(last_output)
    return FetchSummary(
        jobs=jobs,
        seconds=statistics.median(run.seconds for run, _ in runs),
        cpu_seconds=statistics.median(run.cpu_seconds for run, _ in runs),
        peak_rss_mb=statistics.median(run.peak_mb for run, _ in runs),
        samples=[round(run.seconds, 4) for run, _ in runs],
        store_seconds=probe_median(STORE),
        merge_seconds=probe_median(MERGE_DECISIONS),
        store_cpu_seconds=probe_median(STORE, "cpu_seconds"),
        merge_cpu_seconds=probe_median(MERGE_DECISIONS, "cpu_seconds"),
        new_entries=int(counts.group(1)) if counts else None,
        merged=int(counts.group(2)) if counts else None,
        output=last_output[-500:],
    )


def copy_archive(source: Path, target: Path) -> Path:
    """The SQLite file and, if a writer left one, its WAL, on disk before anything is timed.

    A copy is dirty in the page cache until written back; the first checkpoint's fsync would
    then flush the whole copy inside the timed run (191 ms for the 100k archive, 6 ms for 10k:
    the merge cost looked as if it grew with the archive)."""
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
            with open(f"{target}{suffix}", "rb+") as copied:
                os.fsync(copied.fileno())
    return target
