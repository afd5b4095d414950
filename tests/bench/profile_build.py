"""`python -m tests.bench.profile_build`: one cold `syndicate build` of the benchmark's corpus.

Two ways: `cpu` (the default) runs the CLI as the benchmark does (its clean environment, a fresh
cache folder) and prints the CPU seconds of its process tree, to set beside the library floor's
(floor.py); `profile` runs the build in this process under cProfile, serially (one core: the
workers' share shows in the same profile), and prints the functions that cost the most.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
from pathlib import Path

from .commands import clean_env, syndicate_command
from .corpus import add_corpus_arguments, ensure_posts, linked_copy
from .folders import empty_trash, fresh_dir
from .procs import checked, run_process
from .runner import BASE_URL


def cold_cpu(workdir: Path, size: int, seed: int) -> None:
    """The build from nothing, as a process: wall and CPU seconds, its workers' share."""
    run_dir = fresh_dir(workdir, workdir / "runs" / f"profile-n{size}")
    posts = linked_copy(ensure_posts(workdir, size=size, seed=seed), run_dir / "content" / "posts")
    command = [*syndicate_command(), "build", str(posts), "-o", str(run_dir / "out")]
    command += ["--base-url", BASE_URL]
    run = checked(run_process(command, env=clean_env(run_dir), cwd=run_dir), "syndicate build")
    print(
        f"{size} posts: wall {run.seconds:.2f} s, CPU {run.cpu_seconds:.2f} s"
        f" (workers {run.workers_cpu_seconds:.2f} s), peak {run.peak_mb:.0f} MB"
    )


def cold_profile(workdir: Path, size: int, seed: int, stats_file: Path, top: int) -> None:
    """The build from nothing, in this process and on one core, under cProfile."""
    run_dir = fresh_dir(workdir, workdir / "runs" / f"profile-n{size}")
    posts = linked_copy(ensure_posts(workdir, size=size, seed=seed), run_dir / "content" / "posts")
    os.environ.update(clean_env(run_dir))
    os.cpu_count = lambda: 1  # serial: parsing and rendering in this process, profiled
    from syndicate.cli import cli

    profiler = cProfile.Profile()
    arguments = ["build", str(posts), "-o", str(run_dir / "out"), "--base-url", BASE_URL]
    profiler.enable()
    try:
        cli(arguments, prog_name="syndicate", standalone_mode=False)
    finally:  # a build that failed at its end (a bug elsewhere) still shows its profile
        profiler.disable()
        profiler.dump_stats(stats_file)
        print_profile(stats_file, top)


def print_profile(stats_file: Path, top: int) -> None:
    stats = pstats.Stats(str(stats_file), stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.profile_build", description=__doc__
    )
    parser.add_argument("mode", choices=("cpu", "profile"), nargs="?", default="cpu")
    add_corpus_arguments(parser)
    parser.add_argument("--stats", type=Path, default=Path("build.prof"), help="[build.prof]")
    parser.add_argument("--top", type=int, default=60, help="functions printed [60]")
    options = parser.parse_args(argv)
    empty_trash(options.workdir, settle=True, log=print)  # the last run's files (folders.py)
    if options.mode == "cpu":
        cold_cpu(options.workdir, options.size, options.seed)
    else:
        cold_profile(options.workdir, options.size, options.seed, options.stats, options.top)


if __name__ == "__main__":
    main()
