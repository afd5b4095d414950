"""Post media: enclosures (the front matter's, else the body's <audio> and <video>), a podcast
episode's tags, and the files beside a post that it links to (Post.local_files).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from syndicate.clean import xml_safe
from syndicate.errors import PostError, PostWarning
from syndicate.model import Enclosure, Episode
from syndicate.posts.base import (
    MEDIA_TYPE,
    body_media,
    file_beside,
    file_size,
    media_type_of,
    parse_duration,
    relative_references,
    relative_url,
    shown,
)
from syndicate.posts.front_matter import FrontMatter, parse_bool
from syndicate.posts.text import SUFFIXES as TEXT_SUFFIXES

EPISODE_TYPES = ("full", "trailer", "bonus")
ENCLOSURE_KEYS = ("url", "file", "length", "type", "duration", "title")
MAX_ENCLOSURES = 20  # a post's media files; more is a mistake (a list pasted in twice)


# -- media: enclosures, a podcast episode, files beside the post ------------------------------


@dataclass(frozen=True)
class PostMedia:
    enclosures: tuple[Enclosure, ...] = ()
    episode: Episode | None = None
    local_files: tuple[str, ...] = ()
    warnings: tuple[PostWarning, ...] = ()


# A post's own sources are not files for its page to serve (a linked draft would be published).
SOURCE_SUFFIXES = (".md", ".markdown", *TEXT_SUFFIXES)


def parse_media(front: FrontMatter, content_html: str) -> PostMedia:
    """The post's enclosures (the front matter's, else the body's <audio> and <video>), its
    episode, and the files beside it that it names."""
    warnings: list[PostWarning] = []
    if front.data.get("enclosure") is False:  # none, not even the body's audio and video
        enclosures: tuple[Enclosure, ...] = ()
    else:
        enclosures = parse_enclosures(front, warnings)
        enclosures = enclosures or body_enclosures(front.path, content_html)
    episode = parse_episode(front, warnings)
    linked = (
        _linked_file(front.path, reference) for reference in relative_references(content_html)
    )
    local = {enclosure.local_file for enclosure in enclosures if enclosure.local_file}
    local |= {name for name in linked if name}
    if episode is not None and episode.image and _is_relative(episode.image):
        local.add(unquote(episode.image))
    return PostMedia(enclosures, episode, tuple(sorted(local)), tuple(warnings))


def _linked_file(post_path: Path, reference: str) -> str | None:
    """A relative link's file beside the post; None for anything else (a page of the site)."""
    try:
        return file_beside(post_path, reference, refused_suffixes=SOURCE_SUFFIXES)
    except ValueError:
        return None


def parse_enclosures(front: FrontMatter, warnings: list[PostWarning]) -> tuple[Enclosure, ...]:
    raw = front.data.get("enclosure")
    if raw is None or raw == "" or raw == []:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    if len(items) > MAX_ENCLOSURES:
        raise front.error("enclosure", f"{len(items):,} enclosures: at most {MAX_ENCLOSURES}")
    enclosures: dict[str, Enclosure] = {}
    for index, item in enumerate(items):
        where = f"enclosure {index + 1}" if len(items) > 1 else "enclosure"
        enclosure = _enclosure(front, where, item, warnings)
        enclosures.setdefault(enclosure.url, enclosure)
    if len(enclosures) > 1:
        message = (
            f"{len(enclosures)} enclosures: RSS carries the first alone "
            "(Atom and JSON Feed carry them all)"
        )
        warnings.append(front.warning("enclosure", message))
    return tuple(enclosures.values())


