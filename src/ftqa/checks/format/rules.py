"""The rules of the `format` checker, and which of them describe a file when most rows have them."""

from __future__ import annotations

from dataclasses import replace

from ftqa.checker import Rule
from ftqa.finding import Severity

E, W = Severity.ERROR, Severity.WARNING

_RULES = (
    Rule("invalid-json", E, "A line (or array element) is not valid JSON.", "unsafe"),
    Rule("invalid-utf8", E, "Bytes that are not valid UTF-8.", "unsafe"),
    Rule("truncated-last-line", E, "The file ends in the middle of an example.", "unsafe"),
    Rule("line-too-long", E, "A line longer than the configured limit; not read.", "unsafe"),
    Rule("blank-line", W, "A blank line between examples.", "safe"),
    Rule("byte-order-mark", W, "The file starts with a UTF-8 byte order mark.", "safe"),
    Rule("duplicate-key", E, "A JSON object repeats a key; parsers disagree on which value wins."),
    Rule("non-standard-number", E, "NaN or Infinity, which JSON does not allow.", "unsafe"),
    Rule(
        "lone-surrogate",
        E,
        "Text with a lone surrogate (U+D800-U+DFFF without its pair).",
        "unsafe",
    ),
    Rule("invalid-csv", E, "A CSV record the CSV parser cannot read.", "unsafe"),
    Rule("wrong-column-count", E, "A CSV row with more or fewer cells than the header."),
    Rule("empty-file", E, "The file has no bytes."),
    Rule("read-error", E, "The file stopped being readable part-way."),
    Rule("decompression-limit", E, "Decompressed data exceeded the size or ratio limit."),
    Rule("not-an-object", E, "A row that is not a JSON object.", "unsafe"),
    Rule("undetectable-format", E, "A row that matches no known dataset format.", "unsafe"),
    Rule("mixed-formats", E, "Rows of another format than the rest of the file.", "unsafe"),
    Rule("missing-key", E, "A required key (or column) is missing or null."),
    Rule("wrong-type", E, "A value of the wrong type."),
    Rule("unexpected-key", W, "A key the format does not define."),
    Rule("unknown-role", E, "A message role (or ShareGPT tag) the format does not know."),
    Rule("missing-assistant-message", E, "A conversation with no assistant message.", "unsafe"),
    Rule("last-turn-not-assistant", W, "A conversation that ends on a non-assistant turn."),
    Rule("consecutive-same-role", W, "Two user or two assistant messages in a row."),
    Rule("system-message-not-first", W, "A system message after the conversation started."),
    Rule("empty-content", E, "Empty or whitespace-only content."),
    Rule("invalid-weight", E, "A message `weight` other than 0 or 1."),
    Rule("nothing-to-learn", E, "Every assistant message has weight 0.", "unsafe"),
    Rule("unknown-content-part", E, "A content part of an unknown type."),
    Rule("duplicate-tool-call-id", E, "Two tool calls share an id."),
    Rule("orphan-tool-message", E, "A tool message that answers no earlier tool call."),
    Rule("unanswered-tool-call", W, "A tool call that never gets a tool result."),
    Rule("invalid-tool-arguments", E, "Tool-call arguments that are not a JSON object."),
    Rule("undeclared-tool", E, "A call to a function that is not in the declared `tools`."),
    Rule("unpaired-turns", E, "Turns that do not alternate prompt / response as required."),
    Rule(
        "identical-preference-pair",
        E,
        "A preference pair whose two responses are the same.",
        "unsafe",
    ),
    Rule("control-character", W, "NUL, escape or other control characters inside text."),
    Rule("too-few-examples", W, "Fewer examples than the provider minimum."),
    Rule("empty-dataset", E, "The dataset holds no example at all.", aliases=("no-examples",)),
    Rule(
        "missing-user-message",
        E,
        "A conversation with no user message: the reply answers nothing.",
        aliases=("no-user-message",),
    ),
    Rule("assistant-before-user", W, "An assistant turn before the first user turn."),
    Rule(
        "field-mapping",
        Severity.INFO,
        "Rows read through a field mapping (an alias, --map or dataset_info.json).",
    ),
)

# Row conditions that, when most rows of a file have them, describe the file (its layout or its
# conventions): reported once for the file (see ftqa.collector).
ROW_CONDITIONS = frozenset(
    {
        "invalid-json",
        "not-an-object",
        "undetectable-format",
        "mixed-formats",
        "missing-key",
        "wrong-type",
        "unexpected-key",
        "unknown-role",
        "missing-assistant-message",
        "last-turn-not-assistant",
        "consecutive-same-role",
        "system-message-not-first",
        "empty-content",
        "unknown-content-part",
        "control-character",
        "missing-user-message",
        "assistant-before-user",
    }
)
RULES = tuple(replace(rule, aggregate=rule.slug in ROW_CONDITIONS) for rule in _RULES)

# Problems that mean the data was there but could not be read: `empty-dataset` would add nothing.
UNREADABLE = frozenset(
    {
        "invalid-json", "invalid-utf8", "truncated-last-line", "line-too-long", "invalid-csv",
        "empty-file", "read-error", "decompression-limit", "not-an-object", "lone-surrogate",
    }
)  # fmt: skip

# Rows these rules mark cannot be trained on as they are: the unsafe fix moves them, untouched,
# to the quarantine file.
DROPPED = frozenset(rule.slug for rule in RULES if rule.fix == "unsafe")

FIXES = {
    "blank-line": "delete the blank line",
    "byte-order-mark": "save the file as UTF-8 without BOM",
    "duplicate-key": "keep one of the repeated keys",
    "wrong-column-count": "quote cells that contain the delimiter",
}
