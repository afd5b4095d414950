"""Determinism, incremental rewriting, tidy removal and atomic writes of `syndicate build`."""

from __future__ import annotations

import os
from pathlib import Path

import feedparser

from tests.conftest import run_build

POST = """---
title: {title}
date: 2024-05-0{day}T09:00:00+00:00
comments:
  - author: Ann
    date: 2024-05-0{day}T10:00:00+00:00
    body: First!
---
Body of {title}.

Second paragraph.
"""


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")  # not syndicate's own bookkeeping
    }


def write_post(folder: Path, name: str, title: str, day: int) -> Path:
    path = folder / f"{name}.md"
    path.write_text(POST.format(title=title, day=day), encoding="utf-8")
    return path


def age_every_file(folder: Path) -> None:
    """Set mtimes into the past so that a rewrite is visible even within one clock tick."""
    for path in folder.rglob("*"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))


def test_same_inputs_give_byte_identical_output(seed_posts: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert run_build(seed_posts, first).exit_code == 0
    assert run_build(seed_posts, second).exit_code == 0
    contents = {name: data for name, (data, _) in snapshot(first).items()}
    assert contents == {name: data for name, (data, _) in snapshot(second).items()}
    assert "rss.xml" in contents and len(contents) >= 9


def test_second_build_rewrites_nothing(seed_posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    assert run_build(seed_posts, output).exit_code == 0
    age_every_file(output)
    before = snapshot(output)
    result = run_build(seed_posts, output)
    assert result.exit_code == 0
    assert "0 written" in result.stdout
    assert snapshot(output) == before


def test_edited_post_rewrites_only_what_it_affects(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    write_post(posts, "one", "One", 1)
    edited = write_post(posts, "two", "Two", 2)
    assert run_build(posts, output).exit_code == 0
    age_every_file(output)
    before = snapshot(output)
    # The second paragraph is not in the summary, so the index page does not change.
    edited.write_text(edited.read_text().replace("Second paragraph.", "Second, edited."))
    assert run_build(posts, output).exit_code == 0
    after = snapshot(output)
    changed = {name for name in after if after[name] != before.get(name)}
    site_feeds = {"rss.xml", "atom.xml", "feed.json", "archive.xml", "archive.atom", "archive.json"}
    assert changed == {*site_feeds, "posts/two/index.html"}


def test_deleted_post_files_go_and_foreign_files_stay(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    write_post(posts, "one", "One", 1)
    gone = write_post(posts, "two", "Two", 2)
    output.mkdir()
    (output / "robots.txt").write_text("User-agent: *\n")
    (output / "posts").mkdir()
    (output / "posts" / "keep.txt").write_text("mine")
    assert run_build(posts, output).exit_code == 0
    assert (output / "posts/two/comments.xml").is_file()
    gone.unlink()
    result = run_build(posts, output)
    assert result.exit_code == 0
    assert "2 removed" not in result.stdout and "3 removed" in result.stdout
    assert not (output / "posts/two").exists()
    assert (output / "robots.txt").read_text() == "User-agent: *\n"
    assert (output / "posts" / "keep.txt").read_text() == "mine"
    assert [e.title for e in feedparser.parse((output / "rss.xml").read_bytes()).entries] == ["One"]


def test_no_temporary_files_are_left_behind(seed_posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    assert run_build(seed_posts, output).exit_code == 0
    leftovers = [p for p in output.rglob("*") if p.name.startswith(".") and p.suffix == ".tmp"]
    assert leftovers == []
    assert not list(output.glob(".probe-*"))


def test_guid_is_stable_across_edits_and_new_posts(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    edited = write_post(posts, "one", "One", 1)
    assert run_build(posts, output).exit_code == 0
    (first_id,) = [e.id for e in feedparser.parse((output / "atom.xml").read_bytes()).entries]
    edited.write_text(edited.read_text().replace("title: One", "title: One, retitled"))
    write_post(posts, "two", "Two", 2)
    assert run_build(posts, output).exit_code == 0
    entries = feedparser.parse((output / "atom.xml").read_bytes()).entries
    assert {e.title: e.id for e in entries}["One, retitled"] == first_id


def test_empty_posts_folder_still_gives_valid_feeds(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    assert run_build(posts, output).exit_code == 0
    for name in ("rss.xml", "atom.xml", "comments.xml", "comments.atom"):
        parsed = feedparser.parse((output / name).read_bytes())
        assert not parsed.bozo and parsed.entries == []
