"""Where the worker processes of a build come from: a small server process that has imported
syndicate and nothing else, and forks a worker whenever a pool asks for one ("forkserver").

Forking the build itself would hand every worker the build's whole memory: at 100k posts, the
loaded posts and their pages, which a worker then copies page by page as it allocates and as
reference counts change (about 250 MB a worker). A worker forked from the server starts with
the imported modules alone; what it is to work on comes to it pickled.

A worker ends with the process that made its pool, however that one ends (kill -9 included):
it would otherwise wait for work forever, as every worker holds the write end of the pool's
queue itself, and cron would pile up orphans (see `_start_worker`).

multiprocessing is imported only when a pool is made: a build that renders a few files (after
an edit) does without it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# What a worker starts with: every renderer and importer. The server preloads them once, for
# the first pool a process makes: a pool of another kind imports what else it needs.
PRELOADED = ("syndicate.site.plan",)
# How often a worker checks that the process that made its pool is still there.
CREATOR_CHECK_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # linux/prctl.h
SIGKILL = 9


def has_worker_server() -> bool:
    """Whether this platform has a forkserver (not Windows); without one, rendering is serial."""
    import multiprocessing

    return "forkserver" in multiprocessing.get_all_start_methods()


def worker_pool(
    workers: int,
    *,
    preload: Sequence[str] = PRELOADED,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    **options: Any,
) -> ProcessPoolExecutor:
    """A pool of `workers` processes from the forkserver, where there is one (else the
    platform's default way of starting them); `initializer`, `initargs` and `options` as
    ProcessPoolExecutor takes them. Its workers exit when this process does."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = None
    if has_worker_server():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
        **options,
    )


def _start_worker(
    creator: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]
) -> None:
    """In a new worker: end with the pool's creator, then the pool's own initializer.

    Two ways, as neither is enough alone. On Linux the kernel kills the worker when its parent
    dies (PR_SET_PDEATHSIG); the parent is the forkserver, which exits when the creator does.
    And a daemon thread checks the creator itself twice a second: it covers a parent that died
    before the prctl call, and the other POSIX systems (macOS)."""
    parent = os.getppid()
    _kill_with_parent()
    if os.name == "posix":  # on Windows, os.kill(pid, 0) would end the creator
        watcher = threading.Thread(
            target=_exit_without, args=(creator, parent), name="creator-watch", daemon=True
        )
        watcher.start()
    if initializer is not None:
        initializer(*initargs)


def _kill_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl in this libc: the watcher thread does it
        pass


def _exit_without(creator: int, parent: int) -> None:
    """Exit at once (no cleanup: nobody waits for this worker's results) when the creator has
    gone, or this worker's parent has (the forkserver, or the creator itself)."""
    while _is_running(creator) and os.getppid() == parent:
        time.sleep(CREATOR_CHECK_SECONDS)
    os._exit(1)


def _is_running(pid: int) -> bool:
    """Whether a process is there and not a zombie (killed, but not yet waited for by its
    parent, as cron's shell may be slow to)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the number is another user's process now
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rpartition(b")")[2].split()[0]
    except (OSError, IndexError):  # no /proc (macOS): the signal check is all there is
        return True
    return state not in (b"Z", b"X")
