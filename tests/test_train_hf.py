"""The `hf` provider: a real TRL SFT run on CPU, a few steps on a tiny GPT-2-style model built
here from a config, with a tokenizer trained here on the fixture text (no hub access)."""

from __future__ import annotations

import importlib.util
import json
import math
import os
from pathlib import Path

import pytest

from ftqa.train import read_manifest
from ftqa.train.manifest import MANIFEST_NAME, REPORT_NAME

if importlib.util.find_spec("torch") is None:
    pytest.skip(
        "torch is not installed (pip install torch==2.13.0, then the hf-train extra)",
        allow_module_level=True,
    )
for _module in ("transformers", "trl", "datasets", "tokenizers"):
    if importlib.util.find_spec(_module) is None:
        pytest.skip(f"{_module} is not installed (the hf-train extra)", allow_module_level=True)

DATA = Path(__file__).resolve().parent / "data" / "train"
CLEAN = DATA / "clean.jsonl"
VAL = DATA / "val.jsonl"
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIALS = ["<|end|>", "<|pad|>", "<|unk|>", "<|system|>", "<|user|>", "<|assistant|>"]
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "WANDB_DISABLED": "true",
}


def _texts() -> list[str]:
    texts = []
    for path in (CLEAN, VAL):
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.extend(message["content"] for message in json.loads(line)["messages"])
    return texts


