"""Text hygiene shared by importers and renderers: XML-safe text, sanitised HTML, absolute links."""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from html import escape, unescape
from typing import Literal
from urllib.parse import urljoin, urlsplit

import lxml.html
import nh3

# Characters that XML 1.0 cannot carry: C0 controls but tab/newline/CR, surrogates, U+FFFE/U+FFFF.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ASCII_INVALID = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])  # its ASCII ones
_LONG_TEXT = 256  # characters from which xml_safe looks at ASCII text as bytes
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
    if len(text) >= _LONG_TEXT and text.isascii():  # a post's body, say: a copy without the
        data = text.encode("ascii")  # control characters, in C, is five times faster to make
        if len(data.translate(None, _ASCII_INVALID)) == len(data):  # than a scan for them
            return text
    return _XML_INVALID.sub("", text)


def xml_safe_output(source: str, cleaned: str) -> str:
    """What a sanitiser made of `source`, XML-safe: it turns a character reference into its
    character, and `&#1;` into one that no feed can carry."""
    return xml_safe(cleaned) if "&#" in source else cleaned


def sanitize_untrusted_html(html: str) -> str:
    """Allow-list sanitising for HTML from strangers (comments, fetched feeds)."""
    return xml_safe_output(html, _untrusted_policy().clean(xml_safe(html)))


@lru_cache(maxsize=1)
def _untrusted_policy() -> nh3.Cleaner:
    """The strangers' allow-list, built once: nh3.clean builds one for each call, which took
    two thirds of the time a comment's sanitising took."""
    return nh3.Cleaner(
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
    cleaned = nh3.clean(xml_safe(html), link_rel="noopener noreferrer", url_relative=relative)
    return xml_safe_output(html, cleaned)


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


# What the site's author may put in their own posts beyond an article from elsewhere: media,
# pictures, figures, task-list checkboxes and footnotes as cmark-gfm writes them, and <iframe>
# embeds from the site's embed hosts. Never script or style (their text goes too), event
# attributes, or javascript:/data: URLs (the article policy's URL schemes; data: images bloat
# every feed that repeats the post, and a file beside the post serves better).
_MEDIA_ATTRIBUTES = {"src", "controls", "preload", "loop", "muted"}
AUTHOR_TAGS = nh3.ALLOWED_TAGS | {
    "audio",
    "video",
    "source",
    "track",
    "picture",
    "figure",
    "figcaption",
    "section",
    "iframe",
    "input",
}
AUTHOR_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"lang", "title", "dir"},
    "img": nh3.ALLOWED_ATTRIBUTES["img"] | {"srcset", "sizes", "loading", "decoding"},
    "audio": _MEDIA_ATTRIBUTES,
    "video": _MEDIA_ATTRIBUTES | {"poster", "width", "height", "playsinline"},
    "source": {"src", "type", "srcset", "sizes", "media", "width", "height"},
    "track": {"src", "kind", "srclang", "label", "default"},
    # A player's own embed code. No sandbox is added: the players (YouTube, Vimeo, Spotify,
    # CodePen) need scripts, their own storage, popups and fullscreen, which it would have to
    # give back, and the frame is of another origin already; an author's `sandbox` only ever
    # takes rights away, so it is kept.
    "iframe": {
        "src",
        "width",
        "height",
        "title",
        "loading",
        "allow",
        "allowfullscreen",
        "referrerpolicy",
        "frameborder",
        "sandbox",
    },
    # Footnotes (CMARK_OPT_FOOTNOTES): <sup class="footnote-ref"><a href="#fn-1" id="fnref-1"
    # data-footnote-ref>, <section class="footnotes" data-footnotes>, <li id="fn-1">, and the
    # back reference <a class="footnote-backref" data-footnote-backref... aria-label>.
    "a": nh3.ALLOWED_ATTRIBUTES["a"]
    | {
        "rel",
        "id",
        "class",
        "aria-label",
        "data-footnote-ref",
        "data-footnote-backref",
        "data-footnote-backref-idx",
    },
    "sup": {"class"},
    "section": {"class", "data-footnotes"},
    "li": {"id"},
    "code": {"class"},  # language-*, as fenced code blocks write it
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
# A task-list item as cmark-gfm writes it: <li><input type="checkbox" disabled="" checked="">.
# Always disabled (a page is no form); any other <input> is removed (_drop_stray_controls).
_CHECKBOX_VALUES = {"input": {"type": {"checkbox"}, "checked": {"", "checked"}}}
_CHECKBOX_SET = {"input": {"disabled": ""}}
_AUTHOR_CLASSES = {
    "a": {"footnote-backref"},
    "sup": {"footnote-ref"},
    "section": {"footnotes"},
}
_SRCSET_SCHEMES = {"http", "https"}
_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_NON_SPACE = re.compile(r"\S+")
# A tag as nh3 writes it: every attribute ` name="value"`, `"` escaped in the value, so it
# matches without backtracking; group 1 is a start tag's name (None for an end tag).
_CANONICAL_TAG = re.compile(
    r"<(?:/[a-zA-Z][a-zA-Z0-9-]*|([a-zA-Z][a-zA-Z0-9-]*)((?: [^\s\"'>/=]+=\"[^\"]*\")*))>"
)
_IFRAME_END = "</iframe>"
# The page URL that a feed's copy of the post being cleaned resolves its links against.
_FEED_BASE: ContextVar[_PageURL] = ContextVar("_FEED_BASE")
_UNUSUAL = re.compile(r"[\x00-\x20\\]")  # characters urljoin removes or keeps: its call


