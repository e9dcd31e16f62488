"""The `encoding` checker: text that was decoded wrongly or carries characters nobody can see.

Per string of a row (message contents, preference responses, tool-call arguments, any other
value): mojibake (UTF-8 read with a single-byte codec, judged and repaired by `ftfy`), U+FFFD
replacement characters, invisible characters (zero-width, word joiner, soft hyphen, Unicode tag
characters that smuggle hidden ASCII text, C1 controls, …), bidirectional controls that reorder
what is displayed, and text that is mostly non-printable. Over the whole dataset: rows whose
accented letters are decomposed (NFD) while other rows use precomposed letters (NFC).

ASCII strings cannot hold any of these except C0 controls, so they cost one `str.isascii()`.
Other strings cost one character-class search, one search for mojibake byte pairs and a
normalization quick-check; `ftfy` only runs on the few strings with a mojibake signature.

Modules: `options` (rules, options), `characters` (the character classes), `mojibake`,
`normalization`, `analysis` (all rules on one string), `evidence`, `fixes`, and `checker` (the
class that joins them).
"""

from ftqa.checks.encoding.analysis import TextIssues, analyse
from ftqa.checks.encoding.characters import non_ascii_runs
from ftqa.checks.encoding.checker import EncodingChecker
from ftqa.checks.encoding.evidence import visible
from ftqa.checks.encoding.mojibake import Mojibake, find_mojibake
from ftqa.checks.encoding.options import RULES, EncodingOptions

__all__ = [
    "RULES",
    "EncodingChecker",
    "EncodingOptions",
    "Mojibake",
    "TextIssues",
    "analyse",
    "find_mojibake",
    "non_ascii_runs",
    "visible",
]
