"""The progress bar of `ftqa check` on stderr, for runs expected to take more than about two
seconds, and only on a terminal.

The engine reports bytes read every few thousand rows. At each report the run's duration is
estimated from the time and bytes so far (start-up included, so the estimate errs long); the
bar appears as soon as that estimate passes `SHOW_AFTER_SECONDS`, whatever the file's size.
It never appears when stderr is not a terminal or with `--quiet`, and it is transient: it is
cleared before the report is written, so it never mixes with JSON or SARIF on stdout.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from ftqa.load import Source

SHOW_AFTER_SECONDS = 2.0


def expected_seconds(elapsed: float, done: int, total: int) -> float:
    """The whole run's expected duration after `elapsed` seconds and `done` of `total` bytes."""
    if done <= 0:
        return elapsed
    return elapsed * max(total, done) / done


class ProgressBar:
    """Shown once a run is expected to last more than `SHOW_AFTER_SECONDS`, on a terminal."""

    def __init__(
        self,
        paths: Sequence[str],
        quiet: bool,
        clock: Callable[[], float] = time.perf_counter,
        terminal: bool | None = None,
    ) -> None:
        total = 0
        for path in paths:
            try:
                total += os.stat(path).st_size
            except OSError:
                continue
        self.total = total
        self._clock = clock
        self._start = clock()
        on_terminal = sys.stderr.isatty() if terminal is None else terminal
        self.enabled = not quiet and on_terminal and total > 0
        self.shown = False
        self._bar: Any = None
        self._task: Any = None
        self._done: dict[str, int] = {}

    def update(self, source: Source, bytes_read: int) -> None:
        if not self.enabled:
            return
        self._done[source.path] = bytes_read
        done = sum(self._done.values())
        if self._bar is None:
            elapsed = self._clock() - self._start
            if expected_seconds(elapsed, done, self.total) <= SHOW_AFTER_SECONDS:
                return
            self._show()
        self._bar.update(self._task, completed=done)

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("checking", total=self.total)
        self.shown = True

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
