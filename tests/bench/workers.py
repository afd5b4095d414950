"""Several fetch workers on one PostgreSQL archive (issue 16), and merge cost on PostgreSQL as
the archive grows:

    python -m tests.bench.workers --feeds 10000 --workers 1,2,4 --repeat 3 \\
        --merge-sizes 100000,300000,1000000

* **Workers.** N loopback feeds of 20 entries (tests/bench/feedcorpus.py, 10% cross-posts) on
  `--hosts` addresses 127.0.0.2, 127.0.0.3, ... (one server each, the same port), a throwaway
  cluster (tests/pgcluster.py). For each worker count K and each repeat: a fresh database,
  `syndicate subscribe --opml`, then K `syndicate fetch --jobs J` processes started at once.
  Reported: feeds per second (N over the time from the start to the last worker's exit), the
  requests each feed got (exactly 1: min and max), the most requests in flight at one host
  as the server saw them (the limit is 2 across all workers; see CountingHandler.do_GET for
  the window counted), and each worker's share.
* **Merge.** The cached SQLite archive of tests/bench/merge_cost.py at each size, copied into
  PostgreSQL with copy-archive (and ANALYZEd, as autovacuum would), cloned per repeat; the
  timed step is one `store_entries` of 1,000 new entries, half of them cross-posts of archived
  articles, divided by 1,000. The largest size's median should stay within 1.5x the smallest's.

Figures are min/median/max over the repeats; `--json FILE` keeps them."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from syndicate.archive import Archive
from tests.pgcluster import Cluster, running_cluster

from . import feedcorpus
from .commands import clean_env, syndicate_command
from .feeds import write_opml
from .merge_cost import BATCH, NEW_FEED, batch, ensure_archive

FIRST_HOST = 2  # 127.0.0.2: 127.0.0.1 is the cluster's
_FETCHED = re.compile(r"fetched (\d+) feed\(s\)")
_CLONES = iter(range(1, 1 << 30))


# -- the loopback feed servers ------------------------------------------------------------------


@dataclass
class Seen:
    """What the servers saw: requests per path, and the most in flight at once per host."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    most_in_flight: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.in_flight.clear()
            self.most_in_flight.clear()


def handler_for(routes: dict[str, bytes], seen: Seen) -> type[BaseHTTPRequestHandler]:
    class CountingHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real feed servers
        disable_nagle_algorithm = True  # no delayed-ACK wait between headers and body

        def do_GET(self) -> None:
            """A request is counted in flight from when it has been read until its body is
            about to be written: inside the client's host slot whatever the thread
            scheduling (a client may read the body and free its slot before this thread
            runs again after the write, and a count up to then would see a third request)."""
            host = str(self.server.server_address[0])
            with seen.lock:
                seen.requests[f"{host}{self.path}"] += 1
                seen.in_flight[host] += 1
                seen.most_in_flight[host] = max(seen.most_in_flight[host], seen.in_flight[host])
            body = routes.get(self.path)
            try:
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
            finally:
                with seen.lock:
                    seen.in_flight[host] -= 1
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return CountingHandler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


@contextmanager
def feed_servers(hosts: int, routes: dict[str, bytes], seen: Seen) -> Iterator[int]:
    """One server per host address, all on one port (yielded)."""
    handler = handler_for(routes, seen)
    with ExitStack() as stack:
        first = QuietServer((f"127.0.0.{FIRST_HOST}", 0), handler)
        servers = [first] + [
            QuietServer((f"127.0.0.{FIRST_HOST + n}", first.server_port), handler)
            for n in range(1, hosts)
        ]
        for server in servers:
            threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
        yield first.server_port


def render_feeds(feeds: int, *, hosts: int, port: int, seed: int) -> tuple[dict[str, bytes], list]:
    """Every feed's document by path, and the (title, URL) outlines; feed i on host i % hosts."""
    routes: dict[str, bytes] = {}
    outlines: list[tuple[str, str]] = []
    for index in range(feeds):
        feed = feedcorpus.source_feed(seed, index, feeds=feeds)
        path = f"/feeds/{index}{'.atom' if feed.is_atom else '.rss'}"
        url = f"http://127.0.0.{FIRST_HOST + index % hosts}:{port}{path}"
        routes[path] = feedcorpus.document(feed, url)
        outlines.append((feed.title, url))
    return routes, outlines


