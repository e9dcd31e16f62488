"""Precision of every rule on real public data, and recall on the generator's planted defects.

    python benchmarks/bench_precision.py                 # corpus precision + recall on 20,000 rows
    python benchmarks/bench_precision.py --skip-recall   # corpus precision only
    python benchmarks/bench_precision.py --rows 100000   # recall on a larger generated file

Precision: every run listed in tests/data/precision/corpus.toml is checked with
`ftqa check FILE --format json` (plus its `--validation` / `--reference` files), and each
finding is joined with tests/data/precision/labels.jsonl on (file, location, check, rule), the
location being `line N`, `row N` or `dataset`. A label says whether a person reading the row
judged the finding true. Per rule: findings, true, false, unknown (no label), and precision =
true / (true + false). Unlabelled findings are listed so that someone labels them. A rule at
warning or error below 0.95 is marked `LOW`; `--check` then exits with status 1.

Recall: a dataset from benchmarks/generate.py is checked with every checker and each planted
defect of its truth sidecar must be reported by the rules listed in `EXPECTED` on its line (for
pairs: one finding holding both lines).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _harness import ensure_dataset

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "precision"
TARGET = 0.95
LISTED_UNKNOWN = 40

# Planted defect kind -> the (check, rule) pairs that report it.
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "malformed_json": {("format", "invalid-json")},
    "missing_assistant": {
        ("format", "missing-assistant-message"),
        ("format", "last-turn-not-assistant"),
    },
    "empty_content": {("format", "empty-content")},
    "unknown_role": {("format", "unknown-role")},
    "non_object": {("format", "not-an-object")},
    "template_token": {("leakage", "leaked-template-token"), ("leakage", "leaked-special-token")},
    "exact_duplicate": {("duplicates", "exact-duplicate")},
    "near_duplicate": {("near_duplicates", "near-duplicate")},
    "same_prompt_contradiction": {("contradictions", "conflicting-answers")},
    "paraphrase_contradiction": {("contradictions", "conflicting-answers")},
}


@dataclass
class RuleScore:
    severity: str
    findings: int = 0
    true: int = 0
    false: int = 0
    unknown: int = 0

    @property
    def precision(self) -> float | None:
        judged = self.true + self.false
        return self.true / judged if judged else None


def location(finding: dict[str, Any]) -> str:
    if finding.get("line") is not None:
        return f"line {finding['line']}"
    if finding.get("row") is not None:
        return f"row {finding['row']}"
    return "dataset"


def finding_key(finding: dict[str, Any], default_file: str) -> tuple[str, str, str, str]:
    name = Path(finding["file"]).name if finding.get("file") else default_file
    return (name, location(finding), finding["check"], finding["rule"])


def load_labels(path: Path) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    labels = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            labels[(entry["file"], entry["at"], entry["check"], entry["rule"])] = entry
    return labels


def check_argv(run: dict[str, Any], config: Path) -> list[str]:
    argv = [sys.executable, "-m", "ftqa", "check", str(CORPUS / run["file"])]
    argv += ["--format", "json", "--quiet", "--config", str(config)]
    if "validation" in run:
        argv += ["--validation", str(CORPUS / run["validation"])]
    for reference in run.get("reference", []):
        argv += ["--reference", str(CORPUS / reference)]
    return argv


def run_ftqa(argv: list[str]) -> dict[str, Any]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        sys.exit(f"ftqa failed ({done.returncode}): {' '.join(argv)}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def write_config(directory: Path) -> Path:
    config = directory / "bench-precision.toml"
    config.write_text("max_findings_per_rule = 1000000\n", "utf-8")
    return config


def precision(labels_path: Path) -> tuple[dict[str, RuleScore], list[str]]:
    corpus = tomllib.loads((CORPUS / "corpus.toml").read_text("utf-8"))
    labels = load_labels(labels_path)
    scores: dict[str, RuleScore] = {}
    unknown: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp))
        for run in corpus["run"]:
            report = run_ftqa(check_argv(run, config))
            for finding in report["findings"]:
                name = f"{finding['check']}/{finding['rule']}"
                score = scores.setdefault(name, RuleScore(finding["severity"]))
                score.findings += 1
                key = finding_key(finding, run["file"])
                label = labels.get(key)
                if label is None:
                    score.unknown += 1
                    unknown.append(f"{key[0]} {key[1]} {name}: {finding['message'][:160]}")
                elif label["label"]:
                    score.true += 1
                else:
                    score.false += 1
    return scores, unknown


def print_precision(scores: dict[str, RuleScore], unknown: list[str]) -> list[str]:
    header = (
        f"{'rule':<48} {'severity':<8} {'found':>5} {'true':>5} {'false':>5} {'unk':>4}  precision"
    )
    print(header)
    print("-" * len(header))
    low: list[str] = []
    totals = Counter[str]()
    for name in sorted(scores):
        score = scores[name]
        value = score.precision
        shown = "-" if value is None else f"{value:.2f}"
        flag = ""
        if score.severity in ("warning", "error") and (value is None or value < TARGET):
            flag = "  LOW" if value is not None else "  (no labelled finding)"
            if value is not None:
                low.append(name)
        print(
            f"{name:<48} {score.severity:<8} {score.findings:>5} {score.true:>5} "
            f"{score.false:>5} {score.unknown:>4}  {shown}{flag}"
        )
        totals.update(found=score.findings, true=score.true, false=score.false, unk=score.unknown)
    judged = totals["true"] + totals["false"]
    overall = f"{totals['true'] / judged:.2f}" if judged else "-"
    print("-" * len(header))
    print(
        f"{'overall':<48} {'':<8} {totals['found']:>5} {totals['true']:>5} "
        f"{totals['false']:>5} {totals['unk']:>4}  {overall}"
    )
    if unknown:
        print(f"\n{len(unknown)} unlabelled findings (label them in labels.jsonl):")
        for line in unknown[:LISTED_UNKNOWN]:
            print(f"  {line}")
        if len(unknown) > LISTED_UNKNOWN:
            print(f"  ... and {len(unknown) - LISTED_UNKNOWN} more")
    return low


def recall(rows: int, seed: int) -> dict[str, tuple[int, int]]:
    path = ensure_dataset(rows, seed)
    truth = json.loads(path.with_name(path.name[: -len(".jsonl")] + ".truth.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp))
        argv = [sys.executable, "-m", "ftqa", "check", str(path), "--format", "json"]
        report = run_ftqa([*argv, "--quiet", "--config", str(config)])
    on_line: dict[tuple[str, str], set[int]] = {}
    groups: dict[tuple[str, str], list[set[int]]] = {}
    for finding in report["findings"]:
        pair = (finding["check"], finding["rule"])
        if finding.get("line") is not None:
            on_line.setdefault(pair, set()).add(finding["line"])
        if finding.get("lines"):
            groups.setdefault(pair, []).append(set(finding["lines"]))
    out: dict[str, tuple[int, int]] = {}
    for kind, rules in EXPECTED.items():
        planted = truth["defects"].get(kind, [])
        found = 0
        for entry in planted:
            if isinstance(entry, int):
                line: int | None = entry
            else:
                line = entry[0] if kind == "template_token" else None
            if line is not None:
                found += any(line in on_line.get(rule, ()) for rule in rules)
            else:
                both = set(entry)
                found += any(both <= group for rule in rules for group in groups.get(rule, ()))
        out[kind] = (found, len(planted))
    return out


def print_recall(results: dict[str, tuple[int, int]], rows: int) -> None:
    print(f"\nRecall on the planted defects of benchmarks/generate.py ({rows:,} rows):")
    total_found = total = 0
    for kind, (found, planted) in results.items():
        shown = f"{found / planted:.3f}" if planted else "-"
        print(f"  {kind:<28} {found:>5} / {planted:<5} {shown}")
        total_found += found
        total += planted
    print(f"  {'all':<28} {total_found:>5} / {total:<5} {total_found / max(total, 1):.3f}")


def doc_sentence(score: RuleScore | None) -> str:
    command = "`python benchmarks/bench_precision.py` (corpus: tests/data/precision)"
    if score is None:
        return (
            "Measured precision: not measured: the rule made no finding on the precision corpus "
            f"of real public datasets. Command: {command}."
        )
    judged = score.true + score.false
    if not judged:
        return f"Measured precision: not measured: no labelled finding yet. Command: {command}."
    return (
        f"Measured precision: {score.true / judged:.2f} ({score.true} of {judged} findings "
        f"true) on the precision corpus of real public datasets. Command: {command}."
    )


def write_docs(scores: dict[str, RuleScore]) -> None:
    """Put each rule's measured precision at the end of its page (replacing an older one)."""
    for page in sorted((ROOT / "docs" / "rules").glob("*/*.md")):
        name = f"{page.parent.name}/{page.stem}"
        text = page.read_text("utf-8").rstrip("\n")
        kept = [p for p in text.split("\n\n") if not p.startswith("Measured precision:")]
        kept.append(doc_sentence(scores.get(name)))
        page.write_text("\n\n".join(kept) + "\n", "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=CORPUS / "labels.jsonl")
    parser.add_argument("--rows", type=int, default=20000, help="generated rows for recall")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-recall", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a rule is LOW")
    parser.add_argument(
        "--write-docs", action="store_true", help="write each rule's precision on its doc page"
    )
    args = parser.parse_args()
    scores, unknown = precision(args.labels)
    low = print_precision(scores, unknown)
    if args.write_docs:
        write_docs(scores)
    results = {} if args.skip_recall else recall(args.rows, args.seed)
    if results:
        print_recall(results, args.rows)
    if args.json:
        payload = {
            "precision": {
                name: {**score.__dict__, "precision": score.precision}
                for name, score in scores.items()
            },
            "unknown": unknown,
            "recall": {kind: {"found": f, "planted": p} for kind, (f, p) in results.items()},
        }
        args.json.write_text(json.dumps(payload, indent=2), "utf-8")
    if args.check and low:
        sys.exit(1)


if __name__ == "__main__":
    main()
