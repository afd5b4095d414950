"""Comment feeds of other sites are polled as feeds are: conditional GET with the validators
of the last poll, backoff after a failure, a time of their own when they are due again. A
failing one is a warning said once, when it starts failing (and shown per subscription in
`subscriptions --json`), never an error that changes the exit status: the site's own run
went well."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.aggregate.feedweb import Follower, closed_port_url, fixture_bytes, stderr_lines
from tests.backends import change_committed
from tests.conftest import ArchiveLocation, FeedServer

ATOM = "application/atom+xml"
COMMENTS = (
    '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
    "<title>Comments</title><link>https://allotment-diary.blogspot.example/</link>{items}"
    "</channel></rss>"
)


def comment_items(*names: str) -> str:
    return "".join(
        f"<item><title>By: {name}</title><guid>c-{name}</guid><dc:creator>{name}</dc:creator>"
        f"<description>Hello from {name}</description></item>"
        for name in names
    )


@pytest.fixture
def follower(tmp_path: Path, archive_location: ArchiveLocation) -> Follower:
    posts = tmp_path / "posts"
    posts.mkdir()
    return Follower(tmp_path, posts=posts, archive=archive_location)


def blogger(server: FeedServer, comments_base: str) -> str:
    body = fixture_bytes("allotment-blogger.atom", comments=comments_base)
    return server.serve("blogger/feeds/posts/default", body, Content_Type=ATOM)


def make_due_again(follower: Follower) -> None:
    """Let the backoff pass, as the clock would."""
    change_committed(
        follower.archive_location,
        "UPDATE comment_feeds SET next_due = '2000-01-01T00:00:00+00:00'",
    )


def test_unreachable_comment_feeds_warn_once_and_back_off(
    follower: Follower, feed_server: FeedServer
) -> None:
    unreachable = closed_port_url()
    feed_url = blogger(feed_server, unreachable)
    follower.ok("subscribe", feed_url)

    first = follower.run("fetch")
    assert first.exit_code == 0, first.output  # nothing of ours failed
    warnings = stderr_lines(first)
    assert len(warnings) == 25
    assert all(line.startswith(f"warning: {unreachable}feeds/") for line in warnings), warnings
    assert all("comment feed" in line and "cannot connect" in line for line in warnings)
    assert "25 warning(s)" in first.stdout and "error" not in first.output

    listed = follower.subscription(feed_url)
    assert listed["failures"] == 0 and listed["last_status"] == 200  # the feed itself is fine
    comment_feeds = listed["comment_feeds"]
    assert comment_feeds["polled"] == 25 and len(comment_feeds["failing"]) == 25
    failing = comment_feeds["failing"][0]
    assert failing["failures"] == 1 and "cannot connect" in failing["last_error"]
    wait = datetime.fromisoformat(failing["next_due"]) - datetime.fromisoformat(
        failing["last_fetched"]
    )
    assert wait.total_seconds() >= 60
    assert "25 of 25 comment feed(s) failing" in follower.ok("subscriptions").stdout

    again = follower.run("fetch")  # at once, as cron's next tick: nothing to say
    assert (again.exit_code, again.stderr) == (0, "")
    assert "0 comment(s)" in again.stdout and "25 unchanged" in again.stdout

    make_due_again(follower)
    later = follower.run("fetch")  # retried, still failing: said already
    assert (later.exit_code, later.stderr) == (0, "")
    assert follower.subscription(feed_url)["comment_feeds"]["failing"][0]["failures"] == 2


def test_publish_from_cron_is_silent_on_the_run_after_comment_feeds_fail(
    follower: Follower, feed_server: FeedServer
) -> None:
    follower.ok("subscribe", blogger(feed_server, closed_port_url()))
    first = follower.run("publish")
    assert first.exit_code == 0 and len(stderr_lines(first)) == 25
    second = follower.run("publish")
    assert (second.exit_code, second.stdout, second.stderr) == (0, "", "")


def test_comment_feeds_are_polled_with_their_validators(
    follower: Follower, feed_server: FeedServer
) -> None:
    feed_url = blogger(feed_server, feed_server.base_url)
    for post in range(9000, 9025):
        feed_server.serve(
            f"feeds/{post}/comments/default",
            COMMENTS.format(items=comment_items("Ann")),
            ETag=f'"c{post}"',
        )
    follower.ok("subscribe", feed_url)
    first = follower.ok("fetch")
    assert "25 comment(s)" in first.stdout and first.stderr == ""
    second = follower.ok("fetch")
    assert "0 comment(s)" in second.stdout
    hits = feed_server.hits("feeds/9000/comments/default")
    assert len(hits) == 2 and hits[-1].get("If-None-Match") == '"c9000"'  # answered 304

    feed_server.serve(  # a new comment, a new ETag: fetched, stored, counted once
        "feeds/9000/comments/default",
        COMMENTS.format(items=comment_items("Ann", "Bo")),
        ETag='"c9000-2"',
    )
    third = follower.ok("fetch")
    assert "1 comment(s)" in third.stdout
    entry = next(a for a in follower.archive() if a["title"] == "Week 1 on the plot")
    assert {comment["author"] for comment in entry["comments"]} == {"Ann", "Bo"}


def test_a_comment_feed_that_recovers_and_fails_again_warns_again(
    follower: Follower, feed_server: FeedServer
) -> None:
    feed_url = blogger(feed_server, feed_server.base_url)
    follower.ok("subscribe", feed_url)
    assert len(stderr_lines(follower.ok("fetch"))) == 25  # 404: no comment feeds served yet
    for post in range(9000, 9025):
        feed_server.serve(f"feeds/{post}/comments/default", COMMENTS.format(items=""))
    make_due_again(follower)
    recovered = follower.ok("fetch")
    assert recovered.stderr == ""
    assert follower.subscription(feed_url)["comment_feeds"]["failing"] == []
    feed_server.serve("feeds/9000/comments/default", "busy", status=503, Retry_After="7200")
    failed_again = follower.ok("fetch")
    (line,) = stderr_lines(failed_again)
    assert line.startswith(f"warning: {feed_server.url('feeds/9000/comments/default')}: HTTP 503")
    (failing,) = follower.subscription(feed_url)["comment_feeds"]["failing"]
    wait = datetime.fromisoformat(failing["next_due"]) - datetime.fromisoformat(
        failing["last_fetched"]
    )
    assert wait.total_seconds() >= 7200  # Retry-After is honoured, as for feeds
