"""sitemap.xml (sitemaps.org 0.9) lists every page and nothing else; past the protocol's
limit it becomes an index of several sitemaps; and 404.html leads a lost reader home."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree, html

from tests.conftest import BASE_URL, local_file, run_build

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
NOW = "2024-06-01T12:00:00Z"


def write_posts(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        updated = f"updated: 2024-05-{1 + n:02d}T08:00:00Z\n" if n % 2 else ""
        (folder / f"p{n}.md").write_text(
            f"---\ntitle: Post {n}\ndate: 2024-04-{1 + n:02d}T09:00:00Z\n{updated}"
            f"tags: [t{n % 2}]\n---\nBody {n}.\n",
            encoding="utf-8",
        )
    (folder / "later.md").write_text(  # dated after NOW: it waits
        "---\ntitle: Later\ndate: 2024-07-01T09:00:00Z\ntags: [waiting]\n---\nSoon.\n"
    )


def build(posts: Path, output: Path) -> None:
    env = {"SYNDICATE_PAGE_SIZE": "3", "SYNDICATE_NOW": NOW}
    result = run_build(posts, output, env=env)
    assert result.exit_code == 0, result.output


def urls_of(document: etree._ElementTree) -> dict[str, datetime | None]:
    found = {}
    for entry in document.xpath("/s:urlset/s:url", namespaces=NS):
        modified = entry.findtext("s:lastmod", namespaces=NS)
        found[entry.findtext("s:loc", namespaces=NS)] = (
            datetime.fromisoformat(modified) if modified else None
        )
    return found


def pages_of(output: Path) -> set[str]:
    return {
        BASE_URL + str(path.relative_to(output))
        for path in output.rglob("*.html")
        if path.name != "404.html"
    }


def test_the_sitemap_lists_every_page_with_the_posts_dates(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    write_posts(posts, 8)
    build(posts, output)
    listed = urls_of(etree.parse(str(output / "sitemap.xml")))
    assert set(listed) == pages_of(output)  # the index's pages, posts, tags' pages; no 404
    assert {BASE_URL + "page/1.html", BASE_URL + "tags/t0.html"} <= set(listed)
    assert not [url for url in listed if "later" in url or "waiting" in url]
    for n in range(8):
        url = f"{BASE_URL}posts/p{n}/index.html"
        day = f"2024-05-{1 + n:02d}T08:00:00" if n % 2 else f"2024-04-{1 + n:02d}T09:00:00"
        assert listed[url] == datetime.fromisoformat(day + "+00:00")
    # A list's page is as new as its newest post: the index shows posts 7, 6, 5.
    assert listed[BASE_URL + "index.html"] == datetime.fromisoformat("2024-05-08T08:00:00+00:00")
    for url in listed:
        assert local_file(output, url).is_file(), url


def test_the_sitemap_is_rewritten_only_when_a_url_or_a_date_changes(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    write_posts(posts, 4)
    build(posts, output)
    sitemap = output / "sitemap.xml"
    before = sitemap.stat().st_mtime_ns, sitemap.read_bytes()
    # A paragraph added below the summary: no page is added, no date moves.
    text = (posts / "p1.md").read_text() + "\nA second paragraph.\n"
    (posts / "p1.md").write_text(text)
    build(posts, output)
    assert (sitemap.stat().st_mtime_ns, sitemap.read_bytes()) == before
    (posts / "p1.md").write_text(text.replace("updated: 2024-05-02", "updated: 2024-05-20"))
    build(posts, output)
    assert urls_of(etree.parse(str(sitemap)))[BASE_URL + "posts/p1/index.html"] == (
        datetime.fromisoformat("2024-05-20T08:00:00+00:00")
    )


def test_more_urls_than_a_sitemap_holds_make_a_sitemap_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import syndicate.render.sitemap

    monkeypatch.setattr(syndicate.render.sitemap, "MAX_URLS", 5)  # the protocol's is 50,000
    posts, output = tmp_path / "posts", tmp_path / "out"
    write_posts(posts, 8)
    build(posts, output)
    index = etree.parse(str(output / "sitemap.xml"))
    parts = index.xpath("/s:sitemapindex/s:sitemap/s:loc/text()", namespaces=NS)
    # 3 index pages + 8 posts + (t0: 4 posts, t1: 4 posts, on 2 pages each) = 15 URLs.
    assert parts == [f"{BASE_URL}sitemap-{n}.xml" for n in (1, 2, 3)]
    listed: dict[str, datetime | None] = {}
    for url in parts:
        part = urls_of(etree.parse(str(local_file(output, url))))
        assert 0 < len(part) <= 5
        listed.update(part)
    assert set(listed) == pages_of(output)
    newest = index.xpath("/s:sitemapindex/s:sitemap[1]/s:lastmod/text()", namespaces=NS)
    assert newest == ["2024-05-08T08:00:00+00:00"]  # the newest date among the first's URLs
    for n in range(2, 8):  # 5 URLs: one sitemap again, and the parts are removed
        (posts / f"p{n}.md").unlink()
    build(posts, output)
    assert etree.parse(str(output / "sitemap.xml")).getroot().tag == f"{{{NS['s']}}}urlset"
    assert not list(output.glob("sitemap-*.xml"))


def test_the_404_page_names_the_site_and_leads_home_and_to_the_feeds(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    write_posts(posts, 2)
    result = run_build(posts, output, env={"SYNDICATE_TITLE": "Field Notes", "SYNDICATE_NOW": NOW})
    assert result.exit_code == 0, result.output
    page = html.parse(str(output / "404.html")).getroot()
    assert "Field Notes" in page.findtext(".//title")
    assert BASE_URL in page.xpath("//main//a/@href")
    feeds = page.xpath("/html/head/link[@rel='alternate']/@href")
    assert {BASE_URL + name for name in ("rss.xml", "atom.xml", "feed.json")} <= set(feeds)
    assert set(page.xpath("//footer//a/@href")) == set(feeds)
    assert page.xpath("/html/head/meta[@name='robots']/@content") == ["noindex"]
    assert "Later" not in (output / "404.html").read_text(encoding="utf-8")
