"""The author's own media: audio, video, pictures, figures, task lists, footnotes and embeds from
the embed hosts reach the page and every feed (links absolute there); nothing that runs does.
Comments and fetched articles keep their stricter lists. Read as written, with lxml (feedparser's
own sanitiser takes out what a reader may keep), and through feedparser for validity."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import pytest
from lxml import etree, html

from syndicate.clean import feed_ready_html, sanitize_author_html, sanitize_untrusted_html
from syndicate.config import DEFAULT_EMBED_HOSTS
from syndicate.posts.markdown import render_markdown
from tests.conftest import BASE_URL, run_build, write_posts

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
PAGE_URL = BASE_URL + "posts/media/index.html"
YOUTUBE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
IMAGE = (
    '<img src="photo.jpg" srcset="photo-480.jpg 480w, photo-800.jpg 800w"'
    ' sizes="(max-width: 600px) 480px, 800px" width="800" height="600" loading="lazy" alt="A">'
)
PLAYER = (
    f'<iframe width="560" height="315" src="{YOUTUBE}" title="A video"'
    ' allow="autoplay; encrypted-media" referrerpolicy="strict-origin-when-cross-origin"'
    " allowfullscreen></iframe>"
)
MEDIA_POST = f"""---
title: Media
date: 2024-05-01
---
An episode, with a note.[^1]

<audio controls preload="metadata" src="episode.mp3"></audio>

<video controls poster="poster.jpg" width="640" height="360" muted loop>
<source src="clip.webm" type="video/webm">
<source src="/media/clip.mp4" type="video/mp4">
<track src="clip.vtt" kind="captions" srclang="en" label="English" default>
</video>

<figure>
<picture>
<source srcset="photo.avif 1x, photo@2x.avif 2x" type="image/avif" media="(min-width: 600px)">
{IMAGE}
</picture>
<figcaption>A caption</figcaption>
</figure>

{PLAYER}

<iframe src="//player.vimeo.com/video/76979871"></iframe>

- [x] recorded
- [ ] published

[^1]: The note, with a [link](../other/).
"""


def build(tmp_path: Path, files: dict[str, str], env: dict[str, str] | None = None) -> Path:
    posts, output = write_posts(tmp_path / "posts", files), tmp_path / "out"
    result = run_build(posts, output, env=env)
    assert result.exit_code == 0, result.output
    return output


def contents(output: Path, slug: str) -> dict[str, etree._Element]:
    """The post's HTML on its page and as each site feed wrote it, parsed."""
    page = etree.parse(str(output / f"posts/{slug}/index.html"), etree.HTMLParser())
    (article,) = page.xpath("//article")
    rss = etree.parse(str(output / "rss.xml"))
    atom = etree.parse(str(output / "atom.xml"))
    link = BASE_URL + f"posts/{slug}/index.html"
    items = json.loads((output / "feed.json").read_text("utf-8"))["items"]
    written = {
        "rss.xml": rss.xpath(f"channel/item[link='{link}']/content:encoded/text()", namespaces=NS),
        "atom.xml": atom.xpath(
            f"atom:entry[atom:link/@href='{link}']/atom:content/text()", namespaces=NS
        ),
        "feed.json": [item["content_html"] for item in items if item["url"] == link],
    }
    parsed = {"page": article}
    for name, (text,) in written.items():
        parsed[name] = html.fragment_fromstring(text, create_parent="div")
    return parsed


def link_in(where: str, written: str) -> str:
    """A link as the page keeps it, or as a feed carries it: absolute."""
    return written if where == "page" else urljoin(PAGE_URL, written)


def every_feed_parses(output: Path) -> None:
    for path in output.rglob("*"):
        if path.suffix in (".xml", ".atom"):
            parsed = feedparser.parse(path.read_bytes())
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))
            etree.parse(str(path))


