"""Where each list's numbered pages begin (bounds.py): kept from build to build, so that a
deletion or a date moved changes the pages it touches and no other; cut evenly without them."""

from __future__ import annotations

import json
from pathlib import Path

from syndicate.site.bounds import (
    BOUNDS_FILE,
    Key,
    bounds_bytes,
    load_bounds,
    numbered_groups,
)

SIZE = 3


def key(n: int) -> Key:
    return (float(n), f"post-{n:03d}")


def cut(numbers: list[int], bounds: list[Key] | None) -> tuple[list[list[int]], list[Key]]:
    groups, kept = numbered_groups(sorted(numbers), SIZE, key, bounds)
    return [list(group) for group in groups], kept


def test_without_bounds_the_pages_are_cut_evenly_from_the_oldest() -> None:
    groups, kept = cut(list(range(8)), None)
    assert groups == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert kept == [key(3), key(6)]
    assert cut([], None) == ([], [])


def test_pages_cut_at_their_bounds_give_those_bounds_again() -> None:
    for numbers, bounds in [
        (list(range(8)), None),
        ([0, 2, 3, 5, 9, 10, 11, 12], [key(3), key(6)]),
        ([1, 4, 4 + 1, 7], [key(2), key(3), key(6)]),
    ]:
        groups, kept = cut(numbers, bounds)
        assert cut(numbers, kept) == (groups, kept)


def test_a_deleted_post_leaves_its_page_short_and_the_others_as_they_were() -> None:
    _, kept = cut(list(range(9)), None)
    groups, after = cut([0, 1, 2, 3, 5, 6, 7, 8], kept)  # 4 deleted
    assert groups == [[0, 1, 2], [3, 5], [6, 7, 8]] and after == kept


def test_a_post_with_an_older_date_joins_the_page_of_its_date() -> None:
    _, kept = cut([0, 2, 4, 6, 8, 10, 12, 14, 16], None)
    groups, after = cut([0, 2, 4, 5, 6, 8, 10, 12, 14, 16], kept)
    assert groups == [[0, 2, 4, 5], [6, 8, 10], [12, 14, 16]] and after == kept


def test_the_newest_page_fills_up_then_another_begins() -> None:
    _, kept = cut(list(range(7)), None)  # [0 1 2] [3 4 5] [6]
    groups, after = cut(list(range(11)), kept)
    assert groups == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]]
    assert after == [key(3), key(6), key(9)]


def test_an_emptied_page_goes_and_the_newer_pages_move_down() -> None:
    _, kept = cut(list(range(9)), None)
    groups, after = cut([0, 1, 2, 6, 7, 8], kept)
    assert groups == [[0, 1, 2], [6, 7, 8]] and after == [key(6)]
    groups, after = cut([3, 4, 5, 6, 7, 8], kept)  # the oldest page emptied
    assert groups == [[3, 4, 5], [6, 7, 8]] and after == [key(6)]


def test_a_page_grown_past_twice_its_size_has_the_list_cut_evenly_again() -> None:
    _, kept = cut([0, 10, 20, 30, 40, 50, 60], None)  # [0 10 20] [30 40 50] [60]
    late = [31, 32, 33, 34]  # published late into the second page: 7 posts there
    groups, after = cut([0, 10, 20, 30, 40, 50, 60, *late], kept)
    assert groups == [[0, 10, 20], [30, 31, 32], [33, 34, 40], [50, 60]]
    assert after == [key(30), key(33), key(50)]


def test_the_record_is_read_back_as_written_and_only_for_its_page_size(tmp_path: Path) -> None:
    lists = {"index": [key(3), key(6)], "tag:python": [], "tag:été": [(1.5e9, "é-post")]}
    (tmp_path / BOUNDS_FILE).write_bytes(bounds_bytes(20, lists))
    assert load_bounds(tmp_path, 20) == lists
    assert load_bounds(tmp_path, 10) is None
    assert load_bounds(tmp_path / "nowhere", 20) is None
    for broken in ("", "[]", '{"page_size": 20}', '{"page_size": 20, "lists": {"index": [1]}}'):
        (tmp_path / BOUNDS_FILE).write_text(broken, encoding="utf-8")
        assert load_bounds(tmp_path, 20) is None
    data = json.loads(bounds_bytes(20, lists))
    assert data["page_size"] == 20 and data["lists"]["index"] == [
        [3.0, "post-003"],
        [6.0, "post-006"],
    ]
