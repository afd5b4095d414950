"""Markdown posts with YAML (`---`) or TOML (`+++`) front matter, as Jekyll and Hugo keep them.

Front matter: title, date, updated, author, tags, slug, summary, id, draft, page (a page of the
site, in no feed or list), url (the page's path under the base URL, `/2019/05/hello/`, which
wins over [site] permalink), and `comments`: a list of {id, author, author_url, date, body
(Markdown), in_reply_to, likes, type (comment, pingback, trackback)}.

Media: `enclosure` is a URL, a file beside the post (under the post file's folder), a mapping
{url or file, length, type, duration, title}, or a list of them; without one, the body's own
<audio> and <video> are the post's enclosures (`enclosure: false`: none at all). A podcast
episode says `episode`, `season`, `episode_type` (full, trailer, bonus), `explicit`, `image`
and `duration` (seconds or H:MM:SS). Files beside the post that it links to are the post's
too (Post.local_files): its page gets a copy of each.

What Hugo and Jekyll write reads as they mean it where we have the same thing (`lastmod` and
`last_modified_at` as `updated`, `description` and `excerpt` as `summary`, `categories` as
`tags` when there are none, `published: false` as a draft, `publishDate` when there is no
`date`); their other keys (layout, permalink, aliases, weight ...) are known and left alone.
Any other key is a warning naming its line, with the key it may be a typo of.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

import cmarkgfm
from cmarkgfm.cmark import Options

from syndicate.clean import sanitize_untrusted_html, xml_safe
from syndicate.errors import PostError, PostWarning
from syndicate.layout import make_slug, url_path_problem
from syndicate.model import Comment, Post
from syndicate.posts.base import (
    ReadResult,
    read_utf8,
    shown,
)
from syndicate.posts.front_matter import (
    FrontMatter,
    front_key,
    front_matter_summary,
    parse_bool,
    split_front_matter,
    unknown_key_warnings,
)
from syndicate.posts.media import parse_media
from syndicate.posts.summary import lead_summary

SUFFIXES = (".md", ".markdown")
DATED_FILENAME = re.compile(r"^\d{4}-\d{2}-\d{2}-")
FENCES = {"---": "yaml", "+++": "toml"}
# Each tag has feeds of its own (two files, about 6 ms): a post's 20,000 tags took minutes.
MAX_TAGS = 100
COMMENT_KINDS = ("comment", "pingback", "trackback")
# GitHub's cmark-gfm (C): measured at 0.11 ms a 650-word post against mistune's 2.3 ms, the
# largest cost of a first build. GFM's extensions, but not its tag filter: an author's raw HTML
# (an embed) is theirs on their page; feeds sanitise it (clean.feed_ready_html).
EXTENSIONS = ["table", "strikethrough", "autolink", "tasklist"]
_TRUSTED = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
# Raw HTML in a comment is let through to the sanitiser, which drops what is not allowed (and
# the text of <script>/<style>) the way blog engines treat comments, rather than showing it escaped.
_UNTRUSTED = Options.CMARK_OPT_UNSAFE
# Elements nested deeper than this are refused: the HTML sanitiser (nh3's html5ever) takes time
# in proportion to the depth for each element it opens (40,000 nested quotes: 4.5 s; 100,000:
# 40 s a feed), and libxml2 stops at this depth too. Counted only in HTML with many tags.
MAX_HTML_DEPTH = 256
_DEPTH_CHECK_FROM_TAGS = 2000
_NONCHARACTER_REFERENCE = re.compile(r"&#(?:[xX]0*[fF]{3}[eEfF]|0*6553[45]);")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*>")
# Elements that do not nest: void ones, and those whose end tag may be left out (an open <p>
# is closed by the next one).
_NOT_NESTING = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
    "p",
    "li",
    "dt",
    "dd",
    "option",
    "optgroup",
    "tr",
    "td",
    "th",
    "thead",
    "tbody",
    "tfoot",
    "colgroup",
    "caption",
    "rb",
    "rt",
    "rp",
}


class TooDeep(ValueError):
    """Markdown whose HTML nests elements more than MAX_HTML_DEPTH deep."""

    def __init__(self) -> None:
        super().__init__(f"its HTML nests elements more than {MAX_HTML_DEPTH} deep")


def render_markdown(text: str) -> str:
    """The author's own Markdown: raw HTML is theirs to use. TooDeep for absurd nesting."""
    return _not_too_deep(_cmark(text, _TRUSTED))


