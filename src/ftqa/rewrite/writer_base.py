"""What the row-conserving writers share, whatever the file format: the destinations, the tally,
the temporary outputs that appear only after `finish()`, and the checks every rewrite ends with
(the input did not change since it was checked; each destination reads back whole)."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from ftqa.errors import FtqaError
from ftqa.load import Limits
from ftqa.rewrite.targets import OutputFile
from ftqa.rewrite.verify import count_rows

UNCHANGED: Any = object()


@dataclass
class Tally:
    rows_in: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # per destination
    replaced: int = 0
    notices_omitted: int = 0
    bytes_in: int = 0


class RowWriterBase:
    """Destinations by name, one of them `primary`; outputs are temporary files until
    `finish()` has proven the rewrite, and are removed on any failure."""

    def __init__(
        self,
        source_path: str,
        destinations: Mapping[str, str | os.PathLike[str]],
        primary: str,
        *,
        limits: Limits | None = None,
        expected_sha256: str | None = None,
        expected_rows: int | None = None,
    ) -> None:
        if primary not in destinations:
            raise ValueError(f"primary destination {primary!r} is not among the destinations")
        self.source_path = source_path
        self.paths = {name: Path(path) for name, path in destinations.items()}
        self.primary = primary
        self.limits = limits
        self.expected_sha256 = expected_sha256
        self.expected_rows = expected_rows
        self.tally = Tally(rows=dict.fromkeys(destinations, 0))
        self._stack = ExitStack()
        self._files: dict[str, OutputFile] = {}
        self._finished = False

    def _open_outputs(self) -> Iterator[tuple[str, BinaryIO]]:
        """Each destination's temporary output, registered for removal on failure."""
        for name, path in self.paths.items():
            output = OutputFile(path, name, make_parents=True)
            stream = self._stack.enter_context(output)
            self._files[name] = output
            yield name, stream

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None and not self._finished:
            failure = FtqaError("internal: the writer was closed without finish()")
            self._stack.__exit__(type(failure), failure, None)
            raise failure
        self._stack.__exit__(kind, error, trace)

    def _check_unchanged(self, digest: str | None) -> None:
        """The input holds the rows and the bytes the check read (`digest`: its sha256 now)."""
        rows_in = self.tally.rows_in
        if self.expected_rows is not None and rows_in != self.expected_rows:
            raise FtqaError(
                f"{self.source_path}: changed while ftqa was fixing it ({self.expected_rows} rows "
                f"when checked, {rows_in} now); nothing was written"
            )
        if self.expected_sha256 is not None and digest != self.expected_sha256:
            raise FtqaError(
                f"{self.source_path}: changed while ftqa was reading it (sha256 differs from the "
                "checked file); nothing was written"
            )

    def _check_read_back(self, kind: str, skip: Collection[str] = ()) -> None:
        """Each destination (but `skip`) reads back with as many rows as were written to it."""
        for name, output in self._files.items():
            if name in skip:
                continue
            written = count_rows(output.flushed_path(), kind, self.limits)
            if written != self.tally.rows[name]:
                raise FtqaError(
                    f"{self.paths[name]}: internal check failed: {self.tally.rows[name]} rows "
                    f"written, {written} read back; nothing was written"
                )
