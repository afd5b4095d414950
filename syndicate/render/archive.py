"""The archive as feeds (archive.xml, archive.atom, archive.json): one entry per article,
naming every copy of it; the canonical copy (our own post when it is one) gives the text.

An article's media files are its canonical copy's, else those of the first copy that has
any (`media_copy`): RSS's <enclosure> (the first), Atom's link rel="enclosure" (all), JSON
Feed's attachments; in RSS the first one's itunes:duration and the episode's itunes:image."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlsplit

from feedgen.entry import FeedEntry
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.feed import FeedGenerator

from syndicate.clean import author_feed_html, feed_ready_html
from syndicate.model import ArchivedCopy, Article, Enclosure
from syndicate.posts.base import media_type_of
from syndicate.render.ext import ItunesEntryExtension, ItunesExtension
from syndicate.render.feeds import HTML_TYPE, FeedMeta, RenderedFeed, new_generator, serialise
from syndicate.render.jsonfeed import VERSION_URL, hubs

# RSS's <enclosure> and JSON Feed's attachments must give a type: one the copy does not know
# is guessed from the file's name, else said to be bytes of no known kind.
UNKNOWN_MEDIA_TYPE = "application/octet-stream"


def render_archive_feed(
    meta: FeedMeta, articles: Sequence[Article], texts: Mapping[int, tuple[str, str]]
) -> RenderedFeed:
    feed = new_generator(meta)
    episodes = any(_has_episode_tags(media_copy(article)) for article in articles)
    if episodes:  # before the entries, which take the extensions registered
        _register_episode_tags(feed)
    for article in articles:
        entry = feed.add_entry(order="append")
        _add_article(entry, article, texts, meta)
        if episodes:
            _add_episode_tags(entry, media_copy(article))
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


def media_copy(article: Article) -> ArchivedCopy:
    """The copy whose media files (and picture) the article's feeds carry: the canonical one
    when it has any, else the first other copy that has (a podcast's episode whose canonical
    copy is a blog post without the audio is still an episode)."""
    for copy in article.copies:
        if copy.enclosures:
            return copy
    return article.canonical


def written_media_type(enclosure: Enclosure) -> str:
    """The type a feed states: the copy's, else the one its file name stands for."""
    path = urlsplit(enclosure.url).path
    return enclosure.media_type or media_type_of(path) or UNKNOWN_MEDIA_TYPE


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
    media = media_copy(article)
    entry.id(article_id(article))
    entry.title(article.title or canonical.url or _first_media_url(media) or "untitled")
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
    for enclosure in media.enclosures:
        entry.enclosures.add(
            enclosure.url, length=enclosure.length, media_type=written_media_type(enclosure)
        )


def _first_media_url(copy: ArchivedCopy) -> str | None:
    return copy.enclosures[0].url if copy.enclosures else None


def _has_episode_tags(copy: ArchivedCopy) -> bool:
    return _episode_duration(copy) is not None or _episode_image(copy) is not None


def _episode_duration(copy: ArchivedCopy) -> int | None:
    return copy.enclosures[0].duration if copy.enclosures else None


def _episode_image(copy: ArchivedCopy) -> str | None:
    """An episode's picture (a post's image without a media file is no episode's: JSON Feed's
    `image` carries it, RSS does not)."""
    return copy.image_url if copy.enclosures else None


def _register_episode_tags(feed: FeedGenerator) -> None:
    """The itunes namespace, for an episode's duration (feedgen's podcast extension) and
    picture (ours); RSS only, as in the feeds of our posts. An archive is no podcast of its
    own: the channel gets none of Apple's tags."""
    feed.register_extension("podcast", PodcastExtension, PodcastEntryExtension, atom=False)
    feed.register_extension("itunes", ItunesExtension, ItunesEntryExtension, atom=False)


def _add_episode_tags(entry: FeedEntry, media: ArchivedCopy) -> None:
    duration = _episode_duration(media)
    if duration is not None:
        entry.podcast.itunes_duration(duration)
    entry.itunes.image(_episode_image(media))


def _attachment(enclosure: Enclosure) -> dict[str, Any]:
    attachment: dict[str, Any] = {
        "url": enclosure.url,
        "mime_type": written_media_type(enclosure),
    }
    if enclosure.length:
        attachment["size_in_bytes"] = enclosure.length
    if enclosure.duration is not None:
        attachment["duration_in_seconds"] = enclosure.duration
    return attachment


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
    media = media_copy(article)
    if media.image_url:
        item["image"] = media.image_url
    if media.enclosures:
        item["attachments"] = [_attachment(enclosure) for enclosure in media.enclosures]
    item["_syndicate"] = {
        "copies": [
            {key: shown[key] for key in ("url", "feed", "title", "published")}
            for shown in (copy.to_json() for copy in article.copies)
        ],
        "comment_count": len(article.comments),
    }
    return item
