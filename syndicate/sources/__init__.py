"""Importers of stored posts, one module per format, behind one small interface.

A new format is one module with a `SUFFIXES` tuple and a `read_post(path, *, zone)` function,
added to `IMPORTERS` below.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from types import ModuleType

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


def load_posts(folder: Path, *, zone: tzinfo) -> LoadResult:
    """Read every post under `folder`; a bad file is reported and the others still load."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: posts folder not found")
    result = LoadResult()
    seen_slugs: dict[str, Path] = {}
    seen_ids: dict[str, Path] = {}
    for path in post_files(folder):
        module = importer_for(path)
        assert module is not None
        try:
            read: ReadResult = module.read_post(path, zone=zone)
        except PostError as error:
            result.errors.append(error)
            continue
        result.warnings.extend(read.warnings)
        post = read.post
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
        result.posts.append(post)
    return result


def _duplicate_of(post: Post, slugs: dict[str, Path], ids: dict[str, Path]) -> str | None:
    if post.slug in slugs:
        return f"duplicate slug {post.slug!r} (already used by {slugs[post.slug]})"
    if post.id and post.id in ids:
        return f"duplicate id {post.id!r} (already used by {ids[post.id]})"
    return None
