"""The benchmark harness end to end on tiny sizes (`pytest -m benchmark`, not the default run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.benchmark
def test_the_harness_measures_and_writes_the_figures(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    command = [
        sys.executable,
        "-m",
        "tests.bench",
        "--sizes",
        "50",
        "--feeds",
        "5",
        "--archive-sizes",
        "200,400",
        "--versus-reader",
        "12",
        "--repeat",
        "1",
        "--skip-hugo",
        "--workdir",
        str(tmp_path / "work"),
        "--json",
        str(results),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)

    assert done.returncode == 0, done.stderr
    assert "full build" in done.stdout and "merge per new entry" in done.stdout
    figures = json.loads(results.read_text(encoding="utf-8"))
    assert {
        "schema",
        "machine",
        "options",
        "startup",
        "builds",
        "fetch",
        "merge",
        "versus_reader",
        "rows",
    } <= set(figures)
    assert figures["errors"] == []
    assert {"nproc", "python", "syndicate", "hugo", "date"} <= set(figures["machine"])
    assert figures["machine"]["hugo"] is None  # --skip-hugo

    (build,) = figures["builds"]
    assert build["size"] == 50 and build["hugo"] == {}
    for step in ("full", "no_change", "one_edit", "one_added"):
        assert build["syndicate"][step]["seconds"] > 0
        assert build["syndicate"][step]["peak_rss_mb"] > 0
    assert "built 51 posts" in build["syndicate"]["one_added"]["last_output"]

    (fetch,) = figures["fetch"]
    assert fetch["feeds"] == 5 and set(fetch["runs"]) == {"1", "8"}
    for run in fetch["runs"].values():
        assert run["seconds"] > 0 and run["new_entries"] == 100
        assert run["store_share"] is not None

    (versus,) = figures["versus_reader"]
    assert versus["feeds"] == 12 and len(versus["styles"]) == 6  # every style of feed
    assert versus["syndicate_entries"] == versus["reader_entries"] == 240
    assert len(versus["syndicate"]["samples"]) == len(versus["reader"]["samples"]) == 1

    assert [each["archive_entries"] for each in figures["merge"]] == [200, 400]
    assert all(each["ms_per_entry"] > 0 for each in figures["merge"])
    measurements = {row["measurement"] for row in figures["rows"]}
    assert {"full build", "no-change rebuild", "one-edit rebuild", "fetch --jobs 8"} <= measurements


@pytest.mark.benchmark
def test_the_floor_measures_the_essential_work(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "tests.bench.floor",
        "--size",
        "50",
        "--hugo-seconds",
        "0.5",
        "--workdir",
        str(tmp_path / "work"),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    first, second, third = done.stdout.splitlines()
    assert first.startswith("50 posts: parse ") and "archive pages" in first
    assert second.startswith("on ") and third.endswith("(target: within 1.5x)")
