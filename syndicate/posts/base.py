"""What every importer shares: the result type, decoding with line numbers, and the files
beside a post that it names (enclosures, images, downloads): where they are, what type."""

from __future__ import annotations

import math
import mimetypes
import os
import re
import reprlib
import stat
from dataclasses import dataclass
from html import unescape
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote, unquote

import lxml.html
from lxml import etree

from syndicate.clean import xml_safe
from syndicate.errors import PostError, PostWarning
from syndicate.files import read_at_most
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
            data = read_at_most(file, max_bytes, size)
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


# -- files beside a post, and its media ------------------------------------------------------

# What a podcast app expects for each kind of file (Apple lists audio/x-m4a and video/x-m4v);
# otherwise Python's own table, not the system's mime.types (a build is the same on any host).
MEDIA_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/x-m4a",
    ".m4b": "audio/x-m4b",
    ".m4v": "video/x-m4v",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".ogv": "video/ogg",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".epub": "application/epub+zip",
    ".srt": "application/x-subrip",
}
_PYTHON_TYPES = mimetypes.MimeTypes()  # Python's defaults only: it reads no system file
MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def media_type_of(name: str) -> str | None:
    """The MIME type a file's (or a URL path's) extension stands for, or None."""
    suffix = PurePosixPath(name).suffix.lower()
    return MEDIA_TYPES.get(suffix) or _PYTHON_TYPES.guess_type("file" + suffix)[0]


def file_beside(post_path: Path, reference: str, *, refused_suffixes: tuple[str, ...] = ()) -> str:
    """The file a post names by a relative path, as a path under the post file's folder
    ('/'-separated); ValueError saying why it is not one. Only that folder and those below it
    are the post's: no '..', no absolute path, no hidden file, nothing a link leads out to."""
    text = reference.strip().replace("\\", "/")
    if not text:
        raise ValueError("an empty path")
    if text.startswith("/") or PureWindowsPath(text).drive:
        raise ValueError("an absolute path: give an http(s) URL or a path beside the post")
    parts = PurePosixPath(text).parts
    if ".." in parts:
        raise ValueError("outside the post's folder ('..')")
    if any(part.startswith(".") for part in parts):
        raise ValueError("a hidden file")
    if PurePosixPath(text).suffix.lower() in refused_suffixes:
        raise ValueError("a post's own source file")
    folder = post_path.parent
    try:
        found = folder.joinpath(*parts).resolve(strict=True)
        inside = found.is_relative_to(folder.resolve())
        is_file = stat.S_ISREG(found.stat().st_mode)
    except (OSError, RuntimeError):  # RuntimeError: a loop of symbolic links
        raise ValueError("no such file beside the post") from None
    if not inside:
        raise ValueError("a link to a file outside the post's folder")
    if not is_file:
        raise ValueError("not a file")
    return "/".join(parts)


def file_size(post_path: Path, relative: str) -> int:
    return post_path.parent.joinpath(*relative.split("/")).stat().st_size


def relative_url(relative: str) -> str:
    """A path under the post's folder as a URL relative to the post's page (which gets a copy
    of the file at the same place under its own folder)."""
    return quote(relative, safe="/")


def parse_duration(value: object) -> int:
    """Seconds, from a number of seconds or H:MM:SS / M:SS text; ValueError when neither.
    (YAML reads an unquoted 1:02:03 as the number 3723, which is the same.)"""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION.match(value.strip()):
        *rest, last = value.strip().split(":")
        seconds = float(last)
        for position, part in enumerate(reversed(rest)):
            seconds += int(part) * 60 ** (position + 1)
    else:
        raise ValueError(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(value)
    return round(seconds)


_DURATION = re.compile(r"^\d+(?::[0-5]?\d){0,2}(?:\.\d+)?$")
# Tags with a URL attribute, then their attributes: searching the whole body for attributes
# took 70 µs a 650-word post, tags first 10 µs.
_TAG_WITH_URL = re.compile(r"<[a-zA-Z][^<>]*?\s(?:href|src|poster|srcset)\s*=[^<>]*>", re.I)
_LINK_ATTRIBUTE = re.compile(
    r"""\s(href|src|poster|srcset)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I
)
_NOT_RELATIVE = re.compile(r"^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|/|#|\?|$)")
_MEDIA_ELEMENT = re.compile(r"<(?:audio|video)\b", re.I)


def relative_references(html: str) -> list[str]:
    """The relative URLs (paths, unquoted) that an HTML body links to or shows: href, src,
    poster and srcset, of any element; not absolute, root-relative or fragment-only ones."""
    found = []
    for tag in _TAG_WITH_URL.finditer(html):
        for match in _LINK_ATTRIBUTE.finditer(tag[0]):
            value = unescape(match[2] or match[3] or match[4] or "")
            candidates = value.split(",") if match[1].lower() == "srcset" else [value]
            for candidate in candidates:
                words = candidate.split()
                if words and not _NOT_RELATIVE.match(words[0]):
                    found.append(unquote(words[0].split("#")[0].split("?")[0]))
    return [path for path in found if path]


def body_media(html: str) -> list[tuple[str, str | None]]:
    """Each <audio> and <video> of a body as (its source's URL, the type it declares): its
    src, else its first <source src>."""
    if not _MEDIA_ELEMENT.search(html):
        return []
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    found = []
    for media in root.iter("audio", "video"):
        sources = [media, *media.iter("source")]
        for source in sources:
            src = (source.get("src") or "").strip()
            if src:
                found.append((src, source.get("type")))
                break
    return found
