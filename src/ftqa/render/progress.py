"""The progress bar of `ftqa check` on stderr, for runs expected to take more than about two
seconds, and only on a terminal.

The engine reports bytes read every few thousand rows. At each report the run's duration is
estimated from the time and bytes so far (start-up included, so the estimate errs long); the
bar appears as soon as that estimate passes `SHOW_AFTER_SECONDS`, whatever the file's size.
A timer also shows it once the run has lasted `SHOW_AFTER_SECONDS` with no bar yet: a file
whose rows are slow to check reports nothing before its first few thousand rows are done, and
the dataset-wide step after the last row (contradictions, near-duplicates) reports no bytes.
It never appears when stderr is not a terminal or with `--quiet`, and it is transient: it is
cleared before the report is written, so it never mixes with JSON or SARIF on stdout.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ftqa.load import Source

SHOW_AFTER_SECONDS = 2.0
READING = "checking rows"
DATASET_WIDE = "dataset-wide checks"


def expected_seconds(elapsed: float, done: int, total: int) -> float:
    """The whole run's expected duration after `elapsed` seconds and `done` of `total` bytes."""
    if done <= 0:
        return elapsed
    return elapsed * max(total, done) / done


class ProgressBar:
    """Shown once a run is expected to last more than `show_after` seconds, or has lasted that
    long, on a terminal; `close` clears it (and stops the timer) before the report is written."""

    def __init__(
        self,
        paths: Sequence[str],
        quiet: bool,
        clock: Callable[[], float] = time.perf_counter,
        terminal: bool | None = None,
        show_after: float = SHOW_AFTER_SECONDS,
    ) -> None:
        total = 0
        for path in paths:
            try:
                total += os.stat(path).st_size
            except OSError:
                continue
        self.total = total
        self.show_after = show_after
        self._clock = clock
        self._start = clock()
        on_terminal = sys.stderr.isatty() if terminal is None else terminal
        # Sizes unknown (an hf:// dataset): the timer still shows a bar, without a total.
        self.enabled = not quiet and on_terminal
        self.shown = False
        self.closed = False
        self._bar: Any = None
        self._task: Any = None
        self._done: dict[str, int] = {}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        if self.enabled:
            self._timer = threading.Timer(show_after, self._on_time)
            self._timer.daemon = True
            self._timer.start()

    def update(self, source: Source, bytes_read: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._done[source.path] = bytes_read
            if self._bar is None:
                elapsed = self._clock() - self._start
                if self.closed or expected_seconds(elapsed, self._sum(), self.total) <= (
                    self.show_after
                ):
                    return
                self._show()
            self._refresh()

    def _on_time(self) -> None:
        with self._lock:
            if self.closed or self._bar is not None:
                return
            self._show()
            self._refresh()

    def _sum(self) -> int:
        return sum(self._done.values())

    def _refresh(self) -> None:
        done = self._sum()
        stage = DATASET_WIDE if self.total and done >= self.total else READING
        self._bar.update(self._task, completed=done, description=stage)

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            SpinnerColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            SpinnerColumn(),  # keeps turning through the dataset-wide step, which reports nothing
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(READING, total=self.total or None)
        self.shown = True

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
