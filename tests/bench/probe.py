"""`python probe.py ARGS...` runs `syndicate ARGS...` with the archive's storing and merging
timed, and writes the totals as JSON to $SYNDICATE_BENCH_PROBE when the process exits.

`store_entries` is one feed's transaction (upserts, merge decisions, commit); `_merge_candidates`
(what a feed's new copies may be copies of) and `_place_new_copy` (the evidence for one copy)
are the merge decisions. Both wall time and the calling thread's CPU time are kept: with
`--jobs 8` the storing thread waits for the GIL while parser threads run, which inflates its wall
time but not its CPU time. A method this syndicate does not have is simply not reported, so
the probe survives refactoring; the whole-process time is measured by the harness anyway.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from syndicate.archive import Archive
from syndicate.cli import main

TIMED_METHODS = ("store_entries", "_merge_candidates", "_place_new_copy", "store_comments")
totals: dict[str, float] = {}
cpu_totals: dict[str, float] = {}
calls: dict[str, int] = {}


def timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, started_cpu = time.perf_counter(), time.thread_time()
        try:
            return method(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started
            cpu_totals[name] = cpu_totals.get(name, 0.0) + time.thread_time() - started_cpu
            calls[name] = calls.get(name, 0) + 1

    return wrapper


def write_totals(path: str, started: float) -> None:
    figures = {
        "seconds": totals,
        "cpu_seconds": cpu_totals,
        "calls": calls,
        "process": time.perf_counter() - started,
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(figures, handle)


if __name__ == "__main__":
    for method_name in TIMED_METHODS:
        if hasattr(Archive, method_name):
            setattr(Archive, method_name, timed(method_name, getattr(Archive, method_name)))
    if "SYNDICATE_BENCH_PROBE" in os.environ:
        atexit.register(write_totals, os.environ["SYNDICATE_BENCH_PROBE"], time.perf_counter())
    sys.argv[0] = "syndicate"
    main()
