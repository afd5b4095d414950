"""A copy's media files in the archive: stored with it (migration 7), compared as part of what
it says, kept by archives made before they were, and our own posts' enclosures as their
copies' (in `archive --json` and in the archive feeds)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser

from syndicate.archive import Archive
from syndicate.archive.media import enclosures_of, enclosures_text
from syndicate.archive.schema import MIGRATIONS
from syndicate.model import Enclosure, FeedEntry
from tests.aggregate.feedweb import Follower
from tests.archive.entries import WHEN, entry

EPISODE = Enclosure("https://cdn.example.net/ep1.mp3", 4096, "audio/mpeg", duration=1834)
FEED_URL = "https://show.example/feed"


OTHER_FORMAT = Enclosure("https://cdn.example.net/ep1.ogg", 0, "")
IMAGE = "https://cdn.example.net/ep1.jpg"


def with_media(copy: FeedEntry) -> FeedEntry:
    return replace(copy, enclosures=(EPISODE, OTHER_FORMAT), image_url=IMAGE)


def test_media_files_are_stored_and_read_back_with_the_copy(tmp_path: Path) -> None:
    with Archive(tmp_path / "archive.sqlite3") as archive:
        feed = archive.subscribe(FEED_URL)
        first = archive.store_entries(feed, [with_media(entry("ep1"))])
        again = archive.store_entries(feed, [with_media(entry("ep1"))])
        (article,) = archive.articles()
    assert (first.new, again.updated, again.unchanged) == (1, 0, 1)
    (copy,) = article.copies
    assert (copy.enclosures, copy.image_url) == ((EPISODE, OTHER_FORMAT), IMAGE)


def test_the_stored_text_is_one_spelling_per_list() -> None:
    text = enclosures_text((EPISODE, OTHER_FORMAT))
    assert text == (
        '[{"url":"https://cdn.example.net/ep1.mp3","length":4096,"type":"audio/mpeg",'
        '"duration":1834},{"url":"https://cdn.example.net/ep1.ogg","length":0,"type":null,'
        '"duration":null}]'
    )
    assert enclosures_of(text) == (EPISODE, OTHER_FORMAT)
    assert enclosures_text(()) is None
    # What is not such a list reads as no media files, never as an error.
    for damaged in ("", "{", "{}", '[1, {"url": 2}, {"length": 3}]'):
        assert enclosures_of(damaged) == ()


def version_6_archive(path: Path) -> None:
    """An archive as syndicate left it before migration 7: the first six migrations, run as
    `migrate` runs them, and a subscription, an article of two copies (one of our own posts,
    synced from one version of its file) and a comment."""
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:6]:
        for statement in script.split(";"):
            if statement.strip():
                db.execute(statement)
    db.execute("PRAGMA user_version = 6")
    db.execute(
        "INSERT INTO feeds (url, title, kind, added, etag) VALUES (?, 'Show', 'feed', ?, '\"v1\"')",
        (FEED_URL, WHEN.isoformat()),
    )
    db.execute(
        "INSERT INTO feeds (url, kind, added) VALUES ('urn:syndicate:own-posts', 'own', ?)",
        (WHEN.isoformat(),),
    )
    db.execute("INSERT INTO articles (id) VALUES (1)")
    copy = (
        "INSERT INTO copies (id, feed_url, guid, article_id, url, norm_url, title, title_key,"
        " published, content_html, is_own, source_digest, merge_rule)"
        " VALUES (?, ?, ?, 1, ?, ?, 'Episode one', 'episode one', ?, '<p>Notes</p>', ?, ?, ?)"
    )
    own_url = "https://blog.example.org/posts/episode-one/"
    db.execute(
        copy,
        (
            1,
            "urn:syndicate:own-posts",
            "urn:own:1",
            own_url,
            own_url,
            WHEN.isoformat(),
            1,
            "d1",
            None,
        ),
    )
    db.execute(
        copy,
        (
            2,
            FEED_URL,
            "ep1",
            "https://show.example/1",
            "https://show.example/1",
            WHEN.isoformat(),
            0,
            None,
            "link",
        ),
    )
    db.execute(
        "INSERT INTO comments (copy_id, guid, author, content_html) VALUES (2, 'c1', 'Ann', 'Hi')"
    )
    db.commit()
    db.close()


def test_an_archive_from_before_migration_7_opens_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite3"
    version_6_archive(path)
    with Archive(path) as archive:
        (article,) = archive.articles()
        feed = archive.feed(FEED_URL)
        digests = archive.synced_digests("urn:syndicate:own-posts")
        assert feed is not None
        # The copy stored before media files were kept is as it was: a fetch of the same
        # entry changes nothing; the same entry with a media file changes it.
        same = replace(
            entry("ep1", title="Episode one"),
            url="https://show.example/1",
            content_html="<p>Notes</p>",
        )
        unchanged = archive.store_entries(feed, [same])
        changed = archive.store_entries(feed, [with_media(same)])
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert version == len(MIGRATIONS) >= 7
    assert [copy.guid for copy in article.copies] == ["urn:own:1", "ep1"]
    assert [copy.enclosures for copy in article.copies] == [(), ()]
    assert article.copies[1].merge_rule == "link"
    assert [(c.author, c.content_html) for c in article.comments] == [("Ann", "Hi")]
    assert (feed.title, feed.etag) == ("Show", '"v1"')
    # Our own posts are synced again once, so that their copies gain their media files.
    assert digests == {"urn:own:1": None}
    assert (unchanged.updated, unchanged.unchanged) == (0, 1)
    assert (changed.updated, changed.unchanged) == (1, 0)


# -- our own posts --------------------------------------------------------------------------------

EPISODE_POST = """\
---
title: Episode one
date: 2024-03-01T09:00:00Z
enclosure:
  url: https://cdn.example.net/shows/reading/ep1.m4a
  length: 23456789
  type: audio/x-m4a
