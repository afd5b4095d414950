"""The public Python API: what the README shows works, errors keep file and line as data, and
the archive is reached through open_archive alone."""

from __future__ import annotations

from pathlib import Path

import pytest

import syndicate
from tests.conftest import SEED, FeedServer
from tests.hostile import rss

BROKEN = "---\ntitle: [unclosed\ndate: 2026-01-02\n---\nBody.\n"


def settings_for(tmp_path: Path, posts: Path) -> syndicate.Settings:
    return syndicate.load_settings(
        overrides={
            "posts": posts,
            "output": tmp_path / "out",
            "archive": tmp_path / "archive.sqlite3",
            "base_url": "https://blog.example.org/",
        },
        environ={"SYNDICATE_CACHE_DIR": str(tmp_path / "cache")},
    )


def test_build_reports_problems_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNDICATE_CACHE_DIR", str(tmp_path / "cache"))
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "seed.txt").write_bytes(SEED.read_bytes())
    (posts / "broken.md").write_text(BROKEN)
    settings = settings_for(tmp_path, posts)
    for attempt in ("built", "up to date"):
        report = syndicate.build(settings)
        assert report.posts == 1, attempt
        (problem,) = report.errors
        assert isinstance(problem, syndicate.PostError)
        assert problem.path == posts / "broken.md"
        assert problem.line is not None and problem.line >= 1
        assert problem in report.problems
    assert report.up_to_date  # the second build: the problems come from the last build's stamp


def test_open_archive_subscribes_fetches_and_lists(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.serve("feed.xml", rss("Elsewhere", 3), Content_Type="application/rss+xml")
    opml = tmp_path / "list.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        f'<outline type="rss" text="Other" xmlUrl="{feed_server.url("other.xml")}"/>'
        '<outline type="rss" text="Odd" xmlUrl="javascript:alert(1)"/></body></opml>'
    )
    feed_server.serve("other.xml", rss("Other", 2), Content_Type="application/rss+xml")
    settings = settings_for(tmp_path, tmp_path / "no-posts")
    with syndicate.open_archive(settings) as archive:
        assert archive.subscribe(url).unchecked is None
        with pytest.raises(syndicate.AlreadySubscribed):
            archive.subscribe(url)
        with pytest.raises(syndicate.UnsupportedURL):
            archive.subscribe("file:///etc/passwd")
        imported = archive.import_opml(opml)
        assert imported.added == [feed_server.url("other.xml")]
        assert imported.skipped == ["javascript:alert(1)"]
        report = archive.fetch()
        assert report.fetched == 2 and report.new_entries == 5
        titles = {article.title for article in archive.articles()}
        assert {"Elsewhere 0", "Other 1"} <= titles
        listed = {feed.url for feed in archive.subscriptions()}
        assert listed == {url, feed_server.url("other.xml")}
        with pytest.raises(syndicate.NotFound):
            archive.merge(10_000, 10_001)


def test_every_public_name_is_documented() -> None:
    for name in syndicate.__all__:
        assert hasattr(syndicate, name), name
    assert (Path(syndicate.__file__).parent / "py.typed").exists()


def test_a_fetch_reports_what_changed_and_subscriptions_say_what_feeds_say(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The honest counts and the feed's own words (plain text) reach the API as data."""
    feed = rss("Elsewhere", 3).replace(
        b"<description>d</description>",
        b"<description>&lt;b&gt;Bold&lt;/b&gt; words</description><generator>Gen 1</generator>",
    )
    url = feed_server.serve("feed.xml", feed, Content_Type="application/rss+xml")
    settings = settings_for(tmp_path, tmp_path / "no-posts")
    with syndicate.open_archive(settings) as archive:
        archive.subscribe(url)
        first = archive.fetch()
        assert (first.new_entries, first.updated_entries, first.unchanged_entries) == (3, 0, 0)
        again = archive.fetch()
        assert (again.new_entries, again.updated_entries, again.unchanged_entries) == (0, 0, 3)
        assert again.errors == again.warnings == []
        (listed,) = archive.subscription_details()
        assert listed.feed.url == url and listed.feed.title == "Elsewhere"
        assert (listed.profile.subtitle, listed.profile.generator) == ("Bold words", "Gen 1")
        assert listed.comment_feeds == ()
