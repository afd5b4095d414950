"""Files, the way every part of syndicate reads and writes them: atomic writes that rewrite a
file only when its bytes change, walks of a folder that survive symlink loops and dangling
links, the user's cache folder, and the digest of the output's subfolders."""

from __future__ import annotations

import errno
import filecmp
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MANIFEST = ".syndicate-manifest.json"


def cache_dir() -> Path:
    if "SYNDICATE_CACHE_DIR" in os.environ:
        return Path(os.environ["SYNDICATE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "syndicate"


def write_pieces_if_changed(path: Path, pieces: Iterable[bytes]) -> bool:
    """write_if_changed for a file that comes a piece at a time, never whole in memory."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.writelines(pieces)
        if path.is_file() and filecmp.cmp(temporary, path, shallow=False):
            temporary.unlink()
            return False
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True


def write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.read_bytes() == data:
            return False
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    atomic_write(path, data)
    return True


def atomic_write(path: Path, data: bytes) -> None:
    """Write beside the target and rename over it. The temporary name is ours alone (the
    process id; the folder's lock keeps other runs out) and is created with the umask's mode."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_at_most(file: BinaryIO, max_bytes: int, size: int) -> bytes:
    """The bytes of an open file of `size` (as fstat gave it, at most `max_bytes`), up to
    max_bytes + 1 of them should it have grown meanwhile (the caller sees that it is too
    large). Read to its size, not into a buffer of max_bytes + 1 made up front: 8 MB for each
    post took three times as long as the post's own read."""
    data = file.read(size + 1)
    if len(data) > size:  # it grew while being read (or fstat knows no size): read on
        data += file.read(max_bytes + 1 - len(data))
    return data


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
    walk: Walk,
    entry: os.DirEntry[str],
    ancestors: frozenset[tuple[int, int]],
    stack: list[tuple[str, frozenset[tuple[int, int]]]],
    wanted: Callable[[str], bool],
) -> None:
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


def folders_state(
    output: Path,
    paths: Iterable[str],
    *,
    known: Mapping[str, int] | None = None,
    touched: Iterable[str] = (),
) -> str:
    """A digest of the modification times of the subfolders that hold `paths`; empty when one
    of them is gone. The output folder itself is left out: files that are not the build's
    (WebSub's queue of feeds to announce) come and go there. `known`: times read earlier
    (folder_times), taken as they are but for the folders above a `touched` file."""
    times = folder_times(output, paths, known=known, touched=touched)
    return "" if times is None else times_digest(times)


def folder_times(
    output: Path,
    paths: Iterable[str],
    *,
    known: Mapping[str, int] | None = None,
    touched: Iterable[str] = (),
) -> dict[str, int] | None:
    """{subfolder: its mtime_ns} of the subfolders that hold `paths`, in order; None when one
    of them is gone. Those in `known` are not read again, unless a `touched` path (a file
    written or removed since, which may have made or removed folders) is below them."""
    known = known or {}
    again = {folder for path in touched for folder in _folders_above(path)}
    base = f"{output}/"
    times: dict[str, int] = {}
    for folder in sorted({path.rpartition("/")[0] for path in paths} - {""}):
        mtime_ns = known.get(folder) if folder not in again else None
        if mtime_ns is None:
            try:
                mtime_ns = os.stat(base + folder).st_mtime_ns
            except OSError:
                return None
        times[folder] = mtime_ns
    return times


def times_digest(times: Mapping[str, int]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for folder, mtime_ns in times.items():
        digest.update(f"{folder}\0{mtime_ns}\n".encode())
    return digest.hexdigest()


def _folders_above(path: str) -> Iterator[str]:
    folder = path.rpartition("/")[0]
    while folder:
        yield folder
        folder = folder.rpartition("/")[0]
