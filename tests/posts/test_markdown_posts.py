"""Markdown posts with YAML (and TOML) front matter, built with the real CLI and read back
with feedparser and lxml: metadata, slugs, ids, drafts, comment threads, sanitising, limits."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime
from pathlib import Path

import feedparser
import lxml.html
import pytest
from click.testing import CliRunner, Result
from lxml import etree

from syndicate.cli import cli
from tests.conftest import write_posts

BASE_URL = "https://blog.example.org/"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "thr": "http://purl.org/syndication/thread/1.0",
}
THR_COUNT = "{http://purl.org/syndication/thread/1.0}count"
THR_UPDATED = "{http://purl.org/syndication/thread/1.0}updated"

HELLO_TITLE = "Hello <b>& friends"
HELLO_ID = "tag:blog.example.org,2024-01-02:hello-world"
CUSTOM_ID = "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"

HELLO = """\
---
title: "Hello <b>& friends"
date: 2024-01-02T10:00:00+02:00
updated: 2024-01-05T08:30:00Z
author: Ann Author
tags: [python, feeds]
summary: A short summary.
comments:
  - id: c1
    author: Bob
    date: 2024-01-03T09:00:00Z
    body: First!
  - id: c2
    author: Eve
    date: 2024-01-04T10:00:00Z
    in_reply_to: c1
    body: A reply to Bob.
  - id: c3
    author: Dan
    date: 2024-01-04T11:00:00Z
    in_reply_to: c2
    body: A reply to Eve.
  - id: c4
    author: Fay
    date: 2024-01-03T12:00:00Z
    body: Another top-level comment.
---
Some **bold** body text.

Second paragraph.
"""

CUSTOM = f"""\
---
title: Custom slug and id
date: 2024-03-05
slug: "Custom Slug!"
id: {CUSTOM_ID}
comments:
  - id: g1
    author: Gus
    date: 2024-03-06T08:00:00Z
    body: Newest comment of all.
---
First paragraph of the custom post.

