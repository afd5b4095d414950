"""Reading what a fetch brought back without trusting it: feeds, comment feeds, feed discovery.

RSS and Atom are read by feedparser, told the response's real Content-Type so that it decodes
as RFC 7303 says; JSON Feed by jsonfeed.py. A DOCTYPE's entities are expanded or refused
(entities.py) before feedparser sees them. Every field is a stranger's: titles, names and
descriptions become plain text, HTML is sanitised, dates that cannot exist become None, and
links are made absolute against xml:base, else the response's Content-Location, else its URL
(fields.py). An entry's media files (RSS <enclosure>, Atom rel="enclosure", else Media RSS's
audio and video) are kept, bounded; an entry that is nothing but one is an entry."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.etree
import lxml.html

from syndicate.aggregate.entities import declares_entities, expand_internal_entities
from syndicate.aggregate.fields import (
    ParsedComment,
    ParsedEntry,
    ParsedFeed,
    absolute_unique,
    absolute_url,
    bounded_enclosures,
    content_guid,
    media_duration,
    media_length,
    media_type,
    media_url,
    origin_links_in_html,
    untrusted_text,
)
from syndicate.aggregate.jsonfeed import looks_like_json, parse_json_comments, parse_json_feed
from syndicate.aggregate.limits import MAX_FEED_BYTES
from syndicate.clean import sanitize_article_html, sanitize_untrusted_html, xml_safe
from syndicate.errors import FeedError
from syndicate.model import Enclosure

__all__ = [
    "COMMENT_FEED_TYPES",
    "FEED_TYPES",
    "ParsedComment",
    "ParsedEntry",
    "ParsedFeed",
    "discover_feeds",
    "feedparser_content_type",
    "parse_comments",
    "parse_feed",
]

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
# JSON Feed's spec: discovery prefers application/feed+json, and falls back on
# application/json (WordPress also advertises its REST API so: tried last, it is refused).
FALLBACK_FEED_TYPES = ("application/json",)
COMMENT_FEED_TYPES = ("application/atom+xml", "application/rss+xml", "application/feed+json")
_ENTRY_SUBSTANCE = ("id", "link", "title", "summary", "content")
_PLAYABLE = ("audio", "video")  # Media RSS's media:content of these media is a media file
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?)?")
_CHARSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,39}")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)  # UTF-32's start as UTF-16's


def parse_feed(
    content: bytes,
    url: str,
    *,
    content_type: str | None = None,
    content_location: str | None = None,
) -> ParsedFeed:
    """Read an RSS, Atom or JSON Feed document fetched from `url` (with the response's
    Content-Type and Content-Location, when it had them); hostile or broken input is a
    FeedError naming `url`."""
    base_url = document_base(url, content_location)
    if looks_like_json(content):
        return parse_json_feed(content, base_url, url)
    document = _parse_document(content, url, base_url, content_type)
    feed = document.get("feed", {})
    feed_base = _base_of(feed, base_url)
    return ParsedFeed(
        title=_feed_text(feed, "title"),
        site_url=absolute_url(feed_base, feed.get("link")),
        entries=tuple(_entries(document, base_url)),
        subtitle=_feed_text(feed, "subtitle") or None,
        author=_person(feed) or None,
        generator=_feed_text(feed, "generator") or None,
        image_url=_image_url(feed, feed_base),
    )


def parse_comments(
    content: bytes,
    url: str,
    *,
    content_type: str | None = None,
    content_location: str | None = None,
) -> tuple[ParsedComment, ...]:
    """Read a comment feed (WordPress comment RSS, Atom with thr:, JSON Feed) into comments."""
    base_url = document_base(url, content_location)
    if looks_like_json(content):
        return parse_json_comments(content, base_url, url)
    document = _parse_document(content, url, base_url, content_type)
    return tuple(_comment(entry, base_url) for entry in _usable_entries(document))


def discover_feeds(html: bytes, page_url: str) -> list[str]:
    """The feeds an HTML page advertises with <link rel="alternate" type=...>, in document
    order; those typed application/json after all the others (JSON Feed's fallback)."""
    if not html.strip():
        return []
    try:
        document = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    base_url = page_url
    for base in document.iter("base"):
        base_url = urljoin(page_url, (base.get("href") or "").strip())
        break
    found: list[str] = []
    fallbacks: list[str] = []
    for link in document.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        feed_url = absolute_url(base_url, link.get("href")) if "alternate" in rel else None
        if feed_url and kind in FEED_TYPES and feed_url not in found:
            found.append(feed_url)
        elif feed_url and kind in FALLBACK_FEED_TYPES and feed_url not in fallbacks:
            fallbacks.append(feed_url)
    return found + [url for url in fallbacks if url not in found]


def document_base(url: str, content_location: str | None) -> str:
    """Where the document's relative links resolve before any xml:base: its Content-Location
    (itself relative to `url`) when that is an http(s) URL, else `url`."""
    return absolute_url(url, content_location) or url


# -- the HTTP charset (RFC 7303) -----------------------------------------------------------------


def feedparser_content_type(content_type: str | None, content: bytes) -> str:
    """The Content-Type feedparser is told, so that it decodes as RFC 7303 says: a BOM wins,
    else the HTTP charset, else the XML declaration, else UTF-8.

    feedparser follows RFC 3023, which RFC 7303 replaced: for text/xml it ignores the XML
    declaration and assumes US-ASCII without a charset, and it lets a charset override a
    BOM. So text/xml is passed as its alias application/xml, and a charset beside a BOM is
    left out. Other types (text/html, text/plain: misconfigured servers) are passed as they
    are, with their charset."""
    media_type, charset = split_content_type(content_type)
    if (
        not media_type
        or media_type == "text/xml"
        or (media_type.startswith("text/") and media_type.endswith("+xml"))
    ):
        media_type = "application/xml"
    if charset and not content.startswith(_BOMS):
        return f"{media_type}; charset={charset}"
    return media_type


def split_content_type(content_type: str | None) -> tuple[str, str | None]:
    """(media type in lower case, charset or None) of a Content-Type header; a charset that
    is not a plausible encoding name is left out."""
    if not content_type:
        return "", None
    media_type, *parameters = content_type.split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip("\"'")
            charset = value if _CHARSET_NAME.fullmatch(value) else None
    return media_type.strip().lower(), charset


# -- RSS and Atom -------------------------------------------------------------------------------


def _parse_document(content: bytes, url: str, base_url: str, content_type: str | None) -> Any:
    if not content.strip():
        raise FeedError(url, "empty response, not a feed")
    if len(content) > MAX_FEED_BYTES:
        raise FeedError(url, f"larger than {MAX_FEED_BYTES} bytes, not read")
    told = feedparser_content_type(content_type, content)
    if declares_entities(content):
        content = expand_internal_entities(content, url, charset=split_content_type(told)[1])
        told = "application/xml; charset=utf-8"
    document = feedparser.parse(
        content,
        response_headers={"content-location": base_url, "content-type": told},
        resolve_relative_uris=True,
        sanitize_html=False,  # we sanitise ourselves, after looking for origin links
    )
    if not document.get("version") and not document.get("entries"):
        raise FeedError(url, "not a feed (no RSS, Atom or JSON Feed found)")
    problem = document.get("bozo_exception")
    if (
        document.get("bozo")
        and not _harmless(problem)
        and not _usable_entries(document, media=True)
    ):
        raise FeedError(url, f"not well-formed XML: {problem}")
    return document


def _harmless(problem: object) -> bool:
    """Wrong charset labels, missing namespaces and the like: the data is still good."""
    return isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe)


