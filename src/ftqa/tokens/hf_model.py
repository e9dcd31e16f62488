"""A local Hugging Face model or tokenizer folder as the target model.

Each example is rendered through the folder's own chat template with transformers'
`apply_chat_template`, so the count is the one the trainer will see, template tokens included.
Trainable tokens come from the template's assistant mask (`return_assistant_tokens_mask`) when
the template marks assistant turns with `{% generation %}`; otherwise each assistant turn counts
the tokens it adds to the rendered conversation (the conversation up to it, rendered with the
generation prompt, against the conversation including it), which is what a completion-only
collator trains on. The context limit comes from the model's `config.json`.

A `tokenizer.json` may carry truncation and padding settings (a tokenizer saved after padding to
128 counts "hi" as 128 tokens): both are switched off before counting.

Nothing here downloads: folders are read with `local_files_only=True`, and a hub name is only
used when the user's Hugging Face cache already holds it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftqa.errors import InputError

GENERATION_TAG = re.compile(r"\{%-?\s*generation\s*-?%\}")
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")
MAX_REASONABLE_CONTEXT = 10_000_000  # tokenizer_config's "infinite" model_max_length is 1e30
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


class TemplateError(Exception):
    """The chat template refused an example (as it would refuse it in the trainer)."""


def is_model_folder(path: str | os.PathLike[str]) -> bool:
    folder = Path(path).expanduser()
    return folder.is_dir() and any((folder / name).is_file() for name in TOKENIZER_FILES)


def looks_like_path(name: str) -> bool:
    """True for names written as paths (`./model`, `/models/x`, `~/m`, `a/b/c`), as opposed to
    profile names and hub ids (`org/name`)."""
    return (
        name.startswith((".", "/", "~"))
        or name.endswith(("/", os.sep))
        or name.count("/") >= 2
        or (os.sep != "/" and os.sep in name)
    )


def require_model_folder(name: str) -> None:
    """Raise `InputError` when `name` is written as a path and no such folder exists."""
    if looks_like_path(name) and not Path(name).expanduser().is_dir():
        what = "not a folder" if Path(name).expanduser().exists() else "no such model folder"
        raise InputError(name, what)


def cached_model_folder(name: str) -> str | None:
    """The snapshot folder of hub model `name` in the user's Hugging Face cache, if present."""
    if name.count("/") != 1 or looks_like_path(name):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    for filename in TOKENIZER_FILES:
        found = try_to_load_from_cache(name, filename)
        if isinstance(found, str):
            return str(Path(found).parent)
    return None


def transformers_available() -> bool:
    try:
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class LocalModel:
    path: str
    tokenizer: Any  # a transformers tokenizer
    max_tokens: int | None
    source: str
    has_template: bool
    generation_tags: bool
    eos_token: str | None
    special_tokens: frozenset[str] = field(default_factory=frozenset)

    @property
    def mask_method(self) -> str:
        if self.generation_tags:
            return "the chat template's assistant mask (return_assistant_tokens_mask)"
        return (
            "the tokens each assistant turn adds to the rendered conversation (the template has "
            "no {% generation %} markers for an assistant mask)"
        )

    def count(self, text: str) -> int:
        """Tokens of `text` alone (no special tokens added)."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_text(self, text: str) -> int:
        """Tokens of a plain-text example as TRL tokenizes it: special tokens the tokenizer adds
        (BOS), plus EOS when the text does not already end with it."""
        tokens = len(self.tokenizer(text)["input_ids"])
        if self.eos_token and not text.endswith(self.eos_token):
            tokens += 1
        return tokens

    def render(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        generation_prompt: bool = False,
        mask: bool = False,
    ) -> tuple[list[int], list[int] | None]:
        try:
            out = self.tokenizer.apply_chat_template(
                messages,
                tools=tools,
                tokenize=True,
                return_dict=True,
                add_generation_prompt=generation_prompt,
                return_assistant_tokens_mask=mask,
            )
        except Exception as error:
            raise TemplateError(" ".join(str(error).split()) or type(error).__name__) from error
        ids = list(out["input_ids"])
        return ids, (list(out["assistant_masks"]) if mask else None)

    def count_conversation(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
    ) -> tuple[int, int]:
        """(total, trainable) tokens of the conversation rendered by the chat template."""
        ids, mask = self.render(messages, tools, mask=self.generation_tags)
        if mask is not None:
            return len(ids), sum(1 for bit in mask if bit)
        trainable = 0
        for index, message in enumerate(messages):
            if message.get("role") != "assistant":
                continue
            before = (
                len(self.render(messages[:index], tools, generation_prompt=True)[0]) if index else 0
            )
            upto = len(self.render(messages[: index + 1], tools)[0])
            trainable += max(0, upto - before)
        return len(ids), trainable


@functools.lru_cache(maxsize=8)
def load_local_model(path: str) -> LocalModel:
    """The tokenizer of the model folder `path`, with truncation and padding switched off."""
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # no "sequence longer than model_max_length" chatter
    folder = Path(path).expanduser()
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            str(folder), local_files_only=True, trust_remote_code=False
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(path, f"cannot load the tokenizer ({error})") from error
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        backend.no_truncation()
        backend.no_padding()
    limit = context_limit(folder, getattr(tokenizer, "model_max_length", None))
    tokenizer.model_max_length = 1 << 60
    template = tokenizer.chat_template
    text = json.dumps(template) if isinstance(template, dict) else (template or "")
    specials = frozenset(str(token) for token in getattr(tokenizer, "all_special_tokens", []))
    return LocalModel(
        path=str(folder),
        tokenizer=tokenizer,
        max_tokens=limit,
        source=f"Hugging Face model folder {folder} ({_fingerprint(folder)})",
        has_template=bool(text),
        generation_tags=bool(GENERATION_TAG.search(text)),
        eos_token=getattr(tokenizer, "eos_token", None),
        special_tokens=specials,
    )


def context_limit(folder: Path, model_max_length: Any = None) -> int | None:
    """The model's context length from `config.json` (or its text config), else the tokenizer's
    `model_max_length` when it is a real number."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    for scope in (config, config.get("text_config") or {}):
        if not isinstance(scope, dict):
            continue
        for key in CONTEXT_KEYS:
            value = scope.get(key)
            if isinstance(value, int) and 0 < value < MAX_REASONABLE_CONTEXT:
                return value
    if isinstance(model_max_length, int) and 0 < model_max_length < MAX_REASONABLE_CONTEXT:
        return model_max_length
    return None


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        file = folder / name
        if file.is_file():
            digest.update(file.read_bytes())
    return f"sha256 {digest.hexdigest()[:12]}…"
