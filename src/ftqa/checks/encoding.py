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
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import Field

from ftqa.checker import Checker, Drop, Edit, Options, Rule
from ftqa.detect.rows import joined_bytes, joined_text, text_fields
from ftqa.detect.scan import Path, format_path, rewrite_strings, span_excerpt
from ftqa.finding import Finding, Severity
from ftqa.outbound import sensitive_spans
from ftqa.records import Record
from ftqa.text import excerpt

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


# ---------------------------------------------------------------------------------------------
# Character classes

C0 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
C1 = "\x80-\x9f"
# Invisible format characters. ZWNJ/ZWJ are judged by their neighbours (emoji sequences and
# Arabic, Persian and Indic orthography need them); LRM/RLM/ALM are ordinary in RTL text.
INVISIBLE = (
    "\u00ad\u115f\u1160\u180e\u200b\u200c\u200d\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0"
    "\ufff9-\ufffb"
)
JOINERS = "\u200c\u200d"
BIDI_EMBEDDINGS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BIDI_OVERRIDES = "\u202d\u202e"
BIDI_OPEN = "\u202a\u202b\u202d\u202e"
BIDI_ISOLATE_OPEN = "\u2066\u2067\u2068"
TAGS = "\U000e0000-\U000e007f"
PRIVATE_USE = "\ue000-\uf8ff\U000f0000-\U0010ffff"
SURROGATES = "\ud800-\udfff"

_SPECIAL = re.compile(
    f"[{C0}{C1}{INVISIBLE}{BIDI_EMBEDDINGS}{TAGS}{PRIVATE_USE}{SURROGATES}\ufffd]"
)
_ASCII_TEXT = bytes(range(0x20, 0x7F)) + b"\t\n\r"
# Deleting these bytes from UTF-8 leaves only C0 controls and DEL.
_NOT_C0 = _ASCII_TEXT + bytes(range(0x80, 0x100))
# Every ASCII byte becomes a space: what is left between spaces are runs of adjacent non-ASCII
# characters, still valid UTF-8.
_ASCII_TO_SPACE = b" " * 128 + bytes(range(0x80, 0x100))


def non_ascii_runs(data: bytes) -> str:
    """The runs of adjacent non-ASCII characters of a UTF-8 text, joined by spaces.

    Every mojibake pair (two non-ASCII characters side by side) and every special character
    except C0 controls survive, so one search over this short string replaces a search over
    the whole text when most of it is ASCII."""
    return b" ".join(data.translate(_ASCII_TO_SPACE).split()).decode("utf-8", "surrogatepass")


_RTL = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_BLACK_FLAG = "\U0001f3f4"  # emoji tag sequences (subdivision flags) follow it

# UTF-8 read with a single-byte codec turns every multi-byte character into a lead character
# (bytes C2-F4) followed by continuation characters (bytes 80-BF) of that codec. One search for
# such a pair (or a C1 control) finds every candidate; ftfy then decides, on a small window
# first and on the whole text only when the window looks bad.
_CODECS = (
    "latin-1",
    "cp1252",
    "cp1251",
    "cp1250",
    "cp1253",
    "cp1254",
    "cp1257",
    "iso-8859-2",
    "mac_roman",
    "cp437",
)


