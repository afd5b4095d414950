"""Files beside a post (Post.local_files) are copied next to its page: once, again only when
they change, streamed, removed with the post or the link; never over the post's own files."""

from __future__ import annotations

import os
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.config import Settings, load_settings
from syndicate.model import Post
from syndicate.posts import parse_file
from syndicate.site.plan import SitePlan
from syndicate.site.writer import WriteReport, write_site
from tests.conftest import BASE_URL, run_build

OLD = 1_000_000_000  # an mtime in the past: a rewrite shows


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    (folder / "media").mkdir(parents=True)
    (folder / "trip.md").write_text("---\ntitle: Trip\ndate: 2024-05-01\n---\nBody.\n")
    (folder / "boat.jpg").write_bytes(b"\xff\xd8 a boat")
    (folder / "media" / "talk.mp3").write_bytes(b"ID3 a talk")
    return folder


def settings_for(posts: Path, output: Path) -> Settings:
    return load_settings(None, {"posts": posts, "output": output, "base_url": BASE_URL}, environ={})


def trip(posts: Path, *local_files: str) -> Post:
    return Post(
        source=str(posts / "trip.md"),
        title="Trip",
        slug="trip",
        published=datetime(2024, 5, 1, tzinfo=UTC),
        content_html='<p><img src="boat.jpg" alt=""></p>',
        local_files=local_files,
    )


def build_posts(posts: Path, output: Path, *shown: Post) -> tuple[WriteReport, SitePlan]:
    plan = SitePlan(settings_for(posts, output), shown)
    return write_site(output, plan), plan


