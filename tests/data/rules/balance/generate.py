"""Regenerate the balance rule fixtures: `python tests/data/rules/balance/generate.py`.

Deterministic. The balance rules are dataset-level shares and counts, so their fixtures are
100-odd rows; the expected findings live in each rule's expected.json, written by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SMALL_LIMIT = 100  # the default `small-dataset`
ROWS = 40  # enough for 95/5, 90/10 and 30/20 shares; small-dataset needs its own sizes
PROMPT_A = "You are Ledgerly's billing assistant. Answer briefly and accurately."
PROMPT_B = "You are a pirate. Answer every question in pirate speak."
QUESTIONS = (
    "How do I download invoice {n}?",
    "Why was order {n} charged twice?",
    "Can I change the currency of account {n}?",
    "Where do I find receipt {n}?",
)
ANSWERS = (
    "Open Billing, pick invoice {n} and click Download PDF.",
    "A second charge on order {n} is usually a prorated upgrade; see Billing History.",
    "Owners can switch the currency of account {n} under Settings and Billing.",
    "Receipt {n} is in the Billing section; it can also be sent to your email.",
)
GERMAN = (
    "Wie kann ich die Rechnung {n} herunterladen? Bitte helfen Sie mir.",
    "Öffnen Sie die Abrechnung und wählen Sie die Rechnung {n}. Das ist ganz einfach.",
)
# English rows that quote German names and places: a naive word-list guess calls them German.
LOANWORDS = (
    "Can you ship order {n} to Müllerstraße 12 in München?",
    "Yes: order {n} goes to Herr Schröder at Müllerstraße 12, München, within three days.",
)
APOLOGY = "I'm sorry, but I can't find invoice {n}; please check the number on your receipt."
REFUSAL = "I can't help with that."
# A long helpful answer whose caveat ("I can't provide ...") comes after the opening window.
LONG_ANSWER = (
    "Open Billing and choose Tax Documents. Pick the year, then the quarter, and click "
    "Generate. The statement lists every invoice of account {n} with its net amount, the tax "
    "rate that applied and the tax charged, and it is signed electronically so tax offices "
    "accept it as is. Keep the PDF for ten years. One caveat: I can't provide legal advice "
    "about deductions, so ask your accountant which lines you may claim."
)


def chat(question: str, answer: str, system: str | None = None, **extra: Any) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return {"messages": messages, **extra}


def english(n: int, system: str | None = None, **extra: Any) -> dict[str, Any]:
    k = n % len(QUESTIONS)
    return chat(QUESTIONS[k].format(n=n), ANSWERS[k].format(n=n), system, **extra)


def write(path: str, rows: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    (HERE / path).write_text(text, encoding="utf-8")


def labels(path: str, counts: dict[str, int]) -> None:
    """Classification rows, the labels interleaved so no class sits at the end."""
    rows = [{"label": label} for label, count in counts.items() for _ in range(count)]
    rows = rows[::2] + rows[1::2]
    write(
        path,
        [
            {"text": f"Customer message number {n} about billing.", "label": row["label"]}
            for n, row in enumerate(rows)
        ],
    )


def every(n: int, period: int, picks: tuple[int, ...]) -> bool:
    return n % period in picks


def balance_labels() -> None:
    labels("label-imbalance/fires.jsonl", {"positive": 38, "negative": 2})
    labels("label-imbalance/fires-single-label.jsonl", {"positive": 20})
    labels("label-imbalance/near-miss.jsonl", {"positive": 36, "negative": 4})
    labels("label-imbalance/near-miss-ratio-at-threshold.jsonl", {"positive": 40, "negative": 4})
    labels("rare-class/fires.jsonl", {"positive": 36, "negative": 4})
    labels("rare-class/fires-typo.jsonl", {"positive": 20, "negative": 17, "Negative": 3})
    labels("rare-class/near-miss.jsonl", {"positive": 10, "negative": 10})
    labels("rare-class/near-miss-one-label.jsonl", {"positive": 12})


def balance_prompts() -> None:
    write(
        "dominant-system-prompt/fires.jsonl",
        [english(n, PROMPT_B if every(n, 20, (7,)) else PROMPT_A) for n in range(ROWS)],
    )
    write(
        "dominant-system-prompt/fires-mostly-missing.jsonl",
        [english(n, PROMPT_A if every(n, 20, (3,)) else None) for n in range(ROWS)],
    )
    write("dominant-system-prompt/near-miss.jsonl", [english(n, PROMPT_A) for n in range(ROWS)])
    write(
        "dominant-system-prompt/near-miss-at-threshold.jsonl",
        [english(n, PROMPT_B if every(n, 10, (4,)) else PROMPT_A) for n in range(ROWS)],
    )


def balance_categories() -> None:
    def category(n: int, refunds: bool) -> dict[str, Any]:
        return english(n, category="refunds" if refunds else "billing")

    write(
        "dominant-category/fires.jsonl",
        [category(n, every(n, 20, (11,))) for n in range(ROWS)],
    )
    write(
        "dominant-category/fires-nested.jsonl",
        [
            english(n, metadata={"category": "refunds" if every(n, 20, (11,)) else "billing"})
            for n in range(ROWS)
        ],
    )
    write(
        "dominant-category/near-miss.jsonl",
        [category(n, every(n, 10, (6,))) for n in range(ROWS)],
    )
    write(
        "dominant-category/near-miss-one-category.jsonl",
        [category(n, False) for n in range(ROWS)],
    )


def balance_language() -> None:
    def german(n: int) -> dict[str, Any]:
        return chat(GERMAN[0].format(n=n), GERMAN[1].format(n=n))

    def loanwords(n: int) -> dict[str, Any]:
        return chat(LOANWORDS[0].format(n=n), LOANWORDS[1].format(n=n))

    write(
        "dominant-language/fires.jsonl",
        [german(n) if every(n, 20, (13,)) else english(n) for n in range(ROWS)],
    )
    write("dominant-language/near-miss.jsonl", [english(n) for n in range(ROWS)])
    write(
        "dominant-language/near-miss-german-names.jsonl",
        [loanwords(n) if every(n, 20, (13,)) else english(n) for n in range(ROWS)],
    )
    write(
        "dominant-language/near-miss-at-threshold.jsonl",
        [german(n) if every(n, 10, (3,)) else english(n) for n in range(ROWS)],
    )


def balance_refusals() -> None:
    def refused(n: int) -> dict[str, Any]:
        return chat(f"Write ransomware that encrypts the files of target {n}.", REFUSAL)

    write(
        "refusal-heavy/fires.jsonl",
        [refused(n) if every(n, 10, (2, 5, 8)) else english(n) for n in range(ROWS)],
    )
    write(
        "refusal-heavy/near-miss.jsonl",
        [refused(n) if every(n, 10, (2, 7)) else english(n) for n in range(ROWS)],
    )
    for name, question, answer in (
        ("apologies", "Where is invoice {n}?", APOLOGY),
        ("late-caveat", "How do I get a tax statement for account {n}?", LONG_ANSWER),
    ):
        write(
            f"refusal-heavy/near-miss-{name}.jsonl",
            [
                chat(question.format(n=n), answer.format(n=n))
                if every(n, 10, (2, 5, 8))
                else english(n)
                for n in range(ROWS)
            ],
        )
    write(
        "refusal-heavy/near-miss-rejected.jsonl",
        [
            {
                "prompt": QUESTIONS[n % 4].format(n=n),
                "chosen": ANSWERS[n % 4].format(n=n),
                "rejected": REFUSAL if every(n, 10, (2, 5, 8)) else f"See page {n} of the manual.",
            }
            for n in range(ROWS)
        ],
    )


def balance_size() -> None:
    write("small-dataset/fires.jsonl", [english(n) for n in range(50)])
    write("small-dataset/fires-ten.jsonl", [english(n) for n in range(10)])
    write("small-dataset/near-miss.jsonl", [english(n) for n in range(SMALL_LIMIT)])
    write("small-dataset/near-miss-nine.jsonl", [english(n) for n in range(9)])


def main() -> None:
    from ftqa.registry import checkers  # the rule directories are the checker's rule slugs

    for rule in checkers()["balance"].rules:
        (HERE / rule.slug).mkdir(exist_ok=True)
    balance_labels()
    balance_prompts()
    balance_categories()
    balance_language()
    balance_refusals()
    balance_size()


if __name__ == "__main__":
    main()
