"""Files beside a post (its images, audio, PDFs: Post.local_files) copied next to its page.

A post file at `posts/2024/trip.md` that shows `photos/boat.jpg` (beside it, in
`posts/2024/photos/`) has its page at `posts/<slug>/index.html` in the output, so the file goes
to `posts/<slug>/photos/boat.jpg` and the relative link resolves as it did beside the post (in
the page's folder wherever its permalink puts it: layout.PostPlace.folder_file). A copy that
would land on a post's own page or feed, or on another post's copy, is not made (a warning).

A file is copied only when it changed: the manifest keeps the size and modification time it
was copied at, and a build that finds them the same leaves the copy alone (a cron run that
changes nothing rewrites nothing; a 200 MB recording is not read at all). Copies stream through
a temporary file renamed into place, never whole in memory. A copy the post no longer links
to, or of a post gone, is removed by the writer as every stale file is (writer.py).
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from syndicate import layout as paths
from syndicate.errors import PostWarning
from syndicate.layout import Layout
from syndicate.model import Post

# Names the post's own files take in its folder: a file beside the post cannot replace them.
RESERVED_NAMES = frozenset({paths.INDEX_PAGE, paths.COMMENTS_RSS, paths.COMMENTS_ATOM})
FileState = tuple[int, int] | None  # (size, mtime_ns) of a source file; None when it is not there


@dataclass(frozen=True)
class Asset:
    """One file beside a post: where it is, and where its copy goes in the output folder."""

    source: str  # the file beside the post, named from the post file's own name
    target: str  # under the output folder: the page's folder/<the path relative to the post>


@dataclass
class AssetCheck:
    """What a build found of the files beside its posts: the state of each source (for the
    build after edits to see whether any changed), and what was wrong with some."""

    sources: dict[str, FileState]
    problems: list[PostWarning]


def post_assets(post: Post, layout: Layout, problems: list[PostWarning]) -> list[Asset]:
    """The files beside `post` to copy; a name that cannot be copied safely is a warning."""
    folder = os.path.dirname(post.source)
    page_folder = layout.place(post).folder_file
    assets = []
    for relative in dict.fromkeys(post.local_files):
        reason = unsafe_reason(relative)
        if reason:
            problems.append(PostWarning(post.source, f"{relative!r} is not copied: {reason}"))
            continue
        source = os.path.join(folder, *PurePosixPath(relative).parts)
        assets.append(Asset(source, page_folder + str(PurePosixPath(relative))))
    return assets


def unsafe_reason(relative: str) -> str | None:
    """Why a path beside a post cannot be copied next to its page, or None when it can."""
    path = PurePosixPath(relative)
    if not relative or path.is_absolute() or "\\" in relative:
        return "not a relative path"
    if ".." in path.parts:
        return "it is outside the post's folder (next to the page, the link would miss it)"
    if any(part.startswith(".") for part in path.parts):
        return "a hidden file (no build notices its changes, and servers refuse dotfiles)"
    if path.parts[0] in RESERVED_NAMES:
        return f"{path.parts[0]} is the name of the post's own page or feed"
    return None


def source_state(source: str) -> FileState:
    """(size, mtime_ns) of a regular file, following symlinks; None for anything else."""
    try:
        found = os.stat(source)
    except OSError:
        return None
    return (found.st_size, found.st_mtime_ns) if stat.S_ISREG(found.st_mode) else None


def copy_key(source: str, state: tuple[int, int]) -> str:
    """What a copy was made from, as the manifest keeps it."""
    size, mtime_ns = state
    material = f"file|{source}|{size}|{mtime_ns}".encode()
    return hashlib.blake2b(material, digest_size=16).hexdigest()


def copy_if_changed(source: str, target: Path) -> bool:
    """Copy `source` to `target` unless `target` already holds the same bytes (compared a
    block at a time); through a temporary file beside it, renamed into place."""
    try:
        if os.stat(target).st_size == os.stat(source).st_size and filecmp.cmp(
            source, target, shallow=False
        ):
            return False
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, temporary)  # streams (sendfile on Linux)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True


class AssetCopier:
    """The copies of the files beside every post of a build, through the plan's record of
    what each output file was made from (`unchanged`, as SitePlan has it)."""

    def __init__(self, output: Path, layout: Layout) -> None:
        self.output = output
        self.layout = layout
        self.check = AssetCheck({}, [])

    def outputs(
        self,
        posts: Iterable[Post],
        unchanged: Callable[[str, str], bool],
        *,
        taken: Collection[str] = (),
    ) -> Iterator[tuple[str, bool]]:
        """(path, whether its copy changed) of every file beside the posts that is there;
        `unchanged(path, key)`: True when the last build made `path` from `key` (SitePlan's);
        `taken`: the posts' own files, which no copy replaces."""
        copied: dict[str, str] = {}  # target -> its source
        for post in posts:
            for asset in post_assets(post, self.layout, self.check.problems):
                if copied.get(asset.target) == asset.source:
                    continue  # two posts beside one file, with their pages in one folder
                clash = _clash(asset, taken, copied)
                if clash:
                    self.check.problems.append(PostWarning(post.source, clash))
                    continue
                copied[asset.target] = asset.source
                state = self.check.sources[asset.source] = source_state(asset.source)
                if state is None:
                    message = f"{asset.source} is linked but is not a file here: not copied"
                    self.check.problems.append(PostWarning(post.source, message))
                    continue
                if unchanged(asset.target, copy_key(asset.source, state)):
                    continue
                yield asset.target, copy_if_changed(asset.source, self.output / asset.target)


def _clash(asset: Asset, taken: Collection[str], copied: dict[str, str]) -> str | None:
    if asset.target in taken:
        return f"{asset.source} is not copied: {asset.target} is a post's own page or feed"
    other = copied.get(asset.target)
    if other is not None:
        return f"{asset.source} is not copied: {asset.target} is the copy of {other}"
    return None


def sources_as_left(sources: dict[str, FileState]) -> bool:
    """Whether every file beside a post is as the last build found it."""
    return all(source_state(source) == state for source, state in sources.items())
