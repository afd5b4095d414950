"""The library floor's reading of the posts: PyYAML's C loader on the front matter, cmark-gfm on
the bodies and comments, nh3 with allow-lists equivalent to syndicate's (written here, not
imported: the floor runs no syndicate code). Each post is read once and everything its files
need is made then: its page's HTML, its feeds' HTML (links absolute), its summary, and each
comment's HTML and text."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cmarkgfm
import nh3
import yaml
from cmarkgfm.cmark import Options

BASE_URL = "http://localhost:8000/"
EXTENSIONS = ["table", "strikethrough", "autolink", "tasklist"]
TRUSTED = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
UNTRUSTED = Options.CMARK_OPT_UNSAFE
SUMMARY_LENGTH = 300
_SENTENCE_END = re.compile(r"[.!?](?=\s)")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)

# The author's allow-list: nh3's own (ammonia's) with media, figures, footnotes and embeds, as
# syndicate's; classes by nh3's allowed_classes rather than a Python callback.
_MEDIA = {"src", "controls", "preload", "loop", "muted"}
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
    "audio": _MEDIA,
    "video": _MEDIA | {"poster", "width", "height", "playsinline"},
    "source": {"src", "type", "srcset", "sizes", "media", "width", "height"},
    "iframe": {"src", "width", "height", "title", "loading", "allow", "allowfullscreen"},
    "a": nh3.ALLOWED_ATTRIBUTES["a"] | {"rel", "id", "aria-label", "data-footnote-ref"},
    "sup": set(),
    "section": {"data-footnotes"},
    "li": {"id"},
    "input": {"type", "checked", "disabled"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
AUTHOR_CLASSES = {"a": {"footnote-backref"}, "sup": {"footnote-ref"}, "section": {"footnotes"}}
COMMENT_TAGS = {
    *("a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "em", "i", "li", "ol", "p"),
    *("pre", "q", "s", "strike", "strong", "sub", "sup", "u", "ul"),
}
COMMENT_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "q": {"cite"}}
PAGE_CLEANER = nh3.Cleaner(
    tags=AUTHOR_TAGS, attributes=AUTHOR_ATTRIBUTES, allowed_classes=AUTHOR_CLASSES, link_rel=None
)
COMMENT_CLEANER = nh3.Cleaner(
    tags=COMMENT_TAGS,
    attributes=COMMENT_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow ugc noopener noreferrer",
)
TEXT_CLEANER = nh3.Cleaner(tags=set())  # the text of an HTML fragment

Clock = Callable[[str], AbstractContextManager[None]]  # clock("part") times that part


@dataclass(frozen=True, slots=True)
class FloorComment:
    id: str
    author: str
    published: datetime
    html: str
    text: str
    in_reply_to: str | None


@dataclass(frozen=True, slots=True)
class FloorPost:
    slug: str
    title: str
    published: datetime
    tags: tuple[str, ...]
    summary: str
    page_html: str  # as its page shows it
    feed_html: str  # as feeds carry it: links made absolute against the page
    comments: tuple[FloorComment, ...]

    @property
    def url(self) -> str:
        return f"{BASE_URL}posts/{self.slug}/index.html"

    @property
    def id(self) -> str:
        return f"tag:localhost,{self.published:%Y-%m-%d}:{self.slug}"


def read_post(path: Path, clock: Clock) -> FloorPost:
    """One post file: YAML front matter between `---` fences, then Markdown."""
    with clock("read + YAML (C loader)"):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.load(front, Loader=yaml.CSafeLoader)
        published = datetime.fromisoformat(meta["date"])
    with clock("Markdown (cmark-gfm)"):
        rendered = cmarkgfm.markdown_to_html_with_extensions(body, TRUSTED, EXTENSIONS).strip()
        comment_html = [
            cmarkgfm.markdown_to_html_with_extensions(each["body"], UNTRUSTED, EXTENSIONS).strip()
            for each in meta.get("comments") or ()
        ]
    slug = meta["slug"]
    page_url = f"{BASE_URL}posts/{slug}/index.html"
    with clock("sanitise + text (nh3)"):
        page_html = PAGE_CLEANER.clean(rendered)
        feed_html = nh3.clean(
            rendered,
            tags=AUTHOR_TAGS,
            attributes=AUTHOR_ATTRIBUTES,
            allowed_classes=AUTHOR_CLASSES,
            link_rel=None,
            url_relative=("rewrite_with_base", page_url),
        )
        comments = tuple(
            comment(each, COMMENT_CLEANER.clean(text))
            for each, text in zip(meta.get("comments") or (), comment_html, strict=True)
        )
        summary = summary_of(page_html)
    return FloorPost(
        slug,
        meta["title"],
        published,
        tuple(meta.get("tags") or ()),
        summary,
        page_html,
        feed_html,
        comments,
    )


def comment(meta: dict[str, str], cleaned: str) -> FloorComment:
    return FloorComment(
        meta["id"],
        meta["author"],
        datetime.fromisoformat(meta["date"]),
        cleaned,
        text_of(cleaned),
        meta.get("in_reply_to"),
    )


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(TEXT_CLEANER.clean(fragment)).split())


def summary_of(page_html: str) -> str:
    """The first paragraph's text, cut at the sentence end nearest SUMMARY_LENGTH."""
    first = _FIRST_PARAGRAPH.search(page_html)
    text = text_of(first.group(1)) if first else ""
    if len(text) <= SUMMARY_LENGTH:
        return text
    ends = [match.end() for match in _SENTENCE_END.finditer(text, 0, SUMMARY_LENGTH * 4 // 3)]
    before = [at for at in ends if SUMMARY_LENGTH // 2 <= at <= SUMMARY_LENGTH]
    after = [at for at in ends if at > SUMMARY_LENGTH]
    end = before[-1] if before else after[0] if after else SUMMARY_LENGTH
    return text[:end] + " …"
