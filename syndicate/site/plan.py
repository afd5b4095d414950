"""Which files a build produces: posts in, a mapping of output paths to bytes out, then written.

This is the library entry point of `syndicate build`.
"""

from __future__ import annotations

import hashlib
import heapq
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

from syndicate import layout as paths
from syndicate.config import Settings
from syndicate.dates import build_now
from syndicate.errors import PostWarning
from syndicate.layout import Layout
from syndicate.lock import output_lock
from syndicate.model import Comment, Post, Show
from syndicate.posts import load_posts
from syndicate.posts.cache import PostCache
from syndicate.posts.schedule import scheduled
from syndicate.render.archive import article_dates, render_archive_feed, render_archive_json
from syndicate.render.feeds import (
    ATOM_TYPE,
    RSS_TYPE,
    FeedMeta,
    FeedRelation,
    latest_comment_date,
    render_comment_feed,
    render_post_feed,
)
from syndicate.render.html import FeedLink, Neighbours, SiteView, render_post_page
from syndicate.render.jsonfeed import render_json_feed
from syndicate.render.stylesheet import stylesheet_files
from syndicate.site import pages, redirects, sitemap, websub
from syndicate.site.assets import AssetCopier
from syndicate.site.backfeed import ArchiveView, read_archive, with_backfed_comments
from syndicate.site.bounds import BOUNDS_FILE, Bounds, bounds_bytes, load_bounds
from syndicate.site.comments import (
    comment_item,
    comment_items,
    comments_by_id,
    newest_date,
    page_threads,
)
from syndicate.site.freshness import settings_key, write_stamp
from syndicate.site.history import STATE_FILE, Page, Paging, assign_pages, load_state, state_bytes
from syndicate.site.listing import Entry, Listing, forget_listing, manifest_key, save_listing
from syndicate.site.permalinks import SITE_FILES, place_posts
from syndicate.site.report import BuildReport, stamp_of
from syndicate.site.writer import (
    FileData,
    checked_path,
    prepare_output,
    read_manifest_keys,
    write_bytes,
    write_site,
)
from syndicate.version import __version__
from syndicate.workers import has_worker_server, worker_pool

JSON_FEED_TYPE = "application/feed+json"
EMPTY_SITE_DATE = datetime(2000, 1, 1, tzinfo=UTC)  # a feed must have a date; an empty one has none
DEFAULT_TITLE = "syndicate"
COMMENT_FEED_LIMIT = 50
# The newest comments a listing keeps: a build after changes can drop those of the changed posts
# and still know the site's newest COMMENT_FEED_LIMIT (edits.py).
LISTED_COMMENTS = 2 * COMMENT_FEED_LIMIT
# A post's own comment feeds show its newest comments, up to this many (its page shows them
# all): 100,000 of them through feedgen took 1 GB and 16 s, and no reader wants such a feed.
POST_COMMENT_FEED_LIMIT = 1000


def build(settings: Settings, *, lock_held: bool = False, stamp_inputs: str = "") -> BuildReport:
    """Read every post, render every file, write what changed. Bad posts are reported, not fatal.

    Takes the output folder's lock unless the caller (publish) already holds it; with
    `stamp_inputs`, records what the build was made from (freshness.py) before letting go."""
    cache = PostCache(settings.timezone, posts=settings.posts)
    try:
        return _build(settings, cache, lock_held=lock_held, stamp_inputs=stamp_inputs)
    finally:
        cache.close()


def _build(
    settings: Settings, cache: PostCache, *, lock_held: bool, stamp_inputs: str
) -> BuildReport:
    loaded = load_posts(
        settings.posts, zone=settings.zone, cache=cache, max_post_bytes=settings.max_post_bytes
    )
    schedule = scheduled(loaded.posts, now=build_now(), future=settings.future)
    layout = Layout.for_settings(settings)
    placement = place_posts(schedule.due, layout)
    loaded.posts = placement.posts
    for refused in placement.errors:  # not a post of this build: no edit build may render it
        size, mtime_ns, _ = loaded.files[str(refused.path)]
        loaded.files[str(refused.path)] = (size, mtime_ns, None)
    report = BuildReport(
        scheduled=[(post.slug, post.published) for post in schedule.waiting],
        posts=len(loaded.posts),
        drafts=loaded.drafts,
        errors=[*loaded.errors, *placement.errors],
        warnings=list(loaded.warnings),
    )
    if settings.strict and loaded.errors:
        report.skipped_writing = True
        return report
    prepare_output(settings.output)
    with nullcontext() if lock_held else output_lock(settings.output):
        limit = settings.archive_feed_limit
        feed_posts = [post for post in loaded.posts if not post.page]
        archive = read_archive(settings, feed_posts, limit=limit, full=cache.full)
        posts = with_backfed_comments(loaded.posts, archive.backfed, layout)
        plan = SitePlan(settings, posts, archive, full=cache.full)
        forget_listing(settings.output)  # until this build has written all it will
        report.absorb(write_site(settings.output, plan))
        report.warnings += [*plan.assets.check.problems, *plan.problems]
        finish(settings, report, layout, stamp_inputs)
        if stamp_inputs and cache.available:  # a build after edits needs the cache's posts
            save_listing(settings.output, plan.listing(str(settings.posts), loaded.files, report))
    return report


