"""The `train_test_leakage` checker: validation rows that repeat training rows, and training rows
that contain text of held-out reference (benchmark) files.

- With `--validation VAL`: every validation row that is an exact duplicate (same normalized
  example, as `duplicates` compares them) or a near duplicate (MinHash over word bigrams, as
  `near_duplicates` compares them) of a training row, with both locations.
- With `--reference FILE...`: every training row that shares a word 13-gram (after NFKC and case
  folding) with a reference file, reported per reference file. Reference files may be any JSON,
  JSONL, CSV or Parquet table: rows of a known format are read through their canonical fields,
  other rows through every string value they hold.

Nothing is kept when neither input is given. Training 13-grams are kept as 64-bit hashes (the
reference rows come last in the pass); past `reference-memory-mb` a fixed, hash-defined sample
of them is kept, which the stats report.

Modules: `options`, `grams` (n-gram hashes), `validation` and `reference` (one rule family
each) and `checker` (the class that joins them).
"""

from ftqa.checks.train_test_leakage.checker import TrainTestLeakageChecker
from ftqa.checks.train_test_leakage.grams import _GramStore
from ftqa.checks.train_test_leakage.options import TrainTestLeakageOptions

__all__ = ["TrainTestLeakageChecker", "TrainTestLeakageOptions", "_GramStore"]
