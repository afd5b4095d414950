"""The site's pages as a reader walks them: the index and its older pages (rel="prev" and
"next"), a page per tag, a post's neighbours, comment permalinks, canonical URLs and
descriptions; and which pages a change re-renders."""

from __future__ import annotations

import calendar
import os
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import html

from syndicate.config import load_settings
from syndicate.model import Post
from syndicate.site.plan import SitePlan
from syndicate.site.writer import write_site
from tests.conftest import BASE_URL, local_file, run_build

PAGE_SIZE = "10"


def post_text(n: int, *, title: str = "", summary: str = "", body: str = "") -> str:
    tags = ["all", "odd" if n % 2 else "even"] + (["C++"] if n % 10 == 0 else [])
    front_summary = f"summary: {summary}\n" if summary else ""
    return (
        f"---\ntitle: {title or f'Post {n}'}\ndate: 2024-03-{1 + n // 24:02d}T{n % 24:02d}:00:00Z\n"
        f"tags: {tags}\n{front_summary}---\n{body or f'Body of post {n}.'}\n"
    )


def write_posts(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"p{n:02d}.md").write_text(post_text(n), encoding="utf-8")


def build(posts: Path, output: Path) -> None:
    result = run_build(posts, output, env={"SYNDICATE_PAGE_SIZE": PAGE_SIZE})
    assert result.exit_code == 0, result.output


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    posts, output = tmp_path / "posts", tmp_path / "out"
    write_posts(posts, 45)
    build(posts, output)
    return posts, output


def parse(output: Path, url: str) -> html.HtmlElement:
    path = local_file(output, url)
    assert path.is_file(), url  # every advertised URL names a file
    return html.parse(str(path)).getroot()


def head_link(page: html.HtmlElement, rel: str) -> str | None:
    found = page.xpath(f"/html/head/link[@rel='{rel}']/@href")
    assert len(found) <= 1
    return found[0] if found else None


def listed_posts(page: html.HtmlElement) -> list[str]:
    return [str(url) for url in page.xpath("//main/article/h2/a/@href")]


def walk(output: Path, first_url: str) -> list[tuple[str, list[str]]]:
    """From a list's first page along rel="next" to its last: (page URL, post URLs) each,
    checking that rel="prev" leads back and that the visible links say the same."""
    pages: list[tuple[str, list[str]]] = []
    url: str | None = first_url
    previous = None
    while url is not None:
        page = parse(output, url)
        assert head_link(page, "prev") == previous, url
        assert page.xpath("//nav[@class='pager']/a[@rel='prev']/@href") == (
            [previous] if previous else []
        )
        following = head_link(page, "next")
        assert page.xpath("//nav[@class='pager']/a[@rel='next']/@href") == (
            [following] if following else []
        )
        pages.append((url, listed_posts(page)))
        previous, url = url, following
    return pages


def post_url(n: int) -> str:
    return f"{BASE_URL}posts/p{n:02d}/index.html"


def test_the_index_shows_the_newest_posts_and_older_pages_the_rest_once(
    site: tuple[Path, Path],
) -> None:
    _, output = site
    pages = walk(output, BASE_URL + "index.html")
    # 45 posts by tens: the newest 10 on the index; the 35 others on pages counted from the
    # oldest, so that the newest numbered page (just older than the index) holds the 5 left.
    assert [url for url, _ in pages] == [
        BASE_URL + name
        for name in ("index.html", "page/4.html", "page/3.html", "page/2.html", "page/1.html")
    ]
    assert [len(posts) for _, posts in pages] == [10, 5, 10, 10, 10]
    every = [post for _, posts in pages for post in posts]
    assert every == [post_url(n) for n in reversed(range(45))]  # newest first, each once


