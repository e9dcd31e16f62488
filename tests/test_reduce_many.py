"""The batched reduce step: a checker's `reduce_many`, and the columnar stores it extends a
block at a time, leave exactly what row-by-row appends leave; a failing block marks its checker
failed and drops its findings of that block; the collector is paused and young objects are
collected a block at a time."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import numpy as np
import pytest

from ftqa.columns import IntColumn
from ftqa.dedup import KeyIndex, MinHashParams, RowLog, SignatureIndex
from ftqa.dedup.sides import SideIndex
from ftqa.engine import collection
from ftqa.rowresult import RowKey
from ftqa.spill import TextStore
from plugin_dist import assert_failed_while_others_ran, check_with_plugin, installed_plugin

TEXTS = ["plain", "", "naïve café " * 20, "\ud800 lone surrogate", "emoji 😀 " * 30, "x" * 5000]
KEYS = [
    RowKey("train", "a.jsonl", 0, 1),
    RowKey("train", "a.jsonl", 1, None),
    RowKey("validation", "b.jsonl", 0, 3),
    RowKey("train", "a.jsonl", 2, 4),
    RowKey("reference", "c.jsonl", 7, 9),
    RowKey("train", "a.jsonl", 2**31 + 5, 2**31 + 6),
]


def _store_texts(store: TextStore) -> list[str]:
    return [store.get(index) for index in range(len(store))]


@pytest.mark.parametrize("clip", [True, False])
def test_text_store_add_many_equals_add(clip: bool):
    one, many = TextStore(100, tail_chars=10), TextStore(100, tail_chars=10)
    for text in TEXTS:
        one.add(text, clip=clip)
    many.add_many(TEXTS[:2], clip=clip)
    many.add_many(TEXTS[2:], clip=clip)
    assert _store_texts(one) == _store_texts(many)


@pytest.mark.parametrize("cut", [True, False])
def test_row_log_add_many_equals_add(cut: bool):
    one, many = RowLog(), RowLog()
    for key, text in zip(KEYS, TEXTS, strict=True):
        one.add(key, text, cut=cut)
    many.add_many(KEYS[:3], TEXTS[:3], cut=cut)
    many.add_many(KEYS[3:], TEXTS[3:], cut=cut)
    assert one.files == many.files
    for index in range(len(KEYS)):
        assert one.where(index) == many.where(index)
        assert one.excerpt(index) == many.excerpt(index)
        assert one.line_of(index) == many.line_of(index)
    for first, second in zip(one.arrays(), many.arrays(), strict=True):
        assert np.array_equal(first, second)


def test_key_and_signature_indexes_add_many_equal_add():
    keys = [bytes([i]) * 16 if i % 3 else None for i in range(10)]
    one, many = KeyIndex(), KeyIndex()
    for key in keys:
        one.add(key)
    many.add_many(keys[:4])
    many.add_many(keys[4:])
    assert np.array_equal(one.keys(), many.keys())
    assert np.array_equal(one.valid(), many.valid())

    params = MinHashParams(threshold=0.8, ngram=1, num_perm=16, seed=1)
    signatures = [bytes([i]) * 32 if i % 2 else b"" for i in range(7)]
    first, second = SignatureIndex(params), SignatureIndex(params)
    for signature in signatures:
        first.add_signature(signature)
    second.add_signatures(signatures[:3])
    second.add_signatures(signatures[3:])
    assert np.array_equal(first.signatures().all(), second.signatures().all())
    assert np.array_equal(first.has_signature(), second.has_signature())
    with pytest.raises(ValueError, match="another number of permutations"):
        second.add_signatures([b"\0" * 10])


def test_side_index_add_many_equals_add():
    params = MinHashParams(threshold=0.8, ngram=1, num_perm=16, seed=1)
    features = [
        (bytes([i]) * 16 if i % 4 else None, bytes([i]) * 8, (bytes([i]) * 32), i % 2 == 0)
        for i in range(9)
    ]
    one, many = SideIndex(params), SideIndex(params)
    for feature in features:
        one.add(feature)
    many.add_many(features[:5])
    many.add_many(features[5:])
    a, b = one.side(0.8), many.side(0.8)
    for name in ("keys", "facts", "slots", "shingles", "starts", "ends"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.sigs.all(), b.sigs.all())


def test_int_column_extend_widens_without_losing_values():
    column = IntColumn()
    column.extend([1, 2])
    column.extend([3, 2**40, 5])  # the wide value is in the middle of the block
    assert list(column) == [1, 2, 3, 2**40, 5]
    assert column.numpy().dtype == np.int64


def test_the_collector_is_paused_and_young_cycles_still_go():
    assert gc.isenabled()
    with collection.paused():
        assert not gc.isenabled()

        class Node:
            pass

        node = Node()
        node.self = node  # type: ignore[attr-defined]
        del node
        assert gc.get_count()[0] > 0
        collection.collect_young()
        assert gc.get_count()[0] == 0
        with collection.out_of_collection():
            kept = [[index] for index in range(100)]
        assert gc.get_freeze_count() >= len(kept)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # handed back: a long-lived caller's garbage still goes


FAILS = """
import ftqa


class Fails(ftqa.Checker):
    id = "fails"
    summary = "Fails in reduce at a row."
    rules = (ftqa.Rule("seen", ftqa.Severity.INFO, "A row was seen."),)
    pure_map = True

    def map(self, record, provided):
        return ftqa.RowResult([self.finding("seen", "seen", record)], [record.row])

    def reduce_many(self, keys, features):
        if any(key.row == {row} for key in keys):
            raise RuntimeError("kaboom")
"""


@pytest.mark.parametrize("executor", ["local", "process"])
def test_a_failing_block_marks_the_checker_failed_and_drops_that_blocks_findings(
    tmp_path: Path, executor: str
):
    package = installed_plugin(
        tmp_path, "ftqa_fails", "fails = fails:Fails", "fails", FAILS.format(row=1500)
    )
    (tmp_path / "ftqa.toml").write_text("max-findings-per-rule = 100000\n")
    data = tmp_path / "train.jsonl"
    turn = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    data.write_text("".join(json.dumps({"messages": turn, "id": i}) + "\n" for i in range(3000)))
    result = check_with_plugin(package, data, executor, "--select", "fails,duplicates")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert_failed_while_others_ran(report, "fails", "kaboom", "duplicates")
    seen = sorted(f["row"] for f in report["findings"] if f["rule"] == "seen")
    assert seen == list(range(1024))  # the first block's; none from the failing block on


@pytest.mark.parametrize("indices", [[3, 1], list(range(200)), list(range(0, 400, 7))[::-1]])
def test_text_store_many_reads_what_get_reads(indices: list[int]):
    store = TextStore(100)
    store.add_many([f"text {index} é" * (index % 5) for index in range(300)] + TEXTS)
    store._flush()  # part on disk, part pending
    store.add_many(TEXTS)
    indices = [index % len(store) for index in indices]
    assert store.many(indices) == [store.get(index) for index in indices]
