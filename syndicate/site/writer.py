"""Writing the output folder: atomic, incremental, and tidy.

A file is rewritten only when its bytes change (so a no-change build keeps every mtime), always
through a temporary file renamed into place (so a reader never sees half a file), and a manifest
of what syndicate wrote lets the next build remove its own stale files and nothing else.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from syndicate.errors import OutputError
from syndicate.files import (
    MANIFEST,
    atomic_write,
    folders_state,
    write_if_changed,
    write_pieces_if_changed,
)

MANIFEST_PIECE = 5000  # files a piece of the manifest is made of
WRITING = ".syndicate-writing"  # present while a build writes; left behind by a killed one
# A file's bytes; or, from a render worker, whether its write changed the file; or its bytes
# a piece at a time (a file too big to hold whole).
FileData = bytes | bool | Iterator[bytes]


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    folders: str = ""  # files.folders_state of the output once written


def prepare_output(folder: Path) -> None:
    """Create the folder and prove it writable before any work is spent rendering."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        raise OutputError(
            f"{folder}: output folder is not writable: {exc.strerror or exc}"
        ) from exc


class SiteOutputs(Protocol):
    """What a build hands the writer (site.SitePlan)."""

    @property
    def keep(self) -> Set[str]:
        """Produced again but not re-rendered: as the last build wrote them."""
        ...

    @property
    def keys(self) -> Mapping[str, str]:
        """What a file was rendered from, remembered in the manifest."""
        ...

    @property
    def previous_keys(self) -> Mapping[str, str]:
        """The manifest as the last build left it."""
        ...

    @property
    def folder_times(self) -> Mapping[str, int] | None:
        """The output's folder times as the build found them (files.folder_times), if read:
        after writing, only the folders above a file written or removed are read again."""
        ...

    def outputs(self) -> Iterable[tuple[str, FileData]]:
        """(path, what to write), or (path, whether a worker's write changed the file)."""
        ...


def write_site(folder: Path, site: SiteOutputs | Mapping[str, bytes]) -> WriteReport:
    """Write a site's files under `folder` as they are rendered, one at a time; then remove the
    files an earlier build wrote that this one no longer produces. Hold the folder's lock."""
    prepare_output(folder)
    remove_leftover_temporaries(folder)
    report = WriteReport()
    previous = read_manifest_keys(folder) if isinstance(site, Mapping) else site.previous_keys
    produced: set[str] = set()
    outputs = site.items() if isinstance(site, Mapping) else site.outputs()
    try:
        for relative, data in outputs:
            produced.add(relative)
            if isinstance(data, bool):  # written by a render worker already: did it change?
                changed = data
            elif isinstance(data, bytes):
                changed = write_bytes(folder / checked_path(relative), data, relative in previous)
            else:
                changed = write_pieces_if_changed(folder / checked_path(relative), data)
            if changed:
                report.written.append(relative)
            else:
                report.unchanged += 1
        keep: Set[str] = set() if isinstance(site, Mapping) else site.keep
        keys: Mapping[str, str] = {} if isinstance(site, Mapping) else site.keys
        report.unchanged += len(keep)
        # Without sets of every file made on the way (at 100k posts, 300,000 of them)
        stale = [path for path in previous if path not in produced and path not in keep]
        for relative in sorted(stale):
            if remove_stale(folder, relative):
                report.removed.append(relative)
        listed = list(keep)
        listed += (path for path in produced if path not in keep)
        listed.sort()
        write_pieces_if_changed(folder / MANIFEST, _manifest_pieces(listed, keys))
        # What the next build's freshness check compares (from the list at hand: reading the
        # manifest back took 100 MB at 100k posts).
        report.folders = folders_state(
            folder,
            listed,
            known=None if isinstance(site, Mapping) else site.folder_times,
            touched=[*report.written, *report.removed],
        )
        (folder / WRITING).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write: {exc}") from exc
    report.written.sort()
    return report


def write_bytes(path: Path, data: bytes, listed: bool) -> bool:
    """Write a file of the site; whether it changed. One the last build's manifest does not
    list is new (a first build's every file): written without reading what may be there."""
    if listed:
        return write_if_changed(path, data)
    atomic_write(path, data)
    return True


def remove_leftover_temporaries(folder: Path) -> None:
    """Temporary files of a run that was killed mid-write (under the lock no live run has any).
    Looked for only when the last run did not finish: it leaves WRITING behind until it has."""
    marker = folder / WRITING
    if marker.exists():
        for pattern in (".*.tmp", ".probe-*"):
            for leftover in folder.rglob(pattern):
                if leftover.is_file():
                    leftover.unlink(missing_ok=True)
    marker.touch()


def read_manifest_keys(folder: Path) -> dict[str, str]:
    """{path: what it was rendered from} of every file the last build produced."""
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    if isinstance(listed, list):  # manifests before 0.2 listed paths only
        listed = dict.fromkeys(listed, "")
    if not isinstance(listed, dict):
        return {}
    return {
        path: str(key) for path, key in listed.items() if isinstance(path, str) and _is_inside(path)
    }


def remove_stale(folder: Path, relative: str) -> bool:
    """Remove a file this tool wrote before, then any folders it leaves empty."""
    path = folder / relative
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    parent = path.parent
    while parent != folder and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent
    return True


def _manifest_pieces(paths: Sequence[str], keys: Mapping[str, str]) -> Iterator[bytes]:
    """The manifest, {path: key} a file a line (as json.dumps(indent=0) lays it out), written
    a few thousand files at a time through json's C encoder: at 100k posts, made whole it
    took 100 MB."""
    if not paths:
        yield b"{}\n"
        return
    yield b"{\n"
    for start in range(0, len(paths), MANIFEST_PIECE):
        piece = {path: keys.get(path, "") for path in paths[start : start + MANIFEST_PIECE]}
        text = json.dumps(piece, separators=(",\n", ": "))[1:-1]
        yield ((",\n" if start else "") + text).encode("utf-8")
    yield b"\n}\n"


def _is_inside(relative: str) -> bool:
    return (
        not relative.startswith("/")
        and ".." not in relative.split("/")
        and relative not in (MANIFEST, WRITING)
    )


def checked_path(relative: str) -> str:
    if not _is_inside(relative):
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    return relative
