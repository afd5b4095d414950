"""RSS 2.0 and Atom 1.0 through feedgen: the site feed, per-post comment feeds, the comments feed.

One FeedGenerator carries both formats; only the self links differ between them. A post's
enclosures are in every feed of posts; a podcast's tags (FeedMeta.show) in their RSS alone,
never in a comment feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urljoin

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate.clean import absolute_links, author_feed_html, sanitized_text
from syndicate.layout import Layout
from syndicate.model import Comment, Episode, Post, Show
from syndicate.render.ext import podcast_guid, register_extensions, register_podcast_extensions
from syndicate.render.stylesheet import processing_instructions

GENERATOR = "syndicate"
GENERATOR_URI = "https://pypi.org/project/syndicate/"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
HTML_TYPE = "text/html"


@dataclass(frozen=True)
class FeedMeta:
    """What a feed says about itself."""

    title: str
    description: str
    home_url: str  # the HTML page that the feed is the feed of
    rss_url: str
    atom_url: str
    updated: datetime  # from the content, never from the clock
    language: str
    author: str
    extra_links: tuple[FeedRelation, ...] = ()  # hub, current, prev-archive ...
    is_archive_page: bool = False  # RFC 5005 <fh:archive/>: this document will not change
    schedule_minutes: int | None = None  # how often it is rebuilt: RSS ttl and sy:update*
    stylesheet_url: str | None = None  # an XSL that shows the feed in a browser as a page
    embed_hosts: tuple[str, ...] = ()  # iframes our own posts may embed ([site] embed_hosts)
    show: Show | None = None  # a podcast's channel tags ([podcast]); feeds of posts carry them


@dataclass(frozen=True)
class FeedRelation:
    """A feed-level link whose target differs by format (an RSS page links RSS pages)."""

    rel: str
    rss_url: str
    atom_url: str


@dataclass(frozen=True)
class RenderedFeed:
    rss: bytes
    atom: bytes


@dataclass(frozen=True)
class CommentItem:
    """A comment with the post it belongs to (and, for a reply, its parent)."""

    post: Post
    comment: Comment
    parent: Comment | None = None


def render_post_feed(
    meta: FeedMeta, posts: Sequence[Post], layout: Layout, *, full_content: bool
) -> RenderedFeed:
    feed = new_generator(meta)
    if meta.show is not None:  # before the entries, which take the extensions registered
        register_podcast_extensions(feed)
        _add_show(feed, meta.show, meta)
    for post in posts:
        entry = feed.add_entry(order="append")
        _add_post_entry(entry, post, layout, meta, full_content)
        if meta.show is not None:
            _add_episode(entry, post, layout)
    return serialise(feed, meta)


def render_comment_feed(
    meta: FeedMeta, items: Sequence[CommentItem], layout: Layout, *, name_the_post: bool
) -> RenderedFeed:
    feed = new_generator(meta, of_posts=False)
    for item in items:
        _add_comment_entry(feed.add_entry(order="append"), item, layout, name_the_post)
    return serialise(feed, meta)


def new_generator(meta: FeedMeta, *, of_posts: bool = True) -> FeedGenerator:
    """A feed with the channel's elements; `of_posts`: with the namespaces of posts' entries
    (ext.register_extensions)."""
    feed = FeedGenerator()
    register_extensions(feed, of_posts=of_posts)
    feed.id(meta.atom_url)
    feed.title(meta.title)
    feed.description(meta.description or meta.title)
    feed.language(meta.language)
    feed.author(name=meta.author)
    feed.updated(meta.updated)
    feed.generator(GENERATOR, uri=GENERATOR_URI)
    feed.channel.archive(meta.is_archive_page)
    if meta.schedule_minutes:
        feed.ttl(meta.schedule_minutes)
        feed.channel.schedule(*update_period(meta.schedule_minutes))
    return feed


def update_period(minutes: int) -> tuple[str, int]:
    """The RSS syndication module's period and frequency for a rebuild every `minutes`."""
    for period, length in (("hourly", 60), ("daily", 1440), ("weekly", 10080), ("monthly", 43200)):
        if minutes <= length:
            return period, max(1, length // minutes)
    return "yearly", max(1, 525600 // minutes)


def serialise(feed: FeedGenerator, meta: FeedMeta) -> RenderedFeed:
    # feedgen takes the RSS channel link from the last link set, and its atom:link from "self";
    # the other RSS atom:links come from our channel extension.
    feed.link(href=meta.rss_url, rel="self", type=RSS_TYPE, replace=True)
    feed.link(href=meta.home_url, rel="alternate", type=HTML_TYPE)
    feed.channel.rss_links([{"rel": link.rel, "href": link.rss_url} for link in meta.extra_links])
    rss = _document_bytes(feed._create_rss()[1], meta.stylesheet_url)
    feed.link(href=meta.atom_url, rel="self", type=ATOM_TYPE, replace=True)
    for link in meta.extra_links:
        feed.link(href=link.atom_url, rel=link.rel)
    feed.link(href=meta.home_url, rel="alternate", type=HTML_TYPE)
    atom = _document_bytes(feed._create_atom()[1], meta.stylesheet_url)
    return RenderedFeed(rss=rss, atom=atom)


def _document_bytes(document: etree._ElementTree, stylesheet_url: str | None) -> bytes:
    """Serialise feedgen's tree (its private `_create_*` gives the tree, so a stylesheet
    processing instruction is added as a node, not spliced into text)."""
    if stylesheet_url:
        for instruction in processing_instructions(stylesheet_url):
            document.getroot().addprevious(instruction)
    return etree.tostring(document, pretty_print=True, encoding="UTF-8", xml_declaration=True)


def _add_post_entry(
    entry: FeedEntry, post: Post, layout: Layout, meta: FeedMeta, full_content: bool
) -> None:
    page_url = layout.url(layout.post_page(post))
    author = post.author or meta.author
    entry.id(layout.post_id(post))
    entry.title(post.title)
    entry.link(href=page_url, rel="alternate", type=HTML_TYPE)
    entry.published(post.published)
    entry.updated(post.last_modified)
    entry.author(name=author)
    entry.dc.dc_creator(author)
    if post.summary:
        # HTML-escaped text: RSS readers read <description> as HTML, so text must not become markup.
        entry.summary(escape(post.summary, quote=False), type="html")
    if full_content and post.content_html:
        entry.content(author_feed_html(post.content_html, page_url, meta.embed_hosts), type="html")
    for tag in post.tags:
        entry.category(term=tag)
    for enclosure in post.enclosures:
        entry.enclosures.add(
            post_media_url(layout, post, enclosure.url),
            length=enclosure.length,
            media_type=enclosure.media_type,
            title=enclosure.title,
        )
    entry.comments(page_url + "#comments")
    entry.wfw.comment_rss(layout.url(layout.post_comments_rss(post)))
    entry.slash.comments(post.comment_count)
    entry.thr.replies(
        layout.url(layout.post_comments_atom(post)),
        count=post.comment_count,
        media_type=ATOM_TYPE,
        updated=latest_comment_date(post),
    )


def post_media_url(layout: Layout, post: Post, url: str) -> str:
    """A post's media URL made absolute: one relative to the post's page (a file beside the
    post, which the page's folder has a copy of), or a path on the site."""
    return urljoin(layout.url(layout.post_folder(post)), url)


def podcast_feed_url(meta: FeedMeta) -> str:
    """The URL a podcast is known by: its feed's (the current feed's, for an archive page)."""
    current = [link.rss_url for link in meta.extra_links if link.rel == "current"]
    return current[0] if current else meta.rss_url


def _add_show(feed: FeedGenerator, show: Show, meta: FeedMeta) -> None:
    """A podcast's channel tags, as Apple asks for them and the W3C validator checks them."""
    author = show.author or meta.author
    feed.podcast.itunes_author(author)
    if show.email:  # Apple's owner is an address to write to; a name alone is no owner
        feed.podcast.itunes_owner(name=show.owner or author, email=show.email)
    if show.categories:
        feed.podcast.itunes_category([apple_category(text) for text in show.categories])
    feed.podcast.itunes_type(show.show_type)
    feed.itunes.image(show.image)
    feed.itunes.explicit(show.explicit)
    feed.podcastindex.guid(podcast_guid(podcast_feed_url(meta)))


def apple_category(text: str) -> dict[str, str]:
    """A category, or one and its subcategory ("Arts > Books"), as feedgen's {cat, sub}."""
    category, _, subcategory = (part.strip() for part in text.partition(">"))
    return {"cat": category, "sub": subcategory} if subcategory else {"cat": category}


def _add_episode(entry: FeedEntry, post: Post, layout: Layout) -> None:
    episode = post.episode or Episode()
    duration = episode_duration(post)
    if duration is not None:
        entry.podcast.itunes_duration(duration)
    if episode.episode is not None:
        entry.podcast.itunes_episode(episode.episode)
    if episode.season is not None:
        entry.podcast.itunes_season(episode.season)
    if episode.episode_type is not None:
        entry.podcast.itunes_episode_type(episode.episode_type)
    if episode.image:
        entry.itunes.image(post_media_url(layout, post, episode.image))
    entry.itunes.explicit(episode.explicit)


def episode_duration(post: Post) -> int | None:
    """How long a post's episode is, in seconds: its first enclosure's, else its own."""
    first = post.enclosures[0].duration if post.enclosures else None
    if first is not None:
        return first
    return post.episode.duration if post.episode is not None else None


def _add_comment_entry(
    entry: FeedEntry, item: CommentItem, layout: Layout, name_the_post: bool
) -> None:
    post, comment = item.post, item.comment
    page_url = layout.url(layout.post_page(post))
    entry.id(layout.comment_id(post, comment))
    title = f"By: {comment.author}"
    entry.title(f"Comment on {post.title} by {comment.author}" if name_the_post else title)
    entry.link(href=layout.comment_url(post, comment), rel="alternate", type=HTML_TYPE)
    entry.updated(comment.published or post.last_modified)
    if comment.published:
        entry.published(comment.published)
    entry.author(
        {"name": comment.author, **({"uri": comment.author_url} if comment.author_url else {})}
    )
    entry.dc.dc_creator(comment.author)
    entry.summary(
        escape(sanitized_text(comment.content_html) or comment.author, quote=False), type="html"
    )
    entry.content(absolute_links(comment.content_html, page_url), type="html")
    if comment.via is not None:
        via = comment.via
        entry.links.add(
            via.comment_url or via.copy_url, rel="via", media_type=HTML_TYPE, title=via.feed_title
        )
        entry.links.rss_source(via.feed_url, via.feed_title or via.copy_url)
    if item.parent is not None:
        entry.thr.in_reply_to(
            layout.comment_id(post, item.parent), href=layout.comment_url(post, item.parent)
        )
    else:
        entry.thr.in_reply_to(layout.post_id(post), href=page_url)


def latest_comment_date(post: Post) -> datetime | None:
    dates = [comment.published for comment in post.comments if comment.published]
    return max(dates) if dates else None
