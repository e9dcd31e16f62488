"""A local supervised fine-tuning run with TRL's `SFTTrainer` (optionally PEFT LoRA).

The checked copy of the file is read with ftqa's own loader and handed to TRL in the form it
expects: conversational `messages` (chat, Alpaca and ShareGPT rows) or `prompt`/`completion`
(completion rows, as written). TRL truncates examples longer than `max_length` without a word,
so the run refuses to start when any example is longer (the message names the rows). The model
runs on whatever device is present (CUDA, MPS, else CPU; bf16 where CUDA supports it). The
output directory holds `model/` (the full model, or the LoRA adapter with `--lora`), the
tokenizer, the run manifest and a copy of the report. Downloads from the Hugging Face Hub (a
model id, neither a local directory nor cached) start with one question to the Hub about the
model, bounded by the trainer's timeouts and retries, so a Hub that never answers fails the
launch at once; the downloads that follow wait at most the read timeout per request (with the
Hub library's own retries).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ftqa.config import Settings
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.tokens.hf_model import require_model_folder
from ftqa.train.base import (
    Job,
    LaunchError,
    Poll,
    ProviderTimeouts,
    ProviderUnavailable,
    StagedFile,
    Trainer,
)

if TYPE_CHECKING:
    from ftqa.train.plan import Plan

DEFAULT_MAX_LENGTH = 1024
MESSAGES, PROMPT_COMPLETION = "messages", "prompt/completion"
SHOWN_ROWS = 5
TRAINER_STATE = "trainer_state.json"


class HFTrainer(Trainer):
    name = "hf"
    extra = "hf-train"
    requires = ("torch", "transformers", "trl", "datasets")
    paid = False
    formats = frozenset({"chat", "completion", "alpaca", "sharegpt"})
    suffixes = None
    hyperparameters = frozenset({"n_epochs", "batch_size", "learning_rate", "lora"})
    options: ClassVar[dict[str, str]] = {
        "max_length": "longest example in tokens (default: min(1024, the model's context))",
        "max_steps": "stop after this many optimizer steps (default: run the epochs)",
        "seed": "random seed (default: 42)",
        "lora_r": "LoRA rank with --lora (default: 16)",
    }

    @classmethod
    def check_model(cls, model: str) -> None:
        require_model_folder(model)  # a path that is not there: exit 2 before the check runs

    def problems(self, plan: Plan) -> list[str]:
        found = super().problems(plan)
        if plan.hyperparameters.values.get("lora") and importlib.util.find_spec("peft") is None:
            raise ProviderUnavailable(
                "--lora needs the `peft` package, which is not installed: "
                "pip install 'ftqa[hf-train]'"
            )
        return found

    def launch(self, plan: Plan, train: StagedFile, validation: StagedFile | None) -> Job:
        import datasets
        import torch
        import transformers
        import trl

        train_rows, numbers, kind, skipped = read_rows(train, plan.settings)
        eval_rows: list[dict[str, Any]] = []
        if validation is not None:
            eval_rows, _, eval_kind, _ = read_rows(validation, plan.settings)
            if eval_rows and eval_kind != kind:
                raise LaunchError(
                    f"hf: the training rows are {kind} but the validation rows are {eval_kind}"
                )
        reach_hub(plan.model, self.timeouts)
        with hub_timeouts(self.timeouts.read):
            tokenizer = transformers.AutoTokenizer.from_pretrained(plan.model)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if kind == MESSAGES and not getattr(tokenizer, "chat_template", None):
            raise LaunchError(
                f"hf: {plan.model}'s tokenizer has no chat template, so conversational rows "
                "cannot be formatted; use a chat (instruct) model or prompt/completion data"
            )
        with hub_timeouts(self.timeouts.read):
            model = transformers.AutoModelForCausalLM.from_pretrained(plan.model)
        max_length = int(self.settings.get("max_length") or _context(model, DEFAULT_MAX_LENGTH))
        _refuse_long(train_rows, numbers, kind, tokenizer, max_length, train.original)
        values = plan.hyperparameters.values
        cuda = torch.cuda.is_available()
        bf16 = bool(cuda and torch.cuda.is_bf16_supported())
        batch = values.get("batch_size") or 8
        config_kwargs: dict[str, Any] = {
            "output_dir": str(plan.output_dir / "trainer"),
            "num_train_epochs": values.get("n_epochs") or 3,
            "max_steps": int(self.settings.get("max_steps") or -1),
            "per_device_train_batch_size": batch,
            "per_device_eval_batch_size": batch,
            "logging_strategy": "steps",
            "logging_steps": 0.01,  # a fraction of the run: at most about 100 loss records
            "logging_first_step": True,
            "save_strategy": "no",
            "eval_strategy": "epoch" if eval_rows else "no",
            "report_to": "none",
            "bf16": bf16,
            "fp16": cuda and not bf16,
            "gradient_checkpointing": cuda,
            "max_length": max_length,
            "seed": int(self.settings.get("seed") or 42),
            "disable_tqdm": not sys.stderr.isatty(),
            "dataloader_pin_memory": cuda,
        }
        if values.get("learning_rate") is not None:
            config_kwargs["learning_rate"] = values["learning_rate"]
        peft_config = None
        if values.get("lora"):
            import peft

            rank = int(self.settings.get("lora_r") or 16)
            peft_config = peft.LoraConfig(
                r=rank,
                lora_alpha=2 * rank,
                lora_dropout=0.05,
                target_modules="all-linear",
                task_type="CAUSAL_LM",
            )
        trainer = trl.SFTTrainer(
            model=model,
            args=trl.SFTConfig(**config_kwargs),
            train_dataset=datasets.Dataset.from_list(train_rows),
            eval_dataset=datasets.Dataset.from_list(eval_rows) if eval_rows else None,
            processing_class=tokenizer,
            peft_config=peft_config,
        )
        result = trainer.train()
        # The step metrics, where `ftqa runs analyze MANIFEST` reads them.
        trainer.state.save_to_json(str(plan.output_dir / TRAINER_STATE))
        model_dir = plan.output_dir / "model"
        trainer.save_model(str(model_dir))
        tokenizer.save_pretrained(str(model_dir))
        history = trainer.state.log_history
        losses = [
            {"step": entry.get("step"), "loss": entry["loss"]}
            for entry in history
            if "loss" in entry
        ]
        eval_losses = [entry["eval_loss"] for entry in history if "eval_loss" in entry]
        run_id = f"hf-{plan.output_dir.name}"
        load = (
            f"peft.AutoPeftModelForCausalLM.from_pretrained({str(model_dir)!r})"
            if peft_config is not None
            else f"transformers.AutoModelForCausalLM.from_pretrained({str(model_dir)!r})"
        )
        return Job(
            id=run_id,
            status="completed",
            follow=[f"model: {model_dir}", f"load: {load}"],
            details={
                "model_dir": str(model_dir),
                "adapter": peft_config is not None,
                "device": str(trainer.args.device),
                "rows": len(train_rows),
                "validation_rows": len(eval_rows),
                "skipped_unreadable_rows": skipped,
                "data_kind": kind,
                "max_length": max_length,
                "steps": trainer.state.global_step,
                "epochs": trainer.state.epoch,
                "train_loss": result.training_loss,
                "losses": losses,
                "eval_loss": eval_losses,
                "runtime_seconds": round(float(result.metrics.get("train_runtime", 0.0)), 3),
                "libraries": {
                    "torch": torch.__version__,
                    "transformers": transformers.__version__,
                    "trl": trl.__version__,
                },
            },
        )

    def poll(self, job_id: str, details: Mapping[str, Any]) -> Poll:
        """A local run has ended by the time `launch` returns; its metrics are already
        written (`trainer_state.json` next to the manifest)."""
        return Poll(status="completed", done=True)


def reach_hub(model: str, limits: ProviderTimeouts) -> None:
    """Ask the Hub about `model` within `limits` when it will be downloaded: a Hub that never
    answers raises `LaunchError` here rather than after the Hub library's own retries. Any
    other answer (found, not found, gated) lets `from_pretrained` go on and explain itself."""
    import httpx
    from huggingface_hub import constants, model_info, try_to_load_from_cache

    if constants.HF_HUB_OFFLINE or Path(model).exists():
        return
    try:
        if isinstance(try_to_load_from_cache(model, "config.json"), str):
            return
    except ValueError:  # not a repository id: from_pretrained says what is wrong
        return
    timeout = httpx.Timeout(limits.read, connect=limits.connect)
    for _ in range(limits.retries + 1):
        try:
            model_info(model, timeout=timeout)
        except httpx.TimeoutException:
            continue
        except Exception:  # noqa: BLE001 - the Hub answered: from_pretrained reports it
            return
        return
    raise LaunchError(
        f"hf: the Hugging Face Hub ({constants.ENDPOINT}) did not answer about {model} in time "
        f"({limits.describe()}); raise --read-timeout, or use a local model directory"
    )


@contextmanager
def hub_timeouts(seconds: float) -> Iterator[None]:
    """Bound the Hugging Face Hub's metadata and download requests to `seconds` while the
    model and tokenizer load (the library reads these values at each request)."""
    from huggingface_hub import constants

    saved = constants.HF_HUB_ETAG_TIMEOUT, constants.HF_HUB_DOWNLOAD_TIMEOUT
    constants.HF_HUB_ETAG_TIMEOUT = constants.HF_HUB_DOWNLOAD_TIMEOUT = seconds
    try:
        yield
    finally:
        constants.HF_HUB_ETAG_TIMEOUT, constants.HF_HUB_DOWNLOAD_TIMEOUT = saved


def read_rows(
    staged: StagedFile, settings: Settings
) -> tuple[list[dict[str, Any]], list[int], str, int]:
    """The rows as TRL takes them, their 0-based row numbers in the file, their kind, and how
    many unreadable rows were skipped."""
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    kinds: set[str] = set()
    skipped = 0
    for number, item in _items(staged, settings):
        if item is None:
            skipped += 1
            continue
        kinds.add(MESSAGES if "messages" in item else PROMPT_COMPLETION)
        rows.append(item)
        numbers.append(number)
    if len(kinds) > 1:
        raise LaunchError(
            f"hf: {staged.original} mixes conversational and prompt/completion rows; TRL "
            "needs one kind per dataset"
        )
    if not rows:
        raise LaunchError(f"hf: {staged.original} has no rows to train on")
    return rows, numbers, kinds.pop(), skipped


def _items(staged: StagedFile, settings: Settings) -> Iterator[tuple[int, dict[str, Any] | None]]:
    normalizer = Normalizer(settings.read_options, settings.forced_format)
    for record in open_path(staged.path).records():
        if record.row < 0:
            continue
        normalizer.normalize(record)
        if not record.readable or record.format is None:
            yield record.row, None
        elif record.format == "completion" and isinstance(record.raw, Mapping):
            yield (
                record.row,
                {"prompt": record.raw["prompt"], "completion": record.raw["completion"]},
            )
        elif record.format in {"chat", "alpaca", "sharegpt"} and record.messages:
            messages = [{"role": m.role, "content": m.content} for m in record.messages]
            yield record.row, {"messages": messages}
        else:
            yield record.row, None


def _context(model: Any, default: int) -> int:
    config = model.config
    limit = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    return min(default, int(limit)) if limit else default


def _length(row: Mapping[str, Any], tokenizer: Any) -> int:
    if "messages" in row:
        conversation = row["messages"]
    elif isinstance(row["prompt"], list) or isinstance(row["completion"], list):
        conversation = list(row["prompt"] or []) + list(row["completion"] or [])
    else:
        return len(tokenizer(str(row["prompt"]) + str(row["completion"]))["input_ids"])
    encoded = tokenizer.apply_chat_template(conversation, tokenize=True)
    ids = encoded["input_ids"] if isinstance(encoded, Mapping) else encoded
    return len(ids)


def _refuse_long(
    rows: list[dict[str, Any]],
    numbers: list[int],
    kind: str,
    tokenizer: Any,
    max_length: int,
    name: str,
) -> None:
    lengths = [(number, _length(row, tokenizer)) for number, row in zip(numbers, rows, strict=True)]
    over = [(number, n) for number, n in lengths if n > max_length]
    if not over:
        return
    shown = ", ".join(f"row {index} ({n} tokens)" for index, n in over[:SHOWN_ROWS])
    more = f" and {len(over) - SHOWN_ROWS} more" if len(over) > SHOWN_ROWS else ""
    longest = max(n for _, n in over)
    raise LaunchError(
        f"hf: {len(over)} {kind} example{'s' if len(over) != 1 else ''} in {name} "
        f"{'are' if len(over) != 1 else 'is'} longer than max_length={max_length} tokens "
        f"({shown}{more}); TRL would truncate them silently. Shorten or drop them, or raise "
        f"the limit with --option max_length={2 ** math.ceil(math.log2(longest))} if the "
        "model's context allows it"
    )
