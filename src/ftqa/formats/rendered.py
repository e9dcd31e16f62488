"""Plain text that was already rendered with a chat template: which template, and its turns.

Trainers that take one `text` column (TRL's `dataset_text_field`, mlx-lm, Axolotl's
`completion` type) are often fed conversations already rendered with a chat template. Splitting
such a text back into turns lets the conversation checks (roles, empty turns, leaked tokens
inside a turn, system-prompt and scaffold consistency) apply to it.

Family names follow the `leakage` checker's template families (`template_tokens.toml`), with two
plain-text transcript styles besides: `human-assistant` (Anthropic's `\\n\\nHuman:` /
`\\n\\nAssistant:`, also Guanaco's `### Human:` / `### Assistant:`) and `alpaca-prompt`
(`### Instruction:` / `### Response:`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Turn = tuple[str, str]  # (canonical role, content)

_ROLES = {
    "system": "system",
    "developer": "developer",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "model": "assistant",
    "tool": "tool",
    "ipython": "tool",
    "function": "tool",
}


@dataclass(frozen=True, slots=True)
class Rendered:
    family: str
    turns: list[Turn]


def _role(name: str) -> str:
    return _ROLES.get(name.strip().lower(), name.strip().lower() or "?")


def _chatml(text: str) -> list[Turn] | None:
    turns: list[Turn] = []
    for chunk in text.split("<|im_start|>")[1:]:
        head, _, rest = chunk.partition("\n")
        content = rest.split("<|im_end|>", 1)[0]
        turns.append((_role(head), content.strip()))
    return turns or None


_LLAMA3 = re.compile(r"<\|start_header_id\|>(.*?)<\|end_header_id\|>(.*?)(?:<\|eot_id\|>|$)", re.S)


def _llama3(text: str) -> list[Turn] | None:
    return [(_role(role), content.strip()) for role, content in _LLAMA3.findall(text)] or None


_GEMMA = re.compile(r"<start_of_turn>(\w+)\n(.*?)(?:<end_of_turn>|$)", re.S)


def _gemma(text: str) -> list[Turn] | None:
    return [(_role(role), content.strip()) for role, content in _GEMMA.findall(text)] or None


_PHI3 = re.compile(
    r"<\|(system|user|assistant|tool)\|>\n?(.*?)(?=<\|(?:system|user|assistant|tool)\|>|$)", re.S
)
_PHI3_END = re.compile(r"(?:<\|end\|>|</s>|<\|endoftext\|>)\s*$")


def _phi3(text: str) -> list[Turn] | None:
    turns = [
        (_role(role), _PHI3_END.sub("", content.strip()).strip())
        for role, content in _PHI3.findall(text)
    ]
    return turns or None


_INST = re.compile(r"\[INST\](.*?)\[/INST\](.*?)(?=(?:<s>)?\s*\[INST\]|$)", re.S)
_SYS = re.compile(r"<<SYS>>(.*?)<</SYS>>", re.S)


def _llama2(text: str) -> list[Turn] | None:
    turns: list[Turn] = []
    for prompt, reply in _INST.findall(text):
        system = _SYS.search(prompt)
        if system is not None:
            turns.append(("system", system.group(1).strip()))
            prompt = prompt[: system.start()] + prompt[system.end() :]
        turns.append(("user", prompt.strip()))
        answer = reply.replace("</s>", "").strip()
        if answer:
            turns.append(("assistant", answer))
    return turns or None


def _labelled(labels: dict[str, str], merge: bool = False) -> Callable[[str], list[Turn] | None]:
    """Transcripts whose turns start with a plain-text label such as `\\n\\nHuman:`."""
    pattern = re.compile("(" + "|".join(re.escape(label) for label in labels) + ")")

    def split(text: str) -> list[Turn] | None:
        parts = pattern.split(text)
        turns = [
            (labels[label], content.strip())
            for label, content in zip(parts[1::2], parts[2::2], strict=True)
        ]
        if parts[0].strip():
            turns.insert(0, ("system", parts[0].strip()))
        if merge:
            turns = _merged(turns)
        return turns or None

    return split


_HUMAN_ASSISTANT = _labelled(
    {
        "\n\nHuman:": "user",
        "\n\nAssistant:": "assistant",
        "### Human:": "user",
        "### Assistant:": "assistant",
    }
)
_ALPACA_PROMPT = _labelled(
    {"### Instruction:": "user", "### Input:": "user", "### Response:": "assistant"}, merge=True
)


def _merged(turns: list[Turn]) -> list[Turn]:
    """Consecutive turns of one role as one (Alpaca's Instruction and Input are one prompt)."""
    merged: list[Turn] = []
    for role, content in turns:
        if merged and merged[-1][0] == role:
            merged[-1] = (role, f"{merged[-1][1]}\n\n{content}".strip())
        else:
            merged.append((role, content))
    return merged


def split_human_assistant(text: str) -> list[Turn]:
    """The turns of a `\\n\\nHuman:` / `\\n\\nAssistant:` transcript (HH-RLHF)."""
    return _HUMAN_ASSISTANT(text) or []


# (family, marker that must occur, splitter), most specific first.
_FAMILIES: tuple[tuple[str, tuple[str, ...], Callable[[str], list[Turn] | None]], ...] = (
    ("chatml", ("<|im_start|>",), _chatml),
    ("llama3", ("<|start_header_id|>",), _llama3),
    ("gemma", ("<start_of_turn>",), _gemma),
    ("phi3", ("<|user|>", "<|assistant|>"), _phi3),
    ("llama2", ("[INST]", "[/INST]"), _llama2),
    ("human-assistant", ("Human:", "Assistant:"), _HUMAN_ASSISTANT),
    ("alpaca-prompt", ("### Instruction:", "### Response:"), _ALPACA_PROMPT),
)
FAMILIES = tuple(name for name, _, _ in _FAMILIES)


def parse_rendered(text: str) -> Rendered | None:
    """The chat template `text` was rendered with and its turns; None for ordinary text.

    A family counts only when its markers occur and the split yields an assistant turn after a
    user turn, so prose that merely mentions `Human:` is not taken for a transcript."""
    for family, markers, split in _FAMILIES:
        if not all(marker in text for marker in markers):
            continue
        if family == "human-assistant" and not (
            text.lstrip(" ").startswith(("\n\nHuman:", "Human:", "### Human:"))
        ):
            continue
        turns = split(text)
        if turns and _is_dialogue(turns):
            return Rendered(family, turns)
    return None


def _is_dialogue(turns: list[Turn]) -> bool:
    roles = [role for role, _ in turns]
    return "user" in roles and "assistant" in roles[roles.index("user") :]
