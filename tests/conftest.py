from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopback_provider import Provider, environment, serve

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

# The row cache of every run in this session (subprocesses inherit it) lives in a temporary
# folder, not in the checkout; tests of the cache itself name their own folder.
os.environ.setdefault("FTQA_ROW_CACHE", tempfile.mkdtemp(prefix="ftqa-rows-"))


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m ftqa ARGS` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "ftqa", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        input=stdin,
        timeout=300,
        check=False,
    )


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def provider() -> Iterator[Provider]:
    """A fake fine-tuning provider on 127.0.0.1 (see `loopback_provider`), stopped after."""
    with serve() as state:
        yield state


@pytest.fixture
def api_env(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Provider:
    """`provider`, with this process's environment pointing the SDKs at it."""
    for key in list(os.environ):
        if key.lower().endswith("_proxy") or key.startswith(("OPENAI_", "TOGETHER_")):
            monkeypatch.delenv(key)
    for key, value in environment(provider.port).items():
        monkeypatch.setenv(key, value)
    return provider


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 rows of the planted-defect generator (`benchmarks/generate.py`), seed 7."""
    out = tmp_path_factory.mktemp("generated") / "chat.jsonl"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "generate.py"),
            "--rows",
            "3000",
            "--seed",
            "7",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out
