"""Importers of stored posts, one module per format, behind one small interface.

A new format is one module with a `SUFFIXES` tuple and a `read_post(path, *, zone, max_bytes)`
function, added to `IMPORTERS` in importers.py.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syndicate.config import DEFAULT_MAX_POST_BYTES
from syndicate.errors import ConfigError, PostError, PostWarning
from syndicate.files import Unreachable, walk_folder
from syndicate.model import Post
from syndicate.posts.base import Parsed, too_large
from syndicate.posts.cache import CacheRow, PostCache, cache_row, light_copy, row_outcome
from syndicate.posts.importers import importer_for, parse_file
from syndicate.workers import worker_pool

if TYPE_CHECKING:
    from concurrent.futures import Future


@dataclass
class LoadResult:
    """Every publishable post, plus the errors and warnings met on the way."""

    posts: list[Post] = field(default_factory=list)
    errors: list[PostError] = field(default_factory=list)
    warnings: list[PostWarning] = field(default_factory=list)
    drafts: int = 0
    # Every post file read: path -> (size, mtime_ns, the slug of the post it published or None)
    files: dict[str, tuple[int, int, str | None]] = field(default_factory=dict)


def post_files(
    folder: Path, *, errors: list[PostError] | None = None
) -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) of the files an importer understands, sorted by path; hidden
    files and folders are skipped. Plain strings and one scandir pass: a site has many.

    A name that cannot be followed (a dangling symlink, a symlink loop, an unreadable folder)
    is skipped, and added to `errors` when it could hold posts: a post file's name, a folder,
    or a name without a suffix (which may be a folder)."""
    walk = walk_folder(folder, wanted=lambda name: importer_for(name) is not None)
    if errors is not None:
        errors.extend(
            PostError(bad.path, f"{bad.reason}: skipped")
            for bad in sorted(walk.unreachable, key=lambda bad: bad.path)
            if _may_hold_posts(bad)
        )
    return sorted(walk.files)


def _may_hold_posts(bad: Unreachable) -> bool:
    name = os.path.basename(bad.path)
    return bad.folder or importer_for(name) is not None or not os.path.splitext(name)[1]


def load_posts(
    folder: Path,
    *,
    zone: tzinfo,
    cache: PostCache | None = None,
    max_post_bytes: int = DEFAULT_MAX_POST_BYTES,
) -> LoadResult:
    """Read every post under `folder`; a bad file is reported and the others still load.

    With a cache, unchanged files are not read again and their posts come back without their
    HTML (`content_deferred`; `cache.full(post)` brings it); changed files are parsed, in
    worker processes when there are many, and stored for next time. A file larger than
    `max_post_bytes` is refused unread (and not cached: the limit may be raised)."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: posts folder not found")
    unreachable: list[PostError] = []
    files = post_files(folder, errors=unreachable)
    key_of = cache_keys(folder)
    outcomes: dict[str, Parsed] = {}
    misses: list[tuple[str, int, int]] = []
    # The files and the cache's rows, both in path order, side by side.
    rows = cache.rows_under(folder.resolve()) if cache is not None else _no_rows()
    row = next(rows, None)
    for path, size, mtime_ns in files:
        if size > max_post_bytes:
            outcomes[path] = Parsed(None, (), too_large(path, size, max_post_bytes))
            continue
        key = key_of(path)
        while row is not None and row[0] < key:
            row = next(rows, None)
        cached = PostCache.outcome(row, size, mtime_ns) if row and row[0] == key else None
        if cached is None or _local_files_changed(path, cached):
            misses.append((path, size, mtime_ns))
        else:
            outcomes[path] = cached
    rows.close()  # before the cache is written to
    as_rows = cache is not None and cache.available  # the workers pickle what the cache keeps
    small = [(*file, key_of(file[0])) for file in misses if file[1] < BIG_POST_BYTES]
    for job, outcome in zip(small, parse_all(small, zone, max_post_bytes, as_rows), strict=True):
        outcomes[job[0]] = settled(outcome, job, cache)
    for path, size, mtime_ns in misses:
        if size >= BIG_POST_BYTES:
            parsed = parse_alone(Path(path), zone, max_bytes=max_post_bytes)
            outcomes[path] = kept(parsed, (path, size, mtime_ns), zone, cache, key_of(path))
    if cache is not None:
        cache.commit()
    result = collect(files, outcomes)
    if unreachable:  # reported in path order, among the files' own errors
        result.errors = sorted([*unreachable, *result.errors], key=lambda error: str(error.path))
    return result


def local_files_version(post_path: str, local_files: tuple[str, ...]) -> str:
    """The size and modification time of each file beside a post that it links to, as text."""
    if not local_files:
        return ""
    folder = os.path.dirname(post_path)
    stamps = []
    for name in local_files:
        try:
            found = os.stat(os.path.join(folder, name))
            stamps.append(f"{found.st_size}:{found.st_mtime_ns}")
        except OSError:
            stamps.append("-")
    return hashlib.blake2b("|".join(stamps).encode(), digest_size=8).hexdigest()


def _local_files_changed(path: str, cached: Parsed) -> bool:
    post = cached.post
    return post is not None and local_files_version(path, post.local_files) != post.local_version


def _no_rows() -> Generator[tuple[Any, ...], None, None]:
    yield from ()


def cache_keys(folder: Path) -> Callable[[str], str]:
    """The post cache's key of each file under `folder`, named as post_files names it: its
    path under the folder's resolved path (the same file, whichever way the folder is named)."""
    resolved, prefix = str(folder.resolve()), len(str(folder))
    return lambda path: resolved + path[prefix:]


