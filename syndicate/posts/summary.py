"""A post's summary when its front matter gives none: the lead of its own body.

The text before a `<!--more-->` marker (as WordPress, Jekyll and Hugo use it), else the first
paragraph of prose cut at a sentence near SUMMARY_LENGTH characters. Prose is a paragraph of
the post itself: at the top level (or in a plain <div>), not a heading, table, list, code
block, figure or footnote, and not a quotation (a post that opens with an epigraph is
summarised by its own words), nor an image or embed with at most a label ("Relative image:").

Linear in the size of the HTML: libxml2 reads it in pieces and stops at the first paragraph of
prose; no regular expression that can go back (one went back to every later <p> when no </p>
followed, 34 s for 40,000 of them).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from lxml import etree

from syndicate.clean import xml_safe

SUMMARY_LENGTH = 300
# A sentence ending before SUMMARY_LENGTH is taken if it leaves at least this much; else one
# ending after it, up to the longest; else the text is cut at a word.
SHORTEST_SUMMARY = SUMMARY_LENGTH // 2
LONGEST_SUMMARY = SUMMARY_LENGTH * 4 // 3
ELLIPSIS = "…"
MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
# A sentence's end: its punctuation and closing quotes or brackets, then a space (or, after
# the full stops of scripts written without spaces, anything).
_SENTENCE_END = re.compile(
    r"[.!?…؟۔।]+[’”\"'»)\]]*(?=\s|$)|[。！？]+[」』”’）)]*",
)
_WORD_TRAILER = ",;:—–-‐ "
_MEDIA = {"img", "picture", "video", "audio", "iframe", "object", "embed", "svg", "input"}
# A paragraph with an image counts as prose only with at least this many words of its own.
_LABEL_WORDS = 8
_NO_TEXT = {"script", "style", "template", "noscript", "iframe", "textarea"}
_SPACED = {
    "p",
    "br",
    "div",
    "li",
    "dt",
    "dd",
    "tr",
    "td",
    "th",
    "pre",
    "blockquote",
    "figcaption",
    "section",
    "table",
    "ul",
    "ol",
    "hr",
    *(f"h{level}" for level in range(1, 7)),
}
# The first piece read holds the first paragraph of most posts; later ones grow to the most.
_FIRST_PIECE = 1024
_LARGEST_PIECE = 64 * 1024


def lead_summary(content_html: str) -> str:
    """The text a post's feeds and index show for it when its front matter has no summary:
    the teaser before `<!--more-->`, else its first paragraph of prose, cut. "" for none."""
    marker = MORE_MARKER.search(content_html)
    if marker:
        teaser = _text_of_fragment(content_html[: marker.start()])
        if teaser:
            return teaser
    paragraph = _first_prose_paragraph(content_html)
    return cut_at_sentence(paragraph) if paragraph else ""


def cut_at_sentence(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """`text` whole when it is about `limit` characters or fewer; else up to the end of a
    sentence near `limit`, else up to a word, and an ellipsis to say that more follows."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    end = _sentence_end_near(text, limit)
    if end is not None:
        kept = text[:end]
        if kept.endswith(ELLIPSIS):
            return kept
        return kept + ELLIPSIS if _unspaced(kept[-1]) else f"{kept} {ELLIPSIS}"
    return _cut_at_word(text, limit)


def _sentence_end_near(text: str, limit: int) -> int | None:
    before: int | None = None
    for found in _SENTENCE_END.finditer(text, 0, LONGEST_SUMMARY + 1):
        end = found.end()
        if not _starts_a_sentence(text, end):
            continue
        if end <= limit:
            before = end
        else:
            return before if before is not None and before >= SHORTEST_SUMMARY else end
    return before if before is not None and before >= SHORTEST_SUMMARY else None


def _starts_a_sentence(text: str, position: int) -> bool:
    """What follows a full stop starts a sentence unless it is a lowercase letter ("e.g. a")."""
    following = text[position : position + 2].strip()[:1]
    return not following or not following.islower()


def _cut_at_word(text: str, limit: int) -> str:
    space = text.rfind(" ", 0, limit + 1)
    if space > 0:
        return text[:space].rstrip(_WORD_TRAILER) + ELLIPSIS
    space = text.find(" ", limit, LONGEST_SUMMARY + 1)  # a long word (a URL): kept whole
    if space > 0:
        return text[:space].rstrip(_WORD_TRAILER) + ELLIPSIS
    if len(text) <= LONGEST_SUMMARY:
        return text
    # Written without spaces (Chinese, Japanese), or no words at all: cut where it must be.
    return text[:limit] + ELLIPSIS


def _unspaced(character: str) -> bool:
    """A character of a script written without spaces between words (CJK)."""
    return unicodedata.east_asian_width(character) in ("W", "F")


def _first_prose_paragraph(html: str) -> str:
    for paragraph in _paragraphs(html):
        if (paragraph.text or len(paragraph)) and _in_prose(paragraph):
            text = _text_of(paragraph)
            if _is_prose(paragraph, text):
                return text
    return ""


def _paragraphs(html: str) -> Iterator[etree._Element]:
    """Each <p> as libxml2 closes it, reading the HTML a piece at a time and forgetting each
    top-level element once it is read: libxml2 takes longer for each piece the larger the tree
    it has built, so a long post kept whole took time in the square of its length."""
    parser = etree.HTMLPullParser(events=("end",), no_network=True)
    start, size = 0, _FIRST_PIECE
    while start < len(html):
        parser.feed(html[start : start + size])
        start, size = start + size, min(size * 2, _LARGEST_PIECE)
        yield from _closed_paragraphs(parser)
    try:
        parser.close()
    except etree.XMLSyntaxError:  # nothing but text, comments or space: no element at all
        return
    yield from _closed_paragraphs(parser)


def _closed_paragraphs(parser: etree.HTMLPullParser) -> Iterator[etree._Element]:
    for _event, element in parser.read_events():
        if element.tag == "p":
            yield element
        parent = element.getparent()
        if parent is not None and parent.tag == "body":
            parent.remove(element)


def _in_prose(paragraph: etree._Element) -> bool:
    """At the top level, or in plain <div>s there: not in a list, table, quotation, figure,
    footnotes section or any other container of what is not the post's running text."""
    parent = paragraph.getparent()
    while parent is not None and parent.tag == "div":
        parent = parent.getparent()
    return parent is not None and parent.tag == "body"


def _is_prose(paragraph: etree._Element, text: str) -> bool:
    if not text:
        return False
    has_media = any(True for _ in paragraph.iter(*_MEDIA))
    return not has_media or len(text.split()) >= _LABEL_WORDS


def _text_of_fragment(html: str) -> str:
    parser = etree.HTMLParser(no_network=True)
    root = etree.fromstring(f"<body>{html}</body>", parser) if html.strip() else None
    body = root.find("body") if root is not None else None
    return _text_of(body) if body is not None else ""


def _text_of(element: etree._Element) -> str:
    """The text a reader sees, blocks apart, whitespace folded; not that of scripts, styles
    or comments. A walk with a stack of its own: elements may nest deeper than Python recurses."""
    parts: list[str] = []
    stack: list[tuple[etree._Element, bool]] = [(element, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else None  # None: a comment
        if closing or tag is None or tag in _NO_TEXT:
            if closing and tag in _SPACED:
                parts.append(" ")
            if node.tail and node is not element:
                parts.append(node.tail)
            continue
        if node.text:
            parts.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return xml_safe(" ".join("".join(parts).split()))
