"""Knowing, in milliseconds, that a build would change nothing.

After each build a stamp records what it was built from: syndicate's version, the settings,
every post file's size and modification time, and the archive's state (the file's, or a
database's revision). It is kept in the user's
cache folder (SYNDICATE_CACHE_DIR, else $XDG_CACHE_HOME/syndicate, else ~/.cache/syndicate),
not in the output folder, whose every byte must depend on the inputs alone.
When all of that is unchanged and every file the last build wrote is still there (the folders
holding them unchanged since), the build
is done before it starts: it reports what the last one reported (its warnings and errors
too), imports no renderer and touches no file. Only the standard library is used here
(and psycopg, for an archive on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from syndicate.config import DatabaseURL, Settings
from syndicate.dates import build_now
from syndicate.files import (
    MANIFEST,
    cache_dir,
    folder_times,
    times_digest,
    walk_folder,
    write_if_changed,
)
from syndicate.version import __version__


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
    # What the build reported, as (file, message, line) each (errors.PostError's fields).
    errors: list[tuple[str, str, int | None]]
    warnings: list[tuple[str, str, int | None]]
    files: int
    folders: str = ""  # folders_state of the output's subfolders after the build
    scheduled: list[list[str]] = field(default_factory=list)  # [slug, ISO date] held back


def inputs_digest(settings: Settings, files: Iterable[tuple[str, int, int]] | None = None) -> str:
    """`files`: scan_inputs(settings.posts), when the caller has it already."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(settings_key(settings).encode())
    for relative, size, mtime_ns in scan_inputs(settings.posts) if files is None else files:
        digest.update(f"{relative}\0{size}\0{mtime_ns}\n".encode())
    return digest.hexdigest()


def settings_key(settings: Settings) -> str:
    """syndicate's version and every setting: what else a build is made from. The folders by
    their resolved paths: `build posts` and `build /home/me/site/posts` build the same site."""
    shown = asdict(settings)
    for folder in ("posts", "output"):
        shown[folder] = os.path.realpath(shown[folder])
    return f"{__version__}|{sorted(shown.items())!r}"


def archive_state(settings: Settings) -> list[int]:
    """What changes when anything is stored in the archive: the SQLite file's size and time
    and its write-ahead log's size, or a PostgreSQL archive's revision (every write transaction
    moves it); [] when there is none to read."""
    if isinstance(settings.archive, DatabaseURL):
        return database_state(settings.archive)
    try:
        stat = settings.archive.stat()
    except OSError:
        return []
    wal = Path(f"{settings.archive}-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    return [stat.st_size, stat.st_mtime_ns, wal_size]


def database_state(url: DatabaseURL) -> list[int]:
    """[revision] of a PostgreSQL archive (psycopg, imported only for one)."""
    from syndicate.archive.postgres import archive_revision

    revision = archive_revision(str(url))
    return [] if revision is None else [revision]


def read_stamp(output: Path) -> Stamp | None:
    try:
        data = json.loads(stamp_path(output).read_text(encoding="utf-8"))
        stamp = Stamp(**data)
    except (OSError, ValueError, TypeError):
        return None
    if not all(_is_problem(p) for p in (*stamp.errors, *stamp.warnings)):
        return None  # a stamp of an older syndicate, which kept them as lines
    return stamp


def _is_problem(fields: object) -> bool:
    return isinstance(fields, list) and len(fields) == 3 and isinstance(fields[0], str)


def unchanged_since_last_build(settings: Settings, inputs: str) -> Stamp | None:
    """The last build's stamp when nothing it was built from (`inputs`, the archive, its
    output files) has changed since; else None."""
    stamp = read_stamp(settings.output)
    if stamp is None or stamp.archive != archive_state(settings) or stamp.inputs != inputs:
        return None
    if stamp.scheduled and datetime.fromisoformat(stamp.scheduled[0][1]) <= build_now():
        return None  # a scheduled post is due: it is published though no file changed
    paths = manifest_paths(settings.output)
    return stamp if paths is not None and outputs_as_left(settings.output, paths, stamp) else None


def write_stamp(output: Path, stamp: Stamp) -> None:
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
    return output_folders_as_left(output, paths, stamp) is not None


def output_folders_as_left(
    output: Path, paths: Collection[str], stamp: Stamp | None
) -> dict[str, int] | None:
    """As outputs_as_left, with the folder times it read (files.folder_times; {} when the
    stamp has none and every file was looked at instead); None when the output changed."""
    if stamp is None or not stamp.folders:
        return {} if files_present(output, paths) else None
    top = [path for path in paths if "/" not in path]
    if not files_present(output, top):
        return None
    times = folder_times(output, paths)
    return times if times is not None and times_digest(times) == stamp.folders else None


def files_present(output: Path, paths: Iterable[str]) -> bool:
    """Whether every one of `paths` (under the output folder) is there."""
    base = f"{output}/"
    return all(os.path.exists(base + path) for path in paths)
