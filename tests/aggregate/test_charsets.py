"""The HTTP charset, as RFC 7303 says: a BOM wins, else the Content-Type's charset (for
text/xml as for application/xml), else the XML declaration, else UTF-8. feedparser is told
the real Content-Type; where RFC 3023 (which it follows) and RFC 7303 differ, RFC 7303 wins."""

from __future__ import annotations

import codecs
from pathlib import Path

import feedparser
import pytest

from syndicate.aggregate.parse import feedparser_content_type, parse_feed
from tests.aggregate.feedweb import Follower, fixture_bytes, serve
from tests.conftest import ArchiveLocation, FeedServer

WORD = "Цитата"
BODY = f"<rss version='2.0'><channel><title>{WORD}</title></channel></rss>"


def document(encoding: str, *, declared: str | None = None, bom: bool = False) -> bytes:
    declaration = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    data = (declaration + BODY).encode(encoding)
    if bom:
        data = {"utf-8": codecs.BOM_UTF8, "utf-16-le": codecs.BOM_UTF16_LE}[encoding] + data
    return data


CASES = {
    # (the bytes, the Content-Type) -> the title read
    "charset, no declaration": (
        document("windows-1251"),
        "application/rss+xml; charset=windows-1251",
        WORD,
    ),
    "text/xml charset, no declaration": (
        document("windows-1251"),
        "text/xml; charset=windows-1251",
        WORD,
    ),
    "text/html charset (a misconfigured server)": (
        document("windows-1251"),
        "text/html; charset=windows-1251",
        WORD,
    ),
    "text/xml without charset: the declaration": (
        document("windows-1251", declared="windows-1251"),
        "text/xml",
        WORD,
    ),
    "the charset over the declaration": (
        document("windows-1251", declared="windows-1251"),
        "application/xml; charset=koi8-r",
        WORD.encode("windows-1251").decode("koi8-r"),
    ),
    "a UTF-8 BOM over the charset": (
        document("utf-8", declared="utf-8", bom=True),
        "text/xml; charset=windows-1251",
        WORD,
    ),
    "a UTF-16 BOM over the charset": (
        document("utf-16-le", declared="utf-16", bom=True),
        "application/rss+xml; charset=utf-8",
        WORD,
    ),
    "no Content-Type: the declaration": (
        document("koi8-r", declared="koi8-r"),
        None,
        WORD,
    ),
}


@pytest.mark.parametrize(("content", "content_type", "title"), CASES.values(), ids=CASES.keys())
def test_the_encoding_is_chosen_as_rfc_7303_says(
    content: bytes, content_type: str | None, title: str
) -> None:
    feed = parse_feed(content, "https://x.example/feed", content_type=content_type)
    assert feed.title == title


@pytest.mark.parametrize(("content", "content_type", "title"), CASES.values(), ids=CASES.keys())
def test_where_the_rfcs_agree_feedparser_given_the_real_headers_agrees(
    content: bytes, content_type: str | None, title: str
) -> None:
    """feedparser is told the real Content-Type: where RFC 3023 and 7303 agree it reads what
    we read. They differ on a BOM beside a charset (3023: the charset wins). For text/xml
    without a charset 3023 says US-ASCII, and feedparser falls back on the declaration."""
    rfc_3023_differs = content.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE))
    headers = {"content-type": content_type} if content_type else {}
    alone = feedparser.parse(content, response_headers=headers).feed.get("title")
    assert (alone == title) != rfc_3023_differs


def test_what_feedparser_is_told() -> None:
    plain = b"<rss/>"
    assert feedparser_content_type(None, plain) == "application/xml"
    assert feedparser_content_type("text/xml", plain) == "application/xml"
    assert feedparser_content_type('TEXT/XML; Charset="KOI8-R"', plain) == (
        "application/xml; charset=KOI8-R"
    )
    assert feedparser_content_type("application/atom+xml", plain) == "application/atom+xml"
    assert feedparser_content_type("text/xml; charset=utf-8", codecs.BOM_UTF8 + plain) == (
        "application/xml"
    )
    assert feedparser_content_type("text/plain; charset=a b;c", plain) == "text/plain"


def test_a_windows_1251_feed_served_without_a_declaration(
    tmp_path: Path, feed_server: FeedServer, archive_location: ArchiveLocation
) -> None:
    follower = Follower(tmp_path, archive=archive_location)
    url = serve(
        feed_server,
        "citata/rss",
        "citata-windows-1251.rss",
        "application/rss+xml; charset=windows-1251",
    )
    assert not fixture_bytes("citata-windows-1251.rss").startswith(b"<?xml")
    follower.ok("subscribe", url)
    follower.ok("fetch")
    (article,) = follower.archive()
    assert article["title"] == "Цитата"
    assert article["copies"][0]["feed_title"] == "Цитата дня"
    listing = follower.ok("subscriptions").stdout
    assert "Цитата дня" in listing and "Ö" not in listing
