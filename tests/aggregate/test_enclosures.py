"""Podcasts and other sites' media files: RSS <enclosure> with Apple's itunes tags, Atom
rel="enclosure", JSON Feed attachments and Media RSS's audio and video, kept as part of a copy
(bounded, URLs absolute http(s), lengths and types not believed blindly), shown by `archive
--json`, written into the archive feeds, and counted as stored content by a re-fetch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser
import pytest

from syndicate.aggregate.fields import media_duration, media_length, media_type
from syndicate.aggregate.limits import MAX_ENCLOSURES_PER_ENTRY
from syndicate.aggregate.parse import parse_feed
from syndicate.model import Enclosure
from tests.aggregate.feedweb import Follower, fixture_bytes, serve
from tests.conftest import ArchiveLocation, FeedServer

RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml"
FEED_JSON = "application/feed+json"
PODCAST_URL = "https://feeds.fieldrecordings.example/show.rss"
MEDIA = "https://media.fieldrecordings.example/fr/"
EPISODE_12 = {
    "url": MEDIA + "012-dawn-chorus.mp3?source=feed",
    "length": 39512064,
    "type": "audio/mpeg",
    "duration": 41 * 60 + 9,
}


@pytest.fixture
def follower(tmp_path: Path, archive_location: ArchiveLocation) -> Follower:
    posts = tmp_path / "posts"  # none of its own: the archive feeds are the others' articles
    posts.mkdir()
    return Follower(tmp_path, posts=posts, archive=archive_location)


def rss_items(*items: str, extra_ns: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"'
        f' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"{extra_ns}><channel>'
        "<title>Show</title><link>https://show.example/</link>"
        + "".join(f"<item>{item}</item>" for item in items)
        + "</channel></rss>"
    ).encode()


def enclosure(url: str, length: str = "100", kind: str = "audio/mpeg") -> str:
    return f'<enclosure url="{url}" length="{length}" type="{kind}"/>'


# -- reading ------------------------------------------------------------------------------------


def test_a_podcast_feed_keeps_each_episodes_media_file_duration_and_picture() -> None:
    feed = parse_feed(fixture_bytes("field-recordings-podcast.rss"), PODCAST_URL)
    dawn, rain, bonus, trailer = feed.entries
    assert dawn.enclosures == (
        Enclosure(MEDIA + "012-dawn-chorus.mp3?source=feed", 39512064, "audio/mpeg", duration=2469),
    )
    assert dawn.image_url == "https://fieldrecordings.example/art/012-dawn-chorus.jpg"
    assert dawn.content_html  # the show notes are the entry's text, as before
    # A file name with spaces, relative to the feed; an empty length; seconds alone.
    assert rain.enclosures == (
        Enclosure(
            "https://feeds.fieldrecordings.example/fr/011%20rain%20on%20the%20shed%20roof.m4a",
            0,
            "audio/x-m4a",
            duration=2462,
        ),
    )
    assert rain.image_url == "https://feeds.fieldrecordings.example/art/011-rain.jpg"
    # "unknown" is no length; a type's parameters are not part of it; MM:SS.
    assert bonus.enclosures == (
        Enclosure(MEDIA + "bonus-3-turbine.mp3", 0, "audio/mpeg", duration=52 * 60 + 10),
    )
    assert (bonus.url, bonus.image_url) == (None, None)
    # An item that is nothing but its media file is an entry, known by the file's URL.
    assert trailer.guid == MEDIA + "000-trailer.mp3"
    assert (trailer.title, trailer.url, trailer.content_html) == ("", None, "")
    assert trailer.enclosures == (
        Enclosure(MEDIA + "000-trailer.mp3", 1048576, "audio/mpeg", duration=90),
    )


def test_atom_enclosure_links_are_all_kept_against_xml_base() -> None:
    feed = parse_feed(
        fixture_bytes("field-recordings.atom"), "https://fieldrecordings.example/blog/atom.xml"
    )
    article, timelapse = feed.entries
    base = "https://fieldrecordings.example/blog/media/"
    assert article.enclosures == (
        Enclosure(base + "dawn-chorus-raw.ogg", 20400123, "audio/ogg"),
        Enclosure(
            "https://media.fieldrecordings.example/fr/dawn-chorus-raw.mp3", 31200456, "audio/mpeg"
        ),
        Enclosure(base + "dawn-chorus-notes.pdf", 0, ""),  # no type given: none assumed
    )
    assert timelapse.title == "" and timelapse.summary_html == ""
    assert timelapse.enclosures == (Enclosure(base + "hedge-timelapse.mp4", 88000000, "video/mp4"),)


def test_json_feed_attachments_are_read_with_the_types_the_spec_gives() -> None:
    feed = parse_feed(
        fixture_bytes("field-recordings.json"), "https://fieldrecordings.example/clips/feed.json"
    )
    woodpecker, cuckoo = feed.entries
    assert woodpecker.image_url == "https://fieldrecordings.example/clips/7/woodpecker.jpg"
    assert woodpecker.enclosures == (
        Enclosure(
            "https://fieldrecordings.example/clips/7/woodpecker.mp3",
            320417,
            "audio/mpeg",
            duration=20,
        ),
        Enclosure(
            "https://media.fieldrecordings.example/clips/7/woodpecker.flac",
            1820417,
            "audio/flac",
            duration=20,
        ),
        # A size and a duration given as strings are not read; no URL, javascript: and a
        # string in the list are no attachments.
        Enclosure("https://media.fieldrecordings.example/clips/7/woodpecker.mp3", 0, "audio/mpeg"),
    )
    # No text at all, and a type, size and duration that are not what they say: the item
    # stays (it has an id), its file with nothing believed about it.
    assert cuckoo.enclosures == (
        Enclosure("https://media.fieldrecordings.example/clips/6/cuckoo.m4a", 0, ""),
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:41:09", 2469),
        ("1:02:03", 3723),
        ("52:10", 3130),
        ("75:30", 4530),  # minutes past the hour, as many feeds write them
        ("2462", 2462),
        (" 1834 ", 1834),
        ("1:02:03.6", 3724),
        ("", None),
        ("41 min", None),
        ("1:75:00", None),
        ("-5", None),
        ("1:2:3:4", None),
        ("9" * 5000, None),  # read no further than a duration can be long
        ("99999999", None),  # over a year
        (True, None),
        (3723, 3723),  # a JSON number
        (20.4, 20),
        (float("inf"), None),
    ],
)
def test_durations_in_every_form_feeds_write_them(text: object, seconds: int | None) -> None:
    assert media_duration(text) == seconds


@pytest.mark.parametrize(
    ("value", "length"),
    [
        ("39512064", 39512064),
        (" 12 ", 12),
        ("", 0),
        ("unknown", 0),
        ("12a", 0),
        ("-1", 0),
        ("1.5", 0),
        ("9" * 40, 0),
        (str(2**53), 0),  # past what a JavaScript reader of our JSON Feed holds exactly
        (320417, 320417),
        (320417.0, 320417),
        (-1, 0),
        (True, 0),
        (None, 0),
    ],
)
def test_lengths_are_whole_bytes_or_unknown(value: object, length: int) -> None:
    assert media_length(value) == length


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("audio/mpeg", "audio/mpeg"),
        ("Audio/MPEG; charset=binary", "audio/mpeg"),
        ("application/vnd.apple.mpegurl", "application/vnd.apple.mpegurl"),
        ("audio", ""),
        ("audio/mp3 extra", ""),
        ("<script>/x", ""),
        ("text/html", ""),  # what feedparser says of an Atom link with no type
        (17, ""),
    ],
)
def test_types_must_look_like_types(value: object, kind: str) -> None:
    assert media_type(value) == kind


def test_hostile_enclosures_are_refused_or_bounded() -> None:
    many = "".join(enclosure(f"https://show.example/{n}.mp3") for n in range(500))
    content = rss_items(
        "<title>Bad links</title><guid>bad</guid>"
        + enclosure("javascript:alert(1)")
        + enclosure("data:audio/mpeg;base64,AAAA")
        + enclosure("ftp://show.example/a.mp3")
        + enclosure("https://show.example/ok.mp3", kind="audio/mpeg&quot;onload=&quot;x")
        + enclosure("https://show.example/ok.mp3")  # once only
        + '<enclosure length="5"/>',
        "<title>Too many</title><guid>many</guid>" + many,
        "<title>Secret</title><guid>secret</guid>" + enclosure("ep.mp3"),
    )
    bad, crowded, secret = parse_feed(content, "https://reader:s3cret@show.example/feed").entries
    assert bad.enclosures == (Enclosure("https://show.example/ok.mp3", 100, ""),)
    assert len(crowded.enclosures) == MAX_ENCLOSURES_PER_ENTRY
    assert crowded.enclosures[-1].url == f"https://show.example/{MAX_ENCLOSURES_PER_ENTRY - 1}.mp3"
    # A relative URL resolved against a feed behind a password does not carry the password.
    assert secret.enclosures == (Enclosure("https://show.example/ep.mp3", 100, "audio/mpeg"),)


def test_a_json_attachment_url_with_control_characters_is_no_url() -> None:
    """(XML cannot carry them; JSON can, and no feed we write could then be serialised.)"""
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Clips",
        "items": [
            {
                "id": "1",
                "title": "Clip",
                "attachments": [
                    {"url": "https://show.example/\u0001clip.mp3", "mime_type": "audio/mpeg"},
                    {"url": "https://show.example/clip.mp3\u007f", "mime_type": "audio/mpeg"},
                    {"url": "https://show.example/clip.mp3", "mime_type": "audio/mpeg"},
                ],
            }
        ],
    }
    (item,) = parse_feed(json.dumps(document).encode(), "https://show.example/feed.json").entries
    assert [enclosure.url for enclosure in item.enclosures] == ["https://show.example/clip.mp3"]


def test_media_rss_audio_and_video_count_when_there_is_no_enclosure() -> None:
    media_ns = ' xmlns:media="http://search.yahoo.com/mrss/"'
    content = rss_items(
        "<title>Video only</title><guid>video</guid>"
        '<media:content url="https://show.example/v.mp4" medium="video" fileSize="900"'
        ' duration="61"/>'
        '<media:content url="https://show.example/still.jpg" medium="image"/>',
        "<title>A news story</title><guid>news</guid>"
        '<media:content url="https://show.example/photo.jpg" type="image/jpeg" width="800"/>',
        "<title>Both</title><guid>both</guid>"
        + enclosure("https://show.example/ep.mp3")
        + '<media:content url="https://show.example/ep-low.mp3" type="audio/mpeg"/>',
        '<media:content url="https://show.example/bare.m4a" type="audio/mp4"/>',
        extra_ns=media_ns,
    )
    video, news, both, bare = parse_feed(content, "https://show.example/feed").entries
    assert video.enclosures == (Enclosure("https://show.example/v.mp4", 900, "", duration=61),)
    assert news.enclosures == ()  # a picture illustrates a story; it is not its media file
    assert both.enclosures == (Enclosure("https://show.example/ep.mp3", 100, "audio/mpeg"),)
    assert bare.guid == "https://show.example/bare.m4a"


def test_an_entry_is_usable_with_only_an_enclosure_not_with_nothing() -> None:
    content = rss_items(
        enclosure("https://show.example/1.mp3"),
        enclosure("https://show.example/2.mp3")
        + "<pubDate>Mon, 06 May 2024 05:00:00 GMT</pubDate>",
        enclosure("javascript:alert(1)"),  # no media file after all: nothing
        "",
        "<title>Words</title>",
    )
    feed = parse_feed(content, "https://show.example/feed")
    assert [entry.guid for entry in feed.entries[:2]] == [
        "https://show.example/1.mp3",
        "https://show.example/2.mp3",
    ]
    assert [entry.title for entry in feed.entries] == ["", "", "Words"]
    assert feed.entries[2].enclosures == ()


# -- fetched, listed, republished ----------------------------------------------------------------


def serve_field_recordings(feed_server: FeedServer) -> tuple[str, str, str]:
    return (
        serve(feed_server, "show.rss", "field-recordings-podcast.rss", RSS),
        serve(feed_server, "blog/atom.xml", "field-recordings.atom", ATOM),
        serve(feed_server, "clips/feed.json", "field-recordings.json", FEED_JSON),
    )


def copies_by_guid(follower: Follower) -> dict[str, dict[str, Any]]:
    return {copy["guid"]: copy for copy in follower.copies()}


def test_fetched_media_files_are_part_of_each_copy_in_archive_json(
    follower: Follower, feed_server: FeedServer
) -> None:
    for url in serve_field_recordings(feed_server):
        follower.ok("subscribe", url)
    assert "8 new, 0 updated, 0 unchanged" in follower.ok("fetch").stdout
    copies = copies_by_guid(follower)
    dawn = copies["fr-episode-12"]
    assert dawn["enclosures"] == [EPISODE_12]
    assert dawn["image"] == "https://fieldrecordings.example/art/012-dawn-chorus.jpg"
    rain = copies["fr-episode-11"]
    (rain_file,) = rain["enclosures"]
    assert rain_file == {
        "url": feed_server.url("fr/011%20rain%20on%20the%20shed%20roof.m4a"),
        "length": 0,
        "type": "audio/x-m4a",
        "duration": 2462,
    }
    trailer = copies[MEDIA + "000-trailer.mp3"]
    assert trailer["title"] == "" and trailer["url"] is None
    assert [f["url"] for f in trailer["enclosures"]] == [MEDIA + "000-trailer.mp3"]
    notes = copies["tag:fieldrecordings.example,2024-05-07:how-dawn-chorus"]
    assert [f["type"] for f in notes["enclosures"]] == ["audio/ogg", "audio/mpeg", None]
    timelapse = copies["tag:fieldrecordings.example,2024-05-01:hedge-timelapse"]
    assert timelapse["published"] == "2024-05-01T12:00:00+00:00"  # its <updated>
    assert copies["clip-6"]["enclosures"] == [
        {
            "url": "https://media.fieldrecordings.example/clips/6/cuckoo.m4a",
            "length": 0,
            "type": None,
            "duration": None,
        }
    ]
    assert copies["clip-7"]["image"] == feed_server.url("clips/7/woodpecker.jpg")


def test_a_refetch_counts_a_copy_updated_only_when_its_media_changed(
    follower: Follower, feed_server: FeedServer
) -> None:
    for url in serve_field_recordings(feed_server):
        follower.ok("subscribe", url)
    follower.ok("fetch")
    before = follower.archive()
    assert "0 new, 0 updated, 8 unchanged" in follower.ok("fetch").stdout
    assert follower.archive() == before

    route = feed_server.routes["/show.rss"]
    route.body = route.body.replace(b"<itunes:duration>00:41:09", b"<itunes:duration>00:41:10")
    assert "0 new, 1 updated, 7 unchanged" in follower.ok("fetch").stdout
    assert copies_by_guid(follower)["fr-episode-12"]["enclosures"][0]["duration"] == 2470

    route.body = route.body.replace(b'length="39512064"', b'length="39512065"')
    assert "0 new, 1 updated, 7 unchanged" in follower.ok("fetch").stdout
    route.body = route.body.replace(b"art/012-dawn-chorus.jpg", b"art/012-dawn-chorus-v2.jpg")
    assert "0 new, 1 updated, 7 unchanged" in follower.ok("fetch").stdout


def parsed_feed(path: Path) -> Any:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path.name, parsed.get("bozo_exception"))
    return parsed


def test_the_archive_feeds_carry_each_articles_media_files(
    tmp_path: Path, follower: Follower, feed_server: FeedServer
) -> None:
    for url in serve_field_recordings(feed_server):
        follower.ok("subscribe", url)
    follower.ok("fetch")
    follower.ok("build")
    out = tmp_path / "out"
    dawn_page = "https://fieldrecordings.example/episodes/12-dawn-chorus"
    notes_page = "https://fieldrecordings.example/blog/2024/05/how-the-dawn-chorus-was-recorded/"
    raw = "https://fieldrecordings.example/blog/media/dawn-chorus-raw.ogg"

    rss = {entry.get("link"): entry for entry in parsed_feed(out / "archive.xml").entries}
    dawn = rss[dawn_page]
    assert [(e.href, e.length, e.type) for e in dawn.enclosures] == [
        (EPISODE_12["url"], "39512064", "audio/mpeg")
    ]
    assert dawn.itunes_duration == "2469"
    assert dawn.image.href == "https://fieldrecordings.example/art/012-dawn-chorus.jpg"
    assert [e.href for e in rss[notes_page].enclosures] == [raw]  # RSS carries one
    (trailer,) = [e for e in rss.values() if e.title == MEDIA + "000-trailer.mp3"]
    assert [e.href for e in trailer.enclosures] == [MEDIA + "000-trailer.mp3"]

    atom = {entry.get("link"): entry for entry in parsed_feed(out / "archive.atom").entries}
    assert [(e.href, e.get("length"), e.type) for e in atom[notes_page].enclosures] == [
        (raw, "20400123", "audio/ogg"),
        ("https://media.fieldrecordings.example/fr/dawn-chorus-raw.mp3", "31200456", "audio/mpeg"),
        # No type in the feed: the file's name says one (both formats must state it).
        (
            "https://fieldrecordings.example/blog/media/dawn-chorus-notes.pdf",
            "0",
            "application/pdf",
        ),
    ]

    items = json.loads((out / "archive.json").read_text(encoding="utf-8"))["items"]
    by_url = {item.get("url"): item for item in items}
    assert by_url[dawn_page]["attachments"] == [
        {
            "url": EPISODE_12["url"],
            "mime_type": "audio/mpeg",
            "size_in_bytes": 39512064,
            "duration_in_seconds": 2469,
        }
    ]
    assert by_url[dawn_page]["image"] == "https://fieldrecordings.example/art/012-dawn-chorus.jpg"
    (cuckoo,) = [item for item in items if "cuckoo" in str(item.get("attachments"))]
    assert cuckoo["attachments"] == [
        {
            "url": "https://media.fieldrecordings.example/clips/6/cuckoo.m4a",
            "mime_type": "audio/x-m4a",  # Apple's name for it, as in the feeds of our posts
        }
    ]


def item(link: str, date: str, *extra: str) -> str:
    return (
        f"<title>Dawn chorus</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{date}</pubDate><description>Blackbirds, then wrens.</description>"
        + "".join(extra)
    )


def test_an_article_shows_its_canonical_copys_media_else_another_copys(
    tmp_path: Path, follower: Follower, feed_server: FeedServer
) -> None:
    """A blog post that is the episode's origin, copied by the podcast's feed with the audio:
    the article is the episode still. When the canonical copy has media files of its own,
    those are the article's."""
    episode, both = "https://fieldrecordings.example/12", "https://fieldrecordings.example/13"
    early, late = "Mon, 06 May 2024 05:00:00 GMT", "Tue, 07 May 2024 05:00:00 GMT"
    blog = rss_items(
        item(episode, early),
        item(both, early, enclosure("https://blog.example/13-blog.mp3")),
    )
    podcast = rss_items(
        item(
            episode,
            late,
            enclosure("https://cdn.example/12.mp3"),
            "<itunes:duration>60</itunes:duration>",
        ),
        item(both, late, enclosure("https://cdn.example/13.mp3")),
    )
    follower.ok("subscribe", feed_server.serve("blog.rss", blog, Content_Type=RSS))
    follower.ok("subscribe", feed_server.serve("podcast.rss", podcast, Content_Type=RSS))
    assert "2 merged" in follower.ok("fetch").stdout
    follower.ok("build")
    out = tmp_path / "out"
    rss = {entry.link: entry for entry in parsed_feed(out / "archive.xml").entries}
    assert [e.href for e in rss[episode].enclosures] == ["https://cdn.example/12.mp3"]
    assert rss[episode].itunes_duration == "60"
    assert [e.href for e in rss[both].enclosures] == ["https://blog.example/13-blog.mp3"]
    items = json.loads((out / "archive.json").read_text(encoding="utf-8"))["items"]
    assert {item["url"]: [a["url"] for a in item["attachments"]] for item in items} == {
        episode: ["https://cdn.example/12.mp3"],
        both: ["https://blog.example/13-blog.mp3"],
    }
    # Each copy keeps its own in the listing.
    listed = {(c["feed"].rsplit("/", 1)[1], c["url"]): c["enclosures"] for c in follower.copies()}
    assert listed[("blog.rss", episode)] == []
    assert [f["url"] for f in listed[("podcast.rss", both)]] == ["https://cdn.example/13.mp3"]
