"""One run at a time per output folder: an advisory lock (flock) that the kernel releases when
its holder dies, so a run killed with kill -9 never leaves a stale lock behind.

The lock file is created once and never written (a build that changes nothing touches no
file); who holds it is read from the kernel's table of locks."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syndicate.errors import LockedError, OutputError

LOCK_FILE = ".syndicate.lock"


@contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for the block; LockedError at once when another run holds it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the lock file: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = describe_holder(os.fstat(descriptor).st_ino)
            raise LockedError(folder / LOCK_FILE, holder) from None
        yield
    finally:
        os.close(descriptor)  # closing releases the lock; the file stays, to avoid races


def describe_holder(inode: int) -> str:
    """'pid N (command)' of the process holding a flock on `inode`, from /proc/locks (Linux)."""
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return "another run"
    for line in table.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF"
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].endswith(f":{inode}"):
            return f"pid {fields[4]} ({_command_of(fields[4])})"
    return "another run"


def _command_of(pid: str) -> str:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "unknown command"
    return " ".join(word.decode("utf-8", "replace") for word in words if word)[:200]