def _enclosure(front: FrontMatter, where: str, item: Any, warnings: list[PostWarning]) -> Enclosure:
    if isinstance(item, str):
        item = {"url" if _is_url(item) else "file": item}
    if not isinstance(item, dict):
        raise front.error("enclosure", f"{where} must be a URL, a file or a mapping")
    line = front.line_of_value("enclosure", item.get("url") or item.get("file") or "")
    warnings.extend(_unknown_enclosure_keys(front, where, item))
    given = {key for key in ("url", "file") if item.get(key) not in (None, "")}
    if len(given) != 1:
        raise PostError(front.path, f"{where} needs 'url' or 'file' (one of them)", line)
    declared_type = _declared_type(front, where, item.get("type"), front.line_showing(line, "type"))
    duration_line = front.line_showing(line, "duration")
    duration = _optional_duration(
        front, f"{where}: 'duration'", item.get("duration"), duration_line
    )
    title = xml_safe(str(item.get("title") or "")).strip() or None
    length: int | None
    if "file" in given:
        local = _local_file(front, where, item["file"], line)
        media_type = declared_type or media_type_of(local)
        url, length = relative_url(local), file_size(front.path, local)
    else:
        url = _http_url(front, where, item["url"], line)
        media_type = declared_type or media_type_of(urlsplit(url).path)
        length = _length(front, where, item.get("length"), front.line_showing(line, "length"))
        local = None
        if length is None:
            message = f"{where}: no 'length' (bytes) for {shown(url)}: feeds say 0, unknown"
            warnings.append(PostWarning(front.path, message, line))
    if media_type is None:
        named = shown(item.get("file") or item.get("url"))
        raise PostError(front.path, f"{where}: unknown type of {named}: give 'type'", line)
    return Enclosure(url, length or 0, media_type, local, duration, title)