def finish(settings: Settings, report: BuildReport, layout: Layout, stamp_inputs: str) -> None:
    """What every build does once the site is written: record the feeds that changed for the
    WebSub hub, and what the site was built from (freshness.py)."""
    if settings.hub:  # publish (now or later) tells the hub; see websub.py
        changed = websub.feed_paths(report.written)
        websub.record_changed(settings.output, [layout.url(path) for path in changed])
    if stamp_inputs:
        write_stamp(settings.output, stamp_of(report, stamp_inputs, settings))


class SitePlan:
    """Renders the site file by file (outputs() is a generator: a site of any size is never
    held in memory at once). A post's own files are not rendered again when nothing they
    show has changed since the last build: they are listed in `keep` instead."""

    def __init__(
        self,
        settings: Settings,
        posts: Sequence[Post],
        archive: ArchiveView | None = None,
        *,
        full: Callable[[Post], Post] = lambda post: post,
        title: str | None = None,
        previous_keys: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.archive = archive or ArchiveView()
        self.layout = Layout.for_settings(settings)
        ordered = sorted(posts, key=post_order, reverse=True)
        self.posts = [post for post in ordered if not post.page]  # what feeds and lists show
        self.pages = [post for post in ordered if post.page]  # pages of the site: their own alone
        self.full = full  # a post with its HTML (the loader may leave it out)
        self.output = settings.output
        self.keep: set[str] = set()  # produced by an earlier build and still right as it is
        self.keys: dict[str, str] = {}  # what each post file was rendered from (manifest)
        # The output's folder times as this build found them (files.folder_times), if read.
        self.folder_times: dict[str, int] | None = None
        self.previous_keys = (
            read_manifest_keys(settings.output) if previous_keys is None else previous_keys
        )
        self._paging: Paging | None = None
        self._kept_bounds: dict[str, Bounds] | None = None  # the last build's (bounds.py)
        self.bounds: dict[str, Bounds] = {}  # each list's, as this build cuts it
        self._list_pages: dict[str, list[pages.ListPage[Post]]] = {}
        self._by_id: dict[str, Post] | None = None
        self._tagged: dict[str, list[Post]] | None = None
        self._tags: list[str] | None = None
        self._positions: dict[str, int] | None = None
        self.assets = AssetCopier(self.output, self.layout)
        self.list_jobs: list[pages.ListJob] = []  # the pages of lists to render (outputs)
        self.comment_feed_posts: list[str] = []  # slugs, once site_comment_feeds has run
        self.problems: list[PostWarning] = []  # what the build could not do as asked
        self.title = title or settings.title or shared_site_name(ordered) or DEFAULT_TITLE
        self.author = settings.author or self.title
        self.home_url = settings.base_url
        self.context = site_context(settings, self.title, self.author)

    def outputs(self) -> Iterator[tuple[str, FileData]]:
        """Every file of the site as (path under the output folder, bytes or pieces of bytes),
        or (path, written) for those that a render worker wrote itself."""
        yield from self.site_feeds().items()
        yield from self.site_comment_feeds().items()
        yield from self.archive_feeds().items()
        yield STATE_FILE, state_bytes(self.paging().state)
        yield from self.tag_feeds().items()
        if self.settings.stylesheet:
            yield from stylesheet_files().items()
        yield from pages.not_found_outputs(self)
        yield from sitemap.sitemap_outputs(self)
        yield from redirects.redirect_outputs(self)  # the old WordPress feed URLs
        yield from self.assets.outputs(self.posts_and_pages(), self.unchanged, taken=self.taken())
        self.list_jobs = pages.list_page_jobs(self)  # the index's pages and the tags' (pages.py)
        yield BOUNDS_FILE, bounds_bytes(self.settings.page_size, self.bounds)
        list_work = [(LIST_PAGE, number) for number in range(len(self.list_jobs))]
        yield from self.rendered([*list_work, *self.history_work(), *self.post_work()])

    def site_view(self) -> SiteView:
        """What every page shows of the site."""
        url = self.layout.url
        return SiteView(
            self.title, self.settings.language, self.home_url, lambda t: url(pages.tag_page(t))
        )

    def posts_and_pages(self) -> list[Post]:
        return [*self.posts, *self.pages]

    def taken(self) -> set[str]:
        """The files that no copy of a file beside a post may replace: the site's, the posts'."""
        if not any(post.local_files for post in self.posts_and_pages()):
            return set()
        own = {file for post in self.posts_and_pages() for file in self.own_files(post)}
        return own | SITE_FILES

    def own_files(self, post: Post) -> tuple[str, str, str]:
        """The files of a post's own: its comment feeds and its page, under the output folder."""
        place = self.layout.place(post)
        return (place.comments_rss_file, place.comments_atom_file, place.page_file)

    def neighbours(self, post: Post) -> Neighbours:
        """The posts before and after `post` by date, which its page links to (a page of the
        site has none: it is in no list)."""
        if post.page:
            return Neighbours()
        if self._positions is None:
            self._positions = {listed.slug: n for n, listed in enumerate(self.posts)}
        return pages.neighbours_in(self.posts, self._positions[post.slug], self)

    def key_of(self, *material: object) -> str:
        """A digest of what a file is rendered from, with the site's context."""
        text = f"{self.context}|{material!r}".encode()
        return hashlib.blake2b(text, digest_size=16).hexdigest()

    def unchanged(self, *paths_and_key: str) -> bool:
        """Record `key` for the paths; True (and the paths kept) when the last build wrote them
        from the same key and they are still there."""
        *own, key = paths_and_key
        self.keys.update(dict.fromkeys(own, key))
        base = f"{self.output}/"
        if all(self.previous_keys.get(path) == key for path in own) and all(
            os.path.isfile(base + path) for path in own
        ):
            self.keep.update(own)
            return True
        return False

    def rendered(self, work: list[Work]) -> Iterator[tuple[str, FileData]]:
        """The files of every list page, archive page and post that needs rendering; on every
        core when there are many (a first build renders a page of the index and an archive
        page per 20 posts, a tag's pages, and three files a post), written by the workers."""
        workers = min(os.cpu_count() or 1, 8)
        if len(work) < PARALLEL_RENDER_FROM or workers < 2 or not has_worker_server():
            for unit in work:
                yield from self.render(unit).items()
            return
        with worker_pool(
            workers,
            initializer=_start_render_worker,
            initargs=(self.settings, self.title, not self.previous_keys),
        ) as pool:
            chunks = _render_chunks(self, work)
            for batch in _chunks(chunks, RENDER_BATCH // RENDER_CHUNK):  # bounded: written as
                # they come. A worker is not a fork of this process (workers.py): each unit goes
                # with its archive page or its post's neighbours, and the posts it shows, pickled.
                items = [
                    [(unit, self.unit_setting(unit), self.unit_posts(unit)) for unit in chunk]
                    for chunk in batch
                ]
                for written in pool.map(_render_in_worker, items):
                    yield from written

    def render(
        self, unit: Work, posts: Sequence[Post] | None = None, setting: Setting | None = None
    ) -> dict[str, bytes]:
        """The files of one unit of work; `posts` (unit_posts) and `setting` (unit_setting):
        what it shows, when given."""
        posts = self.unit_posts(unit) if posts is None else posts
        setting = self.unit_setting(unit) if setting is None else setting
        if isinstance(setting, Page):
            return self.history_page_files(setting, posts)
        if isinstance(setting, pages.ListJob):
            return pages.render_job(self, setting, posts)
        return self.post_files(self.full(posts[0]), setting)

    def unit_setting(self, unit: Work) -> Setting:
        """An archive page's place in the history; a list page's place in its list; a post's
        neighbours."""
        kind, number = unit
        if kind == HISTORY_PAGE:
            return self.paging().pages[number]
        if kind == LIST_PAGE:
            return self.list_jobs[number]
        if kind == PAGE:
            return Neighbours()
        return self.neighbours(self.posts[number])

    def unit_posts(self, unit: Work) -> tuple[Post, ...]:
        kind, number = unit
        if kind == LIST_PAGE:
            return self.list_jobs[number].posts
        if kind == HISTORY_PAGE:
            if self._by_id is None:
                self._by_id = {self.layout.post_id(post): post for post in self.posts}
            return tuple(self._by_id[member] for member in self.paging().pages[number].members)
        if kind == PAGE:
            return (self.pages[number],)
        return (self.posts[number],)

    def post_work(self) -> list[Work]:
        posts = [(POST, index) for index, post in enumerate(self.posts) if self.needs_render(post)]
        pages = [(PAGE, index) for index, page in enumerate(self.pages) if self.needs_render(page)]
        return [*posts, *pages]

    def needs_render(self, post: Post) -> bool:
        """False (and its files kept) when a post's files are still as the last build wrote them."""
        own = self.own_files(post)
        return not self.unchanged(*own, post_key(self.context, post, self.neighbours(post)))

    def site_feeds(self) -> dict[str, bytes]:
        newest_page = self.paging().newest_page
        listed = self.posts[: self.settings.feed_limit]
        key = self.key_of([feed_identity(post) for post in listed], newest_page)
        if self.unchanged(paths.SITE_RSS, paths.SITE_ATOM, paths.SITE_JSON, key):
            return {}
        newest = [self.full(post) for post in listed]
        history = (self.history_link("prev-archive", newest_page),) if newest_page else ()
        meta = self.meta(
            self.title,
            self.settings.description,
            self.home_url,
            paths.SITE_RSS,
            paths.SITE_ATOM,
            max((post.last_modified for post in newest), default=EMPTY_SITE_DATE),
            history,
        )
        full = self.settings.full_content
        feed = render_post_feed(meta, newest, self.layout, full_content=full)
        json_url = self.layout.url(paths.SITE_JSON)
        return {
            paths.SITE_RSS: feed.rss,
            paths.SITE_ATOM: feed.atom,
            paths.SITE_JSON: render_json_feed(
                meta, json_url, newest, self.layout, full_content=full
            ),
        }

    def newest_comments(self) -> list[tuple[float, str, int, Post]]:
        """The site comment feeds' comments as (when, post slug, position, post), newest first
        by (time, post, position): the order comment_items gives within a post; an undated
        comment counts as of its post. A loaded post has its comments' times only: the
        comments come with the full post."""
        return heapq.nlargest(
            COMMENT_FEED_LIMIT,
            comment_candidates(self.posts_and_pages(), post_of=lambda post: post),
            key=lambda candidate: candidate[:3],
        )

    def site_comment_feeds(self) -> dict[str, bytes]:
        newest = self.newest_comments()
        self.comment_feed_posts = list(dict.fromkeys(post.slug for *_, post in newest))
        # Each post shown loaded once, however many of its comments are listed: a post with
        # 100k comments was read from the cache and unpickled again for each of its 50 items.
        shown: dict[str, tuple[Post, dict[str, Comment]]] = {}
        for *_, post in newest:
            if post.slug not in shown:
                full = self.full(post)
                shown[post.slug] = (full, comments_by_id(full))
        items = [
            comment_item(full, full.comments[index], by_id)
            for _, _, index, post in newest
            for full, by_id in (shown[post.slug],)
        ]
        material = [(it.post.digest, it.comment.id, it.comment.via) for it in items]
        if self.unchanged(paths.COMMENTS_RSS, paths.COMMENTS_ATOM, self.key_of(material)):
            return {}
        meta = self.meta(
            f"Comments for {self.title}",
            f"The newest comments on {self.title}",
            self.home_url,
            paths.COMMENTS_RSS,
            paths.COMMENTS_ATOM,
            newest_date(items) or EMPTY_SITE_DATE,
        )
        feed = render_comment_feed(meta, items, self.layout, name_the_post=True)
        return {paths.COMMENTS_RSS: feed.rss, paths.COMMENTS_ATOM: feed.atom}

    def post_files(self, post: Post, neighbours: Neighbours | None = None) -> dict[str, bytes]:
        """A post's page and comment feeds; `neighbours`: its page's links to the posts
        before and after it (worked out from the plan's posts when not given)."""
        layout = self.layout
        neighbours = self.neighbours(post) if neighbours is None else neighbours
        place = layout.place(post)
        page_url = layout.url(place.page)
        items = comment_items(post, limit=POST_COMMENT_FEED_LIMIT)
        updated = max(post.last_modified, latest_comment_date(post) or post.last_modified)
        meta = self.meta(
            f"Comments on: {post.title}",
            f"Comments on “{post.title}”",
            page_url,
            place.comments_rss,
            place.comments_atom,
            updated,
        )
        feed = render_comment_feed(meta, items, layout, name_the_post=False)
        post_feeds = [
            FeedLink(f"Comments on: {post.title} (RSS)", meta.rss_url, RSS_TYPE),
            FeedLink(f"Comments on: {post.title} (Atom)", meta.atom_url, ATOM_TYPE),
        ]
        tag_feeds = [] if post.page else self.tag_feed_links(post.tags)  # a page is in no tag
        page = render_post_page(
            site=self.site_view(),
            post=page_threads(post),
            layout=layout,
            feeds=[*self.site_feed_links(), *post_feeds, *tag_feeds],
            neighbours=neighbours,
            embed_hosts=self.settings.embed_hosts,
        )
        return {
            place.comments_rss_file: feed.rss,
            place.comments_atom_file: feed.atom,
            place.page_file: page,
        }

    def archive_feeds(self) -> dict[str, bytes]:
        """Every article with all its copies: ours and those found on the sites we follow."""
        articles = self.archive.articles[: self.settings.archive_feed_limit]
        if self.archive.key and self.unchanged(
            paths.ARCHIVE_RSS,
            paths.ARCHIVE_ATOM,
            paths.ARCHIVE_JSON,
            self.key_of(self.archive.key, articles),
        ):
            return {}
        dates = [d for a in articles for d in article_dates(a) if d]
        updated = max(dates, default=EMPTY_SITE_DATE)
        meta = self.meta(
            f"{self.title}: archive",
            f"Articles of {self.title} with every copy of each",
            self.home_url,
            paths.ARCHIVE_RSS,
            paths.ARCHIVE_ATOM,
            updated,
        )
        feed = render_archive_feed(meta, articles, self.archive.texts)
        json_url = self.layout.url(paths.ARCHIVE_JSON)
        return {
            paths.ARCHIVE_RSS: feed.rss,
            paths.ARCHIVE_ATOM: feed.atom,
            paths.ARCHIVE_JSON: render_archive_json(meta, json_url, articles, self.archive.texts),
        }

    def listing(
        self, folder: str, files: dict[str, tuple[int, int, str | None]], report: BuildReport
    ) -> Listing:
        """What this build listed where, for a build after a few changes (listing.py, edits.py);
        call it once the site is written."""
        paging = self.paging()
        open_page = paging.pages[-1] if paging.pages and not paging.pages[-1].frozen else None
        everything = self.posts_and_pages()
        comments = [
            (when, slug, i)
            for when, slug, i, _ in heapq.nlargest(
                LISTED_COMMENTS,
                comment_candidates(everything, post_of=lambda post: None),
                key=lambda candidate: candidate[:3],
            )
        ]
        spellings: Counter[str] = Counter()
        for post in self.posts:
            spellings.update(list(dict.fromkeys(post.tags)))
        return Listing(
            settings_key=settings_key(self.settings),
            manifest_key=manifest_key(self.output),
            folder=folder,
            files=files,
            entries={post.slug: post_entry(post, self.layout, folder) for post in everything},
            order=[post.slug for post in self.posts],
            open_page=(open_page.number, open_page.members) if open_page else None,
            comments=comments,
            comment_candidates=sum(post.comment_count for post in everything),
            spellings=dict(spellings),
            default_places=all(self.layout.is_default(post) for post in everything),
            assets=self.assets.check.sources,
            title=self.title,
            report=(report.posts, report.drafts, list(report.errors), list(report.warnings)),
        )

    # -- RFC 5005 archived feed (see history.py) ------------------------------------------------

    def paging(self) -> Paging:
        """The archived pages, worked out once a build (`assign_paging`)."""
        if self._paging is None:
            self._paging = self.assign_paging()
        return self._paging

    def assign_paging(self) -> Paging:
        """Every post's archived page, from the pages the last builds froze (history.py)."""
        newest = self.posts[: self.settings.feed_limit]
        oldest_first = [self.layout.post_id(post) for post in reversed(self.posts)]
        existing = {
            number
            for number in range(1, len(oldest_first) // self.settings.feed_limit + 2)
            if (self.output / paths.history_page(number, ".xml")).is_file()
            and (self.output / paths.history_page(number, ".atom")).is_file()
        }
        return assign_pages(
            load_state(self.output),
            oldest_first,
            {self.layout.post_id(post) for post in newest},
            page_size=self.settings.feed_limit,
            existing_files=existing,
        )

    def history_link(self, rel: str, number: int) -> FeedRelation:
        return FeedRelation(
            rel,
            self.layout.url(paths.history_page(number, ".xml")),
            self.layout.url(paths.history_page(number, ".atom")),
        )

    def history_work(self) -> list[Work]:
        """The archive pages to render; a frozen page already written is kept as it is."""
        work: list[Work] = []
        for position, page in enumerate(self.paging().pages):
            if page.needs_render:
                work.append((HISTORY_PAGE, position))
            else:
                self.keep.update(paths.history_page(page.number, ext) for ext in (".xml", ".atom"))
        return work

    def history_page_files(self, page: Page, members: Sequence[Post]) -> dict[str, bytes]:
        rss_path = paths.history_page(page.number, ".xml")
        atom_path = paths.history_page(page.number, ".atom")
        posts = sorted((self.full(post) for post in members), key=post_order, reverse=True)
        links: tuple[FeedRelation, ...] = (
            FeedRelation(
                "current", self.layout.url(paths.SITE_RSS), self.layout.url(paths.SITE_ATOM)
            ),
        )
        if page.number > 1:
            links += (self.history_link("prev-archive", page.number - 1),)
        label = "archive page" if page.frozen else "newest archive page"
        meta = self.meta(
            f"{self.title} ({label} {page.number})",
            self.settings.description,
            self.home_url,
            rss_path,
            atom_path,
            max(p.last_modified for p in posts),
            links,
            is_archive_page=page.frozen,
        )
        feed = render_post_feed(meta, posts, self.layout, full_content=self.settings.full_content)
        return {rss_path: feed.rss, atom_path: feed.atom}

    # -- list pages (pages.py), cut where the last build cut them (bounds.py) --------------------

    def list_pages(
        self, name: str, posts: Sequence[Post], path_of: Callable[[pages.PageNumber], str]
    ) -> list[pages.ListPage[Post]]:
        """The pages of the list `name` (bounds.INDEX, bounds.tag_list), worked out once."""
        if name not in self._list_pages:
            if self._kept_bounds is None:
                kept = load_bounds(self.output, self.settings.page_size)
                self._kept_bounds = {} if kept is None else kept
            size, bounds = self.settings.page_size, self._kept_bounds.get(name)
            listed, self.bounds[name] = pages.paginate(posts, size, path_of, post_order, bounds)
            self._list_pages[name] = listed
        return self._list_pages[name]

    # -- tag feeds --------------------------------------------------------------------------------

    def tags(self) -> list[str]:
        """One spelling per tag (the first in sorted order), in a stable order."""
        if self._tags is None:
            spellings: dict[str, str] = {}
            for tag in sorted({tag for post in self.posts for tag in post.tags}):
                spellings.setdefault(paths.tag_key(tag), tag)
            self._tags = sorted(spellings.values(), key=paths.tag_key)
        return self._tags

    def tagged(self, tag: str) -> list[Post]:
        if self._tagged is None:  # one pass over the posts for every tag: {tag key: newest first}
            self._tagged = {}
            for post in self.posts:
                for key in dict.fromkeys(paths.tag_key(t) for t in post.tags):
                    self._tagged.setdefault(key, []).append(post)
        return self._tagged.get(paths.tag_key(tag), [])

    def tag_feeds(self, only: Sequence[str] | None = None) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        for tag in self.tags() if only is None else only:
            listed = self.tagged(tag)[: self.settings.feed_limit]
            rss_path, atom_path = paths.tag_feed(tag, ".xml"), paths.tag_feed(tag, ".atom")
            key = self.key_of(tag, [feed_identity(post) for post in listed])
            if self.unchanged(rss_path, atom_path, key):
                continue
            posts = [self.full(post) for post in listed]
            meta = self.meta(
                f"{self.title}: {tag}",
                f"Posts tagged “{tag}” on {self.title}",
                self.home_url,
                rss_path,
                atom_path,
                max(post.last_modified for post in posts),
            )
            feed = render_post_feed(
                meta, posts, self.layout, full_content=self.settings.full_content
            )
            files[rss_path], files[atom_path] = feed.rss, feed.atom
        return files

    def tag_feed_links(self, tags: Sequence[str]) -> list[FeedLink]:
        """The feeds of `tags`, each tag's pair made once a build: every post's page and the
        index name them, and a tag's path takes a slug (half the links' cost was slugify)."""
        made: dict[str, tuple[FeedLink, FeedLink]] = self.__dict__.setdefault("_tag_links", {})
        unique = {paths.tag_key(tag): tag for tag in reversed(tags)}  # first spelling wins
        links: list[FeedLink] = []
        for key in sorted(unique):
            tag = unique[key]
            if tag not in made:
                url = self.layout.url
                made[tag] = (
                    FeedLink(
                        f"{self.title}: {tag} (RSS)", url(paths.tag_feed(tag, ".xml")), RSS_TYPE
                    ),
                    FeedLink(
                        f"{self.title}: {tag} (Atom)", url(paths.tag_feed(tag, ".atom")), ATOM_TYPE
                    ),
                )
            links += made[tag]
        return links

    def site_feed_links(self) -> list[FeedLink]:
        """The site's own feeds, which every page names: made once a build."""
        made: list[FeedLink] | None = self.__dict__.get("_site_links")
        if made is not None:
            return list(made)
        url = self.layout.url
        made = self.__dict__["_site_links"] = [
            FeedLink(f"{self.title} (RSS)", url(paths.SITE_RSS), RSS_TYPE),
            FeedLink(f"{self.title} (Atom)", url(paths.SITE_ATOM), ATOM_TYPE),
            FeedLink(f"{self.title} (JSON Feed)", url(paths.SITE_JSON), JSON_FEED_TYPE),
            FeedLink(f"Comments for {self.title} (RSS)", url(paths.COMMENTS_RSS), RSS_TYPE),
            FeedLink(f"Comments for {self.title} (Atom)", url(paths.COMMENTS_ATOM), ATOM_TYPE),
            FeedLink(f"{self.title}: archive (RSS)", url(paths.ARCHIVE_RSS), RSS_TYPE),
            FeedLink(f"{self.title}: archive (Atom)", url(paths.ARCHIVE_ATOM), ATOM_TYPE),
            FeedLink(f"{self.title}: archive (JSON Feed)", url(paths.ARCHIVE_JSON), JSON_FEED_TYPE),
        ]
        return list(made)

    def meta(
        self,
        title: str,
        description: str,
        home_url: str,
        rss_path: str,
        atom_path: str,
        updated: datetime,
        links: Sequence[FeedRelation] = (),
        *,
        is_archive_page: bool = False,
    ) -> FeedMeta:
        """Every feed's self-description; each names the WebSub hub when there is one."""
        hub = self.settings.hub
        hub_links = (FeedRelation("hub", hub, hub),) if hub else ()
        # Root-relative: browsers apply an XSL only from the feed's own origin, whatever host.
        base_path = urlsplit(self.settings.base_url).path
        stylesheet = base_path + paths.STYLESHEET if self.settings.stylesheet else None
        return FeedMeta(
            title=title,
            description=description or title,
            home_url=home_url,
            rss_url=self.layout.url(rss_path),
            atom_url=self.layout.url(atom_path),
            updated=updated,
            language=self.settings.language,
            author=self.author,
            extra_links=(*hub_links, *links),
            is_archive_page=is_archive_page,
            schedule_minutes=self.settings.interval,
            stylesheet_url=stylesheet,
            embed_hosts=self.settings.embed_hosts,
            show=podcast_show(self.settings, self.layout),
        )


PARALLEL_RENDER_FROM = 200  # fewer units (pages, posts) than this: workers cost more than they save
RENDER_BATCH = 2000  # units in flight at once, so rendered files never pile up in memory
RENDER_CHUNK = 50  # units a worker takes at a time
_WORKER_PLAN: SitePlan | None = None  # in a render worker: the site's plan, without posts
_WORKER_FIRST_BUILD = False  # in a render worker: no file of the site was listed before
_WORKER_FULL: Callable[[Post], Post] | None = None  # in a render worker: PostCache.full
HISTORY_PAGE, LIST_PAGE, POST, PAGE = "history page", "list page", "post", "page"
T = TypeVar("T")
P = TypeVar("P")
# (HISTORY_PAGE, position in paging().pages), (LIST_PAGE, position in list_jobs), (POST,
# index in posts) or (PAGE, index in pages)
Work = tuple[str, int]
Setting = Page | pages.ListJob | Neighbours  # what else than its posts a unit shows


def _start_render_worker(settings: Settings, title: str, first_build: bool) -> None:
    """In a render worker: the plan's settings and title, and its own post cache connection.
    On a `first_build` (no manifest: every file is new) files are written unread."""
    global _WORKER_PLAN, _WORKER_FIRST_BUILD, _WORKER_FULL
    full = _WORKER_FULL = PostCache(settings.timezone, posts=settings.posts).full
    _WORKER_PLAN = SitePlan(settings, (), full=full, title=title, previous_keys={})
    _WORKER_FIRST_BUILD = first_build


def _render_in_worker(
    work: list[tuple[Work, Setting, tuple[Post, ...]]],
) -> list[tuple[str, bool]]:
    """Render and write a chunk of pages' and posts' files in the worker (writing is half the
    work of a first build); the parent learns which files changed."""
    plan = _WORKER_PLAN
    assert plan is not None and _WORKER_FULL is not None
    plan.full = _loaded_once(_WORKER_FULL)  # a post shown by two units of the chunk
    written = []
    for unit, setting, posts in work:
        for path, data in plan.render(unit, posts, setting).items():
            target = plan.output / checked_path(path)
            written.append((path, write_bytes(target, data, listed=not _WORKER_FIRST_BUILD)))
    return written


def _loaded_once(full: Callable[[Post], Post]) -> Callable[[Post], Post]:
    """`full` for one chunk of units: a post (the same object, in one chunk's pickle) that
    its page and its archive page both show is fetched once."""
    loaded: dict[int, tuple[Post, Post]] = {}  # id -> (the post, kept so the id is not reused)

    def full_once(post: Post) -> Post:
        if id(post) not in loaded:
            loaded[id(post)] = (post, full(post))
        return loaded[id(post)][1]

    return full_once


def _render_chunks(plan: SitePlan, work: list[Work]) -> list[list[Work]]:
    """The units in the chunks a worker takes: each archive page with its posts' own units,
    so that the worker loads each of those posts from the cache once for both."""
    position = {plan.layout.post_id(post): n for n, post in enumerate(plan.posts)}
    alone = {number for kind, number in work if kind == POST}
    groups: list[list[Work]] = []
    for kind, number in work:
        if kind != HISTORY_PAGE:
            continue
        members = (position.get(member) for member in plan.paging().pages[number].members)
        own = [(POST, n) for n in members if n is not None and n in alone]
        alone.difference_update(n for _, n in own)
        groups.append([*own, (kind, number)])
    rest = [
        [unit] for unit in work if unit[0] != HISTORY_PAGE and (unit[0] != POST or unit[1] in alone)
    ]
    chunks: list[list[Work]] = [[]]
    for group in [*rest, *groups]:
        if len(chunks[-1]) >= RENDER_CHUNK:
            chunks.append([])
        chunks[-1] += group
    return [chunk for chunk in chunks if chunk]


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def site_context(settings: Settings, title: str, author: str) -> str:
    """Everything besides a post that its own files show: the version and the settings."""
    ignored = {"posts", "output", "archive", "jobs", "strict"}
    shown = {k: v for k, v in sorted(asdict(settings).items()) if k not in ignored}
    return f"{__version__}|{title}|{author}|{shown!r}"


def post_key(context: str, post: Post, neighbours: Neighbours) -> str:
    """What a post's page and comment feeds were rendered from: the site, the post file's
    version, the comments backfed from elsewhere (which are not in the file), and the posts
    before and after it, which its page links to."""
    backfed = [(c.id, c.author, c.published, c.content_html, c.via) for c in post.comments if c.via]
    shown = (neighbours.newer, neighbours.older)
    links = [(link.title, link.url) if link else None for link in shown]  # faster than repr
    material = f"{context}|{post.digest}|{backfed!r}|{links!r}".encode()
    return hashlib.blake2b(material, digest_size=16).hexdigest()


def comment_candidates(
    posts: Sequence[Post], *, post_of: Callable[[Post], P]
) -> Iterator[tuple[float, str, int, P]]:
    """Every comment as (when, post slug, position, post_of(post)): an undated one counts as
    of its post."""
    for post in posts:  # as WordPress's, with the pages' comments
        if post.comment_count:
            fallback, shown = post.last_modified.timestamp(), post_of(post)
            for i, when in enumerate(post.comment_times()):
                yield (fallback if when is None else when, post.slug, i, shown)


def post_entry(post: Post, layout: Layout, folder: str) -> Entry:
    """What the lists show of a post (listing.Entry); `folder`: the posts folder as named."""
    return Entry(
        file=post.source[len(folder) + 1 :],
        order=post_order(post),
        post_id=layout.post_id(post),
        own_id=post.id,
        title=post.title,
        last_modified=post.last_modified,
        tag_keys=tuple(dict.fromkeys(paths.tag_key(tag) for tag in post.tags)),
        spellings=tuple(dict.fromkeys(post.tags)),
        listed=pages.listed(post),
        comments=post.comment_count,
        site_name=post.site_name,
        page=post.page,
        local_files=bool(post.local_files),
    )


def post_order(post: Post) -> tuple[float, str]:
    return (post.published.timestamp(), post.slug)  # floats compare faster than aware datetimes


def feed_identity(post: Post) -> tuple[object, ...]:
    """What a post contributes to a feed of posts: its file's version, and its comment count
    and newest comment (backfed comments are not in the file)."""
    times = [time for time in post.comment_times() if time is not None]
    return (post.digest, post.comment_count, max(times, default=None))


def podcast_show(settings: Settings, layout: Layout) -> Show | None:
    """The [podcast] settings as a feed carries them; None when the site is not a podcast."""
    if not settings.is_podcast:
        return None
    image = settings.podcast_image
    return Show(
        author=settings.podcast_author,
        owner=settings.podcast_owner,
        email=settings.podcast_email,
        image=urljoin(layout.base_url, image) if image else None,
        categories=settings.podcast_categories,
        explicit=settings.podcast_explicit,
        show_type=settings.podcast_type,
    )


def shared_site_name(posts: Sequence[Post]) -> str | None:
    """When every post names the same site (as exports do), that name is the default title."""
    names = Counter(post.site_name for post in posts)
    if len(names) == 1:
        (name,) = names
        return name
    return None
