"""Build timings, both tools on the same posts: from nothing, with nothing changed, after a body
edit, a title edit, a comment added and a post added; and syndicate from nothing again with its
post cache warm. Whole processes, `repeat` runs of each step, each run in a fresh folder.

Hugo has no incremental build: each of its steps is a whole build into the same output folder,
of the posts as they are after the change (its content folder is the posts folder syndicate
builds). Each step runs syndicate then Hugo, after the change is made once for both, and after
`sync`, so no step pays for writing back what the one before it wrote. After every step the
output folder is compared with what it held before: the files and bytes each tool wrote.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import corpus, hugo
from .commands import clean_env, syndicate_command
from .folders import discard, fresh_dir
from .load import busy_seconds
from .outputs import OutputFigures, compare, snapshot
from .procs import ProcessRun, checked, run_process

CHANGES = (
    "no_change",
    "body_edit",
    "title_edit",
    "date_edit",
    "tag_edit",
    "comment_added",
    "comment_removed",
    "post_added",
    "post_deleted",
)
STEPS = ("full", *CHANGES)  # both tools, in this order
SYNDICATE_STEPS = (*STEPS, "full_warm_cache")
BASE_URL = "http://localhost:8000/"
REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Summary:
    """The median of several runs of one step, and every run's time."""

    seconds: float
    peak_rss_mb: float
    tree_peak_rss_mb: float  # sum of RSS over the process tree (shared pages counted per process)
    tree_peak_pss_mb: float  # sum of PSS: what the tree really holds (see procs.py)
    samples: list[float]
    last_output: str
    cpu_seconds: float = 0.0  # user + system time of the process and its workers (see procs.py)
    output: OutputFigures | None = None  # what the step left and wrote (the last run's)
    others_cores: float = 0.0  # CPUs the rest of the machine kept busy meanwhile (load.py)

    @property
    def peak_mb(self) -> float:
        return max(self.peak_rss_mb, self.tree_peak_pss_mb)

    @property
    def least(self) -> float:
        return min(self.samples)

    @property
    def most(self) -> float:
        return max(self.samples)


@dataclass(frozen=True)
class StepRun:
    process: ProcessRun
    output: OutputFigures | None = None
    others_cpu_seconds: float = 0.0  # what other processes used while it ran


@dataclass
class BuildFigures:
    size: int
    posts_bytes: int
    syndicate: dict[str, Summary] = field(default_factory=dict)
    hugo: dict[str, Summary] = field(default_factory=dict)
    floor: Summary | None = None  # the library floor's CPU seconds (floor.py), in `seconds`
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def summarize(runs: list[StepRun]) -> Summary:
    processes = [run.process for run in runs]
    return Summary(
        seconds=statistics.median(run.seconds for run in processes),
        peak_rss_mb=statistics.median(run.peak_rss_mb for run in processes),
        tree_peak_rss_mb=statistics.median(run.tree_peak_rss_mb for run in processes),
        tree_peak_pss_mb=statistics.median(run.tree_peak_pss_mb for run in processes),
        samples=[round(run.seconds, 4) for run in processes],
        last_output=(processes[-1].stdout.strip() or processes[-1].stderr.strip())[-500:],
        cpu_seconds=statistics.median(run.cpu_seconds for run in processes),
        output=runs[-1].output,
        others_cores=statistics.median(
            run.others_cpu_seconds / run.process.seconds for run in runs
        ),
    )


def measure_builds(
    workdir: Path,
    *,
    size: int,
    seed: int,
    repeat: int,
    hugo_version: str | None,
    log: Callable[[str], None],
    floor: bool = True,
) -> BuildFigures:
    """Every build step for one corpus size; Hugo too when `hugo_version` is given; the
    library floor (floor.py) with `floor`."""
    log(f"corpus n={size} seed={seed} (generated once, then cached in {workdir})")
    posts = corpus.ensure_posts(workdir, size=size, seed=seed)
    figures = BuildFigures(size, sum(path.stat().st_size for path in corpus.post_paths(posts)))
    runs: dict[str, list[StepRun]] = {}
    for number in range(repeat):
        run_dir = fresh_dir(workdir, workdir / "runs" / f"build-n{size}-{number}")
        try:
            log(f"build n={size} run {number + 1}/{repeat}")
            one_run(runs, posts, run_dir, seed=seed, size=size, hugo_version=hugo_version)
        finally:
            discard(workdir, run_dir)  # deleted when the benchmark ends (folders.py)
    figures.syndicate = {step: summarize(runs[f"syndicate.{step}"]) for step in SYNDICATE_STEPS}
    if hugo_version:
        figures.hugo = {step: summarize(runs[f"hugo.{step}"]) for step in STEPS}
    if floor:
        log(f"library floor n={size} ({repeat} runs)")
        figures.floor = measure_floor(workdir, size=size, seed=seed, repeat=repeat)
    return figures