def _usable_entries(document: Any, *, media: bool = False) -> list[Any]:
    """Entries with something in them (a truncated document can end with an empty one): an
    id, a link, a title or text, or (`media`) what may be a media file."""
    return [
        entry
        for entry in document.get("entries", [])
        if _says_something(entry) or (media and any(_media_candidates(entry)))
    ]


def _says_something(entry: Any) -> bool:
    return any(_field(entry, key) for key in _ENTRY_SUBSTANCE)


def _entries(document: Any, base_url: str) -> Iterator[ParsedEntry]:
    """The usable entries, read: one with no id, link, title or text is kept when it has a
    media file (a podcast's bare <item><enclosure/></item>)."""
    for raw in _usable_entries(document, media=True):
        entry = _entry(raw, base_url)
        if entry.enclosures or _says_something(raw):
            yield entry


def _base_of(record: Any, default: str) -> str:
    """The xml:base in force in a feed or entry, as feedparser records it in each field's
    detail (already resolved against the outer bases and the Content-Location)."""
    details = [record.get(f"{key}_detail") for key in ("title", "summary", "subtitle")]
    details.extend(record.get("content") or [])
    for detail in details:
        base = detail.get("base") if isinstance(detail, dict) else None
        if isinstance(base, str) and absolute_url(default, base):
            return base
    return default


