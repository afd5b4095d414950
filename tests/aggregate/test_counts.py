"""Honest counts: a copy counts as updated only when what the archive holds of it changed; a
copy seen again as it was counts as unchanged; comments count when new or changed."""

from __future__ import annotations

from pathlib import Path

from tests.aggregate.feedweb import Follower
from tests.conftest import ArchiveLocation, FeedServer
from tests.hostile import rss

WITH_COMMENTS = (
    '<rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/"><channel>'
    "<title>Talk</title><link>https://talk.example/</link>"
    "<item><title>A post</title><link>https://talk.example/a</link><guid>a</guid>"
    "<pubDate>Mon, 04 Mar 2024 10:00:00 GMT</pubDate><description>Hi</description>"
    "<wfw:commentRss>{comments}</wfw:commentRss></item></channel></rss>"
)
COMMENT_FEED = (
    '<rss version="2.0"><channel><title>Comments</title><link>https://talk.example/a</link>'
    "<item><title>By: Ann</title><guid>c1</guid><description>{text}</description></item>"
    "</channel></rss>"
)


def test_a_refetch_of_unchanged_feeds_updates_nothing(
    tmp_path: Path, feed_server: FeedServer, archive_location: ArchiveLocation
) -> None:
    follower = Follower(tmp_path, archive=archive_location)
    for name in ("alpha", "beta"):  # served without validators: each fetch is a 200
        follower.ok("subscribe", feed_server.serve(f"{name}/rss", rss(name, 20)))
    first = follower.ok("fetch")
    assert "40 new, 0 updated, 0 unchanged" in first.stdout
    before = follower.archive()

    again = follower.ok("fetch")
    assert "fetched 2 feed(s), 0 not modified: 0 new, 0 updated, 40 unchanged" in again.stdout
    assert follower.archive() == before

    route = feed_server.routes["/alpha/rss"]
    route.body = route.body.replace(b"Entry 3 of alpha", b"Entry 3 of alpha, corrected", 1)
    edited = follower.ok("fetch")
    assert "0 new, 1 updated, 39 unchanged" in edited.stdout
    (changed,) = [a for a in follower.archive() if a["title"] == "alpha 3"]
    assert changed["copies"][0]["title"] == "alpha 3"


def test_comments_seen_again_are_not_counted_again(
    tmp_path: Path, feed_server: FeedServer, archive_location: ArchiveLocation
) -> None:
    follower = Follower(tmp_path, archive=archive_location)
    comments = feed_server.serve("talk/a/feed", COMMENT_FEED.format(text="First"))
    follower.ok("subscribe", feed_server.serve("talk/rss", WITH_COMMENTS.format(comments=comments)))
    assert "1 comment(s)" in follower.ok("fetch").stdout
    assert "0 comment(s)" in follower.ok("fetch").stdout  # a 200, the same comment
    feed_server.serve("talk/a/feed", COMMENT_FEED.format(text="First, edited"))
    assert "1 comment(s)" in follower.ok("fetch").stdout
