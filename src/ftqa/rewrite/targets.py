"""Where ftqa may write, and how: every file ftqa writes goes through `OutputFile`.

- A target that is one of the run's inputs (by path, through `..` or symlinks, or as a hard link to
  the same inode), a directory or an existing non-regular file (device, FIFO, socket) is refused
  before anything is read or written.
- Files are written under a temporary name in the target's directory, flushed and fsynced, then
  renamed over the target, so a reader never sees a partial file and a failed write (full disk,
  permission denied, SIGINT/SIGTERM) leaves the old target, or nothing, and no temporary file.
- The final file gets the mode a plain `open(path, "w")` would give it: the existing file's mode,
  or 0o666 minus the umask for a new file (not the 0600 of a temporary file).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from ftqa.errors import FtqaError


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def guard_target(
    target: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]], what: str
) -> Path:
    """Refuse a target that would overwrite an input or is not a regular file; returns it."""
    path = Path(target)
    name = os.fspath(target)
    real = os.path.realpath(name)
    identity = _identity(name)
    for source in inputs:
        source_name = os.fspath(source)
        if os.path.realpath(source_name) == real or (
            identity is not None and identity == _identity(source_name)
        ):
            raise FtqaError(
                f"{name}: refusing to write over the input {source_name}; give the {what} "
                "another name"
            )
    try:
        info = os.stat(name)
    except FileNotFoundError:
        return path
    except OSError as error:
        raise FtqaError(f"{name}: cannot write the {what} ({error.strerror or error})") from error
    if stat.S_ISDIR(info.st_mode):
        raise FtqaError(f"{name}: is a directory; give a file name for the {what}")
    if not stat.S_ISREG(info.st_mode):
        raise FtqaError(
            f"{name}: not a regular file (a device, FIFO or socket); refusing to replace it with "
            f"the {what} (to print it, leave out --output)"
        )
    return path


def _final_mode(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


class OutputFile:
    """A binary output written atomically (see the module docstring). Gzip-compressed when the
    target's name ends in `.gz`. Use as a context manager; the file appears only on success."""

    def __init__(
        self, path: str | os.PathLike[str], what: str = "output", make_parents: bool = False
    ) -> None:
        self.path = Path(path)
        self.what = what
        self.make_parents = make_parents
        self._raw: BinaryIO | None = None
        self._stream: BinaryIO | None = None
        self._temp: str | None = None

    def __enter__(self) -> BinaryIO:
        directory = self.path.parent
        try:
            if self.make_parents:
                directory.mkdir(parents=True, exist_ok=True)
            # The name ends like the target's, so a reader can tell the file's kind.
            handle, self._temp = tempfile.mkstemp(
                prefix=".ftqa-", suffix=f"-{self.path.name}", dir=directory
            )
        except OSError as error:
            raise self._error(error) from error
        self._raw = os.fdopen(handle, "wb")
        stream: BinaryIO = self._raw
        if self.path.name.endswith(".gz"):
            stream = gzip.GzipFile(fileobj=self._raw, mode="wb", mtime=0)  # type: ignore[assignment]
        self._stream = stream
        return stream

    def _error(self, error: OSError) -> FtqaError:
        return FtqaError(f"{self.path}: cannot write the {self.what} ({error.strerror or error})")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self._commit()
                return
            self._discard()
        except OSError as failure:
            self._discard()
            raise self._error(failure) from failure
        if isinstance(error, OSError):  # e.g. the disk filled up while writing
            raise self._error(error) from error

    def flushed_path(self) -> Path:
        """Finish writing (nothing more may be written) and return the temporary file's path,
        so the content can be read back before it replaces the target."""
        assert self._raw is not None
        assert self._stream is not None
        assert self._temp is not None
        if not self._raw.closed:
            if self._stream is not self._raw:
                self._stream.close()
            self._raw.flush()
            os.fsync(self._raw.fileno())
            self._raw.close()
        return Path(self._temp)

    def _commit(self) -> None:
        assert self._temp is not None
        self.flushed_path()
        os.chmod(self._temp, _final_mode(self.path))
        os.replace(self._temp, self.path)
        self._temp = None
        _fsync_directory(self.path.parent)

    def _discard(self) -> None:
        for stream in (self._stream, self._raw):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self._temp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._temp)
            self._temp = None


def _fsync_directory(directory: Path) -> None:
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def promote(temporary: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Move a finished file from ftqa's work directory (beside the target) into place, with the
    mode a plain write would give it."""
    path = Path(target)
    try:
        os.chmod(temporary, _final_mode(path))
        os.replace(temporary, path)
    except OSError as error:
        raise FtqaError(f"{path}: cannot write ({error.strerror or error})") from error
    _fsync_directory(path.parent)


class TextOutput:
    """`OutputFile` for UTF-8 text (reports)."""

    def __init__(self, path: str | os.PathLike[str], what: str = "report") -> None:
        self._file = OutputFile(path, what)
        self._text: io.TextIOWrapper | None = None

    def __enter__(self) -> io.TextIOWrapper:
        self._text = io.TextIOWrapper(self._file.__enter__(), encoding="utf-8", newline="")
        return self._text

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._text is not None
        if kind is None:
            try:
                self._text.flush()
            except OSError as failure:
                self._file.__exit__(type(failure), failure, failure.__traceback__)
                raise self._file._error(failure) from failure
        self._text.detach()
        self._file.__exit__(kind, error, trace)
