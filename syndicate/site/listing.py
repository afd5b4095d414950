"""What the last build listed where: which posts each feed and archive page showed, and the
post files it was built from. It lets a build after edits that change no list (a typo fixed
in a post's body, the common cron case) render only the files that show the edited posts
(edits.py) instead of walking every post.

Kept beside the freshness stamp (one per output folder, in the cache folder), never in the
output folder. It is trusted only while the output folder's manifest is the one that the
build which saved it wrote: any other build in between makes the next one a full build.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from syndicate.errors import PostError, PostWarning
from syndicate.model import Post
from syndicate.posts.cache import UNREADABLE_PICKLE
from syndicate.site.freshness import stamp_path

# 2: the report's errors and warnings are PostError records, not lines; 3: the order of the
# posts (each page links to its neighbours) and the files beside them
FORMAT = 3


@dataclass
class Listing:
    settings_key: str  # syndicate's version and every setting: another one lists differently
    manifest_key: str  # the manifest this build wrote (see manifest_key)
    files: dict[str, tuple[int, int, str | None]]  # post file -> (size, mtime_ns, its slug)
    newest: list[str]  # slugs of the subscription feeds' posts, newest first
    archive: list[str]  # slugs of the archive feeds' posts (a site with no archive file)
    tags: dict[str, list[str]]  # tag, as its feed spells it -> slugs of the posts its feed shows
    open_page: int | None  # the number of the RFC 5005 archive page still open, if any
    open_members: list[str]  # slugs of that page's posts
    newest_page: int | None  # the newest archive page (the feeds link to it)
    comment_posts: list[str]  # slugs of the posts whose comments the site's comment feed shows
    order: list[str]  # slugs of every post (not the pages), newest first: a post's page links to
    # its neighbours
    assets: dict[str, tuple[int, int] | None]  # file beside a post -> (size, mtime_ns) copied
    title: str  # the site's title as the build worked it out (it may come from the posts)
    report: tuple[int, int, list[PostError], list[PostWarning]]  # posts, drafts, errors, warnings
    format: int = FORMAT

    def shown_with(self, edited: set[str]) -> set[str]:
        """The slugs of every post that shares a list (a feed, the open page) with an edited
        one, and of the posts before and after each edited one (its page names them)."""
        shown: set[str] = set(edited)
        for slug in edited:
            shown.update(neighbour for neighbour in self.neighbours(slug) if neighbour)
        for members in (self.newest, self.archive, self.open_members, self.comment_posts):
            if edited.intersection(members):
                shown.update(members)
        for members in self.tags.values():
            if edited.intersection(members):
                shown.update(members)
        return shown

    def neighbours(self, slug: str) -> tuple[str | None, str | None]:
        """The slugs of the posts just newer and just older than `slug` (None at the ends, and
        for a page of the site, which is in no list)."""
        if slug not in self.order:
            return None, None
        position = self.order.index(slug)
        newer = self.order[position - 1] if position > 0 else None
        older = self.order[position + 1] if position + 1 < len(self.order) else None
        return newer, older


def manifest_key(output: Path) -> str:
    from syndicate.files import MANIFEST

    try:
        data = (output / MANIFEST).read_bytes()
    except OSError:
        return ""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def listing_path(output: Path) -> Path:
    return stamp_path(output).with_suffix(".listing")


def save_listing(output: Path, listing: Listing) -> None:
    path = listing_path(output)
    with contextlib.suppress(OSError):  # no listing: the next build is a full one, no worse
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(pickle.dumps(listing, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)


def load_listing(output: Path) -> Listing | None:
    try:
        listing = pickle.loads(listing_path(output).read_bytes())
    except (OSError, *UNREADABLE_PICKLE):
        return None  # of another version or layout of syndicate: a full build makes a new one
    return listing if isinstance(listing, Listing) and listing.format == FORMAT else None


def forget_listing(output: Path) -> None:
    with contextlib.suppress(OSError):
        listing_path(output).unlink(missing_ok=True)


def slugs(posts: Sequence[Post]) -> list[str]:
    return [post.slug for post in posts]
