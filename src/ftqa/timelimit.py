"""A time limit on each call into a checker (`checker-timeout`), so that a checker that never
returns is marked `failed` with `timed out` and the run still completes.

A watchdog thread watches the call in progress. When it has run past the limit, the thread
sends SIGALRM to the main thread, whose handler raises `CheckerTimedOut` inside the checker's
code; the engine catches it like any other checker failure and never calls that checker again.
The handler raises only while a checker call is in progress and only when the main thread is
in the checker's code, never in the engine's own bookkeeping between calls (it then waits for
the next poll). No interval timer is armed, so nothing else in the process sees a signal.

The limit needs the main thread and POSIX signals: a run started from another thread, or on
Windows, has no limit. A checker blocked inside native code that never returns to Python
cannot be interrupted either.
"""

from __future__ import annotations

import signal
import threading
import time
from types import CodeType, FrameType, TracebackType
from typing import Any

POLL_SECONDS = 1.0


class CheckerTimedOut(BaseException):
    """Raised inside a checker call that ran past the limit. A `BaseException`, so a
    checker's own `except Exception` does not swallow it."""


class CallTimer:
    """While the `with` block runs, any call bracketed by setting `since` to the call's start
    (`time.perf_counter()`) and back to None is interrupted after `seconds`.

    `own_code` holds the code objects of the caller's bookkeeping functions: the handler
    never raises while one of them is the running frame.
    """

    def __init__(self, seconds: float | None, own_code: frozenset[CodeType] = frozenset()) -> None:
        self.seconds = seconds if seconds else None
        self.since: float | None = None
        self._own = own_code
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: Any = None
        self._main = 0

    @property
    def enforced(self) -> bool:
        return self._thread is not None

    def __enter__(self) -> CallTimer:
        main = threading.main_thread()
        if (
            self.seconds is None
            or not hasattr(signal, "pthread_kill")
            or threading.current_thread() is not main
            or main.ident is None
        ):
            return self
        self._main = main.ident
        self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
        self._thread = threading.Thread(target=self._watch, name="ftqa-checker-timer", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.since = None
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        previous = self._previous if self._previous is not None else signal.SIG_DFL
        signal.signal(signal.SIGALRM, previous)

    def overdue(self) -> bool:
        since, seconds = self.since, self.seconds
        return since is not None and seconds is not None and time.perf_counter() - since > seconds

    def _watch(self) -> None:
        poll = min(POLL_SECONDS, (self.seconds or POLL_SECONDS) / 4)
        while not self._stop.wait(poll):
            if self.overdue():
                signal.pthread_kill(self._main, signal.SIGALRM)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if not self.overdue():
            return
        if frame is not None and frame.f_code in self._own:
            return  # in the caller's bookkeeping: the next poll tries again
        raise CheckerTimedOut(f"timed out after {self.seconds:g} s (checker-timeout)")
