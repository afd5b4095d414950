"""`python -m tests.bench`: measure, print one table, write the figures as JSON (and a plot)."""

from __future__ import annotations

import argparse
import compileall
import functools
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from . import feeds, hugo, merge_cost, report, report_builds, runner, versus_reader
from .commands import syndicate_version
from .folders import empty_trash
from .procs import BenchError

REPOSITORY = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def sizes(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas: {text!r}"
        ) from None
    if any(value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"sizes must be positive: {text!r}")
    return values


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    add = parser.add_argument
    add("--sizes", type=sizes, default=[3000, 10000], help="posts per corpus [3000,10000]")
    add("--repeat", type=int, default=3, help="runs per measurement; the median is reported [3]")
    add("--feeds", type=sizes, default=[100, 1000], help="loopback feeds to fetch [100,1000]")
    add(
        "--archive-sizes",
        type=sizes,
        default=[10000],
        help="archived entries before the merge-cost batch [10000]",
    )
    add("--skip-hugo", action="store_true", help="do not run Hugo")
    add("--skip-floor", action="store_true", help="do not measure the library floor (floor.py)")
    add("--skip-fetch", action="store_true", help="do not fetch the loopback feeds")
    add("--skip-merge", action="store_true", help="do not measure the merge cost per entry")
    add(
        "--versus-reader",
        type=sizes,
        default=[],
        metavar="FEEDS",
        help="also fetch this many varied loopback feeds (RSS, Atom, JSON Feed, charsets, "
        "entities) with syndicate and with the reader library, taking turns [none]",
    )
    add(
        "--fetch-hosts",
        type=int,
        default=1,
        help="spread the feeds over 127.0.0.1..127.0.0.N (2 connections a host) [1]",
    )
    add("--seed", type=int, default=1, help="corpus seed [1]")
    add(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "syndicate-bench",
        help="corpora cached by size+seed, and the runs [$TMPDIR/syndicate-bench]",
    )
    add("--json", type=Path, default=Path("bench-results.json"), help="[bench-results.json]")
    add("--plot", type=Path, help="also draw the timings into this image (needs matplotlib)")
    options = parser.parse_args(argv)
    if options.repeat < 1 or not 1 <= options.fetch_hosts <= 254:
        parser.error("--repeat must be at least 1 and --fetch-hosts between 1 and 254")
    return options


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine(hugo_line: str | None) -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": _first_line_with("/proc/cpuinfo", "model name"),
        "memory": _first_line_with("/proc/meminfo", "MemTotal"),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "syndicate": syndicate_version(),
        "hugo": hugo_line,
        "git": _git_revision(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _first_line_with(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            found = next((line for line in handle if line.startswith(key)), None)
    except OSError:
        return None
    return found.split(":", 1)[1].strip() if found else None


def _git_revision() -> str | None:
    def git(*args: str) -> str:
        command = ["git", "-C", str(REPOSITORY), *args]
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--", "syndicate"))
    return f"{commit}{' (syndicate/ modified)' if dirty else ''}" if commit else None


def attempt(what: str, measure: Callable[[], T], errors: list[str]) -> T | None:
    """Run one measurement; a failure is reported in the table, not fatal to the others."""
    try:
        return measure()
    except BenchError as error:
        message = str(error)
    except Exception as error:  # a crash in syndicate's API or in the harness: keep going
        traceback.print_exc()
        message = f"{type(error).__name__}: {error}"
    log(f"FAILED {what}: {message}")
    errors.append(f"{what}: {message.splitlines()[0] if message else ''}")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    workdir: Path = options.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    hugo_line = None if options.skip_hugo else hugo.hugo_version()
    errors: list[str] = []
    rows: list[report.Row] = []
    results: dict[str, Any] = {
        "schema": 2,
        "machine": machine(hugo_line),
        "options": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(options).items()
        },
    }
    empty_trash(workdir, settle=True, log=log)  # an earlier benchmark's, if it was stopped
    compile_bytecode()
    results["startup"] = run_startup(options, workdir, rows, errors)
    results["builds"] = run_builds(options, workdir, hugo_line, rows, errors)
    results["fetch"] = [] if options.skip_fetch else run_fetches(options, workdir, rows, errors)
    results["merge"] = [] if options.skip_merge else run_merges(options, workdir, rows, errors)
    results["versus_reader"] = run_versus_reader(options, workdir, rows, errors)
    results["errors"] = errors
    empty_trash(workdir, settle=False, log=log)
    remarks = remarks_for(options, hugo_line, errors)
    print(report.table(rows, remarks=remarks))
    report.write_json(options.json, results, rows)
    log(f"figures written to {options.json}")
    if options.plot:
        drawn = report.write_plot(options.plot, rows)
        log(f"plot written to {options.plot}" if drawn else "no plot: matplotlib is not installed")
    return 1 if errors else 0


def compile_bytecode() -> None:
    """Compile syndicate's modules once, as pip does when it installs a package. An editable
    install run with PYTHONDONTWRITEBYTECODE=1 (as on this project's machine) would compile
    them again in every timed process, which no installed syndicate does."""
    import syndicate

    compileall.compile_dir(Path(syndicate.__file__).parent, quiet=1)


def run_startup(
    options: argparse.Namespace, workdir: Path, rows: list[report.Row], errors: list[str]
) -> dict[str, Any] | None:
    log("start-up: syndicate --version")
    measure = functools.partial(runner.measure_startup, workdir, repeat=options.repeat)
    startup = attempt("start-up", measure, errors)
    rows.append(report.startup_row(startup))
    return asdict(startup) if startup else None


def run_builds(
    options: argparse.Namespace,
    workdir: Path,
    hugo_line: str | None,
    rows: list[report.Row],
    errors: list[str],
) -> list[dict[str, Any]]:
    figures = []
    for size in options.sizes:
        measure = functools.partial(
            runner.measure_builds,
            workdir,
            size=size,
            seed=options.seed,
            repeat=options.repeat,
            hugo_version=hugo_line,
            log=log,
            floor=not options.skip_floor,
        )
        measured = attempt(f"build n={size}", measure, errors)
        each = measured or runner.BuildFigures(size, 0, error=errors[-1] if errors else "failed")
        rows += report_builds.build_rows(each)
        figures.append(each.as_json())
    return figures


def run_fetches(
    options: argparse.Namespace, workdir: Path, rows: list[report.Row], errors: list[str]
) -> list[dict[str, Any]]:
    figures = []
    for count in options.feeds:
        measure = functools.partial(
            feeds.measure_fetch,
            workdir,
            feeds=count,
            seed=options.seed,
            repeat=options.repeat,
            hosts=options.fetch_hosts,
            log=log,
        )
        measured = attempt(f"fetch k={count}", measure, errors)
        each = measured or feeds.FetchFigures(count, 0, 0, options.fetch_hosts, error=errors[-1])
        rows += report.fetch_rows(each)
        figures.append(each.as_json())
    return figures


def run_versus_reader(
    options: argparse.Namespace, workdir: Path, rows: list[report.Row], errors: list[str]
) -> list[dict[str, Any]]:
    figures = []
    for count in options.versus_reader:
        measure = functools.partial(
            versus_reader.measure_versus_reader,
            workdir,
            feeds=count,
            seed=options.seed,
            repeat=options.repeat,
            hosts=options.fetch_hosts,
            log=log,
        )
        measured = attempt(f"versus reader k={count}", measure, errors)
        each = measured or versus_reader.VersusReader(
            count, 0, options.fetch_hosts, error=errors[-1] if errors else "failed"
        )
        rows.append(report.versus_reader_row(each))
        figures.append(each.as_json())
    return figures


def run_merges(
    options: argparse.Namespace, workdir: Path, rows: list[report.Row], errors: list[str]
) -> list[dict[str, Any]]:
    measured = []
    for entries in options.archive_sizes:
        measure = functools.partial(
            merge_cost.measure_merge,
            workdir,
            entries=entries,
            seed=options.seed,
            repeat=options.repeat,
            log=log,
        )
        result = attempt(f"merge n={entries}", measure, errors)
        if result is None:
            rows.append(report.Row("merge per new entry", entries, None, notes="FAILED"))
        else:
            measured.append(result)
    rows += report.merge_rows(measured)
    return [each.as_json() for each in measured]


def remarks_for(options: argparse.Namespace, hugo_line: str | None, errors: list[str]) -> list[str]:
    remarks = [
        "ratio = syndicate / Hugo (below 1: syndicate is faster). Hugo does the same work (hugo.py:"
        " every page, feed and list syndicate writes) and has no incremental build: each of its"
        " rows is a whole build into the same folder of the posts after the same change",
        "written = files (f) and bytes each tool wrote in the step; the full build's notes compare"
        " the two output folders",
        "targets: full build at 10k posts, the changes at 3k and 10k, memory at 100k, 1,000"
        " feeds, a 100k archive; (yes)/(no) at other sizes is an indication only",
        f"median of {options.repeat} run(s) (min/median/max in the notes); peak memory = max of"
        " the process's own peak RSS and its process tree's summed PSS (pages the workers share"
        " counted once); others' load = CPUs other processes kept busy during the step",
    ]
    if options.skip_hugo:
        remarks.append("Hugo not run (--skip-hugo)")
    elif hugo_line is None:
        remarks.append("Hugo not run: `hugo` is not on PATH (apt-get install hugo)")
    if not options.skip_fetch and options.fetch_hosts == 1:
        remarks.append(
            "fetch: every feed is on 127.0.0.1 and syndicate allows 2 connections per host, so "
            "--jobs 8 downloads 2 at a time (--fetch-hosts 8 spreads them)"
        )
    remarks += [f"FAILED {error}" for error in errors]
    return remarks


if __name__ == "__main__":
    sys.exit(main())
