"""The HTML index and one page per post, with feed autodiscovery (`<link rel="alternate">`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from syndicate.clean import sanitize_author_html
from syndicate.layout import Layout, comment_anchor
from syndicate.model import Comment, Post

_environment = Environment(
    loader=PackageLoader("syndicate", "templates"),
    autoescape=select_autoescape(default=True),
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class FeedLink:
    """A feed advertised by a page."""

    title: str
    url: str
    media_type: str


@dataclass
class CommentNode:
    comment: Comment
    replies: list[CommentNode] = field(default_factory=list)


def render_index(
    *,
    site_title: str,
    description: str,
    language: str,
    home_url: str,
    posts: Sequence[Post],
    layout: Layout,
    feeds: Sequence[FeedLink],
) -> Iterator[bytes]:
    """The index, a piece at a time: it lists every post (at 100k posts, rendered whole it
    took 220 MB at once)."""
    template = _environment.get_template("index.html")
    for piece in template.generate(
        site_title=site_title,
        description=description,
        language=language,
        home_url=home_url,
        feeds=feeds,
        posts=(_post_view(post, layout) for post in posts),  # one view at a time
    ):
        yield piece.encode("utf-8")


def render_post_page(
    *,
    site_title: str,
    language: str,
    home_url: str,
    post: Post,
    layout: Layout,
    feeds: Sequence[FeedLink],
    embed_hosts: tuple[str, ...] = (),
) -> bytes:
    view = _post_view(post, layout)
    view["content_html"] = sanitize_author_html(post.content_html, embed_hosts)
    return _render(
        "post.html",
        site_title=site_title,
        language=language,
        home_url=home_url,
        feeds=feeds,
        post=view,
        comments=[_comment_view(node) for node in comment_tree(post.comments)],
    )


def comment_tree(comments: Sequence[Comment]) -> list[CommentNode]:
    """Top-level comments in order, each with its replies nested below it."""
    nodes = {comment.id: CommentNode(comment) for comment in comments}
    roots: list[CommentNode] = []
    for comment in comments:
        parent = nodes.get(comment.in_reply_to) if comment.in_reply_to else None
        (parent.replies if parent else roots).append(nodes[comment.id])
    return roots


def _render(template: str, **context: Any) -> bytes:
    return _environment.get_template(template).render(**context).encode("utf-8")


def _post_view(post: Post, layout: Layout) -> dict[str, Any]:
    return {
        "title": post.title,
        "url": layout.url(layout.post_page(post)),
        "summary": post.summary,
        "content_html": post.content_html,
        "author": post.author,
        "tags": post.tags,
        "comment_count": post.comment_count,
        "published_iso": post.published.isoformat(),
        "published_human": human_date(post.published),
    }


def _comment_view(node: CommentNode) -> dict[str, Any]:
    comment = node.comment
    return {
        "anchor": comment_anchor(comment.id),
        "author": comment.author,
        "author_url": comment.author_url,
        "content_html": comment.content_html,
        "likes": comment.likes,
        "via_url": (comment.via.comment_url or comment.via.copy_url) if comment.via else None,
        "via_title": (comment.via.feed_title or comment.via.copy_url) if comment.via else None,
        "published_iso": comment.published.isoformat() if comment.published else None,
        "published_human": human_date(comment.published) if comment.published else None,
        "replies": [_comment_view(child) for child in node.replies],
    }


def human_date(moment: datetime) -> str:
    return f"{moment:%A}, {moment.day} {moment:%B %Y}"