def measure_floor(workdir: Path, *, size: int, seed: int, repeat: int) -> Summary:
    """floor.py in its own process, `repeat` times; its in-process CPU sum is the figure
    (`seconds` and `samples` hold CPU seconds), its process's own time beside it."""
    runs, totals = [], []
    for number in range(repeat):
        run_dir = fresh_dir(workdir, workdir / "runs" / f"floor-n{size}-{number}")
        try:
            figures = run_dir / "floor.json"
            command = [sys.executable, "-m", "tests.bench.floor", "--size", str(size)]
            command += ["--seed", str(seed), "--workdir", str(workdir)]
            command += ["--output", str(run_dir / "out"), "--json", str(figures)]
            env = clean_env(run_dir)
            runs.append(timed(command, env, REPOSITORY, run_dir / "out", "library floor"))
            totals.append(json.loads(figures.read_text(encoding="utf-8"))["total"])
        finally:
            discard(workdir, run_dir)
    process = summarize(runs)
    return Summary(
        seconds=statistics.median(totals),
        peak_rss_mb=process.peak_rss_mb,
        tree_peak_rss_mb=process.tree_peak_rss_mb,
        tree_peak_pss_mb=process.tree_peak_pss_mb,
        samples=[round(total, 3) for total in totals],
        last_output=process.last_output,
        cpu_seconds=process.cpu_seconds,
        output=process.output,
        others_cores=process.others_cores,
    )


def one_run(
    runs: dict[str, list[StepRun]],
    cached_posts: Path,
    run_dir: Path,
    *,
    seed: int,
    size: int,
    hugo_version: str | None,
) -> None:
    """Every step once: the change, syndicate's build, Hugo's; then syndicate's warm full build."""
    content = run_dir / "content"
    posts = corpus.linked_copy(cached_posts, content / "posts")
    env = clean_env(run_dir)
    site = (
        hugo.make_site(run_dir / "hugo-site", version_line=hugo_version) if hugo_version else None
    )
    output = run_dir / "syndicate-out"

    def syndicate(step: str, folder: Path = output) -> StepRun:
        command = [*syndicate_command(), "build", str(posts), "-o", str(folder)]
        command += ["--base-url", BASE_URL]
        return timed(command, env, run_dir, folder, f"syndicate build ({step})")

    for step in STEPS:
        make_change(step, posts, seed=seed, size=size)
        runs.setdefault(f"syndicate.{step}", []).append(syndicate(step))
        if site is not None:
            command = hugo.build_command(site, content, run_dir / "hugo-out")
            hugo_run = timed(command, env, run_dir, run_dir / "hugo-out", f"hugo ({step})")
            runs.setdefault(f"hugo.{step}", []).append(hugo_run)
    # From nothing into a new folder, with the parsed-post cache the runs above left: what a
    # rebuild after `rm -rf feeds/` costs (reported beside the cold figure, not instead of it).
    again = syndicate("full_warm_cache", run_dir / "syndicate-out-again")
    runs.setdefault("syndicate.full_warm_cache", []).append(again)


def make_change(step: str, posts: Path, *, seed: int, size: int) -> None:
    """The change a step builds after; each touches a different post in the middle of the list
    (posts sorted by file name: by title, so anywhere in date order)."""
    paths = corpus.post_paths(posts)
    if step == "body_edit":
        corpus.append_sentence(paths[size // 2], "This sentence was added by the benchmark.")
    elif step == "title_edit":
        corpus.retitle(paths[size // 3], "A Title Changed By The Benchmark")
    elif step == "date_edit":  # a post moved to a day in the middle of the site's years
        corpus.set_field(paths[size // 5], "date", "2021-03-15T09:30:00+00:00")
    elif step == "tag_edit":
        corpus.set_field(paths[size // 6], "tags", ["benchmark-tag", *corpus.TAGS[:1]])
    elif step == "comment_added":
        body = "A comment added by the benchmark, the newest on the site."
        corpus.add_comment(paths[size // 4], author="Bench Mark", body=body)
    elif step == "comment_removed":  # the comment just added goes again
        corpus.remove_last_comment(paths[size // 4])
    elif step == "post_added":
        corpus.write_post(posts, corpus.generate_post(seed, size, newest=True))
    elif step == "post_deleted":  # one in the middle of the lists
        paths[size // 7].unlink()


def timed(command: list[str], env: dict[str, str], cwd: Path, output: Path, what: str) -> StepRun:
    """One timed process, after `sync`; what it wrote into `output`, compared after it."""
    before = snapshot(output)
    os.sync()
    busy = busy_seconds()
    run = checked(run_process(command, env=env, cwd=cwd), what)
    others = max(0.0, busy_seconds() - busy - run.cpu_seconds)
    return StepRun(run, compare(before, snapshot(output)), others)


def measure_startup(workdir: Path, *, repeat: int) -> Summary:
    """`syndicate --version`: the interpreter and imports, the floor under every build time."""
    run_dir = fresh_dir(workdir, workdir / "runs" / "startup")
    env = clean_env(run_dir)
    command = [*syndicate_command(), "--version"]
    try:
        runs = [
            StepRun(checked(run_process(command, env=env, cwd=run_dir), "syndicate --version"))
            for _ in range(repeat)
        ]
    finally:
        discard(workdir, run_dir)
    return summarize(runs)
