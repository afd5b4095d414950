"""Markdown posts with YAML (`---`) or TOML (`+++`) front matter, as Jekyll and Hugo keep them.

Front matter: title, date, updated, author, tags, slug, summary, id, draft, and `comments`:
a list of {id, author, author_url, date, body (Markdown), in_reply_to, likes}.
Unknown keys are ignored, so a Hugo or Jekyll content folder reads as it is.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

import cmarkgfm
import yaml
from cmarkgfm.cmark import Options

from syndicate.clean import sanitize_untrusted_html, xml_safe
from syndicate.errors import PostError, PostWarning
from syndicate.layout import make_slug
from syndicate.model import Comment, Post
from syndicate.posts.base import ReadResult, read_utf8, shown
from syndicate.posts.summary import lead_summary
from syndicate.posts.yaml_front_matter import load_front_matter

SUFFIXES = (".md", ".markdown")
DATED_FILENAME = re.compile(r"^\d{4}-\d{2}-\d{2}-")
FENCES = {"---": "yaml", "+++": "toml"}
# Each tag has feeds of its own (two files, about 6 ms): a post's 20,000 tags took minutes.
MAX_TAGS = 100
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
    html = cmarkgfm.markdown_to_html_with_extensions(xml_safe(text), _TRUSTED, EXTENSIONS)
    return _not_too_deep(str(html).strip())


def render_untrusted_markdown(text: str) -> str:
    """A stranger's Markdown, allow-list sanitised. TooDeep for absurd nesting."""
    html = cmarkgfm.markdown_to_html_with_extensions(xml_safe(text), _UNTRUSTED, EXTENSIONS)
    return sanitize_untrusted_html(_not_too_deep(str(html).strip()))


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


class FrontMatter:
    """The parsed front matter, able to say on which line a key stands."""

    def __init__(self, path: Path, data: dict[str, Any], lines: list[str], first_line: int) -> None:
        self.path = path
        self.data = data
        self.lines = lines
        self.first_line = first_line

    def line_of(self, key: str) -> int:
        pattern = re.compile(rf"^\s*-?\s*{re.escape(key)}\s*[:=]")
        for offset, line in enumerate(self.lines):
            if pattern.match(line):
                return self.first_line + offset
        return self.first_line

    def error(self, key: str, message: str) -> PostError:
        return PostError(self.path, message, self.line_of(key))

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise PostError(
                    self.path, f"missing {key!r} in the front matter", self.first_line - 1
                )
            return None
        if isinstance(value, (dict, list)):
            raise self.error(key, f"{key!r} must be text, got {type(value).__name__}")
        return xml_safe(str(value)).strip()


def read_post(path: Path, *, zone: tzinfo, max_bytes: int) -> ReadResult:
    front, body = split_front_matter(path, read_utf8(path, max_bytes=max_bytes))
    title = front.text("title", required=True)
    assert title is not None
    published = parse_date(front, "date", front.data.get("date"), zone)
    if published is None:
        raise PostError(path, "missing 'date' in the front matter", front.first_line - 1)
    try:
        content_html = render_markdown(body)
    except TooDeep as exc:
        raise PostError(path, f"the text: {exc}", front.first_line + len(front.lines) + 1) from None
    summary = front.text("summary") or lead_summary(content_html)
    tags = parse_tags(front)
    post = Post(
        source=str(path),
        title=title,
        slug=make_slug(front.text("slug") or DATED_FILENAME.sub("", path.stem)),
        published=published,
        updated=parse_date(front, "updated", front.data.get("updated"), zone),
        content_html=content_html,
        summary=summary,
        author=front.text("author"),
        tags=tags[:MAX_TAGS],
        id=front.text("id"),
        comments=parse_comments(front, zone),
        draft=parse_bool(front, "draft"),
    )
    if not post.slug:
        raise front.error("slug", "the slug is empty after removing unusable characters")
    warnings: tuple[PostWarning, ...] = ()
    if len(tags) > MAX_TAGS:
        message = f"{len(tags):,} tags: only the first {MAX_TAGS} are published"
        warnings = (PostWarning(path, message, front.line_of("tags")),)
    return ReadResult(post, warnings)


def split_front_matter(path: Path, text: str) -> tuple[FrontMatter, str]:
    lines = text.split("\n")
    fence = lines[0].strip() if lines else ""
    if fence not in FENCES:
        raise PostError(path, "expected front matter starting with '---' (YAML) or '+++' (TOML)", 1)
    closing = {"---": ("---", "..."), "+++": ("+++",)}[fence]
    for end in range(1, len(lines)):
        if lines[end].strip() in closing:
            break
    else:
        raise PostError(path, f"front matter opened with {fence!r} is never closed", 1)
    front_lines = lines[1:end]
    data = _parse_front_matter(path, FENCES[fence], "\n".join(front_lines))
    return FrontMatter(path, data, front_lines, first_line=2), "\n".join(lines[end + 1 :])


def _parse_front_matter(path: Path, kind: str, source: str) -> dict[str, Any]:
    try:
        data = load_front_matter(path, source) if kind == "yaml" else tomllib.loads(source)
    except RecursionError:  # tomllib reads nested arrays recursively
        raise PostError(path, "front matter nested too deeply", 2) from None
    except yaml.MarkedYAMLError as exc:
        line = 2 + exc.problem_mark.line if exc.problem_mark else 1
        raise PostError(path, f"invalid YAML front matter: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        line = 2 + source[:position].count("\n") if isinstance(position, int) else 1
        raise PostError(path, f"invalid YAML front matter: {exc}", line) from None
    except tomllib.TOMLDecodeError as exc:
        line = 2 + (getattr(exc, "lineno", 1) - 1)
        raise PostError(path, f"invalid TOML front matter: {exc}", line) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PostError(path, "front matter must be a mapping of keys to values", 2)
    return data


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
    value = front.data.get("tags", front.data.get("categories"))
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise front.error("tags", "'tags' must be a list or comma-separated text")
    tags = (xml_safe(str(tag)).strip() for tag in value)
    return tuple(dict.fromkeys(tag for tag in tags if tag))


def parse_bool(front: FrontMatter, key: str) -> bool:
    value = front.data.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no"):
        return value.strip().lower() in ("true", "yes")
    raise front.error(key, f"{key!r} must be true or false, got {shown(value)}")


def parse_comments(front: FrontMatter, zone: tzinfo) -> tuple[Comment, ...]:
    raw = front.data.get("comments") or []
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
    return Comment(
        id=str(item.get("id", index + 1)),
        author=xml_safe(author).strip(),
        author_url=_safe_url(author_url) if author_url else None,
        published=parse_date(front, "date", item.get("date"), zone),
        content_html=_comment_html(front, where, item.get("body")),
        in_reply_to=str(parent) if parent is not None else None,
        likes=likes,
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
