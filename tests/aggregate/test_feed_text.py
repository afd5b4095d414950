"""What a feed says of itself (title, subtitle, author, generator, image) is a stranger's text,
as its entries are: plain text for names and titles, http(s) only for URLs, wherever it is
stored and printed (`subscriptions`, `subscriptions --json`, `archive --json`, the archive
feeds a build writes)."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

from tests.aggregate.feedweb import Follower, serve
from tests.conftest import ArchiveLocation, FeedServer

HOSTILE_JSON = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Safe <script>alert(document.cookie)</script>Title",
    "home_page_url": "javascript:alert('home')",
    "description": '<img src=x onerror="alert(1)">A <b onmouseover="x()">bold</b> claim',
    "icon": "javascript:alert('icon')",
    "favicon": "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    "authors": [{"name": "Eve <script>steal()</script>Editor"}],
    "items": [
        {
            "id": "https://hostile.example/posts/1",
            "url": "https://hostile.example/posts/1",
            "title": "An ordinary entry",
            "content_text": "Nothing to see.",
            "date_published": "2024-03-05T07:00:00Z",
        }
    ],
}
DANGEROUS = ("<", "javascript", "onerror", "onmouseover", "alert", "steal", "data:")


@pytest.fixture(params=["rss", "json"])
def hostile_feed(request: pytest.FixtureRequest, feed_server: FeedServer) -> str:
    if request.param == "rss":
        return serve(feed_server, "eve/rss", "hostile-channel.rss", "application/rss+xml")
    body = json.dumps(HOSTILE_JSON)
    return feed_server.serve("eve/feed.json", body, Content_Type="application/feed+json")


def test_feed_level_text_is_plain_and_urls_are_http(
    tmp_path: Path,
    feed_server: FeedServer,
    hostile_feed: str,
    archive_location: ArchiveLocation,
) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    follower = Follower(tmp_path, posts=posts, archive=archive_location)
    follower.ok("subscribe", hostile_feed)
    follower.ok("fetch")

    listed = follower.subscription(hostile_feed)
    assert listed["title"] == "Safe Title"
    assert listed["subtitle"] == "A bold claim"
    assert listed["author"] in ("Eve Editor", "editor@hostile.example (Eve Editor)")
    assert listed["image_url"] is None  # javascript: and data: are not images to show
    if hostile_feed.endswith("rss"):
        assert listed["generator"] == "EvilPress 1.0"
    printed = {
        "subscriptions --json": follower.ok("subscriptions", "--json").stdout,
        "subscriptions": follower.ok("subscriptions").stdout,
        "archive --json": follower.ok("archive", "--json").stdout,
        "archive": follower.ok("archive").stdout,
    }
    for command, output in printed.items():
        found = [word for word in DANGEROUS if word in output]
        assert found == [], (command, found, output)
    (article,) = follower.archive()
    assert article["copies"][0]["feed_title"] == "Safe Title"

    follower.ok("build")
    atom = (tmp_path / "out" / "archive.atom").read_bytes()
    assert feedparser.parse(atom).entries[0].author == "Safe Title"  # the copy's feed's name
    for name in ("archive.atom", "archive.xml", "archive.json"):
        written = (tmp_path / "out" / name).read_bytes()
        if name != "archive.json":
            parsed = feedparser.parse(written)
            assert not parsed.bozo, parsed.get("bozo_exception")
        assert b"Safe Title" in written  # each names the copy's feed
        assert b"<script" not in written and b"alert(" not in written, name
