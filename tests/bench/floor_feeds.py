"""The library floor's feeds: feedgen for every RSS and Atom document a build writes (one
FeedGenerator serialised twice, as syndicate does), json for the JSON Feeds. The namespaces
feedgen lacks (wfw, slash, thr, fh, and RSS's atom:link relations) come from small extensions
written here; dc:creator from feedgen's own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

import lxml.etree  # before feedgen.util, which uses lxml.etree without importing it
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.dc import DcEntryExtension, DcExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from .floor_posts import BASE_URL, FloorComment, FloorPost

WFW, SLASH = "http://wellformedweb.org/CommentAPI/", "http://purl.org/rss/1.0/modules/slash/"
THR, FH = "http://purl.org/syndication/thread/1.0", "http://purl.org/syndication/history/1.0"
SY, ATOM = "http://purl.org/rss/1.0/modules/syndication/", "http://www.w3.org/2005/Atom"
TITLE = "syndicate"
RSS_TYPE, ATOM_TYPE, HTML_TYPE = "application/rss+xml", "application/atom+xml", "text/html"
STYLESHEET = 'type="text/css" href="/feed.css"'


class ThreadExtension(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"wfw": WFW, "slash": SLASH, "thr": THR}


class ThreadEntryExtension(BaseEntryExtension):
    """A post's comment feed and count (wfw, slash, RFC 4685 replies); a comment's parent."""

    def __init__(self) -> None:
        self.replies: tuple[str, str, int, datetime | None] | None = None  # rss, atom, count
        self.parent: tuple[str, str] | None = None  # ref, href

    def extend_rss(self, item: Any) -> Any:
        if self.replies:
            xml_elem(f"{{{WFW}}}commentRss", item).text = self.replies[0]
            xml_elem(f"{{{SLASH}}}comments", item).text = str(self.replies[2])
        self._in_reply_to(item)
        return item

    def extend_atom(self, entry: Any) -> Any:
        if self.replies:
            _, atom_url, count, updated = self.replies
            link = xml_elem("link", entry, rel="replies", type=ATOM_TYPE, href=atom_url)
            link.attrib[f"{{{THR}}}count"] = str(count)
            if updated is not None:
                link.attrib[f"{{{THR}}}updated"] = updated.isoformat()
        self._in_reply_to(entry)
        return entry

    def _in_reply_to(self, parent: Any) -> None:
        if self.parent:
            ref, href = self.parent
            xml_elem(f"{{{THR}}}in-reply-to", parent, ref=ref, href=href, type=HTML_TYPE)


class ChannelExtension(BaseExtension):
    """sy:updatePeriod/Frequency, RSS's atom:link relations, RFC 5005's fh:archive."""

    def __init__(self) -> None:
        self.rss_links: Sequence[tuple[str, str]] = ()
        self.archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"sy": SY, **({"fh": FH} if self.archive else {})}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        xml_elem(f"{{{SY}}}updatePeriod", channel).text = "hourly"
        xml_elem(f"{{{SY}}}updateFrequency", channel).text = "1"
        for rel, href in self.rss_links:
            xml_elem(f"{{{ATOM}}}link", channel, rel=rel, href=href)
        if self.archive:
            xml_elem(f"{{{FH}}}archive", channel)
        return rss_feed

    def extend_atom(self, atom_feed: Any) -> Any:
        if self.archive:
            xml_elem(f"{{{FH}}}archive", atom_feed)
        return atom_feed


@dataclass(frozen=True)
class FeedInfo:
    """A feed's self-description; `links`: (rel, RSS href, Atom href) besides self."""

    title: str
    description: str
    rss_url: str
    atom_url: str
    updated: datetime
    home_url: str = BASE_URL
    links: tuple[tuple[str, str, str], ...] = ()
    archive: bool = False


def new_feed(info: FeedInfo) -> FeedGenerator:
    feed = FeedGenerator()
    feed.register_extension("dc", DcExtension, DcEntryExtension)
    feed.register_extension("thread", ThreadExtension, ThreadEntryExtension, atom=True)
    feed.register_extension("channel", ChannelExtension, None, atom=True)
    feed.id(info.atom_url)
    feed.title(info.title)
    feed.description(info.description)
    feed.language("en")
    feed.author(name=TITLE)
    feed.updated(info.updated)
    feed.generator(TITLE, uri="https://pypi.org/project/syndicate/")
    feed.ttl(60)
    feed.channel.archive = info.archive
    return feed


