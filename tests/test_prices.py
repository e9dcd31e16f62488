"""Cost where users train: provider prices with their date and source, the local estimate."""

from __future__ import annotations

import json
from datetime import date

import pytest

import ftqa
from ftqa.tokens import get_profile
from ftqa.tokens.cost import stale_price_advice
from ftqa.tokens.prices import (
    local_estimate,
    params_from_name,
    price_data,
    provider_price,
    split_provider,
)

ROWS = [
    {
        "messages": [
            {"role": "user", "content": f"Question {i}?"},
            {"role": "assistant", "content": "Yes."},
        ]
    }
    for i in range(12)
]


@pytest.fixture
def train(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    return path


def test_every_price_has_a_date_a_source_and_says_whether_it_was_confirmed():
    data = price_data()
    for provider in ("together", "mistral", "azure", "vertex"):
        assert data[provider], provider
        for entry in data[provider]:
            date.fromisoformat(entry["date"])
            assert entry["source"].startswith("https://")
            assert isinstance(entry["confirmed"], bool)
            assert entry["usd_per_million"] > 0


def test_provider_names_and_together_size_brackets():
    assert split_provider("together:meta-llama/Llama-3.1-8B") == (
        "together",
        "meta-llama/Llama-3.1-8B",
    )
    assert split_provider("meta-llama/Llama-3.1-8B") == (None, "meta-llama/Llama-3.1-8B")
    assert params_from_name("meta-llama/Meta-Llama-3.1-70B-Instruct-Reference") == 70.0
    assert params_from_name("Qwen/Qwen2.5-0.5B") == 0.5
    assert provider_price("together", "x/Llama-3.1-8B").key == "up-to-16b"
    assert provider_price("together", "x/Qwen2.5-32B").key == "17b-69b"
    assert provider_price("together", "x/Llama-3.3-70B").key == "70b-100b"
    assert provider_price("together", "x/no-size-here") is None
    assert provider_price("azure", "gpt-4o-mini").key == "gpt-4o-mini-2024-07-18"


def test_prices_older_than_six_months_are_flagged():
    price = provider_price("vertex", "gemini-2.5-flash")
    assert not price.stale(date(2025, 10, 1))
    assert price.stale(date(2026, 12, 7))
    assert any(
        line.startswith("WARNING: the price dates from")
        for line in price.describe(date(2026, 12, 7))
    )
    assert stale_price_advice(get_profile("gpt-4o-mini"), date(2026, 12, 7)).startswith(
        "Price check: the gpt-4o-mini-2024-07-18 price dates from"
    )
    assert stale_price_advice(get_profile("gpt-4o-mini"), date(2025, 7, 1)) is None


def test_azure_estimate_shows_hosting_apart_and_the_price_date(train):
    report = ftqa.check(train, select=["token_length"], model="azure:gpt-4o-mini-2024-07-18")
    cost = report.cost
    assert cost.price_per_million == 3.30
    assert cost.estimate_usd == pytest.approx(cost.billed_tokens * 3.30 / 1e6)
    text = "\n".join(cost.assumptions)
    assert "as of 2025-07-08" in text
    assert "hosting the fine-tuned model costs $1.7 per hour" in text
    assert report.stats["token_length"]["exact"] is True  # Azure's gpt-4o-mini uses o200k_base


def test_price_override_in_the_configuration(train, tmp_path):
    (tmp_path / "ftqa.toml").write_text(
        '[token_length.prices]\n"together:up-to-16b" = 0.5\n', encoding="utf-8"
    )
    report = ftqa.check(train, select=["token_length"], model="together:org/Model-7B")
    assert report.cost.price_per_million == 0.5
    assert "from your settings" in report.cost.assumptions[1]
    assert [f.rule for f in report.findings] == ["estimated-token-counts"]


def test_local_estimate_is_compute_over_throughput_times_hourly_rate(train, tmp_path):
    estimate = local_estimate("A100-80GB", 8.0, usd_per_hour=2.0, method="lora")
    assert estimate.tokens_per_second == pytest.approx(312e12 * 0.35 / (4 * 8e9))
    assert estimate.usd_per_million == pytest.approx(
        2.0 / (estimate.tokens_per_second * 3600) * 1e6
    )
    (tmp_path / "ftqa.toml").write_text(
        '[token_length.local]\ngpu = "H100-80GB"\nusd-per-hour = 3.0\nparams-billion = 8\n',
        encoding="utf-8",
    )
    report = ftqa.check(train, select=["token_length"], model="local:org/Model-8B", epochs=2)
    h100 = local_estimate("H100-80GB", 8.0, usd_per_hour=3.0)
    assert report.cost.estimate_usd == pytest.approx(
        report.cost.billed_tokens * h100.usd_per_million / 1e6, abs=1e-8
    )
    assert any("989 peak dense BF16" in line for line in report.cost.assumptions)


def test_unknown_gpu_is_a_config_error(train, tmp_path):
    (tmp_path / "ftqa.toml").write_text('[token_length.local]\ngpu = "TPU"\n', encoding="utf-8")
    with pytest.raises(ftqa.ConfigError, match="unknown GPU 'TPU'"):
        ftqa.check(train, select=["token_length"])
