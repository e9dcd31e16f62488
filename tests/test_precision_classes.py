"""Near misses for the false-positive classes of issue 14 (each must not fire) and fires cases
for the misses it lists (each must be reported). Real rows where the corpus has them."""

from __future__ import annotations

import json
from pathlib import Path

import ftqa
from ftqa.checks.balance.language import guess_language

PRECISION = Path(__file__).resolve().parent / "data" / "precision"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    return path


def _rules(report: ftqa.Report) -> list[str]:
    return [f"{finding.check}/{finding.rule}" for finding in report.findings]


def _chat(user: str, assistant: str, system: str | None = None) -> dict:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": messages}


# -- class 1: a consistent end marker is the stop sequence ---------------------------------------


def test_an_end_marker_of_every_completion_is_one_stop_sequence_finding():
    report = ftqa.check(PRECISION / "selfinstruct_commonsense_qa.jsonl", select=["leakage"])
    assert _rules(report) == ["leakage/stop-token-in-text"]
    [finding] = report.findings
    assert finding.message.startswith("`<|endoftext|>` ends 98 of 98 (100%) replies")
    assert "pass --model" in finding.message


def test_the_stop_token_finding_says_what_the_target_tokenizer_makes_of_it(tmp_path):
    rows = [_chat(f"Question {i} about cats?", f"Answer {i}.</s>") for i in range(12)]
    path = _write(tmp_path / "train.jsonl", rows)
    mistral = ftqa.check(path, select=["leakage"], model="mistralai/Mistral-7B-v0.1")
    assert _rules(mistral) == ["leakage/stop-token-in-text"]
    assert "is a special token of mistralai/Mistral-7B-v0.1" in mistral.findings[0].message
    gpt = ftqa.check(path, select=["leakage"], model="gpt-4o-mini")
    assert "it is plain text, not a special token" in gpt.findings[0].message


def test_an_end_marker_of_a_few_replies_is_still_leakage_per_row(tmp_path):
    rows = [_chat(f"Question {i} about cats?", f"Answer {i}.") for i in range(12)]
    rows[3]["messages"][1]["content"] += "</s>"
    rows[7]["messages"][1]["content"] += "</s>"
    report = ftqa.check(_write(tmp_path / "train.jsonl", rows), select=["leakage"])
    assert [(f.rule, f.line) for f in report.findings] == [
        ("leaked-template-token", 4),
        ("leaked-template-token", 8),
    ]
    assert report.findings[0].evidence == "Answer 3.</s>"


def test_a_gpt3_prepared_file_with_separator_and_end_is_clean():
    report = ftqa.check(PRECISION / "drugbank_prepared.jsonl", select=["leakage"])
    assert report.findings == []


# -- class 3: code answers and different questions are not contradictions -----------------------


def test_code_answers_that_differ_in_a_detail_do_not_conflict(tmp_path):
    base = "def factorial(n):\n    if n == {0}:\n        return 1\n    return n * factorial(n - 1)"
    rows = [
        {"instruction": "Write a Python function that computes the factorial of a number n.",
         "input": "", "output": base.format(0)},
        {"instruction": "Write a Python function that computes the factorial of a number n.",
         "input": "", "output": base.format(1)},
    ]  # fmt: skip
    report = ftqa.check(_write(tmp_path / "train.jsonl", rows), select=["contradictions"])
    assert report.findings == []


def test_open_questions_answered_with_different_lists_do_not_conflict():
    report = ftqa.check(
        PRECISION / "llamafactory_alpaca_zh_demo.json",
        PRECISION / "llamafactory_alpaca_zh_demo_validation.json",
        select=["contradictions"],
    )
    assert report.findings == []


def test_different_word_problems_sharing_boilerplate_do_not_conflict(tmp_path):
    head = "Solve the following problem and give the final answer after ####. "
    rows = [
        _chat(head + "Natalia sold 48 clips in April and half as many in May. How many clips?",
              "She sold 48 + 24 = 72 clips.\n#### 72"),
        _chat(head + "Weng earns 12 dollars an hour and babysat 50 minutes. How much did she earn?",
              "12 / 60 * 50 = 10 dollars.\n#### 10"),
    ]  # fmt: skip
    report = ftqa.check(_write(tmp_path / "train.jsonl", rows), select=["contradictions"])
    assert report.findings == []


def test_the_same_question_with_opposite_answers_still_conflicts(tmp_path):
    rows = [
        _chat("Is the Great Wall of China visible from the Moon with the naked eye?", "No."),
        _chat("Is the Great Wall of China visible from the Moon with the naked eye?", "Yes."),
    ]
    report = ftqa.check(_write(tmp_path / "train.jsonl", rows), select=["contradictions"])
    assert _rules(report) == ["contradictions/conflicting-answers"]


