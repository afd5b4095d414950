"""Knowing, in milliseconds, that a build would change nothing.

After each build a stamp records what it was built from: syndicate's version, the settings,
every post file's size and modification time, and the archive file's. It is kept in the user's
cache folder (SYNDICATE_CACHE_DIR, else $XDG_CACHE_HOME/syndicate, else ~/.cache/syndicate),
not in the output folder, whose every byte must depend on the inputs alone.
When all of that is unchanged and every file the last build wrote is still there (the folders
holding them unchanged since), the build
is done before it starts: it reports what the last one reported (its warnings and errors
too), imports no renderer and touches no file. Only the standard library is used here.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from syndicate.config import Settings
from syndicate.version import __version__

MANIFEST = ".syndicate-manifest.json"


def cache_dir() -> Path:
    if "SYNDICATE_CACHE_DIR" in os.environ:
        return Path(os.environ["SYNDICATE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "syndicate"


def stamp_path(output: Path) -> Path:
    """One stamp per output folder, named by the folder's absolute path."""
    key = hashlib.blake2b(str(output.resolve()).encode(), digest_size=10).hexdigest()
    return cache_dir() / "stamps" / f"{key}.json"


@dataclass(frozen=True)
class Stamp:
    inputs: str  # digest of the version, the settings and the post files
    archive: list[int]  # the archive file's [size, mtime_ns] after the build, or []
    posts: int
    drafts: int
    errors: list[str]
    warnings: list[str]
    files: int
    folders: str = ""  # folders_state of the output's subfolders after the build


def inputs_digest(settings: Settings, files: Iterable[tuple[str, int, int]] | None = None) -> str:
    """`files`: scan_inputs(settings.posts), when the caller has it already."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(settings_key(settings).encode())
    for relative, size, mtime_ns in scan_inputs(settings.posts) if files is None else files:
        digest.update(f"{relative}\0{size}\0{mtime_ns}\n".encode())
    return digest.hexdigest()


def settings_key(settings: Settings) -> str:
    """syndicate's version and every setting: what else a build is made from."""
    return f"{__version__}|{sorted(asdict(settings).items())!r}"