def _decoded(codec: str, first: int, last: int) -> str:
    chars = set()
    for byte in range(first, last + 1):
        try:
            chars.add(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            continue
    return "".join(re.escape(char) for char in sorted(chars))


_LEADS = "".join(_decoded(codec, 0xC2, 0xF4) for codec in _CODECS)
_CONTINUATIONS = "".join(_decoded(codec, 0x80, 0xBF) for codec in _CODECS)
_MOJIBAKE_HINT = re.compile(f"[{_LEADS}][{_CONTINUATIONS}]|[{C1}]")
# One pass over a non-ASCII text answers "anything to look at?" for both searches.
_ANYTHING = re.compile(f"[{_LEADS}][{_CONTINUATIONS}]|{_SPECIAL.pattern}")

_CODEC_NAMES = {
    "latin-1": "Latin-1",
    "sloppy-windows-1252": "Windows-1252",
    "sloppy-windows-1251": "Windows-1251",
    "sloppy-windows-1250": "Windows-1250",
    "sloppy-windows-1253": "Windows-1253",
    "sloppy-windows-1254": "Windows-1254",
    "sloppy-windows-1257": "Windows-1257",
    "iso-8859-2": "ISO 8859-2",
    "macroman": "Mac Roman",
    "cp437": "code page 437",
}


@cache
def _ftfy() -> Any:
    import ftfy
    import ftfy.badness

    return ftfy


# ---------------------------------------------------------------------------------------------
# Per-string analysis


@dataclass(slots=True)
class Mojibake:
    fixed: str
    how: str
    start: int  # first differing character
    end: int  # end of the differing stretch in the original


@dataclass(slots=True)
class TextIssues:
    """What is wrong with one string (all offsets into it)."""

    mojibake: Mojibake | None = None
    replacement: list[int] | None = None
    invisible: list[int] | None = None
    bidi: list[int] | None = None
    non_printable: int = 0  # set only when the text is mostly non-printable
    form: str | None = None  # "nfd" (decomposed), "nfc" (precomposed) or None
    decomposed: str | None = None  # the first decomposed sequence, e.g. "e\u0301"

    @property
    def empty(self) -> bool:
        return (
            self.mojibake is None
            and not self.replacement
            and not self.invisible
            and not self.bidi
            and not self.non_printable
        )


def analyse(
    text: str, options: EncodingOptions, scan_controls: bool = True, normalization: bool = True
) -> TextIssues | None:
    """Everything the checker reports about `text`, or None when it is ASCII without control
    characters (`scan_controls=False`: the loader proved it holds none; `normalization=False`:
    the caller judges the normalization form itself)."""
    if text.isascii():
        if scan_controls and len(text) >= options.non_printable_min_length:
            # Deleting the printable bytes leaves the control characters (a fast C loop).
            count = len(text.encode().translate(None, _ASCII_TEXT))
            if count and count >= options.non_printable_ratio * len(text):
                return TextIssues(non_printable=count)
        return None
    report = TextIssues(form=_form(text) if normalization else None)
    if report.form == "nfd":
        report.decomposed = _first_decomposed(text)
    if _ANYTHING.search(text) is None:
        return report
    if _MOJIBAKE_HINT.search(text) is not None:
        report.mojibake = find_mojibake(text)
    if _SPECIAL.search(text) is not None:
        _classify(text, report, options)
    return report


def _form(text: str) -> str | None:
    if not unicodedata.is_normalized("NFC", text):
        if len(unicodedata.normalize("NFC", text)) < len(text):
            return "nfd"
        return None  # only reordered marks or singletons: not a decomposition
    if not unicodedata.is_normalized("NFD", text):
        return "nfc"
    return None


def _first_decomposed(text: str) -> str | None:
    """The first base letter + combining marks that NFC would compose into one character."""
    for index, char in enumerate(text):
        if index and unicodedata.combining(char):
            start = index - 1
            end = index + 1
            while end < len(text) and unicodedata.combining(text[end]):
                end += 1
            sequence = text[start:end]
            if len(unicodedata.normalize("NFC", sequence)) < len(sequence):
                return sequence
    return None


def _first_decomposed_field(fields: list[tuple[Path, str]]) -> tuple[str, str]:
    """Path and first decomposed sequence of the first decomposed text of a row."""
    for path, text in fields:
        if not text.isascii() and _form(text) == "nfd":
            return format_path(path), _first_decomposed(text) or ""
    return "", ""


def _spelled(sequence: str) -> str:
    """`e\u0301` -> "`é` written as `e` + U+0301"."""
    marks = " + ".join(f"U+{ord(char):04X}" for char in sequence[1:])
    return f"`{unicodedata.normalize('NFC', sequence)}` written as `{sequence[0]}` + {marks}"


def find_mojibake(text: str) -> Mojibake | None:
    """ftfy's verdict, asked only when a window around a lead/continuation pair looks bad."""
    ftfy = _ftfy()
    is_bad = ftfy.badness.is_bad
    suspicious = False
    for count, match in enumerate(_MOJIBAKE_HINT.finditer(text)):
        if count >= 200:
            break
        start = match.start()
        if is_bad(text[max(0, start - 6) : start + 8]):
            suspicious = True
            break
    if not suspicious:
        return None
    try:
        fixed, plan = ftfy.fix_encoding_and_explain(text)
    except (UnicodeError, ValueError, TypeError):  # e.g. lone surrogates: leave the text alone
        return None
    if fixed == text or not plan:
        return None
    return Mojibake(fixed, _explain(plan), *_difference(text, fixed))


def _explain(plan: list[Any]) -> str:
    steps = [(step[0], step[1]) for step in plan]
    encoded = [name for action, name in steps if action == "encode"]
    decoded = [name for action, name in steps if action == "decode"]
    if encoded and decoded and decoded[-1].startswith("utf-8"):
        return f"UTF-8 text decoded as {_CODEC_NAMES.get(encoded[0], encoded[0])}"
    if encoded and decoded:
        source = _CODEC_NAMES.get(decoded[-1].replace("windows", "sloppy-windows"), decoded[-1])
        return f"{source} text decoded as {_CODEC_NAMES.get(encoded[0], encoded[0])}"
    if any(name == "decode_inconsistent_utf8" for _, name in steps):
        return "UTF-8 text decoded with a single-byte codec in places"
    if any(name == "fix_c1_controls" for _, name in steps):
        return "Windows-1252 text decoded as Latin-1"
    return "text decoded with the wrong codec"


def _difference(text: str, fixed: str) -> tuple[int, int]:
    start = 0
    limit = min(len(text), len(fixed))
    while start < limit and text[start] == fixed[start]:
        start += 1
    end_text, end_fixed = len(text), len(fixed)
    while end_text > start and end_fixed > start and text[end_text - 1] == fixed[end_fixed - 1]:
        end_text -= 1
        end_fixed -= 1
    return start, max(end_text, start + 1)


def _classify(text: str, report: TextIssues, options: EncodingOptions) -> None:
    replacement: list[int] = []
    invisible: list[int] = []
    bidi: list[int] = []
    non_printable = 0
    mojibake = report.mojibake is not None
    for match in _SPECIAL.finditer(text):
        position = match.start()
        kind = _kind(match.group())
        # Invisible and tag characters are reported as such, whatever their number; only
        # controls, replacement, private-use characters and surrogates make binary-looking text.
        if kind == "replacement":
            replacement.append(position)
        elif kind == "bidi":
            bidi.append(position)
        elif kind == "tag":
            if not _in_flag_sequence(text, position):
                invisible.append(position)
        elif kind == "joiner":
            if _between_ascii(text, position):
                invisible.append(position)
        elif kind == "invisible" or (kind == "c1" and not mojibake):
            invisible.append(position)
        if kind in ("replacement", "c1", "other"):
            non_printable += 1
    long_enough = len(text) >= options.non_printable_min_length
    if long_enough and non_printable >= options.non_printable_ratio * len(text):
        report.non_printable = non_printable
        return
    report.replacement = replacement or None
    report.invisible = invisible or None
    if bidi and _suspicious_bidi(text, bidi):
        report.bidi = bidi


def _kind(char: str) -> str:
    code = ord(char)
    if char == "\ufffd":
        return "replacement"
    if char in BIDI_EMBEDDINGS:
        return "bidi"
    if 0xE0000 <= code <= 0xE007F:
        return "tag"
    if char in JOINERS:
        return "joiner"
    if 0x80 <= code <= 0x9F:
        return "c1"
    if char in INVISIBLE:
        return "invisible"
    return "other"  # C0 controls (the format checker reports them), private use, surrogates


def _between_ascii(text: str, position: int) -> bool:
    before = text[position - 1] if position else ""
    after = text[position + 1 : position + 2]
    return bool(before and after) and before.isascii() and after.isascii()


def _in_flag_sequence(text: str, position: int) -> bool:
    """Tag characters after U+1F3F4 form subdivision flags (England, Scotland, Wales)."""
    start = position
    while start > 0 and 0xE0000 <= ord(text[start - 1]) <= 0xE007F:
        start -= 1
    return start > 0 and text[start - 1] == _BLACK_FLAG


def _suspicious_bidi(text: str, positions: list[int]) -> bool:
    """Overrides always; embeddings and isolates when unbalanced or in text with no
    right-to-left script that could need them."""
    chars = [text[position] for position in positions]
    if any(char in BIDI_OVERRIDES for char in chars):
        return True
    if _RTL.search(text) is None:
        return True
    embeddings = sum(char in BIDI_OPEN for char in chars) - chars.count("\u202c")
    isolates = sum(char in BIDI_ISOLATE_OPEN for char in chars) - chars.count("\u2069")
    return embeddings != 0 or isolates != 0


def visible(text: str) -> str:
    """`text` with every special character written as `<U+XXXX>` and tag characters decoded
    (`<tags:hidden text>`), so evidence shows what the eye cannot."""
    out: list[str] = []
    tags: list[str] = []
    for char in text:
        code = ord(char)
        if 0xE0020 <= code <= 0xE007E:
            tags.append(chr(code - 0xE0000))
            continue
        if tags:
            out.append(f"<tags:{''.join(tags)}>")
            tags = []
        if _SPECIAL.match(char) and char not in "\t\n\r":
            out.append(f"<U+{code:04X}>")
        else:
            out.append(char)
    if tags:
        out.append(f"<tags:{''.join(tags)}>")
    return "".join(out)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _names(text: str, positions: list[int]) -> str:
    counts = Counter(text[position] for position in positions)
    parts = []
    for char, count in counts.most_common(3):
        name = unicodedata.name(char, "")
        if 0xE0000 <= ord(char) <= 0xE007F:
            name = "TAG CHARACTER"
        label = f"U+{ord(char):04X} {name}".strip()
        parts.append(f"{label} ×{count}" if count > 1 else label)
    if len(counts) > 3:
        parts.append("…")
    return ", ".join(parts)


def _word(text: str, position: int, limit: int = 30) -> str:
    """The whitespace-delimited word around `position`, shortened, secrets and personal data
    masked."""
    start = position
    while start > 0 and not text[start - 1].isspace() and position - start < limit:
        start -= 1
    end = position
    while end < len(text) and not text[end].isspace() and end - position < limit:
        end += 1
    lo, hi = max(0, start - 200), min(len(text), end + 200)
    for a, b, _ in sensitive_spans(text[lo:hi]):
        if a + lo < end and start < b + lo:
            return "[secret]"
    return excerpt(visible(text[start:end]), limit)


def _evidence(text: str, start: int, end: int) -> str:
    """Excerpt around `text[start:end]`, hidden characters made visible, secrets and personal
    data masked (before the excerpt is cut)."""
    lo, hi = max(0, start - 200), min(len(text), end + 200)
    window = text[lo:hi]
    hidden = [(a + lo, b + lo) for a, b, _ in sensitive_spans(window)]
    return excerpt(visible(span_excerpt(text, start, end, hidden, width=25)), 100)


# ---------------------------------------------------------------------------------------------
# The checker


class EncodingChecker(Checker):
    id = "encoding"
    summary = "Mojibake, replacement, invisible and bidi characters, mixed Unicode forms."
    rules = RULES
    Options = EncodingOptions
    options: EncodingOptions

    def __init__(self, options: EncodingOptions, context: Any) -> None:
        super().__init__(options, context)
        self._files: dict[str, int] = {}
        self._nfd_file = array("l")
        self._nfd_row = array("q")
        self._nfd_line = array("q")
        self._nfd_field: list[str] = []
        self._nfd_example: list[str] = []
        self._nfc_rows = 0
        self._counts: Counter[str] = Counter()
        self._rows = 0

    def check_record(self, record: Record) -> Iterator[Finding]:
        # Row-level gates first: most rows are settled by a few tests on all their text joined.
        joined = joined_text(record)
        data = joined_bytes(record)
        controls = record.scan_text and bool(data.translate(None, _NOT_C0))
        if joined.isascii():
            if controls:
                yield from self._per_string(record)
            return
        form = _form(joined)
        if form == "nfd":
            self._remember_nfd(record, *_first_decomposed_field(text_fields(record)))
        elif form == "nfc":
            self._nfc_rows += 1
        if controls or _ANYTHING.search(non_ascii_runs(data)) is not None:
            yield from self._per_string(record)

    def _per_string(self, record: Record) -> Iterator[Finding]:
        options = self.options
        row_has = False
        for path, text in text_fields(record):
            report = analyse(text, options, record.scan_text, normalization=False)
            if report is None or report.empty:
                continue
            row_has = True
            yield from self._findings(record, path, text, report)
        if row_has:
            self._rows += 1

    def _findings(
        self, record: Record, path: Path, text: str, report: TextIssues
    ) -> Iterator[Finding]:
        field = format_path(path)
        if report.non_printable:
            share = report.non_printable / len(text)
            self._counts["mostly-non-printable"] += 1
            yield self.finding(
                "mostly-non-printable",
                f"{share:.0%} of the {len(text)} characters of `{field}` are control, "
                "private-use or replacement characters; this looks like binary data",
                record,
                field=field,
                evidence=_evidence(text, 0, min(len(text), 20)),
                fix="drop the row or re-extract the text from its source",
            )
            return
        if report.mojibake is not None:
            bad = report.mojibake
            self._counts["mojibake"] += 1
            before, after = _word(text, bad.start), _word(bad.fixed, bad.start)
            yield self.finding(
                "mojibake",
                f"`{field}` looks like {bad.how} (mojibake): “{before}” should read “{after}”",
                record,
                field=field,
                evidence=_evidence(text, bad.start, bad.end),
                fix="re-decode the source as UTF-8, or repair with ftfy (`ftqa fix --unsafe`)",
            )
        if report.replacement:
            count = len(report.replacement)
            self._counts["replacement-character"] += 1
            first = report.replacement[0]
            yield self.finding(
                "replacement-character",
                f"`{field}` contains {_count(count, 'U+FFFD replacement character')}: the "
                "original bytes were lost when the text was decoded",
                record,
                field=field,
                evidence=_evidence(text, first, first + 1),
                fix="re-extract the text from its source with the right encoding",
            )
        if report.invisible:
            self._counts["invisible-character"] += 1
            first = report.invisible[0]
            kind = (
                "hidden tag character"
                if any(0xE0000 <= ord(text[p]) <= 0xE007F for p in report.invisible)
                else "invisible character"
            )
            last = first
            for position in report.invisible[1:]:
                if position != last + 1:
                    break
                last = position
            yield self.finding(
                "invisible-character",
                f"`{field}` contains {_count(len(report.invisible), kind)}: "
                f"{_names(text, report.invisible)}",
                record,
                field=field,
                evidence=_evidence(text, first, last + 1),
                fix="delete them (`ftqa fix` removes them)",
            )
        if report.bidi:
            self._counts["bidi-control"] += 1
            first = report.bidi[0]
            yield self.finding(
                "bidi-control",
                f"`{field}` contains bidirectional control characters "
                f"({_names(text, report.bidi)}) that display text in another order than it "
                "is stored",
                record,
                field=field,
                evidence=_evidence(text, first, first + 1),
                fix="delete them unless the text is right-to-left and needs them",
            )

    def _remember_nfd(self, record: Record, field: str, example: str) -> None:
        index = self._files.setdefault(record.file, len(self._files))
        self._nfd_file.append(index)
        self._nfd_row.append(record.row)
        self._nfd_line.append(record.line if record.line is not None else -1)
        self._nfd_field.append(field)
        self._nfd_example.append(example)

    def finish(self) -> Iterator[Finding]:
        decomposed = len(self._nfd_row)
        if not decomposed or (not self._nfc_rows and not self.options.require_nfc):
            return
        files = {index: name for name, index in self._files.items()}
        if self._nfc_rows:
            others = (
                "1 other row uses" if self._nfc_rows == 1 else f"{self._nfc_rows} other rows use"
            )
            why = (
                f"while {others} precomposed characters (NFC); the same word is then two "
                "different token sequences"
            )
        else:
            why = "and `require-nfc` is set"
        for position in range(decomposed):
            line = self._nfd_line[position]
            field = self._nfd_field[position]
            example = self._nfd_example[position]
            shown = f", e.g. {_spelled(example)}," if example else ""
            self._counts["mixed-normalization"] += 1
            yield self.finding(
                "mixed-normalization",
                f"`{field}` uses decomposed characters (NFD){shown} {why}",
                file=files[self._nfd_file[position]],
                line=line if line >= 0 else None,
                row=self._nfd_row[position],
                field=field,
                fix="normalize to NFC (`ftqa fix` does it)",
            )

    def stats(self) -> dict[str, Any]:
        return {
            "rows_with_problems": self._rows,
            "by_rule": dict(self._counts.most_common()),
            "rows_nfc": self._nfc_rows,
            "rows_nfd": len(self._nfd_row),
        }

    # -- fixes --------------------------------------------------------------------------------

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | Drop | None:
        """Repair every string of the row that the finding's rule applies to."""
        rule = finding.rule
        if rule == "mostly-non-printable":
            return Drop("mostly non-printable text")
        options = self.options
        changed_fields: list[tuple[str, str, str]] = []

        def change(path: Path, text: str) -> str | None:
            new = _repaired(rule, text, options)
            if new is None or new == text:
                return None
            changed_fields.append((format_path(path), text, new))
            return new

        value, changed = rewrite_strings(raw, change)
        if not changed:
            return None
        field, old, new = changed_fields[0]
        start, end = _difference(old, new)
        more = f" (+{len(changed_fields) - 1} more fields)" if len(changed_fields) > 1 else ""
        return Edit(
            value,
            before=f"{field}: " + _evidence(old, start, end) + more,
            after=f"{field}: " + excerpt(visible(span_excerpt(new, start, start + 1)), 100),
        )


def _repaired(rule: str, text: str, options: EncodingOptions) -> str | None:
    if text.isascii():
        return None
    if rule == "mixed-normalization":
        return unicodedata.normalize("NFC", text)
    report = analyse(text, options)
    if report is None:
        return None
    if rule == "mojibake":
        return report.mojibake.fixed if report.mojibake is not None else None
    if rule == "invisible-character" and report.invisible:
        return _without(text, report.invisible)
    if rule == "bidi-control" and report.bidi:
        return _without(text, report.bidi)
    return None


def _without(text: str, positions: list[int]) -> str:
    drop = set(positions)
    return "".join(char for index, char in enumerate(text) if index not in drop)
