"""What a build left in its output folder, and what it wrote: the work the two tools are
compared on. Read between timed steps, never during one.

A file counts as written when it is new or its inode, modification time or size changed: an
atomic write (syndicate's) gives it a new inode, an overwrite in place (Hugo's) a new time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

Snapshot = dict[str, tuple[int, int, int]]  # path under the folder -> (inode, mtime_ns, size)


@dataclass(frozen=True)
class OutputFigures:
    files: int  # in the output folder after the step
    bytes: int
    written_files: int  # new or rewritten by the step
    written_bytes: int


def snapshot(folder: Path) -> Snapshot:
    """Every file under `folder` (hidden ones too: syndicate's manifest is work it does)."""
    found: Snapshot = {}
    pending = [str(folder)] if folder.is_dir() else []
    prefix = len(str(folder)) + 1
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    status = entry.stat(follow_symlinks=False)
                    found[entry.path[prefix:]] = (
                        status.st_ino,
                        status.st_mtime_ns,
                        status.st_size,
                    )
    return found


def compare(before: Snapshot, after: Snapshot) -> OutputFigures:
    written = [state for path, state in after.items() if before.get(path) != state]
    return OutputFigures(
        files=len(after),
        bytes=sum(size for _, _, size in after.values()),
        written_files=len(written),
        written_bytes=sum(size for _, _, size in written),
    )