Another paragraph.
"""

SUMMER = """\
---
title: Summer time
date: "2024-07-01 09:30"
author: Sam
---
Warm words.
"""

TOML_POST = """\
+++
title = "TOML post"
date = 2024-04-01T12:00:00+02:00
tags = ["toml", "hugo"]
author = "Tom"
+++
Written for Hugo.
"""

DRAFT = """\
---
title: Secret draft
date: 2024-12-24T10:00:00Z
draft: true
---
Not ready.
"""

BLOG = {
    "2024-01-02-hello-world.md": HELLO,
    "2024-02-10-ignored-name.md": CUSTOM,
    "summer.md": SUMMER,
    "notes.md": TOML_POST,
    "2024-12-24-secret.md": DRAFT,
}


# --- helpers -----------------------------------------------------------------------------


def run_build(
    workdir: Path,
    posts: Path,
    out: Path,
    *,
    config: Path | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """`syndicate build`, isolated from the caller's SYNDICATE_* variables and ./syndicate.toml."""
    clean_env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("SYNDICATE_")}
    clean_env.update(env or {})
    args = ["--config", str(config)] if config else []
    args += ["build", str(posts), "-o", str(out), "--base-url", BASE_URL]
    with contextlib.chdir(workdir):
        result = CliRunner().invoke(cli, args, env=clean_env, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def build_ok(workdir: Path, files: dict[str, str | bytes], **kwargs) -> Path:
    posts = write_posts(workdir / "posts", files)
    out = workdir / "out"
    result = run_build(workdir, posts, out, **kwargs)
    assert result.exit_code == 0, result.output
    return out


def feed(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return parsed


def xml(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot()


def local_file(out: Path, url: str) -> Path:
    assert url.startswith(BASE_URL), url
    return out / url.removeprefix(BASE_URL).split("#")[0]


def rss_item(out: Path, slug: str, feed_file: str = "rss.xml") -> etree._Element:
    link = f"{BASE_URL}posts/{slug}/index.html"
    (item,) = xml(out / feed_file).xpath("/rss/channel/item[link=$link]", link=link)
    return item


def atom_entry(out: Path, slug: str) -> etree._Element:
    href = f"{BASE_URL}posts/{slug}/index.html"
    (entry,) = xml(out / "atom.xml").xpath(
        "/atom:feed/atom:entry[atom:link[not(@rel) or @rel='alternate']/@href=$href]",
        namespaces=NS,
        href=href,
    )
    return entry


def one(element: etree._Element, path: str) -> str:
    (value,) = element.xpath(path, namespaces=NS)
    return value if isinstance(value, str) else value.text


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample blog, built once with the site's time zone set to Europe/Berlin."""
    workdir = tmp_path_factory.mktemp("blog")
    return build_ok(workdir, BLOG, env={"SYNDICATE_TIMEZONE": "Europe/Berlin"})


# --- the site feeds ----------------------------------------------------------------------


def test_every_feed_of_the_blog_parses_cleanly(blog: Path) -> None:
    feeds = sorted(
        p
        for p in blog.rglob("*")
        if p.suffix in (".xml", ".atom") and not p.name.startswith("sitemap")
    )
    tag_feeds = [p for p in feeds if "tags" in p.relative_to(blog).parts]
    # site, comments and archive feeds (RSS + Atom each), two per published post, two per tag
    assert len(feeds) - len(tag_feeds) == 6 + 2 * 4
    assert len(tag_feeds) >= 2
    for path in feeds:
        feed(path)
    rss, atom = feed(blog / "rss.xml"), feed(blog / "atom.xml")
    assert rss.version == "rss20"
    assert atom.version == "atom10"
    assert len(rss.entries) == len(atom.entries) == 4


def test_title_with_markup_characters_is_escaped_text(blog: Path) -> None:
    item = rss_item(blog, "hello-world")
    (title,) = item.xpath("title")
    assert title.text == HELLO_TITLE
    assert len(title) == 0  # no <b> element injected
    entry = atom_entry(blog, "hello-world")
    (atom_title,) = entry.xpath("atom:title", namespaces=NS)
    assert atom_title.text == HELLO_TITLE
    assert len(atom_title) == 0
    assert atom_title.get("type", "text") == "text"
    assert feed(blog / "rss.xml").entries[3].title == HELLO_TITLE
    page = lxml.html.parse(str(blog / "posts" / "hello-world" / "index.html")).getroot()
    (heading,) = page.xpath("//h1")
    assert heading.text_content() == HELLO_TITLE
    assert heading.xpath(".//b") == []
    assert json.loads((blog / "feed.json").read_text("utf-8"))["items"][3]["title"] == HELLO_TITLE


def test_dates_keep_their_offset_and_bare_dates_are_midnight_in_the_configured_zone(
    blog: Path,
) -> None:
    # an explicit offset is kept as written, not converted to the site's zone
    assert one(atom_entry(blog, "hello-world"), "atom:published") == "2024-01-02T10:00:00+02:00"
    assert one(rss_item(blog, "hello-world"), "pubDate") == "Tue, 02 Jan 2024 10:00:00 +0200"
    # a date without a time is midnight in Europe/Berlin (winter: +01:00)
    assert one(atom_entry(blog, "custom-slug"), "atom:published") == "2024-03-05T00:00:00+01:00"
    assert one(rss_item(blog, "custom-slug"), "pubDate") == "Tue, 05 Mar 2024 00:00:00 +0100"
    # a time without an offset is in Europe/Berlin too (summer: +02:00)
    assert one(atom_entry(blog, "summer"), "atom:published") == "2024-07-01T09:30:00+02:00"
    # the TOML datetime keeps its offset
    assert one(atom_entry(blog, "notes"), "atom:published") == "2024-04-01T12:00:00+02:00"
    items = json.loads((blog / "feed.json").read_text("utf-8"))["items"]
    published = {item["url"]: item["date_published"] for item in items}
    assert published[f"{BASE_URL}posts/custom-slug/index.html"] == "2024-03-05T00:00:00+01:00"


def test_bare_date_is_midnight_utc_by_default(tmp_path: Path) -> None:
    out = build_ok(tmp_path, {"2024-02-10-ignored-name.md": CUSTOM})
    assert one(atom_entry(out, "custom-slug"), "atom:published") == "2024-03-05T00:00:00+00:00"


def test_updated_date(blog: Path) -> None:
    entry = atom_entry(blog, "hello-world")
    assert one(entry, "atom:updated") == "2024-01-05T08:30:00+00:00"
    # without `updated`, the entry was last updated when it was published
    assert one(atom_entry(blog, "summer"), "atom:updated") == "2024-07-01T09:30:00+02:00"
    items = {i["url"]: i for i in json.loads((blog / "feed.json").read_text("utf-8"))["items"]}
    hello = items[f"{BASE_URL}posts/hello-world/index.html"]
    assert datetime.fromisoformat(hello["date_modified"]) == datetime.fromisoformat(
        "2024-01-05T08:30:00+00:00"
    )
    assert "date_modified" not in items[f"{BASE_URL}posts/summer/index.html"]


def test_author(blog: Path) -> None:
    assert one(rss_item(blog, "hello-world"), "dc:creator") == "Ann Author"
    assert one(atom_entry(blog, "hello-world"), "atom:author/atom:name") == "Ann Author"
    assert one(atom_entry(blog, "notes"), "atom:author/atom:name") == "Tom"
    parsed = feed(blog / "atom.xml")
    authors = {entry.link: entry.author for entry in parsed.entries}
    assert authors[f"{BASE_URL}posts/summer/index.html"] == "Sam"


def test_tags_become_rss_categories_and_atom_category_terms(blog: Path) -> None:
    assert rss_item(blog, "hello-world").xpath("category/text()") == ["python", "feeds"]
    assert atom_entry(blog, "hello-world").xpath("atom:category/@term", namespaces=NS) == [
        "python",
        "feeds",
    ]
    assert atom_entry(blog, "notes").xpath("atom:category/@term", namespaces=NS) == [
        "toml",
        "hugo",
    ]
    assert rss_item(blog, "summer").xpath("category") == []
    parsed = feed(blog / "rss.xml")
    tags = {entry.link: [t.term for t in entry.get("tags", [])] for entry in parsed.entries}
    assert tags[f"{BASE_URL}posts/hello-world/index.html"] == ["python", "feeds"]


def test_slug_from_front_matter_and_from_file_name(blog: Path) -> None:
    pages = sorted(p.parent.name for p in (blog / "posts").glob("*/index.html"))
    # "Custom Slug!" from front matter; the Jekyll date prefix is stripped from file names
    assert pages == ["custom-slug", "hello-world", "notes", "summer"]
    links = [entry.link for entry in feed(blog / "rss.xml").entries]
    assert links == [
        f"{BASE_URL}posts/{slug}/index.html"
        for slug in ("summer", "notes", "custom-slug", "hello-world")
    ]
    for link in links:
        assert local_file(blog, link).is_file()


def test_summary_from_front_matter_or_first_paragraph(blog: Path) -> None:
    assert one(rss_item(blog, "hello-world"), "description") == "A short summary."
    assert one(atom_entry(blog, "hello-world"), "atom:summary") == "A short summary."
    fallback = "First paragraph of the custom post."
    assert one(rss_item(blog, "custom-slug"), "description") == fallback
    assert one(atom_entry(blog, "custom-slug"), "atom:summary") == fallback
    items = {i["url"]: i for i in json.loads((blog / "feed.json").read_text("utf-8"))["items"]}
    assert items[f"{BASE_URL}posts/hello-world/index.html"]["summary"] == "A short summary."


def test_explicit_id_is_the_guid_and_the_atom_id(blog: Path) -> None:
    (guid,) = rss_item(blog, "custom-slug").xpath("guid")
    assert guid.text == CUSTOM_ID
    assert guid.get("isPermaLink") == "false"
    assert one(atom_entry(blog, "custom-slug"), "atom:id") == CUSTOM_ID
    # without one, the id is a tag: URI
    assert one(rss_item(blog, "hello-world"), "guid") == HELLO_ID
    assert one(atom_entry(blog, "hello-world"), "atom:id") == HELLO_ID
    ids = {i["url"]: i["id"] for i in json.loads((blog / "feed.json").read_text("utf-8"))["items"]}
    assert ids[f"{BASE_URL}posts/custom-slug/index.html"] == CUSTOM_ID
    # the comments of that post hang off the explicit id
    comments = xml(blog / "posts" / "custom-slug" / "comments.atom")
    assert comments.xpath("atom:entry/atom:id/text()", namespaces=NS) == [
        f"tag:blog.example.org,2024:{CUSTOM_ID}#comment-g1"
    ]


def test_drafts_are_not_published(blog: Path) -> None:
    assert not (blog / "posts" / "secret").exists()
    for path in blog.rglob("*"):
        if path.is_file():
            text = path.read_text("utf-8")
            assert "Secret draft" not in text, path
            assert "posts/secret/" not in text, path
    assert len(feed(blog / "rss.xml").entries) == 4


def test_toml_front_matter(blog: Path) -> None:
    item = rss_item(blog, "notes")
    assert one(item, "title") == "TOML post"
    assert one(item, "dc:creator") == "Tom"
    (encoded,) = item.xpath("content:encoded/text()", namespaces=NS)
    assert "Written for Hugo." in encoded


# --- comments ----------------------------------------------------------------------------


def test_comment_feed_is_reached_through_wfw_comment_rss(blog: Path) -> None:
    url = one(rss_item(blog, "hello-world"), "wfw:commentRss")
    assert url == f"{BASE_URL}posts/hello-world/comments.xml"
    comments = feed(local_file(blog, url))
    assert comments.version == "rss20"
    assert sorted(entry.author for entry in comments.entries) == ["Bob", "Dan", "Eve", "Fay"]
    assert {entry.link for entry in comments.entries} == {
        f"{BASE_URL}posts/hello-world/index.html#comment-c{n}" for n in range(1, 5)
    }
    # a post without comments still has its (empty) comment feed
    empty = one(rss_item(blog, "summer"), "wfw:commentRss")
    assert feed(local_file(blog, empty)).entries == []


def test_comment_counts_in_slash_comments_and_thr_count(blog: Path) -> None:
    for slug, count in (("hello-world", 4), ("custom-slug", 1), ("summer", 0)):
        item = rss_item(blog, slug)
        assert one(item, "slash:comments") == str(count)
        comment_feed = local_file(blog, one(item, "wfw:commentRss"))
        assert len(feed(comment_feed).entries) == count

        (replies,) = atom_entry(blog, slug).xpath("atom:link[@rel='replies']", namespaces=NS)
        assert replies.get(THR_COUNT) == str(count)
        assert replies.get("type") == "application/atom+xml"
        assert len(feed(local_file(blog, replies.get("href"))).entries) == count
    (replies,) = atom_entry(blog, "hello-world").xpath("atom:link[@rel='replies']", namespaces=NS)
    assert datetime.fromisoformat(replies.get(THR_UPDATED)) == datetime.fromisoformat(
        "2024-01-04T11:00:00+00:00"
    )


def test_replies_point_at_their_parent_comment_and_top_level_at_the_post(blog: Path) -> None:
    post_id = one(atom_entry(blog, "hello-world"), "atom:id")
    (replies,) = atom_entry(blog, "hello-world").xpath("atom:link[@rel='replies']", namespaces=NS)
    comments = xml(local_file(blog, replies.get("href")))
    ids, refs = {}, {}
    for entry in comments.xpath("atom:entry", namespaces=NS):
        author = one(entry, "atom:author/atom:name")
        ids[author] = one(entry, "atom:id")
        refs[author] = one(entry, "thr:in-reply-to/@ref")
    assert len(set(ids.values())) == 4
    assert refs["Bob"] == post_id  # c1, top level
    assert refs["Fay"] == post_id  # c4, top level
    assert refs["Eve"] == ids["Bob"]  # c2 replies to c1
    assert refs["Dan"] == ids["Eve"]  # c3 replies to c2
    # the RSS comment feed threads the same way
    rss_comments = xml(blog / "posts" / "hello-world" / "comments.xml")
    rss_refs = {
        one(item, "dc:creator"): one(item, "thr:in-reply-to/@ref")
        for item in rss_comments.xpath("/rss/channel/item")
    }
    assert rss_refs == refs


def test_site_comments_feed_is_newest_first(blog: Path) -> None:
    parsed = feed(blog / "comments.xml")
    assert [
        entry.author_detail.name if "author_detail" in entry else entry.author
        for entry in parsed.entries
    ] == ["Gus", "Dan", "Eve", "Fay", "Bob"]
    guids = [entry.id for entry in parsed.entries]
    assert guids == [
        f"tag:blog.example.org,2024:{CUSTOM_ID}#comment-g1",
        f"{HELLO_ID}#comment-c3",
        f"{HELLO_ID}#comment-c2",
        f"{HELLO_ID}#comment-c4",
        f"{HELLO_ID}#comment-c1",
    ]
    dates = [entry.published_parsed for entry in parsed.entries]
    assert dates == sorted(dates, reverse=True)
    atom = feed(blog / "comments.atom")
    assert [entry.id for entry in atom.entries] == guids


EVIL = """\
---
title: Evil comments
date: 2024-01-02T10:00:00Z
comments:
  - id: "1"
    author: Mallory
    date: 2024-01-03T10:00:00Z
    body: "hi <script>alert(1)</script>"
  - id: "2"
    author: Trudy
    date: 2024-01-03T11:00:00Z
    body: "<img src=x onerror=alert(1)>"
  - id: "3"
    author: Oscar
    date: 2024-01-03T12:00:00Z
    in_reply_to: "1"
    body: "[x](javascript:alert(1)) and <a href=\\"javascript:alert(2)\\">y</a>"
---
An innocent post.
"""

FORBIDDEN = ("<script", "onerror", "javascript:")


def _texts_of(path: Path) -> list[str]:
    """The file as stored, plus (for feeds) every decoded text and attribute value in it."""
    raw = path.read_text("utf-8")
    texts = [raw]
    if path.suffix in (".xml", ".atom"):
        root = xml(path)
        texts += [str(t) for t in root.xpath("//text() | //@*")]
    elif path.suffix == ".json":
        texts.append(json.dumps(json.loads(raw), ensure_ascii=False))
    return texts


def test_comment_html_is_sanitised_in_every_output_file(tmp_path: Path) -> None:
    out = build_ok(tmp_path, {"2024-01-02-evil.md": EVIL})
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 9
    found = sorted(
        {
            (str(path.relative_to(out)), bad)
            for path in files
            for text in _texts_of(path)
            for bad in FORBIDDEN
            if bad in text.lower()
        }
    )
    assert found == [], "\n".join(f"{name}: {bad!r}" for name, bad in found)
    # the comments themselves were published
    assert len(feed(out / "posts" / "evil" / "comments.xml").entries) == 3


def test_rss_comment_descriptions_carry_no_active_markup(tmp_path: Path) -> None:
    """An RSS <description> is HTML to a feed reader: a comment must not smuggle any in."""
    out = build_ok(tmp_path, {"2024-01-02-evil.md": EVIL})
    problems = []
    for name in ("comments.xml", "posts/evil/comments.xml"):
        items = xml(out / name).xpath("/rss/channel/item")
        assert len(items) == 3
        for item in items:
            for html in item.xpath("description/text() | content:encoded/text()", namespaces=NS):
                fragments = lxml.html.fragments_fromstring(html)
                for element in (e for f in fragments if not isinstance(f, str) for e in f.iter()):
                    if element.tag in ("script", "img"):
                        problems.append(f"{name}: <{element.tag}> in {html!r}")
                    for attribute, value in element.attrib.items():
                        if attribute.lower().startswith("on"):
                            problems.append(f"{name}: {attribute}= in {html!r}")
                        if value.strip().lower().startswith("javascript:"):
                            problems.append(f"{name}: javascript: URL in {html!r}")
    assert problems == [], "\n".join(problems)


# --- ids, hygiene, settings --------------------------------------------------------------


def test_guid_is_stable_when_the_post_is_edited_or_another_is_added(tmp_path: Path) -> None:
    posts = write_posts(tmp_path / "posts", {"2024-01-02-hello-world.md": HELLO})
    out = tmp_path / "out"
    assert run_build(tmp_path, posts, out).exit_code == 0
    guid = one(rss_item(out, "hello-world"), "guid")
    atom_id = one(atom_entry(out, "hello-world"), "atom:id")
    comment_ids = xml(out / "posts/hello-world/comments.atom").xpath(
        "atom:entry/atom:id/text()", namespaces=NS
    )

    edited = HELLO.replace(HELLO_TITLE, "A brand new title").replace("Some **bold**", "Other")
    assert edited != HELLO
    write_posts(
        posts,
        {
            "2024-01-02-hello-world.md": edited,
            "2024-06-01-newer.md": "---\ntitle: Newer\ndate: 2024-06-01T00:00:00Z\n---\nNew.\n",
        },
    )
    result = run_build(tmp_path, posts, out)
    assert result.exit_code == 0, result.output

    parsed = feed(out / "rss.xml")
    assert [entry.title for entry in parsed.entries] == ["Newer", "A brand new title"]
    assert one(rss_item(out, "hello-world"), "guid") == guid
    assert one(atom_entry(out, "hello-world"), "atom:id") == atom_id
    assert (
        xml(out / "posts/hello-world/comments.atom").xpath(
            "atom:entry/atom:id/text()", namespaces=NS
        )
        == comment_ids
    )
    assert guid != one(rss_item(out, "newer"), "guid")


def test_control_characters_in_body_and_title_do_not_break_the_feeds(tmp_path: Path) -> None:
    post = (
        '---\ntitle: "Bell\\0ed\\vtitle"\ndate: 2024-01-02T10:00:00Z\n---\n'
        "Body\x00with\x0bcontrol\x1fcharacters.\n"
    )
    out = build_ok(tmp_path, {"controls.md": post})
    for name in ("rss.xml", "atom.xml", "comments.xml", "posts/controls/comments.xml"):
        feed(out / name)
    (entry,) = feed(out / "rss.xml").entries
    assert entry.title == "Belledtitle"
    assert "Bodywithcontrolcharacters." in entry.content[0].value
    json.loads((out / "feed.json").read_text("utf-8"))


def test_raw_control_characters_in_the_title_line_are_dropped(tmp_path: Path) -> None:
    post = "---\ntitle: Raw\x0btitle\x00here\ndate: 2024-01-02T10:00:00Z\n---\nBody.\n"
    posts = write_posts(tmp_path / "posts", {"raw.md": post})
    out = tmp_path / "out"
    result = run_build(tmp_path, posts, out)
    assert result.exit_code == 0, result.output
    (entry,) = feed(out / "rss.xml").entries
    assert entry.title == "Rawtitlehere"


def _dated_posts(count: int) -> dict[str, str | bytes]:
    return {
        f"2024-0{n}-01-post-{n}.md": f"---\ntitle: Post {n}\ndate: 2024-0{n}-01T12:00:00Z\n---\n"
        f"Body of post {n}.\n"
        for n in range(1, count + 1)
    }


def test_feed_limit_keeps_only_the_newest_posts_in_the_site_feeds(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text("[site]\nfeed_limit = 2\n", encoding="utf-8")
    out = build_ok(tmp_path, _dated_posts(3), config=config)
    assert [e.title for e in feed(out / "rss.xml").entries] == ["Post 3", "Post 2"]
    assert [e.title for e in feed(out / "atom.xml").entries] == ["Post 3", "Post 2"]
    items = json.loads((out / "feed.json").read_text("utf-8"))["items"]
    assert [item["title"] for item in items] == ["Post 3", "Post 2"]
    for n in (1, 2, 3):
        assert (out / "posts" / f"post-{n}" / "index.html").is_file()
        feed(out / "posts" / f"post-{n}" / "comments.xml")
        feed(out / "posts" / f"post-{n}" / "comments.atom")


def test_full_content_false_leaves_out_the_full_content(tmp_path: Path) -> None:
    full = build_ok(tmp_path / "full", _dated_posts(2))
    assert len(xml(full / "rss.xml").xpath("//content:encoded", namespaces=NS)) == 2
    assert len(xml(full / "atom.xml").xpath("//atom:entry/atom:content", namespaces=NS)) == 2

    config = tmp_path / "syndicate.toml"
    config.write_text("[site]\nfull_content = false\n", encoding="utf-8")
    out = build_ok(tmp_path / "summary", _dated_posts(2), config=config)
    assert xml(out / "rss.xml").xpath("//content:encoded", namespaces=NS) == []
    assert xml(out / "atom.xml").xpath("//atom:entry/atom:content", namespaces=NS) == []
    assert len(feed(out / "rss.xml").entries) == 2
    for item in json.loads((out / "feed.json").read_text("utf-8"))["items"]:
        assert "content_html" not in item
        assert item["content_text"]


def test_json_feed_1_1(blog: Path) -> None:
    document = json.loads((blog / "feed.json").read_text("utf-8"))
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == f"{BASE_URL}feed.json"
    assert document["home_page_url"] == BASE_URL
    rss_entries = feed(blog / "rss.xml").entries
    assert len(document["items"]) == len(rss_entries) == 4
    for item, entry in zip(document["items"], rss_entries, strict=True):
        for key in ("id", "url", "title", "content_html", "date_published"):
            assert isinstance(item[key], str), (key, item)
            assert item[key], (key, item)
        assert item["id"] == entry.id
        assert item["url"] == entry.link
        assert item["title"] == entry.title
        assert datetime.fromisoformat(item["date_published"]).tzinfo is not None
        assert local_file(blog, item["url"]).is_file()
    hello = document["items"][3]
    assert hello["id"] == HELLO_ID
    assert "<strong>bold</strong>" in hello["content_html"]
    assert hello["tags"] == ["python", "feeds"]
