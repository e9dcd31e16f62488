"""The `near_duplicates` checker and its machinery (shingles, MinHash LSH, verification,
union-find).

Fixtures in tests/data/near_duplicates/:

chat.jsonl — 1 password-reset guide (kept) · 2 double-charge answer (kept) · 3 line 1 with
three words changed · 4, 5, 8 "Translate the following sentence into French: …" with different
sentences · 6 line 2 with three words changed · 7 line 1 with three other words changed · 9-11
"Write a short product description for …" with different products · 12-14 different short
questions under the same long system prompt. Clusters: [1, 3, 7], [2, 6]; the rest are hard
negatives (same template, different content).

hard_negatives.jsonl — the templated rows alone, plus a question asked twice with opposite
answers (a contradiction, not a near duplicate).

exact_only.jsonl — 1 and 3 differ only in letter case (the duplicates checker's finding).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ftqa
from conftest import ROOT, run_cli
from ftqa.checker import CheckContext, Drop
from ftqa.checks.near_duplicates import NearDuplicatesChecker, NearDuplicatesOptions
from ftqa.dedup import MinHashParams, SignatureIndex, clusters, components, lsh_shape
from ftqa.dedup.minhash import candidate_pairs, candidate_probability, similarity
from ftqa.dedup.shingles import shingle_hashes, token_count
from ftqa.finding import Finding, Severity
from ftqa.rewrite.fixer import fix_dataset

DATA = Path(__file__).resolve().parent / "data" / "near_duplicates"


def _check(name: str | Path, validation: Path | None = None, **options: object) -> ftqa.Report:
    config: dict[str, object] = {"select": ["near_duplicates"]}
    if options:
        config["near_duplicates"] = options
    return ftqa.check(DATA / name, validation, config=config)


def _clusters(report: ftqa.Report) -> list[list[int]]:
    return [f.lines or [] for f in report.findings if f.rule == "near-duplicate"]


# -- the rule on real files -------------------------------------------------------------------


def test_paraphrase_level_near_duplicates_are_clustered_through_the_cli():
    result = run_cli(
        "check", str(DATA / "chat.jsonl"), "--format", "json", "--select", "near_duplicates"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    findings = report["findings"]
    assert [f["lines"] for f in findings] == [[1, 3, 7], [2, 6]]
    assert [f["rows"] for f in findings] == [[0, 2, 6], [1, 5]]
    first = findings[0]
    assert (first["rule"], first["severity"], first["line"]) == ("near-duplicate", "warning", 1)
    assert first["message"].startswith(
        "3 near-duplicate rows (estimated word-bigram Jaccard similarity >= 0.55): line 1 is "
        "kept; line 3 (0."
    )
    similarities = [float(part.split(")")[0]) for part in first["message"].split("(0")[1:]]
    assert len(similarities) == 2
    assert all(0.7 <= value < 1.0 for value in similarities)
    assert first["evidence"].startswith("How do I reset my password on the company portal if")
    stats = report["stats"]["near_duplicates"]
    assert stats["effective_size"] == 11
    assert stats["clusters_reported"] == 2
    assert (stats["bands"], stats["rows_per_band"], stats["engine"]) == (32, 4, "rensa")


def test_hard_negatives_with_the_same_template_are_not_flagged():
    report = _check("hard_negatives.jsonl")
    assert _clusters(report) == []
    assert report.stats["near_duplicates"]["effective_size"] == 11


def test_a_shared_system_prompt_makes_rows_look_alike_but_their_answers_differ():
    # Why include-system is off by default: rows 7-9 share a long system prompt, so their
    # examples reach the threshold; they answer different questions, so they are no cluster.
    report = _check("hard_negatives.jsonl", include_system=True)
    assert _clusters(report) == []
    assert report.stats["near_duplicates"]["verified_pairs"] >= 2
    assert report.stats["near_duplicates"]["similar_rows_with_other_answers"] == 2


def test_clusters_of_exact_copies_are_left_to_the_duplicates_checker():
    report = ftqa.check(DATA / "exact_only.jsonl", select=["duplicates", "near_duplicates"])
    assert [(f.check, f.lines) for f in report.findings] == [("duplicates", [1, 3])]
    assert report.stats["near_duplicates"]["effective_size"] == 3


def test_threshold_and_shingle_options():
    assert _clusters(_check("chat.jsonl", threshold=0.95)) == []
    assert _clusters(_check("chat.jsonl", ngram=3)) == [[1, 3, 7], [2, 6]]
    with pytest.raises(ftqa.ConfigError):
        _check("chat.jsonl", threshold=1.5)


def test_prompt_scope_finds_the_same_question_with_different_answers():
    report = _check("hard_negatives.jsonl", scope="prompt")
    assert _clusters(report) == [[10, 11]]
    assert _clusters(_check("hard_negatives.jsonl", scope="response")) == []


def test_validation_rows_are_clustered_apart_from_training_rows(tmp_path):
    lines = (DATA / "chat.jsonl").read_text().splitlines()
    validation = tmp_path / "validation.jsonl"
    validation.write_text("\n".join([lines[0], lines[3], lines[2]]) + "\n")
    report = _check("chat.jsonl", validation)
    found = sorted((Path(f.file).name, f.lines) for f in report.findings)
    assert found == [
        ("chat.jsonl", [1, 3, 7]),
        ("chat.jsonl", [2, 6]),
        ("validation.jsonl", [1, 3]),
    ]
    assert report.stats["near_duplicates"]["validation"]["effective_size"] == 2


def test_recall_and_precision_on_generated_data(tmp_path):
    spec = importlib.util.spec_from_file_location("gen", ROOT / "benchmarks" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    sys.modules["gen"] = generator
    spec.loader.exec_module(generator)
    path = tmp_path / "chat.jsonl"
    truth = generator.generate(3000, 11, path)["defects"]
    report = ftqa.check(path, select=["duplicates", "near_duplicates"])
    planted = {tuple(pair) for pair in truth["near_duplicate"]}
    exact = {tuple(pair) for pair in truth["exact_duplicate"]}
    assert len(planted) >= 10
    near = [f.lines for f in report.findings if f.check == "near_duplicates"]
    dups = [f.lines for f in report.findings if f.check == "duplicates"]
    reported = {(group[0], line) for group in near for line in group[1:]}
    assert reported == planted
    assert {(group[0], line) for group in dups for line in group[1:]} == exact


# -- fixes ------------------------------------------------------------------------------------


def test_fix_dedupe_quarantines_every_member_but_the_first(tmp_path):
    source = tmp_path / "chat.jsonl"
    shutil.copy(DATA / "chat.jsonl", source)
    config = {"select": ["near_duplicates"]}
    summary = fix_dataset(source, tmp_path / "clean.jsonl", dedupe=True, config=config)
    original = source.read_text().splitlines()
    removed = Path(summary.quarantine).read_text().splitlines()
    assert removed == [original[i - 1] for i in (3, 6, 7)]
    assert summary.rows_in == summary.rows_out + summary.rows_quarantined == 14
    reasons = [json.loads(line)["reason"] for line in Path(summary.log).read_text().splitlines()]
    assert reasons == [
        "near duplicate of line 1",
        "near duplicate of line 2",
        "near duplicate of line 1",
    ]


def test_fix_drops_only_non_kept_members():
    checker = NearDuplicatesChecker(NearDuplicatesOptions(), CheckContext())
    finding = Finding(
        check="near_duplicates",
        rule="near-duplicate",
        severity=Severity.WARNING,
        message="m",
        rows=[0, 5],
    )
    assert checker.fix({}, finding, 0) is None
    assert checker.fix({}, finding, 5) == Drop("near duplicate of row 0")


# -- the machinery ----------------------------------------------------------------------------


def test_shingles_ignore_punctuation_and_keep_order():
    flat, offsets = shingle_hashes(["a b c", "a, b; c!", "c b a", "", "solo", "日本語"], 2)
    assert offsets.tolist() == [0, 2, 4, 6, 6, 7, 9]
    rows = [flat[offsets[i] : offsets[i + 1]].tolist() for i in range(6)]
    assert rows[0] == rows[1]
    assert set(rows[0]).isdisjoint(rows[2])
    assert token_count(["日本語のテキスト", "naïve café_au_lait 42", "🙂 !!"]).tolist() == [8, 3, 0]


def test_shingle_hashes_are_the_same_in_another_process():
    code = (
        "from ftqa.dedup.shingles import shingle_hashes\n"
        "print(shingle_hashes(['hello big world', 'x'], 2)[0].tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(shingle_hashes(["hello big world", "x"], 2)[0].tolist())


def test_lsh_shape_makes_a_pair_at_the_threshold_a_candidate():
    for threshold in (0.3, 0.55, 0.7, 0.8, 0.9):
        bands, rows = lsh_shape(threshold, 128)
        assert bands * rows <= 128
        assert candidate_probability(threshold, bands, rows) >= 0.95
        assert candidate_probability(threshold + 0.05, bands, rows) >= 0.98
        assert candidate_probability(threshold, 128 // (rows + 1), rows + 1) < 0.95
    assert lsh_shape(0.55, 128) == (32, 4)


def test_candidates_are_verified_and_similarity_estimates_jaccard():
    base = [f"word{i}" for i in range(200)]
    variant = base[:]
    for i in range(0, 200, 20):
        variant[i] = f"other{i}"
    texts = [" ".join(base), " ".join(variant), " ".join(reversed(base))]
    index = SignatureIndex(MinHashParams(threshold=0.5))
    for text in texts:
        index.add(text)
    sigs = index.signatures()
    pairs = candidate_pairs(sigs, *index.params.shape)
    assert [0, 1] in pairs.tolist()
    flat, offsets = shingle_hashes(texts[:2], 2)
    a, b = set(flat[: offsets[1]].tolist()), set(flat[offsets[1] :].tolist())
    exact = len(a & b) / len(a | b)
    estimate = float(similarity(sigs, np.array([[0, 1]]))[0])
    assert abs(estimate - exact) < 0.15
    result = index.clusters()
    assert result.labels.tolist() == [0, 0, 2]
    assert result.pairs == 1


def test_union_find_joins_chains_and_keeps_the_first_row_as_label():
    labels = components(6, np.array([[4, 5], [1, 4], [2, 3]]))
    assert labels.tolist() == [0, 1, 2, 2, 1, 1]
    assert [m.tolist() for m in clusters(labels)] == [[1, 4, 5], [2, 3]]
    assert [m.tolist() for m in clusters(labels, min_size=1)] == [[0], [1, 4, 5], [2, 3]]


def _reference_tokens(text: str) -> list[str]:
    """Words as the shingler defines them, character by character."""
    singles = ((0x0E00, 0x0E7F), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
               (0xF900, 0xFAFF), (0x20000, 0x3FFFF))  # fmt: skip
    tokens: list[str] = []
    word = ""
    for char in text:
        code = ord(char)
        single = any(a <= code <= b for a, b in singles) and (code >= 0x20000 or char.isalnum())
        if single or not (code < 0x10000 and (char.isalnum() or char == "_")):
            if word:
                tokens.append(word)
            word = ""
            if single:
                tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


@given(
    st.lists(
        st.text(alphabet=st.sampled_from([*list("ab c_1.\n日本é"), "𠀁", "🙂"]), max_size=40),
        min_size=1,
        max_size=6,
    ),
    st.integers(1, 4),
)
@settings(max_examples=200, deadline=None)
def test_shingles_match_a_reference_tokenizer(texts, n):
    flat, offsets = shingle_hashes(texts, n)
    seen: dict[int, tuple[str, ...]] = {}
    for index, text in enumerate(texts):
        tokens = _reference_tokens(text)
        if not tokens:
            expected: list[tuple[str, ...]] = []
        elif len(tokens) < n:
            expected = [tuple(tokens)]
        else:
            expected = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        got = flat[offsets[index] : offsets[index + 1]].tolist()
        assert len(got) == len(expected)
        for value, gram in zip(got, expected, strict=True):
            assert seen.setdefault(value, gram) == gram  # one hash, one n-gram
    assert len(set(seen.values())) == len(seen)  # one n-gram, one hash


def test_rows_without_text_are_signed_in_small_batches(tmp_path: Path):
    """Signatures leave rensa as Python lists, so batches must stay small even when rows carry
    no text (batches used to grow by characters only: 200,000 `{}` rows took 1.3 GB)."""
    path = tmp_path / "empty.jsonl"
    path.write_text("{}\n" * 150_000, encoding="utf-8")
    if not Path("/proc/self/status").is_file():
        pytest.skip("reads the peak RSS (VmHWM) from /proc, which this system does not have")
    # VmHWM, not ru_maxrss: a child started from a large test process (fork or vfork) is charged
    # the parent's resident size in ru_maxrss.
    code = (
        "import sys, ftqa\n"
        "report = ftqa.check(sys.argv[1], select=['near_duplicates'])\n"
        "assert [r.status for r in report.checks if r.id == 'near_duplicates'] == ['ran']\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
        "print(status.split()[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    peak_mb = int(result.stdout.split()[-1]) / 1024  # kB
    assert peak_mb < 450, f"peak RSS {peak_mb:.0f} MB"
