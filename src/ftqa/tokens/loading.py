"""Build tokenizers once per process, from the parsed-ranks cache when it is current.

`load_encoding(name)` returns the verified tiktoken encoding. The first encoding a process
loads also starts the other built-in encodings loading on a background thread: a default run
needs every priced built-in encoding (the cost range of `token_length` compares them), and
tiktoken builds its BPE tables without holding the GIL, so on two cores that build overlaps the
scan instead of adding to it.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from concurrent.futures import Future
from pathlib import Path

from ftqa.tokens import ranks_cache
from ftqa.tokens.encodings import (
    ENCODINGS,
    ESTIMATE_CHARS_PER_TOKEN,
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


def verified_ranks(spec: EncodingSpec, root: Path | None) -> tuple[dict[bytes, int], str]:
    """The ranks of `spec` from the first candidate that verifies, through the cache in `root`
    (None: no cache). Raises `VocabularyNotFound`."""
    attempts: list[str] = []
    for candidate in candidates(spec):
        entry = None
        if root is not None:
            entry = ranks_cache.entry_path(root, spec.name, spec.sha256, candidate.path)
            cached = ranks_cache.load(entry) if entry is not None else None
            if cached is not None:
                ranks, source = cached
                return ranks, f"{source}; parsed ranks cached in {entry.parent}"
        try:
            data = read_verified(spec, candidate)
        except ValueError as error:
            attempts.append(str(error))
            continue
        ranks = parse_ranks(data)
        source = describe(candidate)
        if entry is not None:
            ranks_cache.store(entry, ranks, source)
        return ranks, source
    raise VocabularyNotFound(spec.name, attempts)


class EncodingLoader:
    """`load_encoding`: one build per encoding per process, shared between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[str, Future[TiktokenTokenizer]] = {}

    def __call__(self, name: str) -> TiktokenTokenizer:
        """The verified tiktoken encoding `name`; raises `VocabularyNotFound` or `KeyError`."""
        spec = ENCODINGS[name]
        future, owner = self._claim(name)
        if owner:
            self._build(spec, future)
            self.prefetch([other for other in ENCODINGS if other != name])
        try:
            return future.result()
        except VocabularyNotFound:
            with self._lock:
                if self._futures.get(name) is future:
                    del self._futures[name]  # the next call looks again
            raise

    def prefetch(self, names: list[str]) -> None:
        """Start building `names` on a daemon thread (those not built or building yet)."""
        wanted = []
        for name in names:
            future, owner = self._claim(name)
            if owner:
                wanted.append((ENCODINGS[name], future))
        if wanted:
            thread = threading.Thread(
                target=lambda: [self._build(spec, future) for spec, future in wanted],
                name="ftqa-tokenizer-prefetch",
                daemon=True,
            )
            thread.start()

    def cache_clear(self) -> None:
        """Forget every encoding (tests change where vocabularies are found)."""
        with self._lock:
            self._futures.clear()

    def _claim(self, name: str) -> tuple[Future[TiktokenTokenizer], bool]:
        with self._lock:
            future = self._futures.get(name)
            if future is not None:
                return future, False
            future = self._futures[name] = Future()
            return future, True

    @staticmethod
    def _build(spec: EncodingSpec, future: Future[TiktokenTokenizer]) -> None:
        try:
            import tiktoken

            ranks, source = verified_ranks(spec, cache_root())
            encoding = tiktoken.Encoding(
                name=spec.name,
                pat_str=spec.pattern,
                mergeable_ranks=ranks,
                special_tokens=dict(spec.special_tokens),
            )
        except Exception as error:  # noqa: BLE001 - handed to whoever waits for it
            future.set_exception(error)
            return
        future.set_result(TiktokenTokenizer(name=spec.name, encoding=encoding, source=source))


load_encoding = EncodingLoader()


def prefetch_tokenizers(select: list[str] | None) -> None:
    """Start building every built-in encoding on a background thread as a check starts, unless
    `select` leaves `token_length` out: it needs every priced built-in encoding for its cost
    range, and the build then overlaps the imports and the first rows."""
    if select and not any(item.split("/")[0] == "token_length" for item in select):
        return
    load_encoding.prefetch(list(ENCODINGS))


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
