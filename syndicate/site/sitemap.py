"""sitemap.xml: every page of the site for search engines (the index's pages, each post's and
each page of the site's with its last modification, each tag's pages; not the 404 page, nor a
post that waits for its date, which no list holds). Up to MAX_URLS it is one sitemap; beyond,
sitemap.xml is an index of sitemap-1.xml, sitemap-2.xml... beside it at the top of the site (a
sitemap may only list URLs below its own folder)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.model import Post
from syndicate.render import sitemap as render
from syndicate.render.sitemap import SitemapEntry, render_sitemap_index, render_urlset
from syndicate.site.pages import ListPage, index_pages, tag_pages

if TYPE_CHECKING:
    from syndicate.site.plan import SitePlan

SITEMAP = "sitemap.xml"


def part_path(number: int) -> str:
    return f"sitemap-{number}.xml"


def sitemap_outputs(plan: SitePlan) -> Iterator[tuple[str, bytes]]:
    """The sitemap file(s) whose URLs or dates changed since the last build."""
    yield from sitemap_files(plan, list(site_entries(plan)))


def sitemap_paths(entries: int) -> list[str]:
    """The sitemap's files for so many URLs."""
    if entries <= render.MAX_URLS:
        return [SITEMAP]
    return [SITEMAP, *(part_path(n) for n in range(1, -(-entries // render.MAX_URLS) + 1))]


def sitemap_files(plan: SitePlan, entries: list[SitemapEntry]) -> Iterator[tuple[str, bytes]]:
    """The sitemap file(s) of these entries (site_entries' order) that changed."""
    limit = render.MAX_URLS
    if len(entries) <= limit:
        yield from _file(plan, SITEMAP, entries, is_index=False)
        return
    parts = [entries[start : start + limit] for start in range(0, len(entries), limit)]
    listed = []
    for number, part in enumerate(parts, start=1):
        yield from _file(plan, part_path(number), part, is_index=False)
        listed.append((plan.layout.url(part_path(number)), _newest(part)))
    yield from _file(plan, SITEMAP, listed, is_index=True)


def site_entries(plan: SitePlan) -> Iterator[SitemapEntry]:
    url = plan.layout.url
    yield from _list_entries(plan, index_pages(plan))
    for post in plan.posts_and_pages():
        yield url(plan.layout.post_page(post)), post.last_modified
    for tag in plan.tags():
        yield from _list_entries(plan, tag_pages(plan, tag))


def _list_entries(plan: SitePlan, pages: Sequence[ListPage[Post]]) -> Iterator[SitemapEntry]:
    for page in pages:
        yield plan.layout.url(page.path), _last_modified(page.posts)


def _last_modified(posts: Sequence[Post]) -> datetime | None:
    return max((post.last_modified for post in posts), default=None)


def _newest(entries: Sequence[SitemapEntry]) -> datetime | None:
    return max((modified for _, modified in entries if modified is not None), default=None)


def _file(
    plan: SitePlan, path: str, entries: Sequence[SitemapEntry], *, is_index: bool
) -> Iterator[tuple[str, bytes]]:
    digest = hashlib.blake2b(f"{path}|{is_index}".encode(), digest_size=16)
    for url, modified in entries:  # an entry at a time: 50,000 of them make one long repr
        digest.update(f"{url}\0{modified.isoformat() if modified else ''}\n".encode())
    if plan.unchanged(path, plan.key_of("sitemap", digest.hexdigest())):
        return
    yield path, (render_sitemap_index if is_index else render_urlset)(entries)
