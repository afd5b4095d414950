"""Reading JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) without trusting it.

The document's size, nesting and number of objects are bounded before `json` builds
anything; every field is used only when it has the type the spec gives it; names starting
with `_` (extensions) are never looked at. An item without an id is discarded, as the spec
insists; a numeric id is a string. `content_html` is sanitised as articles from other sites
are, `content_text` and `summary` are text (escaped), `external_url` is the article the item
is about (an origin, for merging), `attachments` are its media files (bounded, as RSS's
enclosures are) and `image` its picture. Relative links resolve against the feed's base (its
Content-Location, else its URL), and those in an item's HTML against the item's `url`."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import escape
from itertools import accumulate, count
from operator import sub
from typing import Any

from syndicate.aggregate.fields import (
    ParsedComment,
    ParsedEntry,
    ParsedFeed,
    absolute_unique,
    absolute_url,
    bounded_enclosures,
    media_duration,
    media_length,
    media_type,
    media_url,
    optional_text,
    origin_links_in_html,
    untrusted_text,
)
from syndicate.aggregate.limits import MAX_FEED_BYTES, MAX_JSON_CONTAINERS, MAX_JSON_DEPTH
from syndicate.clean import sanitize_article_html, sanitize_untrusted_html, xml_safe
from syndicate.errors import FeedError
from syndicate.model import Enclosure

VERSION_PREFIX = "https://jsonfeed.org/version/"
_START = re.compile(rb"\A(?:\xef\xbb\xbf)?[\s\x00]*\{")  # a UTF-8 BOM, whitespace, then {
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def looks_like_json(content: bytes) -> bool:
    """Whether a body is a JSON object (no XML document starts with `{`)."""
    return bool(_START.match(content[:1024]))


def parse_json_feed(content: bytes, base_url: str, feed_url: str) -> ParsedFeed:
    """A JSON Feed; `base_url` resolves its relative links (its Content-Location, else
    `feed_url`, the URL it was fetched from, which errors name)."""
    document = _json_feed_document(content, feed_url)
    authors = _authors(document)
    entries = tuple(
        entry
        for item in _items(document, feed_url)
        if (entry := _entry(item, base_url, authors)) is not None
    )
    return ParsedFeed(
        title=untrusted_text(_string(document, "title")),
        site_url=absolute_url(base_url, _string(document, "home_page_url")),
        entries=entries,
        subtitle=optional_text(_string(document, "description")),
        author=", ".join(authors) or None,
        image_url=absolute_url(base_url, _string(document, "icon"))
        or absolute_url(base_url, _string(document, "favicon")),
    )


def parse_json_comments(content: bytes, base_url: str, feed_url: str) -> tuple[ParsedComment, ...]:
    """A comment feed in JSON Feed: each item a comment, its HTML a stranger's."""
    document = _json_feed_document(content, feed_url)
    comments = []
    for item in _items(document, feed_url):
        guid = _item_id(item)
        if guid is None:
            continue
        html = _content_source(item)
        authors = _authors(item) or _authors(document)
        comments.append(
            ParsedComment(
                guid=guid,
                author=", ".join(authors) or untrusted_text(_string(item, "title")),
                published=_date(item, "date_published") or _date(item, "date_modified"),
                url=absolute_url(base_url, _string(item, "url")),
                content_html=sanitize_untrusted_html(html) if html else "",
            )
        )
    return tuple(comments)


