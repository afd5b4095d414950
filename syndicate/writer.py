"""Writing the output folder: atomic, incremental, and tidy.

A file is rewritten only when its bytes change (so a no-change build keeps every mtime), always
through a temporary file renamed into place (so a reader never sees half a file), and a manifest
of what syndicate wrote lets the next build remove its own stale files and nothing else.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from syndicate.errors import OutputError

MANIFEST = ".syndicate-manifest.json"


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)


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


def write_site(
    folder: Path, files: Mapping[str, bytes], *, keep: Set[str] = frozenset()
) -> WriteReport:
    """Write `files` under `folder`; `keep` names files this build produces but did not need to
    render again (they are as the last build wrote them). Call it holding the folder's lock."""
    prepare_output(folder)
    remove_leftover_temporaries(folder)
    report = WriteReport()
    previous = read_manifest(folder)
    try:
        for relative in sorted(files):
            if write_if_changed(folder / _checked(relative), files[relative]):
                report.written.append(relative)
            else:
                report.unchanged += 1
        report.unchanged += len(keep)
        for relative in sorted(previous - set(files) - set(keep)):
            if remove_stale(folder, relative):
                report.removed.append(relative)
        write_if_changed(folder / MANIFEST, _manifest_bytes([*files, *keep]))
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write: {exc}") from exc
    return report


def write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.read_bytes() == data:
            return False
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    atomic_write(path, data)
    return True


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_leftover_temporaries(folder: Path) -> None:
    """Temporary files of a run that was killed mid-write; under the lock no live run has any."""
    for pattern in (".*.tmp", ".probe-*"):
        for leftover in folder.rglob(pattern):
            if leftover.is_file():
                leftover.unlink(missing_ok=True)


def read_manifest(folder: Path) -> set[str]:
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return set()
    if not isinstance(listed, list):
        return set()
    return {entry for entry in listed if isinstance(entry, str) and _is_inside(entry)}


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


def _manifest_bytes(paths: Iterable[str]) -> bytes:
    return (json.dumps(sorted(set(paths)), indent=0) + "\n").encode("utf-8")


def _is_inside(relative: str) -> bool:
    pure = PurePosixPath(relative)
    return not pure.is_absolute() and ".." not in pure.parts and relative != MANIFEST


def _checked(relative: str) -> str:
    if not _is_inside(relative):
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    return relative


_cached_umask: int | None = None


def _umask() -> int:
    global _cached_umask
    if _cached_umask is None:
        _cached_umask = os.umask(0)
        os.umask(_cached_umask)
    return _cached_umask
