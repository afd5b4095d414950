"""What the last build listed where: every post's place in the lists (its date, tags, title,
what a list shows of it), the post files it was built from, the RFC 5005 open page and the
newest comments. It lets a build after a few posts changed (a typo fixed, a comment added, a
post published, retitled, retagged, redated or deleted: the common cron cases) work out the
new lists from it and render only the files that show a changed post (edits.py), instead of
loading every post.

Kept beside the freshness stamp (one per output folder, in the cache folder), never in the
output folder. It is trusted only while the output folder's manifest is the one that the
build which saved it wrote: any other build in between makes the next one a full build.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from syndicate.errors import PostError, PostWarning
from syndicate.posts.cache import UNREADABLE_PICKLE
from syndicate.site.freshness import stamp_path

# 2: the report's errors and warnings are PostError records, not lines; 3: the order of the
# posts (each page links to its neighbours) and the files beside them; 4: every post's entry,
# the newest comments, the tags' spellings, the files named under the posts folder; 5: the
# entries pickled a column each (Listing.__getstate__); 6: orders, tags and the order of the
# posts without copies of the slugs and tags
FORMAT = 6


class Entry(NamedTuple):
    """What the lists show of one post, and where it goes in them: enough to place it in every
    list (and in the sitemap) without loading it from the post cache."""

    file: str  # its file, named under the posts folder
    order: tuple[float, str]  # plan.post_order: the lists are newest first by it
    post_id: str  # layout.post_id: the RFC 5005 pages hold these
    own_id: str | None  # the id its file gives (unique on a site), if any
    title: str
    last_modified: datetime
    tag_keys: tuple[str, ...]  # layout.tag_key of its tags, each once
    spellings: tuple[str, ...]  # its tags as it spells them, each once
    listed: str  # pages.listed: what a list page shows of it
    comments: int  # its comment count: candidates for the site's comment feeds
    site_name: str | None
    page: bool  # a page of the site: in no list
    local_files: bool  # files beside it are copied with it


Comment = tuple[float, str, int]  # (when, post slug, position): the site comment feeds' order


@dataclass
class Listing:
    settings_key: str  # syndicate's version and every setting: another one lists differently
    manifest_key: str  # the manifest this build wrote (see manifest_key)
    folder: str  # the posts folder as the loader named it (the files' keys start with it)
    files: dict[str, tuple[int, int, str | None]]  # post file -> (size, mtime_ns, its slug)
    entries: dict[str, Entry]  # slug -> entry, of every post and page of the site
    order: list[str]  # slugs of every post (not the pages), newest first
    open_page: tuple[int, tuple[str, ...]] | None  # the open RFC 5005 page: number, post ids
    comments: list[Comment]  # the newest comment candidates, newest first (see newest_comments)
    comment_candidates: int  # how many there are in all (more than listed: the list is cut)
    spellings: dict[str, int]  # each tag as spelled -> how many posts spell it so
    default_places: bool  # every post at posts/<slug>/ (none with an address of its own)
    assets: dict[str, tuple[int, int] | None]  # file beside a post -> (size, mtime_ns) copied
    title: str  # the site's title as the build worked it out (it may come from the posts)
    report: tuple[int, int, list[PostError], list[PostWarning]]  # posts, drafts, errors, warnings
    format: int = FORMAT

    def __getstate__(self) -> dict[str, object]:
        """Pickled with the entries a column each (entry_columns) and the order as positions in
        them: every build after a change saves the listing again, and at 100k posts pickling
        the entries whole took 1.6 s."""
        state = dict(self.__dict__)
        slugs, columns = entry_columns(self.entries)
        state["entries"] = (slugs, columns)
        position = {slug: n for n, slug in enumerate(slugs)}
        if all(slug in position for slug in self.order):
            del state["order"]
            state["order_positions"] = [position[slug] for slug in self.order]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        state = dict(state)
        if state.get("format") == FORMAT:  # else load_listing refuses it by its format
            slugs = state["entries"][0]  # type: ignore[index]
            state["entries"] = entries_of_columns(state["entries"])  # type: ignore[arg-type]
            if "order_positions" in state:  # the slugs of the entries, not copies of them
                state["order"] = [slugs[n] for n in state.pop("order_positions")]  # type: ignore[attr-defined]
        self.__dict__.update(state)

    def relative_files(self) -> dict[str, tuple[int, int, str | None]]:
        """The files keyed by their names under the posts folder, however it was spelled."""
        cut = len(self.folder) + 1
        return {path[cut:]: value for path, value in self.files.items()}


Columns = tuple[list[str], list[object]]
Tags = tuple[str, ...]
_ORDER, _DATE, _TAGS, _SPELLINGS = (
    Entry._fields.index(field) for field in ("order", "last_modified", "tag_keys", "spellings")
)


def entry_columns(entries: dict[str, Entry]) -> Columns:
    """(slugs, one list per field of Entry): each date as ISO text (a datetime pickles its own
    time zone each time, an entry its class: most of the listing's cost), each order as its
    time when its slug is the entry's, each post's tags as a place in a table of the site's
    tag sets. Pickled without a memo (save_listing), a string is written, and read back, once
    for every place that holds it: the tags were a third of the listing in memory."""
    slugs = list(entries)
    columns: list[object] = [list(column) for column in zip(*entries.values(), strict=True)]
    if columns:
        dates: list[datetime] = columns[_DATE]  # type: ignore[assignment]
        columns[_DATE] = [date.isoformat() for date in dates]
        columns[_ORDER] = _order_column(columns[_ORDER], slugs)  # type: ignore[arg-type]
        for field in (_TAGS, _SPELLINGS):
            columns[field] = _tabled(columns[field])  # type: ignore[arg-type]
    return slugs, columns


def entries_of_columns(columns: Columns) -> dict[str, Entry]:
    """The entries entry_columns saved, each string that several of them hold one object."""
    slugs, saved = columns
    if not slugs:
        return {}
    fields = list(saved)
    fields[_DATE] = list(map(datetime.fromisoformat, fields[_DATE]))  # type: ignore[call-overload]
    orders = fields[_ORDER]
    if orders and not isinstance(orders[0], tuple):  # type: ignore[index]
        fields[_ORDER] = list(zip(orders, slugs, strict=True))  # type: ignore[call-overload]
    words: dict[str, str] = {}
    for field in (_TAGS, _SPELLINGS):
        fields[field] = _untabled(fields[field], words)  # type: ignore[arg-type]
    return dict(zip(slugs, map(Entry, *fields), strict=True))  # type: ignore[call-overload]


def _order_column(
    orders: list[tuple[float, str]], slugs: list[str]
) -> list[float] | list[tuple[float, str]]:
    if all(slug == own for (_, slug), own in zip(orders, slugs, strict=True)):
        return [time for time, _ in orders]
    return orders


def _tabled(tag_sets: list[Tags]) -> tuple[list[Tags], list[int]]:
    table: dict[Tags, int] = {}
    places = [table.setdefault(tags, len(table)) for tags in tag_sets]
    return list(table), places


def _untabled(tabled: tuple[list[Tags], list[int]], words: dict[str, str]) -> list[Tags]:
    table, places = tabled
    shared = [tuple(words.setdefault(word, word) for word in tags) for tags in table]
    return [shared[place] for place in places]


def manifest_key(output: Path) -> str:
    from syndicate.files import MANIFEST

    try:
        data = (output / MANIFEST).read_bytes()
    except OSError:
        return ""
    return manifest_digest(data)


def manifest_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def listing_path(output: Path) -> Path:
    return stamp_path(output).with_suffix(".listing")


def save_listing(output: Path, listing: Listing) -> None:
    path = listing_path(output)
    with contextlib.suppress(OSError):  # no listing: the next build is a full one, no worse
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:  # written as pickled: never whole in memory
            pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
            # No memo: the listing has no cycles, and remembering each of its million objects
            # took 120 MB and half the time at 100k posts (its shared tags are written again).
            pickler.fast = True
            pickler.dump(listing)
        os.replace(temporary, path)


def load_listing(output: Path) -> Listing | None:
    try:
        with open(listing_path(output), "rb") as handle:
            listing = pickle.load(handle)
    except (OSError, *UNREADABLE_PICKLE):
        return None  # of another version or layout of syndicate: a full build makes a new one
    return listing if isinstance(listing, Listing) and listing.format == FORMAT else None


def forget_listing(output: Path) -> None:
    with contextlib.suppress(OSError):
        listing_path(output).unlink(missing_ok=True)
