"""A WordPress body as the HTML its theme showed, and that HTML as Markdown that gives it back.

WordPress stores what the editor wrote and does the rest when it shows a post:
- the block editor (Gutenberg) keeps its blocks' HTML between `<!-- wp:name {...} -->`
  comments, which only the editor reads; a reusable block is a reference to a `wp_block`
  item; an embed block holds the bare URL that oEmbed turns into a player;
- the classic editor keeps typed text, which `wpautop` turns into paragraphs, with bare URLs
  on their own line (auto-embeds) and shortcodes.
`<!--more-->` stays (the summary is the text before it); `<!--nextpage-->` goes (a post is
one page here).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from syndicate.wordpress.autop import shortcode_unautop, wpautop
from syndicate.wordpress.shortcodes import HANDLED, Media, do_shortcodes, embed_html

_BLOCK_COMMENT = re.compile(
    r"<!--\s+/?wp:[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)?(?:\s+\{.*?\})?\s+/?-->", re.S
)
_REUSABLE_BLOCK = re.compile(r"<!--\s+wp:block\s+(\{.*?\})\s+/-->", re.S)
_EMBED_WRAPPER = re.compile(
    r'(<div class="wp-block-embed__wrapper">)\s*(https?://[^\s<>"]+)\s*(</div>)', re.I
)
_MORE = re.compile(r"[ \t]*<!--more(?:\s[^>]*?)?-->[ \t]*")
_NEXT_PAGE = re.compile(r"\s*<!--nextpage-->\s*")
_BARE_URL_LINE = re.compile(r"^([ \t]*)(https?://[^\s<>\"]+)([ \t]*)$", re.M | re.I)
MAX_BLOCK_DEPTH = 8  # reusable blocks inside reusable blocks: WordPress refuses loops too


def has_blocks(content: str) -> bool:
    return "<!-- wp:" in content


def post_html(
    content: str, *, post_id: str, media: Media, reusable_blocks: Mapping[str, str]
) -> str:
    """The HTML a post's body showed on its WordPress site."""
    content = content.replace("\r\n", "\n").replace("\r", "\n").strip()
    content = _NEXT_PAGE.sub("\n\n", content)
    if has_blocks(content):
        html = _block_editor_html(content, reusable_blocks)
    else:
        html = _classic_editor_html(content)
    return _referable(do_shortcodes(html, post_id=post_id, media=media).strip())


def comment_html(content: str) -> str:
    """A comment as WordPress shows it: typed text made paragraphs (the sanitiser that reads
    it as a stranger's HTML comes later)."""
    return _referable(wpautop(content.replace("\r\n", "\n").replace("\r", "\n").strip()).strip())


_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _referable(html: str) -> str:
    """A character reference to what no XML document may hold (`&#x1;`, `&#xFFFE;`, a
    surrogate: WordPress keeps what was typed) becomes U+FFFD's, as an HTML parser reads the
    worst of them: decoded by a sanitiser, the others would make the feeds ill-formed."""

    def replace(reference: re.Match[str]) -> str:
        code = int(reference[1], 16) if reference[1] else int(reference[2])
        return reference[0] if _xml_character(code) else "&#xFFFD;"

    return _CHARACTER_REFERENCE.sub(replace, html) if "&#" in html else html


def _xml_character(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or (0x10000 <= code <= 0x10FFFF)
    )


def _block_editor_html(content: str, reusable_blocks: Mapping[str, str]) -> str:
    content = _with_reusable_blocks(content, reusable_blocks, MAX_BLOCK_DEPTH)
    content = _EMBED_WRAPPER.sub(lambda m: m[1] + embed_html(m[2]) + m[3], content)
    return _BLOCK_COMMENT.sub("", content)


def _with_reusable_blocks(content: str, blocks: Mapping[str, str], depth: int) -> str:
    def replace(match: re.Match[str]) -> str:
        try:
            reference = json.loads(match[1]).get("ref")
        except (ValueError, AttributeError):
            return ""
        inner = blocks.get(str(reference), "")
        return _with_reusable_blocks(inner, blocks, depth - 1) if depth > 0 else ""

    return _REUSABLE_BLOCK.sub(replace, content)


def _classic_editor_html(content: str) -> str:
    content = _MORE.sub("\n\n<!--more-->\n\n", content)
    content = _BARE_URL_LINE.sub(lambda m: m[1] + embed_html(m[2]) + m[3], content)
    html = shortcode_unautop(wpautop(content), HANDLED)
    return html.replace("<p><!--more--></p>", "<!--more-->")


# -- HTML that Markdown gives back unchanged ---------------------------------------------------

# CommonMark's HTML blocks: a block that starts with one of these tags runs to the next blank
# line, and Markdown leaves its lines as they are. So a body with no blank line that starts with
# one of them is passed through whole: no `*` or `_` read as emphasis, no indented line read as
# code. (A subset of the spec's list, all in cmark-gfm's.)
_HTML_BLOCK_START = re.compile(
    r"^ {0,3}</?(?:address|article|aside|blockquote|center|details|div|dl|fieldset|figure"
    r"|footer|form|h[1-6]|header|hr|main|nav|ol|p|section|table|ul)(?:\s|/?>|$)",
    re.IGNORECASE,
)
# Elements whose line breaks are their content: a blank line in them is kept as &#10;.
_RAW_ELEMENT = re.compile(r"<(pre|textarea)\b.*?</\1\s*>", re.S | re.IGNORECASE)
_BLANK_LINE_AHEAD = re.compile(r"\n[ \t]*(?=\n)")
_NEWLINE_BEFORE_BLANK_LINE = re.compile(r"\n(?=[ \t]*\n)")


def markdown_safe(html: str) -> str:
    """`html` written so that Markdown (CommonMark, cmark-gfm) renders it back as it is: one
    HTML block, without blank lines (a blank line in <pre> or <textarea> becomes &#10;, the
    same character to HTML), in a <div> unless it starts with a block-level tag."""
    pieces = []
    position = 0
    for raw in _RAW_ELEMENT.finditer(html):
        pieces.append(_BLANK_LINE_AHEAD.sub("", html[position : raw.start()]))
        pieces.append(_NEWLINE_BEFORE_BLANK_LINE.sub("&#10;", raw[0]))
        position = raw.end()
    pieces.append(_BLANK_LINE_AHEAD.sub("", html[position:]))
    text = "".join(pieces).strip()
    if not text or _HTML_BLOCK_START.match(text):
        return text
    return f"<div>\n{text}\n</div>"
