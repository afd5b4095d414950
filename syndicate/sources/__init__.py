"""Importers of stored posts, one module per format, behind one small interface.

A new format is one module with a `SUFFIXES` tuple and a `read_post(path, *, zone)` function,
added to `IMPORTERS` below.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from types import ModuleType

from syndicate.cache import Parsed, PostCache, light_copy
from syndicate.errors import ConfigError, PostError, PostWarning
from syndicate.model import Post
from syndicate.sources import markdown, text
from syndicate.sources.base import ReadResult

IMPORTERS: tuple[ModuleType, ...] = (text, markdown)


@dataclass
class LoadResult:
    """Every publishable post, plus the errors and warnings met on the way."""

    posts: list[Post] = field(default_factory=list)
    errors: list[PostError] = field(default_factory=list)
    warnings: list[PostWarning] = field(default_factory=list)
    drafts: int = 0


def importer_for(path: Path) -> ModuleType | None:
    for module in IMPORTERS:
        if path.suffix.lower() in module.SUFFIXES:
            return module
    return None


def post_files(folder: Path) -> Iterator[Path]:
    """Files an importer understands, in a stable order; hidden files and folders are skipped."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and importer_for(path) is not None:
            yield path


def load_posts(folder: Path, *, zone: tzinfo, cache: PostCache | None = None) -> LoadResult:
    """Read every post under `folder`; a bad file is reported and the others still load.

    With a cache, unchanged files are not read again and their posts come back without their
    HTML (`content_deferred`; `cache.full(post)` brings it); changed files are parsed, in
    worker processes when there are many, and stored for next time."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: posts folder not found")
    files = [(path, path.stat()) for path in post_files(folder)]
    stats = dict(files)
    outcomes: dict[Path, Parsed] = {}
    misses: list[Path] = []
    for path, stat in files:
        cached = cache.lookup(path.resolve(), stat.st_size, stat.st_mtime_ns) if cache else None
        if cached is None:
            misses.append(path)
        else:
            outcomes[path] = cached
    for path, parsed in zip(misses, parse_all(misses, zone), strict=True):
        if cache is not None:
            stat = stats[path]
            cache.store(path.resolve(), stat.st_size, stat.st_mtime_ns, parsed)
            if parsed.post is not None and cache.available:
                parsed = Parsed(light_copy(parsed.post), parsed.warnings, parsed.error)
        outcomes[path] = parsed
    result = LoadResult()
    seen_slugs: dict[str, Path] = {}
    seen_ids: dict[str, Path] = {}
    for path, stat in files:
        parsed = outcomes[path]
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
            result.errors.append(PostError(path, duplicate))
            continue
        seen_slugs[post.slug] = path
        if post.id:
            seen_ids[post.id] = path
        digest = f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{getattr(zone, 'key', zone)}"
        result.posts.append(replace(post, digest=digest))
    return result


PARALLEL_FROM = 64  # below this many files to parse, worker processes cost more than they save


def parse_all(paths: list[Path], zone: tzinfo) -> list[Parsed]:
    """Parse files, on every core when there are many (Markdown rendering is CPU-bound)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_FROM or workers < 2:
        return [parse_file(path, zone) for path in paths]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(8, len(paths) // (workers * 8))
        return list(pool.map(parse_file, paths, [zone] * len(paths), chunksize=chunk))


def parse_file(path: Path, zone: tzinfo) -> Parsed:
    module = importer_for(path)
    assert module is not None
    try:
        read: ReadResult = module.read_post(path, zone=zone)
    except PostError as error:
        return Parsed(None, (), error)
    return Parsed(read.post, read.warnings)


def _duplicate_of(post: Post, slugs: dict[str, Path], ids: dict[str, Path]) -> str | None:
    if post.slug in slugs:
        return f"duplicate slug {post.slug!r} (already used by {slugs[post.slug]})"
    if post.id and post.id in ids:
        return f"duplicate id {post.id!r} (already used by {ids[post.id]})"
    return None
