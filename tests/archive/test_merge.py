"""The merge rules on their own: URL normalisation, title keys, what is (not) one article."""

from __future__ import annotations

import os
import string
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syndicate.archive.rules import (
    CopyFacts,
    _normalize_any_url,
    normalize_url,
    same_article,
    shingle_sequence,
    title_key,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ORIGINAL = (FIXTURES / "article_paragraphs.txt").read_text().split("\n\n")
WHEN = datetime(2024, 3, 1, 8, tzinfo=UTC)


def facts(
    text: str,
    *,
    title: str = "Why Feeds Still Matter",
    url: str | None = None,
    origins: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
    days: float = 0,
) -> CopyFacts:
    return CopyFacts(
        norm_url=normalize_url(url),
        norm_origins=frozenset(filter(None, map(normalize_url, origins))),
        norm_sources=frozenset(filter(None, map(normalize_url, sources))),
        title_key=title_key(title),
        published=WHEN + timedelta(days=days),
        html=f"<p>{text}</p>",
    )


FULL = " ".join(ORIGINAL)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTP://WWW.Example.COM:80/a/b/index.html#top", "https://example.com/a/b"),
        ("https://example.com/p?utm_source=x&utm_medium=email&id=3", "https://example.com/p?id=3"),
        ("https://example.com/p/?b=2&a=1", "https://example.com/p?a=1&b=2"),
        ("https://medium.example/@j/post-1?source=rss----abc", "https://medium.example/@j/post-1"),
    ],
)
def test_urls_that_name_one_resource_normalise_alike(a: str, b: str) -> None:
    assert normalize_url(a) == normalize_url(b)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://Example.COM/",
        "HTTPS://WWW.example.com/a/b/",
        "https://www./x",
        "https://example.com//a//",
        "https://example.com/a/index.php",
        "https://example.com/index.html",
        "https://ex-ample.co.uk/p/2024/03/01/why-feeds_still~matter",
        "https://example.com/a%20b/(c)!$&'*+,;=:@",
        "https://example.com./x",
        "https://example.com:443/x",
        "http://example.com:80/x",
        "https://example.com:8443/x",
        "https://user@example.com/x",
        "https://example.com/x?b=2&a=1#top",
        "https://example.com/#f",
        "  https://example.com/padded/  ",
        "https://exa\tmple.com/x",
        "https://example.com/a b",
        "https://bücher.example/straße",
        "https://example.com/straße",
        "https:///nohost",
        "ftp://example.com/x",
        "https://[::1]/x",
        "https://example.com:99999/x",
        "mailto:a@b.c",
        "https://-/x",
        "https://example.com/x/../y",
    ],
)
def test_plain_urls_normalise_as_urllib_parses_them(url: str) -> None:
    """Plain URLs skip urllib's parsing: the result must be what parsing would give."""
    assert normalize_url(url) == _normalize_any_url(url.strip())


def test_different_resources_stay_different() -> None:
    assert normalize_url("https://example.com/a") != normalize_url("https://example.com/b")
    assert normalize_url("https://example.com:8443/a") != normalize_url("https://example.com/a")
    assert normalize_url("https://example.com/p?id=3") != normalize_url(
        "https://example.com/p?id=4"
    )
    assert normalize_url("javascript:alert(1)") is None


def test_titles_fold_case_punctuation_and_space() -> None:
    assert title_key("WHY FEEDS STILL MATTER") == title_key("Why feeds, still matter!")
    assert title_key("Why Feeds Still Matter, Part Two") != title_key("Why Feeds Still Matter")


@pytest.mark.parametrize(
    "title",
    [string.printable, "Tab\tand\x7fdelete: 50% off — “quoted” ½", "Ünïcödé: çà & ß!", "İstanbul"],
)
def test_title_keys_treat_ascii_as_any_other_text(title: str) -> None:
    """ASCII titles take a table; the key must be what the character-by-character rule gives."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    by_category = "".join(
        " " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in folded
    ).split()
    assert title_key(title) == " ".join(by_category)


def test_shingles_hash_alike_in_every_process() -> None:
    """Merge decisions must not depend on the process's string-hash salt."""
    text = " ".join(ORIGINAL[:2])
    code = (
        "import sys; from syndicate.archive.rules import shingle_sequence;"
        " print(hash(shingle_sequence(sys.stdin.read())))"
    )
    printed = {
        subprocess.run(
            [sys.executable, "-c", code],
            input=text,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2", "random")
    }
    assert printed == {str(hash(shingle_sequence(text)))}


def test_a_copy_naming_the_original_is_link_evidence() -> None:
    original = facts(FULL, url="https://blog.example/why/")
    copy = facts(
        FULL, title="Other", url="https://mirror.example/x", origins=("https://blog.example/why",)
    )
    assert same_article(copy, original).rule == "link"


def test_two_copies_of_one_absent_original_merge() -> None:
    a = facts(FULL, url="https://a.example/1", origins=("https://blog.example/why/",))
    b = facts(ORIGINAL[0], url="https://b.example/2", origins=("https://blog.example/why",))
    assert same_article(a, b).rule == "link"


def test_naming_the_same_home_page_or_feed_is_not_evidence() -> None:
    named = {"origins": ("https://blog.example/",), "sources": ("https://blog.example/feed.xml",)}
    a = facts("Cooking with lentils " * 20, title="Lentils", url="https://m.example/1", **named)
    b = facts("Cycling to work " * 20, title="Cycling", url="https://m.example/2", **named)
    assert same_article(a, b) is None


def test_a_summary_copy_with_a_greeting_and_a_sign_off_merges() -> None:
    summary = (
        "Hi friends, a short one this week. "
        + ORIGINAL[0]
        + " "
        + ORIGINAL[1]
        + " Read the rest on my blog, and thanks for reading Jane's Letters!"
    )
    evidence = same_article(facts(summary, title="Why feeds still matter!", days=1), facts(FULL))
    assert evidence is not None and evidence.rule == "content"


def test_same_title_alone_is_not_enough() -> None:
    other = (
        "Podcasts are the one place where feeds never went away, and that ends the argument. " * 3
    )
    assert same_article(facts(other, days=1), facts(FULL)) is None


def test_dates_too_far_apart_are_not_the_same_article() -> None:
    assert same_article(facts(FULL, days=10), facts(FULL)) is None


def test_an_article_quoting_a_passage_from_the_middle_is_not_a_copy() -> None:
    reply = "A friend wrote this, and I disagree: " + ORIGINAL[3] + " I think that is wrong."
    assert same_article(facts(reply, days=1), facts(FULL)) is None


def test_an_article_quoting_the_opening_with_comment_of_its_own_is_not_a_copy() -> None:
    reply = (
        ORIGINAL[0] + " That is how the piece opens, and I have to say that I see it rather"
        " differently after ten years of running a small feed reader service for other people,"
        " because most of the people who signed up never understood what a feed was at all."
    )
    assert same_article(facts(reply, days=1), facts(FULL)) is None


def test_a_related_article_sharing_a_sentence_is_not_a_copy() -> None:
    related = ORIGINAL[0].split(".")[0] + ". " + "Something else entirely about newsletters. " * 8
    assert same_article(facts(related, days=1), facts(FULL)) is None
