"""Map/reduce harness for the checkers that compare rows (`duplicates`, `near_duplicates`,
`train_test_leakage`): read real files as the engine does, map every row with ONE checker
instance (in shuffled order, so no row's features can depend on the rows mapped before it),
then reduce the features with a FRESH instance in (split, file, row) order, and compare its
findings and stats with a normal `ftqa.check` run of that checker alone."""

from __future__ import annotations

import pickle
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import ftqa
from ftqa.checker import CheckContext, Checker
from ftqa.config import load_settings
from ftqa.finding import Finding
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, RunContext
from ftqa.records import Record
from ftqa.registry import load_checker
from ftqa.rowresult import RowKey

PLAIN = (type(None), bool, int, float, str, bytes)


def assert_plain(value: Any) -> None:
    """Features are plain data: scalars, bytes, and lists/tuples/str-keyed dicts of them."""
    if isinstance(value, PLAIN):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            assert_plain(item)
        return
    assert isinstance(value, dict), f"not plain data: {type(value).__name__}"
    for key, item in value.items():
        assert isinstance(key, str)
        assert_plain(item)


def _records(paths: Sequence[Path], split: str, normalizer: Normalizer) -> list[Record]:
    records = []
    for path in paths:
        for record in open_path(path).records():
            record.split = split
            normalizer.normalize(record)
            records.append(record)
    return records


def map_reduce(
    check: str,
    train: Sequence[Path],
    validation: Sequence[Path] = (),
    references: Sequence[Path] = (),
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> tuple[list[Finding], dict[str, Any], int]:
    """The fresh reducer's findings and stats, and how many rows returned features."""
    config: dict[str, Any] = {"select": [check]}
    if options:
        config[check] = dict(options)
    settings = load_settings(config)
    cls: type[Checker] = load_checker(check)
    context = CheckContext(
        files=tuple(map(str, train)),
        validation_files=tuple(map(str, validation)),
        reference_files=tuple(map(str, references)),
    )
    mapper = cls(settings.options_for(check), context)
    reducer = cls(settings.options_for(check), context)
    assert cls.pure_map
    normalizer = Normalizer(settings.read_options, None)
    records = [
        *_records(train, "train", normalizer),
        *_records(validation, "validation", normalizer),
        *_records(references, "reference", normalizer),
    ]
    ranks = {
        (split, str(path)): rank
        for split, paths in (
            ("train", train),
            ("validation", validation),
            ("reference", references),
        )
        for rank, path in enumerate(paths)
    }
    run = RunContext(options={check: settings.options_for(check)})
    mapped: list[tuple[RowKey, Any]] = []
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    for index in order:
        record = records[index]
        if record.split == "reference" and not cls.sees_references:
            continue
        if not (record.readable and record.row >= 0) and not cls.sees_unreadable_rows:
            continue
        provided = Provided(record, run).allow(frozenset(cls.needs))
        result = mapper.map(record, provided)
        assert record.cache == {}, "map wrote to record.cache"
        assert record.measures == {}, "map wrote to record.measures"
        if result is None or result.features is None:
            continue
        assert_plain(result.features)
        copy = pickle.loads(pickle.dumps(result.features))
        assert copy == result.features
        key = RowKey(record.split, record.file, record.row, record.line)
        mapped.append((key, copy))
    mapped.sort(key=lambda item: item[0].sort_key(ranks[item[0].split, item[0].file]))
    for key, features in mapped:
        reducer.reduce(key, features)
    findings = list(reducer.finish())
    assert list(mapper.finish()) == [] or not mapped, "the mapper kept state from map"
    return findings, reducer.stats(), len(mapped)


def engine_run(
    check: str,
    train: Sequence[Path],
    validation: Sequence[Path] = (),
    references: Sequence[Path] = (),
    options: Mapping[str, Any] | None = None,
) -> ftqa.Report:
    config: dict[str, Any] = {"select": [check]}
    if options:
        config[check] = dict(options)
    return ftqa.check(
        list(train),
        list(validation) or None,
        reference=list(references) or None,
        config=config,
        max_findings_per_rule=100_000,
    )


def comparable(findings: Sequence[Finding]) -> list[str]:
    return sorted(finding.model_dump_json() for finding in findings)