def serialise(feed: FeedGenerator, info: FeedInfo) -> tuple[bytes, bytes]:
    """The RSS and the Atom document of one generator; only their own links differ."""
    feed.link(href=info.rss_url, rel="self", type=RSS_TYPE, replace=True)
    feed.link(href=info.home_url, rel="alternate", type=HTML_TYPE)
    feed.channel.rss_links = [(rel, rss) for rel, rss, _ in info.links]
    rss = document_bytes(feed._create_rss()[1])
    feed.link(href=info.atom_url, rel="self", type=ATOM_TYPE, replace=True)
    for rel, _, atom in info.links:
        feed.link(href=atom, rel=rel)
    feed.link(href=info.home_url, rel="alternate", type=HTML_TYPE)
    return rss, document_bytes(feed._create_atom()[1])


def document_bytes(document: lxml.etree._ElementTree) -> bytes:
    """feedgen's tree (from its private `_create_*`, as syndicate takes it) with the feeds'
    stylesheet as a processing instruction before the root, serialised."""
    document.getroot().addprevious(lxml.etree.ProcessingInstruction("xml-stylesheet", STYLESHEET))
    return lxml.etree.tostring(document, pretty_print=True, encoding="UTF-8", xml_declaration=True)


def post_feed(
    info: FeedInfo, posts: Sequence[FloorPost], *, copies: bool = False
) -> tuple[bytes, bytes]:
    """Posts whole; `copies`: the archive feed's list of where each was published."""
    feed = new_feed(info)
    for post in posts:
        entry = feed.add_entry(order="append")
        entry.id(post.id)
        entry.title(post.title)
        entry.link(href=post.url, rel="alternate", type=HTML_TYPE)
        entry.published(post.published)
        entry.updated(post.published)
        entry.author(name=TITLE)
        entry.summary(escape(post.summary, quote=False), type="html")
        entry.content(post.feed_html + (published_at(post) if copies else ""), type="html")
        if copies:
            continue
        entry.dc.dc_creator(TITLE)
        for tag in post.tags:
            entry.category(term=tag)
        entry.comments(post.url + "#comments")
        latest = max((each.published for each in post.comments), default=None)
        entry.thread.replies = (
            comment_url(post, ".xml"),
            comment_url(post, ".atom"),
            len(post.comments),
            latest,
        )
    return serialise(feed, info)


def comment_feed(
    info: FeedInfo, items: Sequence[tuple[FloorPost, FloorComment]], *, name_the_post: bool
) -> tuple[bytes, bytes]:
    feed = new_feed(info)
    for post, each in items:
        entry = feed.add_entry(order="append")
        entry.id(f"{post.id}#comment-{each.id}")
        by = f"Comment on {post.title} by {each.author}" if name_the_post else f"By: {each.author}"
        entry.title(by)
        entry.link(href=f"{post.url}#comment-{each.id}", rel="alternate", type=HTML_TYPE)
        entry.updated(each.published)
        entry.published(each.published)
        entry.author(name=each.author)
        entry.dc.dc_creator(each.author)
        entry.summary(escape(each.text, quote=False), type="html")
        entry.content(each.html, type="html")
        if each.in_reply_to:
            parent = f"#comment-{each.in_reply_to}"
            entry.thread.parent = (post.id + parent, post.url + parent)
        else:
            entry.thread.parent = (post.id, post.url)
    return serialise(feed, info)


def comment_url(post: FloorPost, suffix: str) -> str:
    return f"{BASE_URL}posts/{post.slug}/comments{suffix}"


def published_at(post: FloorPost) -> str:
    return f'<p>Published at:</p><ul><li><a href="{post.url}">{post.url}</a></li></ul>'


def json_feed(info: FeedInfo, json_url: str, posts: Sequence[FloorPost]) -> bytes:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": BASE_URL,
        "feed_url": json_url,
        "description": info.description,
        "language": "en",
        "authors": [{"name": TITLE}],
        "items": [json_item(post) for post in posts],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def json_item(post: FloorPost) -> dict[str, Any]:
    return {
        "id": post.id,
        "url": post.url,
        "title": post.title,
        "content_html": post.feed_html,
        "summary": post.summary,
        "date_published": post.published.isoformat(),
        "authors": [{"name": TITLE}],
        "tags": list(post.tags),
        "_syndicate": {
            "comment_count": len(post.comments),
            "comments_rss": comment_url(post, ".xml"),
            "comments_atom": comment_url(post, ".atom"),
        },
    }
