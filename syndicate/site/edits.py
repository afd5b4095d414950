"""A build after a few posts changed: render only the files that show them.

Most cron builds follow a small change: a typo fixed, a comment added, a post published, one
retitled, retagged, redated or deleted. The listing (listing.py) says where every post sat in
every list at the last build; the change is applied to it (the changed files parsed, the
others left in the post cache), which gives the new lists: the order of the posts, each tag's
posts, the RFC 5005 pages, the newest comments. Then only the files that show a changed post,
or whose list changed, are rendered, each with just the posts it shows loaded: the feeds that
list a changed post, the pages of the index and of the tags that hold one or whose posts moved,
the changed posts' own files and those of their neighbours before and after (each page links
to them), the archive pages that changed, the sitemap when an address or a date did. Every
other file of the last build is kept. A change's cost follows what it touches, not the site's
size.

It is taken only when it is sure to write the same bytes as a full build, else the caller does
a full build (tests/site/test_edits.py compares the two after every kind of change): the same
settings and folders (however their paths are spelled), at most MAX_CHANGED post files
added, edited or removed, each new version a post that publishes as it is (no error, no
warning, not a draft, not waiting for its date, at posts/<slug>/, no file beside it, its slug
as before), the site's title and its tags' spellings as before, the output folder as that
build left it, no archive file (syncing own posts into it is a full build's work), no WordPress
redirects, every file beside a post as that build copied it (assets.py), and every post needed
still in the post cache.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from syndicate import layout as paths
from syndicate.config import Settings
from syndicate.dates import build_now
from syndicate.files import MANIFEST
from syndicate.layout import Layout
from syndicate.lock import output_lock
from syndicate.model import Post
from syndicate.posts import cache_keys, importer_for, kept, parse_sized, post_files
from syndicate.posts.base import Parsed
from syndicate.posts.cache import PostCache
from syndicate.render.html import Neighbours
from syndicate.render.sitemap import SitemapEntry
from syndicate.site import pages, sitemap
from syndicate.site.assets import sources_as_left
from syndicate.site.backfeed import own_posts_view
from syndicate.site.bounds import BOUNDS_FILE, INDEX, Bounds, bounds_bytes, load_bounds, tag_list
from syndicate.site.freshness import output_folders_as_left, read_stamp, settings_key
from syndicate.site.history import STATE_FILE, Paging, assign_pages, load_state, state_bytes
from syndicate.site.listing import (
    Comment,
    Entry,
    Listing,
    forget_listing,
    load_listing,
    manifest_digest,
    manifest_key,
    save_listing,
)
from syndicate.site.pages import ListPage, index_page, tag_page
from syndicate.site.plan import (
    COMMENT_FEED_LIMIT,
    DEFAULT_TITLE,
    HISTORY_PAGE,
    LIST_PAGE,
    LISTED_COMMENTS,
    PAGE,
    POST,
    SitePlan,
    Work,
    comment_candidates,
    finish,
    post_entry,
)
from syndicate.site.redirects import import_record
from syndicate.site.report import BuildReport
from syndicate.site.writer import WRITING, FileData, write_site

MAX_CHANGED = 16  # more changed files than this at once: a full build costs about the same

File = tuple[str, int, int]  # (path as the loader names it, size, mtime_ns)


class Unsure(Exception):
    """A change this build cannot be sure to render as a full build would."""


def build_after_edits(
    settings: Settings,
    *,
    lock_held: bool = False,
    stamp_inputs: str = "",
    scanned: Sequence[tuple[str, int, int]] | None = None,
) -> BuildReport | None:
    """The build, when only a few posts changed since the last one (see above); else None,
    having written nothing. `scanned`: freshness.scan_inputs(settings.posts), if at hand."""
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
    cache = PostCache(settings.timezone, posts=settings.posts)
    try:
        if not cache.available:
            return None
        with nullcontext() if lock_held else output_lock(settings.output):
            as_left = _manifest_as_left(settings.output, listing)
            if as_left is None:
                return None
            manifest, folder_times = as_left
            try:
                change = Change.worked_out(settings, cache, listing, files, manifest)
                if change is None:
                    return None
                posts = change.load(cache)
            except Unsure:
                return None
            plan = TargetedPlan(settings, posts, cache, change, manifest, folder_times)
            return _write(settings, listing, change, plan, stamp_inputs)
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


def only_edits_in_place(settings: Settings, listing: Listing) -> bool:
    """Whether only edits that every list shows as before can be rendered alone: on a site
    whose posts have addresses of their own (a permalink pattern, a post's url) or that
    redirects WordPress's addresses (redirects.py), an address may move or clash."""
    return (
        not listing.default_places
        or bool(settings.permalink)
        or import_record(settings.posts) is not None
    )


def _manifest_as_left(
    output: Path, listing: Listing
) -> tuple[dict[str, str], dict[str, int]] | None:
    """The manifest's keys and the output's folder times, when the output folder is as the
    build that saved the listing left it: its manifest, no build cut short since, and every
    file it wrote still there. The manifest is read once, and not checked path by path: it
    is, byte for byte (its digest), the one that build wrote."""
    try:
        data = (output / MANIFEST).read_bytes()
    except OSError:
        return None
    if manifest_digest(data) != listing.manifest_key or (output / WRITING).exists():
        return None
    keys: dict[str, str] = json.loads(data)
    times = output_folders_as_left(output, keys, read_stamp(output))
    return None if times is None else (keys, times)


# -- the change, applied to the listing ---------------------------------------------------------


@dataclass
class Change:
    """The site after the change, as far as the lists go, and what of it must be rendered."""

    settings: Settings
    listing: Listing
    layout: Layout
    manifest: dict[str, str]
    now: dict[str, File]  # every post file, by its name under the posts folder
    changed: dict[str, Post]  # slug -> the new version of an edited or added post
    removed: set[str]  # slugs of the posts whose files are gone
    entries: dict[str, Entry]  # slug -> entry, after the change
    order: list[str]  # every post's slug, newest first, after the change
    spellings: Counter[str]
    comments: list[Comment] = field(default_factory=list)  # the new listing's
    comment_total: int = 0
    paging: Paging = field(default_factory=lambda: Paging([]))
    members: dict[str, list[str]] = field(default_factory=dict)  # tag key -> slugs, newest first
    tags: list[str] = field(default_factory=list)  # one spelling per tag, as SitePlan.tags
    tag_feeds: list[str] = field(default_factory=list)  # the tags whose feeds may change
    bounds: dict[str, Bounds] = field(default_factory=dict)  # each list's (bounds.py), after
    index_pages: list[ListPage[str]] = field(default_factory=list)  # to render (or keep)
    tag_pages: list[tuple[str, ListPage[str]]] = field(default_factory=list)
    history: list[int] = field(default_factory=list)  # positions in paging.pages to render
    post_candidates: set[str] = field(default_factory=set)  # posts whose files may change
    tags_changed: bool = False  # a tag came or went (the index's first page names them all)
    sitemap: list[SitemapEntry] | None = None  # the new sitemap's entries, when it may change
    vanished: set[str] = field(default_factory=set)  # files of the last build that go
    needed: set[str] = field(default_factory=set)  # slugs of the posts the files above show
    _positions: dict[str, int] | None = None
    _cut: dict[str, list[ListPage[str]]] = field(default_factory=dict)  # a list's pages, now

    @classmethod
    def worked_out(
        cls,
        settings: Settings,
        cache: PostCache,
        listing: Listing,
        files: list[File],
        manifest: dict[str, str],
    ) -> Change | None:
        """The change since the listing's build; None when nothing changed; Unsure raised when
        a full build must decide."""
        before = listing.relative_files()
        cut = len(str(settings.posts)) + 1
        now = {path[cut:]: (path, size, mtime) for path, size, mtime in files}
        edited = [now[rel] for rel in now if rel in before and before[rel][:2] != now[rel][1:]]
        added = [now[rel] for rel in now if rel not in before]
        removed = [rel for rel in before if rel not in now]
        if not 0 < len(edited) + len(added) + len(removed) <= MAX_CHANGED:
            return None
        _, _, errors, warnings = listing.report
        if (errors or warnings) and listing.folder != str(settings.posts):
            raise Unsure  # the report names files as the last build's folder did
        layout = Layout.for_settings(settings)
        change = cls(
            settings=settings,
            listing=listing,
            layout=layout,
            manifest=manifest,
            now=now,
            changed={},
            removed=set(),
            entries=dict(listing.entries),
            order=[],
            spellings=Counter(listing.spellings),
        )
        reported = {
            str(problem.path)[len(listing.folder) + 1 :] for problem in (*errors, *warnings)
        }
        change.bounds = _kept_bounds(settings, listing)
        change.take_files(cache, before, edited, added, removed, reported)
        change.work_out_lists()
        return change

    # -- the posts ------------------------------------------------------------------------------

    def take_files(
        self,
        cache: PostCache,
        before: dict[str, tuple[int, int, str | None]],
        edited: list[File],
        added: list[File],
        removed: list[str],
        reported: set[str],
    ) -> None:
        key_of = cache_keys(self.settings.posts)
        for rel in removed:
            slug = before[rel][2]
            if slug is None or rel in reported:
                raise Unsure  # a draft's or a broken file's: the report changes
            gone = self.entries.pop(slug)
            if gone.local_files:
                raise Unsure
            self.removed.add(slug)
            self._forget_spellings(gone)
        in_place = only_edits_in_place(self.settings, self.listing)
        if in_place and (added or removed):
            raise Unsure
        for file in edited:
            rel = file[0][len(str(self.settings.posts)) + 1 :]
            slug = before[rel][2]
            if slug is None or rel in reported:
                raise Unsure
            last = cache.entry(key_of(file[0]))
            post = self._publishable(cache, key_of, file, any_place=in_place)
            if post.slug != slug or not _same_files_beside(last, post):
                raise Unsure
            if in_place and not _shown_as_before(last, before[rel], post):
                raise Unsure
            self._forget_spellings(self.entries.pop(slug))
            self.changed[slug] = post
        for file in added:
            if file[0][len(str(self.settings.posts)) + 1 :] in reported:
                raise Unsure  # mended (a link that led nowhere): the report changes
            post = self._publishable(cache, key_of, file)
            if post.local_files or post.slug in self.entries or post.slug in self.changed:
                raise Unsure  # a slug taken: the full build names the clash
            self.changed[post.slug] = post
        cache.commit()
        self._check_own_ids()
        folder = str(self.settings.posts)
        for slug, post in self.changed.items():
            self.entries[slug] = post_entry(post, self.layout, folder)
            if not post.page:
                self.spellings.update(list(dict.fromkeys(post.tags)))
        self.spellings = +self.spellings  # no tag spelled by no post
        self._check_title()

    def _publishable(
        self,
        cache: PostCache,
        key_of: Callable[[str], str],
        file: File,
        *,
        any_place: bool = False,
    ) -> Post:
        """The post a changed file holds, when it publishes as it is (at posts/<slug>/ unless
        `any_place`)."""
        path, size, _ = file
        settings = self.settings
        parsed = parse_sized(Path(path), size, settings.zone, max_bytes=settings.max_post_bytes)
        parsed = kept(parsed, file, settings.zone, cache, key_of(path))
        post = parsed.post
        if parsed.error is not None or parsed.warnings or post is None or post.draft:
            raise Unsure
        if not (any_place or self.layout.is_default(post)):
            raise Unsure
        if not settings.future and post.published > build_now():
            raise Unsure  # it waits for its date: a full build schedules it
        return post

    def _forget_spellings(self, entry: Entry) -> None:
        if not entry.page:
            self.spellings.subtract(entry.spellings)

    def _check_own_ids(self) -> None:
        ids = [post.id for post in self.changed.values() if post.id]
        if not ids:
            return
        taken = {entry.own_id for entry in self.entries.values() if entry.own_id}
        if len(set(ids)) != len(ids) or taken.intersection(ids):
            raise Unsure  # two posts with one id: the full build refuses one

    def _check_title(self) -> None:
        if self.settings.title:
            return
        names = Counter(entry.site_name for entry in self.entries.values())
        shared = next(iter(names)) if len(names) == 1 else None
        if (shared or DEFAULT_TITLE) != self.listing.title:
            raise Unsure  # the site's title comes from its posts, and it changes

    # -- the lists ------------------------------------------------------------------------------

    def work_out_lists(self) -> None:
        old = self.listing
        moved = set(self.changed) | self.removed
        oldest = [slug for slug in reversed(old.order) if slug not in moved]
        entries = self.entries
        for slug, post in self.changed.items():
            if not post.page:
                bisect.insort(oldest, slug, key=lambda s: entries[s].order)
        self.order = oldest[::-1]
        self._work_out_tags()
        self._work_out_comments(moved)
        self._work_out_paging()
        self._work_out_list_pages()
        self._work_out_posts(moved)
        if self._sitemap_may_change():
            self.sitemap = self._sitemap_entries()
            old_parts = {path for path in self.manifest if _is_sitemap(path)}
            self.vanished |= old_parts - set(sitemap.sitemap_paths(len(self.sitemap)))
        self.needed |= set(self.order[: max(self.settings.feed_limit, self.feed_archive_limit)])

    @property
    def feed_archive_limit(self) -> int:
        return self.settings.archive_feed_limit

    def _affected_tag_keys(self) -> set[str]:
        keys: set[str] = set()
        for slug in self.removed | set(self.changed):
            before = self.listing.entries.get(slug)
            if before is not None and not before.page:
                keys.update(before.tag_keys)
        for post in self.changed.values():
            if not post.page:
                keys.update(self.entries[post.slug].tag_keys)
        return keys

    def _work_out_tags(self) -> None:
        before, now = spelled_tags(self.listing.spellings), spelled_tags(self.spellings)
        if any(now[key] != spelled for key, spelled in before.items() if key in now):
            raise Unsure  # a tag spelled anew on every page that names it
        self.tags = sorted(now.values(), key=paths.tag_key)
        affected = self._affected_tag_keys()
        old_members = tag_members(self.listing.order, self.listing.entries, affected)
        self.members = tag_members(self.order, self.entries, affected)
        limit = self.settings.feed_limit
        for key in sorted(affected):
            if key in now:
                self.tag_feeds.append(now[key])
                self.needed.update(self.members[key][:limit])
            else:
                self.vanished |= {paths.tag_feed(before[key], ext) for ext in (".xml", ".atom")}
            kept = self.bounds.pop(tag_list(key), None)
            old_pages = self._tag_pages(before.get(key), old_members.get(key, []), kept, old=True)
            new_pages = self._tag_pages(now.get(key), self.members.get(key, []), kept)
            for page in self._pages_to_check(old_pages, new_pages, first_too=False):
                self.tag_pages.append((now[key], page))
        self.tags_changed = set(before) != set(now)

    def _pages_to_check(
        self, before: list[ListPage[str]], now: list[ListPage[str]], *, first_too: bool
    ) -> list[ListPage[str]]:
        """The pages of a list that may show something new: a changed post, other posts, other
        links to the pages beside them. The pages that are no more vanish."""
        old = {page.path: page for page in before}
        self.vanished |= set(old) - {page.path for page in now}
        changed = set(self.changed)
        chosen = []
        for page in now:
            last = old.get(page.path)
            if (
                last is None
                or (last.posts, last.newer, last.older) != (page.posts, page.newer, page.older)
                or changed.intersection(page.posts)
                or (first_too and page.number is None)
            ):
                chosen.append(page)
                self.needed.update(page.posts)
        return chosen

    def _work_out_list_pages(self) -> None:
        kept = self.bounds[INDEX]
        before = self._pages(INDEX, self.listing.order, index_page, kept, old=True)
        now = self._pages(INDEX, self.order, index_page, kept)
        self.index_pages = self._pages_to_check(before, now, first_too=self.tags_changed)

    def _tag_pages(
        self, tag: str | None, members: list[str], kept: Bounds | None, *, old: bool = False
    ) -> list[ListPage[str]]:
        """A tag's pages; none for a tag that is not (or was not) on the site."""
        if tag is None:
            return []
        return self._pages(tag_list(paths.tag_key(tag)), members, _tag_path(tag), kept, old=old)

    def _pages(
        self,
        name: str,
        members: list[str],
        path_of: Callable[[pages.PageNumber], str],
        kept: Bounds | None,
        *,
        old: bool = False,
    ) -> list[ListPage[str]]:
        """The list `name` cut at the last build's bounds `kept`: as that build cut it (`old`,
        from the entries as they were), or as this one does (its bounds and pages recorded)."""
        order = self._old_order if old else self._order
        listed, bounds = pages.paginate(members, self.settings.page_size, path_of, order, kept)
        if not old:
            self.bounds[name], self._cut[name] = bounds, listed
        return listed

    def _old_order(self, slug: str) -> tuple[float, str]:
        return self.listing.entries[slug].order

    def _order(self, slug: str) -> tuple[float, str]:
        return self.entries[slug].order

    def _work_out_comments(self, moved: set[str]) -> None:
        """The site's newest comments: the listing's less the changed posts', and theirs now.
        The listing holds only the newest LISTED_COMMENTS: every comment not in it is older
        than its last, so that what is left of it above that line, with the changed posts'
        comments above it, is exactly the site's newest; short of COMMENT_FEED_LIMIT of them,
        a full build must count."""
        old = self.listing
        complete = old.comment_candidates <= len(old.comments)
        line = None if complete or not old.comments else old.comments[-1]
        fresh = (
            (when, slug, i)
            for when, slug, i, _ in comment_candidates(
                list(self.changed.values()), post_of=_nothing
            )
        )
        kept = [comment for comment in old.comments if comment[1] not in moved]
        merged = sorted((*kept, *(c for c in fresh if line is None or c > line)), reverse=True)
        if line is not None and len(merged) < COMMENT_FEED_LIMIT:
            raise Unsure
        self.comments = merged[:LISTED_COMMENTS]
        lost = sum(old.entries[slug].comments for slug in moved if slug in old.entries)
        gained = sum(post.comment_count for post in self.changed.values())
        self.comment_total = old.comment_candidates - lost + gained
        self.needed.update(slug for _, slug, _ in self.comments[:COMMENT_FEED_LIMIT])

    def _work_out_paging(self) -> None:
        """The RFC 5005 pages as a full build assigns them (history.py); the archive pages to
        render: new or changed frozen ones, and the open page when its posts changed."""
        limit, entries = self.settings.feed_limit, self.entries
        ids_oldest_first = [entries[slug].post_id for slug in reversed(self.order)]
        existing = {
            number
            for number in range(1, len(ids_oldest_first) // limit + 2)
            if all(paths.history_page(number, ext) in self.manifest for ext in (".xml", ".atom"))
        }
        self.paging = assign_pages(
            load_state(self.settings.output),
            ids_oldest_first,
            {entries[slug].post_id for slug in self.order[:limit]},
            page_size=limit,
            existing_files=existing,
        )
        changed_ids = {entries[slug].post_id for slug in self.changed if slug in entries}
        slug_of: dict[str, str] | None = None
        for position, page in enumerate(self.paging.pages):
            if not page.needs_render:
                continue
            as_before = self.listing.open_page == (page.number, page.members)
            if not page.frozen and as_before and not changed_ids.intersection(page.members):
                continue  # the open page shows what it showed
            self.history.append(position)
            if slug_of is None:
                slug_of = {entries[slug].post_id: slug for slug in self.order}
            self.needed.update(slug_of[member] for member in page.members)
        numbers = {page.number for page in self.paging.pages}
        for path in self.manifest:
            number = _history_number(path)
            if number is not None and number not in numbers:
                self.vanished.add(path)

    def _work_out_posts(self, moved: set[str]) -> None:
        """The posts whose own files may change: the changed ones, and the neighbours each had
        and has (a post's page links to the posts before and after it)."""
        candidates = set(self.changed)
        for slug in moved:
            if slug in self.listing.entries and not self.listing.entries[slug].page:
                candidates.update(_beside(self.listing.order, self.listing.order.index(slug)))
        for slug, post in self.changed.items():
            if not post.page:
                candidates.update(_beside(self.order, self.position(slug)))
        self.post_candidates = {slug for slug in candidates if slug in self.entries}
        for slug in self.post_candidates:
            self.needed.add(slug)
            if not self.entries[slug].page:
                self.needed.update(n for n in self.neighbours(slug) if n)
        for slug in self.removed:
            prefix = f"posts/{slug}/"
            self.vanished |= {path for path in self.manifest if path.startswith(prefix)}

    def position(self, slug: str) -> int:
        if self._positions is None:
            self._positions = {listed: n for n, listed in enumerate(self.order)}
        return self._positions[slug]

    def neighbours(self, slug: str) -> tuple[str | None, str | None]:
        """The slugs of the posts just newer and just older than `slug`, after the change."""
        at = self.position(slug)
        newer = self.order[at - 1] if at > 0 else None
        older = self.order[at + 1] if at + 1 < len(self.order) else None
        return newer, older

    # -- the sitemap ----------------------------------------------------------------------------

    def _sitemap_may_change(self) -> bool:
        """Whether an address or a date of the sitemap may differ: a post added or removed,
        or one with another date, time of change or tags (the tag pages it is on)."""
        if self.removed or any(slug not in self.listing.entries for slug in self.changed):
            return True
        for slug in self.changed:
            old, new = self.listing.entries[slug], self.entries[slug]
            if (old.order, old.last_modified, old.tag_keys) != (
                new.order,
                new.last_modified,
                new.tag_keys,
            ):
                return True
        return False

    def _sitemap_entries(self) -> list[SitemapEntry]:
        """sitemap.site_entries, from the entries: the index's pages, every post and page of
        the site, every tag's pages."""
        url, entries = self.layout.url, self.entries

        def of_list(listed: Iterable[ListPage[str]]) -> Iterator[SitemapEntry]:
            for page in listed:
                dates = [entries[slug].last_modified for slug in page.posts]
                yield url(page.path), max(dates, default=None)

        found = list(of_list(self._list(self.order, index_page, INDEX)))
        site_pages = sorted(
            (slug for slug, entry in entries.items() if entry.page),
            key=lambda slug: entries[slug].order,
            reverse=True,
        )
        for slug in (*self.order, *site_pages):
            found.append((url(f"posts/{slug}/{paths.INDEX_PAGE}"), entries[slug].last_modified))
        every_tag = tag_members(self.order, entries, None)
        for tag in self.tags:
            key = paths.tag_key(tag)
            found.extend(of_list(self._list(every_tag[key], _tag_path(tag), tag_list(key))))
        return found

    def _list(
        self, members: list[str], path_of: Callable[[pages.PageNumber], str], name: str
    ) -> list[ListPage[str]]:
        """A list's pages as this build cuts them: those worked out already, else cut at its
        bounds (which give themselves again: an unaffected tag's are the last build's)."""
        if name not in self._cut:
            self._pages(name, members, path_of, self.bounds.get(name))
        return self._cut[name]

    # -- the posts to load ----------------------------------------------------------------------

    def load(self, cache: PostCache) -> list[Post]:
        """The (light) posts the files to render show: the changed ones as parsed, the others
        from the post cache, each as the file it came from is now."""
        key_of = cache_keys(self.settings.posts)
        prefix = f"{self.settings.posts}/"
        posts = list(self.changed.values())
        for slug in self.needed - set(self.changed):
            entry = self.entries[slug]
            _, size, mtime_ns = self.now[entry.file]
            cached = cache.entry(key_of(prefix + entry.file))
            if cached is None or cached[:2] != (size, mtime_ns) or cached[2].post is None:
                raise Unsure  # the cache lost it: a full build reads it again
            posts.append(cached[2].post)
        return posts

    def new_listing(self, report: BuildReport, output: Path) -> Listing:
        slug_of = {entry.file: slug for slug, entry in self.entries.items()}
        files = {
            path: (size, mtime_ns, slug_of.get(rel))  # None: a draft's or a broken file's
            for rel, (path, size, mtime_ns) in self.now.items()
        }
        pages_now = self.paging.pages
        open_page = pages_now[-1] if pages_now and not pages_now[-1].frozen else None
        return replace(
            self.listing,
            manifest_key=manifest_key(output),
            folder=str(self.settings.posts),
            files=files,
            entries=self.entries,
            order=self.order,
            open_page=(open_page.number, open_page.members) if open_page else None,
            comments=self.comments,
            comment_candidates=self.comment_total,
            spellings=dict(self.spellings),
            report=(report.posts, report.drafts, list(report.errors), list(report.warnings)),
        )


def _same_files_beside(last: tuple[int, int, Parsed] | None, post: Post) -> bool:
    """Whether an edited post has the files beside it that it had (copied as they were: the
    caller checked that none changed), or none."""
    if not post.local_files:
        return True
    before = last[2].post if last is not None else None
    return before is not None and before.local_files == post.local_files


def _shown_as_before(
    last: tuple[int, int, Parsed] | None, listed: tuple[int, int, str | None], post: Post
) -> bool:
    """Whether an edited post (`last`: the cache's entry of its file before the edit, `listed`
    the listing's) shows in every list, at every address, as before: all but its version."""
    if last is None or last[:2] != listed[:2] or last[2].post is None or last[2].warnings:
        return False
    return replace(last[2].post, digest="") == replace(post, digest="")


def spelled_tags(spellings: dict[str, int] | Counter[str]) -> dict[str, str]:
    """Tag key -> the spelling every list gives it (SitePlan.tags: the first in sorted order)."""
    chosen: dict[str, str] = {}
    for tag in sorted(tag for tag, count in spellings.items() if count > 0):
        chosen.setdefault(paths.tag_key(tag), tag)
    return chosen


def tag_members(
    order: Sequence[str], entries: dict[str, Entry], keys: set[str] | None
) -> dict[str, list[str]]:
    """Tag key -> the slugs of its posts, newest first, for the tags `keys` (None: all)."""
    members: dict[str, list[str]] = {} if keys is None else {key: [] for key in keys}
    for slug in order:
        for key in entries[slug].tag_keys:
            if keys is None:
                members.setdefault(key, []).append(slug)
            elif key in members:
                members[key].append(slug)
    return members


def _kept_bounds(settings: Settings, listing: Listing) -> dict[str, Bounds]:
    """Where the last build began the numbered pages of each list (bounds.py); Unsure when
    it left no record of them all (the folder was last built by an older syndicate)."""
    kept = load_bounds(settings.output, settings.page_size)
    names = {INDEX, *(tag_list(key) for key in spelled_tags(listing.spellings))}
    if kept is None or not names <= kept.keys():
        raise Unsure
    return {name: bounds for name, bounds in kept.items() if name in names}


def _tag_path(tag: str) -> Callable[[pages.PageNumber], str]:
    return lambda number: tag_page(tag, number)


def _nothing(post: Post) -> None:
    return None


def _beside(order: Sequence[str], at: int) -> list[str]:
    return [order[n] for n in (at - 1, at + 1) if 0 <= n < len(order)]


def _is_sitemap(path: str) -> bool:
    return path == sitemap.SITEMAP or (
        path.startswith("sitemap-") and path.endswith(".xml") and "/" not in path
    )


_HISTORY_PAGE = re.compile(r"history/(\d+)\.(?:xml|atom)")  # layout.history_page


def _history_number(path: str) -> int | None:
    found = _HISTORY_PAGE.fullmatch(path)
    return int(found.group(1)) if found else None


# -- rendering and writing ----------------------------------------------------------------------


def _write(
    settings: Settings, listing: Listing, change: Change, plan: TargetedPlan, stamp_inputs: str
) -> BuildReport:
    count, drafts, errors, warnings = listing.report
    added = sum(1 for slug in change.changed if slug not in listing.entries)
    report = BuildReport(
        posts=count + added - len(change.removed),
        drafts=drafts,
        errors=list(errors),
        warnings=list(warnings),
        edits_only=True,
    )
    forget_listing(settings.output)  # until this build has written all it will
    report.absorb(write_site(settings.output, plan))
    finish(settings, report, change.layout, stamp_inputs)
    save_listing(settings.output, change.new_listing(report, settings.output))
    return report


class TargetedPlan(SitePlan):
    """The site's plan, made from the posts that the files to render show: it renders those
    files (Change says which) and keeps every other file of the last build."""

    def __init__(
        self,
        settings: Settings,
        posts: Sequence[Post],
        cache: PostCache,
        change: Change,
        manifest: dict[str, str],
        folder_times: dict[str, int],
    ) -> None:
        feed_posts = [post for post in posts if not post.page]
        limit = settings.archive_feed_limit
        super().__init__(
            settings,
            posts,
            own_posts_view(feed_posts, change.layout, limit=limit, full=cache.full),
            full=cache.full,
            title=change.listing.title,
            previous_keys=manifest,
        )
        self.folder_times = folder_times
        self.change = change
        self.keys = {}  # of the files rendered; with every other as the manifest has it (outputs)
        self.loaded = {post.slug: post for post in self.posts_and_pages()}

    def outputs(self) -> Iterator[tuple[str, FileData]]:
        produced = set()
        for path, data in self._touched():
            produced.add(path)
            yield path, data
        # Every file of the last build is kept but those rendered and those gone; the manifest
        # becomes this build's in place (a copy, and the sets made on the way, took 30 MB at
        # 100k posts). The writer finds the files gone as those it lists that no build keeps.
        keep = set(self.previous_keys)
        keep.difference_update(produced)
        keep.difference_update(self.change.vanished)
        self.keep = keep
        self.previous_keys.update(self.keys)
        self.keys = self.previous_keys

    def _touched(self) -> Iterator[tuple[str, FileData]]:
        change = self.change
        yield from self.site_feeds().items()
        yield from self.site_comment_feeds().items()
        yield from self.archive_feeds().items()
        yield STATE_FILE, state_bytes(self.paging().state)
        yield BOUNDS_FILE, bounds_bytes(self.settings.page_size, change.bounds)
        yield from self.tag_feeds(change.tag_feeds).items()
        if change.sitemap is not None:
            yield from sitemap.sitemap_files(self, change.sitemap)
        self.list_jobs = self._list_jobs()
        work: list[Work] = [(LIST_PAGE, number) for number in range(len(self.list_jobs))]
        work += [(HISTORY_PAGE, position) for position in change.history]
        candidates = change.post_candidates
        work += [
            (POST, index)
            for index, post in enumerate(self.posts)
            if post.slug in candidates and self.needs_render(post)
        ]
        work += [
            (PAGE, index)
            for index, page in enumerate(self.pages)
            if page.slug in candidates and self.needs_render(page)
        ]
        yield from self.rendered(work)

    def _list_jobs(self) -> list[pages.ListJob]:
        change, feeds = self.change, pages.ListFeeds(self)
        shown = {
            slug: entry.listed for slug, entry in change.entries.items() if slug in self.loaded
        }
        jobs = [
            pages.index_job(self, self._posts_of(page), shown, feeds) for page in change.index_pages
        ]
        jobs += [
            pages.tag_job(self, tag, self._posts_of(page), shown, feeds)
            for tag, page in change.tag_pages
        ]
        return [job for job in jobs if job is not None]

    def _posts_of(self, page: ListPage[str]) -> ListPage[Post]:
        return ListPage(
            page.path,
            page.number,
            [self.loaded[slug] for slug in page.posts],
            page.newer,
            page.older,
        )

    def neighbours(self, post: Post) -> Neighbours:
        if post.page:
            return Neighbours()
        newer, older = self.change.neighbours(post.slug)
        return Neighbours(
            pages.post_link(self.loaded[newer] if newer else None, self),
            pages.post_link(self.loaded[older] if older else None, self),
        )

    def tags(self) -> list[str]:
        return self.change.tags

    def tagged(self, tag: str) -> list[Post]:
        """The tag's newest posts, those its feeds show (all that are loaded of it)."""
        members = self.change.members[paths.tag_key(tag)][: self.settings.feed_limit]
        return [self.loaded[slug] for slug in members]

    def assign_paging(self) -> Paging:
        return self.change.paging

    def newest_comments(self) -> list[tuple[float, str, int, Post]]:
        newest = self.change.comments[:COMMENT_FEED_LIMIT]
        return [(when, slug, i, self.loaded[slug]) for when, slug, i in newest]