def render_untrusted_markdown(text: str) -> str:
    """A stranger's Markdown, allow-list sanitised. TooDeep for absurd nesting."""
    return sanitize_untrusted_html(_not_too_deep(_cmark(text, _UNTRUSTED)))


def _cmark(text: str, options: int) -> str:
    """cmark-gfm's HTML. A character reference to U+FFFE or U+FFFF (`&#xFFFE;`) makes it write
    bytes that are not UTF-8 (and cmarkgfm raise UnicodeDecodeError): such references become
    U+FFFD first, as cmark does for the other characters that cannot be."""
    text = _NONCHARACTER_REFERENCE.sub("&#xFFFD;", xml_safe(text))
    return str(cmarkgfm.markdown_to_html_with_extensions(text, options, EXTENSIONS)).strip()


def _not_too_deep(html: str) -> str:
    if html.count("<") < _DEPTH_CHECK_FROM_TAGS:
        return html
    depth = 0
    for tag in _TAG.finditer(html):
        if tag[2].lower() in _NOT_NESTING or tag[0].endswith("/>"):
            continue
        depth = max(depth - 1, 0) if tag[1] else depth + 1
        if depth > MAX_HTML_DEPTH:
            raise TooDeep
    return html


def read_post(path: Path, *, zone: tzinfo, max_bytes: int) -> ReadResult:
    front, body = split_front_matter(path, read_utf8(path, max_bytes=max_bytes))
    warnings = unknown_key_warnings(front)
    title = front.text("title", required=True)
    assert title is not None
    date_key = "date" if "date" in front.data else front.other_key("publishdate") or "date"
    published = parse_date(front, date_key, front.data.get(date_key), zone)
    if published is None:
        raise PostError(path, "missing 'date' in the front matter", front.first_line - 1)
    try:
        content_html = render_markdown(body)
    except TooDeep as exc:
        raise PostError(path, f"the text: {exc}", front.first_line + len(front.lines) + 1) from None
    own_summary = front_matter_summary(front)
    lead = "" if own_summary else lead_summary(content_html)
    tags = parse_tags(front)
    media = parse_media(front, content_html)
    updated_key = front_key(front, "updated")
    post = Post(
        source=str(path),
        title=title,
        slug=make_slug(front.text("slug") or file_slug(path)),
        published=published,
        updated=parse_date(front, updated_key, front.data.get(updated_key), zone),
        content_html=content_html,
        summary=own_summary or lead,
        summary_is_lead=bool(lead),
        author=front.text("author"),
        tags=tags[:MAX_TAGS],
        id=front.text("id"),
        comments=parse_comments(front, zone),
        draft=parse_draft(front),
        page=parse_bool(front, "page"),
        url_path=parse_url_path(front),
        enclosures=media.enclosures,
        episode=media.episode,
        local_files=media.local_files,
    )
    if not post.slug:
        raise front.error("slug", "the slug is empty after removing unusable characters")
    if len(tags) > MAX_TAGS:
        message = f"{len(tags):,} tags: only the first {MAX_TAGS} are published"
        warnings.append(PostWarning(path, message, front.line_of("tags")))
    return ReadResult(post, (*warnings, *media.warnings))


def file_slug(path: Path) -> str:
    """The slug a file's name gives: without a Jekyll date; a Hugo page bundle's folder name
    for its index.md (the post and its files in a folder of their own)."""
    stem = path.stem if path.stem.lower() != "index" else path.parent.name or path.stem
    return DATED_FILENAME.sub("", stem)


