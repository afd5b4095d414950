"""[site] permalink and a post's front matter `url`: where its page, comment feeds and files go,
the URLs every feed and page advertise for it, its id untouched; and what is refused (a url that
leaves the output folder, collides with another post or a site file, or is no path)."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from click.testing import Result
from lxml import etree, html

from syndicate.config import load_settings
from syndicate.site.build import build_site
from tests.conftest import BASE_URL, run_build, write_posts

WORDPRESS = "/%year%/%monthnum%/%day%/%postname%/"
OURS = "{year}/{month}/{day}/{slug}/"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"


def post(title: str, date: str, extra: str = "", body: str = "Body.") -> str:
    return f"---\ntitle: {title}\ndate: {date}\ntags: [notes]\n{extra}---\n{body}\n"


POSTS = {
    "hello.md": post(
        "Hello",
        "2024-05-03T10:00:00Z",
        "comments:\n  - {id: '7', author: Ann, body: Hi.}\n",
        body="![boat](boat.jpg)",
    ),
    "late.md": post("Late", "2024-05-01T23:30:00Z"),  # 2 May in Berlin
    "old.md": post("Old", "2019-01-01T09:00:00Z", "url: /2019/05/hello-again/\n"),
}


def build(tmp_path: Path, posts: dict[str, str], **env: str) -> tuple[Result, Path]:
    folder, output = tmp_path / "posts", tmp_path / "out"
    write_posts(folder, posts)
    (folder / "boat.jpg").write_bytes(b"\xff\xd8 a boat")
    environment = {"SYNDICATE_TIMEZONE": "Europe/Berlin", **env}
    return run_build(folder, output, env=environment), output


def built(tmp_path: Path, posts: dict[str, str] = POSTS, **env: str) -> Path:
    result, output = build(tmp_path, posts, **env)
    assert result.exit_code == 0, result.output
    return output


def entries(output: Path, name: str = "atom.xml") -> dict[str, feedparser.FeedParserDict]:
    feed = feedparser.parse((output / name).read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return {entry.title: entry for entry in feed.entries}


def every_file(output: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(output)): path.read_bytes()
        for path in sorted(output.rglob("*"))
        if path.is_file() and path.name != ".syndicate.lock"
    }


@pytest.mark.parametrize("pattern", [WORDPRESS, OURS])
def test_a_pattern_ending_in_a_slash_gives_pretty_urls(tmp_path: Path, pattern: str) -> None:
    output = built(tmp_path, SYNDICATE_PERMALINK=pattern)
    assert (output / "2024/05/03/hello/index.html").is_file()
    assert (output / "2024/05/02/late/index.html").is_file()  # the date in the site's zone
    assert (output / "2019/05/hello-again/index.html").is_file()  # its own url wins
    assert not (output / "posts").exists()
    hello = entries(output)["Hello"]
    assert hello.link == BASE_URL + "2024/05/03/hello/"  # the folder, not its index.html
    rss = entries(output, "rss.xml")["Hello"]
    assert rss.wfw_commentrss == BASE_URL + "2024/05/03/hello/comments.xml"
    assert (output / "2024/05/03/hello/comments.xml").is_file()
    assert (output / "2024/05/03/hello/comments.atom").is_file()
    assert (output / "2024/05/03/hello/boat.jpg").read_bytes() == b"\xff\xd8 a boat"
    items = {
        item["title"]: item for item in json.loads((output / "feed.json").read_bytes())["items"]
    }
    assert items["Old"]["url"] == BASE_URL + "2019/05/hello-again/"
    comments = entries(output, "comments.atom")
    [comment] = comments.values()
    assert comment.link == BASE_URL + "2024/05/03/hello/#comment-7"
    page = html.parse(str(output / "2024/05/03/hello/index.html")).getroot()
    assert page.xpath("//link[@rel='canonical']/@href") == [BASE_URL + "2024/05/03/hello/"]
    index = html.parse(str(output / "index.html")).getroot()
    assert BASE_URL + "2019/05/hello-again/" in index.xpath("//article//h2/a/@href")
    locations = etree.parse(str(output / "sitemap.xml")).getroot().iter(SITEMAP)
    assert BASE_URL + "2024/05/02/late/" in {location.text for location in locations}


def test_wordpress_structure_tags_build_what_our_fields_build(tmp_path: Path) -> None:
    """The same pages and feeds, byte for byte, whichever spelling of the pattern (WordPress's
    adds the redirects of WordPress's feed addresses)."""
    wordpress = every_file(built(tmp_path / "a", SYNDICATE_PERMALINK=WORDPRESS))
    ours = every_file(built(tmp_path / "b", SYNDICATE_PERMALINK=OURS))
    redirects = {"_redirects", ".redirects.nginx.conf", ".redirects.caddy"}
    assert wordpress.keys() - ours.keys() == redirects
    del ours[".syndicate-manifest.json"]  # each file's key there has the settings in it
    assert {name: wordpress[name] for name in ours} == ours


def test_ids_do_not_change_with_the_permalink(tmp_path: Path) -> None:
    plain = entries(built(tmp_path / "a"))
    pretty = entries(built(tmp_path / "b", SYNDICATE_PERMALINK=WORDPRESS))
    assert {title: entry.id for title, entry in plain.items()} == {
        title: entry.id for title, entry in pretty.items()
    }
    assert plain["Hello"].link == BASE_URL + "posts/hello/index.html"  # as before permalinks
    plain_comments = entries(built(tmp_path / "c"), "comments.atom")
    pretty_comments = entries(built(tmp_path / "d", SYNDICATE_PERMALINK=OURS), "comments.atom")
    assert [c.id for c in plain_comments.values()] == [c.id for c in pretty_comments.values()]


def test_a_pattern_naming_a_file_puts_the_page_there_and_its_feeds_in_a_folder(
    tmp_path: Path,
) -> None:
    output = built(tmp_path, SYNDICATE_PERMALINK="/{year}/{slug}.html")
    hello = entries(output, "rss.xml")["Hello"]
    assert hello.link == BASE_URL + "2024/hello.html"
    assert hello.wfw_commentrss == BASE_URL + "2024/hello/comments.xml"
    assert (output / "2024/hello.html").is_file()
    assert (output / "2024/boat.jpg").is_file()  # where the page's relative link leads
    assert feedparser.parse((output / "2024/hello/comments.xml").read_bytes()).entries


def test_a_url_keeps_its_own_percent_encoding_and_the_file_has_the_letters(
    tmp_path: Path,
) -> None:
    posts = {"zh.md": post("Ni hao", "2022-07-01", "url: /2022/07/01/%e4%bd%a0%e5%a5%bd-é/\n")}
    output = built(tmp_path, posts)
    link = entries(output)["Ni hao"].link
    assert link == BASE_URL + "2022/07/01/%e4%bd%a0%e5%a5%bd-%C3%A9/"
    assert (output / "2022/07/01/你好-é/index.html").is_file()


def test_a_page_without_url_goes_where_wordpress_puts_pages(tmp_path: Path) -> None:
    posts = {**POSTS, "about.md": post("About", "2020-01-01", "page: true\n")}
    output = built(tmp_path, posts, SYNDICATE_PERMALINK=WORDPRESS)
    assert (output / "about/index.html").is_file()
    assert "About" not in entries(output)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("/../escape/", "leave its folder"),
        ("/a/%2e%2e/b/", "leave its folder"),
        ("https://elsewhere.example/x/", "is a URL"),
        ("/x/?p=1", "query"),
        ("/.hidden/", "hidden"),
        ("/", "home page"),
        ("/a%2fb/", "encoded /"),
    ],
)
def test_a_url_that_is_no_path_inside_the_site_is_refused_with_its_line(
    tmp_path: Path, url: str, problem: str
) -> None:
    posts = {**POSTS, "bad.md": f"---\ntitle: Bad\ndate: 2024-01-01\nurl: '{url}'\n---\nx\n"}
    result, output = build(tmp_path, posts)
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if "bad.md" in line]
    assert line.startswith("error: ") and "bad.md:4:" in line and problem in line, line
    assert "Bad" not in entries(output)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("/rss.xml/", "rss.xml is a file of the site's own"),
        ("/tags/notes/", "tags/ is the site's own folder"),
        ("/page/2/", "page/ is the site's own folder"),
        ("/index.html", "index.html is a file of the site's own"),
        ("/2019/05/hello-again/", "is already the file of"),  # old.md's
        ("/posts/late/", "is already the file of"),  # late.md's own place
    ],
)
def test_a_url_that_collides_is_refused_and_the_first_keeps_its_place(
    tmp_path: Path, url: str, problem: str
) -> None:
    posts = {**POSTS, "zz.md": f"---\ntitle: Clash\ndate: 2024-01-01\nurl: {url}\n---\nx\n"}
    result, output = build(tmp_path, posts)
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if "zz.md" in line]
    assert line.startswith("error: ") and problem in line and url in line, line
    assert "Clash" not in entries(output)
    assert {"Hello", "Late", "Old"} <= entries(output).keys()
    assert (output / "rss.xml").read_bytes().startswith(b"<?xml")


