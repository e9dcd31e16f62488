"""Regenerate the "Checkers and rules" tables of docs/index.md from the installed checkers.

python docs/generate_index.py          # rewrite docs/index.md
python docs/generate_index.py --check  # exit 1 when docs/index.md is stale (used by tests)
"""

from __future__ import annotations

import sys
from pathlib import Path

from ftqa.registry import checkers
from ftqa.runs import RULES as RUN_RULES

INDEX = Path(__file__).resolve().parent / "index.md"
HEADING = "## Checkers and rules"


def tables() -> str:
    lines = [HEADING, "", "| Checker | What it finds | Rules |", "| --- | --- | --- |"]
    registered = checkers()
    for check_id, cls in registered.items():
        if not cls.rules:
            continue
        lines.append(
            f"| [`{check_id}`](checkers/{check_id}.md) | {cls.summary} | {len(cls.rules)} |"
        )
    lines += ["", "| Rule | Default severity | Fix | Summary |", "| --- | --- | --- | --- |"]
    for check_id, cls in registered.items():
        for rule in cls.rules:
            lines.append(
                f"| [`{check_id}/{rule.slug}`](rules/{check_id}/{rule.slug}.md) "
                f"| {rule.severity.value} | {rule.fix} | {rule.summary} |"
            )
    lines += [
        "",
        "[`ftqa runs analyze`](runs.md) judges a fine-tuning run's metrics with the same finding "
        "model (check id `runs`):",
        "",
        "| Rule | Default severity | Fix | Summary |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| [`runs/{rule.slug}`](rules/runs/{rule.slug}.md) | {rule.severity.value} "
        f"| {rule.fix} | {rule.summary} |"
        for rule in RUN_RULES
    ]
    return "\n".join(lines) + "\n"


def rendered() -> str:
    text = INDEX.read_text(encoding="utf-8")
    before, _, after = text.partition(HEADING)
    rest = after.split("\n## ", 1)
    tail = "\n## " + rest[1] if len(rest) == 2 else ""
    return before + tables() + tail


def main(argv: list[str]) -> int:
    fresh = rendered()
    if "--check" in argv:
        return 0 if INDEX.read_text(encoding="utf-8") == fresh else 1
    INDEX.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
