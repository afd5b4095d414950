"""Caches must never change what is built: a warm build equals a cold one, byte for byte,
and whatever a post's files show (the post, its backfed comments, the settings) re-renders it."""

from __future__ import annotations

import shutil
from datetime import UTC
from pathlib import Path

import feedparser
import pytest

from syndicate.config import load_settings
from syndicate.site.build import build_site
from syndicate.site.report import BuildReport
from tests.conftest import run_build


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def site_files(output: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(output)): p.read_bytes()
        for p in sorted(output.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def make_posts(folder: Path, count: int) -> None:
    for n in range(count):
        write(
            folder,
            f"p{n:03d}.md",
            f"---\ntitle: Post {n}\ndate: 2024-02-{1 + n % 28:02d}\n"
            f"tags: [t{n % 3}]\ncomments:\n  - author: Ann\n    body: hi {n}\n---\n"
            f"Body {n} with [a link](../p{n + 1:03d}/).\n",
        )


def test_a_warm_cache_builds_the_same_bytes_as_a_cold_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = tmp_path / "posts"
    make_posts(posts, 90)  # enough to parse in worker processes
    shutil.copy(Path(__file__).resolve().parents[2] / "seeds" / "000_7d488e9d4f938514.txt", posts)
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    assert run_build(posts, cold).exit_code == 0
    result = run_build(posts, warm)  # same cache folder: every post comes from the cache
    assert result.exit_code == 0
    assert "1 is present" in result.stderr  # the cached post's warning is still reported
    assert site_files(warm) == site_files(cold)
    monkeypatch.setenv("SYNDICATE_CACHE_DIR", str(tmp_path / "another-cache"))
    fresh = tmp_path / "fresh"
    assert run_build(posts, fresh).exit_code == 0
    assert site_files(fresh) == site_files(cold)
    # No cache at all (its folder cannot be made): every post is used whole, as parsed, not
    # as the light copy (no HTML; comments as times) that lists are made from.
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("SYNDICATE_CACHE_DIR", str(tmp_path / "not-a-folder" / "cache"))
    uncached = tmp_path / "uncached"
    assert run_build(posts, uncached).exit_code == 0
    assert site_files(uncached) == site_files(cold)


def test_a_cached_bad_post_is_still_an_error(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    write(posts, "good.md", "---\ntitle: Good\ndate: 2024-01-01\n---\nx\n")
    write(posts, "bad.md", "---\ntitle: Bad\ndate: nope\n---\nx\n")
    first = run_build(posts, tmp_path / "a")
    second = run_build(posts, tmp_path / "b")
    assert first.exit_code == second.exit_code == 1
    assert "bad.md:3" in first.stderr and "bad.md:3" in second.stderr


def test_an_edit_rerenders_that_post_and_the_feeds_that_show_it(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    make_posts(posts, 12)
    assert run_build(posts, output).exit_code == 0
    write(posts, "p005.md", (posts / "p005.md").read_text().replace("Body 5", "Edited body"))
    result = run_build(posts, output)
    assert result.exit_code == 0
    rss = feedparser.parse((output / "posts/p005/comments.xml").read_bytes())
    assert not rss.bozo
    page = (output / "posts/p005/index.html").read_text()
    assert "Edited body" in page
    assert "Edited body" in (output / "tags" / "t2.xml").read_text()


def test_new_settings_rerender_every_post(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    make_posts(posts, 3)
    assert run_build(posts, output).exit_code == 0
    result = run_build(posts, output, env={"SYNDICATE_TITLE": "A new name"})
    assert result.exit_code == 0
    for n in range(3):
        assert "A new name" in (output / f"posts/p{n:03d}/index.html").read_text()


def build_report(posts: Path, output: Path) -> BuildReport:
    return build_site(load_settings(overrides={"posts": posts, "output": output}, environ={}))


@pytest.mark.parametrize(
    "gone", ["posts/p001/comments.atom", "rss.xml", "posts/p002", "tags/t1.xml", "tags"]
)
def test_deleting_an_output_file_brings_it_back(tmp_path: Path, gone: str) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    make_posts(posts, 3)
    assert not build_report(posts, output).up_to_date
    assert build_report(posts, output).up_to_date
    before = site_files(output)
    path = output / gone
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert not build_report(posts, output).up_to_date
    assert site_files(output) == before
    assert build_report(posts, output).up_to_date


def test_a_file_of_someone_else_beside_the_site_is_not_a_change(tmp_path: Path) -> None:
    """The output folder's own changes are not looked at (WebSub's queue lives there)."""
    posts, output = tmp_path / "posts", tmp_path / "out"
    make_posts(posts, 3)
    build_report(posts, output)
    (output / "notes.txt").write_text("mine")
    assert build_report(posts, output).up_to_date


def test_rendering_on_every_core_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import syndicate.site.plan

    posts = tmp_path / "posts"
    make_posts(posts, 260)  # more than PARALLEL_RENDER_FROM: rendered in forked workers
    assert len(list(posts.iterdir())) > syndicate.site.plan.PARALLEL_RENDER_FROM
    parallel, serial = tmp_path / "parallel", tmp_path / "serial"
    assert run_build(posts, parallel).exit_code == 0
    monkeypatch.setattr(syndicate.site.plan, "PARALLEL_RENDER_FROM", 10**9)
    monkeypatch.setenv("SYNDICATE_CACHE_DIR", str(tmp_path / "second-cache"))
    assert run_build(posts, serial).exit_code == 0
    assert site_files(parallel) == site_files(serial)
    assert len(site_files(serial)) > 3 * 260


def test_parsing_in_several_pools_of_workers_keeps_every_post_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parse workers are replaced as they go (cmarkgfm leaks): with a pool per chunk,
    every file still comes back once, in order, as parsing them one by one gives; as posts,
    or as the rows the cache keeps of them (pickled in the worker)."""
    import syndicate.posts as sources
    from syndicate.posts.cache import light_copy, row_outcome

    posts = tmp_path / "posts"
    make_posts(posts, 90)
    jobs = [(str(path), 1, 2, str(path)) for path in sorted(posts.iterdir())]
    serial = [sources.versioned(sources.parse_file(Path(job[0]), UTC), job, UTC) for job in jobs]
    monkeypatch.setattr(sources, "PARALLEL_FROM", 1)
    monkeypatch.setattr(sources, "CHUNKS_PER_WORKER", 1)
    parallel = list(sources.parse_all(jobs, UTC, 1 << 20, False))
    assert parallel == serial
    assert len({parsed.post.slug for parsed in parallel if parsed.post}) == 90
    assert len({parsed.post.digest for parsed in parallel if parsed.post}) == 90
    rows = list(sources.parse_all(jobs, UTC, 1 << 20, True))
    assert all(isinstance(row, tuple) for row in rows)
    assert [row_outcome(row) for row in rows] == [
        sources.Parsed(light_copy(parsed.post), parsed.warnings) for parsed in serial if parsed.post
    ]
    contents = [parsed.post.content_html for parsed in serial if parsed.post]
    assert [row[1] for row in rows] == contents


def test_a_post_whose_cache_row_is_gone_is_read_again_with_its_comments(tmp_path: Path) -> None:
    """Loaded posts leave their HTML and comments in the cache; should the cache lose
    them between loading and rendering, they come from the file again, not as blanks."""
    import sqlite3

    from syndicate.posts import load_posts, parse_file
    from syndicate.posts.cache import PostCache

    posts = tmp_path / "posts"
    make_posts(posts, 3)
    cache = PostCache("UTC", tmp_path / "cache.sqlite3")
    loaded = load_posts(posts, zone=UTC, cache=cache).posts
    assert all(post.content_deferred and not post.comments for post in loaded)
    assert all(post.comment_count == len(post.deferred_comment_times) > 0 for post in loaded)
    with sqlite3.connect(tmp_path / "cache.sqlite3") as db:
        db.execute("DELETE FROM cached_posts")
    for post in loaded:
        full, fresh = cache.full(post), parse_file(Path(post.source), UTC).post
        assert fresh is not None and not full.content_deferred
        assert full.content_html == fresh.content_html != ""
        assert [c.content_html for c in full.comments] == [c.content_html for c in fresh.comments]
        assert full.comments[0].content_html.startswith("<p>hi ")
    cache.close()


def test_a_file_written_in_pieces_is_replaced_only_when_its_bytes_change(tmp_path: Path) -> None:
    from syndicate.files import write_pieces_if_changed

    target = tmp_path / "site" / "index.html"
    assert write_pieces_if_changed(target, iter([b"<p>", b"one", b"</p>"]))
    inode = target.stat().st_ino
    assert not write_pieces_if_changed(target, iter([b"<p>one", b"</p>"]))
    assert target.stat().st_ino == inode  # left as it was: same file, not a rewritten copy
    assert write_pieces_if_changed(target, iter([b"<p>two</p>"]))
    assert target.read_bytes() == b"<p>two</p>"
    assert [p.name for p in target.parent.iterdir()] == ["index.html"]  # no temporary left


@pytest.mark.parametrize("spelled", ["as linked", "relative"])
def test_a_post_in_a_linked_subfolder_comes_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelled: str
) -> None:
    """A post's HTML is fetched from the cache by the key the loader stored it under (its
    path under the posts folder's resolved path), also in a subfolder that is a link: it is
    what was loaded, not the file read again (which may have changed since)."""
    from syndicate.posts import load_posts
    from syndicate.posts.cache import PostCache

    elsewhere = tmp_path / "elsewhere"
    write(elsewhere, "linked.md", "---\ntitle: Linked\ndate: 2024-02-01\n---\nThe loaded body.\n")
    posts = tmp_path / "site" / "posts"
    make_posts(posts, 2)
    (posts / "more").symlink_to(elsewhere, target_is_directory=True)
    if spelled == "relative":
        monkeypatch.chdir(tmp_path / "site")
        posts = Path("posts")
    cache = PostCache("UTC", tmp_path / "cache.sqlite3", posts=posts)
    loaded = load_posts(posts, zone=UTC, cache=cache).posts
    (linked,) = [post for post in loaded if post.title == "Linked"]
    write(elsewhere, "linked.md", "---\ntitle: Linked\ndate: 2024-02-01\n---\nEdited since.\n")
    for post in loaded:
        assert "Body" in cache.full(post).content_html or post is linked
    assert "The loaded body." in cache.full(linked).content_html
    cache.close()
