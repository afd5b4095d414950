"""Pingbacks and trackbacks (Comment.kind) as WordPress shows them: on the post's page in the short
form its themes use (`short_ping`: "Pingback:" and the link to the other site's post, classed by
its kind, no body), and in the comment feeds as any comment (WordPress's titles, "By: X" and
"Comment on P by X", with the ping's text)."""

from __future__ import annotations

from pathlib import Path

import feedparser
from lxml import html

from tests.conftest import run_build, write_posts

POST = """---
title: Hello
date: 2024-05-01T10:00:00Z
comments:
  - {id: '1', author: Ann, body: A real comment.}
  - id: '2'
    type: pingback
    author: Other Blog » A reply
    author_url: https://other.example/a-reply/
    body: "[…] as Hello says […]"
  - id: '3'
    type: trackback
    author: Old Journal
    author_url: https://journal.example/entry/
    body: An excerpt sent by trackback.
---
Body.
"""


def built(tmp_path: Path) -> Path:
    posts, output = write_posts(tmp_path / "posts", {"hello.md": POST}), tmp_path / "out"
    result = run_build(posts, output)
    assert result.exit_code == 0, result.output
    return output


def test_the_page_shows_pings_as_wordpress_themes_do(tmp_path: Path) -> None:
    page = html.parse(str(built(tmp_path) / "posts/hello/index.html")).getroot()
    [ping] = page.xpath("//div[@id='comment-2']")
    assert ping.get("class") == "comment pingback"
    assert ping.xpath("string(.//span[@class='ping-label'])") == "Pingback:"
    assert ping.xpath(".//a[@rel='nofollow ugc']/@href") == ["https://other.example/a-reply/"]
    assert ping.xpath("string(.//a[@rel='nofollow ugc'])") == "Other Blog » A reply"
    assert "as Hello says" not in ping.text_content()  # short_ping: no body
    [track] = page.xpath("//div[@id='comment-3']")
    assert track.get("class") == "comment trackback"
    assert track.xpath("string(.//span[@class='ping-label'])") == "Trackback:"
    [comment] = page.xpath("//div[@id='comment-1']")
    assert comment.get("class") == "comment" and not comment.xpath(".//span[@class='ping-label']")
    assert "says:" in comment.text_content() and "A real comment." in comment.text_content()
    assert page.xpath("string(//section[@id='comments']/h2)") == "3 comments"


def test_the_comment_feeds_carry_pings_with_wordpress_titles(tmp_path: Path) -> None:
    output = built(tmp_path)
    own = feedparser.parse((output / "posts/hello/comments.atom").read_bytes())
    assert not own.bozo
    titles = {entry.title: entry for entry in own.entries}
    assert set(titles) == {"By: Ann", "By: Other Blog » A reply", "By: Old Journal"}
    ping = titles["By: Other Blog » A reply"]
    assert ping.author_detail.href == "https://other.example/a-reply/"
    assert "as Hello says" in ping.content[0].value
    site = feedparser.parse((output / "comments.xml").read_bytes())
    assert "Comment on Hello by Old Journal" in {entry.title for entry in site.entries}
