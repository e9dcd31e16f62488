"""A light, offline language guess, Unicode scripts plus stopwords: the `language` measure and
the `balance` distribution over it.

This is a heuristic, not a language identifier. It looks at the first few hundred characters:

1. Letters among the first 120 characters are counted per Unicode script (ranges below); the
   script with the most letters wins (pure ASCII text is Latin). A Han, Kana or Hangul
   character counts as `IDEOGRAPH_WEIGHT` letters (it is a word or a syllable, not a letter):
   a Chinese instruction quoting an English sentence or code is still Chinese.
2. Scripts that (nearly) belong to one language give that language: Hangul -> `ko`, Kana -> `ja`
   (Han with at least one Kana per ten Han characters is Japanese too), Han alone -> `zh`,
   Greek -> `el`, Hebrew -> `he`, Thai -> `th`, Georgian -> `ka`, Armenian -> `hy`,
   Bengali -> `bn`, Gurmukhi -> `pa`, Gujarati -> `gu`, Tamil -> `ta`, Telugu -> `te`,
   Kannada -> `kn`, Malayalam -> `ml`.
3. Latin and Cyrillic text is told apart by the distinct very common function words of each
   language (`STOPWORDS`) among the first 300 characters; the language with the most wins when
   it has at least two and beats the runner-up. Text of fewer than `MIN_WORDS` words gets no
   guess, and for a language other than English only words that are not also common English
   words count (`a`, `do`, `no`, `as` make no Portuguese of `No, do as I say`).
4. Everything else is reported by script only, as `und-<Script>` (`und-Latn`, `und-Cyrl`,
   `und-Arab`, `und-Deva`, ...); text with no letters at all (numbers, code symbols) is `und`.

It is deterministic, dependency-free and fast (about 10-20 µs a row), which is what a
distribution over a whole dataset needs; it is wrong for short or mixed-language snippets and
knows only the languages listed here. Rows that declare their language (`language` / `lang`
keys) are not guessed at all.
"""

from __future__ import annotations

import re
from collections import Counter

SAMPLE_CHARS = 300  # characters looked at for stopwords
SCRIPT_SAMPLE_CHARS = 120  # characters whose script is counted
IDEOGRAPH_WEIGHT = 3  # letters a Han / Kana / Hangul character counts for
IDEOGRAPHIC = frozenset({"Hani", "Kana", "Hang"})
MIN_WORDS = 4  # fewer words: no stopword guess

