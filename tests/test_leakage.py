"""The `leakage` checker: every rule on real fixture files (fires by line / near miss), the target
model deciding errors vs warnings, detection stats, the combined matcher, and the fixes.

Fixtures live in tests/data/leakage/ (each file's rows are commented in the tests below).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import ftqa
from conftest import run_cli
from ftqa.checker import CheckContext, Drop, Edit
from ftqa.checks.leakage import (
    LeakageChecker,
    LeakageOptions,
    Matcher,
    Vocabulary,
    ending_marker,
    families,
    families_for_model,
    literal_prefix,
)
from ftqa.errors import ConfigError
from ftqa.finding import Finding, Severity
from ftqa.rewrite.fixer import fix_dataset

DATA = Path(__file__).resolve().parent / "data" / "leakage"


def _check(name: str, model: str | None = None, **options: object) -> ftqa.Report:
    config: dict[str, object] = {"select": ["leakage"]}
    if "model_option" in options:
        options["model"] = options.pop("model_option")
    if options:
        config["leakage"] = options
    return ftqa.check(DATA / name, config=config, model=model)


def _found(report: ftqa.Report, rule: str) -> list[tuple[int | None, str | None]]:
    return [(f.line, f.field) for f in report.findings if f.rule == rule]


def _lines(report: ftqa.Report, rule: str) -> list[int | None]:
    return [f.line for f in report.findings if f.rule == rule]


def _rules(report: ftqa.Report) -> set[str]:
    return {f.rule for f in report.findings}


# -- template tokens ----------------------------------------------------------------------------


def test_template_tokens_are_reported_by_line_field_and_token():
    report = _check("chat_tokens.jsonl")
    # Lines 1-8 each leak tokens; 9-14 are near misses (HTML, links, `im_end` as a word, escaped
    # or spaced tokens, `a<s`, `[INSTANCE]`, `<think>`, which is not in the list).
    assert _found(report, "leaked-template-token") == [
        (1, "messages[1].content"),
        (2, "messages[0].content"),
        (3, "messages[1].content"),
        (4, "messages[1].content"),
        (5, "messages[0].content"),
        (6, "messages[1].content"),
        (7, "messages[1].tool_calls[0].function.arguments"),
        (8, "messages[1].content"),
    ]
    assert _found(report, "leaked-special-token") == []
    by_line = {f.line: f for f in report.findings}
    assert "`<|im_end|>` (ChatML)" in by_line[1].message
    assert "`<|eot_id|>` ×2" in by_line[6].message
    assert "<｜end▁of▁sentence｜>" in by_line[4].message
    assert "<|reserved_special_token_12|>" in by_line[8].message
    assert by_line[1].evidence == "It ships tomorrow.<|im_end|>"
    assert "pass --model" in by_line[1].message
    assert report.stats["leakage"]["rows_with_template_tokens"] == 8
    assert report.stats["leakage"]["template_tokens"]["<|eot_id|>"] == 2


@pytest.mark.parametrize(
    ("model", "errors"),
    [
        ("gpt-4o-mini", [3, 7]),  # <|fim_suffix|>, <|endoftext|>: OpenAI rejects them
        ("Qwen/Qwen2.5-7B-Instruct", [1, 3, 7]),  # ChatML and Qwen's own tokens
        ("meta-llama/Llama-3.1-8B-Instruct", [2, 6, 8]),  # headers, eot, reserved tokens
        ("deepseek-ai/DeepSeek-V3", [4]),
        ("mistralai/Mistral-7B-Instruct-v0.3", [5]),
    ],
)
def test_the_target_models_own_tokens_are_errors_and_others_warnings(model, errors):
    report = _check("chat_tokens.jsonl", model=model)
    assert _lines(report, "leaked-special-token") == errors
    warnings = _lines(report, "leaked-template-token")
    assert sorted(errors + warnings) == [1, 2, 3, 4, 5, 6, 7, 8]
    special = [f for f in report.findings if f.rule == "leaked-special-token"]
    assert all(f.severity is Severity.ERROR for f in special)
    assert all(f"special token of {model}" in f.message for f in special)
    assert not report.passed


def test_tiktoken_special_tokens_come_from_the_encoding():
    vocabulary = Vocabulary.build(LeakageOptions(), "gpt-4o-mini")
    assert vocabulary.target.encoding == "o200k_base"
    assert {"<|endoftext|>", "<|endofprompt|>", "<|fim_suffix|>"} <= vocabulary.target.special
    assert "<|im_end|>" not in vocabulary.target.special


def test_cli_exit_code_and_json_for_a_target_model():
    result = run_cli(
        "check",
        str(DATA / "chat_tokens.jsonl"),
        "--select",
        "leakage",
        "--format",
        "json",
        "--model",
        "gpt-4o-mini",
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert [(f["line"], f["rule"]) for f in errors] == [
        (3, "leaked-special-token"),
        (7, "leaked-special-token"),
    ]
    assert errors[0]["fix"] == 'delete "<|fim_suffix|>" from the text'
    assert report["stats"]["leakage"]["target"]["families"] == ["gpt"]


def test_configured_families_extra_and_allowed_tokens():
    report = _check(
        "chat_tokens.jsonl",
        target_families=["chatml"],
        extra_special_tokens=["<think>"],
        allowed_tokens=["[INST]", "[/INST]"],
    )
    assert _lines(report, "leaked-special-token") == [1, 14]
    assert 5 not in _lines(report, "leaked-template-token")  # allowed
    warnings = _check("chat_tokens.jsonl", extra_tokens=["<think>"])
    assert 14 in _lines(warnings, "leaked-template-token")


def test_the_model_option_names_the_target_when_no_model_is_given():
    report = _check("chat_tokens.jsonl", model_option="gpt-4o-mini")
    assert _lines(report, "leaked-special-token") == [3, 7]
    report = _check("chat_tokens.jsonl", model="deepseek-ai/DeepSeek-V3", model_option="gpt-4o")
    assert _lines(report, "leaked-special-token") == [4]  # --model wins


def test_unknown_template_family_is_a_configuration_error():
    with pytest.raises(ConfigError, match="unknown template family 'chatmll'"):
        _check("chat_tokens.jsonl", target_families=["chatmll"])


def test_tokens_in_every_format():
    alpaca = _check("alpaca.jsonl")
    assert _found(alpaca, "role-label-in-content") == [(1, "instruction")]
    assert _found(alpaca, "leaked-template-token") == [(2, "output")]
    sharegpt = _check("sharegpt.jsonl")
    assert _found(sharegpt, "leaked-template-token") == [(1, "conversations[1].value")]
    preference = _check("preference.jsonl")
    assert _found(preference, "leaked-template-token") == [(1, "chosen")]
    table = _check("classification.csv")
    assert _found(table, "leaked-template-token") == [(2, "text")]


# -- role labels --------------------------------------------------------------------------------


def test_role_labels_that_begin_content_and_turns_inside_responses():
    report = _check("chat_roles.jsonl")
    assert _found(report, "role-label-in-content") == [
        (1, "messages[0].content"),  # user message starting "Assistant:"
        (2, "messages[1].content"),  # answer starting "### Response:"
    ]
    assert _found(report, "next-turn-in-response") == [
        (3, "messages[1].content"),  # "\nUser:" inside the answer
        (4, "messages[1].content"),  # "\n\nHuman:" inside the answer
    ]
    # 5: labels inside a fenced code block; 6: "Username:", "Users:", mid-line "User:";
    # 7: a transcript in a *user* message; 8: lowercase "user:".
    assert {f.line for f in report.findings} == {1, 2, 3, 4}


# -- template consistency -----------------------------------------------------------------------


def test_rows_that_deviate_from_the_dominant_system_prompt():
    report = _check("system_prompt_drift.jsonl")
    found = [f for f in report.findings if f.rule == "inconsistent-system-prompt"]
    assert [f.line for f in found] == [11, 18]
    assert "differs from the one 22 of 24 (92%) rows use" in found[0].message
    assert "has no system prompt" in found[1].message
    assert found[0].evidence.startswith("You are a concise support agent for Acme.")
    stats = report.stats["leakage"]["template"]["system_prompt"]
    assert stats["dominant"].startswith("You are a concise support agent for Acme.")
    assert stats["share"] == round(22 / 24, 4)
    assert stats["variants"] == 2
    assert stats["rows_without"] == 1
    assert _rules(report) == {"inconsistent-system-prompt"}


def test_two_equally_common_system_prompts_are_not_drift():
    report = _check("system_prompt_two_tasks.jsonl")
    assert report.findings == []


def test_rows_that_deviate_from_the_dominant_prompt_scaffold():
    report = _check("prompt_scaffold_drift.jsonl")
    assert _lines(report, "inconsistent-prompt-template") == [6, 20]
    scaffold = report.stats["leakage"]["template"]["prompt_scaffold"]
    assert (
        scaffold["dominant"] == "Answer the customer's question in a friendly tone.\n\nQuestion: "
    )
    assert scaffold["prefix_bytes"] == 32  # the scaffold is 61 bytes: 64 include the question
    assert scaffold["share"] == round(22 / 24, 4)


def test_template_thresholds_are_options():
    assert _check("system_prompt_drift.jsonl", template_min_share=0.95).findings == []
    assert _check("system_prompt_drift.jsonl", template_min_rows=25).findings == []


# -- whitespace hygiene ---------------------------------------------------------------------------


def test_untrimmed_content_and_mixed_line_endings():
    report = _check("whitespace.jsonl")
    assert _found(report, "untrimmed-content") == [
        (1, "messages[0].content"),
        (2, "messages[1].content"),
    ]
    assert _found(report, "mixed-line-endings") == [(3, "messages[1].content"), (4, None)]
    assert {f.line for f in report.findings} == {1, 2, 3, 4}  # 5, 6: inner whitespace only
    assert next(f for f in report.findings if f.line == 2).message.endswith("ends with `\\n\\n`")


def test_a_crlf_row_among_lf_rows_but_not_a_crlf_file():
    assert _found(_check("crlf_minority.jsonl"), "mixed-line-endings") == [(5, None)]
    assert _check("crlf_consistent.jsonl").findings == []


def test_untrimmed_content_roles_are_an_option():
    report = _check("whitespace.jsonl", trim_roles=["assistant"])
    assert _lines(report, "untrimmed-content") == [2]


# -- prompt/completion separators and stop sequences ----------------------------------------------


def test_separator_and_stop_sequence_rules_on_detected_values():
    report = _check("completion_separators.jsonl", model="gpt-3.5-turbo")
    found = sorted((f.line, f.rule) for f in report.findings)
    assert found == [
        (3, "missing-separator"),
        (5, "multiple-separators"),
        (6, "multiple-separators"),
        (8, "separator-in-text"),
        (10, "missing-stop-sequence"),
        (12, "stop-sequence-in-completion"),
        (14, "completion-without-leading-space"),
    ]
    stats = report.stats["leakage"]
    assert stats["separator"]["value"] == "\n\n###\n\n"
    assert stats["separator"]["source"] == "detected"
    assert stats["separator"]["in_use"] == {"\n\n###\n\n": 21, " ->": 2}
    assert stats["stop_sequence"]["value"] == "\n"
    missing = next(f for f in report.findings if f.rule == "missing-separator")
    assert missing.fix == 'append "\\n\\n###\\n\\n" to the prompt'
    assert "21 of 24 (88%)" in missing.message


def test_a_correct_prompt_completion_file_is_clean():
    report = _check("completion_clean.jsonl", model="gpt-3.5-turbo")
    assert report.findings == []
    assert report.stats["leakage"]["separator"]["value"] == "\n\n###\n\n"
    assert report.stats["leakage"]["stop_sequence"]["value"] == "\n"


def test_no_separator_suggests_one_that_occurs_nowhere_in_the_data():
    report = _check("completion_no_separator.jsonl")
    by_rule = {f.rule: f for f in report.findings}
    assert set(by_rule) == {"missing-shared-separator", "missing-shared-stop-sequence"}
    rows = [json.loads(line) for line in (DATA / "completion_no_separator.jsonl").open()]
    texts = [row["prompt"] for row in rows] + [row["completion"] for row in rows]
    for rule, expected in (
        ("missing-shared-separator", " ->"),
        ("missing-shared-stop-sequence", " END"),
    ):
        fix = by_rule[rule].fix
        assert fix is not None
        suggested = json.loads(fix.split(" with ", 1)[1].split(", which", 1)[0])
        assert suggested == expected
        assert not any(suggested in text for text in texts)
    # "\n\n###\n\n" would be the next separator candidate, but a completion contains it.
    assert "\n\n###\n\n" in texts[27]


def test_too_few_rows_to_detect_a_separator():
    report = _check("completion_no_separator.jsonl", separator_min_rows=25)
    assert report.findings == []
    configured = _check("completion_no_separator.jsonl", separator_min_rows=25, separator=" ->")
    assert len(_lines(configured, "missing-separator")) == 24


def test_a_long_separator_is_reported_whole():
    report = _check("completion_long_separator.jsonl")
    found = [f for f in report.findings if f.rule == "long-separator"]
    assert len(found) == 1
    assert "`\\n\\n### Response (answer below):\\n` is 31 characters long" in found[0].message
    assert _check("completion_long_separator.jsonl", max_separator_chars=40).findings == []


def test_configured_values_and_code_blocks():
    strict = ftqa.check(
        DATA / "completion_code_block.jsonl", config=DATA / "code_blocks_strict.toml"
    )
    leak = [f for f in strict.findings if f.check == "leakage"]
    assert sorted((f.line, f.rule) for f in leak) == [
        (1, "separator-in-text"),
        (1, "stop-sequence-in-completion"),
        (2, "separator-in-text"),
        (2, "stop-sequence-in-completion"),
        (3, "separator-in-text"),
        (3, "stop-sequence-in-completion"),
        (4, "separator-in-text"),
        (4, "stop-sequence-in-completion"),
        (5, "separator-in-text"),
    ]
    allowed = ftqa.check(DATA / "completion_code_block.jsonl", config=DATA / "code_blocks.toml")
    leak = [f for f in allowed.findings if f.check == "leakage"]
    assert [(f.line, f.rule) for f in leak] == [(5, "separator-in-text")]
    assert allowed.stats["leakage"]["separator"]["source"] == "configured"


def test_configured_separator_missing_from_prompts():
    report = _check("completion_separators.jsonl", separator="\n\n###\n\n", stop_sequence="\n")
    assert _lines(report, "missing-separator") == [3, 5, 6]
    assert _lines(report, "missing-stop-sequence") == [10]
    assert "multiple-separators" not in _rules(report)


def test_classification_completions_need_no_stop_sequence():
    report = _check("completion_classification.jsonl")
    assert report.findings == []
    assert report.stats["leakage"]["stop_sequence"]["checked"] is False
    assert report.stats["leakage"]["separator"]["value"] == "\nLabel:"


def test_leading_space_is_an_option():
    report = _check("completion_separators.jsonl", leading_space=True)
    assert _lines(report, "completion-without-leading-space") == [14]
    off = _check("completion_separators.jsonl", model="gpt-3.5-turbo", leading_space=False)
    assert "completion-without-leading-space" not in _rules(off)


# -- the examples table -------------------------------------------------------------------------


def test_measures_in_the_examples_table():
    report = ftqa.check(DATA / "chat_tokens.jsonl", config={"select": ["leakage"]}, examples=True)
    frame = report.examples
    assert list(frame["template_tokens"]) == [1, 2, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0]
    drift = ftqa.check(
        DATA / "system_prompt_drift.jsonl", config={"select": ["leakage"]}, examples=True
    )
    ids = drift.examples["system_prompt"]
    assert ids.nunique() == 2
    assert ids.isna().sum() == 1


# -- building blocks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("What is 2+2?\n\n###\n\n", "\n\n###\n\n"),
        ("Q: hi\nA:", "\nA:"),
        ("Below.\n\n### Response:\n", "\n\n### Response:\n"),
        ("a line ->", " ->"),
        ("done END", " END"),
        ("done [END]", " [END]"),
        ("text<|endoftext|>", "<|endoftext|>"),
        ("Hello.", ""),
        ("Why?\n", "\n"),
        ("a -> b", ""),
        ("emoji 😀", ""),
    ],
)
def test_ending_marker(text, marker):
    assert ending_marker(text) == marker


def test_the_two_matcher_engines_find_the_same_spans():
    vocabulary = Vocabulary.build(LeakageOptions(), None)
    literals = vocabulary.matcher.literals
    patterns = [p.pattern for p in vocabulary.matcher.patterns]
    fast = Matcher(literals, patterns, "ahocorasick")
    plain = Matcher(literals, patterns, "re")
    assert (fast.engine, plain.engine) == ("ahocorasick-rs", "re")
    rng = random.Random(7)
    pieces = [*literals[:60], "<|reserved_special_token_7|>", "<|reserved_x|>", "héllo ", "<", "["]
    texts = [line for path in DATA.glob("*.jsonl") for line in path.read_text().splitlines()]
    texts += ["".join(rng.choice(pieces) for _ in range(40)) for _ in range(300)]
    for text in texts:
        assert fast.find(text) == plain.find(text), text


def test_a_lone_surrogate_does_not_stop_the_automaton():
    literals = ["<|im_end|>", "\nUser"]
    for engine in ("ahocorasick", "re"):
        assert Matcher(literals, [], engine).find("a\ud800<|im_end|>") == [(2, 12, "<|im_end|>")]


def test_one_matcher_holds_every_token_and_label():
    checker = LeakageChecker(LeakageOptions(), CheckContext())
    matcher = checker.vocabulary.matcher
    every = {token for family in families().values() for token in family.tokens}
    assert every <= set(matcher.literals)
    assert "\nUser" in matcher.literals
    assert len(matcher.literals) > 100


def test_token_data_names_its_sources():
    known = families()
    assert {"chatml", "llama2", "llama3", "gemma", "phi3", "gpt", "deepseek", "qwen"} <= set(known)
    for family in known.values():
        assert family.source
        assert family.title
        assert family.tokens or family.patterns
        for pattern in family.patterns:
            assert len(literal_prefix(pattern)) >= 2
    assert "<｜User｜>" in known["deepseek"].tokens  # full-width bars (U+FF5C)
    assert {"<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"} <= set(known["gpt"].tokens)


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt"),
        ("Qwen/Qwen2.5-7B-Instruct", "chatml"),
        ("meta-llama/Meta-Llama-3.1-8B-Instruct", "llama3"),
        ("google/gemma-2-9b-it", "gemma"),
        ("microsoft/Phi-3-mini-4k-instruct", "phi3"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "llama2"),
        ("openai/gpt-oss-20b", "harmony"),
    ],
)
def test_model_names_map_to_their_template_families(model, family):
    assert family in families_for_model(model)


# -- fixes --------------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_fix_appends_separators_and_stop_sequences(tmp_path):
    out = tmp_path / "clean.jsonl"
    summary = fix_dataset(DATA / "completion_separators.jsonl", out, config={"leakage": {}})
    assert summary.rows_in == summary.rows_out == 24
    rows = _rows(out)
    assert rows[2]["prompt"] == "Do fish swim?\n\n###\n\n"
    assert rows[9]["completion"] == " No, see fact 9.\n"
    assert rows[4]["prompt"] == "Is ice hot? ->"  # replacing a separator is unsafe
    assert summary.by_rule == {"leakage/missing-separator": 1, "leakage/missing-stop-sequence": 1}
    unsafe = fix_dataset(
        DATA / "completion_separators.jsonl", tmp_path / "unsafe.jsonl", unsafe=True
    )
    assert _rows(tmp_path / "unsafe.jsonl")[4]["prompt"] == "Is ice hot?\n\n###\n\n"
    assert unsafe.by_rule["leakage/multiple-separators"] == 2
    again = ftqa.check(tmp_path / "unsafe.jsonl", config={"select": ["leakage"]})
    assert {"missing-separator", "missing-stop-sequence", "multiple-separators"}.isdisjoint(
        _rules(again)
    )


def test_fix_removes_leaked_tokens_only_when_unsafe(tmp_path):
    source = DATA / "chat_tokens.jsonl"
    safe = fix_dataset(source, tmp_path / "safe.jsonl")
    assert safe.edits == 0
    assert (tmp_path / "safe.jsonl").read_bytes() == source.read_bytes()
    summary = fix_dataset(source, tmp_path / "clean.jsonl", unsafe=True)
    assert summary.rows_in == summary.rows_out + summary.rows_quarantined == 14
    rows = _rows(tmp_path / "clean.jsonl")
    assert rows[0]["messages"][1]["content"] == "It ships tomorrow."
    assert rows[1]["messages"][0]["content"] == "How do I reset it?"  # the whole header went
    assert rows[4]["messages"][0]["content"] == "Translate 'cat' to French."
    arguments = rows[6]["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert arguments == '{"city": "Paris"}'
    again = ftqa.check(tmp_path / "clean.jsonl", config={"select": ["leakage"]})
    assert _rules(again).isdisjoint({"leaked-template-token", "leaked-special-token"})


def test_fix_strips_whitespace_and_normalizes_line_endings(tmp_path):
    summary = fix_dataset(DATA / "whitespace.jsonl", tmp_path / "clean.jsonl")
    rows = _rows(tmp_path / "clean.jsonl")
    assert rows[0]["messages"][0]["content"] == "Where is my order?"
    assert rows[1]["messages"][1]["content"] == "It ships tomorrow."
    assert rows[2]["messages"][1]["content"] == "Red\nBlue\nGreen"
    assert rows[3]["messages"][0]["content"] == "Two lines\nplease."
    assert summary.rows_out == 6
    assert ftqa.check(tmp_path / "clean.jsonl", config={"select": ["leakage"]}).findings == []


def test_fix_on_alpaca_rows(tmp_path):
    summary = fix_dataset(DATA / "alpaca.jsonl", tmp_path / "clean.jsonl", unsafe=True)
    rows = _rows(tmp_path / "clean.jsonl")
    assert rows[1]["output"] == "Apple."
    assert rows[0]["instruction"] == "### Instruction: Name a colour."  # no fix for labels
    assert summary.rows_out == 3


def test_fix_on_a_csv_file(tmp_path):
    summary = fix_dataset(DATA / "classification.csv", tmp_path / "clean.csv", unsafe=True)
    # one row, two rounds: the token goes, then the space it leaves behind
    assert summary.by_rule == {"leakage/leaked-template-token": 1, "leakage/untrimmed-content": 1}
    text = (tmp_path / "clean.csv").read_text(encoding="utf-8")
    assert "Great product,positive" in text
    assert "<|endoftext|>" not in text
    assert "Great product" in text


def test_content_that_is_only_tokens_is_quarantined():
    checker = LeakageChecker(LeakageOptions(), CheckContext())
    raw = {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "<|im_end|>"},
        ]
    }
    finding = Finding(
        check="leakage",
        rule="leaked-template-token",
        severity=Severity.WARNING,
        message="m",
        row=0,
        field="messages[1].content",
        fix='delete "<|im_end|>" from the text',
        fix_values=("<|im_end|>",),  # what the fix deletes, as data (never parsed from `fix`)
    )
    result = checker.fix(raw, finding, 0)
    assert isinstance(result, Drop)
    assert raw["messages"][1]["content"] == "<|im_end|>"  # the argument is not mutated


def test_fix_edits_content_parts_and_reports_excerpts():
    checker = LeakageChecker(LeakageOptions(), CheckContext())
    raw = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "  Hi <|eot_id|>"}]},
            {"role": "assistant", "content": "Hello"},
        ]
    }
    finding = Finding(
        check="leakage",
        rule="leaked-template-token",
        severity=Severity.WARNING,
        message="m",
        field="messages[0].content",
        fix='delete "<|eot_id|>" from the text',
        fix_values=("<|eot_id|>",),
    )
    result = checker.fix(raw, finding, 0)
    assert isinstance(result, Edit)
    assert result.value["messages"][0]["content"][0]["text"] == "  Hi "
    assert "<|eot_id|>" in (result.before or "")
    assert "<|eot_id|>" not in (result.after or "<|eot_id|>")