episode: 1
duration: "00:31:05"
image: art.png
---
We read the first chapter.
"""
BLOG_POST = """\
---
title: Between episodes
date: 2024-03-05T09:00:00Z
enclosure:
  file: audio/note.mp3
---
A voice note.
"""
MP3 = (b"\xff\xfb\x90\x64" + bytes(413)) * 4
EPISODE_FILE = {
    "url": "https://cdn.example.net/shows/reading/ep1.m4a",
    "length": 23456789,
    "type": "audio/x-m4a",
    "duration": 31 * 60 + 5,  # the episode's, as the post's own feeds give it
}
NOTE_FILE = {
    "url": "https://blog.example.org/posts/between-episodes/audio/note.mp3",  # beside the post
    "length": len(MP3),
    "type": "audio/mpeg",
    "duration": None,
}


def site_with_episodes(root: Path) -> Follower:
    posts = root / "posts"
    (posts / "audio").mkdir(parents=True)
    (posts / "episode-one.md").write_text(EPISODE_POST, encoding="utf-8")
    (posts / "art.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (posts / "between-episodes.md").write_text(BLOG_POST, encoding="utf-8")
    (posts / "audio" / "note.mp3").write_bytes(MP3)
    site = Follower(root, posts=posts)
    site.ok("fetch")  # makes the archive (following no one), and syncs the posts into it
    return site


def own_copies(site: Follower) -> dict[str, dict[str, Any]]:
    return {copy["title"]: copy for copy in site.copies() if copy["own"]}


def test_our_own_posts_media_files_are_their_copies(tmp_path: Path) -> None:
    site = site_with_episodes(tmp_path)
    site.ok("build")
    copies = own_copies(site)
    assert copies["Episode one"]["enclosures"] == [EPISODE_FILE]
    assert copies["Episode one"]["image"] == "https://blog.example.org/posts/episode-one/art.png"
    assert copies["Between episodes"]["enclosures"] == [NOTE_FILE]

    out = tmp_path / "out"
    rss = feedparser.parse((out / "archive.xml").read_bytes())
    assert not rss.bozo, rss.get("bozo_exception")
    by_title = {entry.title: entry for entry in rss.entries}
    episode = by_title["Episode one"]
    assert [(e.href, e.length, e.type) for e in episode.enclosures] == [
        (EPISODE_FILE["url"], "23456789", "audio/x-m4a")
    ]
    assert episode.itunes_duration == "1865"
    assert episode.image.href == "https://blog.example.org/posts/episode-one/art.png"
    assert [e.href for e in by_title["Between episodes"].enclosures] == [NOTE_FILE["url"]]
    atom = feedparser.parse((out / "archive.atom").read_bytes())
    assert not atom.bozo, atom.get("bozo_exception")
    assert {e.title: [x.href for x in e.enclosures] for e in atom.entries} == {
        "Episode one": [EPISODE_FILE["url"]],
        "Between episodes": [NOTE_FILE["url"]],
    }
    items = json.loads((out / "archive.json").read_text(encoding="utf-8"))["items"]
    assert {item["title"]: item["attachments"] for item in items} == {
        "Episode one": [
            {
                "url": EPISODE_FILE["url"],
                "mime_type": "audio/x-m4a",
                "size_in_bytes": 23456789,
                "duration_in_seconds": 1865,
            }
        ],
        "Between episodes": [
            {"url": NOTE_FILE["url"], "mime_type": "audio/mpeg", "size_in_bytes": len(MP3)}
        ],
    }


def test_own_posts_synced_before_migration_7_gain_their_media_files(tmp_path: Path) -> None:
    site = site_with_episodes(tmp_path)
    site.ok("build")
    # The archive as the syndicate before migration 7 left it: the same copies, synced from
    # the same versions of the post files, without the columns.
    db = sqlite3.connect(tmp_path / "archive.sqlite3")
    db.execute("ALTER TABLE copies DROP COLUMN enclosures")
    db.execute("ALTER TABLE copies DROP COLUMN image_url")
    for column in ("leased_by", "lease_until", "claimed_round"):  # and migration 8's
        db.execute(f"ALTER TABLE feeds DROP COLUMN {column}")
    for column in ("leased_by", "lease_until", "claimed_round"):  # and migration 9's
        db.execute(f"ALTER TABLE comment_feeds DROP COLUMN {column}")
    db.execute("DROP TABLE fetch_workers")
    db.execute("DROP TABLE fetch_rounds")
    db.execute("PRAGMA user_version = 6")
    db.commit()
    db.close()
    site.ok("build")
    copies = own_copies(site)
    assert copies["Episode one"]["enclosures"] == [EPISODE_FILE]
    assert copies["Between episodes"]["enclosures"] == [NOTE_FILE]
