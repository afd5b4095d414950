"""A podcast built as a user would: [podcast] settings, an mp3 beside a post, an episode at a
URL, and the feeds checked against what the W3C feed validator checks (its itunes, item and
validators modules, read at github.com/w3c/feedvalidator: it cannot be installed here) and
read back by feedparser in RSS, Atom and JSON Feed."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import feedparser
from lxml import etree

from tests.conftest import BASE_URL, write_posts
from tests.posts.test_bad_input import build, stderr_lines

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
NS = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM}

# An MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz) and its 417-byte frame, 40 times over.
MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(413)
MP3 = MP3_FRAME * 40

CONFIG = """\
[site]
title = "Reading Aloud"
author = "Ann Example"

[podcast]
author = "Ann Example"
owner = "Ann"
email = "ann@example.org"
image = "cover.jpg"
categories = ["Arts > Books", "Technology"]
explicit = false
type = "episodic"
"""

FIRST = """\
---
title: Episode one
date: 2024-03-01T09:00:00Z
enclosure:
  file: audio/ep1.mp3
  duration: "00:31:05"
  title: Episode one (MP3)
episode: 1
season: 1
image: art.png
---
We read the first chapter. [Show notes](notes.pdf).
"""

SECOND = """\
---
title: Episode two
date: 2024-03-08T09:00:00Z
enclosure:
  url: https://cdn.example.net/shows/reading/ep2.m4a
  length: 23456789
  type: audio/x-m4a
  duration: 1:02:03