# -- workers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkersRun:
    seconds: float
    feeds_per_second: float
    requests_per_feed: tuple[int, int]  # min, max over the feeds
    most_in_flight_per_host: int
    shares: list[int]  # feeds fetched by each worker


@dataclass
class WorkersFigures:
    workers: int
    jobs: int
    runs: list[WorkersRun]

    def summary(self) -> dict[str, Any]:
        rates = [run.feeds_per_second for run in self.runs]
        return {
            "workers": self.workers,
            "feeds_per_second": spread(rates),
            "requests_per_feed": [
                min(run.requests_per_feed[0] for run in self.runs),
                max(run.requests_per_feed[1] for run in self.runs),
            ],
            "most_in_flight_per_host": max(run.most_in_flight_per_host for run in self.runs),
            "shares": [run.shares for run in self.runs],
        }


def spread(values: Sequence[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def worker_env(run_dir: Path) -> dict[str, str]:
    env = clean_env(run_dir)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.0/8,localhost"
    return env


def syndicate(url: str, *args: str) -> list[str]:
    return [*syndicate_command(), "--archive", url, *args]


def new_database(cluster: Cluster, prefix: str) -> str:
    name = f"{prefix}_{os.getpid()}_{next(_CLONES)}"
    cluster.sql("postgres", f'CREATE DATABASE "{name}"')
    return cluster.url(name)


def drop_database(cluster: Cluster, url: str) -> None:
    cluster.sql("postgres", f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def one_workers_run(
    cluster: Cluster, opml: Path, seen: Seen, *, feeds: int, workers: int, jobs: int, run_dir: Path
) -> WorkersRun:
    env = worker_env(run_dir)
    url = new_database(cluster, "workers")
    try:
        subprocess.run(
            syndicate(url, "subscribe", "--opml", str(opml)),
            env=env,
            cwd=run_dir,
            check=True,
            capture_output=True,
        )
        seen.reset()
        started = time.perf_counter()
        processes = [
            subprocess.Popen(
                syndicate(url, "fetch", "--jobs", str(jobs)),
                env=env,
                cwd=run_dir,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        outputs = [process.communicate(timeout=3600) for process in processes]
        seconds = time.perf_counter() - started
    finally:
        drop_database(cluster, url)
    shares = []
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"fetch exited {process.returncode}: {stderr[-2000:]}")
        match = _FETCHED.search(stdout)
        shares.append(int(match[1]) if match else 0)
    per_feed = [seen.requests.get(path, 0) for path in seen.requests] or [0]
    missing = feeds - len(seen.requests)
    return WorkersRun(
        seconds=round(seconds, 3),
        feeds_per_second=feeds / seconds,
        requests_per_feed=(0 if missing else min(per_feed), max(per_feed)),
        most_in_flight_per_host=max(seen.most_in_flight.values(), default=0),
        shares=shares,
    )


def measure_workers(
    cluster: Cluster,
    *,
    feeds: int,
    counts: Sequence[int],
    jobs: int,
    hosts: int,
    repeat: int,
    seed: int,
    workdir: Path,
    log: Callable[[str], None],
) -> list[WorkersFigures]:
    seen = Seen()
    routes: dict[str, bytes] = {}
    with feed_servers(hosts, routes, seen) as port:
        rendered, outlines = render_feeds(feeds, hosts=hosts, port=port, seed=seed)
        routes.update(rendered)
        opml = write_opml(workdir / f"workers-{feeds}.opml", outlines)
        figures = []
        for workers in counts:
            runs = []
            for number in range(repeat):
                run = one_workers_run(
                    cluster, opml, seen, feeds=feeds, workers=workers, jobs=jobs, run_dir=workdir
                )
                log(
                    f"  {workers} worker(s), run {number + 1}: {run.feeds_per_second:.1f} feeds/s,"
                    f" requests/feed {run.requests_per_feed}, host peak"
                    f" {run.most_in_flight_per_host}, shares {run.shares}"
                )
                runs.append(run)
            figures.append(WorkersFigures(workers, jobs, runs))
    return figures


# -- merge cost ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeOnPostgres:
    archive_entries: int
    ms_per_entry: dict[str, float]
    merged: int
    copy_seconds: float
    prefill_seconds: float | None  # None: the SQLite archive came from the cache


def measure_merge(
    cluster: Cluster, *, entries: int, repeat: int, seed: int, workdir: Path
) -> MergeOnPostgres:
    from syndicate import copy_archive

    sqlite_file, prefill = ensure_archive(workdir, entries=entries, seed=seed)
    base = new_database(cluster, f"merge{entries}")
    started = time.perf_counter()
    copy_archive(sqlite_file, base)
    copy_seconds = time.perf_counter() - started
    base_name = base.rsplit("/", 1)[1]
    cluster.sql(base_name, "ANALYZE")
    new_entries = batch(seed, archived_feeds=max(entries // feedcorpus.PER_FEED, 2))
    samples, merged = [], 0
    try:
        for _ in range(repeat):
            name = f"clone_{os.getpid()}_{next(_CLONES)}"
            cluster.sql("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{base_name}"')
            clone = cluster.url(name)
            try:
                with Archive(clone) as archive:
                    feed = archive.subscribe(NEW_FEED)
                    began = time.perf_counter()
                    stored = archive.store_entries(feed, new_entries)
                    samples.append((time.perf_counter() - began) * 1000 / len(new_entries))
                    merged = stored.merged
            finally:
                drop_database(cluster, clone)
    finally:
        drop_database(cluster, base)
    return MergeOnPostgres(
        entries, spread(samples), merged, round(copy_seconds, 2), prefill and round(prefill, 1)
    )


# -- the command --------------------------------------------------------------------------------


def numbers(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.workers", description=__doc__)
    add = parser.add_argument
    add("--feeds", type=int, default=2000, help="loopback feeds of 20 entries [2000]")
    add("--workers", type=numbers, default=[1, 2, 4], help="worker counts [1,2,4]")
    add("--jobs", type=int, default=8, help="download threads per worker (--jobs) [8]")
    add("--hosts", type=int, default=8, help="loopback host addresses [8]")
    add("--repeat", type=int, default=3, help="runs per measurement [3]")
    add(
        "--merge-sizes",
        type=numbers,
        default=[10_000, 100_000],
        help="archived entries for the merge cost [10000,100000]; none: ''",
    )
    add("--seed", type=int, default=1)
    add(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "syndicate-bench",
        help="caches the pre-filled SQLite archives (shared with the main benchmark)",
    )
    add("--json", type=Path, default=None, help="write the figures here too")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    results: dict[str, Any] = {"feeds": args.feeds, "hosts": args.hosts, "jobs": args.jobs}
    with running_cluster() as cluster:
        log(f"{args.feeds} feeds on {args.hosts} hosts, workers {args.workers}, --jobs {args.jobs}")
        figures = measure_workers(
            cluster,
            feeds=args.feeds,
            counts=args.workers,
            jobs=args.jobs,
            hosts=args.hosts,
            repeat=args.repeat,
            seed=args.seed,
            workdir=args.workdir,
            log=log,
        )
        results["workers"] = [each.summary() for each in figures]
        results["merge"] = []
        for entries in args.merge_sizes:
            log(f"merge cost at {entries} archived entries")
            merge = measure_merge(
                cluster, entries=entries, repeat=args.repeat, seed=args.seed, workdir=args.workdir
            )
            log(f"  {merge.ms_per_entry} ms per new entry ({merge.merged} merged)")
            results["merge"].append(asdict(merge))
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def report(results: dict[str, Any]) -> str:
    lines = [
        f"{results['feeds']} feeds x 20 entries on {results['hosts']} hosts,"
        f" fetch --jobs {results['jobs']} per worker, one PostgreSQL",
        "workers  feeds/s min/median/max   requests/feed  host peak",
    ]
    for each in results["workers"]:
        rate = each["feeds_per_second"]
        low, high = each["requests_per_feed"]
        lines.append(
            f"{each['workers']:>7}  {rate['min']:>7.1f} {rate['median']:>7.1f}"
            f" {rate['max']:>7.1f}   {low}..{high:<12} {each['most_in_flight_per_host']}"
        )
    if results["merge"]:
        lines.append(f"merge: ms per new entry (batch of {BATCH}), min/median/max")
        first = results["merge"][0]["ms_per_entry"]["median"]
        for each in results["merge"]:
            ms = each["ms_per_entry"]
            lines.append(
                f"{each['archive_entries']:>9} archived  {ms['min']:.3f} {ms['median']:.3f}"
                f" {ms['max']:.3f}  ({ms['median'] / first:.2f}x)"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
