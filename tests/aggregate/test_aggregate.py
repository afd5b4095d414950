"""Subscribing, fetching and merging cross-posted copies into one archive, end to end.

Real HTTP on 127.0.0.1 serving feeds in the shapes real hosts produce, the CLI, and a real
archive: each test that has one runs on a SQLite file and on a PostgreSQL database.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from syndicate.aggregate import fetcher as fetcher_module
from syndicate.errors import FeedError
from syndicate.workers import worker_pool
from tests.aggregate.feedweb import Follower
from tests.conftest import ArchiveLocation, FeedServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PARAGRAPHS = (FIXTURES / "article_paragraphs.txt").read_text(encoding="utf-8").split("\n\n")
OWN_URL = "https://blog.example.org/posts/why-feeds-still-matter/index.html"


def fixture(name: str, server: FeedServer) -> str:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    article_html = "".join(f"<p>{p.strip()}</p>" for p in PARAGRAPHS)
    return (
        text.replace("{server}", server.base_url)
        .replace("{article_html}", article_html)
        .replace("{article_markdown}", "\n\n".join(p.strip() for p in PARAGRAPHS))
        .replace("{first_paragraph}", PARAGRAPHS[0].strip())
        .replace("{summary_html}", escape("".join(f"<p>{p.strip()}</p>" for p in PARAGRAPHS[:2])))
    )


class Site(Follower):
    """A site folder with its config, archive and own post, driven through the CLI."""

    def __init__(self, root: Path, server: FeedServer, *, archive: ArchiveLocation) -> None:
        self.server = server
        posts = root / "posts"
        posts.mkdir()
        (posts / "why-feeds-still-matter.md").write_text(fixture("own-post.md", server))
        super().__init__(root, posts=posts, archive=archive)
        self.posts = posts

    def entry_with(self, url_part: str) -> dict[str, Any]:
        (entry,) = [
            e for e in self.archive() if any(url_part in (c["url"] or "") for c in e["copies"])
        ]
        return entry


@pytest.fixture
def site(tmp_path: Path, feed_server: FeedServer, archive_location: ArchiveLocation) -> Site:
    s = feed_server
    rss, atom, xml = "application/rss+xml; charset=UTF-8", "application/atom+xml", "text/xml"
    comments = "wordpress/2024/03/02/why-feeds-still-matter/feed/"
    s.serve("wordpress/feed/", fixture("wordpress.rss", s), ETag='"wp-1"', Content_Type=rss)
    s.serve(comments, fixture("wordpress-comments.rss", s), Content_Type=rss)
    s.serve("substack/feed", fixture("substack.atom", s), Content_Type=atom)
    s.serve("medium/feed/@janedoe", fixture("medium.rss", s), Content_Type=xml)
    s.serve("sam/rss.xml", fixture("other-author.rss", s), Content_Type=rss)
    folder = tmp_path / "site"
    folder.mkdir()
    site = Site(folder, s, archive=archive_location)
    for path in ("wordpress/feed/", "substack/feed", "medium/feed/@janedoe", "sam/rss.xml"):
        site.ok("subscribe", s.url(path))
    return site


def rules_by_host(entry: dict[str, Any]) -> dict[str, str | None]:
    return {copy["url"].split("/")[2]: copy["merge_rule"] for copy in entry["copies"]}


def test_every_copy_of_the_article_joins_our_own_post(site: Site) -> None:
    result = site.ok("fetch")
    assert "error" not in result.stderr
    entry = site.entry_with("blog.example.org")
    assert entry["copies"][0]["url"] == OWN_URL  # our own post is the canonical copy
    assert entry["title"] == "Why Feeds Still Matter"
    assert rules_by_host(entry) == {
        "blog.example.org": None,
        "mirror.example.net": "link",  # "originally published on <a href=...>" (trailing slash)
        "janeletters.substack.example": "content",  # summary-only copy, title with "!"
        "medium.example": "link",  # "Originally published at" with www. and utm_ parameters
    }
    substack = next(c for c in entry["copies"] if "substack" in c["url"])
    assert "of the shorter text in the longer" in substack["merge_evidence"]
    assert len(site.archive()) == 3  # plus the follow-up article and the other author's


def test_same_title_other_author_and_a_follow_up_are_separate_articles(site: Site) -> None:
    site.ok("fetch")
    other = site.entry_with("sam.example.com")
    assert len(other["copies"]) == 1
    follow_up = site.entry_with("why-feeds-still-matter-part-two")
    assert len(follow_up["copies"]) == 1


def test_a_duplicate_item_inside_one_feed_is_one_copy(site: Site) -> None:
    site.ok("fetch")
    entry = site.entry_with("blog.example.org")
    mirror = [c for c in entry["copies"] if "mirror.example.net" in c["url"]]
    assert len(mirror) == 1


def test_comments_of_every_copy_are_gathered(site: Site) -> None:
    result = site.ok("fetch")
    assert "2 comment(s)" in result.stdout
    entry = site.entry_with("blog.example.org")
    by_author = {c["author"]: c for c in entry["comments"]}
    assert set(by_author) == {"Priya", "Tom"}
    assert (
        by_author["Priya"]["source"]
        == "https://mirror.example.net/2024/03/02/why-feeds-still-matter/"
    )
    assert by_author["Priya"]["published"].startswith("2024-03-03T11:30:00")
    for comment in by_author.values():
        html = comment["content_html"]
        assert "onerror" not in html and "javascript:" not in html and "<script" not in html


def test_fetching_again_doubles_nothing_and_uses_conditional_get(site: Site) -> None:
    site.ok("fetch")
    before = site.archive()
    result = site.ok("fetch")
    assert site.archive() == before
    assert "1 not modified" in result.stdout  # the WordPress feed answered 304 to its ETag
    assert site.server.hits("wordpress/feed/")[-1].get("If-None-Match") == '"wp-1"'


def test_manual_merge_and_split_survive_a_refetch(site: Site) -> None:
    site.ok("fetch")
    main = site.entry_with("blog.example.org")
    other = site.entry_with("sam.example.com")
    substack = next(c for c in main["copies"] if "substack" in c["url"])
    site.ok("split", str(main["id"]), str(substack["id"]))
    site.ok("merge", str(main["id"]), str(other["id"]))
    site.server.routes["/substack/feed"].body += b"\n"  # changed bytes: fetched and stored again
    site.ok("fetch")
    main = site.entry_with("blog.example.org")
    hosts = {c["url"].split("/")[2] for c in main["copies"]}
    assert "sam.example.com" in hosts and "janeletters.substack.example" not in hosts
    assert len(site.entry_with("janeletters.substack.example")["copies"]) == 1
    manual = {c["url"].split("/")[2]: c["merge_rule"] for c in main["copies"]}
    assert manual["sam.example.com"] == "manual"


def test_archive_lists_why_each_copy_was_merged(site: Site) -> None:
    site.ok("fetch")
    lines = site.ok("archive").stdout.splitlines()
    assert any("mirror.example.net" in line and "(link:" in line for line in lines)
    assert any("substack" in line and "(content:" in line for line in lines)


def test_a_broken_feed_is_reported_and_the_others_still_merge(site: Site) -> None:
    site.server.serve("broken/feed", fixture("other-author.rss", site.server))
    site.ok("subscribe", site.server.url("broken/feed"))
    site.server.serve(
        "broken/feed", "<rss><channel><title>cut off", Content_Type="application/rss+xml"
    )
    result = site.run("fetch")
    assert result.exit_code == 1
    assert site.server.url("broken/feed") in result.stderr
    assert len(site.entry_with("blog.example.org")["copies"]) == 4
    listing = site.ok("subscriptions").stdout
    broken = next(line for line in listing.splitlines() if "broken/feed" in line)
    assert "1 failure(s)" in broken


def test_a_failed_fetch_changes_nothing_already_archived(site: Site) -> None:
    site.ok("fetch")
    before = site.archive()
    site.server.routes[
        "/wordpress/feed/"
    ].body = b"<?xml version='1.0'?><rss><channel><item><title>x"
    site.server.routes["/wordpress/feed/"].headers.pop("ETag")
    result = site.run("fetch")
    assert result.exit_code == 1
    assert site.archive() == before


def test_subscribe_by_site_url_finds_the_advertised_feed(site: Site) -> None:
    page = (
        '<html><head><link rel="alternate" type="application/rss+xml" title="Sam" '
        'href="/sam/rss.xml"></head><body>hi</body></html>'
    )
    site.server.serve("sam/", page, Content_Type="text/html")
    site.ok("unsubscribe", site.server.url("sam/rss.xml"))
    result = site.ok("subscribe", site.server.url("sam/"))
    assert site.server.url("sam/rss.xml") in result.stdout
    listed = json.loads(site.ok("subscriptions", "--json").stdout)
    assert site.server.url("sam/rss.xml") in {feed["url"] for feed in listed}


def test_subscriptions_and_unsubscribe(site: Site) -> None:
    assert len(json.loads(site.ok("subscriptions", "--json").stdout)) == 4
    site.ok("unsubscribe", site.server.url("sam/rss.xml"))
    assert len(json.loads(site.ok("subscriptions", "--json").stdout)) == 3
    result = site.run("unsubscribe", site.server.url("sam/rss.xml"))
    assert result.exit_code != 0 and "not subscribed" in result.output


def test_subscribe_refuses_what_is_not_a_feed(site: Site) -> None:
    site.server.serve("plain", "<html><body>No feeds here</body></html>", Content_Type="text/html")
    result = site.run("subscribe", site.server.url("plain"))
    assert result.exit_code == 1
    assert "advertises no feed" in result.output
    listed = json.loads(site.ok("subscriptions", "--json").stdout)
    assert site.server.url("plain") not in {feed["url"] for feed in listed}


ATOM_NS = {"atom": "http://www.w3.org/2005/Atom"}


def parse_clean(path: Path) -> Any:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return parsed


def test_build_writes_the_archive_feeds_naming_every_copy(site: Site) -> None:
    site.ok("fetch")
    site.ok("build")
    out = site.root / "out"
    atom = parse_clean(out / "archive.atom")
    ours = next(e for e in atom.entries if e.link == OWN_URL)
    related = {link.href for link in ours.links if link.rel == "related"}
    assert {h.split("/")[2] for h in related} == {
        "mirror.example.net",
        "janeletters.substack.example",
        "medium.example",
    }
    rss_tree = etree.parse(str(out / "archive.xml"))
    item = next(i for i in rss_tree.iter("item") if i.findtext("link") == OWN_URL)
    assert len(item.findall("atom:link[@rel='related']", ATOM_NS)) == 3
    parse_clean(out / "archive.xml")
    document = json.loads((out / "archive.json").read_text(encoding="utf-8"))
    item_json = next(i for i in document["items"] if i.get("url") == OWN_URL)
    assert len(item_json["_syndicate"]["copies"]) == 4
    assert len(document["items"]) == 3


def test_backfed_comments_join_our_post_comment_feeds_marked_with_their_copy(site: Site) -> None:
    site.ok("fetch")
    site.ok("build")
    folder = site.root / "out" / "posts" / "why-feeds-still-matter"
    rss = parse_clean(folder / "comments.xml")
    assert {e.author for e in rss.entries} == {"Priya", "Tom"}
    tree = etree.parse(str(folder / "comments.xml"))
    sources = {
        i.findtext("dc:creator", namespaces={"dc": "http://purl.org/dc/elements/1.1/"}): i.find(
            "source"
        )
        for i in tree.iter("item")
    }
    assert sources["Priya"].get("url") == site.server.url("wordpress/feed/")
    assert sources["Priya"].text == "Mirror Of Good Writing"
    atom = parse_clean(folder / "comments.atom")
    priya = next(e for e in atom.entries if e.author == "Priya")
    via = [link.href for link in priya.links if link.rel == "via"]
    assert via == ["https://mirror.example.net/2024/03/02/why-feeds-still-matter/#comment-17"]
    site_rss = parse_clean(site.root / "out" / "rss.xml")
    assert site_rss.entries[0].slash_comments == "2"
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "Mirror Of Good Writing" in page and "onerror" not in page


def subscription(site: Site, url_part: str) -> dict[str, Any]:
    listed = json.loads(site.ok("subscriptions", "--json").stdout)
    (feed,) = [feed for feed in listed if url_part in feed["url"]]
    return feed


def test_a_permanent_redirect_moves_the_subscription(site: Site) -> None:
    site.server.serve("sam/new.xml", fixture("other-author.rss", site.server))
    site.server.serve("sam/rss.xml", "", status=301, Location=site.server.url("sam/new.xml"))
    result = site.ok("fetch")
    assert "moved permanently" in result.stderr
    assert subscription(site, "sam/")["url"] == site.server.url("sam/new.xml")
    assert len(site.entry_with("sam.example.com")["copies"]) == 1
    site.ok("fetch")
    assert site.server.hits("sam/rss.xml") and len(site.server.hits("sam/new.xml")) == 2


def test_410_gone_ends_the_subscription_with_a_note(site: Site) -> None:
    site.server.serve("sam/rss.xml", "gone", status=410)
    result = site.ok("fetch")
    assert "410 Gone" in result.stderr
    assert subscription(site, "sam/")["gone"]
    assert "gone" in site.ok("subscriptions").stdout
    before = len(site.server.hits("sam/rss.xml"))
    site.ok("fetch")
    assert len(site.server.hits("sam/rss.xml")) == before  # never asked again


@pytest.mark.parametrize(
    ("status", "retry_after", "at_least_seconds"),
    [(429, "7200", 7200), (503, "Wed, 21 Oct 2099 07:28:00 GMT", 10**8), (500, None, 60)],
)
def test_a_failing_feed_backs_off_and_says_why(
    site: Site, status: int, retry_after: str | None, at_least_seconds: int
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    site.server.serve("sam/rss.xml", "busy", status=status, **headers)
    result = site.run("fetch")
    assert result.exit_code == 1 and str(status) in result.stderr
    feed = subscription(site, "sam/")
    assert feed["failures"] == 1 and str(status) in feed["last_error"]
    wait = datetime.fromisoformat(feed["next_due"]) - datetime.fromisoformat(feed["last_fetched"])
    assert wait.total_seconds() >= at_least_seconds
    hits = len(site.server.hits("sam/rss.xml"))
    assert site.ok("fetch").exit_code == 0  # skipped until due: no error, no request
    assert len(site.server.hits("sam/rss.xml")) == hits
    assert "next try" in site.ok("subscriptions").stdout


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<rss version="2.0"><channel><title>&d;</title><item><title>&d;</title></item></channel></rss>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><item><title>&secret;</title></item></channel></rss>"""