episode: 2
season: 1
episode_type: bonus
explicit: yes
---
A bonus episode.
"""

BLOG = """\
---
title: A word between episodes
date: 2024-03-05T09:00:00Z
---
No audio here.
"""


def podcast_site(tmp_path: Path) -> tuple[Path, Path]:
    posts = write_posts(
        tmp_path / "posts",
        {
            "2024-03-01-episode-one.md": FIRST,
            "2024-03-08-episode-two.md": SECOND,
            "2024-03-05-between.md": BLOG,
            "notes.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            "art.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
        },
    )
    write_posts(posts / "audio", {"ep1.mp3": MP3})
    config = tmp_path / "podcast.toml"  # not ./syndicate.toml, which a build reads unasked
    config.write_text(CONFIG, encoding="utf-8")
    return posts, config


def built_podcast(tmp_path: Path, out_name: str = "out") -> Path:
    posts, config = podcast_site(tmp_path)
    out = tmp_path / out_name
    result = build(tmp_path, posts, out, config=config)
    assert result.exit_code == 0, result.output
    assert stderr_lines(result) == [], result.stderr
    return out


def test_a_podcast_feed_passes_the_w3c_validators_itunes_checks(tmp_path: Path) -> None:
    out = built_podcast(tmp_path)
    rss = etree.parse(str(out / "rss.xml"))
    assert validator_errors(rss) == []
    channel = rss.find("channel")
    assert channel.findtext("itunes:author", namespaces=NS) == "Ann Example"
    assert channel.findtext("itunes:owner/itunes:name", namespaces=NS) == "Ann"
    assert channel.find("itunes:image", NS).get("href") == BASE_URL + "cover.jpg"
    arts = channel.find("itunes:category[@text='Arts']", NS)
    assert [sub.get("text") for sub in arts] == ["Books"]
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"
    # Podcasting 2.0: UUIDv5 of the feed URL without its scheme and trailing slashes
    seed = (BASE_URL + "rss.xml").removeprefix("https://")
    namespace = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
    assert channel.findtext("podcast:guid", namespaces=NS) == str(uuid.uuid5(namespace, seed))


def test_feedparser_reads_enclosures_and_episodes_from_rss_atom_and_json(tmp_path: Path) -> None:
    out = built_podcast(tmp_path)
    local_mp3 = BASE_URL + "posts/episode-one/audio/ep1.mp3"
    remote_m4a = "https://cdn.example.net/shows/reading/ep2.m4a"

    rss = feedparser.parse((out / "rss.xml").read_bytes())
    assert not rss.bozo, rss.get("bozo_exception")
    by_title = {entry.title: entry for entry in rss.entries}
    one, two = by_title["Episode one"], by_title["Episode two"]
    assert [(e.href, e.length, e.type) for e in one.enclosures] == [
        (local_mp3, str(len(MP3)), "audio/mpeg")
    ]
    assert (one.itunes_duration, one.itunes_episode, one.itunes_season) == ("1865", "1", "1")
    assert one.image.href == BASE_URL + "posts/episode-one/art.png"
    assert [(e.href, e.length, e.type) for e in two.enclosures] == [
        (remote_m4a, "23456789", "audio/x-m4a")
    ]
    assert (two.itunes_duration, two.itunes_episodetype) == ("3723", "bonus")
    assert by_title["A word between episodes"].enclosures == []

    atom = feedparser.parse((out / "atom.xml").read_bytes())
    assert not atom.bozo, atom.get("bozo_exception")
    enclosures = {entry.title: entry.enclosures for entry in atom.entries}
    assert [(e.href, e.length, e.type) for e in enclosures["Episode one"]] == [
        (local_mp3, str(len(MP3)), "audio/mpeg")
    ]
    assert enclosures["Episode one"][0].title == "Episode one (MP3)"
    assert [e.href for e in enclosures["Episode two"]] == [remote_m4a]
    atom_tree = etree.parse(str(out / "atom.xml"))
    assert ITUNES not in atom_tree.getroot().nsmap.values()  # itunes tags are RSS's alone

    feed = json.loads((out / "feed.json").read_bytes())
    items = {item["title"]: item for item in feed["items"]}
    assert items["Episode one"]["attachments"] == [
        {
            "url": local_mp3,
            "mime_type": "audio/mpeg",
            "title": "Episode one (MP3)",
            "size_in_bytes": len(MP3),
            "duration_in_seconds": 1865,
        }
    ]
    assert items["Episode two"]["attachments"][0]["size_in_bytes"] == 23456789
    assert items["Episode two"]["_podcast"] == {
        "episode": 2,
        "season": 1,
        "episode_type": "bonus",
        "explicit": True,
    }
    assert "attachments" not in items["A word between episodes"]
    assert feed["icon"] == BASE_URL + "cover.jpg"
    assert feed["_podcast"]["guid"] == etree.parse(str(out / "rss.xml")).findtext(
        "channel/podcast:guid", namespaces=NS
    )


def test_comment_feeds_carry_no_podcast_tags(tmp_path: Path) -> None:
    out = built_podcast(tmp_path)
    comment_feeds = [*out.glob("comments.*"), *out.glob("posts/*/comments.*")]
    assert len(comment_feeds) >= 4
    for path in comment_feeds:
        root = etree.parse(str(path)).getroot()
        assert not {ITUNES, PODCAST} & set(root.nsmap.values()), path
        assert not root.xpath("//*[local-name()='enclosure' or @rel='enclosure']"), path


def test_a_podcast_rebuilt_is_byte_identical(tmp_path: Path) -> None:
    first = built_podcast(tmp_path, "out")
    posts, config = tmp_path / "posts", tmp_path / "podcast.toml"
    second = tmp_path / "again"
    result = build(tmp_path, posts, second, config=config)  # from the post cache this time
    assert result.exit_code == 0, result.output
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_site_without_podcast_settings_has_enclosures_but_no_itunes(tmp_path: Path) -> None:
    posts, _ = podcast_site(tmp_path)
    out = tmp_path / "out"
    result = build(tmp_path, posts, out)
    assert result.exit_code == 0, result.output
    root = etree.parse(str(out / "rss.xml")).getroot()
    assert not {ITUNES, PODCAST} & set(root.nsmap.values())
    assert len(root.findall("channel/item/enclosure")) == 2


# -- what the W3C feed validator checks of a podcast (errors and warnings alike) ---------------

# Apple's categories as the validator's itunes.valid_itunes_categories lists them.
APPLE_CATEGORIES = {
    "Arts": {"Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"},
    "Business": {
        *("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit")
    },
    "Comedy": {"Comedy Interviews", "Improv", "Stand-Up"},
    "Education": {"Courses", "How To", "Language Learning", "Self-Improvement"},
    "Fiction": {"Comedy Fiction", "Drama", "Science Fiction"},
    "Government": set(),
    "History": set(),
    "Health & Fitness": {
        *("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition"),
        "Sexuality",
    },
    "Kids & Family": {"Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"},
    "Leisure": {
        *("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies"),
        *("Home & Garden", "Video Games"),
    },
    "Music": {"Music Commentary", "Music History", "Music Interviews"},
    "News": {
        *("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics"),
        *("Sports News", "Tech News"),
    },
    "Religion & Spirituality": {
        *("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Spirituality")
    },
    "Science": {
        *("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics"),
        *("Natural Sciences", "Nature", "Physics", "Social Sciences"),
    },
    "Society & Culture": {
        *("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships")
    },
    "Sports": {
        *("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey"),
        *("Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness"),
        "Wrestling",
    },
    "Technology": set(),
    "True Crime": set(),
    "TV & Film": {
        *("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews")
    },
}
# validators.py: mime_re, httpURL (addr_spec.domain_re and rfc2396_full), duration, email_re
MIME = re.compile(
    r"""[^\s()<>,;:\\"/[\]?=]+/[^\s()<>,;:\\"/[\]?=]+"""
    r"""(\s*;\s*[^\s()<>,;:\\"/[\]?=]+=("(\\"|[^"])*"|[^\s()<>,;:\\"/[\]?=]+))*$"""
)
DOMAIN = r"(([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([A-Z0-9\-]+\.)+))([A-Z0-9][-A-Z0-9]*)"
HTTP_URL = re.compile(r"(http|https)://" + DOMAIN + r"(?::\d+)?(/|$)", re.IGNORECASE)
URI_CHARACTERS = re.compile(r"[a-zA-Z][0-9a-zA-Z+\-.]*:(//)?[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+$")
DURATION = re.compile(r"\d+(:[0-5][0-9](:[0-5][0-9])?)?$")
EMAIL = re.compile(r"([A-Z0-9_\-+.']+)@" + DOMAIN + "$", re.IGNORECASE)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
APPLE_FORMATS = ("m4a", "mp3", "mov", "mp4", "m4v", "pdf", "epub")  # UnsupportedItunesFormat


def validator_errors(rss: etree._ElementTree) -> list[str]:
    """What the validator would report of an RSS podcast feed, as we read its rules."""
    root = rss.getroot()
    channel = root.find("channel")
    problems = []
    if root.nsmap.get("itunes") != ITUNES:
        problems.append("the itunes prefix is not bound to Apple's namespace")
    if channel.findtext("language") is None:
        problems.append("MissingItunesElement language")
    for required in ("itunes:category", "itunes:explicit", "itunes:owner/itunes:email"):
        if channel.find(required, NS) is None:
            problems.append(f"MissingItunesElement {required}")
    problems += _single(channel, ("author", "explicit", "image", "owner", "type"))
    problems += _text_checks(channel, "channel")
    if channel.findtext("itunes:type", namespaces=NS) not in (None, "episodic", "serial"):
        problems.append("InvalidItunesChannelType")
    for email in channel.findall("itunes:owner/itunes:email", NS):
        if not EMAIL.match(email.text or ""):
            problems.append(f"InvalidContact {email.text}")
    for category in channel.findall("itunes:category", NS):
        name = category.get("text")
        if name not in APPLE_CATEGORIES:
            problems.append(f"InvalidItunesCategory {name}")
        for sub in category.findall("itunes:category", NS):
            if sub.get("text") not in APPLE_CATEGORIES.get(name, ()):
                problems.append(f"InvalidItunesCategory {name} > {sub.get('text')}")
    guid = channel.findtext("podcast:guid", namespaces=NS)
    if guid is not None and not UUID.match(guid):
        problems.append(f"podcast:guid {guid} is not a UUID")
    for item in channel.findall("item"):
        problems += _item_errors(item)
    return problems


def _item_errors(item: etree._Element) -> list[str]:
    where = item.findtext("title")
    problems = _single(item, ("duration", "episode", "season", "episodeType", "explicit", "image"))
    problems += _text_checks(item, where)
    enclosures = item.findall("enclosure")
    if len(enclosures) > 1:
        problems.append(f"{where}: DuplicateEnclosure")
    for enclosure in enclosures:
        url, length, media_type = (enclosure.get(name) for name in ("url", "length", "type"))
        if url is None or not HTTP_URL.match(url) or not URI_CHARACTERS.match(url):
            problems.append(f"{where}: InvalidURLAttribute {url}")
        elif url.rsplit(".", 1)[-1] not in APPLE_FORMATS:
            problems.append(f"{where}: UnsupportedItunesFormat {url}")
        if length is None or not length.isdigit():
            problems.append(f"{where}: enclosure length {length}")
        if media_type is None or not MIME.match(media_type):
            problems.append(f"{where}: InvalidMIMEAttribute {media_type}")
    duration = item.findtext("itunes:duration", namespaces=NS)
    if duration is not None and not DURATION.match(duration):
        problems.append(f"{where}: InvalidDuration {duration}")
    for name in ("episode", "season"):
        number = item.findtext(f"itunes:{name}", namespaces=NS)
        if number is not None and not (number.isdigit() and int(number) > 0):
            problems.append(f"{where}: InvalidPositiveInteger itunes:{name} {number}")
    if item.findtext("itunes:episodeType", namespaces=NS) not in (None, "full", "trailer", "bonus"):
        problems.append(f"{where}: InvalidItunesEpisodeType")
    return problems


def _single(parent: etree._Element, names: tuple[str, ...]) -> list[str]:
    return [
        f"DuplicateElement itunes:{name}"
        for name in names
        if len(parent.findall(f"itunes:{name}", NS)) > 1
    ]


def _text_checks(parent: etree._Element, where: object) -> list[str]:
    """itunes:explicit true/false; itunes:image href an http(s) URL; author at most 255."""
    problems = []
    explicit = parent.findtext("itunes:explicit", namespaces=NS)
    if explicit is not None and explicit.lower() not in ("true", "false"):
        problems.append(f"{where}: InvalidTrueFalse itunes:explicit {explicit}")
    for image in parent.findall("itunes:image", NS):
        href = image.get("href")
        if href is None or not HTTP_URL.match(href) or not URI_CHARACTERS.match(href):
            problems.append(f"{where}: InvalidURLAttribute itunes:image {href}")
    author = parent.findtext("itunes:author", namespaces=NS)
    if author is not None and len(author) > 255:
        problems.append(f"{where}: TooLong itunes:author")
    return problems


def test_the_validator_rules_find_what_feedgens_podcast_extension_writes() -> None:
    """The checks can fail: feedgen's own itunes:explicit ('no') and a category Apple retired."""
    feed = etree.fromstring(
        f"""<rss xmlns:itunes="{ITUNES}" version="2.0"><channel><language>en</language>
        <itunes:explicit>no</itunes:explicit><itunes:category text="Audio Blogs"/>
        <itunes:owner><itunes:email>not an address</itunes:email></itunes:owner>
        <item><title>x</title><itunes:duration>1:75</itunes:duration>
        <enclosure url="https://a.example/x y.mp3" length="" type="audio"/></item>
        </channel></rss>""".encode()
    )
    problems = validator_errors(etree.ElementTree(feed))
    expected = (
        *("InvalidTrueFalse itunes:explicit no", "InvalidContact", "InvalidItunesCategory"),
        *("InvalidURLAttribute", "enclosure length", "InvalidMIMEAttribute", "InvalidDuration"),
    )
    assert len(problems) == len(expected), problems
    for phrase, problem in zip(expected, problems, strict=True):
        assert phrase in problem, problems