def _entry(entry: Any, document_base_url: str) -> ParsedEntry:
    base_url = _base_of(entry, document_base_url)
    url = absolute_url(base_url, entry.get("link"))
    title = _title(entry)
    raw_summary = _summary_source(entry)
    raw_content = _content_source(entry)
    enclosures = _enclosures(entry, base_url)
    return ParsedEntry(
        guid=_guid(entry, url, title, enclosures),
        url=url,
        title=title,
        author=_person(entry) or None,
        published=_date(entry, "published"),
        updated=_date(entry, "updated"),
        summary_html=sanitize_article_html(raw_summary) if raw_summary else "",
        content_html=sanitize_article_html(raw_content) if raw_content else "",
        origin_urls=_origin_urls(entry, base_url, url, (raw_content, raw_summary)),
        source_urls=_source_urls(entry, base_url, url),
        comments_feed_url=_comments_feed_url(entry, base_url),
        comment_count=_comment_count(entry),
        enclosures=enclosures,
        image_url=_entry_image(entry, base_url),
    )


def _comment(entry: Any, document_base_url: str) -> ParsedComment:
    base_url = _base_of(entry, document_base_url)
    url = absolute_url(base_url, entry.get("link"))
    title = _title(entry)
    html = _content_source(entry) or _summary_source(entry)
    author = _person(entry) or title.removeprefix("By: ").strip()
    return ParsedComment(
        guid=_guid(entry, url, title, ()),
        author=author,
        published=_date(entry, "published") or _date(entry, "updated"),
        url=url,
        content_html=sanitize_untrusted_html(html) if html else "",
    )


def _field(record: Any, key: str) -> Any:
    """A field as the feed gave it: feedparser's `get` maps a missing `updated` to
    `published` (with a DeprecationWarning), which would invent an update."""
    return dict.get(record, key)


def _text(record: Any, key: str) -> str:
    value = _field(record, key)
    return xml_safe(value).strip() if isinstance(value, str) else ""


def _is_html(record: Any, key: str) -> bool:
    detail = record.get(f"{key}_detail") or {}
    return detail.get("type", "text/plain") in ("text/html", "application/xhtml+xml")


def _feed_text(record: Any, key: str) -> str:
    """A title, subtitle or generator as plain text (whatever type it declares)."""
    return untrusted_text(_field(record, key), html=_is_html(record, key))


def _title(entry: Any) -> str:
    return _feed_text(entry, "title")


def _person(record: Any) -> str:
    """The author as the feed names them, as plain text (`author_detail` is not used: for
    RSS's `email (Name)` feedparser 6.0 splits it wrongly, `ple (Name`)."""
    return untrusted_text(_field(record, "author"))


def _image_url(feed: Any, base_url: str) -> str | None:
    """The feed's image (RSS <image>, itunes:image, Atom logo or icon): http(s) only."""
    image = feed.get("image") or {}
    candidates = [image.get("href") if isinstance(image, dict) else None]
    candidates += [feed.get("logo"), feed.get("icon")]
    for candidate in candidates:
        found = absolute_url(base_url, candidate)
        if found:
            return found
    return None


def _guid(entry: Any, url: str | None, title: str, enclosures: tuple[Enclosure, ...]) -> str:
    explicit = _text(entry, "id")
    if explicit:
        return explicit
    if url:
        return url
    if enclosures and not _says_something(entry):
        return enclosures[0].url  # an entry that is its media file, as podcast apps know it
    date = _text(entry, "published") or _text(entry, "updated")
    fallback = "" if (title or date) else _text(entry, "summary")
    return content_guid(title, date, fallback)


def _as_html(detail: Any) -> str:
    value = xml_safe(detail.get("value", "") or "")
    if detail.get("type", "text/html") == "text/plain":
        return escape(value, quote=False)
    return value


def _summary_source(entry: Any) -> str:
    """The raw summary; feedparser copies Atom content into `summary` without a detail."""
    detail = entry.get("summary_detail")
    return _as_html(detail) if detail else ""


def _content_source(entry: Any) -> str:
    contents = entry.get("content") or []
    preferred = [c for c in contents if c.get("type") in ("text/html", "application/xhtml+xml")]
    chosen = (preferred or contents)[:1]
    return _as_html(chosen[0]) if chosen else ""


