"""The benchmark harness end to end on tiny sizes (`pytest -m benchmark`, not the default run):
the harness, the library floor, and the Hugo site doing the work syndicate does."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from lxml import html

from . import corpus, floor, hugo, kinds
from .commands import syndicate_command
from .outputs import snapshot

ROOT = Path(__file__).resolve().parents[2]
POSTS = 50
FEED_SUFFIXES = (".xml", ".atom")


@pytest.mark.benchmark
def test_the_harness_measures_and_writes_the_figures(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    command = [
        sys.executable,
        "-m",
        "tests.bench",
        "--sizes",
        str(POSTS),
        "--feeds",
        "5",
        "--archive-sizes",
        "200,400",
        "--versus-reader",
        "12",
        "--repeat",
        "1",
        "--skip-hugo",
        "--workdir",
        str(tmp_path / "work"),
        "--json",
        str(results),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)

    assert done.returncode == 0, done.stderr
    assert "full build" in done.stdout and "merge per new entry" in done.stdout
    figures = json.loads(results.read_text(encoding="utf-8"))
    assert {
        "schema",
        "machine",
        "options",
        "startup",
        "builds",
        "fetch",
        "merge",
        "versus_reader",
        "rows",
    } <= set(figures)
    assert figures["errors"] == []
    assert {"nproc", "python", "syndicate", "hugo", "date"} <= set(figures["machine"])
    assert figures["machine"]["hugo"] is None  # --skip-hugo

    (build,) = figures["builds"]
    assert build["size"] == POSTS and build["hugo"] == {}
    steps = build["syndicate"]
    for step in ("full", "no_change", "body_edit", "title_edit", "comment_added", "post_added"):
        assert steps[step]["seconds"] > 0 and steps[step]["peak_rss_mb"] > 0
        assert len(steps[step]["samples"]) == 1
    full, unchanged = steps["full"]["output"], steps["no_change"]["output"]
    assert full["written_files"] == full["files"] > 3 * POSTS
    assert unchanged["written_files"] == 0 and unchanged["files"] == full["files"]
    for step in ("body_edit", "title_edit", "comment_added", "post_added"):
        assert 0 < steps[step]["output"]["written_files"] < full["files"]
    assert f"built {POSTS + 1} posts" in steps["post_added"]["last_output"]
    # The floor writes the files the build writes, but the build's own state: its manifest, its
    # lock, the RFC 5005 pages' members and the list pages' bounds.
    assert build["floor"]["seconds"] > 0
    assert build["floor"]["output"]["files"] == full["files"] - 4

    (fetch,) = figures["fetch"]
    assert fetch["feeds"] == 5 and set(fetch["runs"]) == {"1", "8"}
    for run in fetch["runs"].values():
        assert run["seconds"] > 0 and run["new_entries"] == 100
        assert run["store_share"] is not None

    (versus,) = figures["versus_reader"]
    assert versus["feeds"] == 12 and len(versus["styles"]) == 6  # every style of feed
    assert versus["syndicate_entries"] == versus["reader_entries"] == 240
    assert len(versus["syndicate"]["samples"]) == len(versus["reader"]["samples"]) == 1

    assert [each["archive_entries"] for each in figures["merge"]] == [200, 400]
    assert all(each["ms_per_entry"] > 0 for each in figures["merge"])
    measurements = {row["measurement"] for row in figures["rows"]}
    assert {
        "full build",
        "no-change rebuild",
        "one body edited",
        "one title edited",
        "one comment added",
        "one post added",
        "full build CPU / library floor",
        "fetch --jobs 8",
    } <= measurements


def syndicate_build(posts: Path, output: Path) -> dict[str, tuple[int, int, int]]:
    command = [*syndicate_command(), "build", str(posts), "-o", str(output)]
    command += ["--base-url", hugo.BASE_URL]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return snapshot(output)


def assert_feeds_parse(output: Path, paths: list[str]) -> None:
    feeds = [path for path in paths if path.endswith(FEED_SUFFIXES) and path != "sitemap.xml"]
    assert feeds
    for path in feeds:
        parsed = feedparser.parse((output / path).read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.feed.get("title"), path


@pytest.mark.benchmark
def test_the_floor_writes_the_files_a_build_writes(tmp_path: Path) -> None:
    posts = corpus.ensure_posts(tmp_path / "work", size=POSTS, seed=1)
    built = syndicate_build(posts, tmp_path / "built")
    command = [sys.executable, "-m", "tests.bench.floor", "--size", str(POSTS)]
    command += ["--workdir", str(tmp_path / "work"), "--output", str(tmp_path / "floor")]
    command += ["--json", str(tmp_path / "floor.json")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith(f"{POSTS} posts, ") and "feeds (feedgen)" in first
    assert second.startswith("library floor ")
    figures = json.loads((tmp_path / "floor.json").read_text(encoding="utf-8"))
    assert figures["total"] == pytest.approx(sum(figures["parts"].values()))
    assert set(figures["parts"]) >= {floor.WRITING, "pages (Jinja2)", "Markdown (cmark-gfm)"}
    written = snapshot(tmp_path / "floor")
    assert set(written) == {path for path in built if not path.startswith(".syndicate")}
    assert figures["files"] == len(written)
    assert_feeds_parse(tmp_path / "floor", list(written))


@pytest.mark.benchmark
@pytest.mark.skipif(shutil.which("hugo") is None, reason="Hugo is not installed")
def test_the_hugo_site_writes_what_syndicate_writes(tmp_path: Path) -> None:
    content = tmp_path / "content"
    posts = corpus.linked_copy(
        corpus.ensure_posts(tmp_path / "work", size=POSTS, seed=1), content / "posts"
    )
    built = syndicate_build(posts, tmp_path / "built")
    version = hugo.hugo_version()
    assert version is not None
    site = hugo.make_site(tmp_path / "site", version_line=version)
    command = hugo.build_command(site, content, tmp_path / "hugo-out")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)

    assert done.returncode == 0, done.stdout + done.stderr
    written = snapshot(tmp_path / "hugo-out")
    theirs = kinds.kind_counts(written, kinds.HUGO)
    ours = kinds.kind_counts(built, kinds.SYNDICATE)
    # Hugo's one difference: a redirect for page 1 of each list (the index's, each tag's).
    assert theirs.pop("redirect to page 1") == 1 + ours["tag RSS"]
    del ours["build state"]
    assert "other" not in theirs and "other" not in ours
    assert theirs == ours
    assert_feeds_parse(tmp_path / "hugo-out", list(written))
    for name in ("feed.json", "archive.json"):
        document = json.loads((tmp_path / "hugo-out" / name).read_bytes())
        assert document["items"] and document["version"].startswith("https://jsonfeed.org/")
    assert_replies_are_threaded(posts, tmp_path / "hugo-out")


def assert_replies_are_threaded(posts: Path, output: Path) -> None:
    """A reply is shown inside the comment it answers, on the post's page and in its feed."""
    replied = next(path for path in corpus.post_paths(posts) if "in_reply_to" in path.read_text())
    slug = replied.stem
    page = html.fromstring((output / "posts" / slug / "index.html").read_bytes())
    nested = page.xpath('//div[@class="comment"]/div[@class="comment"]')
    assert nested, slug
    parsed = feedparser.parse((output / "posts" / slug / "comments.atom").read_bytes())
    count = replied.read_text().count("  - id: ")
    assert len(parsed.entries) == count
