"""What subscribers and their readers expect: RFC 5005 history, tag feeds, WebSub hub links,
ttl/sy:update*, and the XSL that shows a feed in a browser as a page."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from click.testing import Result
from lxml import etree

from tests.conftest import BASE_URL, local_file, run_build

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "fh": "http://purl.org/syndication/history/1.0",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
}


def write_posts(folder: Path, count: int, *, tags: tuple[str, ...] = ()) -> None:
    folder.mkdir(exist_ok=True)
    for number in range(1, count + 1):
        day = f"2024-{1 + number // 28:02d}-{1 + number % 28:02d}"
        tag_line = f"tags: [{', '.join(tags[: 1 + number % max(1, len(tags))])}]\n" if tags else ""
        (folder / f"post-{number:03d}.md").write_text(
            f"---\ntitle: Post {number}\ndate: {day}T12:00:00Z\n{tag_line}---\nText {number}.\n"
        )


def built(tmp_path: Path, count: int, *extra: str, tags: tuple[str, ...] = ()) -> Path:
    """A site of `count` posts with feed_limit 5, a WebSub hub and a 30-minute schedule."""
    posts, output = tmp_path / "posts", tmp_path / "out"
    write_posts(posts, count, tags=tags)
    config = tmp_path / "syndicate.toml"
    config.write_text(
        '[site]\nfeed_limit = 5\nhub = "https://hub.example.net/"\n[publish]\ninterval = 30\n'
    )
    result = run_build(posts, output, *extra, env={"SYNDICATE_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    return output


def rebuild(tmp_path: Path, output: Path) -> Result:
    config = str(tmp_path / "syndicate.toml")
    return run_build(tmp_path / "posts", output, env={"SYNDICATE_CONFIG": config})


def parse(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return parsed


def link(path: Path, rel: str) -> str | None:
    tree = etree.parse(str(path))
    found = tree.xpath(f"//atom:link[@rel='{rel}']/@href", namespaces=NS)
    return str(found[0]) if found else None


@pytest.mark.parametrize("suffix", ["rss.xml", "atom.xml"])
def test_walking_the_archive_chain_reaches_every_post_exactly_once(
    tmp_path: Path, suffix: str
) -> None:
    output = built(tmp_path, 23)
    seen, frozen_pages = walk(output, suffix)
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == {f"Post {n}" for n in range(1, 24)}
    assert frozen_pages == 3  # 18 posts left the newest 5: three full pages and one open page


def walk(output: Path, suffix: str) -> tuple[list[str], int]:
    """Titles met walking prev-archive from the subscription feed, and how many pages were
    marked <fh:archive/> (full pages; the newest page may still be filling)."""
    subscription = output / suffix
    seen = [entry.title for entry in parse(subscription).entries]
    assert len(seen) == 5
    url, frozen = link(subscription, "prev-archive"), 0
    while url:
        page = local_file(output, url)
        frozen += bool(etree.parse(str(page)).xpath("//fh:archive", namespaces=NS))
        assert link(page, "current") == BASE_URL + suffix
        seen += [entry.title for entry in parse(page).entries]
        url = link(page, "prev-archive")
    return seen, frozen


def frozen_page_bytes(output: Path) -> dict[Path, bytes]:
    return {
        page: page.read_bytes()
        for page in (output / "history").iterdir()
        if etree.parse(str(page)).xpath("//fh:archive", namespaces=NS)
    }


def test_full_pages_never_change_as_posts_come_and_go(tmp_path: Path) -> None:
    output = built(tmp_path, 17)  # 12 archived: two full pages, an open page of 2
    frozen = frozen_page_bytes(output)
    assert len(frozen) == 4  # two pages, RSS and Atom
    write_posts(tmp_path / "posts", 19)  # two newer posts
    (tmp_path / "posts" / "late.md").write_text(  # and one published late with an old date
        "---\ntitle: Late\ndate: 2019-06-01T00:00:00Z\n---\nFound in a drawer.\n"
    )
    config = tmp_path / "syndicate.toml"
    config.write_text(config.read_text().replace("interval = 30", "interval = 45"))
    assert rebuild(tmp_path, output).exit_code == 0
    after = frozen_page_bytes(output)
    assert {p: after[p] for p in frozen} == frozen  # untouched, even with a new interval
    seen, _ = walk(output, "rss.xml")
    assert len(seen) == len(set(seen)) == 20 and "Late" in seen


def test_a_deleted_post_leaves_its_page(tmp_path: Path) -> None:
    output = built(tmp_path, 17)
    (tmp_path / "posts" / "post-001.md").unlink()
    assert rebuild(tmp_path, output).exit_code == 0
    seen, _ = walk(output, "atom.xml")
    assert len(seen) == len(set(seen)) == 16 and "Post 1" not in seen


def test_every_feed_names_the_hub_and_itself(tmp_path: Path) -> None:
    output = built(tmp_path, 6, tags=("python",))
    feeds = [
        p
        for p in output.rglob("*")
        if p.suffix in (".xml", ".atom") and not p.name.startswith("sitemap")
    ]
    assert len(feeds) > 10
    for path in feeds:
        assert link(path, "hub") == "https://hub.example.net/", path
        assert link(path, "self") == BASE_URL + str(path.relative_to(output)), path
        parse(path)


def test_ttl_and_syndication_schedule(tmp_path: Path) -> None:
    output = built(tmp_path, 2)
    tree = etree.parse(str(output / "rss.xml"))
    assert tree.findtext("channel/ttl") == "30"
    assert tree.findtext("channel/sy:updatePeriod", namespaces=NS) == "hourly"
    assert tree.findtext("channel/sy:updateFrequency", namespaces=NS) == "2"


def test_tag_feeds_hold_the_tagged_posts_and_pages_advertise_them(tmp_path: Path) -> None:
    output = built(tmp_path, 6, tags=("python", "Feeds & Web"))
    python = parse(output / "tags" / "python.xml")
    assert {e.title for e in python.entries} == {f"Post {n}" for n in range(2, 7)}  # newest 5
    (mixed_path,) = (output / "tags").glob("feeds-web-*.atom")  # "&" is not in the slug: hashed
    mixed = parse(mixed_path)
    assert {e.title for e in mixed.entries} == {"Post 1", "Post 3", "Post 5"}
    page = etree.parse(str(output / "posts" / "post-003" / "index.html"), etree.HTMLParser())
    advertised = set(page.xpath("//link[@rel='alternate']/@href"))
    assert BASE_URL + str(mixed_path.relative_to(output)).replace(".atom", ".xml") in advertised
    index = etree.parse(str(output / "index.html"), etree.HTMLParser())
    assert BASE_URL + "tags/python.atom" in set(index.xpath("//link[@rel='alternate']/@href"))


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml", "posts/post-001/comments.xml"])
def test_the_stylesheet_shows_a_feed_as_a_page(tmp_path: Path, name: str) -> None:
    """Every feed names feed.css, first thing before its root; the browser tests
    (tests/test_browser.py) look at what Chromium makes of it."""
    output = built(tmp_path, 3)
    document = etree.parse(str(output / name))
    instruction = document.getroot().getprevious()
    assert isinstance(instruction, etree._ProcessingInstruction)
    assert instruction.target == "xml-stylesheet"
    assert instruction.get("type") == "text/css" and instruction.get("href") == "/feed.css"
    assert instruction.getprevious() is None  # the only one: no XSL for Chromium to prefer
    assert b"This is a web feed" in (output / "feed.css").read_bytes()
    assert not (output / "feed.xsl").exists()


def test_stylesheet_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_STYLESHEET", "false")
    output = built(tmp_path, 1)
    assert not (output / "feed.css").exists()
    assert etree.parse(str(output / "rss.xml")).getroot().getprevious() is None


def test_tags_that_slug_alike_get_feeds_of_their_own(tmp_path: Path) -> None:
    posts, output = tmp_path / "posts", tmp_path / "out"
    posts.mkdir()
    tags = {"a": "C#", "b": "c", "c": "C++", "d": "Python", "e": "python", "f": "über", "g": "uber"}
    for name, tag in tags.items():
        (posts / f"{name}.md").write_text(
            f"---\ntitle: {name}\ndate: 2024-01-01\ntags: ['{tag}']\n---\nx\n"
        )
    assert run_build(posts, output).exit_code == 0
    feeds = sorted(p.name for p in (output / "tags").glob("*.xml"))
    assert len(feeds) == 6  # Python and python are one tag; the others are all different
    titles = {}
    for path in (output / "tags").glob("*.xml"):
        titles[path.name] = {e.title for e in parse(path).entries}
    assert sorted(map(sorted, titles.values())) == [["a"], ["b"], ["c"], ["d", "e"], ["f"], ["g"]]
    assert "c.xml" in feeds and "python.xml" in feeds and "uber.xml" in feeds
