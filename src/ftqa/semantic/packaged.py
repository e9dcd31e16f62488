"""The static embedding model shipped inside ftqa (package data), so no run builds one.

`static_model/` next to this module holds a model2vec model distilled from all-MiniLM-L6-v2
(Apache-2.0) by `tools/build_static_model.py`: 29,525 token vectors of 256 dimensions stored
as int8 (7.6 MB), the BERT WordPiece `tokenizer.json`, and `PROVENANCE.json` (source model
hash, library versions, file hashes). It needs numpy, `tokenizers` and `safetensors` through
model2vec: no torch. It stands in for the model ftqa used to distil into the user cache on
first use; a user-chosen precise model (`model = "..."`) is still distilled from that model.
"""

from __future__ import annotations

from pathlib import Path

PACKAGED_DIR = Path(__file__).resolve().parent / "static_model"
PACKAGED_NAME = "all-MiniLM-L6-v2 (static, shipped)"


def packaged_static_dir() -> Path | None:
    """The shipped model's directory, or None if this installation lacks it."""
    needed = ("config.json", "model.safetensors", "tokenizer.json")
    if all((PACKAGED_DIR / name).is_file() for name in needed):
        return PACKAGED_DIR
    return None
