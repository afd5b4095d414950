"""Moving a WordPress blog over: its export (WXR 1.0, 1.1, 1.2) as Markdown post files.

`import_wordpress(export, posts_dir, zone=...)` reads the whole export first (wxr.py), works
out every post (convert.py: statuses, dates, slugs, comment threads; content.py: the body as
the old site showed it), and only then writes, one file at a time, each atomically, keeping
files edited since the last import (write.py). A malformed export is one PostError with its
line, and nothing is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from syndicate.wordpress.convert import NOT_A_POST, Skipped, plan_import
from syndicate.wordpress.write import MANIFEST, FileToWrite, post_file, write_posts
from syndicate.wordpress.wxr import DEFAULT_MAX_EXPORT_BYTES, read_export

__all__ = ["DEFAULT_MAX_EXPORT_BYTES", "MANIFEST", "ImportReport", "Skipped", "import_wordpress"]


@dataclass(frozen=True)
class ImportReport:
    """What an import found and did. Counts are of what the export holds (drafts and
    scheduled posts among the posts), whether or not their files had to be written."""

    posts: int
    pages: int
    drafts: int
    scheduled: int
    comments: int
    replies: int
    skipped: tuple[Skipped, ...]
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    kept: tuple[Path, ...]  # edited since the last import, not overwritten (see `force`)

    def summary(self) -> str:
        """`imported 12 posts, 3 pages, 40 comments (9 replies), skipped 2 private, ...`"""
        line = (
            f"imported {_count(self.posts, 'post')}, {_count(self.pages, 'page')}, "
            f"{_count(self.comments, 'comment')} ({_count(self.replies, 'reply', 'replies')})"
        )
        groups = Counter(_summary_group(skipped) for skipped in self.skipped)
        if groups:
            ordered = sorted(groups.items(), key=lambda group: (group[0][0], group[0][1]))
            line += ", skipped " + ", ".join(
                f"{number} {what}{'s' * (plural and number != 1)}"
                for ((_, what, plural), number) in ordered
            )
        return line

    def files_line(self, posts_dir: Path) -> str:
        kept = f", {len(self.kept)} edited since the import kept" if self.kept else ""
        return f"{posts_dir}/: {len(self.written)} written, {len(self.unchanged)} unchanged{kept}"


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def _summary_group(skipped: Skipped) -> tuple[int, str, bool]:
    """(rank, words, plural?) under which the summary counts a skipped item: posts and pages by
    why, then comments by why, then the export's other items (menus, revisions...)."""
    if skipped.kind == "comment":
        kind = skipped.reason if skipped.reason in ("pending", "spam", "trashed") else "other"
        return (1, f"{kind} comment", True)
    if skipped.reason == NOT_A_POST:
        return (2, "other item", True)
    return (0, skipped.reason, False)


def import_wordpress(
    export: Path,
    posts_dir: Path,
    *,
    zone: tzinfo,
    force: bool = False,
    max_bytes: int = DEFAULT_MAX_EXPORT_BYTES,
) -> ImportReport:
    """Write one Markdown file per post and page of `export` into `posts_dir` (pages in
    `pages/`). `zone` is the site's time zone: WordPress leaves a draft's GMT date empty.
    A file edited since the last import is kept unless `force`. PostError for an export that
    cannot be read (and then nothing is written); OutputError for a folder that cannot be."""
    plan = plan_import(read_export(export, max_bytes=max_bytes), zone=zone)
    files = [
        FileToWrite(post.key, post.folder, post.slug, post_file(post.front_matter, post.body))
        for post in plan.posts
    ]
    written = write_posts(posts_dir, files, terms=plan.terms, force=force)
    return ImportReport(
        posts=sum(1 for post in plan.posts if not post.page),
        pages=sum(1 for post in plan.posts if post.page),
        drafts=sum(1 for post in plan.posts if post.draft),
        scheduled=sum(1 for post in plan.posts if post.scheduled),
        comments=sum(post.comments for post in plan.posts),
        replies=sum(post.replies for post in plan.posts),
        skipped=tuple(plan.skipped),
        written=tuple(written.written),
        unchanged=tuple(written.unchanged),
        kept=tuple(written.kept),
    )
