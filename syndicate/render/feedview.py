"""A feed as an HTML page, for a person who opens the feed in a browser.

Browsers show a feed served as application/rss+xml or application/atom+xml as raw text, whatever
stylesheet it names, so `serve` answers a browser's request for a feed with this page (feed
readers still get the feed): the site's title, how to subscribe, and each entry's title as a
link with its date in words. It is read from the feed file's own bytes, so it shows exactly what
readers get. Every text and attribute taken from the feed is data: lxml escapes it, and only
http(s) addresses become links."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from lxml.builder import ElementMaker

from syndicate.clean import plain_text
from syndicate.render.html import human_date

ATOM = "{http://www.w3.org/2005/Atom}"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SUMMARY_CHARACTERS = 300
UNTITLED = "(untitled)"
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
PAGE_STYLE = (
    "body{max-width:42em;margin:2em auto;padding:0 1em;font:1.05em/1.55 Georgia,serif;color:#222}"
    "a{color:#0645ad}.about{background:#fff8dc;border:1px solid #e6d690;padding:.2em 1em}"
    "code{background:#f4f4f4;padding:.1em .3em;word-break:break-all}"
    "h2{font-size:1.3em;margin:1.4em 0 .1em}.meta{color:#555;font-size:.9em;margin:0}"
)
E = ElementMaker(makeelement=lxml.html.html_parser.makeelement)


@dataclass(frozen=True)
class EntryView:
    title: str
    url: str | None  # None when the entry has no http(s) link
    published: datetime | None
    author: str
    summary: str  # plain text


@dataclass(frozen=True)
class FeedView:
    kind: str  # "RSS" or "Atom"
    title: str
    description: str
    home_url: str | None
    feed_url: str | None  # the feed's self link: the address to subscribe to
    language: str
    entries: tuple[EntryView, ...]


def feed_page(document: bytes) -> bytes | None:
    """The HTML page of an RSS 2.0 or Atom document; None for anything else."""
    view = read_feed(document)
    return None if view is None else render_page(view)


def read_feed(document: bytes) -> FeedView | None:
    # A parser per call: lxml parsers are not to be shared between serve's threads.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError:
        return None
    if root.tag == "rss":
        channel = root.find("channel")
        return None if channel is None else _rss_view(channel)
    if root.tag == f"{ATOM}feed":
        return _atom_view(root)
    return None


def _rss_view(channel: etree._Element) -> FeedView:
    self_link = channel.find(f"{ATOM}link[@rel='self']")
    return FeedView(
        kind="RSS",
        title=_folded(channel.findtext("title")),
        description=_folded(channel.findtext("description")),
        home_url=web_url(channel.findtext("link")),
        feed_url=web_url(None if self_link is None else self_link.get("href")),
        language=_language(channel.findtext("language")),
        entries=tuple(_rss_entry(item) for item in channel.iterfind("item")),
    )


def _rss_entry(item: etree._Element) -> EntryView:
    return EntryView(
        title=_folded(item.findtext("title")),
        url=web_url(item.findtext("link")),
        published=_rfc822_date(item.findtext("pubDate")),
        author=_folded(item.findtext(DC_CREATOR) or item.findtext("author")),
        summary=excerpt(plain_text(item.findtext("description") or "")),  # HTML, by custom
    )


def _atom_view(feed: etree._Element) -> FeedView:
    links = feed.findall(f"{ATOM}link")
    return FeedView(
        kind="Atom",
        title=_atom_text(feed.find(f"{ATOM}title")),
        description=_atom_text(feed.find(f"{ATOM}subtitle")),
        home_url=_atom_link(links, "alternate"),
        feed_url=_atom_link(links, "self"),
        language=_language(feed.get(XML_LANG)),
        entries=tuple(_atom_entry(entry) for entry in feed.iterfind(f"{ATOM}entry")),
    )


def _atom_entry(entry: etree._Element) -> EntryView:
    published = entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated")
    return EntryView(
        title=_atom_text(entry.find(f"{ATOM}title")),
        url=_atom_link(entry.findall(f"{ATOM}link"), "alternate"),
        published=_iso_date(published),
        author=_folded(entry.findtext(f"{ATOM}author/{ATOM}name")),
        summary=excerpt(_atom_text(entry.find(f"{ATOM}summary"))),
    )


def _atom_text(element: etree._Element | None) -> str:
    """An Atom text construct as plain text, whichever of its three types (RFC 4287 §3.1)."""
    if element is None:
        return ""
    kind = element.get("type", "text")
    if kind == "html":
        return plain_text(element.text or "")
    if kind == "xhtml":
        return _folded("".join(element.itertext()))
    return _folded(element.text)


def _atom_link(links: Iterable[etree._Element], rel: str) -> str | None:
    for link in links:
        if (link.get("rel") or "alternate") == rel:
            return web_url(link.get("href"))
    return None


def web_url(value: str | None) -> str | None:
    """An absolute http(s) URL, or None: what the page may link to (never javascript: etc.)."""
    url = (value or "").strip()
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def excerpt(text: str) -> str:
    """At most SUMMARY_CHARACTERS, cut at a word boundary."""
    if len(text) <= SUMMARY_CHARACTERS:
        return text
    cut = text[:SUMMARY_CHARACTERS].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def _folded(text: str | None) -> str:
    return " ".join((text or "").split())


def _language(value: str | None) -> str:
    value = (value or "").strip()
    return value if _LANGUAGE_TAG.fullmatch(value) else "en"


def _rfc822_date(value: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(value.strip()) if value else None
    except (TypeError, ValueError):
        return None


def _iso_date(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip()) if value else None
    except ValueError:
        return None


# -- the page ------------------------------------------------------------------------------------


def render_page(view: FeedView) -> bytes:
    title = view.title or UNTITLED
    head = E.head(
        E.meta(charset="utf-8"),
        E.meta(name="viewport", content="width=device-width, initial-scale=1"),
        E.title(f"{title} (web feed)"),
        *_autodiscovery(view, title),
        E.style(PAGE_STYLE),
    )
    entries = [_entry_article(entry) for entry in view.entries]
    body = E.body(
        _subscribe_box(view, title),
        _site_heading(view, title),
        *([E.p(view.description, dir="auto")] if view.description not in ("", title) else []),
        *(entries or [E.p("Nothing here yet.", {"class": "meta"})]),
    )
    page = E.html(head, body, lang=view.language)
    return bytes(lxml.html.tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8")) + b"\n"


def _autodiscovery(view: FeedView, title: str) -> list[etree._Element]:
    """So that a feed reader that gets this page after all still finds the feed in it."""
    if not view.feed_url:
        return []
    media_type = "application/rss+xml" if view.kind == "RSS" else "application/atom+xml"
    attributes = {"rel": "alternate", "type": media_type, "title": title, "href": view.feed_url}
    return [E.link(attributes)]


def _subscribe_box(view: FeedView, title: str) -> etree._Element:
    where = "this address" if view.feed_url else "this page's address"
    about = E.p(
        E.strong("This is a web feed"),
        f" ({view.kind}), for feed readers rather than browsers: a feed reader shows you each "
        "new post, so you need not come back to look. To follow ",
        E.cite(title, dir="auto"),
        f", copy {where} into your feed reader{':' if view.feed_url else '.'}",
    )
    address = [E.p(E.code(view.feed_url))] if view.feed_url else []
    return E.section(about, *address, {"class": "about", "id": "subscribe"})


def _site_heading(view: FeedView, title: str) -> etree._Element:
    if view.home_url:
        return E.h1(E.a(title, href=view.home_url), dir="auto")
    return E.h1(title, dir="auto")


def _entry_article(entry: EntryView) -> etree._Element:
    title = entry.title or UNTITLED
    heading = E.h2(E.a(title, href=entry.url) if entry.url else title, dir="auto")
    meta = E.p({"class": "meta"})
    if entry.published:
        meta.append(E.time(human_date(entry.published), datetime=entry.published.isoformat()))
    if entry.author and entry.author not in title:  # comments are titled "By: <author>"
        meta.append(E.span(f"{' · ' if entry.published else ''}by {entry.author}", dir="auto"))
    summary = [E.p(entry.summary, dir="auto")] if entry.summary else []
    return E.article(heading, meta, *summary)
