"""The site's HTML: the pages that list posts (the index and its older pages, a tag's pages),
one page per post, and the 404 page; each with feed autodiscovery (`<link rel="alternate">`),
its canonical URL and a description. Text that may be right-to-left carries `dir="auto"`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from syndicate.clean import sanitize_author_html
from syndicate.layout import Layout, comment_anchor
from syndicate.model import Comment, Post
from syndicate.render.templates import site_environment

_environment = site_environment()


@dataclass(frozen=True)
class FeedLink:
    """A feed advertised by a page."""

    title: str
    url: str
    media_type: str


@dataclass(frozen=True)
class PostLink:
    """Another post as a page links to it."""

    title: str
    url: str


@dataclass(frozen=True)
class Neighbours:
    """The posts published just after and just before a post (None at either end)."""

    newer: PostLink | None = None
    older: PostLink | None = None


@dataclass(frozen=True)
class SiteView:
    """What every page shows of the site. `tag_url`: the URL of a tag's page."""

    title: str
    language: str
    home_url: str
    tag_url: Callable[[str], str]


@dataclass(frozen=True)
class ListView:
    """One page of a list of posts: where it is, what it is, and its neighbours in the list."""

    heading: str  # the page's own title ("" for the site's home page)
    description: str
    canonical_url: str
    newer_url: str | None  # the page of newer posts (rel="prev"), None on the first
    older_url: str | None  # the page of older posts (rel="next"), None on the last
    number: int | None = None  # None on the first page of the list
    tag: str | None = None  # the tag a tag page lists


@dataclass
class CommentNode:
    comment: Comment
    anchored: bool = True  # False for a second comment with an id already used on the page
    replies: list[CommentNode] = field(default_factory=list)


def render_list_page(
    *,
    site: SiteView,
    description: str,
    page: ListView,
    posts: Sequence[Post],
    layout: Layout,
    feeds: Sequence[FeedLink],
) -> bytes:
    """A page of a list of posts (`description`: the site's own). Made whole: a page holds
    `page_size` posts (20 by default; a site that asks for 100,000 gets a page of 200 MB)."""
    return _render(
        "tag.html" if page.tag is not None else "index.html",
        **_site_context(site),
        site_description=description,
        description=page.description,
        canonical_url=page.canonical_url,
        feeds=feeds,
        page=page,
        posts=[_post_view(post, layout, site) for post in posts],
    )


def render_post_page(
    *,
    site: SiteView,
    post: Post,
    layout: Layout,
    feeds: Sequence[FeedLink],
    neighbours: Neighbours,
    embed_hosts: tuple[str, ...] = (),
) -> bytes:
    """A post's page: the summary above the body only when it is not the body's own lead. A
    page of the site (Post.page) shows no date, author or tags (it is in no list, as
    WordPress's pages are not); its comments show as a post's do."""
    view = _post_view(post, layout, site)
    view["is_page"] = post.page
    view["content_html"] = sanitize_author_html(post.content_html, embed_hosts)
    view["lead"] = post.summary if post.summary and not post.summary_is_lead else ""
    return _render(
        "post.html",
        **_site_context(site),
        description=post.summary,
        canonical_url=view["url"],
        feeds=feeds,
        post=view,
        neighbours=neighbours,
        comments=[_comment_view(node, post, layout) for node in comment_tree(post.comments)],
    )


def render_not_found_page(*, site: SiteView, description: str, feeds: Sequence[FeedLink]) -> bytes:
    """404.html: served for any missing URL, so it links by absolute URLs only and names no
    canonical URL of its own (it has none), and asks search engines not to index it."""
    return _render(
        "404.html", **_site_context(site), description=description, canonical_url=None, feeds=feeds
    )


