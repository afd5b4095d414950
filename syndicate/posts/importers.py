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


def importer_for(path: Path | str) -> ModuleType | None:
    suffix = os.path.splitext(path)[1].lower()  # a str is fine: no Path built for every file
    for module in IMPORTERS:
        if suffix in module.SUFFIXES:
            return module
    return None


def parse_file(path: Path, zone: tzinfo, *, max_bytes: int = DEFAULT_MAX_POST_BYTES) -> Parsed:
    module = importer_for(path)
    assert module is not None
    try:
        read: ReadResult = module.read_post(path, zone=zone, max_bytes=max_bytes)
    except PostError as error:
        return Parsed(None, (), error)
    return Parsed(read.post, read.warnings)
