"""Importers of stored posts, one module per format, behind one small interface.

A new format is one module with a `SUFFIXES` tuple and a `read_post(path, *, zone)` function,
added to `IMPORTERS` below.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from syndicate.cache import Parsed, PostCache, light_copy
from syndicate.errors import ConfigError, PostError, PostWarning
from syndicate.model import Post
from syndicate.sources import markdown, text
from syndicate.sources.base import ReadResult
from syndicate.workers import worker_pool

if TYPE_CHECKING:
    from concurrent.futures import Future

IMPORTERS: tuple[ModuleType, ...] = (text, markdown)


@dataclass
class LoadResult:
    """Every publishable post, plus the errors and warnings met on the way."""

    posts: list[Post] = field(default_factory=list)
    errors: list[PostError] = field(default_factory=list)
    warnings: list[PostWarning] = field(default_factory=list)
    drafts: int = 0
    # Every post file read: path -> (size, mtime_ns, the slug of the post it published or None)
    files: dict[str, tuple[int, int, str | None]] = field(default_factory=dict)


def importer_for(path: Path | str) -> ModuleType | None:
    suffix = os.path.splitext(path)[1].lower()  # a str is fine: no Path built for every file
    for module in IMPORTERS:
        if suffix in module.SUFFIXES:
            return module
    return None


def post_files(folder: Path) -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) of the files an importer understands, sorted by path; hidden
    files and folders are skipped. Plain strings and one scandir pass: a site has many."""
    found: list[tuple[str, int, int]] = []
    stack = [str(folder)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    stack.append(entry.path)
                elif entry.is_file() and importer_for(entry.name) is not None:
                    stat = entry.stat()
                    found.append((entry.path, stat.st_size, stat.st_mtime_ns))
    return sorted(found)


def load_posts(folder: Path, *, zone: tzinfo, cache: PostCache | None = None) -> LoadResult:
    """Read every post under `folder`; a bad file is reported and the others still load.

    With a cache, unchanged files are not read again and their posts come back without their
    HTML (`content_deferred`; `cache.full(post)` brings it); changed files are parsed, in
    worker processes when there are many, and stored for next time."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: posts folder not found")
    files = post_files(folder)
    key_of = cache_keys(folder)
    outcomes: dict[str, Parsed] = {}
    misses: list[tuple[str, int, int]] = []
    # The files and the cache's rows, both in path order, side by side.
    rows = cache.rows_under(folder.resolve()) if cache is not None else _no_rows()
    row = next(rows, None)
    for path, size, mtime_ns in files:
        key = key_of(path)
        while row is not None and row[0] < key:
            row = next(rows, None)
        cached = PostCache.outcome(row, size, mtime_ns) if row and row[0] == key else None
        if cached is None:
            misses.append((path, size, mtime_ns))
        else:
            outcomes[path] = cached
    rows.close()  # before the cache is written to
    parsed_now = parse_all([Path(path) for path, _, _ in misses], zone)
    for (path, size, mtime_ns), parsed in zip(misses, parsed_now, strict=True):
        outcomes[path] = kept(parsed, (path, size, mtime_ns), zone, cache, key_of(path))
    if cache is not None:
        cache.commit()
    return collect(files, outcomes)


def _no_rows() -> Generator[tuple[Any, ...], None, None]:
    yield from ()


def cache_keys(folder: Path) -> Callable[[str], str]:
    """The post cache's key of each file under `folder`, named as post_files names it: its
    path under the folder's resolved path (the same file, whichever way the folder is named)."""
    resolved, prefix = str(folder.resolve()), len(str(folder))
    return lambda path: resolved + path[prefix:]


def kept(
    parsed: Parsed, file: tuple[str, int, int], zone: tzinfo, cache: PostCache | None,
    cache_key: str,
) -> Parsed:  # fmt: skip
    """A file just parsed, with its version's digest, stored in the cache; what is kept of its
    post from here on is its light copy (the cache has the rest)."""
    path, size, mtime_ns = file
    if parsed.post is not None:
        zone_name = getattr(zone, "key", str(zone))
        version = f"{path}|{size}|{mtime_ns}|{zone_name}".encode()  # kept for every post: short
        digest = hashlib.blake2b(version, digest_size=10).hexdigest()
        parsed = Parsed(replace(parsed.post, digest=digest), parsed.warnings, parsed.error)
    if cache is not None:
        cache.store(cache_key, size, mtime_ns, parsed)
        if parsed.post is not None and cache.available:
            parsed = Parsed(light_copy(parsed.post), parsed.warnings, parsed.error)
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


def parse_all(paths: list[Path], zone: tzinfo) -> Iterator[Parsed]:
    """Parse files in order, on every core when there are many (Markdown rendering is
    CPU-bound). Results are yielded as they come and only a few chunks are in flight at once,
    so that the caller can store each post and keep its light copy while the parsed posts
    never pile up (Executor.map would submit every file at once and hold every result)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_FROM or workers < 2:
        yield from (parse_file(path, zone) for path in paths)
        return
    size = max(8, min(64, len(paths) // (workers * 8)))
    chunks = [paths[start : start + size] for start in range(0, len(paths), size)]
    per_pool = workers * CHUNKS_PER_WORKER
    for start in range(0, len(chunks), per_pool):
        yield from _parse_in_pool(chunks[start : start + per_pool], zone, workers)


CHUNKS_IN_FLIGHT = 4  # per worker: enough to keep every core busy while the caller stores
# cmarkgfm never frees the syntax tree it parses (its Python API has no cmark_node_free): about
# 22 KB a post stays allocated, 1.6 GB per parse worker at 100k posts. So the workers are
# replaced after this many chunks (of at most 64 files), which bounds the leak at ~22 MB each
# (with 50, the parse workers were a 10k build's peak of memory). ProcessPoolExecutor's own
# max_tasks_per_child cannot do it: on Python 3.11 to 3.13 it deadlocks (CPython gh-115634).
CHUNKS_PER_WORKER = 16


def _parse_in_pool(chunks: list[list[Path]], zone: tzinfo, workers: int) -> Iterator[Parsed]:
    """One pool of workers (workers.py) for these chunks: what they leaked goes when they exit."""
    with worker_pool(workers) as pool:
        in_flight: deque[Future[list[Parsed]]] = deque()
        for chunk in chunks:
            in_flight.append(pool.submit(parse_files, chunk, zone))
            if len(in_flight) >= workers * CHUNKS_IN_FLIGHT:
                yield from in_flight.popleft().result()
        while in_flight:
            yield from in_flight.popleft().result()


def parse_files(paths: list[Path], zone: tzinfo) -> list[Parsed]:
    return [parse_file(path, zone) for path in paths]


def parse_file(path: Path, zone: tzinfo) -> Parsed:
    module = importer_for(path)
    assert module is not None
    try:
        read: ReadResult = module.read_post(path, zone=zone)
    except PostError as error:
        return Parsed(None, (), error)
    return Parsed(read.post, read.warnings)


def _duplicate_of(post: Post, slugs: dict[str, str], ids: dict[str, str]) -> str | None:
    if post.slug in slugs:
        return f"duplicate slug {post.slug!r} (already used by {slugs[post.slug]})"
    if post.id and post.id in ids:
        return f"duplicate id {post.id!r} (already used by {ids[post.id]})"
    return None
