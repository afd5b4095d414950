"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/); comment feeds named in `_syndicate`,
a post's enclosures as `attachments`, a podcast's channel and episodes in `_podcast`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from syndicate.clean import author_feed_html
from syndicate.layout import Layout
from syndicate.model import Post
from syndicate.render.ext import podcast_guid
from syndicate.render.feeds import FeedMeta, episode_duration, podcast_feed_url, post_media_url

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
        **show_fields(meta),
        "items": [_item(post, layout, meta, full_content) for post in posts],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def hubs(meta: FeedMeta) -> dict[str, Any]:
    """JSON Feed's `hubs`: the WebSub hub that every feed of the site names."""
    found = [
        {"type": "WebSub", "url": link.rss_url} for link in meta.extra_links if link.rel == "hub"
    ]
    return {"hubs": found} if found else {}


def show_fields(meta: FeedMeta) -> dict[str, Any]:
    """A podcast's cover as the feed's `icon`, and its channel as `_podcast` (JSON Feed has no
    podcast fields of its own; extensions are named with a leading underscore)."""
    show = meta.show
    if show is None:
        return {}
    channel: dict[str, Any] = {
        "guid": podcast_guid(podcast_feed_url(meta)),
        "author": show.author or meta.author,
    }
    if show.email:
        channel["owner"] = {"name": show.owner or show.author or meta.author, "email": show.email}
    if show.categories:
        channel["categories"] = list(show.categories)
    channel |= {"explicit": show.explicit, "type": show.show_type}
    return ({"icon": show.image} if show.image else {}) | {"_podcast": channel}


def attachments(post: Post, layout: Layout) -> list[dict[str, Any]]:
    """JSON Feed's attachments: the post's enclosures, each with what is known of it."""
    found = []
    for enclosure in post.enclosures:
        attachment: dict[str, Any] = {
            "url": post_media_url(layout, post, enclosure.url),
            "mime_type": enclosure.media_type,
        }
        if enclosure.title:
            attachment["title"] = enclosure.title
        if enclosure.length:
            attachment["size_in_bytes"] = enclosure.length
        first = enclosure is post.enclosures[0]
        duration = episode_duration(post) if first else enclosure.duration
        if duration is not None:
            attachment["duration_in_seconds"] = duration
        found.append(attachment)
    return found


def episode_fields(post: Post) -> dict[str, Any]:
    """An episode's numbers, type and advisory, as `_podcast` (see show_fields)."""
    episode = post.episode
    if episode is None:
        return {}
    fields = {
        "episode": episode.episode,
        "season": episode.season,
        "episode_type": episode.episode_type,
        "explicit": episode.explicit,
    }
    given = {name: value for name, value in fields.items() if value is not None}
    return {"_podcast": given} if given else {}


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
    if post.episode is not None and post.episode.image:
        item["image"] = post_media_url(layout, post, post.episode.image)
    if post.enclosures:
        item["attachments"] = attachments(post, layout)
    if meta.show is not None:
        item.update(episode_fields(post))
    item["_syndicate"] = {
        "comment_count": post.comment_count,
        "comments_rss": layout.url(layout.post_comments_rss(post)),
        "comments_atom": layout.url(layout.post_comments_atom(post)),
    }
    return item


def _date(moment: datetime) -> str:
    return moment.isoformat()
