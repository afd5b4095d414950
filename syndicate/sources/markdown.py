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

from syndicate.clean import plain_text, sanitize_untrusted_html, xml_safe
from syndicate.errors import PostError
from syndicate.model import Comment, Post
from syndicate.sources.base import ReadResult, make_slug, read_utf8

SUFFIXES = (".md", ".markdown")
DATED_FILENAME = re.compile(r"^\d{4}-\d{2}-\d{2}-")
FENCES = {"---": "yaml", "+++": "toml"}
# GitHub's cmark-gfm (C): measured at 0.11 ms a 650-word post against mistune's 2.3 ms, the
# largest cost of a first build. GFM's extensions, but not its tag filter: an author's raw HTML
# (an embed) is theirs on their page; feeds sanitise it (clean.feed_ready_html).
EXTENSIONS = ["table", "strikethrough", "autolink", "tasklist"]
_TRUSTED = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
# Raw HTML in a comment is let through to the sanitiser, which drops what is not allowed (and
# the text of <script>/<style>) the way blog engines treat comments, rather than showing it escaped.
_UNTRUSTED = Options.CMARK_OPT_UNSAFE


def render_markdown(text: str) -> str:
    """The author's own Markdown: raw HTML is theirs to use."""
    html = cmarkgfm.markdown_to_html_with_extensions(xml_safe(text), _TRUSTED, EXTENSIONS)
    return str(html).strip()


def render_untrusted_markdown(text: str) -> str:
    """A stranger's Markdown, allow-list sanitised."""
    html = cmarkgfm.markdown_to_html_with_extensions(xml_safe(text), _UNTRUSTED, EXTENSIONS)
    return sanitize_untrusted_html(str(html).strip())


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


def read_post(path: Path, *, zone: tzinfo) -> ReadResult:
    front, body = split_front_matter(path, read_utf8(path))
    title = front.text("title", required=True)
    assert title is not None
    published = parse_date(front, "date", front.data.get("date"), zone)
    if published is None:
        raise PostError(path, "missing 'date' in the front matter", front.first_line - 1)
    content_html = render_markdown(body)
    summary = front.text("summary") or first_paragraph_text(content_html)
    post = Post(
        source=str(path),
        title=title,
        slug=make_slug(front.text("slug") or DATED_FILENAME.sub("", path.stem)),
        published=published,
        updated=parse_date(front, "updated", front.data.get("updated"), zone),
        content_html=content_html,
        summary=summary,
        author=front.text("author"),
        tags=parse_tags(front),
        id=front.text("id"),
        comments=parse_comments(front, zone),
        draft=parse_bool(front, "draft"),
    )
    if not post.slug:
        raise front.error("slug", "the slug is empty after removing unusable characters")
    return ReadResult(post)


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


# libyaml's C parser when PyYAML was built with it: several times faster on big sites.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """YAML's safe loader, but dates stay text: parse_date reads them and can say what is wrong
    with one (PyYAML's own timestamp constructor raises bare ValueErrors for 2020-13-45)."""


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def _parse_front_matter(path: Path, kind: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.load(source, FrontMatterLoader) if kind == "yaml" else tomllib.loads(source)
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
            raise front.error(key, f"{key!r} is not an ISO 8601 date: {value!r}") from None
    else:
        raise front.error(key, f"{key!r} is not a date: {value!r}")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    try:
        moment.astimezone(UTC)  # feeds and the archive keep UTC; it must exist there too
    except (OverflowError, ValueError):
        raise front.error(key, f"{key!r} is out of range: {value!r}") from None
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
    raise front.error(key, f"{key!r} must be true or false, got {value!r}")


def first_paragraph_text(html: str) -> str:
    match = re.search(r"<p>(.*?)</p>", html, re.DOTALL)
    return plain_text(match.group(1)) if match else ""


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
        raise front.error("likes", f"{where}: 'likes' must be a whole number, got {likes!r}")
    author_url = item.get("author_url")
    parent = item.get("in_reply_to")
    return Comment(
        id=str(item.get("id", index + 1)),
        author=xml_safe(author).strip(),
        author_url=_safe_url(author_url) if author_url else None,
        published=parse_date(front, "date", item.get("date"), zone),
        content_html=render_untrusted_markdown(str(item.get("body") or "")),
        in_reply_to=str(parent) if parent is not None else None,
        likes=likes,
    )


def _safe_url(url: Any) -> str | None:
    text = str(url).strip()
    return text if re.match(r"^https?://", text, re.IGNORECASE) else None


def _check_threads(front: FrontMatter, comments: list[Comment]) -> None:
    ids = [comment.id for comment in comments]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise front.error("comments", f"duplicate comment id(s): {', '.join(duplicates)}")
    for comment in comments:
        if comment.in_reply_to is not None and comment.in_reply_to not in ids:
            raise front.error(
                "in_reply_to",
                f"comment {comment.id!r} replies to unknown comment {comment.in_reply_to!r}",
            )
        if comment.in_reply_to == comment.id:
            raise front.error("in_reply_to", f"comment {comment.id!r} replies to itself")
