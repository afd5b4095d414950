"""A build after edits (edits.py) renders only what shows the edited posts: it must write
exactly what a full build of the same posts writes, every byte of every file, manifest too."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from syndicate.config import load_settings
from syndicate.site.build import build_site
from tests.conftest import BASE_URL

POSTS = 64


def post_text(n: int, body: str = "", title: str = "") -> str:
    tags = [f"t{n % 4}"] + (["Python"] if n % 7 == 0 else []) + (["python"] if n % 11 == 0 else [])
    comments = ""
    if n % 3 == 0:
        comments = (
            f"comments:\n  - author: Ann\n    date: 2024-06-{1 + n % 28:02d}T10:{n % 60:02d}:00Z\n"
            f"    body: hi {n}\n  - author: Bob\n    body: undated {n}\n"
        )
    return (
        f"---\ntitle: {title or f'Post {n}'}\ndate: 2024-01-01T00:00:00Z\n"
        f"tags: {tags}\n{comments}---\n"
        f"First paragraph of post {n}.\n\n## A heading\n\n{body or f'Body {n}.'}\n"
    ).replace("2024-01-01T00:00:00Z", f"2024-{1 + n // 28:02d}-{1 + n % 28:02d}T08:00:00Z")


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


def build(site: Path, output: str, cache: str) -> tuple[bool, dict[str, bytes]]:
    """Build the posts into `output`; (whether only edits were rendered, the files)."""
    import os

    os.environ["SYNDICATE_CACHE_DIR"] = str(site / cache)
    settings = load_settings(
        None, {"posts": site / "posts", "output": site / output, "base_url": BASE_URL}
    )
    report = build_site(settings)
    assert not report.errors
    return report.edits_only, every_file(site / output)


def edit(site: Path, n: int, **changes: str) -> None:
    (site / "posts" / f"p{n:03d}.md").write_text(post_text(n, **changes), encoding="utf-8")


def test_body_edits_render_what_a_full_build_renders(site: Path) -> None:
    first_only_edits, _ = build(site, "out", "cache")
    assert not first_only_edits
    chosen = random.Random(5)
    # The newest post (subscription feeds, archive feeds, tag feeds), a post with comments in
    # the site's comment feed, one on the open archive page, one on a frozen page, then random.
    rounds = [[POSTS - 1], [POSTS - 3], [POSTS - 6], [2], [30, 31, 9]]
    rounds += [chosen.sample(range(POSTS), 3) for _ in range(4)]
    for number, edited in enumerate(rounds):
        # The same output folder built in full (a fresh cache has no listing): an archive page
        # once frozen keeps its bytes in both (history.py), unlike in a build from nothing.
        shutil.copytree(site / "out", site / f"full-{number}")
        for n in edited:
            edit(site, n, body=f"Edited in round {number}.")
        only_edits, files = build(site, "out", "cache")
        assert only_edits, edited
        full_build, full = build(site, f"full-{number}", f"cache-{number}")
        assert not full_build
        assert files == full, edited
        assert all(
            f"Edited in round {number}.".encode() in files[f"posts/p{n:03d}/index.html"]
            for n in edited
        )


def test_an_edit_that_changes_a_list_is_a_full_build(site: Path) -> None:
    _, before = build(site, "out", "cache")
    shutil.copytree(site / "out", site / "full")
    edit(site, 10, title="A new title")  # the oldest page of the index lists it
    only_edits, files = build(site, "out", "cache")
    assert not only_edits
    assert b"A new title" in files["page/1.html"]
    assert files["index.html"] == before["index.html"]  # the newest 20 are as they were
    assert files == build(site, "full", "cache-full")[1]
    edit(site, 12, body="A later body edit is quick again.")
    assert build(site, "out", "cache")[0]


def test_an_added_or_removed_post_is_a_full_build(site: Path) -> None:
    build(site, "out", "cache")
    (site / "posts" / "p100.md").write_text(post_text(100), encoding="utf-8")
    only_edits, files = build(site, "out", "cache")
    assert not only_edits and "posts/p100/index.html" in files
    (site / "posts" / "p100.md").unlink()
    only_edits, files = build(site, "out", "cache")
    assert not only_edits and "posts/p100/index.html" not in files


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
