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
"""

from __future__ import annotations

import hashlib
import math
import os
from array import array
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ftqa._version import __version__
from ftqa.config import load_settings
from ftqa.dedup import KeyIndex, SignatureIndex, merge, scope_key, scope_text
from ftqa.dedup.normalize import Normalization
from ftqa.errors import FtqaError
from ftqa.formats.mapping import map_table
from ftqa.load import Limits, Source, open_path
from ftqa.normalize import Normalizer
from ftqa.outbound import outbound, outbound_value, visible
from ftqa.records import Record
from ftqa.rewrite.conserving import open_writer
from ftqa.rewrite.targets import OutputFile, guard_target

AUTO_STRATA = ("label", "category")
MAX_STRATA = 100
MISSING = "(none)"
ENDINGS = (".jsonl.gz", ".json.gz", ".csv.gz", ".tsv.gz", ".ndjson.gz")


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


class _Features:
    """What the split keeps per row: exact key, MinHash signature, stratum values (as ids)."""

    def __init__(self, dup: Any, near: Any, columns: tuple[str, ...]) -> None:
        self.dup = dup
        self.near = near
        self.norm = dup.normalization()
        self.keys = KeyIndex()
        self.sigs = SignatureIndex(near.params()) if near is not None else None
        self.readable = bytearray()
        self.lines: list[int | None] = []
        self.names = ("label", *columns)
        self.ids: dict[str, dict[str, int]] = {name: {} for name in self.names}
        self.values: dict[str, array[int]] = {name: array("i") for name in self.names}
        self._text_norm = Normalization(nfkc=True, casefold=True, whitespace=False)

    def add(self, record: Record) -> None:
        ok = record.readable and record.format is not None
        self.readable.append(ok)
        self.lines.append(record.line)
        dup, near = self.dup, self.near
        self.keys.add(scope_key(record, dup.scope, self.norm, dup.include_system) if ok else None)
        if self.sigs is not None:
            text = ""
            if ok:
                text = scope_text(record, near.scope, self._text_norm, near.include_system)
            self.sigs.add(text)
        raw = record.raw if ok and isinstance(record.raw, Mapping) else {}
        for name in self.names:
            value = _stratum_value(record.label if name == "label" else raw.get(name))
            if not ok or value is None:
                self.values[name].append(-1)
                continue
            ids = self.ids[name]
            self.values[name].append(ids.setdefault(value, len(ids)))

    def clusters(self) -> np.ndarray:
        labels = self.keys.labels()
        if self.sigs is not None:
            near = self.sigs.clusters().labels
            moved = np.flatnonzero(near != np.arange(len(near)))
            labels = merge(labels, np.stack([moved, near[moved]], axis=1))
        return labels

    def present(self, name: str) -> tuple[int, int]:
        """Rows with a value for `name`, and distinct values."""
        values = self.values[name]
        return len(values) - values.count(-1), len(self.ids[name])

    def strata(self, name: str | None) -> list[str]:
        if name is None:
            return ["all"] * len(self.readable)
        names = {i: value for value, i in self.ids[name].items()}
        return [names.get(i, MISSING) for i in self.values[name]]


def _stratum_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _strata_key(stratify_by: str | None, features: _Features, eligible: int) -> str | None:
    if stratify_by is None:
        return None
    if stratify_by != "auto":
        if features.present(stratify_by)[0] == 0:
            raise FtqaError(f"no row has a value for `{stratify_by}` to stratify by")
        return stratify_by
    for name in AUTO_STRATA:
        rows, distinct = features.present(name)
        if 2 * rows >= eligible and 1 < distinct <= min(MAX_STRATA, max(2, eligible // 5)):
            return name
    return None


def _priority(seed: int, key: bytes) -> int:
    digest = hashlib.blake2b(key, digest_size=8, key=seed.to_bytes(8, "little"))
    return int.from_bytes(digest.digest(), "big")


def _assign(
    labels: np.ndarray,
    readable: np.ndarray,
    strata: list[str],
    keys: KeyIndex,
    target: int,
    seed: int,
) -> np.ndarray:
    """A boolean mask of the rows that go to validation."""
    count = len(labels)
    raw_keys = keys.keys()
    valid = keys.valid()
    firsts, sizes = np.unique(labels[readable], return_counts=True)
    units: dict[str, list[tuple[int, int, int]]] = {}
    for first, size in zip(firsts.tolist(), sizes.tolist(), strict=True):
        content = raw_keys[first].tobytes() if valid[first] else b"row" + first.to_bytes(8, "big")
        units.setdefault(strata[first], []).append((_priority(seed, content), first, size))
    for members in units.values():
        members.sort()
    shares = _apportion({name: sum(u[2] for u in us) for name, us in units.items()}, target)
    chosen: set[int] = set()
    taken = 0
    for name in sorted(units):
        room = shares[name]
        for _, first, size in units[name]:
            if room <= 0:
                break
            if size <= room:
                chosen.add(first)
                room -= size
                taken += size
    if taken < target:  # clusters too large for their stratum's share: fill from any stratum
        rest = sorted(u for us in units.values() for u in us if u[1] not in chosen)
        for _, first, size in rest:
            if taken + size <= target:
                chosen.add(first)
                taken += size
            if taken == target:
                break
    mask = np.zeros(count, dtype=bool)
    if chosen:
        mask = np.isin(labels, np.fromiter(chosen, dtype=np.int64)) & readable
    return mask


def _apportion(sizes: dict[str, int], target: int) -> dict[str, int]:
    """Largest-remainder shares of `target` proportional to `sizes` (ties by name)."""
    total = sum(sizes.values())
    exact = {name: target * size / total for name, size in sizes.items()}
    shares = {name: math.floor(value) for name, value in exact.items()}
    left = target - sum(shares.values())
    for name in sorted(exact, key=lambda n: (-(exact[n] - shares[n]), n))[:left]:
        shares[name] += 1
    return shares


def _extension(path: str, kind: str) -> str:
    name = os.path.basename(path).lower()
    for ending in ENDINGS:
        if name.endswith(ending):
            return ending
    suffix = os.path.splitext(name)[1]
    known = {".jsonl", ".ndjson", ".jsonlines", ".json", ".csv", ".tsv", ".parquet", ".pq"}
    if suffix in known:
        return suffix
    return f".{kind}"


def _outputs(path: str, kind: str, output_dir: Path) -> dict[str, Path]:
    ending = _extension(path, kind)
    return {side: output_dir / f"{side}{ending}" for side in ("train", "validation")}


def _write(
    source: Source, limits: Limits, outputs: dict[str, Path], validation: np.ndarray
) -> None:
    """Every row to exactly one side through the row-conserving writer (framing such as a CSV
    header or a JSON array's brackets in both files); the file must be the one just read."""
    rows = (record for record in open_path(source.path, limits, source.kind).records())
    with open_writer(
        source.path,
        source.kind,
        outputs,
        "train",
        limits=limits,
        expected_sha256=source.sha256,
        expected_rows=len(validation),
    ) as writer:
        for record in rows:
            if record.row < 0:
                continue
            writer.put(record, "validation" if validation[record.row] else "train")
        writer.finish()


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
