"""Build timings: `syndicate build` from nothing, with nothing changed, after one edit and after
one added post; Hugo from nothing and again. Whole processes, median of `repeat` runs, each run
in a fresh folder (fresh output, no archive, no cache)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import corpus, hugo
from .commands import clean_env, syndicate_command
from .folders import discard, fresh_dir
from .procs import ProcessRun, checked, run_process

SYNDICATE_STEPS = ("full", "no_change", "one_edit", "one_added", "full_warm_cache")
HUGO_STEPS = ("full", "rebuild")
BASE_URL = "http://localhost:8000/"


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

    @property
    def peak_mb(self) -> float:
        return max(self.peak_rss_mb, self.tree_peak_pss_mb)


@dataclass
class BuildFigures:
    size: int
    posts_bytes: int
    syndicate: dict[str, Summary] = field(default_factory=dict)
    hugo: dict[str, Summary] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def summarize(runs: list[ProcessRun]) -> Summary:
    return Summary(
        seconds=statistics.median(run.seconds for run in runs),
        peak_rss_mb=statistics.median(run.peak_rss_mb for run in runs),
        tree_peak_rss_mb=statistics.median(run.tree_peak_rss_mb for run in runs),
        tree_peak_pss_mb=statistics.median(run.tree_peak_pss_mb for run in runs),
        samples=[round(run.seconds, 4) for run in runs],
        last_output=(runs[-1].stdout.strip() or runs[-1].stderr.strip())[-500:],
        cpu_seconds=statistics.median(run.cpu_seconds for run in runs),
    )


def measure_builds(
    workdir: Path,
    *,
    size: int,
    seed: int,
    repeat: int,
    hugo_version: str | None,
    log: Callable[[str], None],
) -> BuildFigures:
    """Every build step for one corpus size; Hugo too when `hugo_version` is given."""
    log(f"corpus n={size} seed={seed} (generated once, then cached in {workdir})")
    posts = corpus.ensure_posts(workdir, size=size, seed=seed)
    site = (
        hugo.ensure_site(workdir, posts, size=size, seed=seed, version_line=hugo_version)
        if hugo_version
        else None
    )
    figures = BuildFigures(size, sum(path.stat().st_size for path in corpus.post_paths(posts)))
    runs: dict[str, list[ProcessRun]] = {}
    for number in range(repeat):
        run_dir = fresh_dir(workdir, workdir / "runs" / f"build-n{size}-{number}")
        try:
            log(f"build n={size} run {number + 1}/{repeat}: syndicate")
            collect(runs, "syndicate", syndicate_steps(posts, run_dir, seed=seed, size=size))
            if site is not None:
                log(f"build n={size} run {number + 1}/{repeat}: hugo")
                collect(runs, "hugo", hugo_steps(site, run_dir))
        finally:
            discard(workdir, run_dir)  # deleted when the benchmark ends (folders.py)
    figures.syndicate = {step: summarize(runs[f"syndicate.{step}"]) for step in SYNDICATE_STEPS}
    if site is not None:
        figures.hugo = {step: summarize(runs[f"hugo.{step}"]) for step in HUGO_STEPS}
    return figures


def collect(runs: dict[str, list[ProcessRun]], tool: str, steps: dict[str, ProcessRun]) -> None:
    for step, run in steps.items():
        runs.setdefault(f"{tool}.{step}", []).append(run)


def syndicate_steps(
    cached_posts: Path, run_dir: Path, *, seed: int, size: int
) -> dict[str, ProcessRun]:
    """From nothing, nothing changed, one post edited, one post added: in that order."""
    posts = corpus.linked_copy(cached_posts, run_dir / "posts")
    output = run_dir / "syndicate-out"
    env = clean_env(run_dir)

    def build(step: str, output: Path = output) -> ProcessRun:
        command = [*syndicate_command(), "build", str(posts), "-o", str(output)]
        command += ["--base-url", BASE_URL]
        return checked(run_process(command, env=env, cwd=run_dir), f"syndicate build ({step})")

    steps = {"full": build("full"), "no_change": build("no_change")}
    edited = corpus.post_paths(posts)[size // 2]
    corpus.append_sentence(edited, "This sentence was added by the benchmark's one-post edit.")
    steps["one_edit"] = build("one_edit")
    corpus.write_post(posts, corpus.generate_post(seed, size, newest=True))
    steps["one_added"] = build("one_added")
    # From nothing into a new folder, with the parsed-post cache the runs above left: what a
    # rebuild after `rm -rf feeds/` costs (reported beside the cold figure, not instead of it).
    steps["full_warm_cache"] = build("full_warm_cache", run_dir / "syndicate-out-again")
    return steps


def hugo_steps(site: Path, run_dir: Path) -> dict[str, ProcessRun]:
    """Hugo from nothing, then again into the same folder (it has no incremental build)."""
    output = run_dir / "hugo-out"
    env = clean_env(run_dir)
    command = hugo.build_command(site, output)
    full = checked(run_process(command, env=env, cwd=run_dir), "hugo (full)")
    rebuild = checked(run_process(command, env=env, cwd=run_dir), "hugo (rebuild)")
    return {"full": full, "rebuild": rebuild}


def measure_startup(workdir: Path, *, repeat: int) -> Summary:
    """`syndicate --version`: the interpreter and imports, the floor under every build time."""
    run_dir = fresh_dir(workdir, workdir / "runs" / "startup")
    env = clean_env(run_dir)
    command = [*syndicate_command(), "--version"]
    try:
        runs = [
            checked(run_process(command, env=env, cwd=run_dir), "syndicate --version")
            for _ in range(repeat)
        ]
    finally:
        discard(workdir, run_dir)
    return summarize(runs)
