"""What every benchmark script shares: the parse floor, a measured child process, datasets.

Imported by the scripts beside it (`python benchmarks/bench_x.py` puts this folder on sys.path).
"""

from __future__ import annotations

import compileall
import importlib.util
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"

# The floor every ratio is measured against: read the file in binary and orjson-parse each line.
FLOOR_CODE = """\
import sys
import orjson

rows = bad = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        if line.isspace():
            continue
        rows += 1
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            bad += 1
print(rows, bad)
"""

# A tiny launcher forks the measured command and reads its own child's rusage with wait4, so the
# peak RSS is that command's alone (not a maximum over every child, not the parent's pages).
LAUNCHER = """\
import os, sys, time

start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as f:
    cpu = usage.ru_utime + usage.ru_stime
    f.write(f"{os.waitstatus_to_exitcode(status)} {seconds!r} {usage.ru_maxrss} {cpu!r}")
"""


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def measure(argv: list[str]) -> Run:
    """Run argv in a fresh process; wall time, CPU time (user + system) and peak RSS."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".txt") as stats,
    ):
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, stats.name]
        subprocess.run([*launcher, *argv], stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        fields = stats.read().split()
        if len(fields) != 4:
            raise RuntimeError(f"measurement launcher failed for {argv}")
        scale = 1 if sys.platform == "darwin" else 1024
        return Run(
            seconds=float(fields[1]),
            cpu_seconds=float(fields[3]),
            rss_mb=int(fields[2]) * scale / 1e6,
            returncode=int(fields[0]),
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def floor_argv(path: Path) -> list[str]:
    return [sys.executable, "-c", FLOOR_CODE, str(path)]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ftqa_bench_generate", HERE / "generate.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def ensure_dataset(rows: int, seed: int) -> Path:
    """The generated dataset of `rows` rows, made once and cached in benchmarks/.cache/."""
    gen = load_generator()
    path = CACHE / f"chat-r{rows}-s{seed}-v{gen.GENERATOR_VERSION}.jsonl"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        gen.generate(rows, seed, path)
        print(f"  done in {time.perf_counter() - start:.1f}s", file=sys.stderr, flush=True)
    return path


def compile_ftqa() -> None:
    """Byte-compile the ftqa package, as `pip install` does for a regular install. An editable
    checkout run with PYTHONDONTWRITEBYTECODE=1 (common in containers) would otherwise recompile
    every edited module in every measured process and time the compiler, not ftqa."""
    spec = importlib.util.find_spec("ftqa")
    if spec is None or not spec.submodule_search_locations:
        return
    for folder in spec.submodule_search_locations:
        compileall.compile_dir(folder, quiet=2)


def warm(path: Path) -> None:
    """Read the file once so every measured run starts from the page cache, and make sure the
    measured processes import ftqa from bytecode."""
    compile_ftqa()
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass
