"""What every importer shares: the result type, decoding with line numbers, slugs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slugify import slugify

from syndicate.clean import xml_safe
from syndicate.errors import PostError, PostWarning
from syndicate.model import Post


@dataclass(frozen=True)
class ReadResult:
    """One file's post and what was odd about it."""

    post: Post
    warnings: tuple[PostWarning, ...] = ()


def read_utf8(path: Path) -> str:
    """The file's text; a file that is not UTF-8 is a PostError naming the offending line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PostError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PostError(path, f"not UTF-8 (byte 0x{data[exc.start]:02x})", line) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return xml_safe(text)  # control characters cannot reach a feed, nor trip a parser


def make_slug(text: str) -> str:
    return slugify(text, max_length=80, word_boundary=True)
