"""Resolve tokenizer vocabularies offline, verify them, and build tokenizers from them.

tiktoken downloads its vocabulary files on first use, which fails without a network. Here the
bytes of `<encoding>.tiktoken` are looked up, in order, in:

1. tiktoken's own cache directory (`TIKTOKEN_CACHE_DIR`, else `DATA_GYM_CACHE_DIR`, else
   `<tmp>/data-gym-cache`; the file is named after the SHA-1 of its download URL, as tiktoken
   names it; an empty `TIKTOKEN_CACHE_DIR` disables the cache, as in tiktoken);
2. the gzip copies shipped in the installed PyPI package `bpe-openai`
   (`bpe_openai/data/<encoding>.tiktoken.gz`), located without importing that package.

A candidate is used only if the SHA-256 of its (decompressed) bytes equals the hash tiktoken
itself expects for that encoding. The `tiktoken.Encoding` is then built from those ranks with
tiktoken's own split pattern and special tokens; nothing here opens a socket. When no candidate
verifies, `load_tokenizer` returns an `EstimateTokenizer` (one token per four characters), whose
`exact` is False and whose `source` says why, so reports can label the numbers as estimates.
Loading (once per process, through a cache of parsed ranks) is `ftqa.tokens.loading`.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import importlib.util
import math
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/"

_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@dataclass(frozen=True, slots=True)
class EncodingSpec:
    """What tiktoken knows about one encoding (copied from `tiktoken_ext.openai_public`)."""

    name: str
    url: str
    sha256: str  # of the uncompressed `.tiktoken` file, as tiktoken checks it
    pattern: str
    special_tokens: dict[str, int] = field(default_factory=dict)


ENCODINGS: dict[str, EncodingSpec] = {
    "o200k_base": EncodingSpec(
        name="o200k_base",
        url=_BLOB + "o200k_base.tiktoken",
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pattern=_O200K_PATTERN,
        special_tokens={ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
    "cl100k_base": EncodingSpec(
        name="cl100k_base",
        url=_BLOB + "cl100k_base.tiktoken",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pattern=_CL100K_PATTERN,
        special_tokens={
            ENDOFTEXT: 100257,
            FIM_PREFIX: 100258,
            FIM_MIDDLE: 100259,
            FIM_SUFFIX: 100260,
            ENDOFPROMPT: 100276,
        },
    ),
}

ESTIMATE_CHARS_PER_TOKEN = 4


class Tokenizer(Protocol):
    """What the checkers need from a tokenizer."""

    name: str
    exact: bool  # False for the character-based estimate
    source: str  # where the vocabulary came from, for reports
    special_tokens: frozenset[str]

    def count(self, text: str) -> int: ...


class TiktokenTokenizer:
    """A verified tiktoken encoding; `count` is `len(encode_ordinary(text))`, so special-token
    text inside the data is counted as ordinary text instead of raising.

    The vocabulary is verified when the tokenizer is made (so `source` and `exact` are true at
    once); the `tiktoken.Encoding` itself, whose BPE tables take about 0.1 s to build and hold
    the GIL meanwhile, is built on the first `encoding` access: a run whose rows all come from
    the row cache reports the tokenizer without ever building it."""

    __slots__ = ("_build", "_encoding", "_lock", "name", "source", "special_tokens")
    exact = True

    def __init__(
        self, name: str, source: str, special_tokens: frozenset[str], build: Callable[[], Any]
    ) -> None:
        self.name = name
        self.source = source
        self.special_tokens = special_tokens
        self._build = build
        self._encoding: Any = None  # tiktoken.Encoding, once built
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TiktokenTokenizer(name={self.name!r}, source={self.source!r})"

    def __reduce__(self) -> tuple[Callable[[str], Any], tuple[str]]:
        # Sent to another process (a Dask worker): verified and loaded there, once.
        return _load_encoding, (self.name,)

    @property
    def encoding(self) -> Any:
        """The `tiktoken.Encoding`, built once, on first use (thread-safe)."""
        if self._encoding is None:
            with self._lock:
                if self._encoding is None:
                    self._encoding = self._build()
        return self._encoding

    def count(self, text: str) -> int:
        return len(encode_in_pieces(self.encoding.encode_ordinary, text))

    def encoder(self) -> Callable[[str], list[int]]:
        """`encode_ordinary`, made safe for texts of any length (see `encode_in_pieces`)."""
        encode = self.encoding.encode_ordinary

        def encode_any(text: str) -> list[int]:
            if len(text) <= PIECE_CHARS:
                return encode(text)  # type: ignore[no-any-return]
            return encode_in_pieces(encode, text)

        return encode_any


def _load_encoding(name: str) -> Any:
    from ftqa.tokens.loading import load_encoding

    return load_encoding(name)


# tiktoken's regex engine (fancy-regex) overflows its stack, and panics, on a run of about a
# million characters of one class (spaces, tabs, `^`...): tiktoken issues #15 and #245. Longer
# texts are encoded in pieces of at most this many characters, cut where the pre-tokenizer
# would cut anyway when such a place exists, so counts stay exact for ordinary text.
PIECE_CHARS = 100_000


def encode_in_pieces(encode: Callable[[str], list[int]], text: str) -> list[int]:
    if len(text) <= PIECE_CHARS:
        return encode(text)
    tokens: list[int] = []
    start = 0
    while start < len(text):
        end = _piece_end(text, start)
        tokens.extend(encode(text[start:end]))
        start = end
    return tokens


def _piece_end(text: str, start: int) -> int:
    """Where the piece from `start` ends: before a space that starts a word (a boundary of
    tiktoken's pre-tokenizer: ` word` is one pre-token), else before any whitespace, else at
    the limit (a pathological run; the count may then differ by a token per cut)."""
    limit = start + PIECE_CHARS
    if limit >= len(text):
        return len(text)
    floor = start + PIECE_CHARS // 2
    cut = limit
    while cut > floor:
        if text[cut] == " " and text[cut + 1 : cut + 2].isalnum() and not text[cut - 1].isspace():
            return cut
        cut -= 1
    cut = limit
    while cut > floor:
        if text[cut].isspace() and not text[cut - 1].isspace():
            return cut
        cut -= 1
    return limit


@dataclass(frozen=True, slots=True)
class HuggingFaceTokenizer:
    """A local Hugging Face `tokenizer.json` (the `tokenizers` package)."""

    name: str
    tokenizer: Any  # tokenizers.Tokenizer
    source: str
    special_tokens: frozenset[str]
    exact: bool = True

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)


@dataclass(frozen=True, slots=True)
class EstimateTokenizer:
    """No verified vocabulary: ceil(characters / 4). Labelled as an estimate everywhere."""

    name: str
    source: str
    special_tokens: frozenset[str] = frozenset()
    exact: bool = False

    def count(self, text: str) -> int:
        return math.ceil(len(text) / ESTIMATE_CHARS_PER_TOKEN)


class VocabularyNotFound(LookupError):
    """No candidate file for an encoding verified; `attempts` says what was tried."""

    def __init__(self, name: str, attempts: list[str]) -> None:
        self.attempts = attempts
        tried = "; ".join(attempts) if attempts else "no candidate file"
        super().__init__(f"no verified vocabulary for {name}: {tried}")


def tiktoken_cache_dir() -> str | None:
    """The directory tiktoken caches downloads in, or None when caching is disabled."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        directory = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        directory = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        directory = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    return directory or None


def tiktoken_cache_path(spec: EncodingSpec) -> Path | None:
    directory = tiktoken_cache_dir()
    if directory is None:
        return None
    return Path(directory) / hashlib.sha1(spec.url.encode()).hexdigest()  # noqa: S324 - tiktoken's key


def packaged_path(name: str) -> Path | None:
    """`bpe_openai/data/<name>.tiktoken.gz` of the installed `bpe-openai`, without importing it."""
    try:
        spec = importlib.util.find_spec("bpe_openai")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data" / f"{name}.tiktoken.gz"
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place a vocabulary file may be: a label for messages, its path, gzip or not."""

    label: str
    path: Path
    compressed: bool


def candidates(spec: EncodingSpec) -> list[Candidate]:
    """Where the vocabulary of `spec` may be, in the order they are tried."""
    found: list[Candidate] = []
    cached = tiktoken_cache_path(spec)
    if cached is not None:
        found.append(Candidate("tiktoken cache", cached, False))
    packaged = packaged_path(spec.name)
    if packaged is not None:
        found.append(Candidate("bpe-openai package data", packaged, True))
    return found


def read_verified(spec: EncodingSpec, candidate: Candidate) -> bytes:
    """The candidate's (decompressed) bytes if their SHA-256 is the one tiktoken expects;
    raises `ValueError` saying why not (absent, unreadable, wrong hash)."""
    label, path = candidate.label, candidate.path
    try:
        data = path.read_bytes()
        if candidate.compressed:
            data = gzip.decompress(data)
    except FileNotFoundError:
        raise ValueError(f"{label}: {path} not present") from None
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise ValueError(f"{label}: {path} unreadable ({error})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise ValueError(
            f"{label}: {path} has sha256 {digest[:12]} (first 12 digits), "
            f"expected {spec.sha256[:12]}"
        )
    return data


def describe(candidate: Candidate) -> str:
    return f"{candidate.label} ({candidate.path}), sha256 verified"


def verified_bytes(spec: EncodingSpec) -> tuple[bytes, str]:
    """The `.tiktoken` file of `spec` from the first candidate whose SHA-256 matches.

    Returns the bytes and a description of the source; raises `VocabularyNotFound`.
    """
    attempts: list[str] = []
    for candidate in candidates(spec):
        try:
            return read_verified(spec, candidate), describe(candidate)
        except ValueError as error:
            attempts.append(str(error))
    raise VocabularyNotFound(spec.name, attempts)


def parse_ranks(data: bytes) -> dict[bytes, int]:
    """Parse a `.tiktoken` file (base64 token, space, rank per line), as tiktoken does."""
    parts = data.split()
    if len(parts) % 2:
        raise ValueError("a .tiktoken file has two fields per line")
    return dict(zip(map(binascii.a2b_base64, parts[0::2]), map(int, parts[1::2]), strict=True))
