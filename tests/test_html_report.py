"""The HTML report opened in a real headless Chromium (Debian packages `chromium`,
`chromium-driver`): it loads with no console message, its charts are inline SVG, and markup
planted in dataset text and in the file name never executes, with or without the page's CSP."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import ftqa
from conftest import ROOT, run_cli
from ftqa.render.html import render_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM = next((path for name in BROWSERS if (path := shutil.which(name))), None)
# CI installs Chromium and sets FTQA_REQUIRE_CHROMIUM=1, so there these tests never skip.
if CHROMIUM is None and os.environ.get("FTQA_REQUIRE_CHROMIUM"):
    raise RuntimeError("FTQA_REQUIRE_CHROMIUM is set but no Chromium binary is on PATH")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)"
)

PWNED = "pwned"
SCRIPT = f"<script>document.title='{PWNED}'</script>"
IMG = f"<img src=x onerror=\"document.title='{PWNED}'\">"
SVG = f"<svg onload=\"document.title='{PWNED}'\"></svg>"


def _browser(tmp_path: Path, page: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *mode,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _load(tmp_path: Path, page: Path) -> tuple[str, list[str]]:
    """The DOM after scripts (if any) ran, and every console message the page produced."""
    result = _browser(tmp_path, page, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return result.stdout, console


def _title(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert match is not None
    return match.group(1)


def _planted_dataset(tmp_path: Path) -> Path:
    """Chat rows whose text, roles, categories and system prompts carry markup, in a file whose
    name is markup too."""
    rows = []
    for index in range(40):
        system = SCRIPT if index % 2 else f"You are helpful. {IMG}"
        rows.append(
            {
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": f"Question {index}: {SCRIPT} {SVG}"},
                    {"role": "assistant", "content": f"Answer {index}: {IMG}"},
                ],
                "category": SCRIPT if index % 3 else IMG,
            }
        )
    rows[5]["messages"][2]["content"] = f"zero\u200bwidth {SCRIPT}"  # evidence with markup
    rows[6]["messages"][1]["role"] = IMG  # unknown role: evidence is the role
    rows[7]["messages"][2]["content"] = "   "  # empty content
    path = tmp_path / "<img src=x onerror=alert(1)>.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


class _Elements(HTMLParser):
    """Every element of a DOM with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def _elements(dom: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(dom)
    return parser.elements


def _assert_inert(dom: str, console: list[str]) -> None:
    assert console == [], console
    assert PWNED not in _title(dom)
    elements = _elements(dom)
    tags = {tag for tag, _ in elements}
    assert "script" not in tags
    assert "img" not in tags
    handlers = [(tag, name) for tag, attrs in elements for name in attrs if name.startswith("on")]
    assert handlers == []
    # every <svg> is one of our charts
    assert all(attrs.get("role") == "img" for tag, attrs in elements if tag == "svg")
    assert "<script>document.title=" in html.unescape(dom)  # shown as text (excerpts may cut it)


@needs_chromium
def test_the_harness_detects_a_script_that_runs(tmp_path):
    """Control: without escaping or CSP, the same payload does change the title and log to the
    console, so the assertions below can fail."""
    page = tmp_path / "control.html"
    page.write_text(
        f"<!DOCTYPE html><title>before</title><body>{SCRIPT}"
        "<script>console.error('visible')</script></body>",
        encoding="utf-8",
    )
    dom, console = _load(tmp_path, page)
    assert _title(dom) == PWNED
    assert any("visible" in line for line in console)


@needs_chromium
def test_report_of_the_example_loads_cleanly_with_charts(tmp_path):
    example = ROOT / "examples" / "support-chat.jsonl"
    out = tmp_path / "report.html"
    result = run_cli("check", str(example), "--format", "html", "--output", str(out))
    assert result.returncode in (0, 1), result.stderr
    html = out.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html
    assert "https://" not in html
    assert "http://" not in re.sub(r'xmlns(:xlink)?="http://www\.w3\.org/[^"]*"', "", html)
    dom, console = _load(tmp_path, out)
    assert console == [], console
    assert _title(dom) == f"ftqa report: {example}"
    assert "Findings by rule" in dom
    assert "format/invalid-json" in dom
    stats = ftqa.check(example).stats
    charts = 1 + ("histogram" in stats.get("token_length", {}))
    assert dom.count("<svg") >= charts
    if "histogram" in stats.get("token_length", {}):
        assert "Tokens per example" in dom
        assert "model limit" in dom


@needs_chromium
def test_planted_markup_does_not_execute(tmp_path):
    data = _planted_dataset(tmp_path)
    out = tmp_path / "report.html"
    result = run_cli("check", str(data), "--format", "html", "--output", str(out))
    assert result.returncode == 1, result.stderr
    dom, console = _load(tmp_path, out)
    _assert_inert(dom, console)
    assert dom.count("<svg") >= 3  # categories and system prompts are charted too
    assert "&lt;img src=x onerror=alert(1)&gt;.jsonl" in dom  # the file name, escaped


@needs_chromium
def test_escaping_alone_keeps_markup_inert_without_the_csp(tmp_path):
    """Defence in depth: strip the Content-Security-Policy; escaping must still hold."""
    data = _planted_dataset(tmp_path)
    report = ftqa.check(data)
    html = render_html(report)
    stripped = re.sub(r"<meta http-equiv=Content-Security-Policy[^>]*>", "", html)
    assert stripped != html
    page = tmp_path / "no-csp.html"
    page.write_text(stripped, encoding="utf-8")
    dom, console = _load(tmp_path, page)
    _assert_inert(dom, console)


@needs_chromium
def test_screenshot_renders(tmp_path):
    out = tmp_path / "report.html"
    report = ftqa.check(ROOT / "examples" / "support-chat.jsonl")
    out.write_text(render_html(report), encoding="utf-8")
    shot = tmp_path / "shot.png"
    result = _browser(
        tmp_path, out, "--hide-scrollbars", "--window-size=1280,1600", f"--screenshot={shot}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_report_without_token_or_balance_stats_renders_what_it_has():
    """A report whose stats lack token_length/balance still renders (no charts for them)."""
    report = ftqa.check(ROOT / "examples" / "support-chat.jsonl", select=["format"])
    html = render_html(report)
    assert "Tokens per example" not in html
    assert "Findings by rule" in html
    assert html.count("<svg") == 1


def test_chart_labels_with_dollars_surrogates_and_controls_render():
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"question {index}"},
                {"role": "assistant", "content": f"answer {index}"},
            ],
            "category": ["$5 $plan", "bad\ud800\x1b[31m", "x & <y>"][index % 3],
        }
        for index in range(30)
    ]
    html_text = render_html(ftqa.check(rows, select=["balance"]))
    html_text.encode("utf-8")
    svgs = re.findall(r"<svg.*?</svg>", html_text, re.DOTALL)
    categories = next(svg for svg in svgs if "Categories" in svg)
    assert "$5 $plan" in categories  # literal text, not matplotlib math
    assert "x &amp; &lt;y&gt;" in categories
    assert "\x1b" not in categories
    assert "\ufffd" in categories