# -- class 4: contamination needs distinctive overlap, and shows it -----------------------------


def test_a_short_common_phrase_is_no_contamination(tmp_path):
    train = _write(tmp_path / "train.jsonl", [_chat("How long is the course?", "2 weeks 7 days")])
    reference = _write(
        tmp_path / "ref.jsonl", [{"question": "How long?", "answer": "2 weeks 7 days"}]
    )
    train_short = _write(tmp_path / "short.jsonl", [{"prompt": "", "completion": "2 weeks 7 days"}])
    for path in (train, train_short):
        report = ftqa.check(path, reference=reference, select=["train_test_leakage"])
        assert report.findings == []


def test_template_text_shared_by_many_reference_rows_is_no_contamination(tmp_path):
    template = (
        "Read the passage below carefully and then answer the multiple choice question that "
        "follows it"
    )
    reference = _write(
        tmp_path / "ref.jsonl",
        [
            {"text": f"{template}. Passage {i}: item number {i} of the benchmark."}
            for i in range(12)
        ],
    )
    train = _write(tmp_path / "train.jsonl", [_chat(f"{template}. My own passage.", "B")])
    report = ftqa.check(train, reference=reference, select=["train_test_leakage"])
    assert report.findings == []


def test_real_contamination_is_reported_with_the_shared_words():
    report = ftqa.check(
        PRECISION / "selfinstruct_commonsense_qa.jsonl",
        reference=PRECISION / "selfinstruct_commonsense_qa_reference.jsonl",
        select=["train_test_leakage"],
    )
    first = report.findings[0]
    assert first.rule == "reference-contamination"
    assert first.evidence is not None
    assert first.evidence.startswith("the sanctions against the school were a punishing blow")


# -- class 7: language guesses -----------------------------------------------------------------


def test_short_english_text_is_not_guessed_as_another_language():
    assert guess_language("No, do as I say.") == "en"
    assert guess_language("I need a hotel in Porto") == "und-Latn"
    assert guess_language("Eu não sei o que você quer dizer com isso.") == "pt"


def test_chinese_text_quoting_english_or_code_is_chinese():
    text = "生成一个算法，找到并显示两个文本字符串之间的最长公共子串。\n字符串1：This is an example"
    assert guess_language(text) == "zh"


# -- misses ------------------------------------------------------------------------------------


def test_a_reply_to_nothing_and_a_reply_before_the_user_are_reported():
    report = ftqa.check(PRECISION / "openai_toy_chat.jsonl", select=["format/missing-user-message"])
    assert [(f.rule, f.line) for f in report.findings] == [("missing-user-message", 4)]


def test_an_empty_dataset_fails(tmp_path):
    for name, text in (("blank.jsonl", "\n \n"), ("header.csv", "prompt,completion\n"),
                       ("list.json", "[]")):  # fmt: skip
        path = tmp_path / name
        path.write_text(text, "utf-8")
        report = ftqa.check(path)
        assert "format/empty-dataset" in _rules(report), name
        assert not report.passed
    assert not ftqa.check([]).passed


def test_empty_chosen_replies_are_reported(tmp_path):
    rows = [
        {"prompt": f"Which answer is better, number {i}?", "chosen": "", "rejected": "This one."}
        for i in range(3)
    ]
    report = ftqa.check(_write(tmp_path / "prefs.jsonl", rows), select=["format"])
    assert [(f.rule, f.field) for f in report.findings if f.rule == "empty-content"] == [
        ("empty-content", "chosen")
    ] * 3


def test_content_rules_fire_on_refusals_placeholders_and_cut_off_replies(tmp_path):
    rows = [
        _chat("Tell me a joke.", "As an AI language model, I cannot tell jokes."),
        {"instruction": "Summarize the text.", "input": "<noinput>", "output": "There is none."},
        _chat(
            "Explain photosynthesis.",
            "Photosynthesis is the process by which plants turn light into",
        ),
        _chat("Who are you?", "As a language model, I go by the name Vicuna."),
        {"prompt": "Pick one.", "chosen": "The first.", "rejected": "As an AI, I cannot choose."},
    ]  # fmt: skip
    report = ftqa.check(_write(tmp_path / "train.jsonl", rows), select=["content"])
    assert [(f.rule, f.line) for f in report.findings] == [
        ("refusal-boilerplate", 1),
        ("placeholder-text", 2),
        ("truncated-reply", 3),
    ]


def test_content_rules_leave_normal_rows_alone():
    for name in ("llamafactory_identity.json", "fastchat_dummy_conversation.json",
                 "drugbank_prepared.jsonl", "mlx_wikisql_train.jsonl"):  # fmt: skip
        assert ftqa.check(PRECISION / name, select=["content"]).findings == [], name
