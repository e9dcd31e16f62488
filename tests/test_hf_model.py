"""Token counts for a local Hugging Face model folder match transformers' apply_chat_template.

The folders are built here: a small byte-level BPE trained with the `tokenizers` library, saved
with real chat-template strings (ChatML; a Llama-3-style template with `{% generation %}`
markers) and a `config.json`. No hub access.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import ftqa
from ftqa.errors import InputError
from ftqa.tokens import get_profile
from ftqa.tokens.hf_model import require_model_folder

transformers = pytest.importorskip("transformers")

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
LLAMA3 = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
    "{{ raise_exception('unknown role ' + message['role']) }}{% endif %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"
    "{% if message['role'] == 'assistant' %}{% generation %}"
    "{{ message['content'] | trim + '<|eot_id|>' }}{% endgeneration %}"
    "{% else %}{{ message['content'] | trim + '<|eot_id|>' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)
SPECIALS = [
    "<unk>",
    "<|im_start|>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|begin_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
]
CORPUS = [
    "What is two plus two? It is four. The sky is blue and the grass is green.",
    "Name a planet. Mars is a planet. Translate cat to French: chat.",
    "user assistant system tool",
]
CONVERSATIONS = [
    [
        {"role": "user", "content": "What is two plus two?"},
        {"role": "assistant", "content": "It is four."},
    ],
    [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Name a planet."},
        {"role": "assistant", "content": "Mars."},
        {"role": "user", "content": "Translate cat to French."},
        {"role": "assistant", "content": "chat"},
    ],
]


def _model_folder(folder: Path, template: str, eos: str, pad_to: int | None = 128) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    folder.mkdir(parents=True)
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=500,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS * 20, trainer)
    if pad_to:  # as a tokenizer saved after padding a batch: ftqa must not count the padding
        tokenizer.enable_padding(length=pad_to, pad_token="<|endoftext|>")
        tokenizer.enable_truncation(max_length=pad_to)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": template,
        "eos_token": eos,
        "bos_token": "<|begin_of_text|>",
        "pad_token": "<|endoftext|>",
        "model_max_length": 1_000_000_000_000_000_019_884_624_838_656,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "config.json").write_text(json.dumps({"max_position_embeddings": 64}))
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("models")
    return {
        "chatml": _model_folder(base / "chatml", CHATML, "<|im_end|>"),
        "llama3": _model_folder(base / "llama3", LLAMA3, "<|eot_id|>"),
    }


def _reference(folder: Path, conversation: list[dict[str, str]]) -> tuple[int, int | None]:
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    tokenizer.backend_tokenizer.no_padding()
    tokenizer.backend_tokenizer.no_truncation()
    masked = "{% generation %}" in tokenizer.chat_template
    out = tokenizer.apply_chat_template(
        conversation, tokenize=True, return_dict=True, return_assistant_tokens_mask=masked
    )
    return len(out["input_ids"]), sum(out["assistant_masks"]) if masked else None


def _rows(path: Path, conversations: list[list[dict[str, str]]]) -> Path:
    path.write_text("".join(json.dumps({"messages": c}) + "\n" for c in conversations))
    return path


@pytest.mark.parametrize("family", ["chatml", "llama3"])
def test_counts_match_apply_chat_template(folders, family, tmp_path):
    folder = folders[family]
    report = ftqa.check(
        _rows(tmp_path / "train.jsonl", CONVERSATIONS),
        select=["token_length"],
        model=str(folder),
        examples=True,
    )
    table = report.examples
    for row, conversation in enumerate(CONVERSATIONS):
        total, trainable = _reference(folder, conversation)
        assert table["tokens_total"][row] == total
        if trainable is not None:
            assert table["tokens_trainable"][row] == trainable
    stats = report.stats["token_length"]
    assert stats["exact"] is True
    assert stats["max_tokens"] == 64
    assert stats["tokenizer"].startswith(f"Hugging Face model folder {folder}")


def test_trainable_without_generation_markers_is_what_each_reply_adds(folders, tmp_path):
    report = ftqa.check(
        _rows(tmp_path / "train.jsonl", CONVERSATIONS[:1]),
        select=["token_length"],
        model=str(folders["chatml"]),
        examples=True,
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folders["chatml"]))
    tokenizer.backend_tokenizer.no_padding()
    reply = tokenizer("It is four.<|im_end|>\n", add_special_tokens=False)["input_ids"]
    assert report.examples["tokens_trainable"][0] == len(reply)


def test_padding_and_truncation_in_tokenizer_json_are_ignored(folders):
    profile = get_profile(str(folders["chatml"]))
    assert profile.tokenizer.count("hi") < 5
    assert profile.tokenizer.count("Mars. " * 40) > 64  # not truncated to the saved 128 either


def test_template_refusing_most_examples_is_one_finding(folders, tmp_path):
    rows = [[{"role": "tool", "content": "42"}, {"role": "assistant", "content": "ok"}]] * 25
    report = ftqa.check(
        _rows(tmp_path / "train.jsonl", rows), select=["token_length"], model=str(folders["llama3"])
    )
    refused = [f for f in report.findings if f.rule == "template-rejects-example"]
    assert len(refused) == 1
    assert "refuses 25 of 25 examples (the first: unknown role tool)" in refused[0].message
    few = ftqa.check(
        _rows(tmp_path / "few.jsonl", rows[:3]),
        select=["token_length"],
        model=str(folders["llama3"]),
    )
    located = [f for f in few.findings if f.rule == "template-rejects-example"]
    assert [(f.line, f.row) for f in located] == [(1, 0), (2, 1), (3, 2)]
    assert located[0].message.endswith("chat template refuses the example: unknown role tool")


def test_each_refused_example_is_reported_with_its_own_reason():
    """The committed fixture model refuses unknown roles and turns that do not alternate."""
    rules = Path(__file__).resolve().parent / "data" / "rules" / "token_length"
    case = rules / "template-rejects-example"
    report = ftqa.check(
        case / "fires.jsonl", select=["token_length"], model=str(case / "model"), cache=False
    )
    reasons = [
        (f.line, f.message.rsplit(": ", 1)[1])
        for f in report.findings
        if f.rule == "template-rejects-example"
    ]
    assert reasons == [
        (2, "unknown role tool"),
        (4, "Conversation roles must alternate user/assistant/user/assistant/..."),
    ]


def test_unknown_model_name_is_a_warning_and_not_exact(tmp_path):
    path = _rows(tmp_path / "train.jsonl", CONVERSATIONS)
    report = ftqa.check(path, select=["token_length"], model="meta-llama/Llama-3.1-8B-Instruct")
    warnings = [f for f in report.findings if f.rule == "estimated-token-counts"]
    assert len(warnings) == 1
    assert warnings[0].severity == "warning"
    assert "gpt-4o-mini-2024-07-18's tokenizer (o200k_base)" in warnings[0].message
    assert report.stats["token_length"]["exact"] is False


def test_a_model_folder_that_does_not_exist_is_an_input_error(tmp_path):
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(InputError, match="no such model folder"):
        require_model_folder(missing)
    require_model_folder("meta-llama/Llama-3.1-8B")  # a hub id, not a path: no error
    train = _rows(tmp_path / "train.jsonl", CONVERSATIONS * 6)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ftqa",
            "train",
            str(train),
            "--provider",
            "hf",
            "--model",
            missing,
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == f"ftqa: error: {missing}: no such model folder"
    assert "Traceback" not in result.stderr
