"""`ftqa split`: a seeded, stratified, leak-free train/validation split.

    manifest = split_dataset("data.jsonl", "out/", validation_fraction=0.1, seed=0)

Rows are grouped first: exact duplicates (the `duplicates` checker's comparison) and
near-duplicate clusters (the `near_duplicates` checker's), both as configured for the dataset,
are joined into clusters, and every cluster goes wholly to one side, so the split cannot leak.
Clusters are taken for validation in an order given by a keyed hash of the seed and the cluster's
content (not its position), per stratum (the label, or a `category` column, when the data has
one) in proportion to the stratum's size, until each stratum's share of the validation size is
met. The same input, seed and settings give byte-identical outputs.

Writes `train<ext>` and `validation<ext>` in the input's format (untouched rows are copied byte
for byte) and `manifest.json` (seed, sizes, strata, source sha256, settings). Rows that cannot be
read as examples stay in the training file, so nothing is lost, and the manifest lists them.

Modules: `dataset` (`split_dataset`), `features` (what is kept per row), `assign` (the choice of
validation rows), `output` (the two files) and `manifest`.
"""

from ftqa.split.dataset import split_dataset

__all__ = ["split_dataset"]