@pytest.mark.parametrize(
    "body",
    [
        BOMB,
        EXTERNAL,
        b"<html><body>not a feed</body></html>",
        b"<?xml version='1.0'?><rss version='2.0'><channel><item><title>cut",
        b"",
        b"\x00\x01\x02 binary garbage \xff\xfe",
        b"<rss version='2.0'><channel>" + b"<item><title>big</title></item>" * 400_000,
    ],
    ids=["xml-bomb", "external-entity", "html", "truncated", "empty", "binary", "huge"],
)
def test_hostile_feeds_are_recorded_and_the_others_still_merge(site: Site, body: bytes) -> None:
    site.ok("fetch")
    before = site.archive()
    site.server.serve("evil/feed", fixture("other-author.rss", site.server).replace("sam", "eve"))
    site.ok("subscribe", site.server.url("evil/feed"))
    site.server.serve("evil/feed", body, Content_Type="application/rss+xml")
    site.server.routes["/sam/rss.xml"].body += b"\n"
    result = site.run("fetch")
    assert result.exit_code == 1
    assert site.server.url("evil/feed") in result.stderr
    assert subscription(site, "evil/")["last_error"]
    after = site.archive()
    assert [
        a for a in after if not any("eve.example.com" in c["url"] for c in a["copies"])
    ] == before


