"""A build after edits (edits.py) renders only what shows the edited posts: it must write
exactly what a full build of the same posts writes, every byte of every file, manifest too."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from syndicate.config import load_settings
from syndicate.files import MANIFEST, folder_times, folders_state
from syndicate.site.build import build_site
from syndicate.site.freshness import read_stamp
from tests.conftest import BASE_URL

POSTS = 64


def post_text(
    n: int,
    body: str = "",
    title: str = "",
    date: str = "",
    tags: list[str] | None = None,
    comments: list[tuple[str, str]] | None = None,
) -> str:
    """Post n of the corpus; each keyword changes one thing of it. `comments`: (date, body)."""
    if tags is None:
        tags = [f"t{n % 4}"] + (["Python"] if n % 7 == 0 else [])
        tags += ["python"] if n % 11 == 0 else []
    if comments is None:
        stamp = f"2024-06-{1 + n % 28:02d}T10:{n % 60:02d}:00Z"
        comments = [(stamp, f"hi {n}"), ("", f"undated {n}")] if n % 3 == 0 else []
    listed = "".join(
        "  - author: Ann\n" + (f"    date: {when}\n" if when else "") + f"    body: {text}\n"
        for when, text in comments
    )
    date = date or f"2024-{1 + n // 28:02d}-{1 + n % 28:02d}T08:00:00Z"
    return (
        f"---\ntitle: {title or f'Post {n}'}\ndate: {date}\ntags: {tags}\n"
        + (f"comments:\n{listed}" if comments else "")
        + f"---\nFirst paragraph of post {n}.\n\n## A heading\n\n{body or f'Body {n}.'}\n"
    )


def write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(POSTS):
        (folder / f"p{n:03d}.md").write_text(post_text(n), encoding="utf-8")


def every_file(output: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(output)): path.read_bytes()
        for path in sorted(output.rglob("*"))
        if path.is_file() and path.name != ".syndicate.lock"
    }


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no archive.sqlite3 here
    monkeypatch.setenv("SYNDICATE_FEED_LIMIT", "5")  # a dozen RFC 5005 archive pages
    monkeypatch.setenv("SYNDICATE_ARCHIVE_FEED_LIMIT", "12")
    write_corpus(tmp_path / "posts")
    return tmp_path


def build(
    site: Path, output: str, cache: str, *, errors: bool = False
) -> tuple[bool, dict[str, bytes]]:
    """Build the posts into `output`; (whether only edits were rendered, the files)."""
    import os

    os.environ["SYNDICATE_CACHE_DIR"] = str(site / cache)
    settings = load_settings(
        None, {"posts": site / "posts", "output": site / output, "base_url": BASE_URL}
    )
    report = build_site(settings)
    assert bool(report.errors) is errors
    return report.edits_only, every_file(site / output)


def edit(site: Path, n: int, **changes: Any) -> None:
    (site / "posts" / f"p{n:03d}.md").write_text(post_text(n, **changes), encoding="utf-8")


Change = Callable[[Path], None]
_ROUNDS = count()


def as_a_full_build(
    site: Path, change: Change, *, targeted: bool = True, errors: bool = False
) -> dict[str, bytes]:
    """Make the change, build, and check that every byte is what a full build of the same
    output folder writes (a fresh cache has no listing): an archive page once frozen keeps
    its bytes in both (history.py), unlike in a build from nothing."""
    number = next(_ROUNDS)
    shutil.copytree(site / "out", site / f"full-{number}")
    change(site)
    only_changes, files = build(site, "out", "cache", errors=errors)
    assert only_changes is targeted
    # The output's state the next build checks: of the folders it wrote in, read again.
    listed = json.loads(files[MANIFEST])
    assert read_stamp(site / "out").folders == folders_state(site / "out", listed) != ""
    full_build, full = build(site, f"full-{number}", f"cache-{number}", errors=errors)
    assert not full_build
    assert sorted(files) == sorted(full)
    assert [path for path in files if files[path] != full[path]] == []
    return files


def test_body_edits_render_what_a_full_build_renders(site: Path) -> None:
    first_only_edits, _ = build(site, "out", "cache")
    assert not first_only_edits
    chosen = random.Random(5)
    # The newest post (subscription feeds, archive feeds, tag feeds), a post with comments in
    # the site's comment feed, one on the open archive page, one on a frozen page, then random.
    rounds = [[POSTS - 1], [POSTS - 3], [POSTS - 6], [2], [30, 31, 9]]
    rounds += [chosen.sample(range(POSTS), 3) for _ in range(4)]
    for number, edited in enumerate(rounds):

        def body_edits(site: Path, edited: list[int] = edited, number: int = number) -> None:
            for n in edited:
                edit(site, n, body=f"Edited in round {number}.")

        files = as_a_full_build(site, body_edits)
        assert all(
            f"Edited in round {number}.".encode() in files[f"posts/p{n:03d}/index.html"]
            for n in edited
        )


def test_a_new_title_is_shown_wherever_the_post_is_listed(site: Path) -> None:
    _, before = build(site, "out", "cache")
    files = as_a_full_build(site, lambda site: edit(site, 10, title="A new title"))
    assert b"A new title" in files["page/1.html"]  # the oldest page of the index lists it
    assert b"A new title" in files["posts/p011/index.html"]  # a neighbour links to it
    assert files["index.html"] == before["index.html"]  # the newest 20 are as they were
    for n in (POSTS - 1, POSTS - 4, 0):  # in every feed; on the open archive page; the oldest
        as_a_full_build(site, lambda site, n=n: edit(site, n, title=f"Retitled {n}"))


def test_a_new_date_moves_the_post_in_every_list(site: Path) -> None:
    build(site, "out", "cache")
    files = as_a_full_build(site, lambda site: edit(site, 3, date="2025-01-01T08:00:00Z"))
    assert b"p003" in files["rss.xml"]  # the newest post now
    as_a_full_build(site, lambda site: edit(site, POSTS - 1, date="2023-01-01T08:00:00Z"))
    as_a_full_build(site, lambda site: edit(site, 40, date="2024-01-15T09:00:00Z"))


def test_new_tags_change_the_tag_pages_and_feeds(site: Path) -> None:
    build(site, "out", "cache")
    files = as_a_full_build(site, lambda site: edit(site, 5, tags=["t0", "brand new"]))
    assert "tags/brand-new.xml" in files
    assert b"brand new" in files["index.html"]  # the first page names every tag's feeds
    files = as_a_full_build(site, lambda site: edit(site, 5, tags=["t1"]))
    assert "tags/brand-new.xml" not in files and "tags/brand-new.html" not in files
    as_a_full_build(site, lambda site: edit(site, POSTS - 2, tags=["t3", "t2"]))


def test_comments_added_and_removed(site: Path) -> None:
    build(site, "out", "cache")
    newest = [("2025-02-01T10:00:00Z", "the newest comment")]
    files = as_a_full_build(site, lambda site: edit(site, 20, comments=newest))
    assert b"the newest comment" in files["comments.xml"]
    assert b"the newest comment" in files["posts/p020/comments.atom"]
    files = as_a_full_build(site, lambda site: edit(site, 20, comments=[]))
    assert b"the newest comment" not in files["comments.xml"]
    as_a_full_build(site, lambda site: edit(site, 33, comments=[]))  # 33 % 3 == 0: had two


def test_the_comment_feed_knows_its_newest_comments_past_the_listing(site: Path) -> None:
    """The listing keeps the newest 100 comments; with more on the site, a build after a
    change that takes some away must still show the site's newest 50."""
    many = [(f"2024-07-{1 + i % 28:02d}T{i % 24:02d}:00:00Z", f"c{i}") for i in range(70)]
    for n in (1, 2, 4):
        edit(site, n, comments=many)
    build(site, "out", "cache")
    as_a_full_build(site, lambda site: edit(site, 2, comments=[]))  # 67 of the newest left
    # Fewer than 50 of the newest known after the next: a full build counts them again.
    as_a_full_build(site, lambda site: edit(site, 1, comments=[]), targeted=False)
    as_a_full_build(site, lambda site: edit(site, 4, comments=many[:3]), targeted=False)
    as_a_full_build(site, lambda site: edit(site, 4, comments=many[:2]))


