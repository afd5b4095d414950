"""Where each file lives under the output folder, its URL, and the durable ids of posts
and comments.

A post's page is at `posts/<slug>/index.html`, and that is the URL advertised: it names a file,
so a plain static file server resolves it without index rules. With [site] permalink (a pattern,
`{year}/{month}/{day}/{slug}/` or WordPress's `/%year%/%monthnum%/%day%/%postname%/`), or a
post's own front matter `url` (Post.url_path, which wins), the page is where that says: a path
ending in `/` is a folder whose index.html is the page, advertised by the folder's URL (pretty
URLs, as WordPress has them); a path ending in `.html` is the page itself. A post's comment
feeds and the files beside it go in the page's folder (a page file's comment feeds in a folder
named after it). The ids never depend on where the page is.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from slugify import slugify

from syndicate.errors import ConfigError
from syndicate.model import Comment, Post

if TYPE_CHECKING:
    from syndicate.config import Settings

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


# A page's own path may end in one of these (`/2019/hello.html`); any other path is a folder.
PAGE_SUFFIXES = (".html", ".htm")
# What a path keeps as it is when it is made a URL: "%" too, so that a path already
# percent-encoded (as WordPress's are) keeps its own spelling.
_URL_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Our pattern's fields, and WordPress's structure tags that mean the same (its permalink settings).
PERMALINK_FIELDS = ("year", "month", "day", "hour", "minute", "second", "slug")
WORDPRESS_TAGS = {
    "year": "year",
    "monthnum": "month",
    "day": "day",
    "hour": "hour",
    "minute": "minute",
    "second": "second",
    "postname": "slug",
}
_FIELD = re.compile(r"\{([^{}]*)\}")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.~-]*")
_STRUCTURE_TAG = re.compile(r"%([a-z_]+)%")


@dataclass(frozen=True, slots=True)
class PostPlace:
    """Where one post's files are: under the base URL as advertised (percent-encoded) and
    under the output folder as written (`*_file`). `folder` is where the page's relative
    links lead (the files beside the post are copied there)."""

    folder: str
    page: str
    comments_rss: str
    comments_atom: str
    folder_file: str
    page_file: str
    comments_rss_file: str
    comments_atom_file: str


@dataclass(frozen=True)
class Layout:
    base_url: str  # ends with "/"
    authority: str  # the tagging authority of tag: ids (RFC 4151)
    permalink: str | None = None  # a pattern in our fields (permalink_pattern), or None
    zone: tzinfo = UTC  # the site's zone: a permalink's date is the date there, as WordPress's

    @classmethod
    def for_settings(cls, settings: Settings) -> Layout:
        try:
            pattern = permalink_pattern(settings.permalink)
        except ValueError as exc:
            raise ConfigError(f"permalink: {exc}") from None
        return cls(settings.base_url, settings.tag_authority.lower(), pattern, settings.zone)

    def url(self, path: str) -> str:
        return self.base_url + path

    def place(self, post: Post) -> PostPlace:
        """Where the post's page, comment feeds and files are (see the module's docstring): a
        post's `url`, else the permalink pattern (a page without `url` at `<slug>/`, as
        WordPress's pages are), else posts/<slug>/."""
        if post.url_path is None and self.permalink is None:
            return _default_place(post.slug)
        return _own_place(self, post.slug, post.published, post.url_path, post.page)

    def is_default(self, post: Post) -> bool:
        """Whether the post is at posts/<slug>/ (no url of its own, no permalink pattern)."""
        return post.url_path is None and self.permalink is None

    # Asked for at every mention of a post in every feed and page: a post at posts/<slug>/
    # costs an f-string, as before permalinks.
    def post_folder(self, post: Post) -> str:
        if self.is_default(post):
            return f"posts/{post.slug}/"
        return self.place(post).folder

    def post_page(self, post: Post) -> str:
        """The page's address under the base URL (its folder's, for a pretty URL)."""
        if self.is_default(post):
            return f"posts/{post.slug}/{INDEX_PAGE}"
        return self.place(post).page

    def post_comments_rss(self, post: Post) -> str:
        if self.is_default(post):
            return f"posts/{post.slug}/{COMMENTS_RSS}"
        return self.place(post).comments_rss

    def post_comments_atom(self, post: Post) -> str:
        if self.is_default(post):
            return f"posts/{post.slug}/{COMMENTS_ATOM}"
        return self.place(post).comments_atom

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


def _default_place(slug: str) -> PostPlace:
    folder = f"posts/{slug}/"
    page, rss, atom = folder + INDEX_PAGE, folder + COMMENTS_RSS, folder + COMMENTS_ATOM
    return PostPlace(folder, page, rss, atom, folder, page, rss, atom)


@lru_cache(maxsize=4096)  # a post's place is asked for a dozen times in a row as it is rendered
def _own_place(
    layout: Layout, slug: str, published: datetime, url_path: str | None, page: bool
) -> PostPlace:
    if url_path is not None:
        return _place(url_path.lstrip("/"))
    assert layout.permalink is not None
    if page:
        return _place(slug + ("/" if layout.permalink.endswith("/") else ".html"))
    return _place(render_permalink(layout.permalink, slug, published.astimezone(layout.zone)))