def build_tiny_model(directory: Path) -> Path:
    """A 1-layer GPT-2 with a word-level tokenizer trained on the fixture text."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.WordLevel(unk_token="<|unk|>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(r"<\|[a-z]+\|>", "isolated"), pre_tokenizers.Whitespace()]
    )
    tokenizer.train_from_iterator(_texts(), trainers.WordLevelTrainer(special_tokens=SPECIALS))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|end|>",
        bos_token="<|end|>",
        pad_token="<|pad|>",
        unk_token="<|unk|>",
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(directory)
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(fast),
        n_positions=128,
        n_layer=1,
        n_head=2,
        n_embd=32,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    for key, value in OFFLINE.items():
        os.environ.setdefault(key, value)
    return build_tiny_model(tmp_path_factory.mktemp("tiny-gpt2"))


def train_cli(argv: list[str]) -> int:
    """`ftqa train ARGS` in this process (torch is already imported; a subprocess would pay
    for the imports again)."""
    from ftqa.train.cli import main

    return main(argv)


def test_a_local_trl_run_trains_and_writes_the_model_and_manifest(tiny_model, tmp_path, capsys):
    out = tmp_path / "run"
    code = train_cli(
        [
            str(CLEAN),
            "--validation",
            str(VAL),
            "--provider",
            "hf",
            "--model",
            str(tiny_model),
            "--epochs",
            "4",
            "--batch-size",
            "4",
            "--learning-rate",
            "0.01",
            "--output-dir",
            str(out),
            "--watch",  # a local run has ended when the launch returns: analyzed at once
        ]
    )
    captured = capsys.readouterr()
    assert code in (0, 1), captured.out[-3000:] + captured.err[-3000:]
    assert "provider        hf (local)" in captured.out  # not paid: no confirmation, no --yes
    assert f"launched: job hf-{out.name} on hf (completed)" in captured.out
    manifest = read_manifest(out / MANIFEST_NAME)
    assert manifest.status == "completed"
    assert manifest.provider == "hf"
    assert manifest.job_id == f"hf-{out.name}"
    assert manifest.files["train"].rows == 12
    assert manifest.hyperparameters == {"n_epochs": 4, "batch_size": 4, "learning_rate": 0.01}
    job = manifest.job
    assert job["device"] == "cpu"
    assert job["rows"] == 12
    assert job["validation_rows"] == 4
    assert job["data_kind"] == "messages"
    assert job["steps"] == 12  # 3 batches of 4 rows per epoch, 4 epochs
    losses = [entry["loss"] for entry in job["losses"]]
    assert len(losses) >= 10
    assert all(math.isfinite(loss) for loss in losses)
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.3, losses
    assert len(job["eval_loss"]) == 4
    assert all(math.isfinite(x) for x in job["eval_loss"])
    model_dir = Path(job["model_dir"])
    assert model_dir == out / "model"
    assert (model_dir / "config.json").is_file()
    assert (model_dir / "model.safetensors").is_file()
    assert (model_dir / "tokenizer.json").is_file()
    assert (out / REPORT_NAME).is_file()
    assert manifest.report.passed is True

    from transformers import AutoModelForCausalLM

    trained = AutoModelForCausalLM.from_pretrained(model_dir)
    assert trained.config.n_layer == 1

    # The run's trainer_state.json, next to the manifest, is what `ftqa runs analyze` reads.
    analysis = json.loads((out / "ftqa-analysis.json").read_text(encoding="utf-8"))
    assert analysis["source"] == {"path": str(out / "trainer_state.json"), "kind": "trainer-state"}
    assert [value for _, _, value in analysis["series"]["train_loss"]] == pytest.approx(losses)
    assert [value for _, _, value in analysis["series"]["valid_loss"]] == pytest.approx(
        job["eval_loss"]
    )
    assert analysis["curve"]["epochs"] == 4
    assert analysis["curve"]["steps_per_epoch"] == 3
    assert analysis["job"]["status"] == "completed"
    best = min(range(4), key=job["eval_loss"].__getitem__) + 1
    assert analysis["curve"]["best_epoch"] == best
    assert any(f"epoch {best}.00" in advice["text"] for advice in analysis["advice"])
    assert code == (1 if analysis["summary"]["errors"] else 0)
    assert "runs analyze" not in captured.err
    from ftqa.cli import main

    assert main(["runs", "analyze", str(out), "--format", "json"]) == code
    assert json.loads(capsys.readouterr().out)["curve"] == analysis["curve"]


def test_a_lora_adapter_run_saves_only_the_adapter(tiny_model, tmp_path):
    pytest.importorskip("peft", reason="peft is not installed (the hf-train extra)")
    from ftqa.train import train

    result = train(
        CLEAN,
        provider="hf",
        model=str(tiny_model),
        epochs=1,
        batch_size=6,
        learning_rate=0.01,
        lora=True,
        output_dir=tmp_path / "run",
        options={"lora_r": 4},
    )
    job = result.job
    assert job is not None
    assert job.status == "completed"
    assert job.details["adapter"] is True
    assert job.details["steps"] == 2
    assert all(math.isfinite(entry["loss"]) for entry in job.details["losses"])
    model_dir = tmp_path / "run" / "model"
    assert (model_dir / "adapter_config.json").is_file()
    assert not (model_dir / "model.safetensors").exists()
    assert result.manifest.hyperparameters["lora"] is True


def test_examples_longer_than_the_context_are_refused_not_truncated(tiny_model, tmp_path):
    from ftqa.train import LaunchError, train
    from ftqa.train.gate import TrainingRefused

    long_file = tmp_path / "long.jsonl"
    rows = CLEAN.read_text(encoding="utf-8").splitlines()
    long_row = json.loads(rows[3])
    long_row["messages"][2]["content"] = " ".join(["The capital of France is Paris."] * 40)
    rows[3] = json.dumps(long_row)
    long_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    # The check counts with the model folder's own context limit: the gate refuses first.
    with pytest.raises(TrainingRefused) as refused:
        train(long_file, provider="hf", model=str(tiny_model), output_dir=tmp_path / "gated")
    assert [b.key for b in refused.value.decision.refused] == ["token_length/over-token-limit"]
    assert not (tmp_path / "gated" / "model").exists()
    # Accepted past the gate, the trainer still refuses rather than truncate.
    with pytest.raises(LaunchError, match=r"longer than max_length=128 tokens \(row 3 \("):
        train(
            long_file,
            provider="hf",
            model=str(tiny_model),
            output_dir=tmp_path / "run",
            accept=["token_length/over-token-limit"],
        )
    manifest = read_manifest(tmp_path / "run" / MANIFEST_NAME)
    assert manifest.status == "failed"
    assert "TRL would truncate them silently" in manifest.error
    assert not (tmp_path / "run" / "model").exists()
