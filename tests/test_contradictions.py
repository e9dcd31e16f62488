"""The `contradictions` checker on real fixture files, through the CLI and the Python API.

Fixtures (tests/data/contradictions/), each with rows that must be reported and near misses
that must not:
- labels.jsonl: one input with two labels (lines 1, 3, 5); "forgettable" vs "unforgettable"
  is not the same input;
- completion-labels.jsonl: prompt/completion rows whose completions are a small label set;
- numeric.jsonl: 2 vs 3 moons, final answers 24 vs 26; eight vs 8 legs, 84 phrased two ways,
  12x7 vs 12x8 and World War II vs I are not contradictions;
- paraphrase-yes-no.jsonl: "Can penguins fly?" No vs "Are penguins able to fly?" Yes; the raw
  chicken paraphrase agrees; Mercury/Venus and coffee bad/good are different questions;
- refusal.jsonl: one refusal and one compliance for the same prompt; two refusals agree; the
  same prompt under another system prompt is not compared;
- preferences.jsonl: A over B and B over A; Red over Green, Blue over Red is a consistent ranking;
- divergent.jsonl: an unrelated answer; two correct answers of different length are fine;
- near-identical.jsonl: a long question re-worded, Yes vs No; the Java variant is another
  question.
The semantic tiers use the real packaged all-MiniLM-L6-v2, offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

import ftqa
from conftest import DATA, run_cli
from ftqa.semantic import INSTALL_COMMAND, unavailable_reason

FIXTURES = DATA / "contradictions"
FILES = [
    "labels.jsonl",
    "completion-labels.jsonl",
    "numeric.jsonl",
    "paraphrase-yes-no.jsonl",
    "refusal.jsonl",
    "preferences.jsonl",
    "divergent.jsonl",
    "near-identical.jsonl",
]
HAS_EXTRA = unavailable_reason() is None
needs_extra = pytest.mark.skipif(not HAS_EXTRA, reason=f"semantic extra missing: {INSTALL_COMMAND}")


# A small vocabulary (short lowercase words and word pieces) distils in seconds.
SMALL_VOCAB = r"(?![a-z]{2,4}$|##[a-z]{1,2}$|\[(?:CLS|SEP|PAD|UNK|MASK)\]$)"


def _env(cache) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"FTQA_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return env


def _check(cache, *extra: str, files=FILES) -> dict:
    result = run_cli(
        "check",
        *files,
        "--select",
        "contradictions",
        "--format",
        "json",
        *extra,
        cwd=FIXTURES,
        env=_env(cache),
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def _found(report: dict, file: str, rule: str) -> list[list[int]]:
    return sorted(f["lines"] for f in report["findings"] if f["file"] == file and f["rule"] == rule)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("ftqa-cache")


@pytest.fixture(scope="module")
def report(cache):
    return _check(cache)


@pytest.fixture(scope="module")
def lexical(cache, tmp_path_factory):
    config = tmp_path_factory.mktemp("config") / "ftqa.toml"
    config.write_text("[contradictions]\nsemantic = false\n", "utf-8")
    return _check(cache, "--config", str(config))


# -- labels and preferences (no model needed) -------------------------------------------------


def test_conflicting_labels_in_classification_data(lexical):
    (finding,) = [f for f in lexical["findings"] if f["file"] == "labels.jsonl"]
    assert finding["rule"] == "conflicting-labels"
    assert finding["severity"] == "warning"
    assert finding["lines"] == [1, 3, 5]
    assert finding["line"] == 1
    assert '"positive" ×2' in finding["message"]
    assert '"negative" ×1' in finding["message"]


def test_conflicting_labels_in_prompt_completion_label_sets(lexical):
    assert _found(lexical, "completion-labels.jsonl", "conflicting-labels") == [[1, 4]]
    assert lexical["stats"]["contradictions"]["label_files"] == ["completion-labels.jsonl"]
    assert not _found(lexical, "completion-labels.jsonl", "conflicting-answers")


def test_reversed_preferences(lexical):
    (finding,) = [f for f in lexical["findings"] if f["file"] == "preferences.jsonl"]
    assert finding["rule"] == "conflicting-preferences"
    assert finding["lines"] == [1, 3]
    assert "prefers the opposite" in finding["message"]


def test_preference_cycles_of_three():
    rows = [
        {"prompt": "Pick a fruit.", "chosen": "Apple.", "rejected": "Banana."},
        {"prompt": "Pick a fruit.", "chosen": "Banana.", "rejected": "Cherry."},
        {"prompt": "Pick a fruit.", "chosen": "Cherry.", "rejected": "Apple."},
        {"prompt": "Pick a fruit.", "chosen": "Apple.", "rejected": "Durian."},
    ]
    report = ftqa.check(
        rows, select=["contradictions"], config={"contradictions": {"semantic": False}}
    )
    (finding,) = report.findings
    assert finding.rule == "conflicting-preferences"
    assert finding.rows == [0, 1, 2]
    assert "in a circle" in finding.message


# -- answers: lexical tiers -----------------------------------------------------------------


def test_same_prompt_different_numbers(lexical):
    assert _found(lexical, "numeric.jsonl", "conflicting-answers") == [[1, 4], [10, 11]]
    messages = [f["message"] for f in lexical["findings"] if f["file"] == "numeric.jsonl"]
    assert any("different numbers (2 vs 3)" in m and "identical prompts" in m for m in messages)
    assert any("different final answers (24 vs 26)" in m for m in messages)


def test_refusal_against_compliance(lexical):
    assert _found(lexical, "refusal.jsonl", "inconsistent-refusal") == [[1, 2]]
    assert not _found(lexical, "refusal.jsonl", "conflicting-answers")


def test_near_identical_prompts_by_words_alone(lexical):
    (finding,) = [f for f in lexical["findings"] if f["file"] == "near-identical.jsonl"]
    assert finding["rule"] == "conflicting-answers"
    assert finding["lines"] == [1, 2]
    assert "near-identical prompts, word overlap" in finding["message"]
    assert "Yes vs No" in finding["message"]


def test_lexical_run_reports_the_semantic_tier_as_disabled(lexical):
    stats = lexical["stats"]["contradictions"]
    assert stats["tiers"]["semantic"]["status"] == "disabled"
    assert stats["tiers"]["near"]["vetoed"] >= 2  # 12x7/12x8 and World War II/I
    assert not _found(lexical, "paraphrase-yes-no.jsonl", "conflicting-answers")
    assert not _found(lexical, "divergent.jsonl", "divergent-answers")


def test_missing_extra_keeps_lexical_tiers_and_names_the_install_command(cache):
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['sentence_transformers'] = None\n"
        "from ftqa.cli import main\n"
        f"sys.exit(main({['check', *FILES, '--select', 'contradictions', '--format', 'json']!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=FIXTURES,
        env=_env(cache),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    semantic = report["stats"]["contradictions"]["tiers"]["semantic"]
    # The shipped static model runs without the extra, but not on so few prompts.
    assert semantic["status"] == "skipped"
    assert "at least 256" in semantic["reason"]
    assert INSTALL_COMMAND in semantic["reason"]
    assert _found(report, "numeric.jsonl", "conflicting-answers") == [[1, 4], [10, 11]]
    assert _found(report, "near-identical.jsonl", "conflicting-answers") == [[1, 2]]


# -- answers: semantic tier (packaged model) -------------------------------------------------


@needs_extra
def test_paraphrased_question_with_opposite_answers(report):
    (finding,) = [f for f in report["findings"] if f["file"] == "paraphrase-yes-no.jsonl"]
    assert finding["rule"] == "conflicting-answers"
    assert finding["lines"] == [1, 5]
    assert "paraphrased prompts, similarity" in finding["message"]
    assert "No vs Yes" in finding["message"]
    assert finding["evidence"] == "Can penguins fly?"


@needs_extra
def test_divergent_answers_to_one_prompt(report):
    (finding,) = [f for f in report["findings"] if f["file"] == "divergent.jsonl"]
    assert finding["rule"] == "divergent-answers"
    assert finding["severity"] == "info"
    assert finding["lines"] == [1, 2]


@needs_extra
def test_semantic_run_finds_everything_and_nothing_more(report, lexical):
    rules = sorted((f["file"], f["rule"], tuple(f["lines"])) for f in report["findings"])
    assert rules == [
        ("completion-labels.jsonl", "conflicting-labels", (1, 4)),
        ("divergent.jsonl", "divergent-answers", (1, 2)),
        ("labels.jsonl", "conflicting-labels", (1, 3, 5)),
        ("near-identical.jsonl", "conflicting-answers", (1, 2)),
        ("numeric.jsonl", "conflicting-answers", (1, 4)),
        ("numeric.jsonl", "conflicting-answers", (10, 11)),
        ("paraphrase-yes-no.jsonl", "conflicting-answers", (1, 5)),
        ("preferences.jsonl", "conflicting-preferences", (1, 3)),
        ("refusal.jsonl", "inconsistent-refusal", (1, 2)),
    ]
    semantic = report["stats"]["contradictions"]["tiers"]["semantic"]
    assert semantic["status"] == "ran"
    assert semantic["path"] == "precise"
    assert semantic["precise"]["model"].startswith("st-")


@needs_extra
def test_rerun_embeds_nothing_and_an_edit_embeds_only_the_edited_text(report, cache, tmp_path):
    again = _check(cache)
    precise = again["stats"]["contradictions"]["tiers"]["semantic"]["precise"]
    assert precise["embedded"] == 0
    assert precise["from_cache"] > 0
    assert again["findings"] == report["findings"]
    edited = tmp_path / "paraphrase-yes-no.jsonl"
    rows = (FIXTURES / "paraphrase-yes-no.jsonl").read_text("utf-8").splitlines()
    rows[4] = rows[4].replace("Are penguins able to fly?", "Are penguins capable of flight?")
    edited.write_text("\n".join(rows) + "\n", "utf-8")
    shutil.copy(FIXTURES / "numeric.jsonl", tmp_path / "numeric.jsonl")
    third = ftqa.check(
        [str(edited), str(tmp_path / "numeric.jsonl")],
        select=["contradictions"],
        config={"contradictions": {"cache_dir": str(cache)}},
    )
    precise = third.stats["contradictions"]["tiers"]["semantic"]["precise"]
    assert precise["embedded"] == 1
    assert [f.lines for f in third.findings if f.file == str(edited)] == [[1, 5]]


def test_train_and_validation_rows_are_compared():
    train = [
        {"messages": [{"role": "user", "content": "Does water boil at 100 °C at sea level?"},
                      {"role": "assistant", "content": "Yes, at standard pressure."}]},
        {"messages": [{"role": "user", "content": "Name a prime number."},
                      {"role": "assistant", "content": "Seven."}]},
    ]  # fmt: skip
    validation = [
        {"messages": [{"role": "user", "content": "Does water boil at 100 °C at sea level?"},
                      {"role": "assistant", "content": "No, it boils at 90 °C."}]},
    ]  # fmt: skip
    report = ftqa.check(
        train, validation, select=["contradictions"], config={"contradictions": {"semantic": False}}
    )
    rules = [(f.rule, f.file) for f in report.findings]
    assert ("conflicting-answers", "<memory>") in rules
    assert ("conflicting-answers", "<memory:validation>") in rules


@pytest.fixture(scope="module")
def static_model(tmp_path_factory):
    """Shared with test_semantic.py: distilled once per session."""
    from ftqa.semantic.models import PreciseModel, ensure_static_model

    root = tmp_path_factory.getbasetemp() / "ftqa-static"
    root.mkdir(exist_ok=True)
    model, _ = ensure_static_model(PreciseModel.resolve(None, root), root, SMALL_VOCAB)
    return model.path


@needs_extra
def test_large_path_searches_with_the_static_model_and_confirms_with_the_precise_one(
    static_model, cache
):
    report = ftqa.check(
        str(FIXTURES / "paraphrase-yes-no.jsonl"),
        select=["contradictions"],
        config={
            "contradictions": {
                "precise-limit": 0,
                "static-model": str(static_model),
                "search-threshold": 0.5,
                "cache-dir": str(cache),
            }
        },
    )
    semantic = report.stats["contradictions"]["tiers"]["semantic"]
    assert semantic["path"] == "static"
    assert semantic["static"]["embedded"] + semantic["static"]["from_cache"] == 8
    assert [(f.rule, f.lines) for f in report.findings] == [("conflicting-answers", [1, 5])]
    assert "paraphrased prompts" in report.findings[0].message


def _shared_prompt_rows(count: int) -> list[dict]:
    def chat(question: str, answer: str) -> dict:
        return {
            "messages": [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]
        }

    rows = [
        chat("Tell me a fun fact.", f"Fact {i}: it is {i * 7919 % 100003} km.")
        for i in range(count)
    ]
    rows += [chat("Is the Earth round?", "Yes, it is." if i % 2 else "No.") for i in range(6)]
    return rows


def test_one_prompt_shared_by_thousands_of_rows_is_not_compared_pairwise(tmp_path):
    """An open-ended prompt with thousands of different answers (it ran out of memory at 50,000
    rows: every pair of distinct answers was compared) costs no pairs; a real yes/no
    contradiction next to it is still found."""
    path = tmp_path / "shared.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _shared_prompt_rows(3000)), "utf-8")
    report = ftqa.check(path, select=["contradictions"])
    [run] = [check for check in report.checks if check.id == "contradictions"]
    assert run.status == "ran"
    identical = report.stats["contradictions"]["tiers"]["identical"]
    assert identical["open_ended_groups"] == 1
    assert identical["pairs_compared"] < 10
    [finding] = [f for f in report.findings if f.rule == "conflicting-answers"]
    assert len(finding.rows) == 6


def test_prompts_of_one_or_two_words_are_not_embedded(static_model, cache, tmp_path):
    """A word or two says which words, not what is asked: such prompts stay out of the
    embedding search (millions of them made it run for hours) and are counted in the stats;
    identical short prompts with conflicting answers are still found by the identical tier."""
    rows = [{"prompt": f"q{i}", "completion": f"a{i % 97}"} for i in range(400)]
    rows += [{"prompt": "Capital?", "completion": answer} for answer in ("Yes.", "No.")]
    path = tmp_path / "short.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    report = ftqa.check(
        path,
        select=["contradictions"],
        config={
            "contradictions": {
                "precise-limit": 0,
                "static-model": str(static_model),
                "cache-dir": str(cache),
            }
        },
    )
    semantic = report.stats["contradictions"]["tiers"]["semantic"]
    assert semantic["searched_prompts"] == 0
    assert semantic["short_prompts_left_out"] == 401
    assert [(f.rule, f.lines) for f in report.findings] == [("conflicting-answers", [401, 402])]
