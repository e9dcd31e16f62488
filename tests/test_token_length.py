"""The `token_length` checker: each rule on real fixture files (fires / near miss), truncation
details, percentiles, cost arithmetic and recommendations.

Fixtures live in tests/data/token_length/. `limit60.toml` sets `max-tokens = 60` so truncation
cases stay readable; the totals quoted in comments are the OpenAI cookbook's count under
o200k_base (3 per message + role + content, + 3 reply priming), checked against tiktoken in
test_fixture_totals_are_the_cookbook_counts.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest

import ftqa
from conftest import run_cli
from ftqa.checker import CheckContext
from ftqa.checks.token_length import TokenLengthChecker
from ftqa.errors import ConfigError
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, RunContext
from ftqa.providers.tokens import TOKENS, token_target
from ftqa.records import Record
from ftqa.tokens import get_profile
from ftqa.tokens.stats import iqr_fences, percentile, summary

DATA = Path(__file__).resolve().parent / "data" / "token_length"
LIMIT60 = DATA / "limit60.toml"


def _check(cmd_args: list[str]) -> tuple[int, dict]:
    result = run_cli("check", *cmd_args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def _run(
    name: str, *extra: str, config: Path | None = LIMIT60, cli: bool = False
) -> tuple[int, dict]:
    """Check a fixture with `token_length` only: through the CLI in a subprocess (`cli=True`)
    or `ftqa.check` in this process (same options; faster, the vocabulary stays loaded)."""
    if cli:
        args = [str(DATA / name), "--format", "json", "--select", "token_length"]
        if config is not None:
            args += ["--config", str(config)]
        return _check([*args, *extra])
    options = dict(zip(extra[::2], extra[1::2], strict=True))
    report = ftqa.check(
        DATA / name,
        config=config if config is not None else {},
        select=["token_length"],
        model=options.get("--model"),
        epochs=int(options["--epochs"]) if "--epochs" in options else None,
    )
    return report.exit_code(), json.loads(report.to_json())


def _findings(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


# -- each rule: fires / near miss ----------------------------------------------------------


def test_over_token_limit_fires_and_says_what_is_cut():
    code, report = _run("over-token-limit.jsonl", cli=True)
    assert code == 1
    found = _findings(report, "over-token-limit")
    assert [(f["line"], f["row"], f["field"]) for f in found] == [
        (2, 1, "messages[1]"),
        (3, 2, "messages[0]"),
    ]
    assert all(f["severity"] == "error" for f in found)
    # line 2: 80 tokens = user 3+1+5, assistant 3+1+64, priming 3; cutting 20 from the end
    # removes the priming and 17 of the assistant's 68 tokens.
    reply = found[0]["message"]
    assert "80 tokens, 20 over the 60-token limit" in reply
    assert "17 of 68 tokens of messages[1] (assistant)" in reply
    assert "loses its last 17 tokens" in reply
    assert "stop sequence" in reply
    # line 3: the prompt alone (64 tokens) fills the window: the reply is cut entirely.
    prompt = found[1]["message"]
    assert "4 of 64 tokens of messages[0] (user), all of messages[1] (assistant)" in prompt
    assert "nothing of the assistant reply would remain" in prompt
    assert found[0]["fix"] == "shorten or split the example to at most 60 tokens"


def test_over_token_limit_near_miss_exactly_at_the_limit():
    code, report = _run("near-token-limit.jsonl")
    assert code == 0
    assert _findings(report, "over-token-limit") == []
    assert report["stats"]["token_length"]["over_limit"] == 0


def test_over_token_limit_at_the_real_gpt35_limit():
    # 17,028 tokens (a 17,000-word user message): over gpt-3.5-turbo's 16,385, under 65,536.
    code, report = _run(
        "long-conversation.jsonl.gz", "--model", "gpt-3.5-turbo", config=None, cli=True
    )
    assert code == 1
    (finding,) = _findings(report, "over-token-limit")
    assert finding["line"] == 1
    assert "643 over the 16,385-token limit of gpt-3.5-turbo-0125" in finding["message"]
    code, report = _run("long-conversation.jsonl.gz", "--model", "gpt-4o-mini", config=None)
    assert code == 0
    assert report["findings"] == []


def test_start_truncation_cuts_the_prompt_and_keeps_the_reply():
    report = ftqa.check(
        DATA / "over-token-limit.jsonl",
        config={"token_length": {"max-tokens": 60, "truncation": "start"}},
        select=["token_length"],
    )
    found = [f for f in report.findings if f.rule == "over-token-limit"]
    assert [f.line for f in found] == [2, 3]
    # line 2: 20 removed from the start: all 9 tokens of the user turn, 11 of the reply's 68.
    assert "all of messages[0] (user), 11 of 68 tokens of messages[1]" in found[0].message
    assert "7 trainable tokens are lost" in found[0].message  # 11 minus 4 framing tokens
    # line 3: 15 of the 64-token prompt go; the reply is whole.
    assert "15 of 64 tokens of messages[0] (user)" in found[1].message
    assert "kept whole" in found[1].message
    assert not [f for f in report.findings if f.rule == "nothing-to-train"]


def test_near_token_limit_fires_within_ten_percent():
    _code, report = _run("near-token-limit.jsonl")
    found = _findings(report, "near-token-limit")
    assert [(f["line"], f["severity"]) for f in found] == [(1, "info"), (2, "info")]
    assert "54 tokens, 6 below the 60-token limit" in found[0]["message"]
    assert "exactly at the 60-token limit" in found[1]["message"]


def test_near_token_limit_near_miss_just_outside_ten_percent():
    code, report = _run("near-token-limit-near-miss.jsonl")  # 53 tokens: 54 is the threshold
    assert code == 0
    assert report["findings"] == []


def test_near_limit_fraction_is_an_option():
    report = ftqa.check(
        DATA / "near-token-limit-near-miss.jsonl",
        config={"token_length": {"max-tokens": 60, "near-limit-fraction": 0.2}},
        select=["token_length"],
    )
    assert [f.line for f in report.findings if f.rule == "near-token-limit"] == [1]


def test_nothing_to_train_fires_when_truncation_removes_the_reply():
    code, report = _run("nothing-to-train.jsonl")
    assert code == 1
    (finding,) = _findings(report, "nothing-to-train")
    assert (finding["line"], finding["severity"]) == (2, "error")
    assert "all 4 trainable tokens lie beyond the 60-token limit" in finding["message"]


def test_nothing_to_train_near_miss():
    # line 1: 66 tokens; cutting 6 from the end removes the priming and 3 of the reply's
    # 8 tokens (4 framing + 4 content): one reply token survives. line 2: weight 0 is
    # format/nothing-to-learn's finding, not repeated here.
    _code, report = _run("nothing-to-train-near-miss.jsonl")
    assert _findings(report, "nothing-to-train") == []
    assert [f["line"] for f in _findings(report, "over-token-limit")] == [1]
    _code, report = _check([str(DATA / "nothing-to-train-near-miss.jsonl"), "--format", "json"])
    rules = {(f["check"], f["rule"], f["line"]) for f in report["findings"]}
    assert ("format", "nothing-to-learn", 2) in rules
    assert not any(rule == "nothing-to-train" for _, rule, _ in rules)


def test_length_outlier_fires_above_the_fence():
    code, report = _run("length-outlier.jsonl", config=None)
    assert code == 0  # an info finding does not fail the run
    (finding,) = _findings(report, "length-outlier")
    assert (finding["line"], finding["row"], finding["severity"]) == (18, 17, "info")
    # the 30 other rows: Q1 22, Q3 26, IQR 4 → upper fence 26 + 3 × 4 = 38
    assert "192 tokens, above the upper fence 38 (Q3 26 + 3 × IQR)" in finding["message"]
    fences = report["stats"]["token_length"]["outlier_fences"]
    assert (fences["q1"], fences["q3"], fences["upper"]) == (22.0, 26.0, 38.0)


def test_length_outlier_near_miss_just_inside_the_fence():
    _code, report = _run("length-outlier-near-miss.jsonl", config=None)  # 37 tokens, fence 38
    assert report["findings"] == []


def test_length_outlier_factor_and_minimum_rows_are_options():
    report = ftqa.check(
        DATA / "length-outlier-near-miss.jsonl",
        config={"token_length": {"outlier-iqr-factor": 1.5}},
        select=["token_length"],
    )
    assert [f.line for f in report.findings if f.rule == "length-outlier"] == [18]
    report = ftqa.check(
        DATA / "length-outlier.jsonl",
        config={"token_length": {"outlier-min-rows": 40}},
        select=["token_length"],
    )
    assert not report.findings


def test_completion_empty_after_tokenization_fires_on_special_tokens_only():
    code, report = _run("completion-empty-after-tokenization.jsonl", config=None)
    assert code == 1
    found = _findings(report, "completion-empty-after-tokenization")
    assert [(f["line"], f["field"]) for f in found] == [(2, "messages[1]"), (3, "messages[1]")]
    assert "only special tokens" in found[0]["message"]


def test_completion_empty_after_tokenization_near_miss():
    # "</s>" is ordinary text for o200k_base; "Done.<|endoftext|>" has content; the special
    # token in a weight-0 turn is not trained on.
    _code, report = _run("completion-empty-after-tokenization-near-miss.jsonl", config=None)
    assert report["findings"] == []


def test_custom_hugging_face_profile_from_config():
    _code, report = _check_in(DATA, "custom-profile.jsonl", "--config", "custom-profile.toml")
    rules = sorted((f["rule"], f["line"]) for f in report["findings"])
    assert rules == [
        ("completion-empty-after-tokenization", 2),
        ("near-token-limit", 1),
        ("over-token-limit", 3),
    ]
    # line 2's reply is two zero-width spaces, which the tokenizer's normalizer removes:
    # reported once, as empty after tokenization, not again as nothing-to-train.
    empty = _findings(report, "completion-empty-after-tokenization")[0]
    assert "no tokens at all" in empty["message"]
    stats = report["stats"]["token_length"]
    assert stats["model"] == "tiny-llama"
    assert stats["encoding"] is None
    assert stats["tokenizer"].startswith("Hugging Face tokenizer")
    # word-level tokens; roles are one [UNK] token each:
    # line 1: 7 + 2 content, 2 × (3 + 1) framing, 3 priming = 20
    # line 2: 2 + 0 content, 8 framing, 3 priming = 13; line 3: 11 + 3, 8, 3 = 25
    assert stats["total"] == 20 + 13 + 25
    cost = report["cost"]
    # Σ min(20, t) = 20 + 13 + 20 = 53 per epoch, × 2 fixed epochs, × $2 / 1M
    assert (cost["billed_tokens"], cost["epochs"]) == (106, 2)
    assert cost["estimate_usd"] == pytest.approx(106 * 2.0 / 1e6)
    assert any("from your profile configuration" in line for line in cost["assumptions"])


def _check_in(cwd: Path, *args: str) -> tuple[int, dict]:
    result = run_cli("check", *args, "--format", "json", "--select", "token_length", cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_unknown_model_in_config_is_a_configuration_error():
    with pytest.raises(ConfigError, match="gpt-9"):
        ftqa.check(
            DATA / "near-token-limit.jsonl",
            config={"token_length": {"model": "gpt-9"}},
            select=["token_length"],
        )
    result = run_cli(
        "check", str(DATA / "near-token-limit.jsonl"), "--config", str(DATA / "bad-model.toml")
    )
    assert result.returncode == 2
    assert "gpt-9" in result.stderr


# -- counts, cache and measures ------------------------------------------------------------


def _cookbook_total(encoding, messages) -> int:
    return (
        sum(
            3
            + len(encoding.encode_ordinary(m["role"]))
            + len(encoding.encode_ordinary(m["content"]))
            for m in messages
        )
        + 3
    )


@pytest.mark.parametrize(
    "name",
    [
        "over-token-limit.jsonl",
        "near-token-limit.jsonl",
        "length-outlier.jsonl",
        "completion-empty-after-tokenization.jsonl",
    ],
)
def test_fixture_totals_are_the_cookbook_counts(name):
    import tiktoken

    encoding = tiktoken.Encoding(
        name="o200k_check",
        pat_str=get_profile(None).tokenizer.encoding._pat_str,
        mergeable_ranks=get_profile(None).tokenizer.encoding._mergeable_ranks,
        special_tokens={},
    )
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    report = ftqa.check(DATA / name, select=["token_length"], examples=True)
    assert list(report.examples["tokens_total"]) == [
        _cookbook_total(encoding, row["messages"]) for row in rows
    ]


def _record(raw: dict, row: int = 0) -> Record:
    record = Record(file="mem", row=row, line=row + 1, raw=raw)
    Normalizer().normalize(record)
    return record


def test_token_counts_are_provided_to_every_checker():
    options = TokenLengthChecker.Options()
    checker = TokenLengthChecker(options, CheckContext())
    record = _record(
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi", "name": "ann"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "Bye"},
                {"role": "assistant", "content": "Bye.", "weight": 0},
            ]
        }
    )
    run = RunContext(options={"token_length": options})
    result = checker.map(record, Provided(record, run))
    assert result is not None
    assert list(result.findings) == []
    counts = Provided(record, run)(TOKENS).counts
    profile = get_profile(None)
    count = profile.tokenizer.count
    contents = ["Be brief.", "Hi", "Hello!", "Bye", "Bye."]
    assert counts.per_message == [count(text) for text in contents]
    framing = 5 * 3 + sum(count(r) for r in ("system", "user", "assistant", "user", "assistant"))
    framing += 1 + count("ann")  # the name
    assert counts.total == sum(counts.per_message) + framing + 3
    assert counts.trainable == count("Hello!")  # the weight-0 reply is not trained on
    assert result.measures == {
        "tokens_total": counts.total,
        "tokens_trainable": counts.trainable,
        "tokens_prompt": counts.total - counts.trainable,
    }
    assert record.measures == {}
    assert record.cache == {}
    target = token_target(run)
    assert target.profile.name == "gpt-4o-mini-2024-07-18"
    assert target.exact is True


def test_other_formats():
    checker = TokenLengthChecker(TokenLengthChecker.Options(), CheckContext())
    run = RunContext(options={"token_length": checker.options})
    count = get_profile(None).tokenizer.count

    def counted(raw: dict) -> dict:
        record = _record(raw)
        checker.map(record, Provided(record, run))
        counts = Provided(record, run)(TOKENS).counts
        return {
            "total": counts.total,
            "trainable": counts.trainable,
            "chosen": counts.chosen,
            "rejected": counts.rejected,
            "tools": counts.tools,
        }

    # plain prompt/completion: no chat framing
    completion = counted({"prompt": "Translate: chat", "completion": " cat"})
    assert completion["total"] == count("Translate: chat") + count(" cat")
    assert completion["trainable"] == count(" cat")
    # classification: text + label
    label = counted({"text": "I loved it", "label": "positive"})
    assert (label["total"], label["trainable"]) == (count("I loved it") + 1, count("positive"))
    # preference: the prompt plus the longer response
    pair = counted({"prompt": "Pick one", "chosen": "A short one.", "rejected": "A longer one, B."})
    assert pair["chosen"] == count("A short one.")
    assert pair["rejected"] == count("A longer one, B.")
    prompt = 3 + count("user") + count("Pick one")
    longer = 3 + count("assistant") + max(pair["chosen"], pair["rejected"])
    assert pair["total"] == prompt + longer + 3
    assert pair["trainable"] == max(pair["chosen"], pair["rejected"])
    # tools: the declared definitions count once, as compact JSON with sorted keys
    tools = [{"type": "function", "function": {"name": "get_time", "parameters": {}}}]
    with_tools = counted(
        {
            "messages": [
                {"role": "user", "content": "Time?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_time", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "12:00"},
                {"role": "assistant", "content": "It is noon."},
            ],
            "tools": tools,
        }
    )
    expected_tools = count(json.dumps(tools, separators=(",", ":"), sort_keys=True))
    assert with_tools["tools"] == expected_tools
    call = count("get_time") + count("{}")
    assert with_tools["trainable"] == call + count("It is noon.")


# -- percentiles and stats -----------------------------------------------------------------


def test_percentile_hand_computed():
    assert percentile([10], 50) == 10
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4], 5) == pytest.approx(1.15)  # h = 3 × 0.05 = 0.15
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([1, 100], 5) == pytest.approx(5.95)
    assert percentile([1, 2, 3, 4, 5], 25) == 2
    assert percentile([3, 3, 3], 99) == 3
    assert percentile([0, 10], 100) == 10
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_percentile_matches_numpy_linear():
    rng = random.Random(7)
    for size in (1, 2, 3, 10, 101, 1000):
        values = sorted(rng.randint(1, 5000) for _ in range(size))
        for q in (0, 5, 25, 50, 75, 95, 100, 33.3):
            assert percentile(values, q) == pytest.approx(
                float(np.percentile(values, q, method="linear"))
            )


def test_summary_and_fences():
    values = sorted(
        [
            17,
            19,
            19,
            20,
            20,
            21,
            21,
            22,
            22,
            22,
            23,
            23,
            23,
            23,
            23,
            24,
            24,
            24,
            25,
            25,
            25,
            26,
            26,
            26,
            26,
            27,
            27,
            28,
            29,
            29,
        ]
    )
    stats = summary(values)
    assert (stats["min"], stats["max"]) == (17, 29)
    # p5: h = 29 × 0.05 = 1.45 → 19 + 0.45 × (19 - 19) = 19; p95: h = 27.55 → 28 + 0.55 × 1
    assert stats["p5"] == 19
    assert stats["p95"] == pytest.approx(28.55)
    assert stats["p50"] == 23.5  # h = 14.5: halfway between x[14] = 23 and x[15] = 24
    assert stats["mean"] == round(sum(values) / 30, 2)
    q1, q3, lower, upper = iqr_fences(values, 3.0)
    assert (q1, q3, lower, upper) == (22, 26, 10, 38)


def test_report_stats_percentiles_match_the_rows():
    report = ftqa.check(DATA / "length-outlier.jsonl", select=["token_length"], examples=True)
    totals = sorted(report.examples["tokens_total"])
    stats = report.stats["token_length"]
    assert stats["examples"] == len(totals) == 31
    assert stats["total"] == sum(totals)
    per = stats["per_example"]["total"]
    for key, q in (("p5", 5), ("p50", 50), ("p95", 95)):
        assert per[key] == pytest.approx(round(float(np.percentile(totals, q)), 2))
    assert (per["min"], per["max"]) == (totals[0], totals[-1])
    assert sum(stats["histogram"]["counts"]) == 31
    assert set(stats["per_example"]) == {"total", "trainable", "prompt"}


# -- cost and recommendations --------------------------------------------------------------


def test_cost_hand_computed_default_epochs():
    # totals 20, 80, 75; limit 60 → billed per epoch 20 + 60 + 60 = 140; 3 examples → OpenAI's
    # rule gives min(25, 100 // 3 = 33) = 25 epochs → 3,500 tokens × $3 / 1M = $0.0105
    _code, report = _run("over-token-limit.jsonl")
    cost = report["cost"]
    assert cost["model"] == "gpt-4o-mini-2024-07-18"
    assert (cost["billed_tokens"], cost["epochs"], cost["price_per_million"]) == (3500, 25, 3.0)
    assert cost["estimate_usd"] == pytest.approx(0.0105)
    text = " ".join(cost["assumptions"])
    assert "Σ min(60, tokens per example)" in text
    assert "OpenAI's default rule for 3 examples" in text
    assert "Validation examples are not included" in text


def test_cost_hand_computed_with_epochs_and_model():
    # --epochs 2: 140 × 2 = 280 tokens × $3 / 1M
    _code, report = _run("over-token-limit.jsonl", "--epochs", "2", cli=True)
    assert (report["cost"]["billed_tokens"], report["cost"]["epochs"]) == (280, 2)
    assert report["cost"]["estimate_usd"] == pytest.approx(0.00084)
    # gpt-4o, its own 65,536 limit: (20 + 80 + 75) × 25 = 4,375 tokens × $25 / 1M
    _code, report = _run("over-token-limit.jsonl", "--model", "gpt-4o", config=None)
    assert (report["cost"]["billed_tokens"], report["cost"]["epochs"]) == (4375, 25)
    assert report["cost"]["estimate_usd"] == pytest.approx(0.109375)


def test_cost_range_covers_the_priced_profiles():
    _code, report = _run("over-token-limit.jsonl", "--epochs", "1", config=None)
    rows = {row["model"]: row for row in report["stats"]["token_length"]["cost_range"]}
    assert set(rows) >= {
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-3.5-turbo-0125",
    }
    assert rows["gpt-4.1-nano-2025-04-14"]["billed_tokens"] == 175
    assert rows["gpt-4.1-nano-2025-04-14"]["estimate_usd"] == pytest.approx(175 * 1.5 / 1e6)
    assert "approximate" not in rows["gpt-4o-2024-08-06"]
    # cl100k_base counts for gpt-3.5 come from counting the (sampled) rows again
    assert "cl100k_base" in rows["gpt-3.5-turbo-0125"]["approximate"]
    costs = [row["estimate_usd"] for row in report["stats"]["token_length"]["cost_range"]]
    assert costs == sorted(costs)


def test_validation_rows_are_counted_apart(tmp_path):
    report = ftqa.check(
        DATA / "near-token-limit.jsonl",
        validation=DATA / "over-token-limit.jsonl",
        config={"token_length": {"max-tokens": 60}},
        select=["token_length"],
    )
    stats = report.stats["token_length"]
    assert stats["examples"] == 2
    assert stats["total"] == 54 + 60
    assert stats["validation"] == {"examples": 3, "total": 20 + 80 + 75}
    assert report.cost.billed_tokens == (54 + 60) * 25
    over = [f for f in report.findings if f.rule == "over-token-limit"]
    assert [f.file for f in over] == [str(DATA / "over-token-limit.jsonl")] * 2


def test_recommendations_are_tied_to_the_dataset():
    _code, report = _run("length-outlier.jsonl", config=None)
    advice = report["recommendations"]
    # A fifth line warns when the built-in prices are older than six months (date-dependent).
    assert len(advice) in (4, 5)
    assert all(line.startswith("Price check: ") for line in advice[4:])
    epochs, batch, rate, prompt = advice[:4]
    # 31 examples: fewer than 100, so more epochs; OpenAI's rule: 100 // 31 = 3
    assert epochs.startswith("n_epochs: start with 4")
    assert "31 examples" in epochs
    assert "would run 3" in epochs
    assert batch.startswith("batch_size: about 1 for 31 examples")  # 0.01%–4% of 31 → 1
    assert "0.02–0.2" in rate
    assert "trains on assistant tokens only" in prompt
    assert "% of this dataset's tokens" in prompt


def test_recommendations_for_a_large_set():
    from ftqa.tokens.cost import recommendations

    advice = recommendations(get_profile(None), 10_000, 2, False, 5_000_000, 1_000_000, 500)
    assert advice[0].startswith("n_epochs: start with 2")
    assert "would run 2" in advice[0]
    assert "about 1–400 for 10,000 examples" in advice[1]
    assert "80% of this dataset's tokens are prompt" in advice[3]


def test_no_cost_without_a_price():
    report = ftqa.check(
        DATA / "near-token-limit.jsonl", model="o200k_base", select=["token_length"]
    )
    assert report.cost is None
    assert report.stats["token_length"]["max_tokens"] is None
    assert any("No maximum" in note for note in report.stats["token_length"]["notes"])
    assert report.recommendations


def test_billing_rounds_nothing_away():
    from ftqa.tokens.cost import billable_tokens

    assert billable_tokens([5, 10, 15], 10) == 25
    assert billable_tokens([5, 10, 15], None) == 30
    assert billable_tokens([], 10) == 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