# A file to parse: (path, size, mtime_ns, its key in the post cache).
Job = tuple[str, int, int, str]


def kept(
    parsed: Parsed,
    file: tuple[str, int, int],
    zone: tzinfo,
    cache: PostCache | None,
    cache_key: str,
) -> Parsed:
    """A file just parsed, with its version's digest, stored in the cache; what is kept of its
    post from here on is its light copy (the cache has the rest)."""
    parsed = versioned(parsed, (*file, cache_key), zone)
    if cache is not None:
        cache.store(cache_key, *file[1:], parsed)
        if parsed.post is not None and cache.available:
            parsed = Parsed(light_copy(parsed.post), parsed.warnings, parsed.error)
    return parsed


def versioned(parsed: Parsed, job: Job, zone: tzinfo) -> Parsed:
    """The post with the digest of the file's version (and of the files beside it it links to)."""
    if parsed.post is None:
        return parsed
    path, size, mtime_ns, cache_key = job
    zone_name = getattr(zone, "key", str(zone))
    local = local_files_version(path, parsed.post.local_files)
    # The file by its resolved path: the same version however the posts folder is named.
    version = f"{cache_key}|{size}|{mtime_ns}|{zone_name}|{local}".encode()
    digest = hashlib.blake2b(version, digest_size=10).hexdigest()  # kept for every post: short
    post = replace(parsed.post, digest=digest, local_version=local)
    return Parsed(post, parsed.warnings, parsed.error)


def parse_job(job: Job, zone: tzinfo, max_bytes: int, row: bool) -> Parsed | CacheRow:
    """A file parsed and versioned; with `row`, as the cache keeps it (cache_row): the worker
    that parsed it pickles it once, and the build unpickles the light copy alone."""
    parsed = versioned(parse_file(Path(job[0]), zone, max_bytes=max_bytes), job, zone)
    return cache_row(parsed) if row else parsed


def settled(outcome: Parsed | CacheRow, job: Job, cache: PostCache | None) -> Parsed:
    """What the build keeps of a file parse_job read, the cache row stored."""
    if isinstance(outcome, Parsed):  # no cache to keep it in: the whole post stays
        return outcome
    _, size, mtime_ns, cache_key = job
    assert cache is not None
    cache.store_row(cache_key, size, mtime_ns, outcome)
    parsed = row_outcome(outcome)
    assert parsed is not None  # pickled by this version of syndicate a moment ago
    return parsed


def collect(files: list[tuple[str, int, int]], outcomes: dict[str, Parsed]) -> LoadResult:
    """Publishable posts in file order; drafts counted; duplicate slugs and ids refused."""
    result = LoadResult()
    seen_slugs: dict[str, str] = {}  # -> the file that has it
    seen_ids: dict[str, str] = {}
    for path_text, size, mtime_ns in files:
        result.files[path_text] = (size, mtime_ns, None)
        parsed = outcomes[path_text]
        if parsed.error is not None:
            result.errors.append(parsed.error)
            continue
        result.warnings.extend(parsed.warnings)
        post = parsed.post
        assert post is not None
        if post.draft:
            result.drafts += 1
            continue
        duplicate = _duplicate_of(post, seen_slugs, seen_ids)
        if duplicate:
            result.errors.append(PostError(Path(path_text), duplicate))
            continue
        seen_slugs[post.slug] = path_text
        if post.id:
            seen_ids[post.id] = path_text
        result.posts.append(post)
        result.files[path_text] = (size, mtime_ns, post.slug)
    return result


PARALLEL_FROM = 64  # below this many files to parse, worker processes cost more than they save


