"""Time reading the published layouts, and counting through a local model's chat template.

    python benchmarks/bench_layouts.py                  # 20,000 rows per layout
    python benchmarks/bench_layouts.py --rows 5000 --template-rows 1000

Part 1: `ftqa.check(FILE, select=["format"])` per layout, next to the same rows written as chat
`messages` (the reference): what detection, aliases, `--map` views and splitting rendered chat
text cost. Part 2: `--model FOLDER` token counting against a bare loop calling transformers'
`apply_chat_template(..., tokenize=True)` on the same conversations (the floor: ftqa adds the
trainable-token mask and its bookkeeping). The folder is built here with the `tokenizers`
library and a ChatML template, as in tests/test_hf_model.py.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import ftqa

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _turns(i: int) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You answer arithmetic questions briefly."},
        {"role": "user", "content": f"What is {i} plus {i * 3}? Show the sum."},
        {"role": "assistant", "content": f"{i} + {i * 3} = {i * 4}. The answer is {i * 4}."},
    ]


def _layouts(rows: int) -> dict[str, tuple[list[dict[str, Any]], str | None]]:
    chat = [{"messages": _turns(i)} for i in range(rows)]
    return {
        "chat (reference)": (chat, None),
        "conversations alias": ([{"conversations": _turns(i)} for i in range(rows)], None),
        "question_answer": (
            [
                {"question": t[1]["content"], "answer": t[2]["content"]}
                for t in map(_turns, range(rows))
            ],
            None,
        ),
        "--map prompt=q,completion=a": (
            [{"q": t[1]["content"], "a": t[2]["content"]} for t in map(_turns, range(rows))],
            "prompt=q,completion=a",
        ),
        "text, rendered ChatML": (
            [
                {
                    "text": "".join(
                        f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in _turns(i)
                    )
                }
                for i in range(rows)
            ],
            None,
        ),
    }


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _model_folder(folder: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    folder.mkdir()
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2000,
        special_tokens=["<unk>", "<|im_start|>", "<|im_end|>", "<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator([m["content"] for i in range(500) for m in _turns(i)], trainer)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "chat_template": CHATML}
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "eos_token": "<|im_end|>"}))
    (folder / "config.json").write_text(json.dumps({"max_position_embeddings": 4096}))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--template-rows", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        print(f"format checker, {args.rows:,} rows per layout (rows/s, whole ftqa.check call):")
        reference = None
        for name, (rows, mapping) in _layouts(args.rows).items():
            path = _write(base / f"{len(name)}.jsonl", rows)
            started = time.perf_counter()
            report = ftqa.check(path, select=["format"], map=mapping)
            seconds = time.perf_counter() - started
            reference = reference or seconds
            print(
                f"  {name:<30} {args.rows / seconds:>10,.0f} rows/s  {seconds / reference:4.2f}x"
                f"  format={report.dataset.format}"
            )
        folder = _model_folder(base / "model")
        conversations = [_turns(i) for i in range(args.template_rows)]
        path = _write(base / "chat.jsonl", [{"messages": c} for c in conversations])
        ftqa.check(path, select=["token_length"], model=str(folder))  # load transformers once
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        started = time.perf_counter()
        for conversation in conversations:
            tokenizer.apply_chat_template(conversation, tokenize=True, return_dict=True)
        floor = time.perf_counter() - started
        report = ftqa.check(path, select=["token_length"], model=str(folder))
        checker = next(run.seconds for run in report.checks if run.id == "token_length")
        print(f"--model FOLDER (ChatML, no generation markers), {args.template_rows:,} rows:")
        print(f"  bare apply_chat_template loop  {args.template_rows / floor:>10,.0f} rows/s")
        print(
            f"  ftqa token_length checker      {args.template_rows / checker:>10,.0f} rows/s"
            f"  {checker / floor:4.2f}x (total, plus the trainable split: 2 renders per reply)"
        )


if __name__ == "__main__":
    main()
