"""JSON Feed 1.0 and 1.1, read as RSS and Atom are: subscribe, discovery, fetch, merge across
formats and backfeed on real served bytes, and the same care with hostile input (size,
nesting, types)."""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from syndicate.aggregate.limits import MAX_FEED_BYTES, MAX_JSON_CONTAINERS, MAX_JSON_DEPTH
from syndicate.aggregate.parse import discover_feeds, parse_comments, parse_feed
from syndicate.errors import FeedError
from tests.aggregate.feedweb import Follower, fixture_bytes, serve
from tests.aggregate.test_aggregate import OWN_URL, PARAGRAPHS, Site
from tests.conftest import ArchiveLocation, FeedServer

FEED_JSON = "application/feed+json"


@pytest.fixture
def follower(tmp_path: Path, archive_location: ArchiveLocation) -> Follower:
    return Follower(tmp_path, archive=archive_location)


def by_url(copies: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {copy["url"]: copy for copy in copies}


# -- reading ------------------------------------------------------------------------------------


def test_json_feed_1_1_fields() -> None:
    feed = parse_feed(fixture_bytes("notebook.json"), "https://notebook.example/feed.json")
    assert (feed.title, feed.site_url) == ("Ada's Notebook", "https://notebook.example/")
    assert feed.subtitle == "Field notes, links and short posts"
    assert feed.author == "Ada Lovelace"
    assert feed.image_url == "https://notebook.example/images/icon-512.png"  # relative: resolved
    bees, frost, link, guest, odd = feed.entries  # the item without an id is discarded
    assert bees.guid == bees.url == "https://notebook.example/2024/03/04/bees-in-march/"
    assert bees.title == "Bees in March"
    assert bees.published == datetime(2024, 3, 4, 8, 30, tzinfo=UTC)
    assert bees.updated == datetime(2024, 3, 4, 12, tzinfo=UTC)
    assert bees.summary_html == "The first bees &amp; the hives"  # plain text, escaped
    root = lxml.html.fragment_fromstring(bees.content_html, create_parent="div")
    assert root.xpath("//script|//@onclick") == [] and "track(" not in bees.content_html
    assert root.xpath("//a/@href") == ["https://notebook.example/2024/02/01/hives/"]
    assert root.xpath("//img/@src") == [
        "https://notebook.example/2024/03/04/bees-in-march/photos/bee.jpg"  # the item's page
    ]
    assert frost.title == "" and frost.author == "Ada Lovelace"  # the feed's authors, 1.1
    assert frost.content_html == (
        "<p>Frost this morning. The &lt;b&gt; tag is not HTML here, and neither is &amp;amp;.</p>"
        "<p>Second paragraph.</p>"
    )
    assert link.origin_urls == ("https://wren.example/2023/on-syndication/",)  # external_url
    assert guest.guid == "20240301"  # a number, coerced
    assert guest.author == "Grace Hopper"  # the item's own authors, as plain text
    assert (odd.url, odd.title, odd.published, odd.updated) == (None, "", None, None)
    assert odd.content_html == "<p>Odd types are ignored, not trusted.</p>"


def test_json_feed_1_0_author_object_and_numeric_ids() -> None:
    feed = parse_feed(fixture_bytes("letters-1.0.json"), "https://wren.example/feed.json")
    first, second = feed.entries
    assert [first.guid, second.guid] == ["2", "1"]
    assert (first.author, second.author) == ("Wren Writer", "A Guest")
    assert first.published == datetime(2023, 3, 2, 7, tzinfo=UTC)
    assert first.summary_html == "Why feeds still matter."
    assert first.content_html == "<p>Feeds, again.</p><p>They never left.</p>"


def test_a_json_comment_feed_gives_comments() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Comments on Bees in March",
        "items": [
            {
                "id": "c-1",
                "url": "https://notebook.example/2024/03/04/bees-in-march/#c-1",
                "authors": [{"name": "Bob"}],
                "content_html": '<p>Lovely<script>x()</script> <a href="javascript:y()">x</a>',
                "date_published": "2024-03-05T10:00:00Z",
            }
        ],
    }
    (comment,) = parse_comments(json.dumps(document).encode(), "https://notebook.example/c.json")
    assert (comment.guid, comment.author) == ("c-1", "Bob")
    assert "script" not in comment.content_html and "javascript" not in comment.content_html


