"""The balance checker on real fixture files (tests/data/balance, made by generate.py there):
each rule fires on its fixture and stays quiet on a near miss; distributions land in the stats;
per-row measures land in the examples table."""

from __future__ import annotations

import json
import math

import pytest

import ftqa
from conftest import DATA, run_cli
from ftqa.checks.balance.language import guess_language
from ftqa.errors import ConfigError

BALANCE = DATA / "balance"


def _check(
    name: str, config: str | None = None, select: str = "balance", cli: bool = False
) -> dict:
    """The JSON report of a fixture: through the CLI (`cli=True`) or the Python API."""
    if cli:
        extra = ["--config", config] if config else []
        args = ["check", str(BALANCE / name), "--format", "json", "--select", select, *extra]
        result = run_cli(*args)
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
        report = json.loads(result.stdout)
    else:
        selected = select.split(",")
        report = ftqa.check(BALANCE / name, config=config, select=selected).to_dict()
    status = {run["id"]: run["status"] for run in report["checks"]}
    assert status["balance"] == "ran", report["checks"]
    return report


def _rules(report: dict) -> list[str]:
    return [finding["rule"] for finding in report["findings"] if finding["check"] == "balance"]


# -- classification labels --------------------------------------------------------------------


def test_95_5_labels_are_imbalanced_and_the_minority_is_a_rare_class():
    report = _check("labels-95-5.jsonl", cli=True)
    assert sorted(_rules(report)) == ["label-imbalance", "rare-class"]
    imbalance = next(f for f in report["findings"] if f["rule"] == "label-imbalance")
    assert imbalance["severity"] == "warning"
    assert "19.0" in imbalance["message"]
    rare = next(f for f in report["findings"] if f["rule"] == "rare-class")
    assert "`negative` has only 5 examples" in rare["message"]
    # every member of the rare class is listed, with its line
    rows = [json.loads(line) for line in (BALANCE / "labels-95-5.jsonl").read_text().splitlines()]
    negatives = [index for index, row in enumerate(rows) if row["label"] == "negative"]
    assert rare["rows"] == negatives
    assert rare["lines"] == [index + 1 for index in negatives]
    assert rare["line"] == negatives[0] + 1


def test_90_10_labels_are_a_near_miss():
    report = _check("labels-90-10.jsonl")
    assert _rules(report) == []


def test_label_distribution_in_stats_with_hand_computed_entropy():
    stats = _check("labels-95-5.jsonl")["stats"]["balance"]
    labels = stats["labels"]
    assert labels["counts"] == {"positive": 95, "negative": 5}
    assert labels["classes"] == 2
    assert labels["imbalance_ratio"] == 19.0
    p, q = 0.95, 0.05
    expected = -(p * math.log(p) + q * math.log(q)) / math.log(2)
    assert labels["normalized_entropy"] == pytest.approx(expected, abs=1e-4)
    assert labels["below_min_count"] == ["negative"]
    assert stats["rows"] == 100


def test_thresholds_are_options(tmp_path):
    config = tmp_path / "ftqa.toml"
    config.write_text("[balance]\nmax-imbalance-ratio = 20\nmin-class-count = 5\n")
    report = _check("labels-95-5.jsonl", str(config), cli=True)
    assert _rules(report) == []


# -- chat data ------------------------------------------------------------------------------


def test_dominant_system_prompt_fires_at_95_percent():
    report = _check("system-prompt-95-5.jsonl")
    assert _rules(report) == ["dominant-system-prompt"]
    finding = report["findings"][0]
    assert "95% of examples (95 of 100)" in finding["message"]
    assert finding["evidence"].startswith("You are Ledgerly's billing assistant")


def test_system_prompt_85_15_is_a_near_miss():
    assert _rules(_check("system-prompt-85-15.jsonl")) == []


def test_mostly_missing_system_prompt_fires():
    report = _check("system-prompt-mostly-missing.jsonl")
    assert _rules(report) == ["dominant-system-prompt"]
    assert "have no system prompt" in report["findings"][0]["message"]


def test_one_system_prompt_everywhere_is_not_imbalance():
    report = _check("balanced-100.jsonl")
    assert _rules(report) == []
    prompts = report["stats"]["balance"]["system_prompts"]
    assert prompts["distinct"] == 1
    assert prompts["top"][0]["share"] == 1.0


def test_system_prompt_distribution_in_stats():
    prompts = _check("system-prompt-95-5.jsonl")["stats"]["balance"]["system_prompts"]
    assert [entry["count"] for entry in prompts["top"]] == [95, 5]
    assert [entry["share"] for entry in prompts["top"]] == [0.95, 0.05]
    assert prompts["top"][1]["excerpt"].startswith("You are a pirate")
    assert prompts["without"] == 0


def test_dominant_category_and_near_miss():
    report = _check("category-95-5.jsonl")
    assert _rules(report) == ["dominant-category"]
    assert report["findings"][0]["field"] == "category"
    assert report["stats"]["balance"]["categories"]["counts"] == {"billing": 95, "refunds": 5}
    assert _rules(_check("category-88-12.jsonl")) == []


def test_category_key_is_configurable(tmp_path):
    config = tmp_path / "ftqa.toml"
    config.write_text('[balance]\ncategory-keys = ["topic"]\n')
    report = _check("category-95-5.jsonl", str(config))
    assert _rules(report) == []
    assert "categories" not in report["stats"]["balance"]


def test_dominant_language_and_its_stats():
    report = _check("language-95-5.jsonl")
    assert _rules(report) == ["dominant-language"]
    languages = report["stats"]["balance"]["languages"]
    assert languages["counts"] == {"en": 95, "de": 5}
    assert "heuristic" in languages["method"]
    assert "heuristic" in report["findings"][0]["message"]