def test_a_new_comment_elsewhere_reaches_an_unchanged_post_on_the_next_build(site: Site) -> None:
    site.ok("fetch")
    site.ok("build")
    feed_path = site.root / "out" / "posts" / "why-feeds-still-matter" / "comments.xml"
    assert {e.author for e in parse_clean(feed_path).entries} == {"Priya", "Tom"}
    route = site.server.routes["/wordpress/2024/03/02/why-feeds-still-matter/feed/"]
    route.body = route.body.replace(
        b"<item>",
        b"<item><title>By: Lee</title><dc:creator>Lee</dc:creator>"
        b"<guid isPermaLink='false'>https://mirror.example.net/?p=4242#comment-18</guid>"
        b"<pubDate>Mon, 04 Mar 2024 08:00:00 +0000</pubDate>"
        b"<description>Late to this.</description></item>\n<item>",
        1,
    )
    site.server.routes["/wordpress/feed/"].headers.pop("ETag")  # the post's feed is re-read
    site.ok("fetch")
    site.ok("build")
    assert {e.author for e in parse_clean(feed_path).entries} == {"Priya", "Tom", "Lee"}


def test_recent_conversations_are_polled_even_when_their_feed_is_unchanged(site: Site) -> None:
    from email.utils import format_datetime

    recent = format_datetime(datetime.now(UTC) - timedelta(days=1))
    server = site.server
    item = (
        f"<item><title>Fresh</title><link>https://fresh.example/1</link><guid>f1</guid>"
        f"<pubDate>{recent}</pubDate><description>new</description>"
        f"<wfw:commentRss>{server.url('fresh/comments')}</wfw:commentRss></item>"
    )
    server.serve(
        "fresh/feed",
        '<rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/"><channel>'
        f"<title>Fresh</title><link>https://fresh.example/</link>{item}</channel></rss>",
        ETag='"fresh-1"',
    )

    def comments(*names: str) -> str:
        items = "".join(
            f"<item><title>By: {n}</title><guid>c-{n}</guid><description>hi</description>"
            f"<dc:creator>{n}</dc:creator></item>"
            for n in names
        )
        return (
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>c</title><link>https://fresh.example/</link>{items}</channel></rss>"
        )

    server.serve("fresh/comments", comments("Ann"))
    site.ok("subscribe", server.url("fresh/feed"))
    site.ok("fetch")
    server.serve("fresh/comments", comments("Ann", "Bo"))
    result = site.ok("fetch")
    assert "1 not modified" in result.stdout or "not modified" in result.stdout
    entry = site.entry_with("fresh.example")
    assert {c["author"] for c in entry["comments"]} == {"Ann", "Bo"}