@lru_cache(maxsize=16)
def _author_policy(embed_hosts: tuple[str, ...], *, absolute: bool) -> nh3.Cleaner:
    """The author's allow-list for `embed_hosts`; `absolute`: links resolved against the URL
    that author_feed_html sets (building a Cleaner costs more than the cleaning of a post, so
    one serves every post's feed entry, rather than one per page URL)."""
    hosts = tuple(filter(None, map(_host_name, embed_hosts)))

    def check(tag: str, name: str, value: str) -> str | None:
        if name == "class":
            return _allowed_classes(tag, value)
        if name == "srcset":
            return _safe_srcset(value, _FEED_BASE.get() if absolute else None)
        if tag == "iframe" and name == "src":
            return _embed_src(value, hosts)
        return value

    return nh3.Cleaner(
        tags=AUTHOR_TAGS,
        attributes=AUTHOR_ATTRIBUTES,
        tag_attribute_values=_CHECKBOX_VALUES,
        set_tag_attribute_values=_CHECKBOX_SET,
        attribute_filter=check,
        link_rel=None,  # the author's own links, with the rel they gave (no target: no opener)
        url_relative=_absolute_url if absolute else None,
    )


def _absolute_url(url: str) -> str | None:
    """A relative href/src/poster against the feed entry's page (http(s) it stays)."""
    joined = _FEED_BASE.get().resolve(url)
    return joined if joined.lower().startswith(("http:", "https:")) else None


@dataclass(frozen=True, slots=True)
class _PageURL:
    """A page's URL, split once to resolve the few kinds of link a post has (`#note`,
    `/path`, `file.png`, `../other/`) without urljoin (6 µs each: a post's ten links took half
    as long again as the rest of its sanitising); any other goes to urljoin, which gives the
    same for these."""

    url: str
    document: str  # without its fragment
    origin: str  # scheme://host
    folder: tuple[str, ...]  # the path's segments up to its last "/"

    @classmethod
    def of(cls, url: str) -> _PageURL:
        parts = urlsplit(url)
        folder = parts.path[: parts.path.rfind("/") + 1] or "/"
        return cls(
            url,
            url.partition("#")[0],
            f"{parts.scheme}://{parts.netloc}",
            tuple(folder.strip("/").split("/")) if folder != "/" else (),
        )

    def resolve(self, url: str) -> str:
        if url.startswith("#"):
            return self.document + url
        end = min((at for at in (url.find("?"), url.find("#")) if at >= 0), default=len(url))
        path, after = url[:end], url[end:]
        segments = path.split("/")
        if not path or ":" in segments[0] or "//" in path or _UNUSUAL.search(url):
            return urljoin(self.url, url)  # a scheme, a host, or what urljoin cleans up
        if after.endswith(("?", "#")) or "?#" in after:
            return urljoin(self.url, url)  # an empty query or fragment, which urljoin drops
        folder = [] if path.startswith("/") else list(self.folder)
        start = 1 if path.startswith("/") else 0
        while start < len(segments) - 1 and segments[start] in (".", ".."):
            if segments[start] == ".." and folder:
                folder.pop()
            start += 1
        rest = segments[start:]
        if "." in rest or ".." in rest:
            return urljoin(self.url, url)
        return "/".join((self.origin, *folder, *rest)) + after


def _host_name(embed_host: str) -> str:
    """ "youtube.com", as settings may also give it: ".youtube.com", "https://youtube.com/"."""
    text = embed_host.strip().lower()
    if "/" in text:
        text = urlsplit(text if "//" in text else "//" + text).hostname or ""
    return text.strip(".")


def _allowed_classes(tag: str, value: str) -> str | None:
    if tag == "code":
        kept = [name for name in value.split() if name.startswith("language-")]
    else:
        allowed = _AUTHOR_CLASSES.get(tag, set())
        kept = [name for name in value.split() if name in allowed]
    return " ".join(kept) or None


def _embed_src(value: str, hosts: tuple[str, ...]) -> str | None:
    """An https URL on an embed host or a subdomain of one (`//host/...` is taken as https);
    else None, and _drop_stray_controls removes the iframe left without a source."""
    url = value.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not host or "@" in parts.netloc:
        return None  # no player needs a user name in its address
    return url if any(host == h or host.endswith("." + h) for h in hosts) else None


def _safe_srcset(value: str, base: _PageURL | None) -> str | None:
    """`srcset` candidates, each URL relative or http(s) (ammonia checks href/src/poster, not
    this), made absolute against `base` when given; None if any candidate is unsafe."""
    candidates = []
    for url, descriptor in _srcset_candidates(value):
        scheme = _URL_SCHEME.match(url)
        if scheme and scheme[1].lower() not in _SRCSET_SCHEMES:
            return None
        absolute = base.resolve(url) if base else url
        candidates.append(f"{absolute} {descriptor}" if descriptor else absolute)
    return ", ".join(candidates) or None


