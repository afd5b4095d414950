"""WordPress's `wpautop` and `shortcode_unautop`, ported from wp-includes/formatting.php.

A classic-editor body is stored as the author typed it: plain text with blank lines between
paragraphs and bare line breaks, mixed with HTML. WordPress turns it into paragraphs only when
it shows the post, so an export holds the typed text and the importer has to do what the theme
did: the same regular expressions, in the same order, so that a post reads as it did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Elements that wpautop never wraps in <p> (WordPress 6's list).
ALL_BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre"
    r"|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section"
    r"|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
_NEWLINE_MARK = " <!-- wpnl --> "
_PRESERVED_NEWLINE = "<WPPreserveNewline />"
# wp_html_split(): an HTML comment, a CDATA section or a tag, each possibly unterminated.
_HTML_PIECE = re.compile(
    r"(<(?:(?=!--)!(?:-(?!->)[^-]*+)*+(?:-->)?"
    r"|(?=!\[CDATA\[)!\[CDATA\[[^\]]*+(?:\](?!\]>)[^\]]*+)*+(?:\]\]>)?"
    r"|[^>]*>?))"
)
_OPENING_BLOCK = re.compile(rf"(<{ALL_BLOCKS}[\s/>])")
_CLOSING_BLOCK = re.compile(rf"(</{ALL_BLOCKS}>)")
_BLOCK_TAG_IN_P = re.compile(rf"<p>\s*(</?{ALL_BLOCKS}[^>]*>)\s*</p>")
_P_BEFORE_BLOCK_TAG = re.compile(rf"<p>\s*(</?{ALL_BLOCKS}[^>]*>)")
_BLOCK_TAG_BEFORE_END_P = re.compile(rf"(</?{ALL_BLOCKS}[^>]*>)\s*</p>")
_BR_AFTER_BLOCK_TAG = re.compile(rf"(</?{ALL_BLOCKS}[^>]*>)\s*<br />")
_BR_BEFORE_SOME_TAGS = re.compile(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)")
_KEPT_NEWLINES = re.compile(r"<(script|style|svg|math).*?</\1>", re.DOTALL)


def wpautop(text: str) -> str:
    """Paragraphs and line breaks for text typed in WordPress's classic editor."""
    if not text.strip():
        return ""
    text, pre_elements = _set_pre_aside(text + "\n")
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = _OPENING_BLOCK.sub(r"\n\n\1", text)
    text = _CLOSING_BLOCK.sub(r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _replace_in_tags(text, "\n", _NEWLINE_MARK)
    text = _collapse_around_inner_elements(text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [part for part in re.split(r"\n\s*\n", text) if part]
    text = "".join(f"<p>{paragraph.strip(chr(10))}</p>\n" for paragraph in paragraphs)
    text = _unwrap_blocks(text)
    text = _line_breaks(text)
    text = _BR_AFTER_BLOCK_TAG.sub(r"\1", text)
    text = _BR_BEFORE_SOME_TAGS.sub(r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for name, element in pre_elements.items():
        text = text.replace(name, element)
    if "<!-- wpnl -->" in text:
        text = text.replace(_NEWLINE_MARK, "\n").replace("<!-- wpnl -->", "\n")
    return text


def _set_pre_aside(text: str) -> tuple[str, dict[str, str]]:
    """<pre> elements are left as they are: each is replaced by a placeholder until the end."""
    if "<pre" not in text:
        return text, {}
    *parts, last = text.split("</pre>")
    kept: dict[str, str] = {}
    rebuilt = []
    for part in parts:
        start = part.find("<pre")
        if start < 0:  # a </pre> without its <pre>
            rebuilt.append(part)
            continue
        name = f"<pre wp-pre-tag-{len(kept)}></pre>"
        kept[name] = part[start:] + "</pre>"
        rebuilt.append(part[:start] + name)
    return "".join(rebuilt) + last, kept


def _replace_in_tags(text: str, needle: str, replacement: str) -> str:
    """wp_replace_in_html_tags(): only inside tags and comments, never in the text between."""
    pieces = _HTML_PIECE.split(text)
    for index in range(1, len(pieces), 2):
        pieces[index] = pieces[index].replace(needle, replacement)
    return "".join(pieces)


def _collapse_around_inner_elements(text: str) -> str:
    """No paragraphs around <option>, <param>, <embed>, <source>, <track> and <figcaption>."""
    if "<option" in text:
        text = re.sub(r"\s*<option", "<option", text)
        text = re.sub(r"</option>\s*", "</option>", text)
    if "</object>" in text:
        text = re.sub(r"(<object[^>]*>)\s*", r"\1", text)
        text = re.sub(r"\s*</object>", "</object>", text)
        text = re.sub(r"\s*(</?(?:param|embed)[^>]*>)\s*", r"\1", text)
    if "<source" in text or "<track" in text:
        text = re.sub(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", r"\1", text)
        text = re.sub(r"\s*([<\[]/(?:audio|video)[>\]])", r"\1", text)
        text = re.sub(r"\s*(<(?:source|track)[^>]*>)\s*", r"\1", text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    return text


def _unwrap_blocks(text: str) -> str:
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = _BLOCK_TAG_IN_P.sub(r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.IGNORECASE)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _P_BEFORE_BLOCK_TAG.sub(r"\1", text)
    return _BLOCK_TAG_BEFORE_END_P.sub(r"\1", text)


def _line_breaks(text: str) -> str:
    """A line break left inside a paragraph becomes <br />, but in script, style, svg, math."""
    text = _KEPT_NEWLINES.sub(lambda kept: kept[0].replace("\n", _PRESERVED_NEWLINE), text)
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    return text.replace(_PRESERVED_NEWLINE, "\n")


_SPACES = r"(?:[\r\n\t ]|\xa0|&nbsp;)"


def shortcode_unautop(text: str, names: Iterable[str]) -> str:
    """A shortcode alone in a paragraph is not wrapped in <p>: its output is a block itself."""
    tags = "|".join(re.escape(name) for name in names)
    pattern = re.compile(
        rf"<p>{_SPACES}*+"
        rf"(\[({tags})(?![\w-])[^\]/]*(?:/(?!\])[^\]/]*)*?"
        rf"(?:/\]|\](?:[^\[]*+(?:\[(?!/\2\])[^\[]*+)*+\[/\2\])?))"
        rf"{_SPACES}*+</p>"
    )
    return pattern.sub(r"\1", text)
