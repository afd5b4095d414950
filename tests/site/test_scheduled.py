"""Scheduled posts: a post dated after the build's now is held back from everything the build
writes, the no-change check knows when it is due, and the build after that publishes it, with
the same bytes as a fresh build at that moment. The clock is set with SYNDICATE_NOW."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner, Result

from syndicate.cli import cli

NOW = "2026-12-01T10:00:00Z"
BEFORE_DUE = "2026-12-03T23:00:00Z"
AFTER_DUE = "2026-12-04T09:00:01Z"
POSTS = {
    "now.md": "---\ntitle: Published\ndate: 2026-11-01T09:00:00Z\n---\nHere now.\n",
    "later.md": (
        "---\ntitle: Friday post\ndate: 2026-12-04T09:00:00Z\ntags: [news]\n"
        "comments:\n- {id: c1, author: Early, body: First!}\n---\nOut on Friday.\n"
    ),
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    posts = tmp_path / "posts"
    posts.mkdir()
    for name, text in POSTS.items():
        (posts / name).write_text(text, encoding="utf-8")
    return tmp_path


def build(site: Path, now: str, *extra: str, output: str = "out") -> Result:
    env = {"SYNDICATE_NOW": now, "SYNDICATE_CACHE_DIR": str(site / "cache")}
    args = ["build", str(site / "posts"), "-o", str(site / output), *extra]
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_post_dated_later_is_held_back_from_everything(site: Path) -> None:
    result = build(site, NOW, "-v")
    assert "1 scheduled, next at 2026-12-04T09:00:00+00:00" in result.stdout
    assert "scheduled: later at 2026-12-04T09:00:00+00:00" in result.stdout
    written = files(site / "out")
    assert not [name for name, data in written.items() if b"Friday" in data or b"later" in data]
    feed = feedparser.parse(written["rss.xml"])
    assert not feed.bozo and [entry.title for entry in feed.entries] == ["Published"]


def test_the_no_change_check_waits_until_the_post_is_due(site: Path) -> None:
    build(site, NOW)
    early = build(site, BEFORE_DUE)
    assert "0 written" in early.stdout and "1 scheduled" in early.stdout
    due = build(site, AFTER_DUE)
    assert "scheduled" not in due.stdout
    assert "0 written" not in due.stdout
    feed = feedparser.parse((site / "out" / "rss.xml").read_bytes())
    assert [entry.title for entry in feed.entries] == ["Friday post", "Published"]
    assert (site / "out" / "posts" / "later" / "index.html").exists()
    again = build(site, AFTER_DUE)
    assert "0 written" in again.stdout


def test_publishing_when_due_gives_the_bytes_of_a_fresh_build(site: Path) -> None:
    build(site, NOW)
    build(site, AFTER_DUE)
    build(site, AFTER_DUE, output="fresh")
    assert files(site / "out") == files(site / "fresh")


def test_future_publishes_at_once(site: Path) -> None:
    build(site, NOW, "--future")
    feed = feedparser.parse((site / "out" / "rss.xml").read_bytes())
    assert [entry.title for entry in feed.entries] == ["Friday post", "Published"]


def test_a_scheduled_post_stays_out_of_the_archive_until_due(site: Path) -> None:
    env = {
        "SYNDICATE_NOW": NOW,
        "SYNDICATE_CACHE_DIR": str(site / "cache"),
        "SYNDICATE_ARCHIVE": str(site / "archive.sqlite3"),
        "SYNDICATE_POSTS": str(site / "posts"),
        "SYNDICATE_OUTPUT": str(site / "out"),
    }
    runner = CliRunner()
    assert runner.invoke(cli, ["fetch"], env=env, catch_exceptions=False).exit_code == 0
    listed = runner.invoke(cli, ["archive", "--json"], env=env, catch_exceptions=False)
    assert [article["title"] for article in json.loads(listed.stdout)] == ["Published"]
    published = runner.invoke(cli, ["publish"], env={**env, "SYNDICATE_NOW": AFTER_DUE})
    assert published.exit_code == 0, published.output
    listed = runner.invoke(cli, ["archive", "--json"], env=env, catch_exceptions=False)
    assert {article["title"] for article in json.loads(listed.stdout)} == {
        "Published",
        "Friday post",
    }
    assert b"Friday post" in (site / "out" / "archive.xml").read_bytes()