# (first code point, last code point, ISO 15924 script code)
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x00C0, 0x024F, "Latn"),
    (0x1E00, 0x1EFF, "Latn"),
    (0x0370, 0x03FF, "Grek"),
    (0x1F00, 0x1FFF, "Grek"),
    (0x0400, 0x052F, "Cyrl"),
    (0x0530, 0x058F, "Armn"),
    (0x0590, 0x05FF, "Hebr"),
    (0x0600, 0x06FF, "Arab"),
    (0x0750, 0x077F, "Arab"),
    (0x08A0, 0x08FF, "Arab"),
    (0xFB50, 0xFDFF, "Arab"),
    (0xFE70, 0xFEFF, "Arab"),
    (0x0900, 0x097F, "Deva"),
    (0x0980, 0x09FF, "Beng"),
    (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"),
    (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"),
    (0x0C80, 0x0CFF, "Knda"),
    (0x0D00, 0x0D7F, "Mlym"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x10A0, 0x10FF, "Geor"),
    (0x1100, 0x11FF, "Hang"),
    (0x3130, 0x318F, "Hang"),
    (0xAC00, 0xD7AF, "Hang"),
    (0x1200, 0x137F, "Ethi"),
    (0x3040, 0x309F, "Kana"),
    (0x30A0, 0x30FF, "Kana"),
    (0x31F0, 0x31FF, "Kana"),
    (0xFF66, 0xFF9D, "Kana"),
    (0x3400, 0x4DBF, "Hani"),
    (0x4E00, 0x9FFF, "Hani"),
    (0xF900, 0xFAFF, "Hani"),
    (0x20000, 0x2FA1F, "Hani"),
)

SCRIPT_LANGUAGE = {
    "Hang": "ko",
    "Kana": "ja",
    "Hani": "zh",
    "Grek": "el",
    "Hebr": "he",
    "Thai": "th",
    "Geor": "ka",
    "Armn": "hy",
    "Beng": "bn",
    "Guru": "pa",
    "Gujr": "gu",
    "Taml": "ta",
    "Telu": "te",
    "Knda": "kn",
    "Mlym": "ml",
}

STOPWORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "the", "and", "is", "are", "of", "to", "that", "it", "you", "for", "with", "this",
        "be", "was", "have", "not", "your", "can", "what", "how", "do", "i", "will", "if",
    ),
    "de": (
        "der", "die", "das", "und", "ist", "nicht", "ich", "sie", "mit", "den", "ein", "eine",
        "zu", "von", "auf", "für", "es", "sich", "auch", "dem", "wie", "wird", "sind", "kann",
        "wir", "bitte", "oder", "ihre",
    ),
    "fr": (
        "le", "la", "les", "et", "est", "des", "une", "un", "pour", "dans", "que", "qui", "pas",
        "vous", "je", "il", "sur", "avec", "ce", "du", "au", "sont", "nous", "mais", "votre",
    ),
    "es": (
        "el", "la", "los", "las", "y", "es", "de", "que", "en", "un", "una", "por", "para",
        "con", "no", "se", "del", "lo", "como", "está", "pero", "sus", "al", "muy", "usted",
        "mi", "su", "cómo", "qué", "esta", "este", "puedo",
    ),
    "pt": (
        "o", "a", "os", "as", "e", "é", "de", "que", "em", "um", "uma", "para", "com", "não",
        "se", "do", "da", "no", "na", "por", "mais", "você", "são", "está", "seu", "sua",
        "minha", "meu", "posso", "isso",
    ),
    "it": (
        "il", "la", "le", "e", "è", "di", "che", "per", "un", "una", "non", "con", "sono",
        "del", "della", "in", "si", "ma", "anche", "questo", "come", "gli", "ho", "suo",
    ),
    "nl": (
        "de", "het", "een", "en", "is", "van", "dat", "niet", "ik", "je", "op", "te", "voor",
        "met", "zijn", "er", "maar", "ook", "wat", "dit", "naar", "hoe", "u", "uw",
    ),
    "pl": (
        "i", "w", "nie", "na", "się", "jest", "to", "że", "do", "z", "jak", "ale", "co", "tak",
        "za", "od", "po", "czy", "jego", "dla", "być", "są",
    ),
    "sv": (
        "och", "att", "det", "som", "en", "är", "på", "för", "med", "har", "inte", "jag", "till",
        "av", "om", "den", "kan", "du", "vi", "ett",
    ),
    "tr": (
        "ve", "bir", "bu", "da", "de", "için", "ile", "çok", "ne", "olarak", "daha", "gibi",
        "ama", "var", "yok", "mi", "ben", "sen", "olan", "değil",
    ),
    "ru": (
        "и", "в", "не", "на", "что", "я", "с", "он", "как", "это", "по", "но", "вы", "к", "у",
        "же", "из", "за", "то", "для", "мы", "так", "вас", "мне", "меня", "или", "если",
        "чтобы", "можно", "вам", "ваш", "есть",
    ),
    "uk": (
        "і", "в", "не", "на", "що", "я", "з", "як", "це", "по", "але", "ви", "до", "та", "для",
        "у", "є", "його", "ми", "так", "вас", "мені", "або", "якщо", "щоб", "можна", "вам",
    ),
    "bg": (
        "и", "в", "не", "на", "да", "че", "се", "с", "за", "е", "от", "как", "това", "по",
        "са", "ние", "вие", "ще", "ако", "или", "може", "има",
    ),
}  # fmt: skip

