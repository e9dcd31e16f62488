"""The progress bar of `ftqa check` on stderr, for large inputs and only on a terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ftqa.load import Source

PROGRESS_MIN_BYTES = 4 << 20


class ProgressBar:
    """A progress bar on stderr for large inputs, only when stderr is a terminal."""

    def __init__(self, paths: Sequence[str], quiet: bool) -> None:
        total = 0
        for path in paths:
            try:
                total += os.stat(path).st_size
            except OSError:
                continue
        self.total = total
        self.enabled = not quiet and sys.stderr.isatty() and total >= PROGRESS_MIN_BYTES
        self._bar = None
        self._task = None
        self._done: dict[str, int] = {}
        if self.enabled:
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
            self._task = self._bar.add_task("checking", total=total)

    def update(self, source: Source, bytes_read: int) -> None:
        if self._bar is None or self._task is None:
            return
        self._done[source.path] = bytes_read
        self._bar.update(self._task, completed=sum(self._done.values()))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
