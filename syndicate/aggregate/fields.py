"""What every feed format's reader does to a stranger's fields (parse.py for RSS and Atom,
jsonfeed.py for JSON Feed): plain text for names and titles, http(s) links made absolute,
the origin links an article's HTML names, content-derived ids, media files bounded."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from syndicate.aggregate.limits import (
    MAX_DURATION_SECONDS,
    MAX_ENCLOSURE_BYTES,
    MAX_ENCLOSURES_PER_ENTRY,
)
from syndicate.clean import plain_text, sanitize_untrusted_html, xml_safe
from syndicate.model import Enclosure, FeedComment, FeedEntry
from syndicate.posts.base import parse_duration
from syndicate.urls import without_userinfo

# One entry, and one comment, as parsed: the records the archive stores (syndicate.model).
ParsedEntry = FeedEntry
ParsedComment = FeedComment

_TAG_START = re.compile(r"<[A-Za-z!/?]")
_ORIGIN_PHRASE = re.compile(r"originally\s+published\s+(?:at|on|in)\b", re.IGNORECASE)
_ORIGIN_PHRASE_REACH = 200  # characters of text allowed between the phrase and its link
# RFC 6838's type/subtype names (parameters are cut off before this is matched).
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_LENGTH = re.compile(r"\d{1,20}")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_LONGEST_DURATION_TEXT = 32  # "123:45:67.890" and spaces: longer is no duration
# feedparser gives an Atom link without a type this one: on an enclosure it says nothing.
_DEFAULT_LINK_TYPE = "text/html"


@dataclass(frozen=True)
class ParsedFeed:
    """A feed as read: every text field plain text, every URL absolute http(s) or None."""

    title: str
    site_url: str | None
    entries: tuple[ParsedEntry, ...]
    subtitle: str | None = None
    author: str | None = None
    generator: str | None = None
    image_url: str | None = None


def untrusted_text(value: object, *, html: bool = False) -> str:
    """A stranger's title, name or description as plain text, on one line: markup (`html`,
    or what looks like tags) reduced to its text, scripts and styles dropped whole, control
    characters dropped, whitespace folded. Not a string: empty."""
    if not isinstance(value, str):
        return ""
    text = xml_safe(value)
    if html or _TAG_START.search(text):
        text = plain_text(sanitize_untrusted_html(text))
    return " ".join(text.split())


def optional_text(value: object, *, html: bool = False) -> str | None:
    return untrusted_text(value, html=html) or None


def absolute_url(base_url: str, href: object) -> str | None:
    """An absolute http(s) URL, or None (javascript:, data: and the like are not links)."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        absolute = urljoin(base_url, href.strip())
        scheme = urlsplit(absolute).scheme
    except ValueError:  # an unparseable authority (`http://[x/`)
        return None
    return absolute if scheme in ("http", "https") else None


def absolute_unique(
    candidates: Iterable[object], base_url: str, entry_url: str | None
) -> tuple[str, ...]:
    """The candidates as absolute http(s) URLs, in order, once each, but for the entry's own."""
    found: list[str] = []
    for candidate in candidates:
        absolute = absolute_url(base_url, candidate)
        if absolute and absolute != entry_url and absolute not in found:
            found.append(absolute)
    return tuple(found)


def content_guid(title: str, date: str, fallback: str) -> str:
    """An id for an entry that gives none (no id, no link): a hash of what it says."""
    digest = hashlib.sha256("\x00".join((title, date, fallback)).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


def origin_links_in_html(html: str) -> list[str]:
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


def _links_after_origin_phrase(root: lxml.html.HtmlElement) -> list[str]:
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


# -- media files: enclosures, attachments -------------------------------------------------------


def media_url(base_url: str, href: object) -> str | None:
    """A media file's URL: absolute http(s), spaces (which hand-made podcast feeds put in file
    names) escaped, no control characters, and no user name or password (one a relative URL
    took from a feed behind a password: the archive feeds are public)."""
    if isinstance(href, str):
        href = href.strip().replace(" ", "%20")
    url = absolute_url(base_url, href)
    if url is None or _CONTROL_CHARACTER.search(url):
        return None
    return without_userinfo(url) if "@" in url else url


def media_type(value: object) -> str:
    """A MIME type, `type/subtype` in lower case without its parameters; "" for anything that
    is not one (and for text/html, what feedparser says of an Atom link with no type)."""
    if not isinstance(value, str):
        return ""
    kind = value.split(";", 1)[0].strip().lower()
    if kind == _DEFAULT_LINK_TYPE or not _MEDIA_TYPE.fullmatch(kind):
        return ""
    return kind


def media_length(value: object) -> int:
    """Bytes, from digits (XML) or a whole number (JSON); 0, unknown, for anything else: a
    negative, fractional or unbelievable number, words, an empty attribute."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _LENGTH.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        return 0
    return value if 0 <= value <= MAX_ENCLOSURE_BYTES else 0


def media_duration(value: object) -> int | None:
    """Seconds, from itunes:duration's forms (H:MM:SS, M:SS or seconds, a fraction rounded)
    or a number; None for anything else, and for more than a year."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and len(value) > _LONGEST_DURATION_TEXT:
        return None
    try:
        seconds = parse_duration(value)
    except (ValueError, OverflowError):
        return None
    return seconds if seconds <= MAX_DURATION_SECONDS else None


def bounded_enclosures(found: Iterable[Enclosure | None]) -> tuple[Enclosure, ...]:
    """The media files of one entry: each URL once (the first wins), at most
    MAX_ENCLOSURES_PER_ENTRY of them; `found` is read no further than that."""
    kept: dict[str, Enclosure] = {}
    for enclosure in found:
        if enclosure is not None and enclosure.url not in kept:
            kept[enclosure.url] = enclosure
            if len(kept) == MAX_ENCLOSURES_PER_ENTRY:
                break
    return tuple(kept.values())
