"""A plugin installed as pip would leave it: a dist-info folder with an `ftqa.checkers` entry
point and one module, in a site folder the test puts on PYTHONPATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def installed_plugin(
    root: Path, name: str, entry_point: str, module: str, code: str, folder: str | None = None
) -> Path:
    """The site folder (`root / folder`, default `root / name`) holding the distribution `name`
    whose entry point is `entry_point` (`"id = module:Class"`) and whose module is `code`.
    `name` has no dash: the dist-info folder's name is cut at its first one (`ftqa-x` would
    read as a second `ftqa` and hide the built-in checkers)."""
    if "-" in name:
        raise ValueError(f"distribution name {name!r}: use underscores")
    site = root / (folder or name)
    dist_info = site / f"{name}-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[ftqa.checkers]\n{entry_point}\n", encoding="utf-8"
    )
    (site / f"{module}.py").write_text(code, encoding="utf-8")
    return site


def check_with_plugin(
    site: Path, data: Path, executor: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """`ftqa check DATA --format json --executor EXECUTOR --no-cache OPTIONS` in a fresh process
    that sees the plugin installed in `site`."""
    return subprocess.run(
        [sys.executable, "-m", "ftqa", "check", str(data), "--format", "json", "--executor",
         executor, "--no-cache", *options],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site)},
        check=False,
    )  # fmt: skip


def assert_failed_while_others_ran(
    report: dict[str, Any], failed: str, note: str, ran: str
) -> None:
    """In a report's JSON, checker `failed` is marked failed with `note` in its note, and
    checker `ran` still ran."""
    runs = {run["id"]: run for run in report["checks"]}
    assert runs[failed]["status"] == "failed"
    assert note in runs[failed]["note"]
    assert runs[ran]["status"] == "ran"
