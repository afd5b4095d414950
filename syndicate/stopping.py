"""SIGTERM and Ctrl-C during a fetch: finish what is stored, commit it, and stop.

The handler only raises a flag (`Stop.event`) that the fetch watches; a second signal acts as
if syndicate had not handled the first (the previous handlers are back)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass
class Stop:
    event: threading.Event = field(default_factory=threading.Event)
    signal_number: int | None = None

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signal_number).name if self.signal_number else "request"

    @property
    def exit_status(self) -> int:
        """128 + the signal's number, as a shell reports a process the signal ended."""
        return 128 + (self.signal_number or signal.SIGTERM)


@contextmanager
def stop_on_signals() -> Iterator[Stop]:
    """Turn SIGTERM and SIGINT into `Stop.event` for the block (only the main thread can)."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous: dict[int, object] = {}

    def handle(number: int, _frame: FrameType | None) -> None:
        stop.signal_number = number
        stop.event.set()
        for each, handler in previous.items():
            signal.signal(each, handler)  # type: ignore[arg-type]

    for stopping in STOPPING_SIGNALS:
        previous[stopping] = signal.signal(stopping, handle)
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
