"""What every importer shares: the result type, decoding with line numbers, slugs."""

from __future__ import annotations

import os
import reprlib
from dataclasses import dataclass
from pathlib import Path

from syndicate.clean import xml_safe
from syndicate.errors import PostError, PostWarning
from syndicate.model import Post


@dataclass(frozen=True)
class ReadResult:
    """One file's post and what was odd about it."""

    post: Post
    warnings: tuple[PostWarning, ...] = ()


def read_utf8(path: Path, *, max_bytes: int) -> str:
    """The file's text; a file that is not UTF-8 is a PostError naming the offending line, one
    larger than `max_bytes` is refused before it is read (and one that grows past it while
    being read, when it is)."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > max_bytes:
                raise too_large(path, size, max_bytes)
            data = file.read(max_bytes + 1)
    except OSError as exc:
        raise PostError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise too_large(path, len(data), max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PostError(path, f"not UTF-8 (byte 0x{data[exc.start]:02x})", line) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return xml_safe(text)  # control characters cannot reach a feed, nor trip a parser


def too_large(path: Path | str, size: int, max_bytes: int) -> PostError:
    return PostError(path, f"{size:,} bytes, larger than max_post_bytes ({max_bytes:,}): not read")


_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60
_SHOWN.maxlist = _SHOWN.maxdict = _SHOWN.maxtuple = 4


def shown(value: object) -> str:
    """A value quoted in a message, cut short: it may be a megabyte of text, or a list of
    a million items."""
    return _SHOWN.repr(value)


@dataclass(frozen=True)
class Parsed:
    """One file's outcome: a post (perhaps without its HTML), or the error it gave."""

    post: Post | None
    warnings: tuple[PostWarning, ...] = ()
    error: PostError | None = None
