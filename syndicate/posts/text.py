"""The plain-text blog export: the seed format.

    Title
    Weekday, D Month YYYY — Site name
    Lead paragraph (the summary, cut at a sentence near 300 characters; the body's first)
    Body paragraphs, short heading lines, a ‘quoted’ paragraph
    N thoughts on “Title
      1. NAME says:
        comment paragraphs (indented)
        Liked by N person

Only what the file says is published: no time or zone is invented beyond the configured
zone's midnight, and a comment count that disagrees with the comments present is a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape
from pathlib import Path
from typing import Any

from syndicate.clean import text_to_paragraphs, xml_safe
from syndicate.errors import PostError, PostWarning
from syndicate.layout import make_slug
from syndicate.model import Comment, Post
from syndicate.posts.base import ReadResult, read_utf8, shown
from syndicate.posts.summary import cut_at_sentence

SUFFIXES = (".txt",)

DATE_LINE = re.compile(
    r"^(?:(?P<weekday>[A-Za-z]+),?\s+)?(?P<date>\d{1,2}\s+[A-Za-z]+\s+\d{4})"
    r"\s*[—–-]\s*(?P<site>\S.*?)\s*$"
)
COMMENTS_HEADER = re.compile(
    r"^(?P<count>\d+|One|No)\s+(?:thoughts?|comments?|responses?|repl(?:y|ies))\s+on\s+\S",
    re.IGNORECASE,
)
COMMENT_HEADER = re.compile(r"^(?P<indent>\s*)(?P<number>\d+)\.\s+(?P<author>.+?)\s+says:\s*$")
LIKES_LINE = re.compile(r"^\s*Liked by (?P<likes>\d+) (?:person|people)\s*$")
COMMENT_DATE = re.compile(
    r"^\s*(?P<date>[A-Za-z]+ \d{1,2}, \d{4}) at (?P<time>\d{1,2}:\d{2} ?[ap]m)\s*$"
)
INTERFACE_LINES = {"Reply", "Like", "Loading...", "Loading…"}
OPENING_QUOTES = "‘“\"'"
CLOSING_QUOTES = "’”\"'"
SENTENCE_END = ".!?:;,…’”\"')]"
MAX_HEADING_WORDS = 10
# Longer lines are neither a date line nor a comment's header: the patterns above would take
# time in the square of a line's length (a line of 20,000 spaces: 2 s).
MAX_HEADER_LENGTH = 1000


@dataclass(frozen=True)
class Block:
    """A paragraph of the export: its lines joined, and where it starts (1-based)."""

    text: str
    line: int
    raw_lines: tuple[str, ...]


def read_post(path: Path, *, zone: tzinfo, max_bytes: int) -> ReadResult:
    blocks = split_blocks(read_utf8(path, max_bytes=max_bytes))
    if not blocks:
        raise PostError(path, "empty file: expected a title on the first line", 1)
    title_block, rest = blocks[0], blocks[1:]
    title = xml_safe(title_block.text).strip()
    if not rest:
        raise PostError(path, "expected a date line after the title", title_block.line + 1)
    published, site = parse_date_line(path, rest[0], zone)
    body_blocks, comment_blocks, header = split_comments(rest[1:])
    if not body_blocks:
        raise PostError(path, "no text after the date line", rest[0].line + 1)
    lead, body = xml_safe(body_blocks[0].text), body_blocks[1:]
    comments = parse_comments(path, comment_blocks, zone)
    warnings = comment_count_warnings(path, header, comments)
    post = Post(
        source=str(path),
        title=title,
        slug=make_slug(title) or make_slug(path.stem),
        published=published,
        summary=cut_at_sentence(lead),
        summary_is_lead=True,
        content_html="\n".join(filter(None, (text_to_paragraphs([lead]), body_to_html(body)))),
        author=site,
        site_name=site,
        comments=tuple(comments),
        declared_comment_count=declared_count(header) if header else None,
    )
    return ReadResult(post, tuple(warnings))


def split_blocks(text: str) -> list[Block]:
    """Paragraphs separated by blank lines (a line of only spaces or NBSPs is blank)."""
    blocks: list[Block] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append(_block(current, start))
            current = []
    if current:
        blocks.append(_block(current, start))
    return blocks


def _block(lines: list[str], start: int) -> Block:
    return Block(" ".join(line.strip() for line in lines), start, tuple(lines))


def parse_date_line(path: Path, block: Block, zone: tzinfo) -> tuple[datetime, str]:
    match = DATE_LINE.match(block.text) if len(block.text) <= MAX_HEADER_LENGTH else None
    if not match:
        raise PostError(
            path,
            "expected a date line like 'Saturday, 4 March 2023 — Site name', "
            f"got {shown(block.text)}",
            block.line,
        )
    try:
        day = datetime.strptime(" ".join(match["date"].split()), "%d %B %Y")
    except ValueError:
        raise PostError(path, f"not a date: {match['date']!r}", block.line) from None
    return day.replace(tzinfo=zone), xml_safe(match["site"])


def split_comments(blocks: list[Block]) -> tuple[list[Block], list[Block], Block | None]:
    for index, block in enumerate(blocks):
        if COMMENTS_HEADER.match(block.text):
            return blocks[:index], blocks[index + 1 :], block
    return blocks, [], None


def declared_count(header: Block) -> int:
    word = header.text.split()[0].lower()
    return {"one": 1, "no": 0}.get(word) or int(word)


def comment_count_warnings(
    path: Path, header: Block | None, comments: list[Comment]
) -> list[PostWarning]:
    if header is None or declared_count(header) == len(comments):
        return []
    declared = declared_count(header)
    return [
        PostWarning(
            path,
            f"the header declares {declared} comment{'s' * (declared != 1)} "
            f"but {len(comments)} {'is' if len(comments) == 1 else 'are'} present; "
            f"publishing the {len(comments)}",
            header.line,
        )
    ]


def is_heading(block: Block, following: Block | None) -> bool:
    """A short single line without closing punctuation, followed by more text."""
    text = block.text
    return (
        following is not None
        and len(block.raw_lines) == 1
        and len(text.split()) <= MAX_HEADING_WORDS
        and text[-1] not in SENTENCE_END
        and text[0] not in OPENING_QUOTES
        and text[0].isupper()
    )


def is_quotation(block: Block) -> bool:
    text = block.text.rstrip(".,")
    return len(text) > 1 and text[0] in OPENING_QUOTES and text[-1] in CLOSING_QUOTES


def body_to_html(blocks: list[Block]) -> str:
    parts: list[str] = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        text = escape(xml_safe(block.text), quote=False)
        if is_heading(block, following):
            parts.append(f"<h2>{text}</h2>")
        elif is_quotation(block):
            parts.append(f"<blockquote><p>{text}</p></blockquote>")
        else:
            parts.append(f"<p>{text}</p>")
    return "\n".join(parts)


def parse_comments(path: Path, blocks: list[Block], zone: tzinfo) -> list[Comment]:
    """Numbered comments; a header indented deeper than the one before it is a reply."""
    drafts: list[dict] = []
    # The comments that a later one can reply to, least indented first: each is the last one
    # seen at its depth (a scan back over every comment for each would be quadratic).
    threads: list[dict] = []
    for block in blocks:
        first_line = block.raw_lines[0]
        header = COMMENT_HEADER.match(first_line) if len(first_line) <= MAX_HEADER_LENGTH else None
        if header:
            drafts.append(_new_comment(header, block, len(drafts), threads))
            continue
        if not drafts:
            raise PostError(
                path,
                f"expected a comment like '1. NAME says:', got {shown(block.text)}",
                block.line,
            )
        _add_to_comment(path, drafts[-1], block, zone)
    return [_finish_comment(draft) for draft in drafts]


def _new_comment(header: re.Match[str], block: Block, position: int, threads: list[dict]) -> dict:
    """The comment that `header` starts; its parent is the last one before it that is less
    indented, which `threads` holds (and this one joins)."""
    indent = len(header["indent"].expandtabs())
    while threads and threads[-1]["indent"] >= indent:
        threads.pop()
    parent = threads[-1] if threads else None
    draft: dict[str, Any] = {
        "id": str(position + 1),
        "author": xml_safe(header["author"]),
        "indent": indent,
        "parent": parent["id"] if parent else None,
        "paragraphs": [],
        "likes": 0,
        "published": None,
    }
    for extra in block.raw_lines[1:]:  # text on the lines right below the header
        draft["paragraphs"].append(extra.strip())
    threads.append(draft)
    return draft


def _add_to_comment(path: Path, draft: dict, block: Block, zone: tzinfo) -> None:
    likes = LIKES_LINE.match(block.text)
    if likes:
        draft["likes"] = int(likes["likes"])
        return
    if block.text in INTERFACE_LINES:
        return
    date = COMMENT_DATE.match(block.text)
    if date and not draft["paragraphs"] and draft["published"] is None:
        draft["published"] = _comment_date(path, block, date).replace(tzinfo=zone)
        return
    draft["paragraphs"].append(block.text)


def _comment_date(path: Path, block: Block, match: re.Match[str]) -> datetime:
    try:
        stamp = f"{match['date']} {match['time'].replace(' ', '')}"
        return datetime.strptime(stamp, "%B %d, %Y %I:%M%p")
    except ValueError:
        raise PostError(path, f"not a date: {shown(block.text)}", block.line) from None


def _finish_comment(draft: dict) -> Comment:
    return Comment(
        id=draft["id"],
        author=draft["author"],
        content_html=text_to_paragraphs(draft["paragraphs"]),
        published=draft["published"],
        in_reply_to=draft["parent"],
        likes=draft["likes"],
    )
