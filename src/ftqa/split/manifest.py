"""`manifest.json`: seed, sizes, strata, groups, source and output sha256, settings."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from ftqa._version import __version__
from ftqa.load import Source
from ftqa.outbound import outbound, outbound_value, visible


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(
    *,
    source: Source,
    rows: int,
    fmt: str | None,
    seed: int,
    request: tuple[float | None, int | None],
    target: int,
    outputs: dict[str, Path],
    validation: np.ndarray,
    strata_key: str | None,
    strata: list[str],
    labels: np.ndarray,
    unreadable: list[int | None],
    settings: dict[str, Any],
    near_duplicates: bool,
) -> dict[str, Any]:
    fraction, count = request
    per_stratum: dict[str, dict[str, int]] = {}
    for value, held in zip(strata, validation.tolist(), strict=True):
        entry = per_stratum.setdefault(value, {"train": 0, "validation": 0})
        entry["validation" if held else "train"] += 1
    _, sizes = np.unique(labels, return_counts=True)
    multi = sizes[sizes > 1]
    held = int(validation.sum())
    # Strata are dataset values (labels, categories): they leave ftqa through the outbound
    # layer, like every other dataset string; the path is the user's own, only made visible.
    return {
        "ftqa_version": __version__,
        "source": {
            "path": visible(source.path),
            "sha256": source.sha256,
            "rows": rows,
            "format": fmt,
            "bytes": source.size,
        },
        "seed": seed,
        "requested": (
            {"validation_fraction": fraction}
            if fraction is not None
            else {"validation_count": count}
        ),
        "target_validation_rows": target,
        "sizes": {"train": rows - held, "validation": held},
        "files": {
            side: {"path": target.name, "sha256": _sha256(target)}
            for side, target in outputs.items()
        },
        "stratify_by": outbound(strata_key) if strata_key is not None else None,
        "strata": outbound_value(dict(sorted(per_stratum.items())))
        if strata_key is not None
        else {},
        "groups": {
            "clusters": len(sizes),
            "multi_row_clusters": len(multi),
            "rows_in_multi_row_clusters": int(multi.sum()),
            "largest_cluster": int(sizes.max()) if len(sizes) else 0,
            "near_duplicates": near_duplicates,
        },
        "unusable_rows_kept_in_train": {
            "count": len(unreadable),
            "lines": [line for line in unreadable[:100] if line is not None],
        },
        "settings": settings,
    }
