"""The importers, one module per format (text.py, markdown.py): which one reads a file, and
reading one file into a post or the error it gave. A new format is a module with SUFFIXES and
read_post(), added to IMPORTERS."""

from __future__ import annotations

import os
from datetime import tzinfo
from pathlib import Path
from types import ModuleType

from syndicate.config import DEFAULT_MAX_POST_BYTES
from syndicate.errors import PostError
from syndicate.posts import markdown, text
from syndicate.posts.base import Parsed, ReadResult

IMPORTERS: tuple[ModuleType, ...] = (text, markdown)
# suffix -> the first importer that takes it: asked of every file of the posts folder on every
# build (at 100,000 posts a loop over the importers was 0.45 s of a one-post edit)
_BY_SUFFIX = {suffix: module for module in reversed(IMPORTERS) for suffix in module.SUFFIXES}


def importer_for(path: Path | str) -> ModuleType | None:
    suffix = os.path.splitext(path)[1].lower()  # a str is fine: no Path built for every file
    return _BY_SUFFIX.get(suffix)


def parse_file(path: Path, zone: tzinfo, *, max_bytes: int = DEFAULT_MAX_POST_BYTES) -> Parsed:
    module = importer_for(path)
    assert module is not None
    try:
        read: ReadResult = module.read_post(path, zone=zone, max_bytes=max_bytes)
    except PostError as error:
        return Parsed(None, (), error)
    return Parsed(read.post, read.warnings)