def _json_feed_document(content: bytes, feed_url: str) -> dict[str, Any]:
    if len(content) > MAX_FEED_BYTES:
        raise FeedError(feed_url, f"JSON Feed larger than {MAX_FEED_BYTES} bytes")
    _check_shape(content, feed_url)
    try:
        document = json.loads(content)
    except RecursionError:  # _check_shape bounds the depth; this is the last line
        raise FeedError(feed_url, "JSON nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, bad UTF-8, an over-long integer
        raise FeedError(feed_url, f"not valid JSON: {_short(error)}") from None
    if not isinstance(document, dict):
        raise FeedError(feed_url, "JSON, but not a JSON Feed (not an object)")
    version = document.get("version")
    if not isinstance(version, str) or not version.lower().startswith(VERSION_PREFIX):
        raise FeedError(
            feed_url, f"JSON, but not a JSON Feed (no version {VERSION_PREFIX}1.1 or 1)"
        )
    return document


def _check_shape(content: bytes, feed_url: str) -> None:
    """Bound nesting and size of the structure before `json` builds it: over the brackets
    outside strings, in C (a regex, a translation, running sums)."""
    opened = content.count(b"[") + content.count(b"{")
    if opened <= MAX_JSON_DEPTH:
        return  # neither limit can be reached
    brackets = _JSON_STRING.sub(b"", content).translate(None, _NOT_A_BRACKET)
    containers = brackets.count(b"[") + brackets.count(b"{")
    if containers > MAX_JSON_CONTAINERS:
        raise FeedError(feed_url, f"JSON Feed with over {MAX_JSON_CONTAINERS} objects and arrays")
    # After `[`/`{` -> 2 and `]`/`}` -> 0, the running sum less the position is the depth.
    steps = brackets.translate(_BRACKET_STEPS)
    deepest = max(map(sub, accumulate(steps), count(1)), default=0)
    if deepest > MAX_JSON_DEPTH:
        raise FeedError(feed_url, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


def _short(error: Exception) -> str:
    return str(error).splitlines()[0][:200]


def _items(document: dict[str, Any], feed_url: str) -> list[dict[str, Any]]:
    items = document.get("items", [])
    if not isinstance(items, list):
        raise FeedError(feed_url, "JSON Feed whose items are not a list")
    return [item for item in items if isinstance(item, dict)]


def _string(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) else None


def _number(record: dict[str, Any], key: str) -> int | float | None:
    value = record.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _item_id(item: dict[str, Any]) -> str | None:
    """The item's id as a string (a number is coerced, as the spec says); None: discard."""
    value = item.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    return xml_safe(value).strip() or None


def _authors(record: dict[str, Any]) -> list[str]:
    """Names of 1.1's `authors`, else of 1.0's `author`, as plain text."""
    listed = record.get("authors")
    people = listed if isinstance(listed, list) else [record.get("author")]
    names = [untrusted_text(person.get("name")) for person in people if isinstance(person, dict)]
    return list(dict.fromkeys(name for name in names if name))


def _content_source(item: dict[str, Any]) -> str:
    """The item's HTML as given (content_html), or its text as HTML (content_text)."""
    html = _string(item, "content_html")
    if html and html.strip():
        return xml_safe(html)
    return _text_as_html(_string(item, "content_text"))


def _text_as_html(text: str | None) -> str:
    if not text or not text.strip():
        return ""
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(xml_safe(text)) if p.strip()]
    return "".join(f"<p>{escape(paragraph, quote=False)}</p>" for paragraph in paragraphs)


def _entry(item: dict[str, Any], base_url: str, feed_authors: list[str]) -> ParsedEntry | None:
    guid = _item_id(item)
    if guid is None:
        return None
    url = absolute_url(base_url, _string(item, "url"))
    raw_content = _content_source(item)
    summary = _string(item, "summary")
    candidates: list[object] = [_string(item, "external_url")]
    if _string(item, "content_html"):
        candidates.extend(origin_links_in_html(raw_content))
    authors = _authors(item) or feed_authors  # 1.1: the feed's authors are the items'
    return ParsedEntry(
        guid=guid,
        url=url,
        title=untrusted_text(_string(item, "title")),
        author=", ".join(authors) or None,
        published=_date(item, "date_published"),
        updated=_date(item, "date_modified"),
        summary_html=escape(xml_safe(summary).strip(), quote=False) if summary else "",
        # The HTML is the item's page's: its relative links are relative to that page.
        content_html=sanitize_article_html(raw_content, url or base_url) if raw_content else "",
        origin_urls=absolute_unique(candidates, base_url, url),
        enclosures=_attachments(item, base_url),
        image_url=media_url(base_url, _string(item, "image")),
    )


def _attachments(item: dict[str, Any], base_url: str) -> tuple[Enclosure, ...]:
    listed = item.get("attachments")
    if not isinstance(listed, list):
        return ()
    return bounded_enclosures(
        _attachment(attachment, base_url) for attachment in listed if isinstance(attachment, dict)
    )


def _attachment(attachment: dict[str, Any], base_url: str) -> Enclosure | None:
    """One attachment: `url` and `mime_type` strings, `size_in_bytes` and
    `duration_in_seconds` numbers, as the spec gives them (a string there is not read)."""
    url = media_url(base_url, _string(attachment, "url"))
    if url is None:
        return None
    return Enclosure(
        url=url,
        length=media_length(_number(attachment, "size_in_bytes")),
        media_type=media_type(_string(attachment, "mime_type")),
        duration=media_duration(_number(attachment, "duration_in_seconds")),
    )


def _date(record: dict[str, Any], key: str) -> datetime | None:
    """An RFC 3339 date in UTC (a date without a zone is taken as UTC); None for a missing,
    malformed or impossible one."""
    text = _string(record, key)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).replace(microsecond=0)
    except (OverflowError, ValueError):  # year 1 minus a zone's offset
        return None
