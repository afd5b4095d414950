"""`python -m tests.bench.floor`: the least CPU a cold build of the benchmark corpus can take.

It does, serially in one process, only the work no build can skip, with the libraries the design
card fixes: parsing every post file (front matter, Markdown, sanitising) and rendering every
post's files (its comment feeds through feedgen, its page through Jinja) and every RFC 5005
archive page (feedgen), and writing those files. No planning, no worker processes, no cache, no
site feeds, tag feeds or index page. Against Hugo's build time of the same corpus it says
whether "within 1.5x of Hugo" is reachable on this machine's cores at all: a build cannot take
less wall time than this CPU time spread over them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC
from pathlib import Path

from syndicate.config import load_settings
from syndicate.files import atomic_write
from syndicate.posts import parse_file, post_files
from syndicate.site.plan import HISTORY_PAGE, SitePlan

from .corpus import ensure_posts


def measure(folder: Path, output: Path) -> dict[str, float]:
    """CPU seconds of each kind of essential work over every post under `folder`."""
    settings = load_settings(overrides={"posts": folder, "output": output}, environ={})
    files = [Path(path) for path, _, _ in post_files(folder)]
    started = time.process_time()
    posts = [parsed.post for parsed in (parse_file(path, UTC) for path in files) if parsed.post]
    figures = {"parse": time.process_time() - started}
    plan = SitePlan(settings, posts, previous_keys={})
    writing = 0.0
    started = time.process_time()
    for post in plan.posts:
        writing += write_all(output, plan.post_files(post))
    figures["post_files"] = time.process_time() - started - writing
    started, written_before = time.process_time(), writing
    pages = plan.paging().pages
    for number, page in enumerate(pages):
        unit = (HISTORY_PAGE, number)
        writing += write_all(output, plan.render(unit, plan.unit_posts(unit), page))
    figures["archive_pages"] = time.process_time() - started - (writing - written_before)
    figures["writing"] = writing
    return figures


def write_all(output: Path, files: dict[str, bytes]) -> float:
    """Write the files as a build does (each atomically, beside its target); the CPU it took."""
    started = time.process_time()
    for path, data in files.items():
        atomic_write(output / path, data)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.floor", description=__doc__)
    parser.add_argument("--size", type=int, default=10000, help="posts in the corpus [10000]")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed [1]")
    parser.add_argument("--hugo-seconds", type=float, help="Hugo's full build of the corpus")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "syndicate-bench",
        help="where the benchmark caches its corpora [$TMPDIR/syndicate-bench]",
    )
    options = parser.parse_args()
    folder = ensure_posts(options.workdir, size=options.size, seed=options.seed)
    with tempfile.TemporaryDirectory() as output:
        figures = measure(folder, Path(output))
    total = sum(figures.values())
    cores = os.cpu_count() or 1
    parts = ", ".join(f"{name.replace('_', ' ')} {cpu:.1f}" for name, cpu in figures.items())
    print(f"{options.size} posts: {parts}; total {total:.1f} CPU-s")
    print(f"on {cores} cores no build can take less than {total / cores:.1f} s")
    if options.hugo_seconds:
        ratio = total / cores / options.hugo_seconds
        print(f"that is {ratio:.2f}x Hugo's {options.hugo_seconds:.2f} s (target: within 1.5x)")


if __name__ == "__main__":
    main()
