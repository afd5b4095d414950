"""A WordPress export imported and built into a site, read by feedparser and lxml: every
published post is in the feeds under its WordPress guid (so a reader that held the old feed
sees no entry twice), comments under WordPress's own comment guids, threads as they were,
and nothing that was never public."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from syndicate.wordpress import import_wordpress
from syndicate.wordpress.wxr import read_export
from tests.conftest import local_file, run_build
from tests.wordpress.exports import FIELD_NOTES
from tests.wordpress.test_import import BERLIN

NOW = "2024-07-01T00:00:00Z"  # after every post but the one scheduled for 2031
THREAD = "{http://purl.org/syndication/thread/1.0}in-reply-to"
ATOM = "{http://www.w3.org/2005/Atom}"
ITEMS = read_export(FIELD_NOTES).items


def guids(kind: str, *statuses: str) -> set[str]:
    return {
        item.guid
        for item in ITEMS
        if item.post_type == kind and item.status in statuses and not item.password
    }


PUBLISHED_POSTS = guids("post", "publish")
PAGES = guids("page", "publish")
NEVER_IN_FEEDS = guids("post", "draft", "pending", "future", "private", "trash") | {
    "https://oldblog.example/?p=55"  # password-protected
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wordpress-site")
    posts, output = folder / "posts", folder / "out"
    import_wordpress(FIELD_NOTES, posts, zone=BERLIN)
    result = run_build(
        posts, output, env={"SYNDICATE_NOW": NOW, "SYNDICATE_CACHE_DIR": str(folder / "cache")}
    )
    assert result.exit_code == 0, result.output
    return output


def parsed(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, (path, feed.get("bozo_exception"))
    return feed


def test_every_feed_the_build_wrote_parses(site: Path) -> None:
    feeds = [
        p for p in site.rglob("*") if p.suffix in (".xml", ".atom") and p.name != "sitemap.xml"
    ]
    assert len(feeds) > 10
    for path in feeds:
        parsed(path)
    for path in site.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_the_site_feeds_carry_the_guids(site: Path, name: str) -> None:
    ids = {entry.id for entry in parsed(site / name).entries}
    assert ids >= PUBLISHED_POSTS
    assert not ids & NEVER_IN_FEEDS
    json_ids = {item["id"] for item in json.loads((site / "feed.json").read_bytes())["items"]}
    assert json_ids >= PUBLISHED_POSTS and not json_ids & NEVER_IN_FEEDS


def test_pages_are_not_feed_items(site: Path) -> None:
    ids = {entry.id for entry in parsed(site / "rss.xml").entries}
    assert PAGES and not ids & PAGES


def test_comments_keep_wordpress_comment_guids_and_threads(site: Path) -> None:
    hello = next(e for e in parsed(site / "rss.xml").entries if e.id.endswith("?p=12"))
    comments_atom = local_file(site, hello.wfw_commentrss).with_suffix(".atom")
    tree = etree.parse(str(comments_atom))
    replies = {
        entry.findtext(f"{ATOM}id"): entry.find(THREAD).get("ref")
        for entry in tree.iter(f"{ATOM}entry")
    }
    post = "https://oldblog.example/?p=12"
    assert replies == {
        f"{post}#comment-101": post,
        f"{post}#comment-102": f"{post}#comment-101",
        f"{post}#comment-104": post,
        f"{post}#comment-106": f"{post}#comment-101",
        f"{post}#comment-107": post,
        f"{post}#comment-108": post,
        f"{post}#comment-110": f"{post}#comment-102",
    }
    site_comments = {entry.id for entry in parsed(site / "comments.xml").entries}
    assert set(replies) <= site_comments
    assert not {f"{post}#comment-{n}" for n in (103, 105, 109)} & site_comments


def test_bodies_reach_the_feeds_as_the_old_site_showed_them(site: Path) -> None:
    entries = {entry.id: entry for entry in parsed(site / "atom.xml").entries}
    hello = etree.HTML(entries["https://oldblog.example/?p=12"].content[0].value)
    text = "".join(hello.itertext())
    assert "some *asterisks* and snake_case_words" in text and hello.find(".//em") is None
    assert hello.findtext(".//figure/figcaption") == "The harbour, at dawn"
    assert '[contact-form-7 id="4" title="Contact form"]' in text
    assert "".join(hello.find(".//pre").itertext()) == (
        'def greet():\n\n    print("hello")\n\n\ngreet()'
    )
    markup = entries["https://oldblog.example/?p=70"]
    assert markup.title == "Markup: ]]> & tags in a title"
    assert "cannot hold ]]>, so WordPress splits it in two: ]]> twice." in "".join(
        etree.HTML(markup.content[0].value).itertext()
    )
    unicode = entries["https://oldblog.example/?p=71&lang=zh"]
    assert unicode.title == "Ünïcödé 🚀 — مرحبا \u202eRTL\u202c"
    assert "السلام عليكم" in unicode.content[0].value


def test_the_post_page_shows_the_embedded_player(site: Path) -> None:
    blocks = next(e for e in parsed(site / "rss.xml").entries if e.id.endswith("?p=20"))
    page = local_file(site, blocks.link)
    page = page / "index.html" if page.is_dir() else page
    html = etree.parse(str(page), etree.HTMLParser())
    assert html.xpath("//iframe/@src") == ["https://www.youtube.com/embed/M7lc1UVf-VE"]
    assert html.xpath("//p[.='— Grace, from the pier']")  # the reusable block


def test_the_episode_carries_its_enclosure(site: Path) -> None:
    episode = next(e for e in parsed(site / "rss.xml").entries if e.id.endswith("?p=30"))
    [enclosure] = episode.enclosures
    assert enclosure.href.endswith("/2021/01/episode-1.mp3")
    assert (enclosure.length, enclosure.type) == ("24986239", "audio/mpeg")
