"""Text hygiene shared by importers and renderers: XML-safe text, sanitised HTML, absolute links."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from typing import Literal
from urllib.parse import urljoin

import lxml.html
import nh3

# Characters that XML 1.0 cannot carry: C0 controls but tab/newline/CR, surrogates, U+FFFE/U+FFFF.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|div|pre)>|<br\s*/?>", re.IGNORECASE)
_RELATIVE_REF = re.compile(r"""\b(?:href|src)\s*=\s*["']?(?![a-zA-Z][a-zA-Z0-9+.-]*:|#)""")

# What a stranger's comment may contain: text formatting and links, nothing that runs.
COMMENT_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "del",
    "em",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "strike",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
}
COMMENT_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "q": {"cite"}}
SAFE_URL_SCHEMES = {"http", "https", "mailto"}


def xml_safe(text: str) -> str:
    """Drop the characters that would make an XML document ill-formed."""
    return _XML_INVALID.sub("", text)


def sanitize_untrusted_html(html: str) -> str:
    """Allow-list sanitising for HTML from strangers (comments, fetched feeds)."""
    return nh3.clean(
        xml_safe(html),
        tags=COMMENT_TAGS,
        attributes=COMMENT_ATTRIBUTES,
        url_schemes=SAFE_URL_SCHEMES,
        link_rel="nofollow ugc noopener noreferrer",
    )


def sanitize_article_html(html: str, base_url: str | None = None) -> str:
    """Allow-list sanitising for articles from other sites: ammonia's default set of tags
    (headings, images, tables, lists, quotes) and URL schemes; no script, style, event
    attributes or javascript: URLs. With `base_url`, relative links are resolved against it
    in the same pass."""
    relative: tuple[Literal["rewrite_with_base"], str] | None = (
        ("rewrite_with_base", base_url) if base_url else None
    )
    return nh3.clean(xml_safe(html), link_rel="noopener noreferrer", url_relative=relative)


def text_to_paragraphs(paragraphs: list[str]) -> str:
    """Plain-text paragraphs as escaped `<p>` elements."""
    return "".join(f"<p>{escape(xml_safe(p), quote=False)}</p>" for p in paragraphs)


def absolute_links(html: str, base_url: str) -> str:
    """Resolve relative href/src against the page's URL, since feed readers have no base."""
    if not _RELATIVE_REF.search(html):
        return html
    fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    fragment.rewrite_links(lambda link: urljoin(base_url, link))
    inner = "".join(
        lxml.html.tostring(child, encoding="unicode") for child in fragment.iterchildren()
    )
    return escape(fragment.text, quote=False) + inner if fragment.text else inner


def sanitize_author_html(
    html: str, embed_hosts: tuple[str, ...] = (), base_url: str | None = None
) -> str:
    """The site author's own HTML, as their pages show it (with `base_url`: links absolute,
    as feeds carry it). For now the article allow-list; issue 13 item 2 widens it (media,
    figures, task lists, iframes from `embed_hosts`); until then pages keep the raw HTML."""
    return sanitize_article_html(html, base_url) if base_url else html


@lru_cache(maxsize=256)
def author_feed_html(html: str, base_url: str, embed_hosts: tuple[str, ...] = ()) -> str:
    """An author's own post as feeds carry it: their allow-list, links absolute. Cached: the
    newest posts appear in several feeds (site, tags, archive)."""
    return sanitize_author_html(html, embed_hosts, base_url)


@lru_cache(maxsize=256)
def feed_ready_html(html: str, base_url: str) -> str:
    """An author's HTML as feeds carry it: absolute links, and nothing a reader would strip or
    a validator flag (script, style, iframe, event attributes). The page keeps the original.
    Cached: the newest posts appear in several feeds (site, tags, archive). Only a few: a render
    worker meets each post once, and 4096 of them held 40 MB in every worker. One pass: the
    sanitiser resolves the relative links itself (4x faster than an lxml pass after it)."""
    return sanitize_article_html(html, base_url)


def plain_text(html: str) -> str:
    """The text of an HTML fragment, whitespace folded (for excerpts and titles)."""
    if not html.strip():
        return ""
    spaced = _BLOCK_END.sub(lambda match: match.group(0) + " ", html)
    text = lxml.html.fragment_fromstring(spaced, create_parent="div").text_content()
    return " ".join(text.split())