def test_a_new_post_rewrites_the_index_and_the_newest_older_page_only(
    site: tuple[Path, Path],
) -> None:
    posts, output = site
    for path in output.rglob("*.html"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    (posts / "p45.md").write_text(post_text(45).replace("tags: ['all', 'odd']", "tags: [new]"))
    build(posts, output)
    changed = {
        str(path.relative_to(output))
        for path in output.rglob("*.html")
        if path.stat().st_mtime_ns != 1_000_000_000
    }
    assert changed == {
        "index.html",  # the newest 10
        "page/4.html",  # the 5 older than those, now 6
        "posts/p45/index.html",
        "posts/p44/index.html",  # its newer neighbour is the new post
        "tags/new.html",
    }
    assert [len(posts) for _, posts in walk(output, BASE_URL + "index.html")] == [10, 6, 10, 10, 10]


def test_a_changed_summary_rerenders_only_the_pages_that_list_the_post(
    site: tuple[Path, Path],
) -> None:
    posts, output = site
    for path in output.rglob("*.html"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    (posts / "p12.md").write_text(post_text(12, summary="A new summary."), encoding="utf-8")
    build(posts, output)
    changed = {
        str(path.relative_to(output))
        for path in output.rglob("*.html")
        if path.stat().st_mtime_ns != 1_000_000_000
    }
    # One page of the index and one of each of its tags list post 12 (read from the pages).
    listing_it = {
        str(local_file(output, url).relative_to(output))
        for first in ("index.html", "tags/all.html", "tags/even.html")
        for url, shown in walk(output, BASE_URL + first)
        if post_url(12) in shown
    }
    assert len(listing_it) == 3
    assert changed == {*listing_it, "posts/p12/index.html"}
    page = parse(output, post_url(12))
    assert page.xpath("/html/head/meta[@name='description']/@content") == ["A new summary."]


def test_a_post_page_links_its_neighbours_by_date_and_a_body_edit_leaves_theirs_alone(
    site: tuple[Path, Path],
) -> None:
    posts, output = site
    page = parse(output, post_url(20))
    assert page.xpath("//nav[@class='neighbours']/a[@rel='prev']/@href") == [post_url(19)]
    assert page.xpath("//nav[@class='neighbours']/a[@rel='next']/@href") == [post_url(21)]
    assert parse(output, post_url(44)).xpath("//nav[@class='neighbours']/a/@rel") == ["prev"]
    assert parse(output, post_url(0)).xpath("//nav[@class='neighbours']/a/@rel") == ["next"]
    for path in output.rglob("*.html"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    # A paragraph added below the first (the summary): the edit changes no list of posts.
    edited = post_text(20, body="Body of post 20.\n\nA second paragraph.")
    (posts / "p20.md").write_text(edited, encoding="utf-8")
    build(posts, output)
    changed = [p for p in output.rglob("*.html") if p.stat().st_mtime_ns != 1_000_000_000]
    assert [str(p.relative_to(output)) for p in changed] == ["posts/p20/index.html"]
    (posts / "p20.md").write_text(post_text(20, title="Retitled"), encoding="utf-8")
    build(posts, output)
    older = parse(output, post_url(19)).xpath("//nav[@class='neighbours']/a[@rel='next']")
    assert [link.text_content().strip() for link in older] == ["Retitled →"]


def test_tag_pages_list_their_posts_and_advertise_their_feeds(site: tuple[Path, Path]) -> None:
    _, output = site
    pages = walk(output, BASE_URL + "tags/odd.html")
    assert [post for _, shown in pages for post in shown] == [
        post_url(n) for n in reversed(range(45)) if n % 2
    ]
    assert [len(shown) for _, shown in pages] == [10, 2, 10]
    first = parse(output, BASE_URL + "tags/odd.html")
    feeds = first.xpath("/html/head/link[@rel='alternate']/@href")
    assert feeds[:2] == [BASE_URL + "tags/odd.xml", BASE_URL + "tags/odd.atom"]
    for url in feeds[:2]:
        parsed = feedparser.parse(local_file(output, url).read_bytes())
        assert not parsed.bozo and len(parsed.entries) > 0
    assert first.xpath("//h1//span[@dir='auto']/text()") == ["odd"]
    # A tag whose name is not its slug ("C++") has the hashed name of its feeds.
    (plus,) = (output / "tags").glob("c-*.html")
    assert plus.with_suffix(".atom").is_file()


def test_tags_are_links_to_their_pages_on_post_pages_and_in_lists(
    site: tuple[Path, Path],
) -> None:
    _, output = site
    post = parse(output, post_url(10))
    tags = post.xpath("//article/p[@class='meta']/a[@rel='tag']")
    assert [tag.text for tag in tags] == ["all", "even", "C++"]
    for tag in tags:
        listed = [shown for _, posts in walk(output, tag.get("href")) for shown in posts]
        assert post_url(10) in listed
    index = parse(output, BASE_URL + "page/1.html")
    links = index.xpath("//main/article//a[@rel='tag']")
    assert len(links) >= 20
    for link in links:
        assert parse(output, link.get("href")).xpath("//h1/span/text()") == [link.text]


def test_every_page_names_its_canonical_url_and_describes_itself(
    site: tuple[Path, Path],
) -> None:
    posts, output = site
    (posts / "p03.md").write_text(post_text(3, summary="Written summary."), encoding="utf-8")
    build(posts, output)
    pages = sorted(output.rglob("*.html"))
    assert len(pages) > 50
    for path in pages:
        page = html.parse(str(path)).getroot()
        url = BASE_URL + str(path.relative_to(output))
        canonical = page.xpath("/html/head/link[@rel='canonical']/@href")
        assert canonical == ([] if path.name == "404.html" else [url]), path
        (description,) = page.xpath("/html/head/meta[@name='description']/@content")
        assert description.strip(), path
    page = parse(output, post_url(3))
    assert page.xpath("/html/head/meta[@name='description']/@content") == ["Written summary."]
    assert page.xpath("//p[@class='lead']//text()") == ["Written summary."]


DEEP = 40  # replies nested deeper than the page nests them (comments.PAGE_THREAD_DEPTH)


def test_every_comment_the_feeds_link_to_has_its_anchor_and_time_on_the_page(
    tmp_path: Path,
) -> None:
    comments = [
        "  - {id: top, author: Ann, date: 2024-05-02T10:00:00Z, body: first}",
        "  - {id: 'odd id/7', author: Bob, date: 2024-05-03T11:30:00Z, body: odd,"
        " in_reply_to: top}",
        "  - {id: undated, author: Cy, body: no date, in_reply_to: 'odd id/7'}",
    ]
    parent = "top"
    for depth in range(DEEP):
        comments.append(
            f"  - {{id: d{depth}, author: Dee, date: 2024-05-04T{depth % 24:02d}:00:00Z,"
            f" body: deep {depth}, in_reply_to: {parent}}}"
        )
        parent = f"d{depth}"
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    (posts / "talk.md").write_text(
        "---\ntitle: Talk\ndate: 2024-05-01\ncomments:\n" + "\n".join(comments) + "\n---\nBody.\n"
    )
    build(posts, output)
    page = parse(output, post_url(0).replace("p00", "talk"))
    entries = feedparser.parse((output / "posts/talk/comments.atom").read_bytes()).entries
    assert len(entries) == 3 + DEEP
    for entry in entries:
        assert entry.link.startswith(BASE_URL + "posts/talk/index.html#comment-"), entry.link
        anchor = entry.link.partition("#")[2]
        (comment,) = page.xpath(f"//div[@class='comment'][@id='{anchor}']")
        (permalink,) = comment.xpath("./p[@class='meta']/a[@class='permalink']")
        assert permalink.get("href") == entry.link
        times = permalink.xpath("./time/@datetime")
        if anchor == "comment-undated":
            assert times == [] and permalink.text == "permalink"
        else:
            (shown,) = times
            when = datetime.fromisoformat(shown).timestamp()
            assert when == calendar.timegm(entry.published_parsed), anchor
    site_feed = feedparser.parse((output / "comments.xml").read_bytes())
    for entry in site_feed.entries:
        assert page.xpath(f"//*[@id='{entry.link.partition('#')[2]}']"), entry.link


def test_right_to_left_text_has_its_direction_worked_out(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    (posts / "rtl.md").write_text(
        "---\ntitle: שלום עולם\ndate: 2024-05-01\ntags: [חדשות]\nsummary: תקציר קצר\n"
        "comments:\n  - {author: דנה, body: תגובה}\n---\nשלום לכולם.\n",
        encoding="utf-8",
    )
    build(posts, output)
    page = parse(output, BASE_URL + "posts/rtl/index.html")
    for xpath in (
        "//article",
        "//article/h1",
        "//p[@class='lead']",
        "//a[@rel='tag']",
        "//div[@class='comment']",
        "//div[@class='comment']/p[@class='meta']/span",
    ):
        (element,) = page.xpath(xpath)
        assert element.get("dir") == "auto", xpath
    index = parse(output, BASE_URL + "index.html")
    assert index.xpath("//main/article/h2/@dir") == ["auto"]
    assert index.xpath("//main/article/p[not(@class)]/@dir") == ["auto"]  # the summary
    tag_page = parse(output, index.xpath("//main/article//a[@rel='tag']/@href")[0])
    assert tag_page.xpath("//h1/span/@dir") == ["auto"]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_a_browser_reads_a_right_to_left_post_right_to_left(tmp_path: Path) -> None:
    """Chromium works the directions out: the post's and its title's from their Hebrew text,
    the line of date and tags (English words) left to right."""
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    (posts / "rtl.md").write_text(
        "---\ntitle: שלום עולם\ndate: 2024-05-01\n---\n![תמונה](x.png)\n\nשלום לכולם.\n",
        encoding="utf-8",
    )
    build(posts, output)
    probe = "".join(
        f"document.body.dataset.{name} = getComputedStyle(document.querySelector('{css}'))"
        ".direction;"
        for name, css in (("article", "article"), ("title", "h1"), ("meta", "p.meta"))
    )
    page = output / "posts/rtl/index.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace("</body>", f"<script>{probe}</script></body>"),
        encoding="utf-8",
    )
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    body = html.fromstring(done.stdout).body
    assert (body.get("data-article"), body.get("data-title"), body.get("data-meta")) == (
        "rtl",
        "rtl",
        "ltr",
    )


def test_a_summary_drawn_from_the_body_is_not_shown_above_it(tmp_path: Path) -> None:
    """summary_is_lead (the importer's: the summary is the body's first words) keeps the page
    from showing them twice; a summary written apart is shown above the body."""
    output = tmp_path / "out"
    settings = load_settings(
        None, {"posts": tmp_path, "output": output, "base_url": BASE_URL}, environ={}
    )
    lead = Post(
        source=str(tmp_path / "lead.md"),
        title="Lead",
        slug="lead",
        published=datetime(2024, 5, 1, tzinfo=UTC),
        content_html="<p>The first words.</p><p>More words.</p>",
        summary="The first words.",
        summary_is_lead=True,
    )
    apart = replace(lead, slug="apart", title="Apart", summary="Said apart.", summary_is_lead=False)
    write_site(output, SitePlan(settings, [lead, apart]))
    shown = parse(output, BASE_URL + "posts/lead/index.html")
    assert shown.xpath("//p[@class='lead']") == []
    assert shown.xpath("//article//text()").count("The first words.") == 1
    assert shown.xpath("/html/head/meta[@name='description']/@content") == ["The first words."]
    written = parse(output, BASE_URL + "posts/apart/index.html")
    assert written.xpath("//p[@class='lead']//text()") == ["Said apart."]