def archive_state(settings: Settings) -> list[int]:
    try:
        stat = settings.archive.stat()
    except OSError:
        return []
    wal = Path(f"{settings.archive}-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    return [stat.st_size, stat.st_mtime_ns, wal_size]


def read_stamp(output: Path) -> Stamp | None:
    try:
        data = json.loads(stamp_path(output).read_text(encoding="utf-8"))
        return Stamp(**data)
    except (OSError, ValueError, TypeError):
        return None


def unchanged_since_last_build(settings: Settings, inputs: str) -> Stamp | None:
    """The last build's stamp when nothing it was built from (`inputs`, the archive, its
    output files) has changed since; else None."""
    stamp = read_stamp(settings.output)
    if stamp is None or stamp.archive != archive_state(settings) or stamp.inputs != inputs:
        return None
    paths = manifest_paths(settings.output)
    return stamp if paths is not None and outputs_as_left(settings.output, paths, stamp) else None


def write_stamp(output: Path, stamp: Stamp) -> None:
    from syndicate.site.writer import write_if_changed  # only after a real build

    data = (json.dumps(asdict(stamp), indent=0, sort_keys=True) + "\n").encode("utf-8")
    with contextlib.suppress(OSError):  # no cache folder: every build is a full one, no worse
        write_if_changed(stamp_path(output), data)


def scan_inputs(folder: Path) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime_ns) of every non-hidden file below folder, sorted; a name
    that cannot be followed (walk_folder) with size -1 and its own mtime, so that the stamp
    changes when it is mended or removed."""
    skip = len(str(folder)) + 1
    walk = walk_folder(folder)
    found = [(path[skip:], size, mtime_ns) for path, size, mtime_ns in walk.files]
    found += [(bad.path[skip:], -1, bad.mtime_ns) for bad in walk.unreachable]
    return sorted(found)


@dataclass(frozen=True)
class Unreachable:
    """A name in a folder of posts that cannot be followed: why, whether it is known to be a
    folder, and its own modification time (of the symlink, not of what it names)."""

    path: str
    reason: str
    folder: bool
    mtime_ns: int


@dataclass
class Walk:
    files: list[tuple[str, int, int]] = field(default_factory=list)  # (path, size, mtime_ns)
    unreachable: list[Unreachable] = field(default_factory=list)


def walk_folder(folder: Path, *, wanted: Callable[[str], bool] = lambda name: True) -> Walk:
    """The regular files below `folder` whose names are `wanted` (hidden ones aside), following
    symlinks, in no particular order. A dangling symlink, a symlink loop (a -> b -> a, or a
    link to a folder that holds it), an unreadable folder or a name that is not a regular file
    (a FIFO: reading it would wait forever) is skipped and listed as unreachable."""
    walk = Walk()
    try:
        top = os.stat(folder)
    except OSError as exc:
        walk.unreachable.append(Unreachable(str(folder), _reason(exc), True, 0))
        return walk
    stack = [(str(folder), frozenset({(top.st_dev, top.st_ino)}))]
    while stack:
        current, ancestors = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError as exc:
            walk.unreachable.append(Unreachable(current, _reason(exc), True, _own_mtime(current)))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                _walk_entry(walk, entry, ancestors, stack, wanted)
            except OSError as exc:
                walk.unreachable.append(
                    Unreachable(entry.path, _reason(exc), False, _own_mtime(entry.path))
                )
    return walk


def _walk_entry(
    walk: Walk, entry: os.DirEntry[str], ancestors: frozenset[tuple[int, int]],
    stack: list[tuple[str, frozenset[tuple[int, int]]]], wanted: Callable[[str], bool],
) -> None:  # fmt: skip
    if entry.is_dir():
        stat = entry.stat()
        identity = (stat.st_dev, stat.st_ino)
        if identity in ancestors:
            reason = "a symlink loop (a link to a folder that holds it)"
            walk.unreachable.append(Unreachable(entry.path, reason, True, _own_mtime(entry.path)))
        else:
            stack.append((entry.path, ancestors | {identity}))
    elif entry.is_file():
        if wanted(entry.name):
            stat = entry.stat()
            walk.files.append((entry.path, stat.st_size, stat.st_mtime_ns))
    elif entry.is_symlink() and not os.path.exists(entry.path):
        reason = f"a dangling symlink (to {os.readlink(entry.path)}, which does not exist)"
        walk.unreachable.append(Unreachable(entry.path, reason, False, _own_mtime(entry.path)))
    elif wanted(entry.name):
        reason = "not a regular file"
        walk.unreachable.append(Unreachable(entry.path, reason, False, _own_mtime(entry.path)))


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink loop (too many levels of symbolic links)"
    return f"cannot read: {exc.strerror or exc}"


def _own_mtime(path: str) -> int:
    try:
        return os.lstat(path).st_mtime_ns
    except OSError:
        return 0


def manifest_paths(output: Path) -> list[str] | None:
    """Every file the last build wrote into the output folder, as its manifest lists them."""
    try:
        listed = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return list(listed) if isinstance(listed, dict | list) else None


def outputs_as_left(output: Path, paths: Collection[str], stamp: Stamp | None) -> bool:
    """Whether every one of `paths`, the files the last build wrote, is still there: those at
    the top by their names, those in subfolders by their folders' modification times as the
    stamp has them, which change when a file in them is deleted, added or replaced (10,000
    folders take a third of the time of 31,000 files). Without those times, every file."""
    if stamp is None or not stamp.folders:
        return files_present(output, paths)
    top = [path for path in paths if "/" not in path]
    return files_present(output, top) and folders_state(output, paths) == stamp.folders


def folders_state(output: Path, paths: Iterable[str]) -> str:
    """A digest of the modification times of the subfolders that hold `paths`; empty when one
    of them is gone. The output folder itself is left out: files that are not the build's
    (WebSub's queue of feeds to announce) come and go there."""
    digest = hashlib.blake2b(digest_size=16)
    base = f"{output}/"
    for folder in sorted({path.rpartition("/")[0] for path in paths} - {""}):
        try:
            mtime_ns = os.stat(base + folder).st_mtime_ns
        except OSError:
            return ""
        digest.update(f"{folder}\0{mtime_ns}\n".encode())
    return digest.hexdigest()


def files_present(output: Path, paths: Iterable[str]) -> bool:
    """Whether every one of `paths` (under the output folder) is there."""
    base = f"{output}/"
    return all(os.path.exists(base + path) for path in paths)
