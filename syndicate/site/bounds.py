"""Where each list's numbered pages begin, kept from build to build (pages.py numbers them).

A list (the index, each tag's) shows its newest `page_size` posts on its first page and the
older ones on numbered pages counted from the oldest. Each numbered page but the oldest begins
at a post's place in the order (its date and slug): its bound. The bounds are recorded in the
output folder, and the next build into it cuts its lists at the same places. So a post deleted,
or given another date, changes the page it left and the page it joined, not every page from
there to the newest (which then each held other posts than before: at 100k posts a deletion
rendered 4,700 pages). A page keeps its number and its address; it may hold fewer posts than
`page_size` (after deletions) or more (a post published late with an old date, up to twice
as many, after which the list is cut evenly again). The newest numbered page fills up to
`page_size`, then a new one begins, as without bounds.

Without a record (a new output folder, another page size, a file not ours) the pages are cut
evenly: the oldest numbered page holds the oldest `page_size` posts, and so on. Deterministic
all the same: the same posts and the same record give the same pages, and pages cut from a
record give that record again.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

BOUNDS_FILE = ".syndicate-pages.json"
INDEX = "index"  # the index's bounds; a tag's are under "tag:" and its key

T = TypeVar("T")
Key = tuple[float, str]  # plan.post_order: (published timestamp, slug)
Bounds = list[Key]  # where each numbered page but the oldest begins, oldest first


def tag_list(tag_key: str) -> str:
    return f"tag:{tag_key}"


def numbered_groups(
    oldest_first: Sequence[T], size: int, key: Callable[[T], Key], bounds: Bounds | None
) -> tuple[list[Sequence[T]], Bounds]:
    """The numbered pages' posts (each oldest first; the oldest page first) and their bounds:
    cut at `bounds` where given, else evenly."""
    groups: list[Sequence[T]] = []
    if bounds is not None:
        groups = _cut_at(oldest_first, key, bounds)
        if any(len(group) > 2 * size for group in groups[:-1]):
            groups = []  # many posts published late into one page: cut evenly again
            bounds = None
    if bounds is None:
        groups = [oldest_first[start : start + size] for start in range(0, len(oldest_first), size)]
    elif groups:  # the newest page fills up, then another begins
        newest = groups.pop()
        groups += [newest[start : start + size] for start in range(0, len(newest), size)]
    return groups, [key(group[0]) for group in groups[1:]]


def _cut_at(
    oldest_first: Sequence[T], key: Callable[[T], Key], bounds: Bounds
) -> list[Sequence[T]]:
    groups: list[list[T]] = [[] for _ in range(len(bounds) + 1)]
    for item in oldest_first:
        groups[bisect_right(bounds, key(item))].append(item)
    return [group for group in groups if group]  # a page emptied: the newer ones move down


def load_bounds(output: Path, page_size: int) -> dict[str, Bounds] | None:
    """Every list's bounds as the last build into `output` cut them; None when there is no
    record of this page size."""
    try:
        data = json.loads((output / BOUNDS_FILE).read_text(encoding="utf-8"))
        if data["page_size"] != page_size:
            return None
        return {
            str(name): [(float(when), str(slug)) for when, slug in listed]
            for name, listed in data["lists"].items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def bounds_bytes(page_size: int, lists: Mapping[str, Bounds]) -> bytes:
    data = {
        "page_size": page_size,
        "lists": {name: [[when, slug] for when, slug in bounds] for name, bounds in lists.items()},
    }
    return (json.dumps(data, indent=0, sort_keys=True, ensure_ascii=False) + "\n").encode()