def test_posts_added_and_deleted(site: Path) -> None:
    build(site, "out", "cache")

    def add(n: int, **changes: Any) -> Change:
        return lambda site: edit(site, n, **changes)

    def delete(n: int) -> Change:
        return lambda site: (site / "posts" / f"p{n:03d}.md").unlink()

    files = as_a_full_build(site, add(100, date="2025-03-01T08:00:00Z"))
    assert "posts/p100/index.html" in files and b"p100" in files["rss.xml"]
    for first in (101, 109, 117):  # enough to freeze archive pages and add an index page

        def eight(site: Path, first: int = first) -> None:
            for n in range(first, first + 8):
                edit(site, n, date=f"2025-03-{n - 99:02d}T08:00:00Z")

        as_a_full_build(site, eight)
    as_a_full_build(site, add(200, date="2024-02-10T12:00:00Z"))  # late, with an old date
    files = as_a_full_build(site, delete(100))
    assert not any(path.startswith("posts/p100/") for path in files)
    for n in (123, 30, 0, 200):  # the newest, one in the middle, the oldest
        as_a_full_build(site, delete(n))
    as_a_full_build(site, add(300, tags=["lonely"]))
    files = as_a_full_build(site, delete(300))
    assert not any("lonely" in path for path in files)


def test_several_changes_at_once(site: Path) -> None:
    build(site, "out", "cache")
    chosen = random.Random(11)
    for round_number in range(6):
        picks = chosen.sample(range(POSTS), 4)

        def changes(site: Path, picks: list[int] = picks, r: int = round_number) -> None:
            edit(site, picks[0], title=f"Round {r}")
            edit(site, picks[1], date=f"2024-0{1 + r}-15T09:30:00Z", tags=["t1", f"r{r}"])
            edit(site, picks[2], comments=[(f"2024-09-0{1 + r}T10:00:00Z", f"round {r}")])
            edit(site, 500 + r, date=f"2024-03-0{1 + r}T07:00:00Z")
            (site / "posts" / f"p{picks[3]:03d}.md").unlink(missing_ok=True)

        as_a_full_build(site, changes)


