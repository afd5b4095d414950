"""Where each file lives under the output folder, its URL, and the durable ids of posts
and comments.

Every advertised URL names a file, so a plain static file server resolves it without index rules.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from slugify import slugify

from syndicate.config import Settings
from syndicate.model import Comment, Post

INDEX_PAGE = "index.html"
SITE_RSS = "rss.xml"
SITE_ATOM = "atom.xml"
SITE_JSON = "feed.json"
COMMENTS_RSS = "comments.xml"
COMMENTS_ATOM = "comments.atom"
ARCHIVE_RSS = "archive.xml"
ARCHIVE_ATOM = "archive.atom"
ARCHIVE_JSON = "archive.json"
STYLESHEET = "feed.css"  # what shows a feed in a browser (render/stylesheet.py)
_SAFE_IN_ANCHOR = re.compile(r"[A-Za-z0-9_.-]+")
# An IRI needs a scheme; an `id` front matter without one is wrapped in our tag: URI.
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# What RFC 4151 allows in a tag's specific part (and the W3C validator accepts).
_TAG_SPECIFIC_SAFE = "/?:@&=+$.-_!~*'(),;"
# RFC 4151: "tag:" authorityName "," date ":" specific ["#" fragment], where specific and
# fragment are *( pchar / "/" / "?" ) (RFC 3986) and date is YYYY, YYYY-MM or YYYY-MM-DD.
_DNS_NAME = (
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
_TAG_PART = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*"
TAG_URI = re.compile(
    rf"tag:(?:{_DNS_NAME}|[A-Za-z0-9._-]+@{_DNS_NAME}),\d{{4}}(?:-\d{{2}}(?:-\d{{2}})?)?"
    rf":{_TAG_PART}(?:#{_TAG_PART})?"
)
# An http(s) IRI that a fragment can be added to: no space or character that IRIs exclude.
_WEB_IRI = re.compile(r"https?://[^\s<>\"{}|\\^`#]+(?:#[^\s<>\"{}|\\^`#]*)?", re.IGNORECASE)


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
        """The post's own id, else a tag: URI from what does not change when the post is edited.

        An own id that is not an IRI ("my post 1") becomes the specific part of our tag: URI."""
        if post.id and _HAS_SCHEME.match(post.id):
            return post.id
        specific = quote(post.id, safe=_TAG_SPECIFIC_SAFE) if post.id else post.slug
        return tag_uri(self.authority, post.published, specific)

    def comment_id(self, post: Post, comment: Comment) -> str:
        """The post's id with the comment's anchor as its fragment (after a "/" when it has
        one already) when the id is a tag: URI (RFC 4151) or an http(s) IRI, which allow one.
        Any other id (urn:uuid:, which a fragment makes an invalid UUID; another URN; a form
        we cannot be sure of) becomes the specific part of a tag: URI of ours dated by the
        post's year alone: nothing in it changes when the body or the day is edited, and
        RFC 4151's date, one on which we held the name, is the year we published the post."""
        post_id, anchor = self.post_id(post), comment_anchor(comment.id)
        if TAG_URI.fullmatch(post_id) or _WEB_IRI.fullmatch(post_id):
            return f"{post_id}{'/' if '#' in post_id else '#'}{anchor}"
        specific = quote(post_id, safe=_TAG_SPECIFIC_SAFE)
        return f"tag:{self.authority},{post.published.year:04d}:{specific}#{anchor}"

    def comment_url(self, post: Post, comment: Comment) -> str:
        return f"{self.url(self.post_page(post))}#{comment_anchor(comment.id)}"


def history_page(number: int, suffix: str) -> str:
    """RFC 5005 archive page `number` (1 is the oldest) of the site feed: .xml or .atom."""
    return f"history/{number}{suffix}"


def tag_key(tag: str) -> str:
    """Tags that differ only in case or in spaces/underscores are one tag."""
    return re.sub(r"[\s_]+", "-", tag.strip().casefold())


def tag_feed(tag: str, suffix: str) -> str:
    """tags/<slug>: the slug alone when it spells the tag; otherwise (C++, C#, über, Feeds & Web)
    the slug and a hash of the tag, so two tags never share a feed, whatever other tags exist."""
    slug, key = make_slug(tag), tag_key(tag)
    if slug and slug == key:
        return f"tags/{slug}{suffix}"
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"tags/{slug or 'tag'}-{digest}{suffix}"


def comment_anchor(comment_id: str) -> str:
    """`comment-<id>`; an id with other characters is hashed (after a `~`, which plain ids
    cannot contain), so two different ids never share an anchor or an entry id."""
    if _SAFE_IN_ANCHOR.fullmatch(comment_id):
        return f"comment-{comment_id}"
    digest = hashlib.sha1(comment_id.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"comment-~{digest}"


def tag_uri(authority: str, when: datetime, specific: str) -> str:
    return f"tag:{authority},{when.date().isoformat()}:{specific}"  # YYYY-MM-DD, no strftime


def make_slug(text: str) -> str:
    """A post's slug from its title or file name: the part of its URLs that names it."""
    return slugify(text, max_length=80, word_boundary=True)
