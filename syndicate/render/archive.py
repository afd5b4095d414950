"""The archive as feeds (archive.xml, archive.atom, archive.json): one entry per article,
naming every copy of it; the canonical copy (our own post when it is one) gives the text."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from feedgen.entry import FeedEntry

from syndicate.clean import author_feed_html, feed_ready_html
from syndicate.model import Article
from syndicate.render.feeds import HTML_TYPE, FeedMeta, RenderedFeed, new_generator, serialise
from syndicate.render.jsonfeed import VERSION_URL, hubs


def render_archive_feed(
    meta: FeedMeta, articles: Sequence[Article], texts: Mapping[int, tuple[str, str]]
) -> RenderedFeed:
    feed = new_generator(meta)
    for article in articles:
        _add_article(feed.add_entry(order="append"), article, texts, meta)
    return serialise(feed, meta)


def render_archive_json(
    meta: FeedMeta, json_url: str, articles: Sequence[Article], texts: Mapping[int, tuple[str, str]]
) -> bytes:
    document = {
        "version": VERSION_URL,
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": json_url,
        "description": meta.description,
        "language": meta.language,
        "authors": [{"name": meta.author}],
        **hubs(meta),
        "items": [_json_item(article, texts, meta.embed_hosts) for article in articles],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def article_id(article: Article) -> str:
    """Our post's id when the article is ours; else a name-based UUID of its canonical copy."""
    canonical = article.canonical
    if canonical.own:
        return canonical.guid
    name = f"{canonical.feed_url}\n{canonical.guid}"
    return uuid.uuid5(uuid.NAMESPACE_URL, name).urn


def article_dates(article: Article) -> tuple[datetime | None, datetime | None]:
    """(published, updated): the canonical copy's date, and the latest date of any copy."""
    dates = [copy.published for copy in article.copies if copy.published]
    return article.published, max(dates, default=None)


def article_html(
    article: Article, summary: str, content: str, embed_hosts: tuple[str, ...] = ()
) -> str:
    """The canonical copy's text, made feed-ready against its own URL, then the list of copies.
    Our own post keeps what its author may put in it (media, embeds); another site's copy gets
    the allow-list for strangers' articles."""
    canonical = article.canonical
    base = canonical.url or canonical.feed_url
    if canonical.own:
        return author_feed_html(content or summary, base, embed_hosts) + copies_html(article)
    return feed_ready_html(content or summary, base) + copies_html(article)


def copies_html(article: Article) -> str:
    items = "".join(
        f'<li><a href="{escape(copy.url or copy.feed_url)}">'
        f"{escape(copy.feed_title or copy.url or copy.feed_url, quote=False)}</a></li>"
        for copy in article.copies
    )
    return f"<p>Published at:</p><ul>{items}</ul>"


def _add_article(
    entry: FeedEntry, article: Article, texts: Mapping[int, tuple[str, str]], meta: FeedMeta
) -> None:
    canonical = article.canonical
    summary, content = texts.get(canonical.id, ("", ""))
    published, updated = article_dates(article)
    entry.id(article_id(article))
    entry.title(article.title or canonical.url or "untitled")
    if canonical.url:
        entry.link(href=canonical.url, rel="alternate", type=HTML_TYPE)
    for copy in article.copies[1:]:
        if copy.url:
            entry.links.add(copy.url, rel="related", media_type=HTML_TYPE, title=copy.feed_title)
    entry.updated(updated or published or meta.updated)
    if published:
        entry.published(published)
    entry.author(name=meta.author if canonical.own else (canonical.feed_title or meta.author))
    if summary:
        entry.summary(summary, type="html")
    entry.content(article_html(article, summary, content, meta.embed_hosts), type="html")


def _json_item(
    article: Article, texts: Mapping[int, tuple[str, str]], embed_hosts: tuple[str, ...]
) -> dict[str, Any]:
    canonical = article.canonical
    summary, content = texts.get(canonical.id, ("", ""))
    published, updated = article_dates(article)
    item: dict[str, Any] = {"id": article_id(article), "title": article.title}
    if canonical.url:
        item["url"] = canonical.url
    item["content_html"] = article_html(article, summary, content, embed_hosts)
    if published:
        item["date_published"] = published.isoformat()
    if updated and updated != published:
        item["date_modified"] = updated.isoformat()
    item["_syndicate"] = {
        "copies": [
            {key: shown[key] for key in ("url", "feed", "title", "published")}
            for shown in (copy.to_json() for copy in article.copies)
        ],
        "comment_count": len(article.comments),
    }
    return item
