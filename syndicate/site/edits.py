"""A build after edits that change no list: render only the files that show the edited posts.

Most cron builds follow a small edit to a post's body: a typo fixed, a paragraph added. Such an
edit changes the post's own page and comment feeds, and the feeds and the archive page that
show the post (listing.py says which), and nothing else: no list of posts changes, so neither
the index, nor the archive pages, nor any other post's files. A full build finds that out by
loading every post; this one loads the edited posts and those that share a feed with them.

It is taken only when it is sure to write the same bytes as a full build, else the caller does
a full build: the same settings and post files as the last build (no file added, none removed),
at most MAX_EDITED of them changed, each still a post that every list shows as before (title,
date, tags, summary, comment times, warnings: all but its file's version), the output folder as
that build left it, no archive file (syncing own posts into it is a full build's work), every
file beside a post as that build copied it (assets.py), and every post needed still in the post
cache. tests/site/test_edits.py compares it with full builds.

No page that lists posts changes (pages.py: they show what the lists show), nor the sitemap;
an edited post's page names its neighbours as before (only a new title would change that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from syndicate.config import Settings
from syndicate.layout import Layout
from syndicate.lock import output_lock
from syndicate.model import Post
from syndicate.posts import cache_keys, importer_for, kept, parse_sized, post_files
from syndicate.posts.base import Parsed
from syndicate.posts.cache import PostCache
from syndicate.render.html import Neighbours
from syndicate.site import pages
from syndicate.site.assets import sources_as_left
from syndicate.site.backfeed import ArchiveView, own_posts_view
from syndicate.site.freshness import outputs_as_left, read_stamp, settings_key
from syndicate.site.history import Page, Paging
from syndicate.site.listing import (
    Listing,
    forget_listing,
    load_listing,
    manifest_key,
    save_listing,
)
from syndicate.site.plan import HISTORY_PAGE, SitePlan, finish
from syndicate.site.report import BuildReport
from syndicate.site.writer import WRITING, FileData, read_manifest_keys, write_site

MAX_EDITED = 16  # more edits than this at once: a full build costs about the same


def build_after_edits(
    settings: Settings,
    *,
    lock_held: bool = False,
    stamp_inputs: str = "",
    scanned: Sequence[tuple[str, int, int]] | None = None,
) -> BuildReport | None:
    """The build, when the posts changed since the last one are only edited (see above); else
    None, having written nothing. `scanned`: freshness.scan_inputs(settings.posts), if at hand."""
    listing = load_listing(settings.output)
    if listing is None or not _same_site(settings, listing):
        return None
    stamp = read_stamp(settings.output)
    if stamp is not None and stamp.scheduled:
        return None  # posts wait for their date: a full build decides what is due
    if not sources_as_left(listing.assets):
        return None  # a file beside a post changed: a full build copies it
    files = (
        post_files(settings.posts) if scanned is None else posts_in_scan(settings.posts, scanned)
    )
    edited = [
        file for file in files if listing.files.get(file[0], (None, None, None))[:2] != file[1:]
    ]
    if len(files) != len(listing.files) or not 0 < len(edited) <= MAX_EDITED:
        return None
    cache = PostCache(settings.timezone)
    try:
        if not cache.available:
            return None
        posts = _posts_to_show(settings, cache, listing, files, edited)
        if posts is None:
            return None
        with nullcontext() if lock_held else output_lock(settings.output):
            manifest = _manifest_as_left(settings.output, listing)
            if manifest is None:
                return None
            return _write(settings, cache, listing, manifest, posts, edited, stamp_inputs)
    finally:
        cache.close()


def posts_in_scan(
    folder: Path, scanned: Sequence[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """posts.post_files(folder) from freshness.scan_inputs(folder): the same files, named
    the same way, without a second walk of the folder (and, as it does, without the names
    that cannot be followed, which the scan lists with size -1)."""
    prefix = f"{folder}/"
    return [
        (prefix + rel, size, mtime)
        for rel, size, mtime in scanned
        if size >= 0 and importer_for(rel)
    ]


def _same_site(settings: Settings, listing: Listing) -> bool:
    errors = listing.report[2]
    return (
        listing.settings_key == settings_key(settings)
        and not settings.archive.exists()
        and not (settings.strict and errors)
    )


def _manifest_as_left(output: Path, listing: Listing) -> dict[str, str] | None:
    """The manifest's keys, when the output folder is as the build that saved the listing
    left it: its manifest, no build cut short since, and every file it wrote still there."""
    if manifest_key(output) != listing.manifest_key or (output / WRITING).exists():
        return None
    keys = read_manifest_keys(output)
    return keys if outputs_as_left(output, keys, read_stamp(output)) else None


def _posts_to_show(
    settings: Settings,
    cache: PostCache,
    listing: Listing,
    files: list[tuple[str, int, int]],
    edited: list[tuple[str, int, int]],
) -> dict[str, tuple[Post, bool]] | None:
    """slug -> (light post, edited) of the edited posts and of every post that shares a list
    with one; None when an edit changes what a list shows or a post is not in the cache."""
    key_of = cache_keys(settings.posts)
    posts: dict[str, tuple[Post, bool]] = {}
    for path, size, mtime_ns in edited:
        old_size, old_mtime, slug = listing.files[path]
        before = cache.entry(key_of(path))
        if slug is None or before is None or before[:2] != (old_size, old_mtime):
            return None
        parsed = parse_sized(Path(path), size, settings.zone, max_bytes=settings.max_post_bytes)
        now = kept(parsed, (path, size, mtime_ns), settings.zone, cache, key_of(path))
        if not _lists_alike(before[2], now):
            return None
        assert now.post is not None
        posts[slug] = (now.post, True)
    cache.commit()
    current = {path: (size, mtime_ns) for path, size, mtime_ns in files}
    path_of = {slug: path for path, (_, _, slug) in listing.files.items() if slug}
    for shown in listing.shown_with(set(posts)) - set(posts):
        file = path_of.get(shown)
        entry = cache.entry(key_of(file)) if file else None
        if file is None or entry is None or entry[:2] != current[file] or entry[2].post is None:
            return None
        posts[shown] = (entry[2].post, False)
    return posts


def _lists_alike(before: Parsed, now: Parsed) -> bool:
    """Whether a post, edited, shows in every list of posts (and in the report) as before."""
    if before.post is None or now.post is None or now.error is not None or now.post.draft:
        return False
    same_warnings = [str(w) for w in before.warnings] == [str(w) for w in now.warnings]
    return same_warnings and replace(before.post, digest="") == replace(now.post, digest="")


def _write(
    settings: Settings,
    cache: PostCache,
    listing: Listing,
    manifest: dict[str, str],
    posts: dict[str, tuple[Post, bool]],
    edited_files: list[tuple[str, int, int]],
    stamp_inputs: str,
) -> BuildReport:
    count, drafts, errors, warnings = listing.report
    report = BuildReport(
        posts=count, drafts=drafts, errors=list(errors), warnings=list(warnings), edits_only=True
    )
    shown = [post for post, _ in posts.values()]
    layout = Layout.for_settings(settings)
    feed_posts = [post for post in shown if not post.page]
    archive = own_posts_view(feed_posts, layout, limit=settings.archive_feed_limit, full=cache.full)
    edited = {slug for slug, (_, is_edited) in posts.items() if is_edited}
    plan = EditPlan(
        settings,
        shown,
        archive,
        full=cache.full,
        listing=listing,
        edited=edited,
        manifest=manifest,
    )
    forget_listing(settings.output)  # until this build has written all it will
    report.absorb(write_site(settings.output, plan))
    finish(settings, report, layout, stamp_inputs)
    for path, size, mtime_ns in edited_files:
        listing.files[path] = (size, mtime_ns, listing.files[path][2])
    listing.manifest_key = manifest_key(settings.output)
    save_listing(settings.output, listing)
    return report


class EditPlan(SitePlan):
    """The site's plan, made from the posts that share a list with an edited post: it renders
    the files that show an edited post, and keeps every other file of the last build."""

    def __init__(
        self,
        settings: Settings,
        posts: Sequence[Post],
        archive: ArchiveView,
        *,
        full: Callable[[Post], Post],
        listing: Listing,
        edited: set[str],
        manifest: dict[str, str],
    ) -> None:
        super().__init__(
            settings, posts, archive, full=full, title=listing.title, previous_keys=manifest
        )
        self.last = listing
        self.edited = edited
        self.keys = dict(self.previous_keys)

    def outputs(self) -> Iterator[tuple[str, FileData]]:
        produced = []
        for path, data in self._touched():
            produced.append(path)
            yield path, data
        self.keep = set(self.previous_keys) - set(produced)

    def _touched(self) -> Iterator[tuple[str, FileData]]:
        listing, edited = self.last, self.edited
        if edited.intersection(listing.newest):
            yield from self.site_feeds().items()
        if edited.intersection(listing.comment_posts):
            yield from self.site_comment_feeds().items()
        if edited.intersection(listing.archive):
            yield from self.archive_feeds().items()
        tags = [tag for tag, members in listing.tags.items() if edited.intersection(members)]
        yield from self.tag_feeds(tags).items()
        if listing.open_page and edited.intersection(listing.open_members):
            yield from self.render((HISTORY_PAGE, 0)).items()
        for post in self.posts_and_pages():
            if post.slug in edited and self.needs_render(post):
                yield from self.post_files(self.full(post), self.neighbours(post)).items()

    def neighbours(self, post: Post) -> Neighbours:
        """As the whole site orders them (the listing's order: they are among the posts)."""
        by_slug = {shown.slug: shown for shown in self.posts}
        newer, older = self.last.neighbours(post.slug)
        return Neighbours(
            pages.post_link(by_slug[newer] if newer else None, self),
            pages.post_link(by_slug[older] if older else None, self),
        )

    def tags(self) -> list[str]:
        return list(self.last.tags)  # spelled as the whole site spells them

    def assign_paging(self) -> Paging:
        """The feeds need the newest page's number; the open page's members are loaded only
        when an edited post is among them (and only then is the page rendered)."""
        listing, pages = self.last, []
        by_slug = {post.slug: post for post in self.posts}
        if listing.open_page:
            members = tuple(
                self.layout.post_id(by_slug[slug])
                for slug in listing.open_members
                if slug in by_slug
            )
            pages = [Page(listing.open_page, members, frozen=False, needs_render=True)]
        elif listing.newest_page:
            pages = [Page(listing.newest_page, (), frozen=True, needs_render=False)]
        return Paging(pages)
