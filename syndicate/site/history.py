"""RFC 5005 archived feeds: which posts go on which archive page, kept from build to build.

The subscription feed holds the newest `feed_limit` posts. Posts that fall out of it gather on
an open page; when `page_size` of them have gathered, that page is frozen: its members are
recorded in the output folder and it is never rendered again (unless a member is deleted).
So a full page never changes, a post published late with an old date lands on the open page
instead of shifting every page, and walking prev-archive from the subscription feed meets
every post exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

STATE_FILE = ".syndicate-history.json"


@dataclass(frozen=True)
class Page:
    number: int  # 1 is the oldest
    members: tuple[str, ...]  # post ids
    frozen: bool
    needs_render: bool


@dataclass
class Paging:
    pages: list[Page] = field(default_factory=list)
    state: dict[str, object] = field(default_factory=dict)  # what to save for the next build

    @property
    def newest_page(self) -> int | None:
        return self.pages[-1].number if self.pages else None


def load_state(folder: Path) -> dict[str, object]:
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def state_bytes(state: dict[str, object]) -> bytes:
    return (json.dumps(state, indent=0, sort_keys=True) + "\n").encode("utf-8")


def assign_pages(
    previous: dict[str, object],
    post_ids_oldest_first: Sequence[str],
    in_feed: set[str],
    *,
    page_size: int,
    existing_files: set[int],
) -> Paging:
    """Frozen pages as recorded (less deleted posts), new frozen pages from the open posts,
    and the open page. `existing_files`: page numbers whose files are already written."""
    alive = set(post_ids_oldest_first)
    recorded = _recorded_pages(previous, page_size)
    frozen: list[tuple[str, ...]] = []
    changed: set[int] = set()
    for number, members in enumerate(recorded, start=1):
        kept = tuple(member for member in members if member in alive)
        if kept:
            frozen.append(kept)
        if kept != members or len(frozen) != number:
            changed.add(len(frozen))  # lost a member, or renumbered after an emptied page
    placed = {member for page in frozen for member in page}
    waiting = [pid for pid in post_ids_oldest_first if pid not in placed and pid not in in_feed]
    full_pages = len(waiting) // page_size
    for start in range(0, full_pages * page_size, page_size):
        frozen.append(tuple(waiting[start : start + page_size]))
        changed.add(len(frozen))
    waiting = waiting[full_pages * page_size :]
    pages = [
        Page(number, members, True, number in changed or number not in existing_files)
        for number, members in enumerate(frozen, start=1)
    ]
    if waiting:
        pages.append(Page(len(frozen) + 1, tuple(waiting), False, True))
    state = {"page_size": page_size, "pages": [list(page) for page in frozen]}
    return Paging(pages, state)


def _recorded_pages(previous: dict[str, object], page_size: int) -> list[tuple[str, ...]]:
    if previous.get("page_size") != page_size:
        return []  # another page size: start the pages afresh
    pages = previous.get("pages")
    if not isinstance(pages, list):
        return []
    return [tuple(str(member) for member in page) for page in pages if isinstance(page, list)]