def test_a_page_file_that_would_be_another_posts_folder_is_refused(tmp_path: Path) -> None:
    posts = {
        "a.md": post("A", "2024-01-01", "url: /notes.html\n"),
        "b.md": post("B", "2024-01-02", "url: /notes.html/b/\n"),
    }
    result, output = build(tmp_path, posts)
    assert result.exit_code == 1
    assert "b.md: its url '/notes.html/b/': notes.html is already the file of" in result.output
    assert (output / "notes.html").is_file()


def test_a_refused_post_is_not_rendered_by_the_build_after_an_edit(tmp_path: Path) -> None:
    """The edit path renders an edited post's files alone: never a post the full build refused."""
    posts = {**POSTS, "zz.md": post("Clash", "2024-01-01", "url: /2019/05/hello-again/\n")}
    result, output = build(tmp_path, posts)
    assert result.exit_code == 1
    before = (output / "2019/05/hello-again/index.html").read_bytes()
    (tmp_path / "posts" / "zz.md").write_text(
        post("Clash", "2024-01-01", "url: /2019/05/hello-again/\n", body="Edited.")
    )
    again = run_build(tmp_path / "posts", output, env={"SYNDICATE_TIMEZONE": "Europe/Berlin"})
    assert again.exit_code == 1 and "zz.md" in again.output
    assert (output / "2019/05/hello-again/index.html").read_bytes() == before


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("/%category%/%postname%/", "%category% is not supported"),
        ("{year}/{month}/", "has no {slug}"),
        ("{year}/{slug}/{nope}/", "unknown field {nope}"),
        ("../{slug}/", "leave its folder"),
    ],
)
def test_an_unusable_permalink_is_a_configuration_error(
    tmp_path: Path, pattern: str, problem: str
) -> None:
    result, _ = build(tmp_path, POSTS, SYNDICATE_PERMALINK=pattern)
    assert result.exit_code == 2, result.output
    assert "permalink" in result.output and problem in result.output, result.output


def test_a_permalink_build_is_deterministic_and_an_edit_renders_what_a_full_build_does(
    tmp_path: Path,
) -> None:
    env = {"SYNDICATE_TIMEZONE": "Europe/Berlin", "SYNDICATE_PERMALINK": WORDPRESS}
    first = built(tmp_path, **env)
    posts = tmp_path / "posts"
    assert run_build(posts, tmp_path / "again", env=env).exit_code == 0
    assert every_file(first) == every_file(tmp_path / "again")
    edited = {**POSTS, "hello.md": POSTS["hello.md"].replace("![boat]", "Edited ![boat]")}
    write_posts(posts, edited)
    settings = load_settings(
        None,
        {"posts": posts, "output": first, "base_url": BASE_URL},
        environ={"SYNDICATE_TIMEZONE": "Europe/Berlin", "SYNDICATE_PERMALINK": WORDPRESS},
    )
    report = build_site(settings)
    assert report.edits_only and not report.errors
    assert run_build(posts, tmp_path / "fresh", env=env).exit_code == 0
    assert every_file(first) == every_file(tmp_path / "fresh")
    assert b"Edited" in (first / "2024/05/03/hello/index.html").read_bytes()
