"""Where the worker processes of a build come from: a small server process that has imported
syndicate and nothing else, and forks a worker whenever a pool asks for one ("forkserver").

Forking the build itself would hand every worker the build's whole memory: at 100k posts, the
loaded posts and their pages, which a worker then copies page by page as it allocates and as
reference counts change (about 250 MB a worker). A worker forked from the server starts with
the imported modules alone; what it is to work on comes to it pickled.

multiprocessing is imported only when a pool is made: a build that renders a few files (after
an edit) does without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# What a worker starts with: every renderer and importer. The server preloads them once, for
# the first pool a process makes: a pool of another kind imports what else it needs.
PRELOADED = ("syndicate.site",)


def has_worker_server() -> bool:
    """Whether this platform has a forkserver (not Windows); without one, rendering is serial."""
    import multiprocessing

    return "forkserver" in multiprocessing.get_all_start_methods()


def worker_pool(
    workers: int, *, preload: Sequence[str] = PRELOADED, **options: Any
) -> ProcessPoolExecutor:
    """A pool of `workers` processes from the forkserver, where there is one (else the
    platform's default way of starting them); `options` as ProcessPoolExecutor takes them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = None
    if has_worker_server():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(workers, mp_context=context, **options)
