"""Where each post's files go (layout.Layout.place), checked before anything is rendered: a post
whose page, comment feeds or folder would be another post's, or one of the site's own files or
folders (rss.xml, index.html, tags/...), is refused with an error naming its file, and the first
post (in file order) that claimed the place keeps it. The check is one pass over the posts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from syndicate import layout as paths
from syndicate.errors import PostError
from syndicate.files import MANIFEST
from syndicate.layout import Layout, PostPlace
from syndicate.model import Post

# The files the site itself writes at the top of the output folder (site/plan.py and beside it).
SITE_FILES = frozenset(
    {
        paths.INDEX_PAGE,
        paths.SITE_RSS,
        paths.SITE_ATOM,
        paths.SITE_JSON,
        paths.COMMENTS_RSS,
        paths.COMMENTS_ATOM,
        paths.ARCHIVE_RSS,
        paths.ARCHIVE_ATOM,
        paths.ARCHIVE_JSON,
        paths.STYLESHEET,
        "404.html",
        "sitemap.xml",
        "_redirects",
        MANIFEST,
    }
)
SITEMAP_PART = re.compile(r"sitemap-\d+\.xml")
# The folders of the site's own lists and feeds: no post's files go in them.
SITE_FOLDERS = ("tags", "page", "history")


@dataclass
class Placement:
    posts: list[Post] = field(default_factory=list)  # those whose place is their own
    errors: list[PostError] = field(default_factory=list)  # one for each of the others


def place_posts(posts: Sequence[Post], layout: Layout) -> Placement:
    """The posts whose files can go where their url or the permalink says, in their order;
    an error for each of the others."""
    if all(layout.is_default(post) for post in posts):
        return Placement(list(posts))  # posts/<slug>/ each: slugs are unique, posts/ is theirs
    outcome = Placement()
    # The slugs under posts/ that a post placed elsewhere reaches: only a post at posts/<slug>/
    # of those can clash with it (a slug has no "."; posts/ holds no file of the site's).
    placed = [None if layout.is_default(post) else layout.place(post) for post in posts]
    reached = {
        file.split("/")[1]
        for place in placed
        if place is not None
        for file in post_files(place)
        if file.startswith("posts/") and file.count("/") >= 2
    }
    owners: dict[str, str] = {}  # file -> the post file that has it
    folders: dict[str, str] = {}  # every folder above such a file -> a post file with it
    for post, own in zip(posts, placed, strict=True):
        if own is None and post.slug not in reached:
            outcome.posts.append(post)
            continue
        place = own or layout.place(post)
        files = post_files(place)
        above = _new_folders(files, folders)
        problem = _site_problem(files) or _taken(files, above, owners, folders)
        if problem:
            outcome.errors.append(PostError(post.source, f"{_where(post, place)}: {problem}"))
            continue
        owners.update(dict.fromkeys(files, post.source))
        folders.update(dict.fromkeys(above, post.source))
        outcome.posts.append(post)
    return outcome


def post_files(place: PostPlace) -> tuple[str, str, str]:
    return (place.page_file, place.comments_rss_file, place.comments_atom_file)


def _where(post: Post, place: PostPlace) -> str:
    if post.url_path is not None:
        return f"its url {post.url_path!r}"
    return f"its permalink /{place.page}"


def _site_problem(files: Sequence[str]) -> str | None:
    for file in files:
        top = file.split("/", 1)[0]
        if file in SITE_FILES or SITEMAP_PART.fullmatch(file):
            return f"{file} is a file of the site's own"
        if "/" in file and top in SITE_FOLDERS:
            return f"{top}/ is the site's own folder (of its tags, its older pages, its history)"
        if "/" in file and top in SITE_FILES:
            return f"{top} is a file of the site's own"
    return None


def _taken(
    files: Sequence[str], above: Sequence[str], owners: dict[str, str], folders: dict[str, str]
) -> str | None:
    for file in files:
        if file in owners:
            return f"{file} is already the file of {owners[file]}"
        if file in folders:
            return f"{file} is a folder of {folders[file]}'s files"
    for folder in above:
        if folder in owners:
            return f"{folder} is already the file of {owners[folder]}"
    return None


def _new_folders(files: Sequence[str], folders: dict[str, str]) -> list[str]:
    """The folders above `files` that no post placed so far has files in: a walk up stops at
    one that has (the folders above it are known too), so a post costs a few lookups."""
    new: list[str] = []
    for file in files:
        folder = file.rpartition("/")[0]
        while folder and folder not in folders and folder not in new:
            new.append(folder)
            folder = folder.rpartition("/")[0]
    return new
