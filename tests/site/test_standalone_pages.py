"""A post with `page: true` is a page of the site ("About"): its own page and its comment feeds,
in the sitemap and (as WordPress has them) in the site's comment feed; in no feed of posts, no
list, no post's previous/next links; and its edits re-render its own files alone."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
from lxml import etree, html

from syndicate.config import load_settings
from syndicate.site.build import build_site
from tests.conftest import BASE_URL, run_build, write_posts

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
ABOUT = (
    "---\ntitle: About\ndate: 2024-03-02T12:00:00Z\npage: true\ntags: [notes]\n"
    "comments:\n  - {id: '5', author: Ann, date: 2024-03-09T10:00:00Z, body: Hello there.}\n"
    "---\nWho writes here.\n\nAnd why.\n"
)


def post(n: int) -> str:
    return f"---\ntitle: Post {n}\ndate: 2024-03-0{n}T10:00:00Z\ntags: [notes]\n---\nBody {n}.\n"


def site_posts(about: str = ABOUT) -> dict[str, str]:
    return {"about.md": about, **{f"p{n}.md": post(n) for n in range(1, 4)}}


def built(tmp_path: Path, env: dict[str, str] | None = None) -> Path:
    posts, output = write_posts(tmp_path / "posts", site_posts()), tmp_path / "out"
    environment = {"SYNDICATE_FEED_LIMIT": "1", **(env or {})}  # history pages too
    result = run_build(posts, output, env=environment)
    assert result.exit_code == 0, result.output
    return output


def feed_ids(path: Path) -> list[str]:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, (path, feed.get("bozo_exception"))
    return [entry.get("title", "") for entry in feed.entries]


def test_a_page_is_in_no_feed_of_posts(tmp_path: Path) -> None:
    output = built(tmp_path)
    feeds = [
        *output.glob("*.xml"),
        *output.glob("*.atom"),
        *output.glob("tags/*.xml"),
        *output.glob("history/*.xml"),
        *output.glob("history/*.atom"),
    ]
    feeds = [
        path for path in feeds if path.name not in ("sitemap.xml",) and "comments" not in path.name
    ]
    assert len(feeds) >= 8
    for path in feeds:
        assert "About" not in feed_ids(path), path
    history = [title for path in output.glob("history/*.xml") for title in feed_ids(path)]
    assert sorted(history) == ["Post 1", "Post 2"]  # every post once, no page
    for name in ("feed.json", "archive.json"):
        titles = [item.get("title") for item in json.loads((output / name).read_bytes())["items"]]
        assert titles and "About" not in titles


def test_a_page_is_in_no_list_and_is_no_posts_neighbour(tmp_path: Path) -> None:
    output = built(tmp_path)
    for path in (output / "index.html", output / "tags/notes.html"):
        titles = html.parse(str(path)).getroot().xpath("//article/h2/a/text()")
        assert titles == ["Post 3", "Post 2", "Post 1"], path
    # Post 1 (1 March) and Post 2 (3 March) were published either side of the page (2 March).
    post1 = html.parse(str(output / "posts/p1/index.html")).getroot()
    assert post1.xpath("//nav[@class='neighbours']//a/@href") == [BASE_URL + "posts/p2/index.html"]


def test_a_page_has_its_page_and_comment_feeds_and_is_in_the_sitemap(tmp_path: Path) -> None:
    output = built(tmp_path)
    page = html.parse(str(output / "posts/about/index.html")).getroot()
    assert page.xpath("//h1/text()") == ["About"]
    assert not page.xpath("//article/p[@class='meta']")  # no date, author or tags
    assert not page.xpath("//nav[@class='neighbours']")
    assert not page.xpath("//link[contains(@href, '/tags/')]")  # it is in no tag's feed
    assert page.xpath("//div[@id='comment-5']")
    own = feedparser.parse((output / "posts/about/comments.atom").read_bytes())
    assert [entry.title for entry in own.entries] == ["By: Ann"]
    site = feedparser.parse((output / "comments.xml").read_bytes())
    assert [entry.title for entry in site.entries] == ["Comment on About by Ann"]
    locations = {loc.text for loc in etree.parse(str(output / "sitemap.xml")).iter(SITEMAP)}
    assert BASE_URL + "posts/about/index.html" in locations


def test_editing_a_page_renders_its_files_as_a_full_build_would(tmp_path: Path) -> None:
    output = built(tmp_path)
    index_before = (output / "index.html").stat().st_mtime_ns
    write_posts(tmp_path / "posts", {"about.md": ABOUT.replace("And why", "And how")})
    settings = load_settings(
        None,
        {"posts": tmp_path / "posts", "output": output, "base_url": BASE_URL},
        environ={"SYNDICATE_FEED_LIMIT": "1"},
    )
    report = build_site(settings)
    assert report.edits_only and not report.errors
    assert sorted(report.written) == ["posts/about/index.html"]
    assert b"And how" in (output / "posts/about/index.html").read_bytes()
    assert (output / "index.html").stat().st_mtime_ns == index_before
    fresh = tmp_path / "fresh"
    assert run_build(tmp_path / "posts", fresh, env={"SYNDICATE_FEED_LIMIT": "1"}).exit_code == 0
    assert every_file(output) == every_file(fresh)


def test_a_post_made_a_page_leaves_the_feeds_and_the_lists(tmp_path: Path) -> None:
    output = built(tmp_path)
    write_posts(tmp_path / "posts", {"p3.md": post(3).replace("tags:", "page: true\ntags:")})
    result = run_build(tmp_path / "posts", output, env={"SYNDICATE_FEED_LIMIT": "1"})
    assert result.exit_code == 0, result.output
    assert feed_ids(output / "rss.xml") == ["Post 2"]
    titles = html.parse(str(output / "index.html")).getroot().xpath("//article/h2/a/text()")
    assert titles == ["Post 2", "Post 1"]
    post2 = html.parse(str(output / "posts/p2/index.html")).getroot()
    assert post2.xpath("//nav[@class='neighbours']//a/@href") == [BASE_URL + "posts/p1/index.html"]


def every_file(output: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(output)): path.read_bytes()
        for path in sorted(output.rglob("*"))
        if path.is_file() and path.name != ".syndicate.lock"
    }