def _unknown_enclosure_keys(
    front: FrontMatter, where: str, item: dict[Any, Any]
) -> list[PostWarning]:
    warnings = []
    for key in item:
        if key not in ENCLOSURE_KEYS:
            close = difflib.get_close_matches(str(key), ENCLOSURE_KEYS, n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"{where}: unknown key {shown(key)} ignored{hint}"
            warnings.append(
                front.warning("enclosure", message, front.line_of_value("enclosure", key))
            )
    return warnings


_SCHEME_OR_HOST = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def _is_url(text: str) -> bool:
    """A URL with a scheme (or a host: //host/path) rather than a path."""
    return bool(_SCHEME_OR_HOST.match(text.strip()))


def _path_of(relative_url: str) -> str:
    """The file path a relative URL names (without its query and fragment)."""
    return unquote(relative_url.split("#")[0].split("?")[0])


def _is_relative(url: str) -> bool:
    return not _is_url(url) and not url.startswith("/")


def _http_url(front: FrontMatter, where: str, url: Any, line: int) -> str:
    text = str(url).strip()
    if not _is_http(text):
        message = f"{where}: {shown(text)} is not an http(s) URL (nor a file beside the post)"
        raise PostError(front.path, message, line)
    return _uri_safe(text)


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # an unclosed [IPv6 address, a port that is not a number
        return False


def _uri_safe(url: str) -> str:
    """A URL with what a URI may not carry (spaces, non-ASCII) percent-encoded."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _local_file(front: FrontMatter, where: str, name: Any, line: int) -> str:
    try:
        return file_beside(front.path, str(name), refused_suffixes=SOURCE_SUFFIXES)
    except ValueError as exc:
        raise PostError(front.path, f"{where}: {shown(str(name))}: {exc}", line) from None


def _declared_type(front: FrontMatter, where: str, value: Any, line: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if not MEDIA_TYPE.match(text):
        raise PostError(front.path, f"{where}: 'type' is not a MIME type: {shown(value)}", line)
    return text


def _length(front: FrontMatter, where: str, value: Any, line: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        message = f"{where}: 'length' must be a number of bytes, got {shown(value)}"
        raise PostError(front.path, message, line)
    return value


def _optional_duration(front: FrontMatter, label: str, value: Any, line: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        return parse_duration(value)
    except ValueError:
        message = f"{label} must be seconds or H:MM:SS, got {shown(value)}"
        raise PostError(front.path, message, line) from None


def body_enclosures(post_path: Path, content_html: str) -> tuple[Enclosure, ...]:
    """The body's <audio> and <video>, when the front matter names no enclosure: those at an
    http(s) URL (length unknown: 0) and those beside the post; others (a root-relative path,
    a file that is not there, a type we cannot tell) are not enclosures."""
    enclosures: dict[str, Enclosure] = {}
    for src, declared in body_media(content_html):
        enclosure = _body_enclosure(post_path, src, declared)
        if enclosure is not None:
            enclosures.setdefault(enclosure.url, enclosure)
    return tuple(enclosures.values())


def _body_enclosure(post_path: Path, src: str, declared: str | None) -> Enclosure | None:
    declared = (declared or "").split(";")[0].strip().lower() or None
    if _is_http(src):
        url, local, size = _uri_safe(src), None, 0
        media_type = declared or media_type_of(urlsplit(url).path)
    elif _is_relative(src):
        local = _linked_file(post_path, _path_of(src))
        if local is None:
            return None
        url, size = relative_url(local), file_size(post_path, local)
        media_type = declared or media_type_of(local)
    else:
        return None
    if media_type is None or not MEDIA_TYPE.match(media_type):
        return None
    return Enclosure(url, size, media_type, local)


def parse_episode(front: FrontMatter, warnings: list[PostWarning]) -> Episode | None:
    """What a podcast episode says beyond its enclosure; None when the post says none of it."""
    keys = ("episode", "season", "episode_type", "explicit", "image", "duration")
    if all(front.data.get(key) in (None, "") for key in keys):
        return None
    episode_type = front.text("episode_type")
    if episode_type is not None and episode_type.lower() not in EPISODE_TYPES:
        choices = ", ".join(EPISODE_TYPES)
        raise front.error("episode_type", f"'episode_type' must be one of {choices}")
    duration = front.data.get("duration")
    return Episode(
        episode=_positive_number(front, "episode"),
        season=_positive_number(front, "season"),
        episode_type=episode_type.lower() if episode_type else None,
        explicit=_explicit(front),
        image=_episode_image(front, warnings),
        duration=_optional_duration(front, "'duration'", duration, front.top_line_of("duration")),
    )


def _positive_number(front: FrontMatter, key: str) -> int | None:
    value = front.data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise front.error(key, f"{key!r} must be a whole number from 1, got {shown(value)}")
    return value


def _explicit(front: FrontMatter) -> bool | None:
    """Apple's parental advisory: true or false (yes/no, and the old 'clean' as false)."""
    value = front.data.get("explicit")
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lower() == "clean":
        return False
    return parse_bool(front, "explicit")


def _episode_image(front: FrontMatter, warnings: list[PostWarning]) -> str | None:
    """An http(s) URL, a path on the site ('/images/x.jpg', as themes write it), or a file
    beside the post; one that is none of these is left out with a warning (themes use the key
    for their own images too, so it is not an error)."""
    raw = front.data.get("image")
    if isinstance(raw, dict):  # jekyll-seo-tag's {path, height, width}
        raw = raw.get("path") or raw.get("url") or raw.get("src")
    elif isinstance(raw, list):
        raw = raw[0] if raw else None
    if raw is None or raw == "":
        return None
    value = xml_safe(str(raw)).strip()
    if isinstance(raw, dict | list) or not value:
        warnings.append(front.warning("image", f"'image' {shown(raw)} is not a URL: ignored"))
        return None
    if _is_http(value) or (value.startswith("/") and not value.startswith("//")):
        return _uri_safe(value)
    local = _linked_file(front.path, _path_of(value)) if _is_relative(value) else None
    if local is not None:
        return relative_url(local)
    message = f"'image' {shown(value)} is not an http(s) URL nor a file beside the post: ignored"
    warnings.append(front.warning("image", message))
    return None
