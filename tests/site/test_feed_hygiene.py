"""What feeds carry from a post: unique comment ids, IRI entry ids, absolute links, and no
active content (the author's allow-list, on the page as in the feeds)."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
from lxml import etree, html

from tests.conftest import BASE_URL, run_build

ATOM = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


def build_one(tmp_path: Path, text: str, name: str = "post.md") -> Path:
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    (posts / name).write_text(text, encoding="utf-8")
    result = run_build(posts, output)
    assert result.exit_code == 0, result.output
    return output


def all_feed_files(output: Path) -> list[Path]:
    return [p for p in output.rglob("*") if p.suffix in (".xml", ".atom", ".json")]


def test_comment_ids_that_slug_alike_stay_distinct(tmp_path: Path) -> None:
    output = build_one(
        tmp_path,
        """---
title: Leap
date: 2024-02-29
comments:
  - {id: "c 2", author: Ann, body: first}
  - {id: c-2, author: Bob, body: second}
  - {id: r, author: Cy, body: reply, in_reply_to: "c 2"}
---
Body.
""",
    )
    atom = feedparser.parse((output / "posts/post/comments.atom").read_bytes())
    ids = [entry.id for entry in atom.entries]
    assert len(ids) == len(set(ids)) == 3
    tree = etree.parse(str(output / "posts/post/comments.atom"))
    reply = tree.xpath("//atom:entry[atom:author/atom:name='Cy']", namespaces=ATOM)[0]
    ann = tree.xpath("//atom:entry[atom:author/atom:name='Ann']/atom:id/text()", namespaces=ATOM)[0]
    ref = reply.find("{http://purl.org/syndication/thread/1.0}in-reply-to").get("ref")
    assert ref == ann != reply.findtext("atom:id", namespaces=ATOM)
    page = etree.parse(str(output / "posts/post/index.html"), etree.HTMLParser())
    anchors = page.xpath("//div[@class='comment']/@id")
    assert len(anchors) == len(set(anchors)) == 3


def test_an_id_that_is_not_an_iri_is_wrapped_in_a_tag_uri(tmp_path: Path) -> None:
    output = build_one(tmp_path, "---\ntitle: T\ndate: 2024-05-01\nid: my post id 1\n---\nB.\n")
    (entry,) = feedparser.parse((output / "atom.xml").read_bytes()).entries
    assert entry.id == "tag:blog.example.org,2024-05-01:my%20post%20id%201"


def test_author_html_is_made_safe_for_feeds_and_the_page_alike(tmp_path: Path) -> None:
    """The author's policy: no script, event attribute or iframe from a host that is not an
    embed host, on the page or in a feed; a YouTube embed stays in both."""
    output = build_one(
        tmp_path,
        """---
title: Embeds
date: 2024-05-01
---
Intro with a [relative link](../other/) and ![a picture](/img/a.png).

<script>track()</script>
<iframe src="https://video.example/embed/1"></iframe>
<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" allowfullscreen></iframe>
<p onclick="x()" role="note" aria-label="n" style="color:red">Styled</p>
""",
    )
    for path in all_feed_files(output):
        text = path.read_text(encoding="utf-8")
        for needle in ("track()", "video.example", "onclick", "aria-label", "color:red"):
            assert needle not in text, (path, needle)
    page = etree.parse(str(output / "posts/post/index.html"), etree.HTMLParser())
    (article,) = page.xpath("//article")
    contents = {"page": article}
    for name, feed in written_contents(output).items():
        contents[name] = html.fragment_fromstring(feed, create_parent="div")
    assert set(contents) == {"page", "rss.xml", "atom.xml", "feed.json"}
    for name, content in contents.items():
        assert content.xpath(".//script | .//*[@onclick] | .//*[@style]") == [], name
        iframes = content.xpath(".//iframe/@src")
        assert iframes == ["https://www.youtube.com/embed/dQw4w9WgXcQ"], name
        assert content.xpath(".//p[.='Styled']"), name
    for name in ("rss.xml", "atom.xml", "feed.json"):
        link, image = contents[name].xpath(".//a/@href | .//img/@src")
        assert (link, image) == (BASE_URL + "posts/other/", BASE_URL + "img/a.png"), name
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse((output / name).read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert "Styled" in parsed.entries[0].content[0].value


def written_contents(output: Path) -> dict[str, str]:
    """The HTML of the one post as each site feed carries it, read as written (feedparser's
    own sanitiser would take out the iframes a reader keeps)."""
    rss = etree.parse(str(output / "rss.xml"))
    atom = etree.parse(str(output / "atom.xml"))
    (item,) = json.loads((output / "feed.json").read_text(encoding="utf-8"))["items"]
    return {
        "rss.xml": rss.findtext("channel/item/content:encoded", namespaces=ATOM),
        "atom.xml": atom.findtext("atom:entry/atom:content", namespaces=ATOM),
        "feed.json": item["content_html"],
    }


def test_relative_links_in_comments_become_absolute_in_feeds(tmp_path: Path) -> None:
    output = build_one(
        tmp_path,
        """---
title: Links
date: 2024-05-01
comments:
  - {author: Ann, body: "see [this](/foo/bar) and [that](baz.html)"}
---
Body.
""",
    )
    for name in ("posts/post/comments.xml", "posts/post/comments.atom", "comments.xml"):
        (entry,) = feedparser.parse((output / name).read_bytes()).entries
        html = entry.content[0].value
        assert 'href="https://blog.example.org/foo/bar"' in html, name
        assert 'href="https://blog.example.org/posts/post/baz.html"' in html, name


def test_a_deleted_post_leaves_the_archive_feeds(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    archive = tmp_path / "archive.sqlite3"
    archive.touch()  # an archive file in use: the build syncs our posts into it
    (posts / "a.md").write_text("---\ntitle: Kept\ndate: 2024-05-01\n---\nA.\n")
    (posts / "b.md").write_text("---\ntitle: Deleted\ndate: 2024-05-02\n---\nB.\n")
    env = {"SYNDICATE_ARCHIVE": str(archive)}
    assert run_build(posts, output, env=env).exit_code == 0
    titles = {e.title for e in feedparser.parse((output / "archive.atom").read_bytes()).entries}
    assert titles == {"Kept", "Deleted"}
    (posts / "b.md").unlink()
    assert run_build(posts, output, env=env).exit_code == 0
    entries = feedparser.parse((output / "archive.atom").read_bytes()).entries
    assert [e.title for e in entries] == ["Kept"]
    assert entries[0].link == BASE_URL + "posts/a/index.html"


def test_moving_the_base_url_leaves_no_phantom_copies(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    archive = tmp_path / "archive.sqlite3"
    archive.touch()
    (posts / "a.md").write_text("---\ntitle: Moving\ndate: 2024-05-01\n---\n" + "Words. " * 40)
    run_build(posts, output, env={"SYNDICATE_ARCHIVE": str(archive)})
    result = run_build(
        posts,
        output,
        "--base-url",
        "https://new.example.net/",
        env={"SYNDICATE_ARCHIVE": str(archive)},
    )
    assert result.exit_code == 0, result.output
    (entry,) = feedparser.parse((output / "archive.atom").read_bytes()).entries
    assert entry.link == "https://new.example.net/posts/a/index.html"
    assert [link.href for link in entry.links if link.rel == "related"] == []
