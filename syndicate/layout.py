"""Where each file lives under the output folder, its URL, and the durable ids of posts
and comments.

Every advertised URL names a file, so a plain static file server resolves it without index rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from syndicate.config import Settings
from syndicate.model import Comment, Post
from syndicate.sources.base import make_slug

INDEX_PAGE = "index.html"
SITE_RSS = "rss.xml"
SITE_ATOM = "atom.xml"
SITE_JSON = "feed.json"
COMMENTS_RSS = "comments.xml"
COMMENTS_ATOM = "comments.atom"
ARCHIVE_RSS = "archive.xml"
ARCHIVE_ATOM = "archive.atom"
ARCHIVE_JSON = "archive.json"
STYLESHEET = "feed.xsl"
_UNSAFE_IN_ANCHOR = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Layout:
    base_url: str  # ends with "/"
    authority: str  # the tagging authority of tag: ids (RFC 4151)

    @classmethod
    def for_settings(cls, settings: Settings) -> Layout:
        return cls(settings.base_url, settings.tag_authority.lower())

    def url(self, path: str) -> str:
        return self.base_url + path

    @staticmethod
    def post_folder(post: Post) -> str:
        return f"posts/{post.slug}/"

    def post_page(self, post: Post) -> str:
        return self.post_folder(post) + INDEX_PAGE

    def post_comments_rss(self, post: Post) -> str:
        return self.post_folder(post) + COMMENTS_RSS

    def post_comments_atom(self, post: Post) -> str:
        return self.post_folder(post) + COMMENTS_ATOM

    def post_id(self, post: Post) -> str:
        """The post's own id, else a tag: URI from what does not change when the post is edited."""
        return post.id or tag_uri(self.authority, post.published, post.slug)

    def comment_id(self, post: Post, comment: Comment) -> str:
        post_id = self.post_id(post)
        joiner = "/" if "#" in post_id else "#"
        return f"{post_id}{joiner}{comment_anchor(comment.id)}"

    def comment_url(self, post: Post, comment: Comment) -> str:
        return f"{self.url(self.post_page(post))}#{comment_anchor(comment.id)}"


def history_page(number: int, suffix: str) -> str:
    """RFC 5005 archive page `number` (1 is the oldest) of the site feed: .xml or .atom."""
    return f"history/{number}{suffix}"


def tag_feed(tag: str, suffix: str) -> str:
    return f"tags/{make_slug(tag) or 'tag'}{suffix}"


def comment_anchor(comment_id: str) -> str:
    return "comment-" + (_UNSAFE_IN_ANCHOR.sub("-", comment_id).strip("-") or "0")


def tag_uri(authority: str, when: datetime, specific: str) -> str:
    return f"tag:{authority},{when:%Y-%m-%d}:{specific}"
