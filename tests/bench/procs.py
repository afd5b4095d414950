"""Timing one whole process: wall time, the child's own peak RSS (os.wait4), and the peak memory
and CPU time of its whole process tree sampled from /proc (worker processes are not in the
child's rusage).

The tree is measured twice: as the sum of each process's RSS, which counts a page that forked
workers share copy-on-write with their parent once per process, and as the sum of each one's PSS
(proportional set size: a shared page divided among its sharers), which is the memory the tree
really holds. A build's workers are forked from a parent holding every post: summed RSS counts
those posts three times over."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

SAMPLE_SECONDS = 0.05
PSS_EVERY = 5  # samples: PSS makes the kernel walk page tables, so it is read every 0.25 s
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ProcessRun:
    seconds: float
    cpu_seconds: float  # user + system time of the child and of its workers (workers_cpu_seconds)
    workers_cpu_seconds: float  # of the child's descendants, sampled (see TreeSampler)
    peak_rss_mb: float  # the child alone, from the kernel (ru_maxrss)
    tree_peak_rss_mb: float  # the child and its descendants together, sampled: sum of RSS
    tree_peak_pss_mb: float  # the same, sum of PSS (shared pages counted once)
    returncode: int
    stdout: str
    stderr: str

    @property
    def peak_mb(self) -> float:
        return max(self.peak_rss_mb, self.tree_peak_pss_mb)


class BenchError(RuntimeError):
    """A measured command failed: the figures it would have given do not exist."""


def run_process(
    command: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 3600.0
) -> ProcessRun:
    """Run `command` to completion and measure it; output goes to files, never a full pipe."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=dict(env), cwd=cwd, stdout=out, stderr=err)
        sampler = TreeSampler(child.pid)
        sampler.start()
        status, usage = _wait(child, timeout)
        seconds = time.perf_counter() - started
        sampler.stop()
        return ProcessRun(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime + sampler.descendants_cpu_seconds,
            workers_cpu_seconds=sampler.descendants_cpu_seconds,
            peak_rss_mb=usage.ru_maxrss / 1024,
            tree_peak_rss_mb=sampler.peak_kb / 1024,
            tree_peak_pss_mb=sampler.peak_pss_kb / 1024,
            returncode=status,
            stdout=_read(out),
            stderr=_read(err),
        )


def checked(run: ProcessRun, what: str) -> ProcessRun:
    if run.returncode != 0:
        tail = "\n".join(run.stderr.strip().splitlines()[-8:])
        raise BenchError(f"{what}: exit status {run.returncode}\n{tail}")
    return run


def _wait(child: subprocess.Popen[bytes], timeout: float) -> tuple[int, resource.struct_rusage]:
    """os.wait4 gives this child's own rusage; a watchdog kills it after `timeout` seconds."""
    watchdog = threading.Timer(timeout, child.kill)
    watchdog.start()
    try:
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        watchdog.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage


def _read(handle: IO[bytes]) -> str:
    handle.seek(0)
    return handle.read().decode("utf-8", "replace")


class TreeSampler(threading.Thread):
    """Sums RSS (and every PSS_EVERY samples, PSS) over a process and its descendants every
    SAMPLE_SECONDS; keeps the peaks. Also keeps each descendant's CPU time as last seen: the
    workers come from a forkserver, which reaps them, so their time is in no rusage the harness
    can read. What a worker spends after its last sample (at most SAMPLE_SECONDS) is missed."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self.cpu_ticks: dict[int, int] = {}  # descendant pid -> user + system clock ticks
        self._stopped = threading.Event()

    @property
    def descendants_cpu_seconds(self) -> float:
        return sum(self.cpu_ticks.values()) / CLOCK_TICKS

    def run(self) -> None:
        sample = 0
        while not self._stopped.is_set():
            tree = _tree(self.pid) if sys.platform.startswith("linux") else []
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(each) for each in tree))
            if sample % PSS_EVERY == 0:
                self.peak_pss_kb = max(self.peak_pss_kb, sum(_pss_kb(each) for each in tree))
            for descendant in tree[1:]:
                ticks = _cpu_ticks(descendant)
                if ticks is not None:
                    self.cpu_ticks[descendant] = max(ticks, self.cpu_ticks.get(descendant, 0))
            sample += 1
            self._stopped.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def _tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending += _children(current)
    return found


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                children += [int(each) for each in handle.read().split()]
    except OSError:
        return children
    return children


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_ticks(pid: int) -> int | None:
    """utime + stime of one process, in clock ticks (proc(5): fields 14 and 15 of its stat)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()  # the name may hold spaces
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def _pss_kb(pid: int) -> int:
    """Proportional set size (Linux 4.14+); the RSS where the kernel does not give it."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return _rss_kb(pid)
