"""Cyclic garbage collection around a run's hot loops.

A run makes millions of short-lived objects (records, features, results) that hold no reference
cycles and die by reference counting. Left on, the collector starts a collection every 700 of
them and walks every young object each time: on 100,000 warm generator rows, 4 of the local
executor's 14.5 s. So a run pauses automatic collection (`paused`) and collects its young
objects once per block of rows instead (`collect_young`): cycles a checker makes still go,
a block at a time.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collections in the block. After it, what the run froze out of reach
    (`out_of_collection`) is handed back to the collector, unless the caller had frozen objects
    of its own; no full collection is forced (it would walk a long-lived caller's whole heap,
    a test suite's or a notebook's, on every run)."""
    enabled = gc.isenabled()
    frozen_before = gc.get_freeze_count()
    gc.disable()
    try:
        yield
    finally:
        if frozen_before == 0:
            gc.unfreeze()
        if enabled:
            gc.enable()


def collect_young() -> None:
    """Collect the objects made since the last collection (and not those before): the cost
    follows what one block of rows left alive, not the whole run."""
    if not gc.isenabled():
        gc.collect(1)


@contextlib.contextmanager
def out_of_collection() -> Iterator[None]:
    """Make what the block creates invisible to cyclic garbage collection.

    Reading a chunk's results back makes hundreds of thousands of fresh objects; each of them
    would count towards collections that walk them and every object of the run's reduce side
    again (measured: ten times the reading itself). They hold no reference cycles, and
    reference counting frees them once reduced, so they are moved out of the collector's reach
    (`gc.freeze`) before it runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