def _srcset_candidates(value: str) -> list[tuple[str, str]]:
    """(URL, descriptor) pairs as HTML parses a srcset: a URL runs to whitespace (commas in it
    stay, trailing ones end the candidate), its descriptors to the next comma."""
    found: list[tuple[str, str]] = []
    position = 0
    while True:
        while position < len(value) and (value[position] == "," or value[position].isspace()):
            position += 1
        run = _NON_SPACE.match(value, position)
        if run is None:
            return found
        url, position = run[0], run.end()
        if url.endswith(","):
            found.append((url.rstrip(","), ""))
            continue
        comma = value.find(",", position)
        end = len(value) if comma < 0 else comma
        found.append((url, " ".join(value[position:end].split())))
        position = end


def _drop_stray_controls(html: str) -> str:
    """After nh3: remove each <iframe> whose source the policy refused (whole, not an empty
    frame) and empty the others (their text is a fallback that a reader stripping the frame
    would show as markup); remove each <input> that is not a task-list checkbox at the start
    of an <li>. One pass over nh3's canonical output, tag by tag, so that a "<iframe" in an
    attribute's value is never taken for one."""
    if "<iframe" not in html and "<input" not in html:
        return html
    pieces: list[str] = []
    kept_from = position = 0
    while (start := html.find("<", position)) >= 0:
        tag = _CANONICAL_TAG.match(html, start)
        if tag is None:  # not a tag nh3 writes (text has no raw "<"): step over it
            position = start + 1
            continue
        position = tag.end()
        if tag[1] not in ("iframe", "input"):
            continue
        pieces.append(html[kept_from:start])
        if tag[1] == "iframe":
            end = html.find(_IFRAME_END, position)  # its text is raw: skipped, never read
            position = len(html) if end < 0 else end + len(_IFRAME_END)
            if ' src="' in tag[2]:
                pieces.append(tag[0] + _IFRAME_END)
        elif ' type="checkbox"' in tag[2] and _follows_list_item(html, start):
            pieces.append(tag[0])
        kept_from = position
    pieces.append(html[kept_from:])
    return "".join(pieces)


def _follows_list_item(html: str, position: int) -> bool:
    while position > 0 and html[position - 1].isspace():
        position -= 1
    return html.endswith("<li>", 0, position)


def sanitize_author_html(
    html: str, embed_hosts: tuple[str, ...] = (), base_url: str | None = None
) -> str:
    """The site author's own HTML, as their pages show it (with `base_url`: links absolute,
    as feeds carry it): the article allow-list and the author's media (see AUTHOR_TAGS)."""
    if base_url is None:
        cleaned = _author_policy(embed_hosts, absolute=False).clean(xml_safe(html))
    else:
        token = _FEED_BASE.set(_PageURL.of(base_url))
        try:
            cleaned = _author_policy(embed_hosts, absolute=True).clean(xml_safe(html))
        finally:
            _FEED_BASE.reset(token)
    return xml_safe_output(html, _drop_stray_controls(cleaned))


@lru_cache(maxsize=256)
def author_feed_html(html: str, base_url: str, embed_hosts: tuple[str, ...] = ()) -> str:
    """An author's own post as feeds carry it: their allow-list, links absolute. Cached: the
    newest posts appear in several feeds (site, tags, archive)."""
    return sanitize_author_html(html, embed_hosts, base_url)


@lru_cache(maxsize=256)
def feed_ready_html(html: str, base_url: str) -> str:
    """An article from the archive (fetched, or a copy of our own post) as the archive feeds
    carry it: absolute links, and nothing a reader would strip or a validator flag (script,
    style, iframe, event attributes): the article policy, not the author's. Cached: the newest
    articles appear in several feeds. Only a few: a render worker meets each once, and 4096 of
    them held 40 MB in every worker. One pass: the sanitiser resolves the relative links itself
    (4x faster than an lxml pass after it)."""
    return sanitize_article_html(html, base_url)


def plain_text(html: str) -> str:
    """The text of an HTML fragment, whitespace folded (for excerpts and titles)."""
    if not html.strip():
        return ""
    text = lxml.html.fragment_fromstring(_spaced(html), create_parent="div").text_content()
    return " ".join(text.split())


def sanitized_text(html: str) -> str:
    """plain_text of HTML that the sanitiser wrote (a comment's, Comment.content_html): its
    tags stripped by nh3 rather than parsed by lxml, in half the time (each comment feed
    entry's summary)."""
    if not html.strip():
        return ""
    return " ".join(unescape(_text_policy().clean(_spaced(html))).split())


def _spaced(html: str) -> str:
    """A space after each block's end, so that its words and the next block's stay apart."""
    return _BLOCK_END.sub(lambda match: match.group(0) + " ", html)


@lru_cache(maxsize=1)
def _text_policy() -> nh3.Cleaner:
    return nh3.Cleaner(tags=set(), attributes={})