def _place(path: str) -> PostPlace:
    if _PLAIN_PATH.fullmatch(path):  # as a slug and digits make it: the same as URL and file
        return _plain_place(path)
    address = quote(path, safe=_URL_PATH_SAFE)
    if not address.endswith("/") and not address.lower().endswith(PAGE_SUFFIXES):
        address += "/"  # `/2019/hello`: a folder, which static servers answer with its index
    if address.endswith("/"):
        folder, page = address, address
        feeds, file_folder = address, unquote(address)
        page_file = file_folder + INDEX_PAGE
    else:
        folder = address[: address.rfind("/") + 1]
        page = address
        feeds = address.rsplit(".", 1)[0] + "/"  # hello.html: hello/comments.xml
        file_folder, page_file = unquote(folder), unquote(address)
    feeds_file = unquote(feeds)
    return PostPlace(
        folder=folder,
        page=page,
        comments_rss=feeds + COMMENTS_RSS,
        comments_atom=feeds + COMMENTS_ATOM,
        folder_file=file_folder,
        page_file=page_file,
        comments_rss_file=feeds_file + COMMENTS_RSS,
        comments_atom_file=feeds_file + COMMENTS_ATOM,
    )


def _plain_place(path: str) -> PostPlace:
    if not path.endswith("/") and not path.lower().endswith(PAGE_SUFFIXES):
        path += "/"
    if path.endswith("/"):
        rss, atom = path + COMMENTS_RSS, path + COMMENTS_ATOM
        return PostPlace(path, path, rss, atom, path, path + INDEX_PAGE, rss, atom)
    folder = path[: path.rfind("/") + 1]
    feeds = path.rsplit(".", 1)[0] + "/"
    rss, atom = feeds + COMMENTS_RSS, feeds + COMMENTS_ATOM
    return PostPlace(folder, path, rss, atom, folder, path, rss, atom)


def url_path_problem(path: str) -> str | None:
    """Why `path` cannot be where a page is (under the base URL, inside the output folder), or
    None when it can: a path, not a URL; no query or fragment; no `.` or `..` segment, hidden
    name, backslash, control character or encoded `/`; not the site's home."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", path) or path.startswith("//"):
        return "is a URL, not a path on this site (such as /2019/05/hello/)"
    if "?" in path or "#" in path:
        return "has a query or a fragment: no file can be named by one"
    if _PERCENT_ESCAPE.search(path):
        return "has a % that starts no %XX escape"
    if re.search(r"%2[fF]|%5[cC]", path):
        return "has an encoded / or \\ in it"
    decoded = unquote(path)
    if "\\" in decoded or _CONTROL.search(decoded):
        return "has a backslash or a control character in it"
    segments = decoded.strip("/").split("/")
    if segments == [""]:
        return "is the site's home page"
    if any(segment in ("", ".", "..") for segment in segments):
        return "has an empty, '.' or '..' segment: it would leave its folder"
    if any(segment.startswith(".") for segment in segments):
        return "has a hidden name (starting with '.'), which servers refuse"
    return None


def permalink_pattern(text: str | None) -> str | None:
    """[site] permalink in our fields (`{year}/{month}/{day}/{slug}/`), WordPress's structure
    tags read as ours; ValueError saying what is wrong with it."""
    if text is None or not text.strip():
        return None
    pattern = text.strip()
    for tag in _STRUCTURE_TAG.findall(pattern):
        if tag not in WORDPRESS_TAGS:
            known = ", ".join(f"%{name}%" for name in WORDPRESS_TAGS)
            raise ValueError(f"WordPress's %{tag}% is not supported (only {known})")
    pattern = _STRUCTURE_TAG.sub(lambda tag: "{" + WORDPRESS_TAGS[tag[1]] + "}", pattern)
    for field in _FIELD.findall(pattern):
        if field not in PERMALINK_FIELDS:
            known = " ".join("{" + name + "}" for name in PERMALINK_FIELDS)
            raise ValueError(f"unknown field {{{field}}} in {text!r} (the fields: {known})")
    if "{slug}" not in pattern:
        raise ValueError(f"{text!r} has no {{slug}} (or %postname%): two posts would share a page")
    pattern = pattern.lstrip("/")
    sample = render_permalink(pattern, "slug", datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC))
    problem = url_path_problem(sample) or (
        "has a { or } that is no field" if "{" in sample or "}" in sample else None
    )
    if problem:
        raise ValueError(f"{text!r} {problem}")
    return pattern


def render_permalink(pattern: str, slug: str, when: datetime) -> str:
    values = {
        "year": f"{when.year:04d}",
        "month": f"{when.month:02d}",
        "day": f"{when.day:02d}",
        "hour": f"{when.hour:02d}",
        "minute": f"{when.minute:02d}",
        "second": f"{when.second:02d}",
        "slug": slug,
    }
    return "".join(values[text] if field else text for field, text in _pattern_parts(pattern))


@lru_cache(maxsize=16)
def _pattern_parts(pattern: str) -> tuple[tuple[bool, str], ...]:
    """The pattern as (is a field, its name or the literal text) in order; a `{...}` that is
    no field stays literal text (permalink_pattern refuses it)."""
    parts = _FIELD.split(pattern)  # text, field name, text, field name, ..., text
    return tuple(
        (True, part) if index % 2 and part in PERMALINK_FIELDS else (False, _literal(index, part))
        for index, part in enumerate(parts)
        if part or index % 2
    )


def _literal(index: int, part: str) -> str:
    return "{" + part + "}" if index % 2 else part


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
