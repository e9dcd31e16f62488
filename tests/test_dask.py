"""The `dask` executor on a real `LocalCluster` (2 worker processes): the same report as the
`local` executor, field by field with timings and `stats.engine` aside, on the generator's
dataset, the public datasets in `shared/data` and the hostile-input fixtures; inputs read
through `file://` and `memory://` URLs; a worker killed mid-run changes nothing."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ftqa
from ftqa.engine.dask_executor import DaskExecutor
from ftqa.report_compare import without_timings

distributed = pytest.importorskip("distributed")

from test_executors import (  # noqa: E402 - after the optional import
    SHARED,
    SUFFIXES,
    assert_same,
    comparable,
    hostile_files,
)

BLOCK = 256 << 10  # several tasks per file


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _dask(client: Any, paths: Any, **options: Any) -> ftqa.Report:
    report = ftqa.check(
        paths, executor=DaskExecutor(client, block_bytes=BLOCK), cache=False, **options
    )
    assert report.stats["engine"]["executor"] == "dask"
    assert "note" not in report.stats["engine"], report.stats["engine"]
    return report


def test_generated_dataset(client: Any, generated: Path):
    local = ftqa.check(str(generated), executor="local", cache=False, examples=True)
    remote = _dask(client, str(generated), examples=True)
    assert local.findings
    assert_same(local, remote)
    assert local.examples.equals(remote.examples)


def test_hostile_fixtures(client: Any):
    files = hostile_files()
    assert_same(ftqa.check(files, executor="local", cache=False), _dask(client, files))


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/data is beside the checkout only")
def test_public_datasets(client: Any):
    files = [str(path) for path in sorted(SHARED.iterdir()) if path.suffix in SUFFIXES]
    assert_same(ftqa.check(files, executor="local", cache=False), _dask(client, files))


def test_file_urls_are_read_by_the_workers(client: Any, generated: Path):
    url = generated.resolve().as_uri()
    local = ftqa.check(str(generated), executor="local", cache=False)
    remote = _dask(client, url)
    assert remote.dataset.path == url
    assert remote.dataset.sha256 == local.dataset.sha256
    one, other = comparable(local), comparable(remote)
    assert json.dumps(one["findings"]).replace(str(generated), url) == json.dumps(other["findings"])


def test_memory_urls_are_read(generated: Path):
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    with memory.open("/ftqa-test/chat.jsonl", "wb") as handle:
        handle.write(generated.read_bytes())
    report = ftqa.check("memory://ftqa-test/chat.jsonl", executor="local", cache=False)
    local = ftqa.check(str(generated), executor="local", cache=False)
    assert report.summary == local.summary
    assert report.dataset.sha256 == local.dataset.sha256
    # Another process cannot see this process's memory: the dask executor maps here, and says so.
    moved = ftqa.check(
        "memory://ftqa-test/chat.jsonl", executor=DaskExecutor("local:1"), cache=False
    )
    assert moved.stats["engine"]["note"].startswith("mapped in one process")
    assert moved.summary == local.summary


def test_a_worker_killed_mid_run_changes_nothing(client: Any, generated: Path):
    local = ftqa.check(str(generated), executor="local", cache=False)
    pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_one(source: object, done: int) -> None:
        if not killed:
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    remote = ftqa.check(
        str(generated),
        executor=DaskExecutor(client, block_bytes=64 << 10),
        cache=False,
        progress=kill_one,
    )
    assert killed
    assert_same(local, remote)


def test_cli_dask_executor_gives_the_report_of_a_plain_check(generated: Path, tmp_path: Path):
    from conftest import run_cli

    plain = run_cli("check", str(generated), "--format", "json", "--no-cache")
    dask = run_cli(
        "check",
        str(generated),
        "--format",
        "json",
        "--no-cache",
        "--executor",
        "dask",
        "--scheduler",
        "local:2",
    )
    assert plain.returncode == dask.returncode, dask.stderr
    one, other = json.loads(plain.stdout), json.loads(dask.stdout)
    for report in (one, other):
        report["stats"].pop("engine")
    assert without_timings(one) == without_timings(other)
    assert sys.executable  # the CLI ran with this interpreter