def comment_tree(comments: Sequence[Comment]) -> list[CommentNode]:
    """Top-level comments in order, each with its replies nested below it. Every comment is
    shown once; of comments that share an id (backfed ones may) the first has the anchor."""
    nodes = [CommentNode(comment) for comment in comments]
    first: dict[str, CommentNode] = {}
    for node in nodes:
        if node.comment.id in first:
            node.anchored = False
        else:
            first[node.comment.id] = node
    roots: list[CommentNode] = []
    for node in nodes:
        reply_to = node.comment.in_reply_to
        parent = first.get(reply_to) if reply_to else None
        (parent.replies if parent is not None and parent is not node else roots).append(node)
    return roots


def _render(template: str, *, feeds: Sequence[FeedLink], **context: Any) -> bytes:
    head, footer = feed_links_html(feeds)
    page = _environment.get_template(template).render(
        feeds_head=head, feeds_footer=footer, **context
    )
    return page.encode("utf-8")


def feed_links_html(feeds: Sequence[FeedLink]) -> tuple[Markup, Markup]:
    """The feeds a page names, as its head's `<link rel="alternate">` lines and its footer's
    links. Each link is escaped once a build, not on every page: a site's and its tags' feeds
    are on every page, twice (a tenth of the time of a site's pages went to these loops)."""
    pieces = [_feed_link_pieces(feed) for feed in feeds]
    head = "".join(line for line, _ in pieces)
    footer = " · \n".join(anchor for _, anchor in pieces) + ("\n" if pieces else "")
    return Markup(head), Markup(footer)


@lru_cache(maxsize=4096)
def _feed_link_pieces(feed: FeedLink) -> tuple[str, str]:
    """One feed's `<link>` line and footer link, escaped as the templates escape a value."""
    kind, title, url = escape(feed.media_type), escape(feed.title), escape(feed.url)
    return (
        f'<link rel="alternate" type="{kind}" title="{title}" href="{url}">\n',
        f'<a href="{url}" type="{kind}" dir="auto">{title}</a>',
    )


def _site_context(site: SiteView) -> dict[str, str]:
    return {"site_title": site.title, "language": site.language, "home_url": site.home_url}


def _post_view(post: Post, layout: Layout, site: SiteView) -> dict[str, Any]:
    tags = () if post.page else dict.fromkeys(post.tags)
    return {
        "title": post.title,
        "url": layout.url(layout.post_page(post)),
        "summary": post.summary,
        "author": post.author,
        "tags": [{"name": tag, "url": site.tag_url(tag)} for tag in tags],
        "comment_count": post.comment_count,
        "published_iso": post.published.isoformat(),
        "published_human": human_date(post.published),
    }


# How a page names what another site's link to the post is, as WordPress's themes do
# ("Pingback: <a>Site » Post</a>"); a comment has none ("Ann says:").
PING_LABELS = {"pingback": "Pingback", "trackback": "Trackback"}


def _comment_view(node: CommentNode, post: Post, layout: Layout) -> dict[str, Any]:
    comment = node.comment
    kind = comment.kind if comment.kind in PING_LABELS else "comment"
    return {
        "kind": kind,
        "ping_label": PING_LABELS.get(kind),
        "anchor": comment_anchor(comment.id) if node.anchored else None,
        "permalink": layout.comment_url(post, comment),
        "author": comment.author,
        "author_url": comment.author_url,
        "content_html": comment.content_html,
        "likes": comment.likes,
        "via_url": (comment.via.comment_url or comment.via.copy_url) if comment.via else None,
        "via_title": (comment.via.feed_title or comment.via.copy_url) if comment.via else None,
        "published_iso": comment.published.isoformat() if comment.published else None,
        "published_human": human_date(comment.published) if comment.published else None,
        "replies": [_comment_view(child, post, layout) for child in node.replies],
    }


def human_date(moment: datetime) -> str:
    """The day as its own time zone has it ("Monday, 2 June 2025"). Made once a day shown (a
    post's date is on its page and on every list page that lists it; strftime is slow)."""
    return _human_day(moment.year, moment.month, moment.day)


@lru_cache(maxsize=16384)
def _human_day(year: int, month: int, day: int) -> str:
    moment = datetime(year, month, day)
    return f"{moment:%A}, {moment.day} {moment:%B %Y}"
