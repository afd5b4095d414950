"""The pages that list posts: the index and its older pages, and a page (or several) per tag;
the 404 page; and each post's neighbours by date, which its page links to.

Numbering. The first page of a list (index.html, tags/<slug>.html) shows the newest
`page_size` posts. The posts older than those fill numbered pages counted from the oldest:
page/1.html holds the oldest `page_size` posts, page/2.html the next, and the newest numbered
page, just older than the first page, holds what is left (fewer, perhaps); so a list is cut
when nothing is kept, and as the pages grow (bounds.py keeps where each begins). So a new post
changes the first page and the newest numbered page only, and an old page keeps its URL and
its posts for good (as RFC 5005's archive pages do, history.py): a link to page/3.html still
shows what it showed, and a cron run that publishes one post rewrites two pages, not every
page as WordPress's newest-first numbering (page 2 is always "the next 20") would. Within a
page posts are newest first; rel="prev" leads to newer posts and rel="next" to older ones.

Each numbered page begins where the last build into the folder began it (bounds.py): a post
deleted, or published late with an old date, changes its own page (one post fewer, or one
more) and no other; within and across pages the posts stay in date order.

Each page is rendered again only when what it shows changed (SitePlan.unchanged): a post
edited, retitled or given a comment re-renders the pages that list it and no other. The pages
to render are units of the plan's work, rendered on every core as the posts' pages are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Generic, TypeVar

from syndicate import layout as paths
from syndicate.model import Post
from syndicate.render.html import (
    FeedLink,
    ListView,
    Neighbours,
    PostLink,
    render_list_page,
    render_not_found_page,
)
from syndicate.site.bounds import INDEX, Bounds, Key, numbered_groups, tag_list

if TYPE_CHECKING:
    from syndicate.site.plan import SitePlan

NOT_FOUND_PAGE = "404.html"
T = TypeVar("T")
PageNumber = int | None  # None: the first page of a list


def index_page(number: PageNumber = None) -> str:
    """The index (None) or its older page `number` (1 is the oldest)."""
    return paths.INDEX_PAGE if number is None else f"page/{number}.html"


@lru_cache(maxsize=4096)  # a tag's name is made a slug once, not on every page that links it
def tag_page(tag: str, number: PageNumber = None) -> str:
    """tags/<slug>.html beside the tag's feeds, and its older pages in tags/<slug>/page/."""
    return paths.tag_feed(tag, ".html" if number is None else f"/page/{number}.html")


@dataclass(frozen=True)
class ListPage(Generic[T]):
    """One page of a list of posts (or of their slugs): its file, its number, its posts (newest
    first), and the files of the pages of newer and of older posts."""

    path: str
    number: PageNumber
    posts: Sequence[T]
    newer: str | None
    older: str | None


def paginate(
    posts: Sequence[T],
    page_size: int,
    path_of: Callable[[PageNumber], str],
    key: Callable[[T], Key],
    bounds: Bounds | None = None,
) -> tuple[list[ListPage[T]], Bounds]:
    """A list (`posts` newest first, `key` their plan.post_order) in pages, the first page
    first, then the numbered pages from the newest (see the numbering above), cut at the
    `bounds` the last build kept (bounds.py); with the bounds to keep for the next."""
    rest = posts[page_size:]
    groups, kept = numbered_groups(rest[::-1], page_size, key, bounds)
    count = len(groups)
    older_than_first = path_of(count) if count else None
    pages = [ListPage(path_of(None), None, posts[:page_size], None, older_than_first)]
    for number in range(count, 0, -1):
        newer = path_of(number + 1 if number < count else None)
        older = path_of(number - 1) if number > 1 else None
        members = groups[number - 1][::-1]  # newest first within a page
        pages.append(ListPage(path_of(number), number, members, newer, older))
    return pages, kept


def listed(post: Post) -> str:
    """A digest of what a list shows of a post: a page is rendered again when it changes."""
    shown = (
        post.slug,
        post.title,
        post.published.isoformat(),  # its date and zone as shown (faster than its repr)
        post.author,
        post.summary,
        post.tags,
        post.comment_count,
    )
    return hashlib.blake2b(repr(shown).encode(), digest_size=12).hexdigest()


def index_pages(plan: SitePlan) -> list[ListPage[Post]]:
    return plan.list_pages(INDEX, plan.posts, index_page)


def tag_pages(plan: SitePlan, tag: str) -> list[ListPage[Post]]:
    return plan.list_pages(
        tag_list(paths.tag_key(tag)), plan.tagged(tag), lambda n: tag_page(tag, n)
    )