def test_the_authors_media_reach_the_page_and_every_feed(tmp_path: Path) -> None:
    output = build(tmp_path, {"media.md": MEDIA_POST})
    every_feed_parses(output)
    for name, content in contents(output, "media").items():
        url = partial(link_in, name)
        (audio,) = content.xpath(".//audio")
        assert (audio.get("src"), audio.get("controls")) == (url("episode.mp3"), ""), name
        (video,) = content.xpath(".//video")
        assert video.get("poster") == url("poster.jpg"), name
        assert [video.get(key) for key in ("controls", "muted", "loop")] == ["", "", ""], name
        # .//: libxml2 reads HTML 4, where <source> and <track> are not void, so it nests them
        assert video.xpath(".//source/@src") == [url("clip.webm"), url("/media/clip.mp4")], name
        (track,) = video.xpath(".//track")
        assert [track.get(key) for key in ("src", "kind", "srclang", "label", "default")] == [
            url("clip.vtt"),
            "captions",
            "en",
            "English",
            "",
        ], name
        (picture,) = content.xpath(".//figure/picture")
        avif = f"{url('photo.avif')} 1x, {url('photo@2x.avif')} 2x"
        assert picture.xpath("source/@srcset") == [avif], name
        (image,) = picture.xpath(".//img")
        assert image.get("srcset") == f"{url('photo-480.jpg')} 480w, {url('photo-800.jpg')} 800w"
        assert [image.get(key) for key in ("sizes", "width", "height", "loading")] == [
            "(max-width: 600px) 480px, 800px",
            "800",
            "600",
            "lazy",
        ], name
        assert content.xpath(".//figure/figcaption/text()") == ["A caption"], name
        frames = content.xpath(".//iframe")
        vimeo = "https://player.vimeo.com/video/76979871"  # written as //player.vimeo.com/...
        assert [frame.get("src") for frame in frames] == [YOUTUBE, vimeo], name
        assert [frames[0].get(key) for key in ("allowfullscreen", "title", "allow")] == [
            "",
            "A video",
            "autoplay; encrypted-media",
        ], name
        boxes = content.xpath(".//li/input")
        assert [box.get("type") for box in boxes] == ["checkbox", "checkbox"], name
        assert [box.get("checked") for box in boxes] == ["", None], name
        assert [box.get("disabled") for box in boxes] == ["", ""], name
        (note,) = content.xpath(".//section[@class='footnotes']/ol/li")
        (reference,) = content.xpath(".//sup[@class='footnote-ref']/a")
        assert (note.get("id"), reference.get("id")) == ("fn-1", "fnref-1"), name
        assert reference.get("href") == url("#fn-1"), name
        assert note.xpath("p/a/@href") == [url("../other/"), url("#fnref-1")], name


HOSTILE = {
    "script": "<script>alert(1)</script>",
    "style": "<style>body { display: none }</style>",
    "event": '<img src="a.png" onerror="alert(1)">',
    "javascript": '<a href="javascript:alert(1)">x</a>',
    "data image": '<img src="data:image/png;base64,iVBORw0KGgo=">',
    "srcset": '<img srcset="javascript:alert(1) 1x, a.png 2x">',
    "poster": '<video poster="javascript:alert(1)"></video>',
    "http frame": '<iframe src="http://www.youtube.com/embed/x"></iframe>',
    "other host": '<iframe src="https://video.example/embed/1"></iframe>',
    "lookalike": '<iframe src="https://youtube.com.evil.example/embed/1"></iframe>',
    "suffix": '<iframe src="https://evilyoutube.com/embed/1"></iframe>',
    "userinfo": '<iframe src="https://youtube.com@evil.example/embed/1"></iframe>',
    "relative frame": '<iframe src="/embed/1"></iframe>',
    "srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "text input": '<input type="text" name="q">',
    "box outside a list": '<p><input type="checkbox"> not a task</p>',
    "enabled box": '<ul><li><input type="checkbox" name="x" value="1"> task</li></ul>',
    "object": '<object data="x.swf"></object><embed src="x.swf">',
    "svg": '<svg onload="alert(1)"><circle r="1"/></svg>',
    "form": '<form action="https://evil.example/"><button>Go</button></form>',
    "meta": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "base": '<base href="https://evil.example/">',
    "style attribute": '<p style="position:fixed">x</p>',
}
SAFE_XPATH = (
    ".//script | .//style | .//object | .//embed | .//svg | .//form | .//button | .//meta"
    " | .//base | .//*[@onerror or @onload or @onclick or @style or @srcdoc or @name]"
    " | .//iframe | .//input[not(parent::li)] | .//input[not(@disabled)]"
    " | .//input[@type!='checkbox']"
)


@pytest.mark.parametrize("base_url", [None, PAGE_URL], ids=["page", "feed"])
@pytest.mark.parametrize("name", HOSTILE)
def test_what_runs_is_removed(name: str, base_url: str | None) -> None:
    cleaned = sanitize_author_html(HOSTILE[name], DEFAULT_EMBED_HOSTS, base_url)
    tree = html.fragment_fromstring(f"<div>{cleaned}</div>")
    assert tree.xpath(SAFE_XPATH) == [], cleaned
    for value in tree.xpath(".//@href | .//@src | .//@srcset | .//@poster"):
        assert not value.lower().startswith(("javascript:", "data:")), cleaned
    assert "alert" not in cleaned and "evil" not in cleaned


def test_an_iframe_keeps_no_fallback_text() -> None:
    markup = f'<iframe src="{YOUTUBE}"><script>alert(1)</script><p>fallback</p></iframe>after'
    assert (
        sanitize_author_html(markup, DEFAULT_EMBED_HOSTS)
        == f'<iframe src="{YOUTUBE}"></iframe>after'
    )


def test_a_refused_iframe_goes_whole_and_what_follows_stays() -> None:
    markup = '<p>a</p><iframe src="https://video.example/1">x</iframe><p>b</p>'
    assert sanitize_author_html(markup, DEFAULT_EMBED_HOSTS) == "<p>a</p><p>b</p>"


