"""clean.xml_safe: the same text as the one rule (drop what XML 1.0 cannot carry), whichever
way it looks at the text."""

from __future__ import annotations

import random

import pytest

from syndicate.clean import _LONG_TEXT, _XML_INVALID, xml_safe

INVALID = [chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
INVALID += ["\ud800", "\udfff", "\ufffe", "\uffff"]
VALID = ["a", " ", "\t", "\n", "\r", "\x7f", "é", "\u2028", "\U0001f600", "<", "&"]


def by_the_rule(text: str) -> str:
    return "".join(ch for ch in text if ch not in INVALID)


@pytest.mark.parametrize("length", [0, 1, _LONG_TEXT - 1, _LONG_TEXT, 4 * _LONG_TEXT])
def test_drops_exactly_the_characters_xml_cannot_carry(length: int) -> None:
    for seed in range(40):
        _check_one_text(random.Random(seed), seed, length)


def _check_one_text(rng: random.Random, seed: int, length: int) -> None:
    ascii_only = seed % 2 == 0
    pool = [ch for ch in VALID if ch.isascii()] if ascii_only else VALID
    chars = [rng.choice(pool) for _ in range(length)]
    if seed % 4 < 2 and chars:  # half the texts with a character to drop, anywhere
        bad = [ch for ch in INVALID if ch.isascii()] if ascii_only else INVALID
        chars[rng.randrange(length)] = rng.choice(bad)
    text = "".join(chars)
    assert xml_safe(text) == by_the_rule(text) == _XML_INVALID.sub("", text)


def test_a_long_clean_text_comes_back_itself() -> None:
    text = "A paragraph of a post.\n" * 100
    assert xml_safe(text) is text
    assert xml_safe(text + "\x0c") == text


# Pieces of what strangers write in comments: Markdown, raw HTML, entities, odd whitespace.
COMMENT_PIECES = [
    "word",
    "Ünïcödé",
    "😀",
    " ",
    "\n",
    "\n\n",
    "\t",
    "\r\n",
    "\u00a0",
    "&nbsp;",
    "&amp;",
    "&lt;",
    "&#8212;",
    "&#x1F600;",
    "&bogus;",
    "<",
    ">",
    "&",
    '"',
    "'",
    "*em*",
    "**strong**",
    "`code`",
    "\n\n```\nfenced <code> & more\n```\n\n",
    "\n> quoted\n",
    "\n- item\n- item two\n",
    "\n1. first\n2. second\n",
    "[a link](https://example.com/?a=1&b=2)",
    "<https://x.example/>",
    "# Heading\n",
    "<br>",
    "<br/>",
    "<p>para</p>",
    "<div>block</div>",
    "<b>bold",
    "</i>",
    "<script>alert(1)</script>",
    "<style>p{}</style>",
    "<!-- a comment -->",
    "<img alt=x src=y>",
    "<table><tr><td>cell</td><td>cell</td></tr></table>",
    "<pre>  pre\n  text</pre>",
    "<h2>title</h2>",
    "<li>stray item",
    "<blockquote>q</blockquote>",
    "line  \nbreak",
    "~~gone~~",
]


@pytest.mark.parametrize("seed", range(300))
def test_a_sanitised_comments_text_is_what_an_html_parser_finds_in_it(seed: int) -> None:
    """sanitized_text (nh3) gives the text plain_text (lxml) gives, on what the sanitiser
    wrote of a comment: from Markdown, and from a fetched feed's HTML."""
    from syndicate.clean import plain_text, sanitize_untrusted_html, sanitized_text
    from syndicate.posts.markdown import render_untrusted_markdown

    rng = random.Random(seed)
    source = "".join(rng.choice(COMMENT_PIECES) for _ in range(rng.randrange(1, 30)))
    for html in (render_untrusted_markdown(source), sanitize_untrusted_html(source)):
        assert sanitized_text(html) == plain_text(html), (source, html)
