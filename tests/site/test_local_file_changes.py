"""A file beside a post changes while the post file does not (a re-encoded episode, a fixed
image): the next build notices, the feeds give the enclosure's new length, the page's copy is
replaced; and a build with nothing changed after that rewrites nothing."""

from __future__ import annotations

import os
from pathlib import Path

import feedparser

from tests.conftest import run_build, write_posts

EPISODE = (
    "---\ntitle: Episode\ndate: 2024-01-01\nenclosure: ep.mp3\n---\nListen. ![cover](cover.png)\n"
)


def lengths(output: Path) -> list[str]:
    parsed = feedparser.parse((output / "rss.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [enclosure.length for entry in parsed.entries for enclosure in entry.enclosures]


def test_a_changed_file_beside_an_unchanged_post_is_published(tmp_path: Path) -> None:
    posts = write_posts(
        tmp_path / "posts", {"ep.md": EPISODE, "ep.mp3": b"\xff" * 1000, "cover.png": b"png"}
    )
    output = tmp_path / "out"
    assert run_build(posts, output).exit_code == 0
    assert lengths(output) == ["1000"]
    assert (output / "posts/ep/cover.png").read_bytes() == b"png"

    (posts / "ep.mp3").write_bytes(b"\xfe" * 2500)
    (posts / "cover.png").write_bytes(b"new cover")
    stat = (posts / "ep.md").stat()
    os.utime(posts / "ep.md", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the post untouched
    result = run_build(posts, output, "-v")
    assert result.exit_code == 0, result.output
    assert lengths(output) == ["2500"]
    assert (output / "posts/ep/ep.mp3").read_bytes() == b"\xfe" * 2500
    assert (output / "posts/ep/cover.png").read_bytes() == b"new cover"

    before = {path: path.stat().st_mtime_ns for path in output.rglob("*") if path.is_file()}
    again = run_build(posts, output, "-v")
    assert again.exit_code == 0 and "wrote " not in again.output
    assert {path: path.stat().st_mtime_ns for path in output.rglob("*") if path.is_file()} == before
