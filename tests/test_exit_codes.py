"""Exit codes are 0, 1 or 2 and nothing else: whatever goes wrong, the command line ends with
one line naming the file and the reason, never a traceback (unless FTQA_DEBUG=1) and never 3.

Failures are real: a plugin that raises, a directory where a file is written, a file-size
limit set on the real process (the file system refuses to write past it, as a full disk
would), a Parquet file whose JSON-text column Arrow cannot write back as text.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from plugin_dist import installed_plugin

DATA = Path(__file__).resolve().parent / "data" / "train"
FAKE_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"

BROKEN = f"""
import ftqa


class Broken(ftqa.Checker):
    id = "broken"
    summary = "Raises when it is built."
    rules = (ftqa.Rule("seen", ftqa.Severity.INFO, "A row was seen."),)

    def __init__(self, options, context):
        raise RuntimeError("cannot start: token {FAKE_TOKEN} rejected")
"""


def _plugin_env(root: Path, **extra: str) -> dict[str, str]:
    site = installed_plugin(root, "broken", "broken = broken:Broken", "broken", BROKEN, "site")
    env = {key: value for key, value in os.environ.items() if key != "FTQA_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_an_unexpected_failure_is_one_line_exit_2_naming_the_input(tmp_path: Path):
    data = DATA / "clean.jsonl"
    result = run_cli("check", str(data), cwd=tmp_path, env=_plugin_env(tmp_path))
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert line.startswith(f"ftqa: error: {data}: unexpected failure in `ftqa check`")
    assert "RuntimeError: cannot start" in line
    assert FAKE_TOKEN not in line  # error text may quote data: credentials are masked


def test_ftqa_debug_adds_the_traceback_and_keeps_exit_2(tmp_path: Path):
    env = _plugin_env(tmp_path, FTQA_DEBUG="1")
    result = run_cli("check", str(DATA / "clean.jsonl"), cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert "unexpected failure in `ftqa check`" in result.stderr.strip().splitlines()[-1]


def test_writing_where_a_directory_is_is_one_line_exit_2(tmp_path: Path):
    (tmp_path / "out").mkdir()
    data = tmp_path / "clean.jsonl"
    data.write_bytes((DATA / "clean.jsonl").read_bytes())
    result = run_cli("fix", str(data), "--output", "out", cwd=tmp_path)
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "out" in line
    assert (tmp_path / "out").is_dir()


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_write_the_file_system_refuses_is_one_line_exit_2(tmp_path: Path):
    """With the file size limited, writing the report fails with EFBIG, as a full disk fails
    with ENOSPC: one line, exit 2."""
    env = {key: value for key, value in os.environ.items() if key != "FTQA_DEBUG"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ftqa",
            "check",
            str(DATA / "dirty.jsonl"),
            "--format",
            "json",
            "--output",
            "report.json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        preexec_fn=_limit_file_size,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    line = _one_line(result.stderr)
    assert "File too large" in line


def test_arrow_type_errors_on_json_text_parquet_columns_never_escape(tmp_path: Path):
    pyarrow = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    conversation = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    table = pyarrow.table({"messages": [json.dumps(conversation), '[1, "x"]']})
    data = tmp_path / "chat.parquet"
    pq.write_table(table, data)
    result = run_cli("fix", str(data), "--output", "fixed.parquet", "--unsafe", cwd=tmp_path)
    assert result.returncode in (0, 2), result.stderr
    if result.returncode == 2:
        assert "chat.parquet" in _one_line(result.stderr)