def nested(depth: int) -> bytes:
    return (
        b'{"version": "https://jsonfeed.org/version/1.1", "_x": '
        + b"[" * depth
        + b"]" * depth
        + b"}"
    )


HOSTILE_JSON = {
    "not JSON": b"{ this is not json",
    "not UTF-8": b'{"version": "https://jsonfeed.org/version/1.1", "title": "\xff\xfe"}',
    "an array": b"[]",
    "no version": b'{"title": "T", "items": []}',
    "another version": b'{"version": "https://example.org/feed/1", "items": []}',
    "items not a list": b'{"version": "https://jsonfeed.org/version/1.1", "items": {"a": 1}}',
    "an integer of 5,000 digits": b'{"version": "https://jsonfeed.org/version/1", "x": '
    + b"9" * 5000
    + b"}",
    "nested too deeply": nested(MAX_JSON_DEPTH + 1),
    "nested a million deep": nested(1_000_000),
    "too many objects": b'{"version": "https://jsonfeed.org/version/1.1", "items": ['
    + b"{}," * MAX_JSON_CONTAINERS
    + b"{}]}",
    "too large": b'{"version": "https://jsonfeed.org/version/1.1", "title": "'
    + b"x" * MAX_FEED_BYTES
    + b'"}',
}


@pytest.mark.parametrize("content", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_hostile_json_is_a_feed_error_quickly_and_small(content: bytes) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FeedError) as raised:
            parse_feed(content, "https://x.example/feed.json")
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert raised.value.url == "https://x.example/feed.json"
    assert elapsed < 2.0, elapsed
    assert peak < 4 * len(content) + 8_000_000, peak  # no structure is built from it


def test_nesting_within_the_limit_and_types_that_do_not_fit_are_read() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": ["not", "a", "string"],
        "_deep": json.loads(b"[" * (MAX_JSON_DEPTH - 2) + b"]" * (MAX_JSON_DEPTH - 2)),
        "items": [{"id": True}, {"id": "  "}, "not an object", {"id": 3.5, "title": "kept"}],
    }
    feed = parse_feed(json.dumps(document).encode(), "https://x.example/feed.json")
    assert feed.title == ""
    assert [(entry.guid, entry.title) for entry in feed.entries] == [("3.5", "kept")]


def test_discovery_prefers_feed_json_and_falls_back_on_application_json() -> None:
    page = b"""<html><head>
      <link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/7">
      <link rel="alternate" type="application/feed+json" title="JSON Feed" href="/feed.json">
      </head><body></body></html>"""
    assert discover_feeds(page, "https://notebook.example/") == [
        "https://notebook.example/feed.json",
        "https://notebook.example/wp-json/wp/v2/posts/7",
    ]


# -- served -------------------------------------------------------------------------------------


def test_subscribe_and_fetch_json_feeds_served_as_they_are(
    follower: Follower, feed_server: FeedServer
) -> None:
    v11 = serve(feed_server, "notebook/feed.json", "notebook.json", FEED_JSON, ETag='"n1"')
    v10 = serve(feed_server, "wren/feed.json", "letters-1.0.json", "application/json")
    assert "subscribed to" in follower.ok("subscribe", v11).stdout
    follower.ok("subscribe", v10)
    result = follower.ok("fetch")
    assert "error" not in result.stderr
    assert "fetched 2 feed(s)" in result.stdout and "7 new" in result.stdout
    copies = by_url(follower.copies())
    assert copies["https://notebook.example/2024/03/04/bees-in-march/"]["title"] == "Bees in March"
    assert {copy["feed_title"] for copy in copies.values()} == {
        "Ada's Notebook",
        "Letters from Wren",
    }
    # external_url names Wren's article: the link-blog item is a copy of it, for the merge
    wren = next(a for a in follower.archive() if a["title"] == "On syndication")
    assert {c["url"] for c in wren["copies"]} == {
        "https://wren.example/2023/on-syndication/",
        "https://notebook.example/2024/03/02/on-syndication-link/",
    }
    profile = follower.subscription(v11)
    assert (profile["title"], profile["author"]) == ("Ada's Notebook", "Ada Lovelace")
    again = follower.ok("fetch")
    assert "1 not modified" in again.stdout  # its ETag was sent back
    assert feed_server.hits("notebook/feed.json")[-1].get("If-None-Match") == '"n1"'


