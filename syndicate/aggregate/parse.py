"""Reading what a fetch brought back without trusting it: feeds, comment feeds, feed discovery.

feedparser reads the bytes; documents that declare entities are refused before it sees them;
HTML is sanitised; dates that cannot exist become None; links are made absolute."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

from syndicate.clean import plain_text, sanitize_article_html, sanitize_untrusted_html, xml_safe
from syndicate.errors import FeedError
from syndicate.model import FeedComment, FeedEntry

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
COMMENT_FEED_TYPES = ("application/atom+xml", "application/rss+xml")
# A DOCTYPE that opens an internal subset; with an ENTITY declaration it is how XML bombs and
# external-entity reads start, and no real feed needs one.
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ORIGIN_PHRASE = re.compile(r"originally\s+published\s+(?:at|on|in)\b", re.IGNORECASE)
_ORIGIN_PHRASE_REACH = 200  # characters of text allowed between the phrase and its link
_ENTRY_SUBSTANCE = ("id", "link", "title", "summary", "content")
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?)?")


# One entry, and one comment, as parsed: the records the archive stores (syndicate.model).
ParsedEntry = FeedEntry
ParsedComment = FeedComment


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    site_url: str | None
    entries: tuple[ParsedEntry, ...]


def parse_feed(content: bytes, url: str) -> ParsedFeed:
    """Read an RSS or Atom document fetched from `url`; hostile or broken input is a FeedError."""
    document = _parse_document(content, url)
    feed = document.get("feed", {})
    return ParsedFeed(
        title=_text(feed, "title"),
        site_url=_absolute(url, feed.get("link")),
        entries=tuple(_entry(entry, url) for entry in _usable_entries(document)),
    )


def parse_comments(content: bytes, url: str) -> tuple[ParsedComment, ...]:
    """Read a comment feed (WordPress comment RSS, Atom with thr:) into comments."""
    document = _parse_document(content, url)
    return tuple(_comment(entry, url) for entry in _usable_entries(document))


def discover_feeds(html: bytes, page_url: str) -> list[str]:
    """The feeds an HTML page advertises with <link rel="alternate" type=...>, in document order."""
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
    for link in document.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES:
            feed_url = _absolute(base_url, link.get("href"))
            if feed_url and feed_url not in found:
                found.append(feed_url)
    return found


def _parse_document(content: bytes, url: str) -> Any:
    if not content.strip():
        raise FeedError(url, "empty response, not a feed")
    visible = content.replace(b"\x00", b"")  # so UTF-16/32 cannot hide the declaration
    if _INTERNAL_SUBSET.search(visible) and _ENTITY_DECLARATION.search(visible):
        raise FeedError(url, "refusing a document that declares XML entities (DOCTYPE subset)")
    document = feedparser.parse(
        content,
        response_headers={"content-location": url, "content-type": "application/xml"},
        resolve_relative_uris=True,
        sanitize_html=False,  # we sanitise ourselves, after looking for origin links
    )
    if not document.get("version") and not document.get("entries"):
        raise FeedError(url, "not a feed (no RSS or Atom found)")
    problem = document.get("bozo_exception")
    if document.get("bozo") and not _harmless(problem) and not _usable_entries(document):
        raise FeedError(url, f"not well-formed XML: {problem}")
    return document


def _harmless(problem: object) -> bool:
    """Wrong charset labels, missing namespaces and the like: the data is still good."""
    return isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe)


def _usable_entries(document: Any) -> list[Any]:
    """Entries with something in them (a truncated document can end with an empty one)."""
    entries = document.get("entries", [])
    return [entry for entry in entries if any(_field(entry, key) for key in _ENTRY_SUBSTANCE)]


def _entry(entry: Any, feed_url: str) -> ParsedEntry:
    url = _absolute(feed_url, entry.get("link"))
    title = _title(entry)
    raw_summary = _summary_source(entry)
    raw_content = _content_source(entry)
    return ParsedEntry(
        guid=_guid(entry, url, title),
        url=url,
        title=title,
        author=_text(entry, "author") or None,
        published=_date(entry, "published"),
        updated=_date(entry, "updated"),
        summary_html=sanitize_article_html(raw_summary) if raw_summary else "",
        content_html=sanitize_article_html(raw_content) if raw_content else "",
        origin_urls=_origin_urls(entry, feed_url, url, (raw_content, raw_summary)),
        source_urls=_source_urls(entry, feed_url, url),
        comments_feed_url=_comments_feed_url(entry, feed_url),
        comment_count=_comment_count(entry),
    )


def _comment(entry: Any, feed_url: str) -> ParsedComment:
    url = _absolute(feed_url, entry.get("link"))
    title = _title(entry)
    html = _content_source(entry) or _summary_source(entry)
    author = _text(entry, "author") or title.removeprefix("By: ").strip()
    return ParsedComment(
        guid=_guid(entry, url, title),
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


def _title(entry: Any) -> str:
    title = _text(entry, "title")
    kind = entry.get("title_detail", {}).get("type", "text/plain")
    if kind in ("text/html", "application/xhtml+xml"):
        return plain_text(sanitize_article_html(title))
    return title


def _guid(entry: Any, url: str | None, title: str) -> str:
    explicit = _text(entry, "id")
    if explicit:
        return explicit
    if url:
        return url
    date = _text(entry, "published") or _text(entry, "updated")
    fallback = "" if (title or date) else _text(entry, "summary")
    digest = hashlib.sha256("\x00".join((title, date, fallback)).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


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


def _absolute(base_url: str, href: object) -> str | None:
    """An absolute http(s) URL, or None (javascript:, data: and the like are not links)."""
    if not isinstance(href, str) or not href.strip():
        return None
    absolute = urljoin(base_url, href.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _origin_urls(
    entry: Any, feed_url: str, entry_url: str | None, raw_html: Iterable[str]
) -> tuple[str, ...]:
    candidates = [
        link.get("href")
        for link in entry.get("links", [])
        if link.get("rel") in ("canonical", "via")
    ]
    for html in raw_html:
        candidates.extend(_origin_links_in_html(html))
    return _absolute_unique(candidates, feed_url, entry_url)


def _source_urls(entry: Any, feed_url: str, entry_url: str | None) -> tuple[str, ...]:
    """RSS <source url> and atom:source links: they name a feed or site, not an article."""
    source = entry.get("source") or {}
    candidates = [source.get("href")]
    candidates.extend(
        link.get("href")
        for link in source.get("links", [])
        if link.get("rel") in ("alternate", "self")
    )
    return _absolute_unique(candidates, feed_url, entry_url)


def _absolute_unique(
    candidates: Iterable[str | None], feed_url: str, entry_url: str | None
) -> tuple[str, ...]:
    found: list[str] = []
    for candidate in candidates:
        absolute = _absolute(feed_url, candidate)
        if absolute and absolute != entry_url and absolute not in found:
            found.append(absolute)
    return tuple(found)


def _origin_links_in_html(html: str) -> list[str]:
    """<link rel="canonical"> and the link of an "Originally published at ..." line."""
    if not html.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return []
    found = [
        link.get("href", "")
        for link in root.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    return found + _links_after_origin_phrase(root)


def _links_after_origin_phrase(root: Any) -> list[str]:
    """The href of an <a> that contains the phrase, or that follows it closely in the text."""
    found: list[str] = []
    taken = None  # the <a> just taken: its own text does not start a new search
    reach: int | None = None  # characters left before a pending phrase goes stale
    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            if element is taken:
                taken, reach = None, None
            if taken is None:
                reach = _advance(element.tail, reach)
            continue
        if taken is not None or not isinstance(element.tag, str):
            continue
        href = element.get("href") if element.tag == "a" else None
        if href and (reach is not None or _ORIGIN_PHRASE.search(element.text_content())):
            found.append(href)
            taken, reach = element, None
            continue
        reach = _advance(element.text, reach)
    return found


def _advance(text: str | None, reach: int | None) -> int | None:
    if not text:
        return reach
    matches = list(_ORIGIN_PHRASE.finditer(text))
    if matches:
        return _ORIGIN_PHRASE_REACH - len(text[matches[-1].end() :].strip())
    if reach is None:
        return None
    reach -= len(text.strip())
    return reach if reach >= 0 else None


def _comments_feed_url(entry: Any, feed_url: str) -> str | None:
    wfw = _absolute(feed_url, entry.get("wfw_commentrss"))
    if wfw:
        return wfw
    replies = [link for link in entry.get("links", []) if link.get("rel") == "replies"]
    typed = [link for link in replies if link.get("type") in COMMENT_FEED_TYPES]
    untyped = [link for link in replies if not link.get("type")]
    for link in typed + untyped:
        absolute = _absolute(feed_url, link.get("href"))
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
