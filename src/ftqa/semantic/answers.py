"""Do two answers to the same question contradict each other? Lexical answer facts and their
comparison, with a strength in 0..1 and a reason a person can check.

From each answer ftqa reads its **headline** (the first sentence; when that is only a filler such
as "Sure!", the next one too), then:

- **polarity**: the headline opens with yes / no, true / false, correct / incorrect (`No
  problem`, `No doubt` and similar openers are not answers);
- **numbers**: the numbers the headline states (digits, or number words from two up), leaving
  out numbers the prompt itself contains;
- **final answer**: the number after an explicit marker anywhere in the answer (`#### 72`,
  `\\boxed{72}`, `the answer is 72`, `Answer: 72`);
- **negation**: whether the headline is negated (`Penguins cannot fly.`);
- **refusal**: whether the answer opens by declining (`I'm sorry, but I can't help with that`).

Code is not a claim: when an answer is code (a fenced block, or lines that read as code), its
numbers and negations are details of an implementation (`if n == 0` vs `if n == 1` in two
factorial functions), so only polarity, final answers and refusals are compared. List markers
(`1.`, `2)`) are not numbers an answer states.

Two answers conflict, strongest reason first, when one refuses and the other does not
(`inconsistent-refusal`, 0.9), their polarities are opposite (0.95), their final answers differ
(0.9), their headline numbers are disjoint (0.85 when both headlines are short statements, else
0.7), or their headlines say the same thing except that exactly one is negated (0.8). Answers that
differ only in wording or length do not conflict. How far apart two answers are in meaning is
judged separately, from embeddings (`divergent-answers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ftqa.semantic.questions import (
    UNITS,
    WORD_RE,
    digit_numbers,
    is_negation,
    number_key,
    word_key,
    word_numbers,
    words_of,
)

HEADLINE_CHARS = 300
SHORT_HEADLINE_WORDS = 20
FILLER_WORDS = 3
REFUSAL_WINDOW = 300

YES = frozenset({"yes", "yeah", "yep", "yup", "true", "correct", "affirmative", "indeed"})
NO = frozenset({"no", "nope", "nah", "false", "incorrect", "wrong"})
EMPHATIC = frozenset({"absolutely", "definitely", "certainly", "of course"})
NOT_ANSWERS = re.compile(
    r"^(?:no (?:problem|worries|doubt|matter|need|wonder|one|way to|single|longer)|"
    r"not only|true,? but|correct me)\b"
)
NOT_ANSWER_OPENERS = re.compile(r"^(?:not (?:at all|really|exactly|necessarily|quite))\b")
_MARKDOWN_LEAD = re.compile(r"^[\s>*#_`\-]+")
_LIST_MARKER = re.compile(r"^[ \t]*(?:\d{1,3}[.)]|[-*•])[ \t]+", re.M)
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |#include|#!|public |private |static |function "
    r"|const |let |var |return\b|print\(|console\.|(?:if|for|while|elif|else|switch)\b.*[:{]\s*$"
    r"|SELECT |INSERT |UPDATE |DELETE |CREATE |<[A-Za-z/!?]|[{}\])]|.*[;{]\s*$"
    r"|\w[\w.\[\]]*\s*[+\-*/]?=\s)"
)
CODE_SHARE = 0.5
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")
FINAL_RE = re.compile(
    r"(?:####\s*|\\boxed\{\s*|\b(?:final answer|the answer|answer|result)\s*(?:is|:|=)\s*"
    r"(?:\\?\$\s*)?)(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)",
    re.IGNORECASE,
)
REFUSAL_RE = re.compile(
    # An apology counts when a decline follows it: "I'm sorry, I know how frustrating that is.
    # Send us a photo ..." is a support answer, not a refusal.
    r"^(?:i'?m|i am) (?:sorry|afraid),? (?:but )?(?:i(?:'m| am)? (?:can't|cannot|can not|won't|"
    r"will not|unable|not able|must|don't|do not|not comfortable)|as an)\b"
    r"|^(?:sorry|i apologi[sz]e),? (?:but )?i (?:can't|cannot|can not|won't|will not|am unable)\b"
    r"|\bi (?:can't|cannot|can not|won't|will not|am unable to|'m unable to|am not able to|"
    r"'m not able to|must decline to|must refuse to|do not feel comfortable|"
    r"don't feel comfortable) (?:help|assist|provide|comply|fulfill|create|generate|write|"
    r"produce|share|give|do that|do this|engage|support|answer|offer|participate|continue|"
    r"discuss|recommend)"
    r"|\bas an ai(?: language model| assistant)?,? i (?:can't|cannot|can not|don't|do not|"
    r"am not able|'m not able|am unable|won't)\b"
    r"|\bi (?:must|have to) (?:decline|refuse)\b"
    r"|\b(?:i'?m|i am) not (?:able|allowed|permitted) to (?:help|assist|provide|share|give)\b",
)
SMALL_NUMBER_WORDS = frozenset(UNITS) - {"zero", "one"}


@dataclass(frozen=True, slots=True)
class Answer:
    """What `compare` needs to know about one answer."""

    head: str
    polarity: int  # +1 yes, -1 no, 0 neither
    polarity_word: str
    numbers: tuple[str, ...]
    final: str | None
    negated: bool
    words: frozenset[str]  # headline words without negations and polarity words
    head_words: int
    refusal: bool
    empty: bool


@dataclass(frozen=True, slots=True)
class Conflict:
    """Why two answers contradict each other."""

    kind: str  # refusal | polarity | final | numbers | negation
    strength: float
    reason: str


def is_code(text: str) -> bool:
    """Whether an answer is code: a fenced block, or lines that read as code from the first on
    (most of the first eight)."""
    stripped = text.strip()
    if stripped.startswith(("```", "~~~")):
        return True
    lines = [line for line in stripped.splitlines()[:8] if line.strip()]
    if len(lines) < 2 or not _CODE_LINE.match(lines[0]):
        return False  # prose first: the headline is a statement, whatever code follows
    return sum(1 for line in lines if _CODE_LINE.match(line)) >= CODE_SHARE * len(lines)


def headline(text: str) -> str:
    """The first sentence (two, when the first is a short filler), without markdown markers."""
    body = _MARKDOWN_LEAD.sub("", _LIST_MARKER.sub("", text.strip()))
    if body.startswith("```") or not body:
        return ""
    head = ""
    rest = body[: HEADLINE_CHARS * 2]
    for _ in range(3):
        match = _SENTENCE_END.search(rest)
        piece = rest if match is None else rest[: match.end()]
        head = (head + " " + piece.strip()).strip()
        rest = "" if match is None else rest[match.end() :].lstrip()
        words = WORD_RE.findall(head)
        first = word_key(words[0]) if words else ""
        if len(words) > FILLER_WORDS or first in YES or first in NO or not rest:
            break
    return head[:HEADLINE_CHARS]


def _polarity(head: str) -> tuple[int, str]:
    lowered = head.lower().replace("’", "'")
    if NOT_ANSWERS.match(lowered):
        return 0, ""
    if NOT_ANSWER_OPENERS.match(lowered):
        return -1, lowered.split()[0]
    words = [word_key(w) for w in WORD_RE.findall(lowered[:60])]
    if not words:
        return 0, ""
    first = words[0]
    if first in YES:
        return 1, first
    if first in NO:
        return -1, first
    opener = " ".join(words[:2]) if words[:2] == ["of", "course"] else first
    if opener in EMPHATIC:
        rest = words[2:] if opener == "of course" else words[1:]
        if rest[:1] == ["not"]:
            return -1, f"{opener} not"
        if len(rest) == 0 or len(WORD_RE.findall(lowered)) <= 3:
            return 1, opener
    return 0, ""


def answer(text: str, prompt: str = "") -> Answer:
    """The facts of one answer; numbers that the prompt contains are left out."""
    head = headline(text)
    code = is_code(text)
    polarity, polarity_word = _polarity(head)
    in_prompt = {key for _, key in digit_numbers(prompt) + word_numbers(prompt)}
    numbers: dict[str, None] = {}
    spelled = [
        (pos, key)
        for pos, key in word_numbers(head)
        if head[pos:].split()[0].strip(".,;:!?").lower().split("-")[0]
        not in ("one", "zero", "hundred", "thousand", "million", "billion")
    ]
    for _, key in sorted(digit_numbers(head) + spelled):
        if key not in in_prompt and not code:
            numbers.setdefault(key, None)
    finals = [m.group(1) for m in FINAL_RE.finditer(text)]
    final = number_key(float(finals[-1].replace(",", ""))) if finals else None
    words = words_of(head)
    negations = sum(1 for w in words if is_negation(w))
    if polarity_word == "no":
        negations -= 1  # the leading "No" is the polarity, not a negated statement
    content = frozenset(w for w in words if not is_negation(w) and w not in YES and w not in NO)
    window = text.strip()[:REFUSAL_WINDOW].lower().replace("’", "'")
    return Answer(
        head=head,
        polarity=polarity,
        polarity_word=polarity_word,
        numbers=tuple(numbers),
        final=final,
        negated=negations % 2 == 1 and not code,
        words=content,
        head_words=len(words),
        refusal=REFUSAL_RE.search(window) is not None,
        empty=not text.strip(),
    )


def compare(a: Answer, b: Answer) -> Conflict | None:
    """The strongest reason the two answers contradict each other, or None."""
    if a.empty or b.empty:
        return None
    if a.refusal != b.refusal:
        return Conflict("refusal", 0.9, "one answer refuses, the other complies")
    if a.refusal:
        return None
    if a.polarity and b.polarity and a.polarity != b.polarity:
        return Conflict(
            "polarity",
            0.95,
            f"opposite answers ({_say(a.polarity_word)} vs {_say(b.polarity_word)})",
        )
    if a.final is not None and b.final is not None:
        if a.final != b.final:
            return Conflict("final", 0.9, f"different final answers ({a.final} vs {b.final})")
        return None
    if a.numbers and b.numbers and not set(a.numbers) & set(b.numbers):
        short = a.head_words <= SHORT_HEADLINE_WORDS and b.head_words <= SHORT_HEADLINE_WORDS
        return Conflict(
            "numbers",
            0.85 if short else 0.7,
            f"different numbers ({_listed(a.numbers)} vs {_listed(b.numbers)})",
        )
    if a.negated != b.negated and min(len(a.words), len(b.words)) >= 3:
        overlap = len(a.words & b.words) / min(len(a.words), len(b.words))
        if overlap >= 0.8:
            return Conflict("negation", 0.8, "one answer negates the other")
    return None


def _say(word: str) -> str:
    return word.capitalize() if word else "?"


def _listed(numbers: tuple[str, ...]) -> str:
    shown = ", ".join(numbers[:3])
    return shown + (", …" if len(numbers) > 3 else "")
