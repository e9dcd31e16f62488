"""Keep Hugging Face libraries quiet and offline, and serialise model builds across processes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ftqa.semantic.paths import force_offline


def quiet_hugging_face() -> None:
    force_offline()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock, a rare double build is harmless
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def silenced(keep_stderr: bool = False) -> Iterator[None]:
    """Hide the load reports and warnings Hugging Face libraries print while loading."""
    import logging
    import warnings

    loggers = [logging.getLogger(n) for n in ("transformers", "sentence_transformers")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if keep_stderr:
            try:
                yield
            finally:
                for logger, level in zip(loggers, levels, strict=True):
                    logger.setLevel(level)
            return
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            try:
                with contextlib.redirect_stderr(sink):
                    yield
            finally:
                for logger, level in zip(loggers, levels, strict=True):
                    logger.setLevel(level)
