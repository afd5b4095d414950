"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/); comment feeds named in `_syndicate`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from syndicate.clean import author_feed_html
from syndicate.layout import Layout
from syndicate.model import Post
from syndicate.render.feeds import FeedMeta

VERSION_URL = "https://jsonfeed.org/version/1.1"


def render_json_feed(
    meta: FeedMeta, json_url: str, posts: Sequence[Post], layout: Layout, *, full_content: bool
) -> bytes:
    document: dict[str, Any] = {
        "version": VERSION_URL,
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": json_url,
        "description": meta.description or meta.title,
        "language": meta.language,
        "authors": [{"name": meta.author}],
        **hubs(meta),
        "items": [_item(post, layout, meta, full_content) for post in posts],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def hubs(meta: FeedMeta) -> dict[str, Any]:
    """JSON Feed's `hubs`: the WebSub hub that every feed of the site names."""
    found = [
        {"type": "WebSub", "url": link.rss_url} for link in meta.extra_links if link.rel == "hub"
    ]
    return {"hubs": found} if found else {}


def _item(post: Post, layout: Layout, meta: FeedMeta, full_content: bool) -> dict[str, Any]:
    page_url = layout.url(layout.post_page(post))
    item: dict[str, Any] = {
        "id": layout.post_id(post),
        "url": page_url,
        "title": post.title,
    }
    if full_content and post.content_html:
        item["content_html"] = author_feed_html(post.content_html, page_url, meta.embed_hosts)
    else:
        item["content_text"] = post.summary or post.title
    if post.summary:
        item["summary"] = post.summary
    item["date_published"] = _date(post.published)
    if post.updated:
        item["date_modified"] = _date(post.updated)
    item["authors"] = [{"name": post.author or meta.author}]
    if post.tags:
        item["tags"] = list(post.tags)
    item["_syndicate"] = {
        "comment_count": post.comment_count,
        "comments_rss": layout.url(layout.post_comments_rss(post)),
        "comments_atom": layout.url(layout.post_comments_atom(post)),
    }
    return item


def _date(moment: datetime) -> str:
    return moment.isoformat()
