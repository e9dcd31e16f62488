"""Word n-gram ("shingle") hashes of many texts at once, vectorized with numpy.

Tokens are runs of word characters (Unicode letters and digits, and `_`); every CJK ideograph,
kana and Thai character is a token of its own, since those scripts do not separate words with
spaces. Everything else (spaces, punctuation, symbols, emoji) separates tokens.

A token's hash is a polynomial hash of its code points modulo 2**64, finished with the
SplitMix64 mixer; an n-gram's hash combines its tokens' hashes the same way. No Python object is
built per token, so the cost is a few numpy passes over the text's code points. The hashes depend
only on the text (no salt, no process state): they are stable across processes and machines.

A text with fewer than `n` tokens (but at least one) gives one shingle made of all its tokens.
A text with no token gives no shingle.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

U64 = np.uint64
POLY = U64(0x100000001B3)
POLY_INVERSE = U64(pow(0x100000001B3, -1, 1 << 64))
GOLDEN = U64(0x9E3779B97F4A7C15)
PAD = U64(0x5BD1E9955BD1E995)
MAX_TEXT_CHARS = 1 << 20  # a longer text is shingled on its first MAX_TEXT_CHARS characters
CHUNK_CHARS = 1 << 20  # callers batch texts up to about this many characters
# ... or this many texts, so a file of empty or tiny rows still goes in small batches (a
# batch's signatures pass through Python lists on their way out of rensa).
CHUNK_TEXTS = 2048

NONE, WORD, SINGLE = 0, 1, 2
_SINGLE_RANGES = (
    (0x0E00, 0x0E7F),  # Thai
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
)


def _char_classes() -> np.ndarray:
    table = np.zeros(0x10000, dtype=np.uint8)
    for code in range(0x10000):
        char = chr(code)
        if char.isalnum() or char == "_":
            table[code] = WORD
    for start, end in _SINGLE_RANGES:
        span = table[start : end + 1]
        span[span == WORD] = SINGLE
    table[0xFFFF] = NONE  # code points above the BMP are clipped to this entry
    return table


_CLASSES: np.ndarray | None = None
_POWERS: np.ndarray = np.ones(1, dtype=U64)
_INVERSES: np.ndarray = np.ones(1, dtype=U64)


def _classes() -> np.ndarray:
    global _CLASSES
    if _CLASSES is None:
        _CLASSES = _char_classes()
    return _CLASSES


def _powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """POLY**i and POLY**-i modulo 2**64 for i < size (grown geometrically, kept)."""
    global _POWERS, _INVERSES
    if len(_POWERS) < size:
        size = max(size, 2 * len(_POWERS), CHUNK_CHARS + 1)
        with np.errstate(over="ignore"):
            powers = np.empty(size, dtype=U64)
            powers[0] = 1
            powers[1:] = np.cumprod(np.full(size - 1, POLY, dtype=U64))
            inverses = np.empty(size, dtype=U64)
            inverses[0] = 1
            inverses[1:] = np.cumprod(np.full(size - 1, POLY_INVERSE, dtype=U64))
        _POWERS, _INVERSES = powers, inverses
    return _POWERS, _INVERSES


def mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer, elementwise (a bijection on uint64 with good avalanche)."""
    x = values ^ (values >> U64(30))
    x *= U64(0xBF58476D1CE4E5B9)
    x ^= x >> U64(27)
    x *= U64(0x94D049BB133111EB)
    x ^= x >> U64(31)
    return x


def _code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts joined by a separator as UTF-32 code points, and where each text starts."""
    clipped = [text[:MAX_TEXT_CHARS] for text in texts]
    lengths = np.fromiter(map(len, clipped), dtype=np.int64, count=len(clipped))
    starts = np.zeros(len(clipped), dtype=np.int64)
    if len(clipped) > 1:
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
    joined = "\n".join(clipped).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(joined, dtype=np.uint32), starts


def _tokens(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets and hashes of every token in `points`."""
    size = len(points)
    classes = _classes().take(points, mode="clip")
    if size and points.max() >= 0x20000:
        ideographs = (points >= 0x20000) & (points < 0x40000)  # CJK Extensions B and later
        classes[ideographs] = SINGLE
    word = classes == WORD
    single = classes == SINGLE
    before = np.zeros(size, dtype=bool)
    before[1:] = word[:-1]
    after = np.zeros(size, dtype=bool)
    after[:-1] = word[1:]
    starts = np.flatnonzero(single | (word & ~before))
    ends = np.flatnonzero(single | (word & ~after))
    powers, inverses = _powers(size + 1)
    with np.errstate(over="ignore"):
        weighted = np.multiply(points, powers[:size], dtype=U64)
        weighted += powers[:size]  # (code point + 1) * POLY**i
        prefix = np.cumsum(weighted, dtype=U64, out=weighted)
        hashes = prefix[ends]
        previous = starts - 1
        hashes -= np.where(previous >= 0, prefix[np.maximum(previous, 0)], U64(0))
        hashes *= inverses[starts]
        hashes += (ends - starts + 1).astype(U64) * GOLDEN
    return starts, mix64(hashes)


def shingle_hashes(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the word `n`-grams of each text, flat, and row offsets (`len(texts) + 1`).

    Shingles of text `i` are `flat[offsets[i]:offsets[i + 1]]` (possibly repeated: callers that
    need sets deduplicate, MinHash does not care).
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    count = len(texts)
    if count == 0:
        return np.zeros(0, dtype=U64), np.zeros(1, dtype=np.int64)
    points, text_starts = _code_points(texts)
    starts, hashes = _tokens(points)
    per_text, owner = _owners(starts, text_starts)
    total = len(hashes)
    grams = hashes.copy()
    # A window starting at token i is whole when its last token belongs to the same text;
    # a text with fewer than n tokens gets one window at its first token, padded.
    whole = np.zeros(total, dtype=bool)
    if total >= n:
        np.equal(owner[n - 1 :], owner[: total - n + 1], out=whole[: total - n + 1])
    short = (per_text > 0) & (per_text < n)
    if short.any():
        first = np.cumsum(per_text) - per_text
        whole[first[short]] = True
    with np.errstate(over="ignore"):
        for j in range(1, n):
            following = np.full(total, PAD, dtype=U64)
            if total > j:
                same = owner[j:] == owner[:-j]
                following[:-j] = np.where(same, hashes[j:], PAD)
            grams *= GOLDEN
            grams += following
    grams = mix64(grams[whole]) if n > 1 else grams[whole]
    windows = np.where(per_text > 0, np.maximum(per_text - n + 1, 1), 0)
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(windows, out=offsets[1:])
    return grams, offsets


def token_count(texts: Sequence[str]) -> np.ndarray:
    """How many tokens each text has."""
    if not texts:
        return np.zeros(0, dtype=np.int64)
    points, text_starts = _code_points(texts)
    starts, _ = _tokens(points)
    return _owners(starts, text_starts)[0]


def _owners(starts: np.ndarray, text_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tokens per text, and the text of each token."""
    before = np.searchsorted(starts, text_starts)
    per_text = np.diff(np.append(before, len(starts)))
    return per_text, np.repeat(np.arange(len(text_starts)), per_text)
