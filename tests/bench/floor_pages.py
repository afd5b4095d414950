"""The library floor's HTML: Jinja2 with templates shaped as syndicate's (floor_templates/, copied
from syndicate/templates), each post's page with its comments threaded, the index and the tags
in pages of 20 (the first page the newest, the numbered ones counted from the oldest), the 404
page; and sitemap.xml through lxml."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from lxml import etree
from slugify import slugify

from .floor_feeds import ATOM_TYPE, RSS_TYPE, TITLE
from .floor_posts import BASE_URL, FloorComment, FloorPost

ENVIRONMENT = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("floor_templates")),
    autoescape=select_autoescape(default=True),
    keep_trailing_newline=True,
)
JSON_TYPE = "application/feed+json"
PAGE_SIZE = 20
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FeedLink = dict[str, str]


@cache
def tag_slug(tag: str) -> str:
    return slugify(tag)


def tag_url(tag: str, suffix: str = ".html") -> str:
    return f"{BASE_URL}tags/{tag_slug(tag)}{suffix}"


def site_feeds() -> list[FeedLink]:
    def link(title: str, path: str, media_type: str) -> FeedLink:
        return {"title": title, "url": BASE_URL + path, "media_type": media_type}

    return [
        link(f"{TITLE} (RSS)", "rss.xml", RSS_TYPE),
        link(f"{TITLE} (Atom)", "atom.xml", ATOM_TYPE),
        link(f"{TITLE} (JSON Feed)", "feed.json", JSON_TYPE),
        link(f"Comments for {TITLE} (RSS)", "comments.xml", RSS_TYPE),
        link(f"Comments for {TITLE} (Atom)", "comments.atom", ATOM_TYPE),
        link(f"{TITLE}: archive (RSS)", "archive.xml", RSS_TYPE),
        link(f"{TITLE}: archive (Atom)", "archive.atom", ATOM_TYPE),
        link(f"{TITLE}: archive (JSON Feed)", "archive.json", JSON_TYPE),
    ]


def tag_feeds(tags: Sequence[str]) -> list[FeedLink]:
    return [
        {"title": f"{TITLE}: {tag} ({name})", "url": tag_url(tag, suffix), "media_type": kind}
        for tag in sorted(set(tags))
        for name, suffix, kind in (("RSS", ".xml", RSS_TYPE), ("Atom", ".atom", ATOM_TYPE))
    ]


def human_date(moment: datetime) -> str:
    return f"{moment:%A}, {moment.day} {moment:%B %Y}"


def post_view(post: FloorPost) -> dict[str, Any]:
    return {
        "title": post.title,
        "url": post.url,
        "summary": post.summary,
        "author": None,
        "tags": [{"name": tag, "url": tag_url(tag)} for tag in post.tags],
        "comment_count": len(post.comments),
        "published_iso": post.published.isoformat(),
        "published_human": human_date(post.published),
    }


def comment_views(post: FloorPost) -> list[dict[str, Any]]:
    """The comments as a tree: replies below the comment they answer."""
    views = {each.id: comment_view(post, each) for each in post.comments}
    roots: list[dict[str, Any]] = []
    for each in post.comments:
        parent = views.get(each.in_reply_to) if each.in_reply_to else None
        (parent["replies"] if parent else roots).append(views[each.id])
    return roots


def comment_view(post: FloorPost, each: FloorComment) -> dict[str, Any]:
    return {
        "anchor": f"comment-{each.id}",
        "permalink": f"{post.url}#comment-{each.id}",
        "author": each.author,
        "content_html": each.html,
        "published_iso": each.published.isoformat(),
        "published_human": human_date(each.published),
        "replies": [],
    }


def post_page(post: FloorPost, newer: FloorPost | None, older: FloorPost | None) -> bytes:
    view = post_view(post)
    view["content_html"] = post.page_html
    own = [
        {"title": f"Comments on: {post.title} ({name})", "url": url, "media_type": kind}
        for name, url, kind in (
            ("RSS", f"{BASE_URL}posts/{post.slug}/comments.xml", RSS_TYPE),
            ("Atom", f"{BASE_URL}posts/{post.slug}/comments.atom", ATOM_TYPE),
        )
    ]
    return render(
        "post.html",
        description=post.summary,
        canonical_url=post.url,
        feeds=[*site_feeds(), *own, *tag_feeds(post.tags)],
        post=view,
        neighbours={"newer": link_to(newer), "older": link_to(older)},
        comments=comment_views(post),
    )


def link_to(post: FloorPost | None) -> dict[str, str] | None:
    return {"title": post.title, "url": post.url} if post else None


@dataclass(frozen=True)
class ListPage:
    path: str  # under the output folder
    number: int | None  # None: the first page
    posts: Sequence[FloorPost]
    newer: str | None
    older: str | None


def paginate(posts: Sequence[FloorPost], first: str, numbered: str) -> list[ListPage]:
    """`posts` newest first: the first page the newest 20, then pages numbered from the oldest
    (`numbered` is a pattern with {number})."""
    rest = posts[PAGE_SIZE:]
    count = -(-len(rest) // PAGE_SIZE)
    pages = [
        ListPage(
            first, None, posts[:PAGE_SIZE], None, numbered.format(number=count) if count else None
        )
    ]
    for number in range(count, 0, -1):
        start, end = max(len(rest) - number * PAGE_SIZE, 0), len(rest) - (number - 1) * PAGE_SIZE
        newer = numbered.format(number=number + 1) if number < count else first
        older = numbered.format(number=number - 1) if number > 1 else None
        pages.append(
            ListPage(numbered.format(number=number), number, rest[start:end], newer, older)
        )
    return pages


def list_page(page: ListPage, *, tag: str | None, feeds: list[FeedLink]) -> bytes:
    heading = tag or ""
    description = f"Posts tagged “{tag}” on {TITLE}" if tag else f"The posts of {TITLE}"
    view = {
        "heading": heading,
        "description": description,
        "canonical_url": BASE_URL + page.path,
        "newer_url": BASE_URL + page.newer if page.newer else None,
        "older_url": BASE_URL + page.older if page.older else None,
        "number": page.number,
        "tag": tag,
    }
    return render(
        "tag.html" if tag else "index.html",
        site_description="",
        description=description,
        canonical_url=view["canonical_url"],
        feeds=feeds,
        page=view,
        posts=[post_view(post) for post in page.posts],
    )


def not_found_page() -> bytes:
    return render(
        "404.html", description=f"The posts of {TITLE}", canonical_url=None, feeds=site_feeds()
    )


def render(template: str, **context: Any) -> bytes:
    site = {"site_title": TITLE, "language": "en", "home_url": BASE_URL}
    return ENVIRONMENT.get_template(template).render(**site, **context).encode("utf-8")


def sitemap(entries: Sequence[tuple[str, datetime]]) -> bytes:
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
    for url, modified in entries:
        item = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = url
        etree.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = modified.isoformat()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
