"""Rules and options of the `encoding` checker."""

from __future__ import annotations

from pydantic import Field

from ftqa.checker import Options, Rule
from ftqa.finding import Severity

W = Severity.WARNING

RULES = (
    Rule("mojibake", W, "Text decoded with the wrong codec (e.g. `cafÃ©` for `café`).", "unsafe"),
    Rule("replacement-character", W, "U+FFFD replacement characters: bytes lost in decoding."),
    Rule(
        "invisible-character",
        W,
        "Zero-width, soft-hyphen, tag or C1 control characters inside text.",
        "safe",
    ),
    Rule(
        "bidi-control",
        W,
        "Bidirectional overrides, embeddings or isolates that reorder text.",
        "unsafe",
    ),
    Rule(
        "mixed-normalization",
        W,
        "Decomposed (NFD) accented letters in a dataset that otherwise uses NFC.",
        "safe",
    ),
    Rule(
        "mostly-non-printable",
        W,
        "A text that is mostly control or unprintable characters.",
        "unsafe",
    ),
)


class EncodingOptions(Options):
    non_printable_ratio: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Share of control, private-use and replacement characters above which a "
        "text is reported as mostly non-printable.",
    )
    non_printable_min_length: int = Field(
        10, ge=1, description="Shorter texts are never reported as mostly non-printable."
    )
    require_nfc: bool = Field(
        False,
        description="Report every decomposed (NFD) row, even when no row uses NFC (by default "
        "only a mix of both forms is reported).",
    )
