"""Nothing echoed: a planted secret or piece of personal data never leaves ftqa.

`planted.build` writes a corpus with every kind of credential and personal data ftqa detects,
each with a fresh random body, in every place a value can sit (message contents, tool calls,
content parts, metadata keys and values, roles, ShareGPT `from` tags, labels, categories, CSV
headers, duplicated keys, invalid JSON lines, duplicate / near-duplicate / contradiction groups,
template tokens and invisible characters that fixes edit, the dominant system prompt). The real
CLI then runs `check` in every output format (with `--examples-out` as CSV and Parquet), `fix`
(plain, `--redact`, `--dedupe`, `--unsafe`) and `split`, and every byte written to stdout,
stderr and every output file is searched for any 8-character window of any body. Dataset files
that `fix` and `split` write (the clean copy, the quarantine, the train and validation files)
hold the user's rows by design and are not searched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from planted import CHAT_PLACEMENTS, MAKERS, OTHER_PLACEMENTS, Corpus, build, leaks

FORMATS = ("terminal", "json", "markdown", "html", "github", "sarif")
CONFIG = "[contradictions]\nsemantic = false\n"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftqa", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        timeout=300,
        check=False,
    )


class Runs:
    """Every command of the test, run once for the module; outputs collected by name."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.outputs: dict[str, str] = {}
        self.codes: dict[str, int] = {}

    def text(self, name: str, path: Path) -> None:
        self.outputs[name] = path.read_text("utf-8", errors="replace")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("planted")
    # A fixed seed keeps CI deterministic (a random 40-character key can, once in about
    # 200,000, look like a placeholder); FTQA_PLANT_SEED=random explores fresh bodies.
    seed = os.environ.get("FTQA_PLANT_SEED", "20261207")
    corpus = build(root, None if seed == "random" else int(seed))
    (root / "ftqa.toml").write_text(CONFIG, "utf-8")
    files = corpus.files
    dataset = [str(files[name]) for name in ("chat", "sharegpt", "classification", "alpaca", "csv")]
    commands: dict[str, list[str]] = {}
    for fmt in FORMATS:
        for name, paths in (("all", dataset), ("dominant", [str(files["dominant"])])):
            args = ["check", *paths, "--format", fmt, "--config", "ftqa.toml", "--quiet"]
            if name == "all" and fmt == "json":
                args += ["--examples-out", "examples.csv"]
            if name == "all" and fmt == "terminal":
                args += ["--examples-out", "examples.parquet"]
            if fmt == "html":
                args += ["--output", f"report-{name}.html"]
            commands[f"check {name} --format {fmt}"] = args
    for mode in ("plain", "redact", "dedupe", "unsafe"):
        flags = [] if mode == "plain" else [f"--{mode}"]
        commands[f"fix {mode}"] = [
            "fix", str(files["chat"]), "--output", f"clean-{mode}.jsonl", "--config", "ftqa.toml",
            *flags,
        ]  # fmt: skip
    commands["split"] = [
        "split", str(files["classification"]), "--validation-fraction", "0.3", "--seed", "7",
        "--output-dir", "split", "--config", "ftqa.toml", "--stratify-by", "label",
    ]  # fmt: skip
    commands["train --dry-run"] = [
        "train", str(files["chat"]), "--provider", "openai", "--model", "gpt-4o-mini-2024-07-18",
        "--dry-run", "--output-dir", "train-run", "--config", "ftqa.toml",
    ]  # fmt: skip
    result = Runs(corpus)
    with ThreadPoolExecutor(max_workers=2) as pool:
        processes = pool.map(lambda args: _run(args, root), commands.values())
        done = dict(zip(commands, processes, strict=True))
    for name, process in done.items():
        result.codes[name] = process.returncode
        result.outputs[f"{name} (stdout)"] = process.stdout
        result.outputs[f"{name} (stderr)"] = process.stderr
    for name in ("all", "dominant"):
        result.text(f"check {name} --format html (file)", root / f"report-{name}.html")
    result.text("--examples-out examples.csv", root / "examples.csv")
    table = pq.read_table(root / "examples.parquet")
    result.outputs["--examples-out examples.parquet (values)"] = table.to_pandas().to_csv()
    result.outputs["--examples-out examples.parquet (bytes)"] = (
        (root / "examples.parquet").read_bytes().decode("latin-1")
    )
    for mode in ("plain", "redact", "dedupe", "unsafe"):
        result.text(f"fix {mode} (change log)", root / f"clean-{mode}.changes.log.jsonl")
    result.text("split (manifest.json)", root / "split" / "manifest.json")
    return result


def test_every_command_ran(runs: Runs) -> None:
    expected = dict.fromkeys(runs.codes, (0, 1))
    for name in runs.codes:
        if name.startswith(("fix", "split")):
            expected[name] = (0,)
    failed = {name: code for name, code in runs.codes.items() if code not in expected[name]}
    assert not failed, (failed, {name: runs.outputs[f"{name} (stderr)"][-500:] for name in failed})


def test_the_grep_finds_what_was_planted(runs: Runs) -> None:
    """The search is real: run on the input files, it finds every planted body."""
    inputs = {name: path.read_text("utf-8") for name, path in runs.corpus.files.items()}
    found = {line.split(": ")[1] for line in leaks(runs.corpus, inputs)}
    planted = {f"{kind} / {placement}" for kind, placement in runs.corpus.secrets}
    assert planted <= found, sorted(planted - found)


def test_every_chat_placement_reaches_the_report(runs: Runs) -> None:
    """Every planted chat row is the subject of at least one finding (so the test exercises
    the paths that would repeat it), and its kind is masked where it is quoted."""
    report = json.loads(runs.outputs["check all --format json (stdout)"])
    located: set[int] = set()
    for finding in report["findings"]:
        if finding["file"] and finding["file"].endswith("chat.jsonl"):
            located.update(line for line in [finding["line"], *(finding["lines"] or [])] if line)
    missed = [key for key, lines in runs.corpus.lines.items() if not set(lines) & located]
    assert not missed, missed
    assert "[redacted" in runs.outputs["check all --format json (stdout)"]


def test_no_output_repeats_a_secret(runs: Runs) -> None:
    found = leaks(runs.corpus, runs.outputs)
    combinations = len(runs.corpus.secrets) * len(runs.outputs)
    assert not found, f"{len(found)} leaks in {combinations} combinations:\n" + "\n".join(found)


def test_the_corpus_covers_every_kind_and_placement(runs: Runs) -> None:
    placements = {placement for _, placement in runs.corpus.secrets}
    assert placements == set(CHAT_PLACEMENTS) | set(OTHER_PLACEMENTS)
    assert {kind for kind, _ in runs.corpus.secrets} == set(MAKERS)
