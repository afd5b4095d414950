"""The seed export round-trips through our feeds and back through feedparser with every field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree, html

from tests.conftest import BASE_URL, local_file, run_build

HEADINGS = [
    "Show Pony",
    "Shrewd Scheme",
    "Retracting the Reports",
    "Grave Issues",
    "Fighting the Families",
    "Limiting Losses",
    "Twisting the Tale",
    "Moving Military Means",
]
LEAD = "With Ukrainian demolitions under way, the fall of Artemovsk (Bakhmut) is now imminent."
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "thr": "http://purl.org/syndication/thread/1.0",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


@pytest.fixture
def built(seed_posts: Path, tmp_path: Path) -> Path:
    output = tmp_path / "out"
    result = run_build(seed_posts, output)
    assert result.exit_code == 0, result.output
    return output


def parse(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_rss_item_has_every_field_of_the_seed(built: Path) -> None:
    feed = parse(built / "rss.xml")
    assert feed.version == "rss20"
    assert feed.feed.title == "The van says…"
    (entry,) = feed.entries
    assert entry.title == "Bye Bye Bakhmut"
    assert entry.published_parsed[:6] == (2023, 3, 4, 0, 0, 0)
    assert entry.author == "The van says…"
    assert entry.summary == LEAD
    assert entry.link == BASE_URL + "posts/bye-bye-bakhmut/index.html"
    assert entry.comments == entry.link + "#comments"
    assert entry.id.startswith("tag:blog.example.org,2023-03-04:")
    assert entry.guidislink is False
    assert entry.slash_comments == "1"


def test_content_has_the_eight_headings_and_the_blockquote(built: Path) -> None:
    (entry,) = parse(built / "rss.xml").entries
    body = html.fragment_fromstring(entry.content[0].value, create_parent="div")
    assert [h.text_content() for h in body.findall("h2")] == HEADINGS
    (quote,) = body.findall("blockquote")
    assert quote.text_content().startswith("‘As mentioned, the battle for Artemovsk")
    assert quote.text_content().endswith("shorten the war as a whole.’")
    # Non-breaking spaces and curly quotes survive as text, never as entities or ASCII look-alikes.
    assert "Artemovsk\u00a0(covered in this article)\u00a0is" in body.text_content()
    assert "Russia’s Special Military Operation" in body.text_content()
    # The lead is the body's first paragraph and the summary is derived from it: shown once.
    assert body.findall("p")[0].text_content() == LEAD
    assert body.text_content().count(LEAD) == 1


def test_rss_namespaced_fields(built: Path) -> None:
    tree = etree.parse(str(built / "rss.xml"))
    (item,) = tree.findall("channel/item")
    assert item.findtext("dc:creator", namespaces=NS) == "The van says…"
    assert item.findtext("slash:comments", namespaces=NS) == "1"
    comment_rss = item.findtext("wfw:commentRss", namespaces=NS)
    assert comment_rss == BASE_URL + "posts/bye-bye-bakhmut/comments.xml"
    self_link = tree.find("channel/atom:link[@rel='self']", namespaces=NS)
    assert self_link.get("href") == BASE_URL + "rss.xml"
    assert tree.findtext("channel/lastBuildDate") == "Sat, 04 Mar 2023 00:00:00 +0000"
    assert tree.findtext("channel/language") == "en"


def test_following_wfw_comment_rss_reaches_willds_comment(built: Path) -> None:
    (entry,) = parse(built / "rss.xml").entries
    comments = parse(local_file(built, entry.wfw_commentrss))
    (comment,) = comments.entries
    assert comment.author == "WillD"
    paragraphs = html.fragment_fromstring(comment.content[0].value, create_parent="div").findall(
        "p"
    )
    assert len(paragraphs) == 3
    assert paragraphs[0].text_content().startswith("I’m worried about how the western neocon")
    assert paragraphs[2].text_content().endswith("how far they’ll go to escalate.")
    assert "published_parsed" not in comment  # the export gives no comment date; none is invented
    tree = etree.parse(str(local_file(built, entry.wfw_commentrss)))
    reply_to = tree.find("channel/item/thr:in-reply-to", namespaces=NS)
    assert reply_to.get("ref") == entry.id


def test_atom_feed_and_threading(built: Path) -> None:
    feed = parse(built / "atom.xml")
    assert feed.version == "atom10"
    (entry,) = feed.entries
    assert entry.title == "Bye Bye Bakhmut"
    assert entry.summary == LEAD
    assert entry.updated_parsed[:3] == (2023, 3, 4)
    tree = etree.parse(str(built / "atom.xml"))
    replies = tree.find("atom:entry/atom:link[@rel='replies']", namespaces=NS)
    assert replies.get("type") == "application/atom+xml"
    assert replies.get(f"{{{NS['thr']}}}count") == "1"
    comments = parse(local_file(built, replies.get("href")))
    (comment,) = comments.entries
    assert comment.author == "WillD"
    atom_tree = etree.parse(str(local_file(built, replies.get("href"))))
    in_reply_to = atom_tree.find("atom:entry/thr:in-reply-to", namespaces=NS)
    assert in_reply_to.get("ref") == entry.id
    assert in_reply_to.get("href") == entry.link


def test_site_comments_feed_holds_the_comment(built: Path) -> None:
    for name in ("comments.xml", "comments.atom"):
        (comment,) = parse(built / name).entries
        assert comment.author == "WillD"
        assert "Bye Bye Bakhmut" in comment.title


def test_json_feed(built: Path) -> None:
    document = json.loads((built / "feed.json").read_text(encoding="utf-8"))
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == BASE_URL + "feed.json"
    (item,) = document["items"]
    assert item["title"] == "Bye Bye Bakhmut"
    assert item["summary"] == LEAD
    assert datetime.fromisoformat(item["date_published"]) == datetime(2023, 3, 4, tzinfo=UTC)
    assert item["content_html"].count("<h2>") == 8
    assert item["authors"] == [{"name": "The van says…"}]
    assert item["_syndicate"]["comment_count"] == 1


def test_pages_advertise_their_feeds(built: Path) -> None:
    index = html.parse(str(built / "index.html")).getroot()
    advertised = {link.get("href") for link in index.iterfind(".//link[@rel='alternate']")}
    assert {
        BASE_URL + name for name in ("rss.xml", "atom.xml", "feed.json", "comments.xml")
    } <= advertised
    for url in advertised:
        assert local_file(built, url).is_file(), url
    page = html.parse(str(built / "posts/bye-bye-bakhmut/index.html")).getroot()
    post_feeds = {link.get("href") for link in page.iterfind(".//link[@rel='alternate']")}
    assert BASE_URL + "posts/bye-bye-bakhmut/comments.xml" in post_feeds
    assert BASE_URL + "posts/bye-bye-bakhmut/comments.atom" in post_feeds
    assert page.find(".//h1").text_content() == "Bye Bye Bakhmut"
    assert len(page.findall(".//article/h2")) == 8
    assert page.get_element_by_id("comment-1").text_content().count("WillD") == 1


def test_declared_comment_count_mismatch_is_a_warning_naming_file_and_line(
    seed_posts: Path, tmp_path: Path
) -> None:
    result = run_build(seed_posts, tmp_path / "out")
    assert result.exit_code == 0
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert "000_7d488e9d4f938514.txt:51:" in warning
    assert "2 comments" in warning and "1 is present" in warning


def test_timezone_setting_places_the_midnight(seed_posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = run_build(seed_posts, output, env={"SYNDICATE_TIMEZONE": "America/New_York"})
    assert result.exit_code == 0, result.output
    tree = etree.parse(str(output / "atom.xml"))
    assert tree.findtext("atom:entry/atom:published", namespaces=NS) == "2023-03-04T00:00:00-05:00"