@dataclass(frozen=True)
class ListJob:
    """A page of a list to render (in a render worker, perhaps: it is pickled with its posts)."""

    path: str
    view: ListView
    feeds: tuple[FeedLink, ...]
    posts: tuple[Post, ...]


def list_page_jobs(plan: SitePlan) -> list[ListJob]:
    """The index's pages, then every tag's, those whose posts changed since the last build."""
    shown = {post.slug: listed(post) for post in plan.posts}  # once a post, on all its pages
    feeds = ListFeeds(plan)
    jobs = [index_job(plan, page, shown, feeds) for page in index_pages(plan)]
    for tag in plan.tags():
        jobs += [tag_job(plan, tag, page, shown, feeds) for page in tag_pages(plan, tag)]
    return [job for job in jobs if job is not None]


def index_job(
    plan: SitePlan, page: ListPage[Post], shown: Mapping[str, str], feeds: ListFeeds
) -> ListJob | None:
    """A page of the index to render (None: kept); `shown`: slug -> listed(post)."""
    description = plan.settings.description or f"The posts of {plan.title}"
    links = feeds.site if page.number else feeds.home  # the first page names every tag's feeds
    return _job(plan, page, shown, "", description, None, links)


def tag_job(
    plan: SitePlan, tag: str, page: ListPage[Post], shown: Mapping[str, str], feeds: ListFeeds
) -> ListJob | None:
    """A page of a tag's list to render (None: kept)."""
    description = f"Posts tagged “{tag}” on {plan.title}"
    return _job(plan, page, shown, tag, description, tag, feeds.of_tag(tag))


class Feeds:
    """The feeds a list's pages advertise, with their digest worked out once for them all."""

    def __init__(self, links: tuple[FeedLink, ...]) -> None:
        self.links = links
        self.key = hashlib.blake2b(repr(links).encode(), digest_size=16).hexdigest()


class ListFeeds:
    """The feeds each list advertises: the site's; on the index's first page, every tag's
    too; on a tag's pages, the tag's first."""

    def __init__(self, plan: SitePlan) -> None:
        self.plan = plan
        self.site = Feeds(tuple(plan.site_feed_links()))
        self.home = Feeds((*self.site.links, *plan.tag_feed_links(plan.tags())))
        self.tags: dict[str, Feeds] = {}

    def of_tag(self, tag: str) -> Feeds:
        if tag not in self.tags:
            self.tags[tag] = Feeds((*self.plan.tag_feed_links([tag]), *self.site.links))
        return self.tags[tag]


def _job(
    plan: SitePlan,
    page: ListPage[Post],
    shown: Mapping[str, str],
    heading: str,
    description: str,
    tag: str | None,
    feeds: Feeds,
) -> ListJob | None:
    """The page to render, or None (and the page kept) when it shows what it showed."""
    url = plan.layout.url
    view = ListView(
        heading=heading,
        description=description,
        canonical_url=url(page.path),
        newer_url=url(page.newer) if page.newer else None,
        older_url=url(page.older) if page.older else None,
        number=page.number,
        tag=tag,
    )
    key = plan.key_of("list page", view, feeds.key, [shown[post.slug] for post in page.posts])
    if plan.unchanged(page.path, key):
        return None
    return ListJob(page.path, view, feeds.links, tuple(page.posts))


def render_job(plan: SitePlan, job: ListJob, posts: Sequence[Post]) -> dict[str, bytes]:
    page = render_list_page(
        site=plan.site_view(),
        description=plan.settings.description,
        page=job.view,
        posts=posts,
        layout=plan.layout,
        feeds=job.feeds,
    )
    return {job.path: page}


def not_found_outputs(plan: SitePlan) -> Iterator[tuple[str, bytes]]:
    """404.html: the site's title, a link home and the site's feeds."""
    feeds = plan.site_feed_links()
    description = plan.settings.description or f"The posts of {plan.title}"
    if plan.unchanged(NOT_FOUND_PAGE, plan.key_of("not found", description, feeds)):
        return
    page = render_not_found_page(site=plan.site_view(), description=description, feeds=feeds)
    yield NOT_FOUND_PAGE, page


def post_link(post: Post | None, plan: SitePlan) -> PostLink | None:
    if post is None:
        return None
    return PostLink(post.title, plan.layout.url(plan.layout.post_page(post)))


def neighbours_in(posts: Sequence[Post], position: int, plan: SitePlan) -> Neighbours:
    """The neighbours of `posts[position]` in a list of posts newest first."""
    newer = posts[position - 1] if position > 0 else None
    older = posts[position + 1] if position + 1 < len(posts) else None
    return Neighbours(post_link(newer, plan), post_link(older, plan))