def test_subscribing_to_a_page_that_advertises_only_a_json_feed(
    follower: Follower, feed_server: FeedServer
) -> None:
    feed_url = serve(feed_server, "notebook/feed.json", "notebook.json", FEED_JSON)
    page = (
        '<!DOCTYPE html><html><head><title>Ada</title><link rel="alternate" '
        'type="application/feed+json" title="JSON Feed" href="/notebook/feed.json"></head>'
        "<body>Hello</body></html>"
    )
    feed_server.serve("notebook/", page, Content_Type="text/html; charset=utf-8")
    result = follower.ok("subscribe", feed_server.url("notebook/"))
    assert result.stdout.strip() == f"subscribed to {feed_url}"


def test_an_rss_copy_and_a_json_feed_copy_of_one_article_are_one_article(
    follower: Follower, feed_server: FeedServer
) -> None:
    """A site that publishes both formats, both subscribed: each article once, two copies."""
    json_url = serve(feed_server, "notebook/feed.json", "notebook.json", FEED_JSON)
    rss_url = serve(feed_server, "notebook/feed.xml", "notebook.rss", "application/rss+xml")
    follower.ok("subscribe", rss_url)
    follower.ok("subscribe", json_url)
    follower.ok("fetch")
    for page in (
        "https://notebook.example/2024/03/04/bees-in-march/",
        "https://notebook.example/2024/03/03/0930.html",
    ):
        (article,) = [a for a in follower.archive() if any(c["url"] == page for c in a["copies"])]
        assert {copy["feed"] for copy in article["copies"]} == {rss_url, json_url}
        assert [copy["merge_rule"] for copy in article["copies"]].count("link") == 1


def test_a_json_feed_copy_of_our_own_post_joins_it_and_its_feeds(
    tmp_path: Path, feed_server: FeedServer, archive_location: ArchiveLocation
) -> None:
    """Backfeed: a cross-post in another site's JSON Feed is one more copy of our post, in
    the archive and in the archive feeds the build writes."""
    folder = tmp_path / "site"
    folder.mkdir()
    site = Site(folder, feed_server, archive=archive_location)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Mirror In JSON",
        "home_page_url": "https://jsonmirror.example/",
        "items": [
            {
                "id": "https://jsonmirror.example/why-feeds-still-matter",
                "url": "https://jsonmirror.example/why-feeds-still-matter",
                "external_url": OWN_URL,
                "title": "Why Feeds Still Matter",
                "content_html": "".join(f"<p>{p.strip()}</p>" for p in PARAGRAPHS),
                "date_published": "2024-03-02T12:00:00Z",
            }
        ],
    }
    url = feed_server.serve("mirror/feed.json", json.dumps(document), Content_Type=FEED_JSON)
    site.ok("subscribe", url)
    site.ok("fetch")
    ours = site.entry_with("blog.example.org")
    assert ours["copies"][0]["url"] == OWN_URL
    mirror = next(c for c in ours["copies"] if c["feed"] == url)
    assert mirror["merge_rule"] == "link"
    site.ok("build")
    archive = json.loads((site.root / "out" / "archive.json").read_text(encoding="utf-8"))
    item = next(i for i in archive["items"] if i.get("url") == OWN_URL)
    assert "https://jsonmirror.example/why-feeds-still-matter" in {
        copy.get("url") for copy in item["_syndicate"]["copies"]
    }


def test_a_hostile_json_feed_fails_alone(follower: Follower, feed_server: FeedServer) -> None:
    good = serve(feed_server, "notebook/feed.json", "notebook.json", FEED_JSON)
    follower.ok("subscribe", good)
    bad = feed_server.serve("bad/feed.json", fixture_bytes("letters-1.0.json"))
    follower.ok("subscribe", bad)
    feed_server.serve("bad/feed.json", nested(1000), Content_Type=FEED_JSON)
    result = follower.run("fetch")
    assert result.exit_code == 1
    assert f"error: {bad}: JSON nested deeper than {MAX_JSON_DEPTH} levels" in result.stderr
    assert len(follower.copies()) == 5
