"""Run folders, and why a finished one is moved aside instead of deleted.

A finished run's folder goes into the work folder's trash, which is emptied when the benchmark
ends, never just before a timed step. On ext4 without a journal (this machine's file system), an
inode freed in the last 30 seconds is skipped, block read by block read, when a new file is
created: deleting the previous run's ~80,000 files right before a build made that build's file
creation several times slower (perf: a third of all samples in find_inode_bit and
recently_deleted), charging one step, and one tool, with the cleanup of another.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

TRASH = "trash"
SETTLE_SECONDS = 35  # ext4's "recently deleted" window is 30 s (35 while the block is dirty)


def fresh_dir(workdir: Path, path: Path) -> Path:
    """An empty folder at `path`; what was there goes to the trash."""
    discard(workdir, path)
    path.mkdir(parents=True)
    return path


def discard(workdir: Path, path: Path) -> None:
    if path.exists():
        trash = workdir / TRASH
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{path.name}-{uuid.uuid4().hex[:8]}")


def empty_trash(workdir: Path, *, settle: bool, log: Callable[[str], None]) -> None:
    """Delete the trash; with `settle`, wait out the file system's window afterwards (at the
    start of a benchmark, when an earlier one left files behind)."""
    trash = workdir / TRASH
    if not trash.exists():
        return
    shutil.rmtree(trash, ignore_errors=True)
    if settle:
        log(f"deleted an earlier run's files; waiting {SETTLE_SECONDS} s before timing anything")
        time.sleep(SETTLE_SECONDS)
