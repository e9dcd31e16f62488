"""`split_dataset`: read and group the rows, choose the validation rows, write both sides and the
manifest."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ftqa.config import load_settings
from ftqa.errors import FtqaError
from ftqa.formats.mapping import map_table
from ftqa.load import Limits, open_path
from ftqa.normalize import Normalizer
from ftqa.rewrite.targets import OutputFile, guard_target
from ftqa.split.assign import _assign
from ftqa.split.features import AUTO_STRATA, _Features, _strata_key
from ftqa.split.manifest import _manifest
from ftqa.split.output import _outputs, _write


def split_dataset(
    path: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    *,
    validation_fraction: float | None = None,
    validation_count: int | None = None,
    seed: int,
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    stratify_by: str | None = "auto",
    near_duplicates: bool = True,
    limits: Limits | None = None,
    mapping: str | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Split `path` into `output_dir/train<ext>` and `output_dir/validation<ext>`.

    Give exactly one of `validation_fraction` (0 < f < 1, rounded to whole rows) and
    `validation_count`. `stratify_by`: "auto" (the label, else a `category` key, when most rows
    have one with at most 100 values), a top-level key name, "label", or None. Duplicate and
    near-duplicate settings come from `config` (a file or mapping; default: the configuration
    found from the dataset's directory), tables `[duplicates]` and `[near_duplicates]`;
    `near_duplicates=False` groups exact duplicates only. Returns the manifest (also written as
    `manifest.json`). Raises `InputError` for an unreadable path, `ConfigError` for bad settings,
    `FtqaError` for impossible requests.
    """
    _check_request(validation_fraction, validation_count, seed)
    source_path = os.fspath(path)
    settings = load_settings(
        config, Path(source_path) if config is None else None, {"map": map_table(mapping)}
    )
    dup = settings.options_for("duplicates")
    near = settings.options_for("near_duplicates")
    limits = limits or Limits()
    source = open_path(source_path, limits)
    outputs = _outputs(source_path, source.kind, Path(output_dir))
    for side, target in outputs.items():
        guard_target(target, [source_path], f"{side} split")
    guard_target(Path(output_dir) / "manifest.json", [source_path], "split manifest")

    columns = tuple(name for name in {*AUTO_STRATA, stratify_by or "label"} - {"label", "auto"})
    features = _Features(dup, near if near_duplicates else None, tuple(sorted(columns)))
    normalizer = Normalizer(settings.read_options, settings.forced_format)
    formats: Counter[str] = Counter()
    for record in source.records():
        if record.row < 0:
            continue
        normalizer.normalize(record)
        if record.format:
            formats[record.format] += 1
        features.add(record)
    rows = len(features.readable)
    labels = features.clusters()
    readable = np.frombuffer(bytes(features.readable), dtype=np.bool_)
    eligible = int(readable.sum())
    target = _target(validation_fraction, validation_count, eligible)
    strata_key = _strata_key(stratify_by, features, eligible)
    strata = features.strata(strata_key)
    validation = _assign(labels, readable, strata, features.keys, target, seed)
    if not validation.any():
        raise FtqaError(
            f"no group of duplicate or near-duplicate rows fits in a validation set of {target} "
            "rows; ask for more validation rows"
        )

    _write(source, limits, outputs, validation)
    unreadable = [features.lines[i] for i in np.flatnonzero(~readable).tolist()]
    manifest = _manifest(
        source=source,
        rows=rows,
        fmt=formats.most_common(1)[0][0] if formats else None,
        seed=seed,
        request=(validation_fraction, validation_count),
        target=target,
        outputs=outputs,
        validation=validation,
        strata_key=strata_key,
        strata=strata,
        labels=labels,
        unreadable=unreadable,
        settings={"duplicates": dup.model_dump(), "near_duplicates": near.model_dump()},
        near_duplicates=near_duplicates,
    )
    with OutputFile(Path(output_dir) / "manifest.json", "split manifest", True) as handle:
        handle.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return manifest


def _check_request(fraction: float | None, count: int | None, seed: int) -> None:
    if (fraction is None) == (count is None):
        raise FtqaError("give exactly one of a validation fraction and a validation count")
    if fraction is not None and not (0.0 < fraction < 1.0 and math.isfinite(fraction)):
        raise FtqaError(f"the validation fraction must be between 0 and 1, not {fraction}")
    if count is not None and (isinstance(count, bool) or count < 1):
        raise FtqaError(f"the validation count must be at least 1, not {count}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise FtqaError(f"the seed must be an integer from 0 to 2**64 - 1, not {seed!r}")


def _target(fraction: float | None, count: int | None, eligible: int) -> int:
    if eligible < 2:
        raise FtqaError(f"{eligible} readable example(s): too few to split")
    target = count if count is not None else round((fraction or 0.0) * eligible)
    if target < 1:
        raise FtqaError(
            f"a validation fraction of {fraction} of {eligible} examples is less than one row"
        )
    if target >= eligible:
        raise FtqaError(
            f"a validation set of {target} rows leaves no training rows ({eligible} examples)"
        )
    return target
