"""Build tokenizers once per process, from the parsed-ranks cache when it is current.

`load_encoding(name)` returns the verified tiktoken encoding. Verifying is cheap (a read and a
hash); parsing the ranks and building tiktoken's tables is not, and both wait until the first
text is counted (`TiktokenTokenizer.encoding`). Nothing is built ahead of time on a background
thread: the build holds the GIL, so it would only slow the thread doing the run's work, and a
run whose rows all come from the row cache needs no table at all.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftqa.tokens import ranks_cache
from ftqa.tokens.encodings import (
    ENCODINGS,
    ESTIMATE_CHARS_PER_TOKEN,
    Candidate,
    EncodingSpec,
    EstimateTokenizer,
    HuggingFaceTokenizer,
    TiktokenTokenizer,
    VocabularyNotFound,
    candidates,
    describe,
    parse_ranks,
    read_verified,
)
from ftqa.user_cache import cache_root


@dataclass(frozen=True, slots=True)
class VerifiedVocabulary:
    """A vocabulary whose bytes verified, with where it came from; `ranks()` parses it."""

    source: str
    ranks: Callable[[], dict[bytes, int]]


def find_vocabulary(spec: EncodingSpec, root: Path | None) -> VerifiedVocabulary:
    """The first candidate vocabulary of `spec` that verifies, through the parsed-ranks cache in
    `root` (None: no cache). Raises `VocabularyNotFound`."""
    attempts: list[str] = []
    for candidate in candidates(spec):
        entry = None
        if root is not None:
            entry = ranks_cache.entry_path(root, spec.name, spec.sha256, candidate.path)
            cached = ranks_cache.read(entry) if entry is not None else None
            if cached is not None and entry is not None:
                payload, count, source = cached
                return VerifiedVocabulary(
                    f"{source}; parsed ranks cached in {entry.parent}",
                    functools.partial(_cached_ranks, spec, candidate, entry, payload, count),
                )
        try:
            data = read_verified(spec, candidate)
        except ValueError as error:
            attempts.append(str(error))
            continue
        source = describe(candidate)
        return VerifiedVocabulary(source, functools.partial(_parsed, data, entry, source))
    raise VocabularyNotFound(spec.name, attempts)


def _parsed(data: bytes, entry: Path | None, source: str) -> dict[bytes, int]:
    ranks = parse_ranks(data)
    if entry is not None:
        ranks_cache.store(entry, ranks, source)
    return ranks


def _cached_ranks(
    spec: EncodingSpec, candidate: Candidate, entry: Path, payload: memoryview, count: int
) -> dict[bytes, int]:
    ranks = ranks_cache.decode(payload, count)
    if ranks is not None:
        return ranks
    try:  # verified but undecodable: read the source again, as without the cache
        data = read_verified(spec, candidate)
    except ValueError as error:
        raise VocabularyNotFound(spec.name, [str(error)]) from None
    return _parsed(data, entry, describe(candidate))


def verified_ranks(spec: EncodingSpec, root: Path | None) -> tuple[dict[bytes, int], str]:
    """The ranks of `spec` from the first candidate that verifies, through the cache in `root`
    (None: no cache). Raises `VocabularyNotFound`."""
    vocabulary = find_vocabulary(spec, root)
    return vocabulary.ranks(), vocabulary.source


def _build_encoding(spec: EncodingSpec, vocabulary: VerifiedVocabulary) -> Any:
    import tiktoken

    return tiktoken.Encoding(
        name=spec.name,
        pat_str=spec.pattern,
        mergeable_ranks=vocabulary.ranks(),
        special_tokens=dict(spec.special_tokens),
    )


class EncodingLoader:
    """`load_encoding`: one verified tokenizer per encoding per process, shared by threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, TiktokenTokenizer] = {}

    def __call__(self, name: str) -> TiktokenTokenizer:
        """The verified tiktoken encoding `name` (its tables built on first use); raises
        `VocabularyNotFound` (tried again on the next call) or `KeyError`."""
        spec = ENCODINGS[name]
        with self._lock:
            tokenizer = self._loaded.get(name)
            if tokenizer is None:
                vocabulary = find_vocabulary(spec, cache_root())
                tokenizer = self._loaded[name] = TiktokenTokenizer(
                    name=spec.name,
                    source=vocabulary.source,
                    special_tokens=frozenset(spec.special_tokens),
                    build=functools.partial(_build_encoding, spec, vocabulary),
                )
        return tokenizer

    def cache_clear(self) -> None:
        """Forget every encoding (tests change where vocabularies are found)."""
        with self._lock:
            self._loaded.clear()


load_encoding = EncodingLoader()


@functools.cache
def load_tokenizer(name: str) -> TiktokenTokenizer | EstimateTokenizer:
    """The verified encoding `name`, or a labelled estimate when no vocabulary verifies."""
    try:
        return load_encoding(name)
    except VocabularyNotFound as error:
        spec = ENCODINGS[name]
        return EstimateTokenizer(
            name=name,
            source=(f"estimate: {ESTIMATE_CHARS_PER_TOKEN} characters per token, because {error}"),
            special_tokens=frozenset(spec.special_tokens),
        )


@functools.lru_cache(maxsize=16)
def load_hf_tokenizer(path: str) -> HuggingFaceTokenizer:
    """A Hugging Face `tokenizer.json` at a local path (never downloaded)."""
    import json

    from tokenizers import Tokenizer as HFTokenizer

    file = Path(path).expanduser()
    if file.is_dir():
        file = file / "tokenizer.json"
    text = file.read_text(encoding="utf-8")
    tokenizer = HFTokenizer.from_str(text)
    # A saved tokenizer may pad or truncate every encoding (padding to 128 counts "hi" as 128
    # tokens): counts must be of the text alone.
    tokenizer.no_truncation()
    tokenizer.no_padding()
    added = json.loads(text).get("added_tokens") or []
    special = frozenset(
        str(token["content"]) for token in added if isinstance(token, dict) and token.get("special")
    )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return HuggingFaceTokenizer(
        name=file.name,
        tokenizer=tokenizer,
        source=f"Hugging Face tokenizer {file} (sha256 {digest[:12]}…)",
        special_tokens=special,
    )
