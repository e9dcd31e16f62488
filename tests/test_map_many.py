"""Checkers that map a batch of rows at once (`map_many`: near_duplicates, contradictions) give
what `map` gives row by row, and the engine treats a failing batch like a failing row: the
checker is marked failed, the others carry on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftqa.checker import CheckContext
from ftqa.config import load_settings
from ftqa.engine.mapping import BATCH_BYTES, CACHE_BATCH, batched
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, RunContext
from ftqa.registry import load_checker
from plugin_dist import assert_failed_while_others_ran, check_with_plugin, installed_plugin

DATA = Path(__file__).parent / "data"
REAL = DATA / "formats-real"
FILES = [
    DATA / "contradictions" / "paraphrase-yes-no.jsonl",
    DATA / "contradictions" / "preferences.jsonl",
    DATA / "contradictions" / "labels.jsonl",
    DATA / "near_duplicates" / "chat.jsonl",
    DATA / "near_duplicates" / "hard_negatives.jsonl",
    REAL / "dolly-15k.jsonl",
    REAL / "mlx-lora-text.jsonl",
    REAL / "hh-rlhf-helpful-base.jsonl",
    REAL / "trl-conversational-preference.jsonl",
    REAL / "sst2-train.jsonl",
]


@pytest.mark.parametrize(
    ("check", "options"),
    [
        ("near_duplicates", {}),
        ("near_duplicates", {"scope": "prompt", "ngram": 3}),
        ("near_duplicates", {"include_system": True, "semantic": True}),
        ("contradictions", {}),
        ("contradictions", {"include_system": False}),
    ],
    ids=["near", "near-prompt-trigrams", "near-system-semantic", "contra", "contra-no-system"],
)
def test_map_many_equals_map_row_by_row(check, options):
    settings = load_settings({"select": [check], check: options})
    cls = load_checker(check)
    checker = cls(settings.options_for(check), CheckContext(files=()))
    run = RunContext(options={check: settings.options_for(check)})
    normalizer = Normalizer(settings.read_options, None)
    records = []
    for path in FILES:
        for record in open_path(path).records():
            record.split = "validation" if len(records) % 5 == 4 else "train"
            normalizer.normalize(record)
            records.append(record)
    records[3].split = "reference"  # not mapped: None in its place
    assert len(records) > 40

    def provided() -> list[Provided]:
        return [Provided(record, run).allow(frozenset(cls.needs)) for record in records]

    one_by_one = [checker.map(r, row) for r, row in zip(records, provided(), strict=True)]
    batched = checker.map_many(records, provided())
    assert batched[3] is None
    assert sum(result is not None for result in batched) == len(records) - 1
    assert [r.features if r else None for r in batched] == [
        r.features if r else None for r in one_by_one
    ]
    if check == "contradictions":  # most prompts have words, so most rows carry a signature
        signed = [r.features[-1] for r in batched if r is not None and r.features[-1]]
        assert len(signed) > len(records) // 2


FAULTY = """
import ftqa

class Faulty(ftqa.Checker):
    id = "faulty"
    summary = "A checker whose batched map fails."
    rules = (ftqa.Rule("some-rule", ftqa.Severity.WARNING, "Something."),)
    pure_map = True

    def map_many(self, records, provided):
        {body}
"""


@pytest.mark.parametrize(
    ("body", "note"),
    [
        ("raise RuntimeError('kaboom')", "kaboom"),
        ("return [None]", "map_many gave 1 results for 3 rows"),
    ],
    ids=["raises", "wrong-count"],
)
@pytest.mark.parametrize("executor", ["local", "process"])
def test_a_failing_batch_marks_the_checker_failed_and_others_run(
    tmp_path: Path, body: str, note: str, executor: str
):
    package = installed_plugin(
        tmp_path, "ftqa_faulty", "faulty = faulty:Faulty", "faulty", FAULTY.format(body=body)
    )
    data = tmp_path / "train.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    ] * 3
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = check_with_plugin(package, data, executor)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert_failed_while_others_ran(report, "faulty", note, "duplicates")
    assert any(f["rule"] == "exact-duplicate" for f in report["findings"])


def test_batches_of_large_rows_are_cut_by_their_bytes(tmp_path: Path):
    """The engine holds a batch of rows in memory whole: 256 rows of 3 MB would be 768 MB."""
    big = "x" * (3 << 20)
    data = tmp_path / "big.jsonl"
    with data.open("w", encoding="utf-8") as out:
        for number in range(8):
            out.write(json.dumps({"prompt": f"q{number}", "completion": big}) + "\n")
        for number in range(300):
            out.write(json.dumps({"prompt": f"q{number}", "completion": "a"}) + "\n")
    sizes = [len(batch) for batch in batched(open_path(data).records(), CACHE_BATCH)]
    assert BATCH_BYTES == 8 << 20  # three rows of 3 MB reach it
    assert sizes == [3, 3, CACHE_BATCH, 308 - 6 - CACHE_BATCH]
