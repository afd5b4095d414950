"""Relative links resolve as feedparser resolves them: against xml:base where the feed gives
one, else against the response's Content-Location (itself relative to the URL it came from),
and only then against the feed's URL; in every field, not only those feedparser resolves."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html

from syndicate.aggregate.parse import document_base, parse_feed
from tests.aggregate.feedweb import Follower, fixture_bytes
from tests.conftest import ArchiveLocation, FeedServer


def test_xml_base_then_content_location_then_the_feed_url(
    tmp_path: Path, feed_server: FeedServer, archive_location: ArchiveLocation
) -> None:
    follower = Follower(tmp_path, archive=archive_location)
    body = fixture_bytes("relative.atom", server=feed_server.base_url)
    feed_url = feed_server.serve(
        "feeds/relative",
        body,
        Content_Type="application/atom+xml",
        Content_Location="/mirror/feeds/relative.atom",
    )
    feed_server.serve(
        "cdn/blog/2024/first/comments.atom",
        "<feed xmlns='http://www.w3.org/2005/Atom'><title>c</title></feed>",
    )
    follower.ok("subscribe", feed_url)
    result = follower.ok("fetch")
    assert result.stderr == ""  # the comment feed was found where xml:base puts it
    assert feed_server.hits("cdn/blog/2024/first/comments.atom")
    copies = {copy["guid"]: copy for copy in follower.copies()}
    based = feed_server.url("cdn/blog/2024/first.html")
    assert copies["tag:relative.example,2024:post-1"]["url"] == based  # xml:base
    located = feed_server.url("mirror/feeds/posts/second.html")
    assert copies["tag:relative.example,2024:post-2"]["url"] == located  # Content-Location


def test_every_field_resolves_against_the_same_base() -> None:
    body = fixture_bytes("relative.atom", server="https://cdn.relative.example/")
    feed = parse_feed(
        body,
        "https://relative.example/feed.atom",
        content_location="https://mirror.example/feeds/relative.atom",
    )
    assert feed.site_url == "https://mirror.example/feeds/"
    assert feed.image_url == "https://mirror.example/feeds/images/logo.png"
    first, second = feed.entries
    assert (
        first.comments_feed_url == "https://cdn.relative.example/cdn/blog/2024/first/comments.atom"
    )
    root = lxml.html.fragment_fromstring(first.content_html, create_parent="div")
    assert root.xpath("//a/@href") == ["https://cdn.relative.example/cdn/blog/2024/second.html"]
    assert root.xpath("//img/@src") == ["https://cdn.relative.example/cdn/blog/img/a.png"]
    assert second.source_urls == ("https://mirror.example/feeds/other/feed.atom",)
    without = parse_feed(body, "https://relative.example/feed.atom")
    assert without.entries[1].url == "https://relative.example/posts/second.html"


def test_a_content_location_that_is_not_http_is_ignored() -> None:
    assert document_base("https://x.example/feed", "javascript:alert(1)") == (
        "https://x.example/feed"
    )
    assert document_base("https://x.example/a/feed", "../b/feed") == "https://x.example/b/feed"


def test_json_feed_links_resolve_against_the_content_location() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "T",
        "home_page_url": "./",
        "items": [{"id": "1", "url": "posts/1.html", "content_html": '<a href="2.html">2</a>'}],
    }
    feed = parse_feed(
        json.dumps(document).encode(),
        "https://x.example/feed.json",
        content_location="https://mirror.example/site/feed.json",
    )
    assert feed.site_url == "https://mirror.example/site/"
    (entry,) = feed.entries
    assert entry.url == "https://mirror.example/site/posts/1.html"
    assert 'href="https://mirror.example/site/posts/2.html"' in entry.content_html