def test_parsing_in_worker_processes_archives_what_parsing_in_threads_does(
    site: Site,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    new_archive_location: Callable[[str], ArchiveLocation],
) -> None:
    """A fetch of many feeds parses them in worker processes: the same archive, comments and
    merges included, and a broken feed's error comes back across the process boundary."""
    server = site.server
    server.serve("broken/feed", fixture("other-author.rss", server))
    twin_folder = tmp_path / "twin"
    twin_folder.mkdir()
    twin = Site(twin_folder, server, archive=new_archive_location("twin"))
    for path in ("wordpress/feed/", "substack/feed", "medium/feed/@janedoe", "sam/rss.xml"):
        twin.ok("subscribe", server.url(path))
    for each in (site, twin):
        each.ok("subscribe", server.url("broken/feed"))
    server.serve("broken/feed", "<rss><channel><title>cut off", Content_Type="application/rss+xml")

    pools: list[int] = []

    def counted_pool(workers: int, **options: Any) -> Any:
        pools.append(workers)
        return worker_pool(workers, **options)

    in_threads = twin.run("fetch")
    assert not pools
    monkeypatch.setattr(fetcher_module, "PARSE_IN_WORKERS_FROM", 1)
    monkeypatch.setattr(fetcher_module, "worker_pool", counted_pool)
    in_workers = site.run("fetch", "--jobs", "2")
    assert pools == [2]
    assert in_workers.exit_code == in_threads.exit_code == 1
    assert server.url("broken/feed") + ": " in in_workers.stderr
    assert in_workers.stdout == in_threads.stdout
    # Feeds are stored as their downloads finish, so entries and copies may be numbered
    # differently: the same articles, copies, merges and comments all the same.
    assert numbered_apart(site.archive()) == numbered_apart(twin.archive())
    assert len(site.entry_with("blog.example.org")["comments"]) >= 2


