"""Deterministic feeds of other sites for fetch and merge: K feeds of 20 entries, about 10% of
them copies of an entry of another feed — full copies that say "Originally published at <a>",
summary-only copies with the same title, and copies with rel=canonical.

Entry (feed, slot) comes from its own seeded Random, so any feed can be generated on its own,
for the HTTP server (as RSS 2.0 or Atom 1.0 documents) or for the archive's Python API. The
varied corpus (`varied_document`) serves the same entries as RSS, Atom, JSON Feed 1.1 and 1.0,
RSS in windows-1251 known only from the HTTP charset, and RSS with a DOCTYPE entity.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from . import words

PER_FEED = 20
COPY_SHARE = 0.1
COPY_KINDS = ("full-copy", "summary-copy", "canonical-copy")
FIRST_DAY = datetime(2024, 1, 1, tzinfo=UTC)
SUMMARY_WORDS = 45


@dataclass(frozen=True)
class Entry:
    guid: str
    url: str
    title: str
    author: str
    published: datetime
    summary_html: str
    content_html: str  # empty for a summary-only copy
    origin_url: str | None  # the article this entry says it copies
    kind: str  # "original" or one of COPY_KINDS


@dataclass(frozen=True)
class SourceFeed:
    index: int
    title: str
    site_url: str
    entries: tuple[Entry, ...]

    @property
    def is_atom(self) -> bool:
        return self.index % 2 == 1


def site_url(feed: int) -> str:
    return f"https://site{feed}.example/"


def entry_url(feed: int, slot: int) -> str:
    return f"{site_url(feed)}posts/{slot}/"


def original(seed: int, feed: int, slot: int) -> Entry:
    rng = random.Random(f"{seed}:entry:{feed}:{slot}")
    paragraphs = [words.paragraph(rng, words=rng.randint(40, 70)) for _ in range(rng.randint(3, 4))]
    summary = " ".join(paragraphs[0].split()[:SUMMARY_WORDS])
    return Entry(
        guid=entry_url(feed, slot),
        url=entry_url(feed, slot),
        title=words.title(rng),
        author=words.person(rng),
        published=FIRST_DAY + timedelta(seconds=rng.randrange(365 * 86400)),
        summary_html=escape(summary, quote=False),
        content_html="".join(f"<p>{escape(text, quote=False)}</p>" for text in paragraphs),
        origin_url=None,
        kind="original",
    )


def is_copy(seed: int, feed: int, slot: int, share: float = COPY_SHARE) -> bool:
    return random.Random(f"{seed}:copy:{feed}:{slot}").random() < share


def entry(seed: int, feed: int, slot: int, *, feeds: int) -> Entry:
    """The entry in slot `slot` of feed `feed` out of `feeds`: an original or a copy."""
    if feeds < 2 or not is_copy(seed, feed, slot):
        return original(seed, feed, slot)
    rng = random.Random(f"{seed}:source:{feed}:{slot}")
    while True:
        source_feed, source_slot = (feed + rng.randrange(1, feeds)) % feeds, rng.randrange(PER_FEED)
        if not is_copy(seed, source_feed, source_slot):
            break
    kind = COPY_KINDS[rng.randrange(len(COPY_KINDS))]
    source = original(seed, source_feed, source_slot)
    published = source.published + timedelta(hours=rng.randint(1, 48))
    return copy_of(source, kind, url=entry_url(feed, slot), published=published)


def copy_of(source: Entry, kind: str, *, url: str, published: datetime) -> Entry:
    """A cross-post of `source` at `url`, as other sites make them."""
    origin = f'<p>Originally published at <a href="{source.url}">{source.url}</a>.</p>'
    content = {
        "full-copy": source.content_html + origin,
        "summary-copy": "",
        "canonical-copy": source.content_html,
    }[kind]
    return Entry(
        guid=url,
        url=url,
        title=source.title,
        author=source.author,
        published=published,
        summary_html=source.summary_html,
        content_html=content,
        origin_url=None if kind == "summary-copy" else source.url,
        kind=kind,
    )


def source_feed(seed: int, feed: int, *, feeds: int) -> SourceFeed:
    entries = tuple(entry(seed, feed, slot, feeds=feeds) for slot in range(PER_FEED))
    return SourceFeed(feed, f"Site number {feed}", site_url(feed), entries)


# -- documents ----------------------------------------------------------------------------------


def document(feed: SourceFeed, self_url: str) -> bytes:
    return (atom_document if feed.is_atom else rss_document)(feed, self_url).encode("utf-8")


def rss_document(feed: SourceFeed, self_url: str) -> str:
    items = "".join(_rss_item(entry) for entry in feed.entries)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>{escape(feed.title)}</title><link>{feed.site_url}</link>"
        f'<atom:link rel="self" href="{escape(self_url)}"/>'
        f"<description>Posts of {escape(feed.title)}</description>{items}</channel></rss>\n"
    )


def _rss_item(entry: Entry) -> str:
    content = entry.content_html
    if entry.kind == "canonical-copy":  # RSS has no rel; the HTML says it
        content = f'<link rel="canonical" href="{entry.origin_url}">{content}'
    encoded = f"<content:encoded>{escape(content)}</content:encoded>" if content else ""
    return (
        f"<item><title>{escape(entry.title)}</title><link>{entry.url}</link>"
        f'<guid isPermaLink="true">{entry.guid}</guid>'
        f"<pubDate>{format_datetime(entry.published)}</pubDate>"
        f"<dc:creator>{escape(entry.author)}</dc:creator>"
        f"<description>{escape(entry.summary_html)}</description>{encoded}</item>"
    )


def atom_document(feed: SourceFeed, self_url: str) -> str:
    updated = max(entry.published for entry in feed.entries).isoformat()
    entries = "".join(_atom_entry(entry) for entry in feed.entries)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(feed.title)}</title><id>{feed.site_url}</id><updated>{updated}</updated>"
        f'<link rel="alternate" href="{feed.site_url}"/>'
        f'<link rel="self" href="{escape(self_url)}"/>{entries}</feed>\n'
    )


def _atom_entry(entry: Entry) -> str:
    canonical = (
        f'<link rel="canonical" href="{entry.origin_url}"/>'
        if entry.kind == "canonical-copy"
        else ""
    )
    content = (
        f'<content type="html">{escape(entry.content_html)}</content>' if entry.content_html else ""
    )
    return (
        f"<entry><title>{escape(entry.title)}</title><id>{entry.guid}</id>"
        f'<link rel="alternate" href="{entry.url}"/>{canonical}'
        f"<published>{entry.published.isoformat()}</published>"
        f"<updated>{entry.published.isoformat()}</updated>"
        f"<author><name>{escape(entry.author)}</name></author>"
        f'<summary type="html">{escape(entry.summary_html)}</summary>{content}</entry>'
    )


# -- the varied corpus: the same entries in the formats and encodings the feed web uses -------

# (path suffix, Content-Type) of each style, by feed index modulo their number; the server
# serves a path by its suffix (feeds.CONTENT_TYPES).
VARIED_STYLES = (
    (".rss", "application/rss+xml"),
    (".atom", "application/atom+xml"),
    (".json", "application/feed+json"),  # JSON Feed 1.1
    (".json10", "application/json"),  # JSON Feed 1.0, as many servers label it
    (".cp1251", "application/rss+xml; charset=windows-1251"),  # no XML declaration
    (".entities", "application/rss+xml"),  # RSS whose DOCTYPE declares an entity
)
CYRILLIC_PREFIX = "Цитата: "


def varied_style(feed: SourceFeed) -> tuple[str, str]:
    return VARIED_STYLES[feed.index % len(VARIED_STYLES)]


def varied_document(feed: SourceFeed, self_url: str) -> bytes:
    """The feed in its varied style (see VARIED_STYLES): what a real subscription list holds."""
    suffix, _content_type = varied_style(feed)
    if suffix == ".rss":
        return rss_document(feed, self_url).encode("utf-8")
    if suffix == ".atom":
        return atom_document(feed, self_url).encode("utf-8")
    if suffix in (".json", ".json10"):
        return json_document(feed, self_url, version="1.1" if suffix == ".json" else "1")
    if suffix == ".cp1251":
        return windows_1251_document(feed, self_url)
    return entity_document(feed, self_url)


def json_document(feed: SourceFeed, self_url: str, *, version: str) -> bytes:
    author_key = "authors" if version == "1.1" else "author"

    def author(name: str) -> object:
        return [{"name": name}] if version == "1.1" else {"name": name}

    items = []
    for entry in feed.entries:
        item: dict[str, object] = {
            "id": entry.guid,
            "url": entry.url,
            "title": entry.title,
            "summary": entry.summary_html,  # plain words: the corpus's summaries are text
            "date_published": entry.published.isoformat(),
            author_key: author(entry.author),
        }
        if entry.content_html:
            item["content_html"] = (
                f'<link rel="canonical" href="{entry.origin_url}">{entry.content_html}'
                if entry.kind == "canonical-copy"
                else entry.content_html
            )
        else:
            item["content_text"] = entry.summary_html
        items.append(item)
    document = {
        "version": f"https://jsonfeed.org/version/{version}",
        "title": feed.title,
        "home_page_url": feed.site_url,
        "feed_url": self_url,
        "_bench": {"about": "extensions are ignored", "style": version},
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def windows_1251_document(feed: SourceFeed, self_url: str) -> bytes:
    """RSS in windows-1251 with no XML declaration: only the HTTP charset says how to read it."""
    renamed = replace(feed, title=CYRILLIC_PREFIX + feed.title)
    text = rss_document(renamed, self_url).split("\n", 1)[1]  # without the declaration
    return text.encode("windows-1251", errors="xmlcharrefreplace")


def entity_document(feed: SourceFeed, self_url: str) -> bytes:
    """RSS that names its site through an entity declared in its DOCTYPE."""
    text = rss_document(feed, self_url).replace(feed.site_url, "&site;")
    declaration, body = text.split("\n", 1)
    doctype = f'<!DOCTYPE rss [\n  <!ENTITY site "{feed.site_url}">\n]>\n'
    return (declaration + "\n" + doctype + body).encode("utf-8")