def test_files_beside_a_post_are_copied_next_to_its_page(posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    report, plan = build_posts(posts, output, trip(posts, "boat.jpg", "media/talk.mp3"))
    assert (output / "posts/trip/boat.jpg").read_bytes() == b"\xff\xd8 a boat"
    assert (output / "posts/trip/media/talk.mp3").read_bytes() == b"ID3 a talk"
    assert {"posts/trip/boat.jpg", "posts/trip/media/talk.mp3"} <= set(report.written)
    assert plan.assets.check.problems == []
    assert not list(output.rglob(".*.tmp"))


def test_an_unchanged_file_is_not_copied_again(posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    post = trip(posts, "boat.jpg")
    build_posts(posts, output, post)
    copy = output / "posts/trip/boat.jpg"
    os.utime(copy, ns=(OLD, OLD))
    report, _ = build_posts(posts, output, post)
    assert "posts/trip/boat.jpg" not in report.written
    assert copy.stat().st_mtime_ns == OLD
    os.utime(posts / "boat.jpg")  # touched, the same bytes: compared, not rewritten
    report, _ = build_posts(posts, output, post)
    assert "posts/trip/boat.jpg" not in report.written
    assert copy.stat().st_mtime_ns == OLD
    (posts / "boat.jpg").write_bytes(b"\xff\xd8 a bigger boat")
    report, _ = build_posts(posts, output, post)
    assert "posts/trip/boat.jpg" in report.written
    assert copy.read_bytes() == b"\xff\xd8 a bigger boat"


def test_a_file_no_longer_linked_or_of_a_post_gone_is_removed(posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build_posts(posts, output, trip(posts, "boat.jpg", "media/talk.mp3"))
    report, _ = build_posts(posts, output, trip(posts, "boat.jpg"))
    assert report.removed == ["posts/trip/media/talk.mp3"]
    assert not (output / "posts/trip/media").exists()
    other = replace(trip(posts), slug="other", title="Other")
    report, _ = build_posts(posts, output, other)
    assert "posts/trip/boat.jpg" in report.removed
    assert not (output / "posts/trip").exists()


def test_a_name_that_cannot_be_copied_safely_is_a_warning(posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    (posts / "index.html").write_text("<p>not the page</p>")
    (posts / "comments.xml").write_text("<rss/>")
    names = ("index.html", "comments.xml", "../boat.jpg", ".hidden", "/etc/passwd", "gone.png")
    _, plan = build_posts(posts, output, trip(posts, *names))
    warned = [str(problem) for problem in plan.assets.check.problems]
    assert len(warned) == len(names)
    assert all(line.startswith(f"{posts / 'trip.md'}: ") for line in warned)
    assert "index.html is the name of the post's own page" in warned[0]
    assert "gone.png is linked but is not a file here" in warned[-1]
    assert b"not the page" not in (output / "posts/trip/index.html").read_bytes()
    assert sorted(p.name for p in (output / "posts/trip").iterdir()) == [
        "comments.atom",
        "comments.xml",
        "index.html",
    ]


def test_a_large_file_is_copied_without_being_read_whole(posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    recording = posts / "episode.mp3"
    with open(recording, "wb") as handle:  # 200 MB, sparse: quick to make
        handle.truncate(200 * 1024 * 1024)
        handle.write(b"ID3")
    post = trip(posts, "episode.mp3")
    tracemalloc.start()
    try:
        build_posts(posts, output, post)
        os.utime(recording)  # compared again, a block at a time
        build_posts(posts, output, post)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (output / "posts/trip/episode.mp3").stat().st_size == recording.stat().st_size
    assert peak < 20 * 1024 * 1024, peak


# -- through `syndicate build`, with the Markdown importer filling Post.local_files ----------


def markdown_site(posts: Path) -> None:
    (posts / "trip.md").write_text(
        "---\ntitle: Trip\ndate: 2024-05-01\n---\nThe boat: ![a boat](boat.jpg).\n\n"
        "[The talk](media/talk.mp3).\n"
    )
    if not parse_file(posts / "trip.md", UTC).post.local_files:  # type: ignore[union-attr]
        pytest.skip("the Markdown importer does not fill Post.local_files yet")


def test_a_cron_run_that_changes_nothing_copies_nothing(posts: Path, tmp_path: Path) -> None:
    markdown_site(posts)
    output = tmp_path / "out"
    assert run_build(posts, output).exit_code == 0
    assert (output / "posts/trip/boat.jpg").read_bytes() == b"\xff\xd8 a boat"
    assert (output / "posts/trip/media/talk.mp3").is_file()
    for copy in (output / "posts/trip").rglob("*"):
        os.utime(copy, ns=(OLD, OLD))
    again = run_build(posts, output)
    assert "0 written" in again.stdout
    (posts / "boat.jpg").write_bytes(b"\xff\xd8 a new boat")  # the file alone changed
    changed = run_build(posts, output)
    assert changed.exit_code == 0 and "1 written" in changed.stdout, changed.stdout
    assert (output / "posts/trip/boat.jpg").read_bytes() == b"\xff\xd8 a new boat"


def test_a_file_changed_with_its_post_edited_is_copied(posts: Path, tmp_path: Path) -> None:
    """A body edit alone is a build of the edited post's files (edits.py): a file beside it
    that changed too makes it a full build, which copies the file."""
    markdown_site(posts)
    output = tmp_path / "out"
    assert run_build(posts, output).exit_code == 0
    text = (posts / "trip.md").read_text()
    (posts / "trip.md").write_text(text + "\nA paragraph more.\n")
    assert run_build(posts, output).exit_code == 0  # the edit path
    (posts / "trip.md").write_text(text + "\nAnother paragraph.\n")
    (posts / "media" / "talk.mp3").write_bytes(b"ID3 a longer talk")
    assert run_build(posts, output).exit_code == 0
    assert (output / "posts/trip/media/talk.mp3").read_bytes() == b"ID3 a longer talk"
    (posts / "trip.md").unlink()
    assert run_build(posts, output).exit_code == 0
    assert not (output / "posts/trip").exists()


def test_a_scheduled_posts_files_wait_for_it(posts: Path, tmp_path: Path) -> None:
    markdown_site(posts)
    output = tmp_path / "out"
    early = run_build(posts, output, env={"SYNDICATE_NOW": "2024-04-30T00:00:00Z"})
    assert early.exit_code == 0 and "1 scheduled" in early.stdout
    assert not (output / "posts/trip").exists()
    due = run_build(posts, output, env={"SYNDICATE_NOW": "2024-05-02T00:00:00Z"})
    assert due.exit_code == 0
    assert (output / "posts/trip/boat.jpg").is_file()
