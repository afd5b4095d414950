"""How busy the rest of the machine was while a step ran: the CPU time every process used
(/proc/stat), less the measured process tree's own. The machine is shared; a step that ran
beside someone's test suite says so in the table."""

from __future__ import annotations

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
BUSY_FIELDS = (1, 2, 3, 6, 7, 8)  # user nice system irq softirq steal (not idle, not iowait)


def busy_seconds() -> float:
    """CPU seconds all processes have used since boot (0 where /proc/stat is missing)."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
    except OSError:
        return 0.0
    return sum(int(fields[index]) for index in BUSY_FIELDS) / CLOCK_TICKS