def _date(entry: Any, key: str) -> datetime | None:
    """Timezone-aware UTC, or None for a missing or impossible date (feedparser rolls
    2023-02-30 over to March; we do not)."""
    parsed = _field(entry, f"{key}_parsed")
    if parsed is None or not _possible_date_text(_field(entry, key) or ""):
        return None
    try:
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _possible_date_text(text: str) -> bool:
    match = _ISO_DATE.match(text)
    if not match:
        return True
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    if (hour, minute, second) == (24, 0, 0):
        hour = 23
    try:
        datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return True


def _origin_urls(
    entry: Any, base_url: str, entry_url: str | None, raw_html: Iterable[str]
) -> tuple[str, ...]:
    candidates = [
        link.get("href")
        for link in entry.get("links", [])
        if link.get("rel") in ("canonical", "via")
    ]
    for html in raw_html:
        candidates.extend(origin_links_in_html(html))
    return absolute_unique(candidates, base_url, entry_url)


def _source_urls(entry: Any, base_url: str, entry_url: str | None) -> tuple[str, ...]:
    """RSS <source url> and atom:source links: they name a feed or site, not an article."""
    source = entry.get("source") or {}
    candidates = [source.get("href")]
    candidates.extend(
        link.get("href")
        for link in source.get("links", [])
        if link.get("rel") in ("alternate", "self")
    )
    return absolute_unique(candidates, base_url, entry_url)


def _comments_feed_url(entry: Any, base_url: str) -> str | None:
    wfw = absolute_url(base_url, entry.get("wfw_commentrss"))
    if wfw:
        return wfw
    replies = [link for link in entry.get("links", []) if link.get("rel") == "replies"]
    typed = [link for link in replies if link.get("type") in COMMENT_FEED_TYPES]
    untyped = [link for link in replies if not link.get("type")]
    for link in typed + untyped:
        absolute = absolute_url(base_url, link.get("href"))
        if absolute:
            return absolute
    return None


def _comment_count(entry: Any) -> int | None:
    replies = [link for link in entry.get("links", []) if link.get("rel") == "replies"]
    candidates = [entry.get("slash_comments"), entry.get("thr_total")]
    candidates.extend(link.get("thr:count") or link.get("count") for link in replies)
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip().isdigit():
            return int(candidate.strip())
    return None


# -- media files --------------------------------------------------------------------------------


def _enclosure_links(entry: Any) -> list[Any]:
    """RSS <enclosure> and Atom link rel="enclosure" (feedparser gives both as links)."""
    return [link for link in entry.get("links") or [] if link.get("rel") == "enclosure"]


def _playable_media(entry: Any) -> list[Any]:
    """Media RSS's media:content of audio or video (by medium, else by type); its images
    (a news site's pictures, a video's thumbnails) are not the entry's media files."""
    found = []
    for media in entry.get("media_content") or []:
        medium = str(media.get("medium") or "").lower()
        kind = media_type(media.get("type")).partition("/")[0]
        if (medium or kind) in _PLAYABLE:
            found.append(media)
    return found


def _media_candidates(entry: Any) -> list[Any]:
    """What may be the entry's media files: its enclosures, else its playable media:content
    (which repeats an enclosure, or offers other formats of it, when it has one)."""
    return _enclosure_links(entry) or _playable_media(entry)


def _enclosures(entry: Any, base_url: str) -> tuple[Enclosure, ...]:
    """The entry's media files, bounded; itunes:duration is the first one's."""
    found = bounded_enclosures(_enclosure(media, base_url) for media in _media_candidates(entry))
    duration = media_duration(_field(entry, "itunes_duration"))
    if found and duration is not None and found[0].duration is None:
        found = (replace(found[0], duration=duration), *found[1:])
    return found


def _enclosure(media: Any, base_url: str) -> Enclosure | None:
    """One enclosure link or media:content (whose `url`, `filesize` and `duration` are
    attributes of its own)."""
    url = media_url(base_url, media.get("href") or media.get("url"))
    if url is None:
        return None
    return Enclosure(
        url=url,
        length=media_length(media.get("length") or media.get("filesize")),
        media_type=media_type(media.get("type")),
        duration=media_duration(media.get("duration")),
    )


def _entry_image(entry: Any, base_url: str) -> str | None:
    """An episode's own picture (itunes:image of the item)."""
    image = entry.get("image")
    return media_url(base_url, image.get("href")) if isinstance(image, dict) else None