def parse_all(
    jobs: list[Job], zone: tzinfo, max_bytes: int, rows: bool
) -> Iterator[Parsed | CacheRow]:
    """Parse files in order (parse_job), on every core when there are many (Markdown
    rendering is CPU-bound). Results are yielded as they come and only a few chunks are in
    flight at once, so that the caller can store each post and keep its light copy while the
    parsed posts never pile up (Executor.map would submit every file at once and hold every
    result)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        yield from (parse_job(job, zone, max_bytes, rows) for job in jobs)
        return
    size = max(8, min(64, len(jobs) // (workers * 8)))
    chunks = [jobs[start : start + size] for start in range(0, len(jobs), size)]
    per_pool = workers * CHUNKS_PER_WORKER
    for start in range(0, len(chunks), per_pool):
        yield from _parse_in_pool(chunks[start : start + per_pool], zone, workers, max_bytes, rows)


CHUNKS_IN_FLIGHT = 4  # per worker: enough to keep every core busy while the caller stores
# cmarkgfm never frees the syntax tree it parses (its Python API has no cmark_node_free): about
# 22 KB a post stays allocated, 1.6 GB per parse worker at 100k posts. So the workers are
# replaced after this many chunks (of at most 64 files), which bounds the leak at ~22 MB each
# (with 50, the parse workers were a 10k build's peak of memory). ProcessPoolExecutor's own
# max_tasks_per_child cannot do it: on Python 3.11 to 3.13 it deadlocks (CPython gh-115634).
CHUNKS_PER_WORKER = 16


def _parse_in_pool(
    chunks: list[list[Job]], zone: tzinfo, workers: int, max_bytes: int, rows: bool
) -> Iterator[Parsed | CacheRow]:
    """One pool of workers (workers.py) for these chunks: what they leaked goes when they exit."""
    with worker_pool(workers) as pool:
        in_flight: deque[Future[list[Parsed | CacheRow]]] = deque()
        for chunk in chunks:
            in_flight.append(pool.submit(parse_jobs, chunk, zone, max_bytes, rows))
            if len(in_flight) >= workers * CHUNKS_IN_FLIGHT:
                yield from in_flight.popleft().result()
        while in_flight:
            yield from in_flight.popleft().result()


def parse_jobs(
    jobs: list[Job], zone: tzinfo, max_bytes: int, rows: bool
) -> list[Parsed | CacheRow]:
    return [parse_job(job, zone, max_bytes, rows) for job in jobs]


# What parsing a file takes is not bounded by its size: cmarkgfm's syntax tree, which it never
# frees, takes up to 340 bytes a byte of Markdown (1 MiB of `>`: 367 MB; of `[`: 270 MB), and a
# post's comments each leave one behind. So a file this large or larger is parsed in a worker
# process of its own that may take at most PARSE_MEMORY_BYTES more than it starts with: a file
# that needs more is refused, and what was taken goes when the worker ends.
BIG_POST_BYTES = 256 * 1024
PARSE_MEMORY_BYTES = 384 * 1024 * 1024


def parse_sized(path: Path, size: int, zone: tzinfo, *, max_bytes: int) -> Parsed:
    """A file whose size is known: a big one in a worker of its own (parse_alone)."""
    if size >= BIG_POST_BYTES:
        return parse_alone(path, zone, max_bytes=max_bytes)
    return parse_file(path, zone, max_bytes=max_bytes)


def parse_alone(path: Path, zone: tzinfo, *, max_bytes: int) -> Parsed:
    if not sys.platform.startswith("linux"):  # no cap on a worker's memory to be had
        return parse_file(path, zone, max_bytes=max_bytes)
    from concurrent.futures.process import BrokenProcessPool

    with worker_pool(1, initializer=_cap_memory, initargs=(PARSE_MEMORY_BYTES,)) as pool:
        try:
            return pool.submit(parse_file, path, zone, max_bytes=max_bytes).result()
        except (BrokenProcessPool, MemoryError):  # cmark aborts when malloc fails
            megabytes = PARSE_MEMORY_BYTES // (1024 * 1024)
            message = f"needs more than {megabytes} MB of memory to read: not published"
            return Parsed(None, (), PostError(path, message))


def _cap_memory(extra_bytes: int) -> None:
    """In a worker about to parse a big file: its data may grow by `extra_bytes` at most, and
    should it be aborted, it leaves no core file and prints nothing (cmark says why it aborts
    on stderr: the build reports the file instead, in one line). Its errors come back pickled."""
    import resource

    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)

    with open("/proc/self/status", encoding="ascii") as status:
        kilobytes = next(int(line.split()[1]) for line in status if line.startswith("VmData:"))
    limit = kilobytes * 1024 + extra_bytes
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _duplicate_of(post: Post, slugs: dict[str, str], ids: dict[str, str]) -> str | None:
    if post.slug in slugs:
        return f"duplicate slug {post.slug!r} (already used by {slugs[post.slug]})"
    if post.id and post.id in ids:
        return f"duplicate id {post.id!r} (already used by {ids[post.id]})"
    return None