def numbered_apart(articles: list[dict[str, Any]]) -> list[str]:
    """The archive with its entry and copy numbers left out, in an order of its own."""
    shown = []
    for article in articles:
        copies = sorted(
            json.dumps({k: v for k, v in copy.items() if k != "id"}, sort_keys=True)
            for copy in article["copies"]
        )
        rest = {k: v for k, v in article.items() if k not in ("id", "copies")}
        shown.append(json.dumps({"copies": copies, **rest}, sort_keys=True))
    return sorted(shown)


def crash_on_poison(content: bytes, url: str) -> str:
    """A parser that takes its worker process down, as a crash in a C parser would."""
    if content == b"poison":
        os._exit(70)
    return url


def test_a_parser_crash_fails_the_feed_and_spares_the_ones_after_it() -> None:
    with fetcher_module.parse_workers(fetcher_module.PARSE_IN_WORKERS_FROM, jobs=2) as parsers:
        assert parsers is not None
        fetcher = fetcher_module.Fetcher(parsers=parsers)
        with pytest.raises(FeedError, match="worker process parsing it stopped"):
            fetcher.parse(crash_on_poison, b"poison", "https://hostile.example/feed")
        assert fetcher.parse(crash_on_poison, b"<rss/>", "https://next.example/feed") == (
            "https://next.example/feed"
        )
