"""Issue 13's "done when": one site with a podcast, embeds, a scheduled post, `urn:uuid` ids and
right-to-left text. Every feed it writes parses with feedparser without bozo, its ids are
valid for the W3C validator (IRIs; no `urn:uuid:` with a fragment; tag: URIs per RFC 4151), the
podcast feed passes the validator's iTunes rules as tests/site/test_podcast.py restates them,
JSON Feeds have what JSON Feed 1.1 requires, a real feed reader (`reader`) reads every feed
through `serve`, and the scheduled post is in no file until it is due."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from tests.conftest import free_port, serving, write_posts
from tests.posts.test_bad_input import build, stderr_lines
from tests.site.test_podcast import CONFIG, FIRST, MP3, SECOND, validator_errors

reader_module = pytest.importorskip("reader")

NOW = "2026-12-02T12:00:00+00:00"
EMBED = """---
title: A talk, embedded
date: 2026-11-20T10:00:00Z
tags: [talks]
---
Intro.

<iframe src="https://www.youtube.com/embed/abc123" title="The talk" allowfullscreen></iframe>

- [x] watched
- [ ] written up
"""
UUID_POST = """---
title: Kept id
date: 2026-11-21T10:00:00Z
id: urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427
comments:
  - {id: c1, author: Bo, date: 2026-11-22T10:00:00Z, body: First.}
  - {id: c2, author: Cy, date: 2026-11-22T11:00:00Z, body: Reply., in_reply_to: c1}
---
A post whose id came from another engine.
"""
RTL = """---
title: שלום עולם
date: 2026-11-23T10:00:00Z
tags: [עברית]
comments:
  - {id: r1, author: דנה, date: 2026-11-24T10:00:00Z, body: תגובה ראשונה.}
---
זהו פוסט בעברית, נכתב מימין לשמאל.
"""
LATER = """---
title: Waiting post
date: 2026-12-04T09:00:00Z
---
Not-yet-due text.
"""
TAG_URI = re.compile(r"^tag:[A-Za-z0-9.-]+,\d{4}(-\d{2}(-\d{2})?)?:[^\s]*$")
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
UUID_URN = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ATOM = "{http://www.w3.org/2005/Atom}"


def whole_site(tmp_path: Path, base: str) -> Path:
    posts = write_posts(
        tmp_path / "posts",
        {
            "2024-03-01-episode-one.md": FIRST,
            "2024-03-08-episode-two.md": SECOND,
            "notes.pdf": b"%PDF-1.4\n",
            "art.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
            "embed.md": EMBED,
            "uuid.md": UUID_POST,
            "rtl.md": RTL,
            "later.md": LATER,
        },
    )
    write_posts(posts / "audio", {"ep1.mp3": MP3})
    config = tmp_path / "site.toml"
    config.write_text(CONFIG.replace("[site]\n", f'[site]\nbase_url = "{base}"\n'), "utf-8")
    out = tmp_path / "out"
    result = build(tmp_path, posts, out, config=config, env={"SYNDICATE_NOW": NOW})
    assert result.exit_code == 0, result.output
    assert stderr_lines(result) == [], result.stderr
    assert "1 scheduled, next at 2026-12-04T09:00:00+00:00" in result.output
    return out


def feeds_of(out: Path) -> list[Path]:
    return sorted(
        path
        for path in out.rglob("*")
        if path.suffix in (".xml", ".atom") and not path.name.startswith("sitemap")
    )


def check_ids(path: Path) -> None:
    tree = etree.parse(str(path))
    ids = [node.text or "" for node in tree.iter(f"{ATOM}id", "guid")]
    assert len(ids) == len(set(ids)), path
    for found in ids:
        assert IRI.match(found), (path, found)
        if found.startswith("urn:uuid:"):
            assert UUID_URN.match(found), (path, found)
        if found.startswith("tag:"):
            assert TAG_URI.match(found), (path, found)


def test_every_feed_of_a_varied_site_is_valid_and_read_by_a_real_reader(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    out = whole_site(tmp_path, base)
    feeds = feeds_of(out)
    assert len(feeds) == 6 + 2 * 5 + 2 * 2  # site, comments, archive; five posts; two tags
    for path in feeds:
        data = path.read_bytes()
        parsed = feedparser.parse(data)
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert b"Waiting post" not in data, path  # the scheduled post waits
        check_ids(path)
    assert validator_errors(etree.parse(str(out / "rss.xml"))) == []
    for name in ("feed.json", "archive.json"):
        document = json.loads((out / name).read_text("utf-8"))
        assert document["version"] == "https://jsonfeed.org/version/1.1" and document["title"]
        assert all(
            item["id"] and ("content_html" in item or "content_text" in item)
            for item in document["items"]
        )
    assert not any(b"Waiting post" in path.read_bytes() for path in out.rglob("*.html"))
    assert b"Waiting post" not in (out / "sitemap.xml").read_bytes()

    reader = reader_module.make_reader(str(tmp_path / "reader.sqlite"))
    urls = [base + path.relative_to(out).as_posix() for path in feeds]
    with serving(out, port=port):
        for url in urls:
            reader.add_feed(url)
        reader.update_feeds()
        for url in urls:
            feed = reader.get_feed(url)
            assert feed.last_exception is None, (url, feed.last_exception)
    entries = {entry.title for entry in reader.get_entries()}
    assert {"Episode one", "Episode two", "A talk, embedded", "Kept id", "שלום עולם"} <= entries
    reader.close()
