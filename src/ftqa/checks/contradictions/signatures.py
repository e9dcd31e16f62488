"""MinHash signatures of the rows' prompts, as rows arrive on the reduce side.

Each row's signature is computed by `map` (`features.row_features`); here they are appended to
one buffer (NUM_PERM uint32 per row, a row without words all 0xFFFFFFFF like
`ftqa.dedup.SignatureIndex`) and read back as one matrix at the end.
"""

from __future__ import annotations

import numpy as np


class Signatures:
    def __init__(self, num_perm: int) -> None:
        self._empty = np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32).tobytes()
        self._num_perm = num_perm
        self._data = bytearray()
        self._has = bytearray()

    def __len__(self) -> int:
        return len(self._has)

    def add(self, signature: bytes | None) -> None:
        if signature is not None and len(signature) != len(self._empty):
            raise ValueError("a MinHash signature of the wrong size")
        self._data += self._empty if signature is None else signature
        self._has.append(signature is not None)

    def signatures(self) -> np.ndarray:
        """`(rows, num_perm)` uint32 (a view of the buffer; do not add after reading)."""
        return np.frombuffer(self._data, dtype=np.uint32).reshape(-1, self._num_perm)

    def has_signature(self) -> np.ndarray:
        return np.frombuffer(bytes(self._has), dtype=np.bool_)
