"""Hugging Face `datasets` inputs: a `save_to_disk` folder, and `hf://ORG/NAME[:SPLIT]` read
through `datasets.load_dataset` from the user's local cache.

ftqa never downloads: the Hub is switched to offline mode while the dataset loads, so a dataset
that is not in the cache is an `InputError` that says so (run `datasets.load_dataset` once
yourself, or `huggingface-cli download`, to fill the cache). Rows stream from the Arrow files
on disk; locations are the row index (`file[row]`), as for Parquet.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ftqa.errors import InputError
from ftqa.load.source import Source, open_memory

SCHEME = "hf://"
DEFAULT_SPLIT = "train"
_DISK_MARKERS = ("dataset_dict.json", "state.json")
_OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def is_hf_input(path: str) -> bool:
    """`hf://…` names and folders written by `Dataset.save_to_disk` / `DatasetDict.save_to_disk`."""
    if path.startswith(SCHEME):
        return True
    folder = Path(path)
    return folder.is_dir() and any((folder / marker).is_file() for marker in _DISK_MARKERS)


def open_hf(path: str) -> Source:
    datasets = _import_datasets(path)
    with _offline(datasets):
        dataset = (
            _load_hub(datasets, path) if path.startswith(SCHEME) else _load_disk(datasets, path)
        )
    source = open_memory(dataset, path)
    source.kind = "hf"
    return source


def _import_datasets(path: str) -> Any:
    for name, value in _OFFLINE.items():
        os.environ.setdefault(name, value)  # before the first import, the libraries read them
    try:
        import datasets
    except ImportError as error:
        raise InputError(
            path,
            "reading Hugging Face datasets needs the `datasets` package: pip install 'ftqa[hf]'",
        ) from error
    return datasets


@contextlib.contextmanager
def _offline(datasets: Any) -> Iterator[None]:
    """Hub access off for the duration of the load, whatever the environment said."""
    import huggingface_hub.constants as hub

    saved = (hub.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE)
    hub.HF_HUB_OFFLINE = datasets.config.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hub.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE = saved


def _load_hub(datasets: Any, path: str) -> Any:
    name, _, split = path[len(SCHEME) :].partition(":")
    if not name or name.count("/") > 1:
        raise InputError(path, "expected hf://ORG/NAME or hf://ORG/NAME:SPLIT")
    try:
        return datasets.load_dataset(name, split=split or DEFAULT_SPLIT)
    except ValueError as error:
        if "split" in str(error).lower():
            raise InputError(
                path, f"no split `{split or DEFAULT_SPLIT}` ({_short(error)})"
            ) from error
        raise InputError(path, _not_cached(error)) from error
    except Exception as error:
        raise InputError(path, _not_cached(error)) from error


def _load_disk(datasets: Any, path: str) -> Any:
    try:
        loaded = datasets.load_from_disk(path)
    except Exception as error:
        raise InputError(path, f"cannot read the saved dataset ({_short(error)})") from error
    if isinstance(loaded, datasets.DatasetDict):
        if DEFAULT_SPLIT in loaded:
            return loaded[DEFAULT_SPLIT]
        if len(loaded) == 1:
            return next(iter(loaded.values()))
        splits = ", ".join(loaded)
        raise InputError(path, f"holds several splits ({splits}) and no `train`: pass one folder")
    return loaded


def _not_cached(error: Exception) -> str:
    return (
        "not in the local Hugging Face cache, and ftqa does not download "
        f"({type(error).__name__}: {_short(error)})"
    )


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:200] + ("…" if len(text) > 200 else "")
