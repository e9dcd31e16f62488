"""Integer columns appended one row at a time: 4 bytes a value until one does not fit 32 bits,
then 8. Row and line numbers, token counts and offsets almost never need more than 32 bits, and
a reduce step keeps several such columns for every row of the dataset: at five million rows each
64-bit column is 40 MB."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator

import numpy as np


class IntColumn:
    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: array[int] = array("i")

    def append(self, value: int) -> None:
        try:
            self.values.append(value)
        except OverflowError:
            self.values = array("q", self.values)
            self.values.append(value)

    def extend(self, values: Iterable[int]) -> None:
        values = values if isinstance(values, list) else list(values)
        count = len(self.values)
        try:
            self.values.extend(values)
        except OverflowError:
            del self.values[count:]  # what went in before the value that did not fit
            self.values = array("q", self.values)
            self.values.extend(values)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: int) -> int:
        return self.values[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self.values)

    def numpy(self) -> np.ndarray:
        """The values as a read-only numpy view (int32 or int64), without a copy."""
        dtype = np.int32 if self.values.typecode == "i" else np.int64
        return np.frombuffer(self.values, dtype=dtype)
