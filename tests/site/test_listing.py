"""The listing (listing.py) as a build after edits reads it back: every entry as the build
that saved it had it, however its dates were zoned."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syndicate.site.listing import Entry, Listing, listing_path, load_listing, save_listing

DATES = [
    datetime(2024, 3, 31, 1, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime(2024, 3, 31, 3, 0, tzinfo=ZoneInfo("Europe/Berlin")),  # after the clocks moved
    datetime(2021, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(2020, 1, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(seconds=5400 + 7))),
]


def entry(n: int, when: datetime) -> Entry:
    return Entry(
        file=f"post-{n}.md",
        order=(when.timestamp(), f"post-{n}"),
        post_id=f"tag:example.org,2024:post-{n}",
        own_id=None if n % 2 else f"id-{n}",
        title=f"Post {n} — ünïcode",
        last_modified=when,
        tag_keys=("a", "b") if n % 2 else (),
        spellings=("A", "b") if n % 2 else (),
        listed=f"{n:024x}",
        comments=n,
        site_name=None,
        page=n == 3,
        local_files=n == 4,
    )


def listing(entries: dict[str, Entry]) -> Listing:
    return Listing(
        settings_key="k",
        manifest_key="m",
        folder="/posts",
        files={},
        entries=entries,
        order=list(entries),
        open_page=None,
        comments=[],
        comment_candidates=0,
        spellings={},
        default_places=True,
        assets={},
        title="t",
        report=(len(entries), 0, [], []),
    )


def test_entries_come_back_as_they_were_saved() -> None:
    saved = {f"post-{n}": entry(n, when) for n, when in enumerate(DATES)}
    loaded = pickle.loads(pickle.dumps(listing(saved), protocol=pickle.HIGHEST_PROTOCOL))
    assert loaded.entries == saved and list(loaded.entries) == list(saved)
    for slug, before in saved.items():
        after = loaded.entries[slug]
        assert isinstance(after, Entry)
        # what the lists and the sitemap use of a date: its text, its instant, its order
        assert after.last_modified.isoformat() == before.last_modified.isoformat()
        assert after.last_modified.timestamp() == before.last_modified.timestamp()
    assert loaded.order == list(saved) and loaded.report == (5, 0, [], [])


def test_a_site_without_posts_lists_none() -> None:
    loaded = pickle.loads(pickle.dumps(listing({})))
    assert loaded.entries == {} and loaded.order == []


def test_a_listing_of_the_format_before_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Format 4 pickled the entries as a dict: read back, it is refused (a full build)."""
    output = tmp_path / "out"
    saved = listing({f"post-{n}": entry(n, when) for n, when in enumerate(DATES[:2])})
    save_listing(output, saved)
    assert load_listing(output) == saved
    older = copy.copy(saved)
    older.format = 4
    with monkeypatch.context() as patch:  # pickled as format 4 did: its fields as they are
        patch.setattr(Listing, "__getstate__", lambda self: dict(self.__dict__))
        listing_path(output).write_bytes(pickle.dumps(older))
    assert pickle.loads(listing_path(output).read_bytes()).entries == saved.entries
    assert load_listing(output) is None


def test_a_tag_and_a_slug_are_read_back_once_however_many_places_hold_them() -> None:
    """Pickled without a memo, each copy of a string came back an object of its own: a post's
    slug four times, each tag twice a post. Read back, the places share one."""
    saved = {f"post-{n}": entry(n, DATES[n % len(DATES)]) for n in range(40)}
    loaded = pickle.loads(pickle.dumps(listing(saved), protocol=pickle.HIGHEST_PROTOCOL))
    assert loaded.entries == saved and loaded.order == list(saved)
    tagged = [e for e in loaded.entries.values() if e.tag_keys]
    assert len({id(e.tag_keys) for e in tagged}) == 1  # the same tag set: one tuple
    assert tagged[0].tag_keys[1] is tagged[0].spellings[1]  # "b" both
    for slug, (key, listed) in zip(loaded.order, loaded.entries.items(), strict=True):
        assert slug is key is listed.order[1]


def test_orders_and_an_order_that_are_not_the_entries_own_come_back_as_saved() -> None:
    saved = {f"post-{n}": entry(n, DATES[n]) for n in range(3)}
    saved["post-1"] = saved["post-1"]._replace(order=(1.5, "another"))
    odd = listing(saved)
    odd.order = ["post-2", "gone", "post-0"]  # a slug without an entry: kept as it is
    loaded = pickle.loads(pickle.dumps(odd, protocol=pickle.HIGHEST_PROTOCOL))
    assert loaded.entries == saved and loaded.order == ["post-2", "gone", "post-0"]