def parse_date(front: FrontMatter, key: str, value: Any, zone: tzinfo) -> datetime | None:
    """ISO 8601 with or without time and offset; a missing time is midnight, a missing zone ours."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise front.error(key, f"{key!r} is not an ISO 8601 date: {shown(value)}") from None
    else:
        raise front.error(key, f"{key!r} is not a date: {shown(value)}")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    try:
        moment.astimezone(UTC)  # feeds and the archive keep UTC; it must exist there too
    except (OverflowError, ValueError):
        raise front.error(key, f"{key!r} is out of range: {shown(value)}") from None
    return moment


def parse_tags(front: FrontMatter) -> tuple[str, ...]:
    key = front_key(front, "tags")
    value = front.data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise front.error(key, f"{key!r} must be a list or comma-separated text")
    tags = (xml_safe(str(tag)).strip() for tag in value)
    return tuple(dict.fromkeys(tag for tag in tags if tag))


def parse_url_path(front: FrontMatter) -> str | None:
    """`url`: where the page is under the base URL ("/2019/05/hello/"); refused when it is no
    path that stays in the output folder."""
    path = front.text("url")
    if path is None:
        return None
    problem = url_path_problem(path)
    if problem:
        raise front.error("url", f"'url' {problem}: {shown(path)}")
    return "/" + path.lstrip("/")


def parse_draft(front: FrontMatter) -> bool:
    """`draft`, or Jekyll's `published: false`."""
    key = front_key(front, "draft")
    if key == "draft":
        return parse_bool(front, key)
    value = front.data.get(key)  # a `published` that is not true or false (a date) is no draft
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "no"))


def parse_comments(front: FrontMatter, zone: tzinfo) -> tuple[Comment, ...]:
    raw = front.data.get("comments") or []
    if isinstance(raw, bool):  # Jekyll themes' switch for a comment widget
        return ()
    if not isinstance(raw, list):
        raise front.error("comments", "'comments' must be a list")
    comments = [_comment(front, index, item, zone) for index, item in enumerate(raw)]
    _check_threads(front, comments)
    return tuple(comments)


def _comment(front: FrontMatter, index: int, item: Any, zone: tzinfo) -> Comment:
    where = f"comment {index + 1}"
    if not isinstance(item, dict):
        raise front.error("comments", f"{where} must be a mapping with author and body")
    author = item.get("author")
    if not author or not isinstance(author, str):
        raise front.error("comments", f"{where} has no author")
    likes = item.get("likes", 0)
    if not isinstance(likes, int) or isinstance(likes, bool) or likes < 0:
        raise front.error("likes", f"{where}: 'likes' must be a whole number, got {shown(likes)}")
    author_url = item.get("author_url")
    parent = item.get("in_reply_to")
    for key, value in (("id", item.get("id")), ("in_reply_to", parent)):
        if isinstance(value, list | dict):
            raise front.error(key, f"{where}: {key!r} must be text or a number")
    kind = item.get("type", "comment")
    if kind not in COMMENT_KINDS:
        expected = ", ".join(COMMENT_KINDS)
        raise front.error("type", f"{where}: 'type' must be one of {expected}, got {shown(kind)}")
    return Comment(
        id=str(item.get("id", index + 1)),
        author=xml_safe(author).strip(),
        author_url=_safe_url(author_url) if author_url else None,
        published=parse_date(front, "date", item.get("date"), zone),
        content_html=_comment_html(front, where, item.get("body")),
        in_reply_to=str(parent) if parent is not None else None,
        likes=likes,
        kind=kind,
    )


def _comment_html(front: FrontMatter, where: str, body: Any) -> str:
    try:
        return render_untrusted_markdown(str(body or ""))
    except TooDeep as exc:
        raise front.error("comments", f"{where}: {exc}") from None


def _safe_url(url: Any) -> str | None:
    text = str(url).strip()
    return text if re.match(r"^https?://", text, re.IGNORECASE) else None


def _check_threads(front: FrontMatter, comments: list[Comment]) -> None:
    """Ids unique, replies to comments present: one pass over a set (a post may have 100k)."""
    ids: set[str] = set()
    duplicates: set[str] = set()
    for comment in comments:
        if comment.id in ids:
            duplicates.add(comment.id)
        ids.add(comment.id)
    if duplicates:
        first = ", ".join(sorted(duplicates)[:5]) + (", …" if len(duplicates) > 5 else "")
        raise front.error("comments", f"{len(duplicates)} duplicate comment id(s): {first}")
    for comment in comments:
        if comment.in_reply_to is not None and comment.in_reply_to not in ids:
            raise front.error(
                "in_reply_to",
                f"comment {shown(comment.id)} replies to unknown comment "
                f"{shown(comment.in_reply_to)}",
            )
        if comment.in_reply_to == comment.id:
            raise front.error("in_reply_to", f"comment {shown(comment.id)} replies to itself")
