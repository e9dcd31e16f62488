"""Follow a launched job until it ends: `ftqa train --watch` and `ftqa runs analyze MANIFEST
--watch`.

Polling is bounded (`timeout` seconds overall, each request bounded by the provider's
timeouts), interruptible (Ctrl-C or SIGTERM stop the wait at once; the job keeps running and
the manifest keeps its last known status) and resumable: the same manifest can be watched
again. Each poll records the status in the manifest; when the job ends, its metrics file is
written next to the manifest (atomically), where `ftqa runs analyze MANIFEST` reads it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ftqa.errors import FtqaError, InputError
from ftqa.train.base import Poll, Trainer, load_trainer
from ftqa.train.manifest import RunManifest, now, read_manifest, write_manifest
from ftqa.train.redact import mask_credentials

ENDED = frozenset({"succeeded", "completed", "failed", "cancelled"})


class WatchTimeout(FtqaError):
    """The job had not ended within the watch timeout (it keeps running)."""


def watch(
    manifest_path: str | os.PathLike[str],
    *,
    interval: float = 30.0,
    timeout: float = 24 * 3600.0,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> RunManifest:
    """Poll the manifest's job every `interval` seconds until it ends (or `timeout` seconds
    pass: `WatchTimeout`), then save its metrics next to the manifest. Returns the manifest
    as last written."""
    path = Path(manifest_path)
    manifest = _read(path)
    if manifest.job_id is None:
        raise FtqaError(f"{path}: the manifest has no job id (status `{manifest.status}`)")
    if manifest.status in ENDED and _has_metrics(path.parent):
        return manifest
    trainer = load_trainer(manifest.provider)(_options(manifest))
    deadline = time.monotonic() + timeout
    try:
        return _loop(path, manifest, trainer, interval, deadline, timeout, say, sleep)
    except KeyboardInterrupt:
        say(
            f"stopped watching job {manifest.job_id} (it keeps running); resume with "
            f"`ftqa runs analyze {path} --watch`"
        )
        raise


def _loop(
    path: Path,
    manifest: RunManifest,
    trainer: Trainer,
    interval: float,
    deadline: float,
    timeout: float,
    say: Callable[[str], None],
    sleep: Callable[[float], None],
) -> RunManifest:
    assert manifest.job_id is not None
    polls = 0
    while True:
        state = trainer.poll(manifest.job_id, manifest.job)
        polls += 1
        if state.status != manifest.status or polls == 1:
            say(f"job {manifest.job_id}: {state.status}")
        _record(path, manifest, state)
        if state.done:
            return manifest
        left = deadline - time.monotonic()
        if left <= 0:
            raise WatchTimeout(
                f"job {manifest.job_id} is still `{state.status}` after {timeout:g} s of "
                f"watching; resume with `ftqa runs analyze {path} --watch`"
            )
        sleep(min(interval, left))


def _read(path: Path) -> RunManifest:
    try:
        return read_manifest(path)
    except FileNotFoundError as error:
        raise InputError(str(path), "no such run manifest") from error
    except (OSError, ValueError) as error:
        raise InputError(str(path), "not an ftqa run manifest") from error


def _options(manifest: RunManifest) -> dict[str, str]:
    """The base URL the job was launched against, unless it was recorded masked."""
    base = manifest.job.get("base_url")
    if isinstance(base, str) and base and "[" not in base and manifest.provider != "hf":
        return {"base_url": base}
    return {}


def _has_metrics(folder: Path) -> bool:
    from ftqa.runs import METRICS_FILES

    return any((folder / name).is_file() for name in METRICS_FILES)


def _record(path: Path, manifest: RunManifest, state: Poll) -> None:
    folder = path.parent
    if state.metrics is not None and state.metrics_name:
        temporary = folder / f".{state.metrics_name}.tmp"
        temporary.write_bytes(state.metrics)
        os.replace(temporary, folder / state.metrics_name)
    manifest.status = state.status
    if state.error:
        manifest.error = mask_credentials(state.error)
    manifest.updated_at = now()
    write_manifest(folder, manifest)