def test_what_a_full_build_must_decide_is_left_to_it(site: Path) -> None:
    build(site, "out", "cache")
    as_a_full_build(site, lambda site: edit(site, 7, date="2999-01-01T00:00:00Z"), targeted=False)
    edit(site, 7)
    build(site, "out", "cache")
    broken = lambda site: (site / "posts" / "broken.md").write_text("---\ntitle: [\n---\n")  # noqa: E731
    as_a_full_build(site, broken, targeted=False, errors=True)
    (site / "posts" / "broken.md").unlink()
    build(site, "out", "cache")
    clash = lambda site: (site / "posts" / "other.md").write_text(  # noqa: E731
        "---\ntitle: Clash\nslug: p004\ndate: 2024-05-01T00:00:00Z\n---\nx\n"
    )
    as_a_full_build(site, clash, targeted=False, errors=True)


def test_a_folder_named_another_way_is_the_same_site(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    os.environ["SYNDICATE_CACHE_DIR"] = str(site / "cache")
    absolute = load_settings(
        None, {"posts": site / "posts", "output": site / "out", "base_url": BASE_URL}
    )
    build_site(absolute)
    edit(site, 9, title="Seen through a relative path")
    relative = load_settings(
        None, {"posts": Path("posts"), "output": Path("out"), "base_url": BASE_URL}
    )
    report = build_site(relative)
    assert report.edits_only and not report.errors
    assert b"Seen through a relative path" in (site / "out" / "page" / "1.html").read_bytes()


def test_an_output_file_deleted_or_changed_by_another_build_means_a_full_build(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(site, "out", "cache")
    (site / "out" / "posts" / "p001" / "comments.atom").unlink()
    edit(site, 3, body="An edit.")
    only_edits, files = build(site, "out", "cache")
    assert not only_edits and "posts/p001/comments.atom" in files
    # Another build into the same folder (another cache, so our listing does not see it),
    # under another title: every page changes, and so does the manifest.
    monkeypatch.setenv("SYNDICATE_TITLE", "Another title")
    build(site, "out", "other-cache")
    monkeypatch.delenv("SYNDICATE_TITLE")
    edit(site, 4, body="Another edit.")
    only_edits, files = build(site, "out", "cache")
    assert not only_edits
    assert b"Another title" not in files["posts/p000/index.html"]


def test_the_freshness_scan_names_post_files_as_the_loader_does(tmp_path: Path) -> None:
    from syndicate.posts import post_files
    from syndicate.site.edits import posts_in_scan
    from syndicate.site.freshness import scan_inputs

    folder = tmp_path / "posts"
    for name in ["a.md", "b.txt", "image.png", ".hidden.md", "2024/c.markdown", ".git/d.md"]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    assert posts_in_scan(folder, scan_inputs(folder)) == post_files(folder)
    assert len(post_files(folder)) == 3


def test_a_site_with_an_archive_file_has_full_builds(site: Path) -> None:
    """Own posts are synced into the archive on every build: that is a full build's work."""
    from syndicate.archive import Archive

    with Archive(site / "archive.sqlite3"):
        pass
    build(site, "out", "cache")
    edit(site, 5, body="An edit.")
    only_edits, files = build(site, "out", "cache")
    assert not only_edits and b"An edit." in files["posts/p005/index.html"]


def test_after_writing_only_the_folders_above_a_written_file_are_read_again(
    tmp_path: Path,
) -> None:
    """The state a build after edits leaves for the next one: its folders' times as read
    before writing, but for the folders above the files it wrote or removed."""
    for name in ("a/x.html", "b/c/y.html", "b/z.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    paths = ["a/x.html", "b/c/y.html", "b/z.html", "top.html"]
    read = folder_times(tmp_path, paths)
    assert read is not None and list(read) == ["a", "b", "b/c"]
    earlier = dict.fromkeys(read, 1)  # times that no folder has: seen where they are kept
    again = folder_times(tmp_path, paths, known=earlier, touched=["b/c/y.html"])
    assert again == {"a": 1, "b": read["b"], "b/c": read["b/c"]}
    assert folders_state(tmp_path, paths, known=read, touched=["b/c/y.html"]) == (
        folders_state(tmp_path, paths)
    )
    shutil.rmtree(tmp_path / "a")
    assert folder_times(tmp_path, paths, known=earlier, touched=["a/x.html"]) is None


def test_a_deleted_post_or_a_moved_date_changes_its_own_pages_and_no_other(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The numbered pages begin where the last build began them (bounds.py): a post deleted
    from an old page leaves it one short, a post moved to an older date joins that date's
    page; the pages between (every one of them, when pages were cut afresh) keep their bytes."""
    monkeypatch.setenv("SYNDICATE_PAGE_SIZE", "5")  # 12 pages of the index, tags with pages
    _, before = build(site, "out", "cache")
    numbered = sorted(path for path in before if path.startswith("page/"))
    assert len(numbered) == 12  # 64 posts: 5 on index.html, 59 on page/1..12.html
    files = as_a_full_build(site, lambda site: (site / "posts" / "p003.md").unlink())
    assert b"p003" in before["page/1.html"] and b"p003" not in files["page/1.html"]
    assert [path for path in numbered if files[path] != before[path]] == ["page/1.html"]
    tag_pages = [path for path in before if path.startswith("tags/t3/page/")]
    assert len(tag_pages) > 1 and all(files[path] == before[path] for path in tag_pages[1:])
    # p010 (page 3) moves to a date between p040 and p041 (page 9): those two pages change.
    again = dict(files)
    files = as_a_full_build(site, lambda site: edit(site, 10, date="2024-02-13T20:00:00Z"))
    changed = [path for path in numbered if files[path] != again[path]]
    assert changed == ["page/3.html", "page/9.html"]
    assert b"p010" in files["page/9.html"] and b"p010" not in files["page/3.html"]
    # From nothing, the same posts are cut evenly again: the first numbered page is full.
    _, fresh = build(site, "fresh", "fresh-cache")
    assert (files["page/1.html"].count(b"<article"), fresh["page/1.html"].count(b"<article")) == (
        4,
        5,
    )
