"""The archive feeds carry our own posts as their author wrote them (media, embeds from the
embed hosts), and other sites' copies under the strangers' allow-list."""

from __future__ import annotations

from pathlib import Path

import feedparser
from lxml import etree

from tests.site.test_feed_hygiene import build_one

POST = """---
title: Embeds
date: 2024-05-01
---
Intro.

<video controls src="clip.mp4"></video>
<iframe src="https://www.youtube.com/embed/abc" title="talk"></iframe>
<iframe src="https://evil.example/embed/1"></iframe>
<script>track()</script>
"""


def content_of(path: Path) -> str:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    tree = etree.parse(str(path))
    (encoded,) = tree.xpath(
        "//content:encoded/text()",
        namespaces={"content": "http://purl.org/rss/1.0/modules/content/"},
    )
    return str(encoded)


def test_our_posts_keep_their_media_in_the_archive_feeds(tmp_path: Path) -> None:
    output = build_one(tmp_path, POST)
    for name in ("rss.xml", "archive.xml"):
        html = content_of(output / name)
        assert '<iframe src="https://www.youtube.com/embed/abc"' in html, name
        assert 'src="https://blog.example.org/posts/post/clip.mp4"' in html, name
        assert "evil.example" not in html and "<script" not in html, name
    atom = (output / "archive.atom").read_text(encoding="utf-8")
    assert "youtube.com/embed/abc" in atom and "evil.example" not in atom


def test_our_episodes_carry_their_enclosures_in_the_archive_feeds(tmp_path: Path) -> None:
    output = build_one(
        tmp_path,
        "---\ntitle: Episode\ndate: 2024-05-01\nenclosure:\n"
        "  url: https://cdn.example.net/ep1.mp3\n  length: 1234\n  type: audio/mpeg\n---\nNotes.\n",
    )
    for name in ("archive.xml", "archive.atom"):
        parsed = feedparser.parse((output / name).read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        (entry,) = parsed.entries
        assert [(e.href, e.length, e.type) for e in entry.enclosures] == [
            ("https://cdn.example.net/ep1.mp3", "1234", "audio/mpeg")
        ], name
