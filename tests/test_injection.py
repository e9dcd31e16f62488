"""Nothing injected: dataset text never acts as markup or commands in any output.

Payloads (ANSI escapes, C1 controls, bidi overrides, line and paragraph separators, Markdown
links and images, @-mentions, bare URLs, backticks, raw HTML, table pipes, workflow commands)
are planted in message contents, metadata keys, roles, labels and in the FILE NAME, then the
real CLI renders every format. Markdown is parsed with a CommonMark parser (markdown-it-py, the
table extension on) and checked for links, images, HTML, headings and table cells, plus the GFM
extensions a pull-request comment applies (autolinks, mentions); SARIF is validated against the
SARIF 2.1.0 schema and checked for unescaped link syntax; JSON holds no raw C1, bidi, zero-width
or separator character; terminal and GitHub output hold no control character at all.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

DATA = Path(__file__).resolve().parent / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif" / "sarif-schema-2.1.0-rtm.5.json").read_text("utf-8"))

PAYLOADS = {
    "ansi": "\x1b[31mRED\x1b[0m \x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 \x1b[2J",
    "c1": "next\x85line csi\x9b31m",
    "bidi": "user\u202etxt.exe",
    "separators": "one\u2028two\u2029three",
    "zero-width": "pay\u200bpal",
    "markdown-link": "[click here](http://evil.example/a) and [x](javascript:alert(1))",
    "image": "![tracker](https://evil.example/pixel.png)",
    "mention": "ping @octocat and @github/security-team",
    "bare-url": "visit https://evil.example/path or www.evil.com today",
    "email": "write to someone@evil.com",
    "backticks": "use `rm -rf /` or ```fence``` and `` x ``",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)><b>bold</b>",
    "pipes": "a | b | c",
    "heading": "\n# Heading\n---\n> quote",
    "workflow": "x\n::error file=a::forged%0A::warning::forged",
}
# A file name can carry most of them too (no `/` and no NUL on POSIX).
FILE_NAME = (
    "data \x1b[31m\u202e @octocat [x](javascript:alert(1)) `tick` <b>|<i> www.evil.com.jsonl"
)

HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
JSON_HIDDEN = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
FORMATS = ("terminal", "json", "markdown", "html", "github", "sarif")


def _rows() -> list[str]:
    rows = []
    for name, payload in PAYLOADS.items():
        messages = [
            {"role": "user", "content": f"{name}: {payload}"},
            {"role": "assistant", "content": f"reply {payload}<|im_end|>"},
        ]
        rows.append(json.dumps({"messages": messages, "metadata": {payload: payload}}))
        rows.append(json.dumps({"messages": [{"role": payload, "content": "hi"}, messages[1]]}))
        rows.append(json.dumps({"messages": messages}))  # with the first: a duplicate pair
        rows.append(json.dumps({"text": f"about {name}", "label": payload}))
    return rows


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftqa", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        cwd=cwd,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("injection")
    (root / FILE_NAME).write_text("\n".join(_rows()) + "\n", "utf-8")
    (root / "ftqa.toml").write_text("[contradictions]\nsemantic = false\n", "utf-8")
    common = ["--config", "ftqa.toml", "--quiet", "--show", "50"]
    commands = {fmt: ["check", FILE_NAME, "--format", fmt, *common] for fmt in FORMATS}
    commands["missing"] = ["check", "missing \x1b[2J\u202e.jsonl"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        processes = pool.map(lambda args: _run(args, root), commands.values())
        done = dict(zip(commands, processes, strict=True))
    for fmt in FORMATS:
        assert done[fmt].returncode in (0, 1), done[fmt].stderr[-800:]
    assert done["missing"].returncode == 2
    out = {name: process.stdout for name, process in done.items()}
    out.update({f"{name} (stderr)": process.stderr for name, process in done.items()})
    return out


def test_terminal_and_github_carry_no_control_character(outputs):
    for name in ("terminal", "github", "missing (stderr)", "terminal (stderr)"):
        assert not HIDDEN.search(outputs[name]), (name, HIDDEN.findall(outputs[name]))
    assert "␛" in outputs["missing (stderr)"]  # shown, not obeyed


def test_github_annotations_cannot_forge_commands(outputs):
    lines = outputs["github"].rstrip("\n").split("\n")
    assert lines[-1].startswith("ftqa ")
    for line in lines[:-1]:
        assert re.match(r"::(error|warning|notice) ", line), line
    assert len([line for line in lines if "forged" in line]) == len(
        [line for line in lines if "forged" in line and line.startswith("::")]
    )


def test_json_has_no_raw_hidden_characters(outputs):
    raw = outputs["json"]
    assert not JSON_HIDDEN.search(raw), JSON_HIDDEN.findall(raw)
    report = json.loads(raw)

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    for text in strings(report):
        assert not HIDDEN.search(text.replace("\n", "").replace("\t", "")), repr(text)
    assert any("<U+202E>" in text for text in strings(report))


def _markdown_tokens(text: str) -> list:
    parser = MarkdownIt("commonmark").enable("table")
    return parser.parse(text)


def _inline_children(tokens: list) -> list:
    return [child for token in tokens if token.type == "inline" for child in token.children or []]


def test_markdown_creates_no_link_image_html_or_heading(outputs):
    tokens = _markdown_tokens(outputs["markdown"])
    children = _inline_children(tokens)
    kinds = {token.type for token in [*tokens, *children]}
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}, kinds
    headings = [
        tokens[index + 1].content
        for index, token in enumerate(tokens)
        if token.type == "heading_open"
    ]
    assert headings[0] == "ftqa report"
    for heading in headings[1:]:
        assert re.fullmatch(r"`[a-z_]+/[a-z0-9-]+`", heading), heading
    assert not [token for token in tokens if token.type in ("blockquote_open", "hr")]


def test_markdown_tables_keep_their_cell_counts(outputs):
    tokens = _markdown_tokens(outputs["markdown"])
    widths: list[int] = []
    cells = None
    for token in tokens:
        if token.type == "table_open":
            widths = []
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            widths.append(cells)
        elif token.type == "table_close":
            assert len(set(widths)) == 1, widths
    assert widths


# GitHub-flavoured extensions a pull-request comment applies to plain text.
_AUTOLINK = re.compile(r"(?i)(?:^|[\s*_~(])(?:www\.|https?://|mailto:|xmpp:)")
_EMAIL = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]*[A-Za-z0-9]")
_MENTION = re.compile(r"(?:^|[^A-Za-z0-9`])@[A-Za-z0-9]")


def test_markdown_text_neither_autolinks_nor_mentions(outputs):
    text = " ".join(
        child.content
        for child in _inline_children(_markdown_tokens(outputs["markdown"]))
        if child.type == "text"  # code spans are literal: GitHub neither links nor mentions there
    )
    assert "evil.example" in text  # the payloads are shown
    assert "octocat" in text
    assert not _AUTOLINK.search(text), _AUTOLINK.findall(text)
    assert not _EMAIL.search(text), _EMAIL.findall(text)
    assert not _MENTION.search(text), _MENTION.findall(text)


def test_markdown_code_span_holds_a_file_name_with_backticks(outputs):
    tokens = _markdown_tokens(outputs["markdown"])
    codes = [child.content for child in _inline_children(tokens) if child.type == "code_inline"]
    assert any("`tick`" in code and code.endswith(".jsonl") for code in codes), codes


def test_sarif_is_valid_and_has_no_link_syntax(outputs):
    log = json.loads(outputs["sarif"])
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert not JSON_HIDDEN.search(outputs["sarif"])
    texts = [result["message"]["text"] for result in log["runs"][0]["results"]]
    assert any("click here" in text for text in texts)
    for text in texts:
        assert not re.search(r"(?<!\\)[\[\]]", text), text
        assert not HIDDEN.search(text), text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def test_html_holds_no_markup_from_the_data(outputs):
    parser = _Tags()
    parser.feed(outputs["html"])
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "iframe", "img", "i"}, names
    for tag, attrs in parser.tags:
        for attribute, value in attrs:
            assert not attribute.startswith("on"), (tag, attribute)
            if attribute in ("href", "src"):
                assert "evil" not in (value or ""), (tag, attribute, value)
    assert "&lt;script&gt;" in outputs["html"]
    assert "&lt;b&gt;bold&lt;" in outputs["html"]
    assert not HIDDEN.search(outputs["html"].replace("\n", "").replace("\t", ""))