LATIN_LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl", "pl", "sv", "tr")
CYRILLIC_LANGUAGES = ("ru", "uk", "bg")

_WORD_LANGUAGES: dict[str, tuple[str, ...]] = {}
for _language, _words in STOPWORDS.items():
    for _word in _words:
        _WORD_LANGUAGES[_word] = (*_WORD_LANGUAGES.get(_word, ()), _language)

_WORD_KEYS = frozenset(_WORD_LANGUAGES)
# Short words common in English text: they say nothing about another language.
ENGLISH_COMMON = frozenset(STOPWORDS["en"]) | frozenset(
    {
        "a", "an", "as", "at", "by", "do", "no", "on", "in", "is", "to", "be", "me", "we",
        "he", "so", "or", "of", "up", "us", "go", "am", "die", "den", "de", "la", "le", "the",
        "e", "o", "u", "y", "w", "z",
    }
)  # fmt: skip
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
_NOT_ASCII_LETTERS = re.compile(r"[^A-Za-z]+")
_PUNCTUATION = '.,;:!?"()¿¡«»“”„'


def _script_of(char: str) -> str:
    """ISO 15924 code of a letter's script, or "" (not a letter / not listed)."""
    point = ord(char)
    if point < 0x80:
        return "Latn" if char.isalpha() else ""
    for first, last, script in _RANGES:
        if first <= point <= last:
            return script if char.isalpha() else ""
    return ""


class _ScriptCache(dict):  # type: ignore[type-arg]
    """Character -> script, filled on first sight (bounded), so lookups stay in C."""

    def __missing__(self, char: str) -> str:
        script = _script_of(char) if len(self) < 65536 else ""
        self[char] = script
        return script


_SCRIPTS = _ScriptCache()


def _by_stopwords(text: str, candidates: tuple[str, ...]) -> str | None:
    """The candidate language with the most distinct stopwords in `text` (at least two, and
    more than any other candidate)."""
    lowered = text.lower()
    for mark in _PUNCTUATION:
        if mark in lowered:
            lowered = lowered.replace(mark, " ")
    words = lowered.split()
    if len(words) < MIN_WORDS:
        return None
    found = _WORD_KEYS.intersection(words)
    if len(found) < 2:
        return None
    hits = Counter(
        language
        for word in found
        for language in _WORD_LANGUAGES[word]
        if language == "en" or word not in ENGLISH_COMMON
    )
    ranked = sorted(((hits[language], language) for language in candidates), reverse=True)
    best, language = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0
    return language if best >= 2 and best > runner_up else None


def guess_language(text: str) -> str:
    """A language code (`en`, `de`, `zh`, ...) or `und-<Script>` / `und`; see the module doc."""
    sample = text[:SAMPLE_CHARS]
    if sample.isascii():
        if not _ASCII_LETTER.search(sample):
            return "und"
        return _by_stopwords(sample, LATIN_LANGUAGES) or "und-Latn"
    head = sample[:SCRIPT_SAMPLE_CHARS]
    scripts = Counter(map(_SCRIPTS.__getitem__, _ASCII_RUNS.sub("", head)))
    scripts.pop("", None)
    scripts["Latn"] += len(_NOT_ASCII_LETTERS.sub("", head))
    if scripts["Kana"] and scripts["Kana"] * 10 >= scripts["Hani"]:
        scripts["Kana"] += scripts.pop("Hani", 0)
    for script in IDEOGRAPHIC & scripts.keys():
        scripts[script] *= IDEOGRAPH_WEIGHT
    script, count = max(scripts.items(), key=lambda item: (item[1], item[0]))
    if count == 0:
        return "und"
    if script in SCRIPT_LANGUAGE:
        return SCRIPT_LANGUAGE[script]
    if script == "Latn":
        return _by_stopwords(sample, LATIN_LANGUAGES) or "und-Latn"
    if script == "Cyrl":
        return _by_stopwords(sample, CYRILLIC_LANGUAGES) or "und-Cyrl"
    return f"und-{script}"
