"""How random a token looks: Shannon entropy against that of random text, and the shapes of
identifiers (words in camelCase, snake_case, kebab-case), which are long but not random."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache

HEX = frozenset("0123456789abcdefABCDEF")
_VOWELS = frozenset("aeiouAEIOU")


@cache
def expected_entropy(length: int, alphabet: int) -> float:
    """Mean Shannon entropy (bits/char) of a uniformly random string over `alphabet` symbols."""
    if length <= 1:
        return 0.0
    p = 1.0 / alphabet
    total = 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    for count in range(2, length + 1):
        log_pmf = (
            math.lgamma(length + 1)
            - math.lgamma(count + 1)
            - math.lgamma(length - count + 1)
            + count * log_p
            + (length - count) * log_q
        )
        total += math.exp(log_pmf) * count * math.log2(count)
    return math.log2(length) - alphabet * total / length


def shannon_entropy(value: str) -> float:
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in Counter(value).values())


def random_looking(value: str, ratio: float) -> bool:
    """Entropy close to that of random text of the same length over the same alphabet."""
    alphabet = 16 if set(value) <= HEX else 64
    return shannon_entropy(value) >= ratio * expected_entropy(len(value), alphabet)


def wordy(value: str) -> bool:
    """Identifiers made of words (camelCase, snake_case) have many vowels; random text few."""
    letters = [char for char in value if char.isalpha()]
    if len(letters) < 10:
        return False
    return sum(char in _VOWELS for char in letters) / len(letters) > 0.35


_PARTS = re.compile(r"[_\-./]|(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[A-Z]?[a-z]{2,15}\d{0,4}|[A-Z]{2,5}\d{0,4}")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")


def identifier(value: str) -> bool:
    """snake_case, kebab-case or camelCase made of words (`strict_rfc2965_unverifiable`):
    most parts are letters only, at least two letters long."""
    parts = [part for part in _PARTS.split(value) if part]
    if len(parts) < 2:
        return False
    wordlike = sum(1 for part in parts if _WORD.fullmatch(part) and _VOWEL.search(part))
    return wordlike >= 0.6 * len(parts)