def test_markup_in_an_attribute_is_never_taken_for_a_frame() -> None:
    """Text after an attribute that spells "<iframe>" must stay text, not become attributes."""
    markup = (
        '<p><img alt="<iframe>" src="a.png">" onerror="alert(1)" x="</p>'
        f'<iframe src="{YOUTUBE}"></iframe><p>after</p>'
    )
    cleaned = sanitize_author_html(markup, DEFAULT_EMBED_HOSTS)
    tree = html.fragment_fromstring(cleaned, create_parent="div")
    assert tree.xpath(".//img/@alt") == ["<iframe>"]
    assert tree.xpath(".//*[@onerror]") == []
    assert tree.xpath(".//iframe/@src") == [YOUTUBE]
    assert tree.xpath(".//p/text()") == ['" onerror="alert(1)" x="', "after"]


def test_a_hostile_build_gives_valid_feeds_without_what_runs(tmp_path: Path) -> None:
    body = "\n\n".join(HOSTILE.values())
    output = build(
        tmp_path, {"bad.md": f"---\ntitle: Bad\ndate: 2024-05-01\n---\nText &#1; here.\n\n{body}\n"}
    )
    every_feed_parses(output)
    for name, content in contents(output, "bad").items():
        assert content.xpath(SAFE_XPATH) == [], name
        assert "alert" not in etree.tostring(content, encoding="unicode"), name


def test_character_references_that_xml_cannot_carry_are_dropped(tmp_path: Path) -> None:
    """`&#1;` is a character no feed can carry: the post, its comment and its archive copy
    are published without it (the build failed on it)."""
    archive = tmp_path / "archive.sqlite3"
    archive.touch()  # an archive in use: the build copies our posts into it
    post = (
        "---\ntitle: Refs\ndate: 2024-05-01\ncomments:\n"
        '  - {author: Ann, body: "bell &#7; here"}\n---\nStart &#1; end.\n'
    )
    output = build(tmp_path, {"refs.md": post}, env={"SYNDICATE_ARCHIVE": str(archive)})
    every_feed_parses(output)
    (item,) = etree.parse(str(output / "posts/refs/comments.xml")).xpath("channel/item")
    assert item.findtext("content:encoded", namespaces=NS) == "<p>bell  here</p>"
    for name, content in contents(output, "refs").items():
        assert content.xpath(".//p[starts-with(., 'Start')]/text()") == ["Start  end."], name
    (entry,) = feedparser.parse((output / "archive.atom").read_bytes()).entries
    assert "Start  end." in entry.content[0].value


def test_embed_hosts_come_from_the_settings(tmp_path: Path) -> None:
    post = (
        "---\ntitle: Embeds\ndate: 2024-05-01\n---\nText.\n\n"
        '<iframe src="https://maps.example.net/embed?x=1"></iframe>\n\n'
        f'<iframe src="{YOUTUBE}"></iframe>\n'
    )
    output = build(tmp_path, {"embeds.md": post}, env={"SYNDICATE_EMBED_HOSTS": "example.net"})
    for name, content in contents(output, "embeds").items():
        assert content.xpath(".//iframe/@src") == ["https://maps.example.net/embed?x=1"], name


def test_comments_keep_the_strict_list(tmp_path: Path) -> None:
    body = (
        f'<video src="v.mp4"></video><iframe src="{YOUTUBE}"></iframe>'
        '<ul><li><input type="checkbox" checked> task</li></ul><img src="a.png">words'
    )
    post = (
        "---\ntitle: Talk\ndate: 2024-05-01\ncomments:\n"
        f"  - {{author: Ann, body: {json.dumps(body)}}}\n---\nText.\n"
    )
    output = build(tmp_path, {"talk.md": post})
    every_feed_parses(output)
    (item,) = etree.parse(str(output / "posts/talk/comments.xml")).xpath("channel/item")
    written = html.fragment_fromstring(item.findtext("description"), create_parent="div")
    page = html.parse(str(output / "posts/talk/index.html"))
    (comment,) = page.xpath("//*[@id='comment-1']")
    for where in (written, comment):
        assert where.xpath(".//video | .//iframe | .//input | .//img") == []
        assert "words" in where.text_content()


def test_fetched_articles_keep_the_article_policy() -> None:
    markup = f'<p>a</p><iframe src="{YOUTUBE}"></iframe><video src="v.mp4"></video>'
    for cleaned in (feed_ready_html(markup, PAGE_URL), sanitize_untrusted_html(markup)):
        assert "<iframe" not in cleaned and "<video" not in cleaned
        assert "<p>a</p>" in cleaned


def test_cmark_task_lists_and_footnotes_pass_as_cmark_writes_them() -> None:
    written = render_markdown("- [x] done\n- [ ] open\n\nNote.[^a]\n\n[^a]: Here.\n")
    cleaned = sanitize_author_html(written, DEFAULT_EMBED_HOSTS)
    for fragment in (
        '<li><input type="checkbox" checked="" disabled=""> done</li>',
        '<li><input type="checkbox" disabled=""> open</li>',
        '<sup class="footnote-ref"><a href="#fn-a" id="fnref-a" data-footnote-ref="">1</a></sup>',
        '<section class="footnotes" data-footnotes="">',
        '<li id="fn-a">',
        'class="footnote-backref" data-footnote-backref=""',
    ):
        assert fragment in cleaned