def test_refusal_heavy_and_near_miss_with_support_apologies():
    report = _check("refusals-30.jsonl")
    assert _rules(report) == ["refusal-heavy"]
    assert report["stats"]["balance"]["refusals"]["count"] == 30
    near = _check("refusals-15.jsonl")
    assert _rules(near) == []
    # "I'm sorry, but I can't find invoice N" is an answer, not a refusal
    assert near["stats"]["balance"]["refusals"]["count"] == 15


def test_small_dataset_is_info_between_10_and_100_only():
    report = _check("small-50.jsonl", cli=True)
    assert _rules(report) == ["small-dataset"]
    assert report["findings"][0]["severity"] == "info"
    assert _rules(_check("balanced-100.jsonl")) == []
    # below 10 it is format/too-few-examples's finding, not ours
    tiny = run_cli("check", str(BALANCE / "small-5.jsonl"), "--format", "json")
    rules = {f"{f['check']}/{f['rule']}" for f in json.loads(tiny.stdout)["findings"]}
    assert "format/too-few-examples" in rules
    assert "balance/small-dataset" not in rules


def test_chat_distributions_are_always_in_stats():
    stats = _check("balanced-100.jsonl")["stats"]["balance"]
    assert stats["turns"] == {"3": 100}
    length = stats["response_length"]
    assert length["unit"] == "chars"  # token_length was not selected
    assert sum(length["buckets"].values()) == 100
    assert length["min"] <= length["p50"] <= length["p95"] <= length["max"]
    assert stats["tool_use"] == {"count": 0, "share": 0.0}
    assert stats["refusals"]["count"] == 0
    assert stats["languages"]["counts"] == {"en": 100}


def test_response_length_uses_token_counts_when_token_length_ran():
    report = _check("balanced-100.jsonl", select="balance,token_length")
    status = {run["id"]: run["status"] for run in report["checks"]}
    if status.get("token_length") != "ran":
        pytest.skip(f"token_length did not run: {report['checks']}")
    length = report["stats"]["balance"]["response_length"]
    assert length["unit"].startswith("tokens")
    assert sum(length["buckets"].values()) == 100


def test_per_row_measures_in_the_examples_table():
    report = ftqa.check(BALANCE / "category-95-5.jsonl", select=["balance"], examples=True)
    table = report.examples
    for column in ("language", "template_variant", "category", "response_chars", "refusal"):
        assert column in table.columns
    assert "tool_use" in table.columns
    assert table["category"].value_counts().to_dict() == {"billing": 95, "refunds": 5}
    assert set(table["language"]) == {"en"}
    assert table["template_variant"].nunique() == 1
    assert not table["refusal"].any()
    first = json.loads((BALANCE / "category-95-5.jsonl").read_text().splitlines()[0])
    assert table["response_chars"][0] == len(first["messages"][-1]["content"])


def test_unknown_option_is_a_config_error():
    with pytest.raises(ConfigError, match="max-shares"):
        ftqa.check(BALANCE / "balanced-100.jsonl", config={"balance": {"max-shares": 0.5}})


def test_in_memory_rows_and_declared_language():
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Hola"},
                {"role": "assistant", "content": "Hi"},
            ],
            "language": "es" if index % 20 else "fr",
        }
        for index in range(100)
    ]
    report = ftqa.check(rows, select=["balance"])
    languages = report.stats["balance"]["languages"]
    assert languages["counts"] == {"es": 95, "fr": 5}
    assert languages["declared"] == 100
    assert [f.rule for f in report.findings] == ["dominant-language"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I reset my password? Go to the settings page and click the link.", "en"),
        ("Wie kann ich mein Passwort zurücksetzen? Bitte gehen Sie zu den Einstellungen.", "de"),
        ("Comment puis-je réinitialiser mon mot de passe ? Allez dans les paramètres.", "fr"),
        ("¿Cómo puedo restablecer mi contraseña? Vaya a la configuración de la cuenta.", "es"),
        ("Как мне сбросить пароль? Перейдите в настройки и нажмите на ссылку.", "ru"),
        ("如何重置我的密码？请转到设置并单击链接。", "zh"),
        ("パスワードをリセットするにはどうすればよいですか？設定に移動してください。", "ja"),
        ("비밀번호를 재설정하려면 어떻게 해야 하나요?", "ko"),
        ("كيف يمكنني إعادة تعيين كلمة المرور الخاصة بي؟", "und-Arab"),
        ("12345 + 678 = 13023", "und"),
        ("x = f(y)", "und-Latn"),
    ],
)
def test_language_heuristic(text, expected):
    assert guess_language(text) == expected


def test_ftqa_checks_lists_every_balance_rule():
    result = run_cli("checks")
    assert result.returncode == 0
    for slug in (
        "label-imbalance",
        "rare-class",
        "dominant-system-prompt",
        "dominant-category",
        "dominant-language",
        "refusal-heavy",
        "small-dataset",
    ):
        assert f"balance/{slug}" in result.stdout


def test_labels_and_categories_with_lone_surrogates_stay_serializable():
    rows = [
        {"text": f"t{i}", "label": "a\ud800" if i < 3 else "b", "category": "c\udfff"}
        for i in range(40)
    ]
    report = ftqa.check(rows, select=["balance"])
    assert {run.id: run.status for run in report.checks}["balance"] == "ran"
    assert "rare-class" in [f.rule for f in report.findings]
    report.to_json().encode("utf-8")
    assert report.stats["balance"]["labels"]["counts"]["a\ufffd"] == 3
