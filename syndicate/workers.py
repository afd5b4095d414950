"""Where the worker processes of a build come from: a small server process that has imported
syndicate and nothing else, and forks a worker whenever a pool asks for one ("forkserver").

Forking the build itself would hand every worker the build's whole memory: at 100k posts, the
loaded posts and their pages, which a worker then copies page by page as it allocates and as
reference counts change (about 250 MB a worker). A worker forked from the server starts with
the imported modules alone; what it is to work on comes to it pickled.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

PRELOADED = ["syndicate.site"]  # every renderer and importer: a worker starts with them


def worker_context() -> BaseContext | None:
    """The forkserver context, None where there is none (Windows): work is then done serially."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    return context
